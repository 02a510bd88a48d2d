import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResult, resultFromBytes } from './result-decode.js';
import { convertResult, effectiveVersion, toCurrentResult } from './result-convert.js';
import { printResult, resultToJSON } from './result-print.js';
import type { JsonObject } from './gojson.js';
import type { Result, Result020, Result040, Result100 } from './result-types.js';

const VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];
const family = (v: string): string => (v < '0.3.0' ? '020' : v < '1.0.0' ? '040' : '100');

/** One result with an IPv4 and an IPv6 address and a route for each, in any version's shape. */
function sample(version: string): Result {
  const dns = { nameservers: ['1.2.3.4'], domain: 'example.com' };
  if (family(version) === '020') {
    return createResult(version, {
      cniVersion: version,
      ip4: { ip: '10.1.2.3/24', gateway: '10.1.2.1', routes: [{ dst: '0.0.0.0/0', gw: '10.1.2.1' }] },
      ip6: { ip: '2001:db8::3/64', routes: [{ dst: '::/0', gw: '2001:db8::1' }] },
      dns,
    });
  }
  const ips: JsonObject[] = [
    { address: '10.1.2.3/24', gateway: '10.1.2.1', interface: 0 },
    { address: '2001:db8::3/64', interface: 0 },
  ];
  return createResult(version, {
    cniVersion: version,
    interfaces: [{ name: 'eth0', mac: '00:11:22:33:44:55', sandbox: '/var/run/netns/x' }],
    ips: family(version) === '040' ? ips.map((ip, k) => ({ version: k === 0 ? '4' : '6', ...ip })) : ips,
    routes: [
      { dst: '0.0.0.0/0', gw: '10.1.2.1' },
      { dst: '::/0', gw: '2001:db8::1' },
    ],
    dns,
  });
}

/** What survives any conversion: the two addresses, the default routes and the DNS. */
function essentials(r: Result): unknown {
  const v100 = toCurrentResult(r);
  return {
    ips: v100.ips?.map((ip) => [ip.address, ip.gateway ?? null]),
    routes: v100.routes?.map((rt) => [rt.dst, rt.gw ?? null]),
    dns: v100.dns,
  };
}

describe('result conversion matrix', () => {
  for (const from of VERSIONS) {
    for (const to of VERSIONS) {
      it(`${from} -> ${to}`, () => {
        const src = sample(from);
        const out = convertResult(src, to);
        assert.equal(out.cniVersion, to);
        if (from === to) assert.equal(out, src, 'the same version gives back the same object');
        assert.deepEqual(essentials(out), essentials(src));
        // What it prints is a valid result of the target version.
        const reread = resultFromBytes(printResult(out));
        assert.equal(reread.cniVersion, to);
        assert.equal(printResult(reread), printResult(out));
      });
    }
  }

  it('keeps the source untouched', () => {
    const src = sample('1.1.0');
    const before = JSON.stringify(src);
    convertResult(src, '0.2.0');
    convertResult(src, '0.4.0');
    assert.equal(JSON.stringify(src), before);
  });

  it('treats an empty target version as 0.1.0', () => {
    assert.equal(convertResult(sample('1.1.0'), '').cniVersion, '0.1.0');
  });
});

describe('lossy conversions', () => {
  it('converts the worked example of 0.4.0 to 0.1.0 (first address per family, routes by family, dst/gw only)', () => {
    const r = createResult('0.4.0', {
      cniVersion: '0.4.0',
      ips: [
        { version: '6', address: '2001:db8::5/64' },
        { version: '4', address: '10.1.2.3/24' },
        { version: '4', address: '10.9.9.9/24' },
      ],
      routes: [{ dst: '10.0.0.0/8', gw: '10.1.2.1', mtu: 1400, advmss: 1300, priority: 5, table: 100, scope: 253 }],
    });
    assert.equal(
      JSON.stringify(resultToJSON(convertResult(r, '0.1.0'))),
      '{"cniVersion":"0.1.0","ip4":{"ip":"10.1.2.3/24","routes":[{"dst":"10.0.0.0/8","gw":"10.1.2.1"}]},"ip6":{"ip":"2001:db8::5/64"},"dns":{}}',
    );
  });

  it('drops routes whose family has no address', () => {
    const r = createResult('1.1.0', {
      cniVersion: '1.1.0',
      ips: [{ address: '10.1.2.3/24' }],
      routes: [{ dst: '::/0' }, { dst: '192.168.0.0/16' }],
    });
    assert.deepEqual((convertResult(r, '0.2.0') as Result020).ip4?.routes, [{ dst: '192.168.0.0/16' }]);
    assert.equal((convertResult(r, '0.2.0') as Result020).ip6, undefined);
  });

  it('drops interface mtu, socketPath and pciID going below 1.0.0, and keeps route extras', () => {
    const r = createResult('1.1.0', {
      cniVersion: '1.1.0',
      interfaces: [{ name: 'eth0', mtu: 9000, socketPath: '/s', pciID: '0000:04:00.5' }],
      ips: [{ address: '10.1.2.3/24' }],
      routes: [{ dst: '10.0.0.0/8', mtu: 1400, table: 0 }],
    });
    const r040 = convertResult(r, '0.4.0') as Result040;
    assert.deepEqual(r040.interfaces, [{ name: 'eth0' }]);
    assert.deepEqual(r040.routes, [{ dst: '10.0.0.0/8', mtu: 1400, table: 0 }]);
    assert.deepEqual((convertResult(r040, '1.1.0') as Result100).interfaces, [{ name: 'eth0' }]);
  });

  it('drops ips[].version going to 1.x and adds it back from the address family', () => {
    const r = createResult('0.4.0', { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.1.2.3/24' }] });
    const r100 = convertResult(r, '1.0.0') as Result100;
    assert.deepEqual(r100.ips, [{ address: '10.1.2.3/24' }]);
    assert.equal(printResult(r100), '{\n    "cniVersion": "1.0.0",\n    "ips": [\n        {\n            "address": "10.1.2.3/24"\n        }\n    ]\n}');
  });

  it('counts an IPv4-mapped IPv6 address as version "4" and prints it as IPv4', () => {
    const r = createResult('1.1.0', { cniVersion: '1.1.0', ips: [{ address: '::ffff:10.1.2.3/120' }] }) as Result100;
    assert.equal(r.ips?.[0]?.address, '10.1.2.3/24');
    const r040 = convertResult(r, '0.4.0') as Result040;
    assert.equal(r040.ips?.[0]?.version, '4');
    assert.equal((convertResult(r, '0.2.0') as Result020).ip4?.ip, '10.1.2.3/24');
  });
});

describe('round trips', () => {
  const base = {
    cniVersion: '0.2.0',
    ip4: { ip: '1.2.3.30/24', gateway: '1.2.3.1', routes: [{ dst: '15.5.6.0/24', gw: '15.5.6.8' }] },
    ip6: { ip: 'abcd:1234:ffff::cdde/64', gateway: 'abcd:1234:ffff::1', routes: [{ dst: '1111:dddd::/80', gw: '1111:dddd::aaaa' }] },
    dns: { nameservers: ['1.2.3.4', '1::cafe'], domain: 'acompany.com', search: ['somedomain.com', 'otherdomain.net'], options: ['foo', 'bar'] },
  };

  it('0.2.0 -> 0.4.0 -> 0.2.0 with route gateways', () => {
    const orig = createResult('0.2.0', base);
    const back = convertResult(convertResult(orig, '0.4.0'), '0.2.0');
    assert.equal(printResult(back), printResult(orig));
  });

  it('0.2.0 -> 0.4.0 -> 0.2.0 without route gateways', () => {
    const noGw = { ...base, ip4: { ...base.ip4, routes: [{ dst: '15.5.6.0/24' }] }, ip6: { ...base.ip6, routes: [{ dst: '1111:dddd::/80' }] } };
    const orig = createResult('0.2.0', noGw);
    const back = convertResult(convertResult(orig, '0.4.0'), '0.2.0');
    assert.equal(printResult(back), printResult(orig));
    assert.doesNotMatch(printResult(back), /"gw"/);
  });

  it('1.1.0 -> 1.0.0 -> 1.1.0 is the identity', () => {
    const orig = sample('1.1.0');
    const r100 = convertResult(orig, '1.0.0');
    assert.equal(r100.cniVersion, '1.0.0');
    assert.deepEqual(convertResult(r100, '1.1.0'), orig);
  });

  it('0.1.0 <-> 0.2.0 only relabels', () => {
    const orig = sample('0.1.0');
    assert.deepEqual(convertResult(convertResult(orig, '0.2.0'), '0.1.0'), orig);
  });
});

describe('conversion refusals', () => {
  for (const from of ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']) {
    for (const to of ['0.1.0', '0.2.0', '']) {
      it(`${from} without addresses -> ${JSON.stringify(to)} fails`, () => {
        const r = createResult(from, { cniVersion: from, interfaces: [{ name: 'lo' }] });
        assert.throws(() => convertResult(r, to), { message: 'cannot convert: no valid IP addresses' });
      });
    }
  }

  it('converts an address-less 0.1.0 result upwards', () => {
    const empty = resultFromBytes('{}');
    assert.equal(convertResult(empty, '0.2.0').cniVersion, '0.2.0');
    assert.equal(printResult(convertResult(empty, '1.1.0')), '{\n    "cniVersion": "1.1.0"\n}');
  });

  it('names both versions when there is no converter', () => {
    assert.throws(() => convertResult(sample('1.1.0'), '1.2.0'), { message: 'no converter for CNI result version 1.1.0 to 1.2.0' });
    assert.throws(() => convertResult(sample('0.4.0'), '0.5.0'), { message: 'no converter for CNI result version 0.4.0 to 0.5.0' });
    assert.throws(() => convertResult({ cniVersion: '0.5.0' }, '1.1.0'), { message: 'no converter for CNI result version 0.5.0 to 1.1.0' });
  });
});

describe('effectiveVersion', () => {
  it('assumes the newest version of the shape for a result without one, as GetAsVersion does', () => {
    assert.equal(effectiveVersion({ cniVersion: '', ip4: { ip: '10.0.0.2/24' } }), '0.2.0');
    assert.equal(effectiveVersion({ cniVersion: '', ips: [{ version: '4', address: '10.0.0.2/24' }] }), '0.4.0');
    assert.equal(effectiveVersion({ cniVersion: '', ips: [{ address: '10.0.0.2/24' }] }), '1.1.0');
    assert.equal(effectiveVersion({ cniVersion: '0.3.0' }), '0.3.0');
  });
});
