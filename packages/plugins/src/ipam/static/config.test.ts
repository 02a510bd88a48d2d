import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCmdArgs } from '@tscni/skel/cmd-args';
import { CniError } from '@tscni/spec/errors';
import { formatCIDR, formatIP } from '@tscni/spec/ip';
import { loadStaticConfig, type StaticConfig } from './config.js';
import { handlers, staticResult } from './index.js';

const conf = (ipam: unknown, extra: Record<string, unknown> = {}, cniVersion = '1.0.0') =>
  JSON.stringify({ cniVersion, name: 'n', type: 'bridge', ...(ipam === undefined ? {} : { ipam }), ...extra });

/** The addresses as text, `address[ via gateway]`. */
const addrs = (c: StaticConfig) => c.addresses.map((a) => formatCIDR(a.cidr) + (a.gateway ? ` via ${formatIP(a.gateway)}` : ''));

function fails(stdin: string, cniArgs: string, code: number, msg: string, details?: string): void {
  assert.throws(
    () => loadStaticConfig(stdin, cniArgs),
    (e: unknown) => {
      assert.ok(e instanceof CniError, String(e));
      assert.equal(e.msg, msg);
      assert.equal(e.code, code);
      if (details !== undefined) assert.equal(e.details, details);
      return true;
    },
  );
}

describe('static config', () => {
  it('reads addresses (host bits and canonical text kept), gateways, routes and dns', () => {
    const c = loadStaticConfig(
      conf({
        type: 'static',
        addresses: [
          { address: '10.10.0.1/24', gateway: '10.10.0.254' },
          { address: '3ffe:ffff:0:01ff::1/64', gateway: '3ffe:ffff:0::1' },
        ],
        routes: [{ dst: '0.0.0.0/0' }, { dst: '192.168.0.0/16', gw: '10.10.5.1' }, { dst: '3ffe:ffff:0:01ff::1/64' }],
        dns: { nameservers: ['8.8.8.8'], domain: 'example.com', search: ['example.com'], options: [] },
      }),
      '',
    );
    assert.deepEqual(addrs(c), ['10.10.0.1/24 via 10.10.0.254', '3ffe:ffff:0:1ff::1/64 via 3ffe:ffff::1']);
    assert.deepEqual(c.routes, [{ dst: '0.0.0.0/0' }, { dst: '192.168.0.0/16', gw: '10.10.5.1' }, { dst: '3ffe:ffff:0:1ff::1/64' }]);
    assert.deepEqual(c.dns, { nameservers: ['8.8.8.8'], domain: 'example.com', search: ['example.com'] });
    assert.equal(c.cniVersion, '1.0.0');
  });

  it('keeps the same destination twice (ECMP) and the 1.1.0 route fields', () => {
    const c = loadStaticConfig(
      conf({ routes: [{ dst: '0.0.0.0/0', gw: '10.0.0.1' }, { dst: '0.0.0.0/0', gw: '10.0.0.2', mtu: 1400, advmss: 1300, priority: 5, table: 0, scope: 253 }] }),
      '',
    );
    assert.deepEqual(c.routes, [
      { dst: '0.0.0.0/0', gw: '10.0.0.1' },
      { dst: '0.0.0.0/0', gw: '10.0.0.2', mtu: 1400, advmss: 1300, priority: 5, table: 0, scope: 253 },
    ]);
  });

  it('matches keys without regard to case, as Go structs do', () => {
    const c = loadStaticConfig(
      JSON.stringify({ cniVersion: '1.0.0', name: 'n', IPAM: { Addresses: [{ ADDRESS: '10.1.0.2/16', GateWay: '10.1.0.1' }], ROUTES: [{ DST: '::/0', GW: '::1' }] }, RuntimeConfig: {} }),
      '',
    );
    assert.deepEqual(addrs(c), ['10.1.0.2/16 via 10.1.0.1']);
    assert.deepEqual(c.routes, [{ dst: '::/0', gw: '::1' }]);
  });

  it('prints an IPv4-mapped address as IPv4 with the last 32 bits of its mask', () => {
    const c = loadStaticConfig(conf({ addresses: [{ address: '::ffff:10.1.2.3/120' }], routes: [{ dst: '::ffff:10.0.0.0/104' }] }), '');
    assert.deepEqual(addrs(c), ['10.1.2.3/24']);
    assert.deepEqual(c.routes, [{ dst: '10.0.0.0/8' }]);
  });

  it('appends CNI_ARGS IP (trimmed) and sets GATEWAY on those of them whose subnet holds it', () => {
    const c = loadStaticConfig(
      conf({ addresses: [{ address: '10.10.0.1/24' }, { address: '10.10.1.1/24', gateway: '10.10.1.254' }] }),
      'IP=10.10.1.5/24, 10.10.2.5/24 ,fd00::5/64;GATEWAY= 10.10.1.1,10.10.2.1,fd00::1,10.10.1.2',
    );
    // The configured addresses never take a GATEWAY, as in the reference (they are parsed after it).
    assert.deepEqual(addrs(c), [
      '10.10.0.1/24',
      '10.10.1.1/24 via 10.10.1.254',
      '10.10.1.5/24 via 10.10.1.2',
      '10.10.2.5/24 via 10.10.2.1',
      'fd00::5/64 via fd00::1',
    ]);
  });

  it('accepts unknown CNI_ARGS keys only with IgnoreUnknown, and empty IP/GATEWAY values', () => {
    assert.deepEqual(addrs(loadStaticConfig(conf({}), 'IgnoreUnknown=true;K8S_POD_NAME=x;IP=10.0.0.2/8')), ['10.0.0.2/8']);
    assert.deepEqual(addrs(loadStaticConfig(conf({}), 'IP=;GATEWAY=')), []);
  });

  it('replaces everything with args.cni.ips, and that with runtimeConfig.ips (no gateways)', () => {
    const ipam = { addresses: [{ address: '10.0.0.1/24', gateway: '10.0.0.254' }] };
    const args = { args: { cni: { ips: ['10.10.0.2/24', '3ffe:ffff:0:01ff::2/64'] } } };
    const rc = { runtimeConfig: { ips: ['10.10.0.1/24', '3ffe:ffff:0:01ff::1/64'] } };
    assert.deepEqual(addrs(loadStaticConfig(conf(ipam, args), 'IP=11.0.0.3/8;GATEWAY=11.0.0.1')), ['10.10.0.2/24', '3ffe:ffff:0:1ff::2/64']);
    assert.deepEqual(addrs(loadStaticConfig(conf(ipam, { ...args, ...rc }), 'IP=11.0.0.3/8')), ['10.10.0.1/24', '3ffe:ffff:0:1ff::1/64']);
    // Empty lists replace nothing.
    assert.deepEqual(addrs(loadStaticConfig(conf(ipam, { args: { cni: { ips: [] } }, runtimeConfig: { ips: [] } }), '')), ['10.0.0.1/24 via 10.0.0.254']);
  });

  it('does not validate configured addresses that a later source replaced, as the reference', () => {
    const c = loadStaticConfig(conf({ addresses: [{ address: 'nonsense' }] }, { runtimeConfig: { ips: ['10.1.1.1/8'] } }), '');
    assert.deepEqual(addrs(c), ['10.1.1.1/8']);
  });

  it('allows one address per family below 0.3.0, more from 0.3.0 on', () => {
    const two = { addresses: [{ address: '10.0.0.1/24' }, { address: 'fd00::1/64' }] };
    assert.equal(loadStaticConfig(conf(two, {}, '0.2.0'), '').addresses.length, 2);
    assert.equal(loadStaticConfig(conf(two, {}, '0.3.0'), 'IP=10.1.0.1/24,fd01::1/64').addresses.length, 4);
  });

  describe('errors (the reference messages; code 7 for the config, 4 for CNI_ARGS)', () => {
    it('a missing or null ipam', () => {
      fails(conf(undefined), '', 7, "IPAM config missing 'ipam' key");
      fails(conf(null), 'IP=10.10.0.1/24;GATEWAY=10.10.0.254', 7, "IPAM config missing 'ipam' key");
      fails(conf(undefined, { runtimeConfig: { ips: ['10.10.0.1/24'] } }), '', 7, "IPAM config missing 'ipam' key");
    });

    it('an address that is not a CIDR, or missing', () => {
      fails(conf({ addresses: [{ address: '10.10.0.1' }] }), '', 7, "the 'address' field is expected to be in CIDR notation, got: '10.10.0.1'", 'ipam.addresses.0.address');
      fails(conf({ addresses: [{ address: '10.10.0.1/24' }, { address: '10.10.0.1/33' }] }), '', 7, "the 'address' field is expected to be in CIDR notation, got: '10.10.0.1/33'", 'ipam.addresses.1.address');
      fails(conf({ addresses: [{ gateway: '10.0.0.1' }] }), '', 7, "the 'address' field is expected to be in CIDR notation, got: ''");
      fails(conf({ addresses: [null] }), '', 7, "the 'address' field is expected to be in CIDR notation, got: ''");
    });

    it('a gateway, route destination or route gateway that does not parse', () => {
      fails(conf({ addresses: [{ address: '10.0.0.2/24', gateway: 'foo' }] }), '', 7, 'invalid IP address: foo', 'ipam.addresses.0.gateway');
      fails(conf({ routes: [{ dst: 'foo' }] }), '', 7, 'invalid CIDR address: foo', 'ipam.routes.0.dst');
      fails(conf({ routes: [{ dst: '0.0.0.0/0' }, { dst: '1.2.3.4' }] }), '', 7, 'invalid CIDR address: 1.2.3.4', 'ipam.routes.1.dst');
      fails(conf({ routes: [{ dst: '1.2.3.4/8', gw: 'x' }] }), '', 7, 'invalid IP address: x', 'ipam.routes.0.gw');
    });

    it('a route without a destination, or null (the reference prints "<nil>" and null)', () => {
      fails(conf({ routes: [{ gw: '1.2.3.4' }] }), '', 7, 'config field ipam.routes.0.dst: is required (a string)');
      fails(conf({ routes: [null] }), '', 7, 'config field ipam.routes.0: expected an object, got null');
    });

    it('fields of the wrong type, named by path', () => {
      fails(conf('x'), '', 7, 'config field ipam: expected an object, got string');
      fails(conf({ type: 5 }), '', 7, 'config field ipam.type: expected a string, got number');
      fails(conf({ addresses: {} }), '', 7, 'config field ipam.addresses: expected an array, got object');
      fails(conf({ addresses: [5] }), '', 7, 'config field ipam.addresses.0: expected an object, got number');
      fails(conf({ addresses: [{ address: 5 }] }), '', 7, 'config field ipam.addresses.0.address: expected a string, got number');
      fails(conf({ routes: [{ dst: '::/0', mtu: 'big' }] }), '', 7, 'config field ipam.routes.0.mtu: expected a number, got string');
      fails(conf({ routes: [{ dst: '::/0', table: 1.5 }] }), '', 7, 'config field ipam.routes.0.table: expected an integer, got 1.5');
      fails(conf({ dns: { nameservers: 'x' } }), '', 7, 'config field ipam.dns.nameservers: expected an array, got string');
      fails(conf({}, { runtimeConfig: { ips: 'x' } }), '', 7, 'config field runtimeConfig.ips: expected an array, got string');
      fails(conf({}, { args: { cni: { ips: [1] } } }), '', 7, 'config field args.cni.ips.0: expected a string, got number');
    });

    it('args.cni.ips and runtimeConfig.ips entries that are not CIDRs', () => {
      fails(conf({}, { args: { cni: { ips: ['10.10.0.1'] } } }), '', 7, "an entry in the 'ips' field is NOT in CIDR notation, got: '10.10.0.1'", 'args.cni.ips');
      fails(conf({}, { RuntimeConfig: { ips: ['10.10.0.1/24', '10.10.0.1'] } }), '', 7, "an entry in the 'ips' field is NOT in CIDR notation, got: '10.10.0.1'", 'runtimeConfig.ips');
    });

    it('CNI_ARGS: malformed pairs, unknown keys, a bad IP or GATEWAY', () => {
      fails(conf({}), 'IP=10.10.0.1', 4, "the 'ip' field is expected to be in CIDR notation, got: '10.10.0.1'", 'CNI_ARGS');
      fails(conf({}), 'IP=10.10.0.1/24,', 4, "the 'ip' field is expected to be in CIDR notation, got: ''");
      fails(conf({}), 'IP=10.10.1.5/24;GATEWAY=bad, x', 4, 'invalid gateway address: bad');
      fails(conf({}), 'IP=10.10.1.5/24;GATEWAY=10.10.1.1, x', 4, 'invalid gateway address:  x');
      fails(conf({}), 'IP=10.10.1.5/24;K=1', 4, 'ARGS: unknown args ["K=1"]');
      fails(conf({}), 'IP', 4, 'ARGS: invalid pair "IP"');
      fails(conf({}), 'IgnoreUnknown=maybe', 4, 'ARGS: error parsing value of pair "IgnoreUnknown=maybe": boolean unmarshal error: invalid input maybe');
      // CNI_ARGS is read before args.cni.ips replaces what it gave, so its errors still count.
      fails(conf({}, { args: { cni: { ips: ['10.0.0.1/8'] } } }), 'ip=10.0.0.1/8', 4, 'ARGS: unknown args ["ip=10.0.0.1/8"]');
    });

    it('more than one address of a family below 0.3.0 (the raw version in the message)', () => {
      const two = { addresses: [{ address: '10.0.0.1/24' }, { address: '10.0.1.1/24' }] };
      fails(conf(two, {}, '0.2.0'), '', 7, 'CNI version 0.2.0 does not support more than 1 address per family');
      fails(conf({ addresses: [{ address: 'fd00::1/64' }] }, {}, '0.1.0'), 'IP=fd01::1/64', 7, 'CNI version 0.1.0 does not support more than 1 address per family');
      fails(JSON.stringify({ name: 'n', ipam: two }), '', 7, 'CNI version  does not support more than 1 address per family');
    });
  });
});

describe('static handlers', () => {
  const args = (stdin: string, cniArgs = '') => createCmdArgs('CHECK', { containerID: 'c1', netns: '/x', ifName: 'eth0', args: cniArgs, stdinData: stdin });

  it('ADD builds the result from the config, without interface indexes', async () => {
    const r = await handlers.add!(args(conf({ addresses: [{ address: '10.0.0.2/24', gateway: '10.0.0.1' }], routes: [{ dst: '0.0.0.0/0' }], dns: { domain: 'x' } })));
    assert.deepEqual(r, { cniVersion: '1.1.0', ips: [{ address: '10.0.0.2/24', gateway: '10.0.0.1' }], routes: [{ dst: '0.0.0.0/0' }], dns: { domain: 'x' } });
    assert.deepEqual(staticResult({ cniVersion: '1.0.0', addresses: [], routes: [], dns: {} }), { cniVersion: '1.1.0' });
  });

  it('DEL succeeds without reading anything', async () => {
    await handlers.del!(args('{"cniVersion":"1.0.0","name":"n"}'));
  });

  describe('CHECK', () => {
    const ipam = { addresses: [{ address: '10.0.0.2/24', gateway: '10.0.0.1' }, { address: 'fd00::2/64' }] };
    const prev = (ips: unknown[]) => conf(ipam, { prevResult: { cniVersion: '1.0.0', ips } });

    it('passes when the configured addresses carry their gateways, or are absent', async () => {
      await handlers.check!(args(prev([{ address: '10.0.0.2/24', gateway: '10.0.0.1' }, { address: 'fd00::2/64' }])));
      await handlers.check!(args(prev([{ address: '10.0.0.2/16', gateway: '10.0.0.1' }])));
      await handlers.check!(args(prev([{ address: '10.9.9.9/8' }, { address: 'fd00::2/64', gateway: 'fd00::1' }])));
      await handlers.check!(args(prev([])));
    });

    it('fails when a configured gateway differs or is missing from the previous result', async () => {
      for (const ips of [[{ address: '10.0.0.2/24', gateway: '10.0.0.9' }], [{ address: '10.0.0.2/24' }]]) {
        await assert.rejects(async () => handlers.check!(args(prev(ips))), (e: unknown) => {
          assert.ok(e instanceof CniError);
          assert.equal(e.msg, 'static: Failed to match addr 10.0.0.2 on interface eth0');
          assert.equal(e.code, 999);
          return true;
        });
      }
    });

    it('needs a previous result, and a valid config first', async () => {
      await assert.rejects(async () => handlers.check!(args(conf(ipam))), { code: 7, msg: 'Required prevResult missing' });
      await assert.rejects(async () => handlers.check!(args(conf(undefined, { prevResult: { cniVersion: '1.0.0' } }))), { code: 7, msg: "IPAM config missing 'ipam' key" });
    });

    it('reads the CNI_ARGS addresses too', async () => {
      const stdin = conf({}, { prevResult: { cniVersion: '1.0.0', ips: [{ address: '10.1.0.5/16', gateway: '10.1.0.9' }] } });
      await assert.rejects(async () => handlers.check!(args(stdin, 'IP=10.1.0.5/16;GATEWAY=10.1.0.1')), { code: 999 });
      await handlers.check!(args(stdin, 'IP=10.1.0.5/16;GATEWAY=10.1.0.9'));
    });
  });
});
