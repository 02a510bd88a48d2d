/**
 * The built static plugin, run as a runtime runs it, and side by side with the Go reference
 * (/usr/lib/cni/static, v1.1.1). static touches no namespace, so CNI_NETNS names none.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { printResult } from '@tscni/spec/result-print';
import { resultFromBytes } from '@tscni/spec/result-decode';
import { REFERENCE_DIR, runPlugin, type PluginCall, type PluginOutcome } from '../../testing/run-plugin.js';

const NETNS = '/run/netns/tscni-static-test-none';

function call(command: PluginCall['command'], config: object, args = ''): PluginCall {
  return { command, config, containerID: 'ctr-static-1', netns: NETNS, ifName: 'eth0', args };
}

const ours = (c: PluginCall) => runPlugin('static', c);
const reference = (c: PluginCall) => runPlugin('static', c, REFERENCE_DIR);

/** A printed result, parsed and printed again, so that both sides' key orders and `"dns": {}` agree. */
const normalised = (o: PluginOutcome) => printResult(resultFromBytes(o.stdout));

function succeeds(o: PluginOutcome): void {
  assert.equal(o.code, 0, `${o.stdout}${o.stderr}`);
}

const dual = {
  type: 'static',
  addresses: [
    { address: '10.10.0.1/24', gateway: '10.10.0.254' },
    { address: '3ffe:ffff:0:01ff::1/64', gateway: '3ffe:ffff:0::1' },
  ],
  routes: [{ dst: '0.0.0.0/0' }, { dst: '192.168.0.0/16', gw: '10.10.5.1' }, { dst: '3ffe:ffff:0:01ff::1/64' }, { dst: '0.0.0.0/0', gw: '10.10.0.253' }],
  dns: { nameservers: ['8.8.8.8'], domain: 'example.com', search: ['example.com'], options: ['ndots:2'] },
};

describe('static plugin (built)', () => {
  it('ADD prints the configured addresses, routes and dns in the config version', () => {
    const r = ours(call('ADD', { cniVersion: '1.0.0', name: 'mynet', type: 'bridge', ipam: dual }));
    succeeds(r);
    assert.deepEqual(r.json, {
      cniVersion: '1.0.0',
      ips: [
        { address: '10.10.0.1/24', gateway: '10.10.0.254' },
        { address: '3ffe:ffff:0:1ff::1/64', gateway: '3ffe:ffff::1' },
      ],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '192.168.0.0/16', gw: '10.10.5.1' }, { dst: '3ffe:ffff:0:1ff::1/64' }, { dst: '0.0.0.0/0', gw: '10.10.0.253' }],
      dns: { domain: 'example.com', nameservers: ['8.8.8.8'], options: ['ndots:2'], search: ['example.com'] },
    });
    const old = ours(call('ADD', { cniVersion: '0.4.0', name: 'mynet', ipam: dual }));
    succeeds(old);
    assert.deepEqual((old.json?.['ips'] as { version: string }[]).map((ip) => ip.version), ['4', '6']);
  });

  it('ADD, CHECK with the result as prevResult, DEL, DEL again', () => {
    const conf = { cniVersion: '1.0.0', name: 'mynet', type: 'bridge', ipam: dual };
    const add = ours(call('ADD', conf, 'IP=10.20.0.5/16;GATEWAY=10.20.0.1'));
    succeeds(add);
    succeeds(ours(call('CHECK', { ...conf, prevResult: add.json! }, 'IP=10.20.0.5/16;GATEWAY=10.20.0.1')));
    const wrongGateway = ours(call('CHECK', { ...conf, prevResult: add.json! }, 'IP=10.20.0.5/16;GATEWAY=10.20.0.2'));
    assert.equal(wrongGateway.code, 1);
    assert.deepEqual(wrongGateway.json, { code: 999, msg: 'static: Failed to match addr 10.20.0.5 on interface eth0' });
    succeeds(ours(call('DEL', conf)));
    succeeds(ours(call('DEL', conf)));
    // DEL after the runtime lost the namespace, and DEL of a config ADD would refuse.
    succeeds(ours({ ...call('DEL', { cniVersion: '1.0.0', name: 'mynet' }), netns: '' }));
  });

  it('answers VERSION, and GC/STATUS of a 1.1.0 config with nothing', () => {
    const v = ours({ command: 'VERSION', config: {} });
    succeeds(v);
    assert.deepEqual(v.json, { cniVersion: '1.1.0', supportedVersions: ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
    for (const command of ['GC', 'STATUS'] as const) {
      const r = ours(call(command, { cniVersion: '1.1.0', name: 'mynet', ipam: dual }));
      succeeds(r);
      assert.equal(r.stdout, '');
    }
  });

  it('fails a bad config with the error JSON and exit 1, never a stack trace', () => {
    const cases: [object, string, object][] = [
      [{ cniVersion: '1.0.0', name: 'n' }, '', { code: 7, msg: "IPAM config missing 'ipam' key" }],
      [{ cniVersion: '1.0.0', name: 'n', ipam: { addresses: [{ address: '10.0.0.1' }] } }, '', { code: 7, msg: "the 'address' field is expected to be in CIDR notation, got: '10.0.0.1'", details: 'ipam.addresses.0.address' }],
      [{ cniVersion: '1.0.0', name: 'n', ipam: { routes: [{ dst: '::/0', gw: 'nope' }] } }, '', { code: 7, msg: 'invalid IP address: nope', details: 'ipam.routes.0.gw' }],
      [{ cniVersion: '1.0.0', name: 'n', ipam: { type: 5 } }, '', { code: 7, msg: 'config field ipam.type: expected a string, got number' }],
      [{ cniVersion: '1.0.0', name: 'n', ipam: {} }, 'FOO=1', { code: 4, msg: 'ARGS: unknown args ["FOO=1"]', details: 'CNI_ARGS' }],
      [{ cniVersion: '0.2.0', name: 'n', ipam: {} }, 'IP=10.0.0.1/8,10.0.0.2/8', { code: 7, msg: 'CNI version 0.2.0 does not support more than 1 address per family' }],
    ];
    for (const [conf, args, error] of cases) {
      const r = ours(call('ADD', conf, args));
      assert.equal(r.code, 1, r.stdout);
      assert.deepEqual(r.json, error);
      assert.equal(r.stderr, '');
    }
    const undecodable = ours({ ...call('ADD', {}), config: '{"cniVersion":"1.0.0","name":"n","ipam":{' });
    assert.equal(undecodable.code, 1);
    assert.equal(undecodable.json?.['code'], 6);
    assert.doesNotMatch(undecodable.stdout + undecodable.stderr, /\n\s+at /);
  });
});

describe('static plugin against the reference', () => {
  const cases: { what: string; config: object; args?: string }[] = [
    { what: 'IPv4 (0.3.1)', config: { cniVersion: '0.3.1', name: 'n', ipam: { type: 'static', addresses: [{ address: '192.168.7.9/24', gateway: '192.168.7.1' }] } } },
    {
      what: 'IPv6 with a route (0.4.0)',
      config: { cniVersion: '0.4.0', name: 'n', ipam: { type: 'static', addresses: [{ address: 'FD00:0:0:0:0:0:0:5/64', gateway: 'fd00::1' }], routes: [{ dst: '::/0' }] } },
    },
    { what: 'both families with routes and dns (1.0.0)', config: { cniVersion: '1.0.0', name: 'n', type: 'bridge', ipam: dual } },
    { what: 'one per family with routes of both (0.2.0)', config: { cniVersion: '0.2.0', name: 'n', ipam: { ...dual, routes: dual.routes.slice(0, 3) } } },
    { what: 'one IPv4 address (0.1.0)', config: { cniVersion: '0.1.0', name: 'n', ipam: { addresses: [{ address: '10.1.2.3/8' }], routes: [{ dst: '0.0.0.0/0', gw: '10.0.0.1' }] } } },
    {
      what: 'CNI_ARGS IP and GATEWAY appended to configured addresses (1.0.0)',
      config: { cniVersion: '1.0.0', name: 'n', ipam: { type: 'static', addresses: [{ address: '10.10.0.1/24' }, { address: '10.10.1.1/24', gateway: '10.10.1.254' }] } },
      args: 'IgnoreUnknown=1;K8S_POD_NAME=p;IP=10.10.1.5/24, 10.10.2.5/24,fd00::5/64;GATEWAY=10.10.1.1,fd00::1,10.10.0.9,10.10.1.2',
    },
    { what: 'CNI_ARGS only (0.4.0)', config: { cniVersion: '0.4.0', name: 'n', ipam: { type: 'static' } }, args: 'IP=10.10.0.1/24,11.11.0.1/24;GATEWAY=10.10.0.254' },
    {
      what: 'runtimeConfig ips over args.cni.ips over CNI_ARGS (1.0.0)',
      config: {
        cniVersion: '1.0.0',
        name: 'n',
        capabilities: { ips: true },
        ipam: { type: 'static', routes: [{ dst: '0.0.0.0/0', gw: '10.10.0.254' }, { dst: '3ffe:ffff:0:01ff::1/64', gw: '3ffe:ffff:0::1' }], dns: { nameservers: ['8.8.8.8'] } },
        RuntimeConfig: { ips: ['10.10.0.1/24', '3ffe:ffff:0:01ff::1/64'] },
        args: { cni: { ips: ['10.10.0.2/24', '3ffe:ffff:0:01ff::2/64'] } },
      },
      args: 'IP=10.10.0.3/24,11.11.0.3/24;GATEWAY=10.10.0.254',
    },
    { what: 'args.cni.ips (0.3.0)', config: { cniVersion: '0.3.0', name: 'n', ipam: { addresses: [{ address: '1.1.1.1/32' }] }, args: { cni: { ips: ['10.10.0.2/24', '::ffff:10.9.0.2/120'] } } } },
    { what: 'keys in other cases and an IPv4-mapped address (1.0.0)', config: { cniVersion: '1.0.0', name: 'n', IPAM: { Addresses: [{ ADDRESS: '::ffff:10.1.2.3/120', Gateway: '::ffff:10.1.2.1' }], DNS: { Domain: 'd' } } } },
    { what: 'no addresses at all (1.0.0)', config: { cniVersion: '1.0.0', name: 'n', ipam: { type: 'static', routes: [{ dst: '10.0.0.0/8' }] } } },
  ];
  for (const { what, config, args } of cases) {
    it(`gives the same result: ${what}`, () => {
      const [mine, theirs] = [ours(call('ADD', config, args)), reference(call('ADD', config, args))];
      succeeds(theirs);
      succeeds(mine);
      assert.equal(normalised(mine), normalised(theirs));
    });
  }

  it('CHECK agrees: the ADD result passes, a changed gateway fails with the same message', () => {
    const config = { cniVersion: '1.0.0', name: 'n', ipam: dual };
    const prev = resultFromBytes(reference(call('ADD', config)).stdout);
    for (const side of [ours, reference]) succeeds(side(call('CHECK', { ...config, prevResult: prev })));
    const changed = { ...config, prevResult: { ...prev, ips: [{ address: '3ffe:ffff:0:1ff::1/64', gateway: 'fe80::1' }] } };
    const [mine, theirs] = [ours(call('CHECK', changed)), reference(call('CHECK', changed))];
    assert.equal(mine.code, 1);
    assert.equal(theirs.code, 1);
    assert.equal(mine.json?.['msg'], theirs.json?.['msg']);
    assert.equal(mine.json?.['msg'], 'static: Failed to match addr 3ffe:ffff:0:1ff::1 on interface eth0');
    const [noPrev, noPrevRef] = [ours(call('CHECK', config)), reference(call('CHECK', config))];
    assert.equal(noPrev.json?.['msg'], noPrevRef.json?.['msg']);
  });

  // The reference answers every one of these with code 999; tscni picks 7 (config) or 4 (CNI_ARGS).
  const errors: { what: string; config: object; args?: string }[] = [
    { what: 'missing ipam', config: { cniVersion: '1.0.0', name: 'n', runtimeConfig: { ips: ['10.10.0.1/24'] } } },
    { what: 'address without prefix', config: { cniVersion: '1.0.0', name: 'n', ipam: { addresses: [{ address: '10.10.0.1' }] } } },
    { what: 'CNI_ARGS IP without prefix', config: { cniVersion: '1.0.0', name: 'n', ipam: { routes: [{ dst: '0.0.0.0/0' }] } }, args: 'IP=10.10.0.1' },
    { what: 'args.cni.ips without prefix', config: { cniVersion: '1.0.0', name: 'n', ipam: {}, args: { cni: { ips: ['10.10.0.1'] } } } },
    { what: 'runtimeConfig ips without prefix', config: { cniVersion: '1.0.0', name: 'n', ipam: {}, RuntimeConfig: { ips: ['10.10.0.1'] } } },
    { what: 'bad GATEWAY', config: { cniVersion: '1.0.0', name: 'n', ipam: {} }, args: 'IP=10.10.1.5/24;GATEWAY=bad, x' },
    { what: 'unknown CNI_ARGS', config: { cniVersion: '1.0.0', name: 'n', ipam: {} }, args: 'MAC=00:11:22:33:44:55' },
    { what: 'bad address gateway', config: { cniVersion: '1.0.0', name: 'n', ipam: { addresses: [{ address: '10.0.0.2/8', gateway: 'foo' }] } } },
    { what: 'bad route dst', config: { cniVersion: '1.0.0', name: 'n', ipam: { routes: [{ dst: 'foo' }] } } },
    { what: 'two IPv4 addresses in 0.2.0', config: { cniVersion: '0.2.0', name: 'n', ipam: { addresses: [{ address: '10.0.0.2/8' }] } }, args: 'IP=10.0.0.3/8' },
  ];
  for (const { what, config, args } of errors) {
    it(`fails with the same message: ${what}`, () => {
      const [mine, theirs] = [ours(call('ADD', config, args)), reference(call('ADD', config, args))];
      assert.equal(theirs.code, 1, theirs.stdout);
      assert.equal(mine.code, 1, mine.stdout);
      assert.equal(mine.json?.['msg'], theirs.json?.['msg']);
      assert.equal(theirs.json?.['code'], 999);
      assert.ok(mine.json?.['code'] === 7 || mine.json?.['code'] === 4, mine.stdout);
    });
  }
});
