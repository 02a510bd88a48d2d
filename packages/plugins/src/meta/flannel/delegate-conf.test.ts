import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CniError } from '@tscni/spec/errors';
import type { JsonObject } from '@tscni/spec/gojson';
import { renderDelegate, type FlannelConf } from './delegate-conf.js';
import { parseSubnetEnv } from './subnet-env.js';

// The reference's flannel_linux_test.go inputs and expected delegate configs, as facts.
const IPV4 = parseSubnetEnv('FLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n');
const IPV4_TWO = parseSubnetEnv('FLANNEL_NETWORK=10.1.0.0/16,192.168.0.0/16\nFLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n');
const IPV6 = parseSubnetEnv('FLANNEL_IPV6_NETWORK=fc00::/48\nFLANNEL_IPV6_SUBNET=fc00::1/64\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n');
const DUAL = parseSubnetEnv(
  'FLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_IPV6_NETWORK=fc00::/48\nFLANNEL_IPV6_SUBNET=fc00::1/64\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n',
);

const BASE: FlannelConf = { name: 'cni-flannel', cniVersion: '' };
const USER_ROUTES: JsonObject[] = [{ dst: '10.96.0.0/12' }, { dst: '192.168.244.0/24', gw: '10.1.17.20' }];
const userIpam = (type?: string): JsonObject => ({ ...(type ? { type } : {}), 'unknown-param': 'unknown-value', routes: USER_ROUTES });

const parsed = (conf: FlannelConf, env = IPV4): JsonObject => JSON.parse(renderDelegate(conf, env).bytes) as JsonObject;

function expected(ranges: string[], routes: string[]): JsonObject {
  return {
    ipMasq: false,
    ipam: { routes: routes.map((dst) => ({ dst })), ranges: ranges.map((subnet) => [{ subnet }]), type: 'host-local' },
    isGateway: true,
    mtu: 1472,
    name: 'cni-flannel',
    type: 'bridge',
  };
}

describe('flannel delegate config', () => {
  it('equals the reference scratch files: IPv4, two IPv4 networks, IPv6 only, dual stack', () => {
    assert.deepEqual(parsed(BASE, IPV4), expected(['10.1.17.0/24'], ['10.1.0.0/16']));
    assert.deepEqual(parsed(BASE, IPV4_TWO), expected(['10.1.17.0/24'], ['10.1.0.0/16', '192.168.0.0/16']));
    assert.deepEqual(parsed(BASE, IPV6), expected(['fc00::/64'], ['fc00::/48']));
    assert.deepEqual(parsed(BASE, DUAL), expected(['10.1.17.0/24', 'fc00::/64'], ['10.1.0.0/16', 'fc00::/48']));
  });

  it("is byte for byte Go's json.Marshal of the map (compact, keys sorted)", () => {
    assert.deepEqual(renderDelegate(BASE, IPV4), {
      type: 'bridge',
      bytes:
        '{"ipMasq":false,"ipam":{"ranges":[[{"subnet":"10.1.17.0/24"}]],"routes":[{"dst":"10.1.0.0/16"}],"type":"host-local"},"isGateway":true,"mtu":1472,"name":"cni-flannel","type":"bridge"}',
    });
    assert.equal(
      renderDelegate({ ...BASE, cniVersion: '1.0.0' }, DUAL).bytes,
      '{"cniVersion":"1.0.0","ipMasq":false,"ipam":{"ranges":[[{"subnet":"10.1.17.0/24"}],[{"subnet":"fc00::/64"}]],"routes":[{"dst":"10.1.0.0/16"},{"dst":"fc00::/48"}],"type":"host-local"},"isGateway":true,"mtu":1472,"name":"cni-flannel","type":"bridge"}',
    );
  });

  it('input ipam (getDelegateIPAM): user routes first, then the networks; unknown keys and the type kept', () => {
    for (const [env, nets, ranges] of [
      [IPV4, ['10.1.0.0/16'], [[{ subnet: '10.1.17.0/24' }]]],
      [IPV6, ['fc00::/48'], [[{ subnet: 'fc00::/64' }]]],
      [DUAL, ['10.1.0.0/16', 'fc00::/48'], [[{ subnet: '10.1.17.0/24' }], [{ subnet: 'fc00::/64' }]]],
    ] as const) {
      const want = { type: 'my-ipam', 'unknown-param': 'unknown-value', routes: [...USER_ROUTES, ...nets.map((dst) => ({ dst }))], ranges };
      assert.deepEqual(parsed({ ...BASE, ipam: userIpam('my-ipam') }, env)['ipam'], want);
      assert.deepEqual(parsed({ ...BASE, ipam: userIpam() }, env)['ipam'], { ...want, type: 'host-local' });
    }
    assert.deepEqual(parsed({ ...BASE, ipam: { type: 'host-local', routes: [] } }, IPV4_TWO)['ipam'], {
      ranges: [[{ subnet: '10.1.17.0/24' }]],
      routes: [{ dst: '10.1.0.0/16' }, { dst: '192.168.0.0/16' }],
      type: 'host-local',
    });
  });

  it('user routes go through types.Route: host bits kept, canonical text, its field order, empty fields dropped', () => {
    const ipam: JsonObject = { routes: [{ Dst: 'FC00::1:0/112', gw: 'FC00::1', mtu: 0, Priority: 5, scope: 0, table: 100, advmss: 1400 }, { dst: '10.9.0.0/16', gw: '' }] };
    const bytes = renderDelegate({ ...BASE, ipam }, IPV4).bytes;
    assert.match(bytes, /"routes":\[\{"dst":"fc00::1:0\/112","gw":"fc00::1","advmss":1400,"priority":5,"table":100,"scope":0\},\{"dst":"10.9.0.0\/16"\},\{"dst":"10.1.0.0\/16"\}\]/);
    // An input ipam.subnet survives next to ranges, as in the reference (quirk 15).
    assert.equal((parsed({ ...BASE, ipam: { subnet: '10.5.0.0/16' } })['ipam'] as JsonObject)['subnet'], '10.5.0.0/16');
  });

  it('bad user routes: code 7 with the reference message chain', () => {
    const prefix = 'failed to assemble Delegate IPAM: failed to read IPAM routes: failed to parse ipam.routes: ';
    const cases: [unknown, string][] = [
      [{ dst: '10.0.0.0' }, 'invalid CIDR address: 10.0.0.0'],
      [{ dst: '10.0.0.0/8', gw: 'x' }, 'invalid IP address: x'],
      [{ dst: '10.0.0.0/8', mtu: '1400' }, 'json: cannot unmarshal string into Go struct field route.mtu of type int'],
      [{ gw: '10.0.0.1' }, 'invalid CIDR address: missing dst'],
    ];
    for (const [r, msg] of cases) {
      assert.throws(
        () => renderDelegate({ ...BASE, ipam: { routes: [r] } as JsonObject }, IPV4),
        (e: unknown) => e instanceof CniError && e.code === 7 && e.msg === prefix + msg,
      );
    }
    assert.throws(() => renderDelegate({ ...BASE, ipam: { routes: {} } }, IPV4), (e: unknown) => e instanceof CniError && e.msg === `${prefix}json: cannot unmarshal object into Go value of type []types.Route`);
  });

  it("the user's delegate keys win, except name, cniVersion and runtimeConfig; isGateway only for bridge", () => {
    const d = parsed({ ...BASE, cniVersion: '0.4.0', delegate: { type: 'ptp', ipMasq: true, mtu: 1400, cniVersion: '0.3.1', hairpinMode: true, isDefaultGateway: true, runtimeConfig: { a: 1 } }, runtimeConfig: { portMappings: [] } });
    assert.deepEqual(d, {
      cniVersion: '0.4.0',
      hairpinMode: true,
      ipMasq: true,
      ipam: { ranges: [[{ subnet: '10.1.17.0/24' }]], routes: [{ dst: '10.1.0.0/16' }], type: 'host-local' },
      isDefaultGateway: true,
      mtu: 1400,
      name: 'cni-flannel',
      runtimeConfig: { portMappings: [] },
      type: 'ptp',
    });
    // FLANNEL_IPMASQ=false: flanneld does not masquerade, so the delegate must.
    const noMasq = parseSubnetEnv('FLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n');
    const own = parsed({ ...BASE, delegate: { cniVersion: '0.3.1', isGateway: false } }, noMasq);
    assert.deepEqual([own['ipMasq'], own['mtu'], own['isGateway'], own['cniVersion']], [true, 1450, false, '0.3.1']);
    // Keys are case-sensitive (a Go map): "Type" is not "type".
    assert.equal(renderDelegate({ ...BASE, delegate: { Type: 'ptp' } }, IPV4).type, 'bridge');
  });

  it('a delegate with a non-string type, a name or an ipam: the reference messages, code 7', () => {
    const cases: [JsonObject, string][] = [
      [{ type: 5 }, "'delegate' dictionary, if present, must have (string) 'type' field"],
      [{ type: null }, "'delegate' dictionary, if present, must have (string) 'type' field"],
      [{ name: 'x' }, "'delegate' dictionary must not have 'name' field, it'll be set by flannel"],
      [{ ipam: {} }, "'delegate' dictionary must not have 'ipam' field, it'll be set by flannel"],
    ];
    for (const [delegate, msg] of cases) {
      assert.throws(
        () => renderDelegate({ ...BASE, delegate }, IPV4),
        (e: unknown) => e instanceof CniError && e.code === 7 && e.msg === msg,
      );
    }
  });
});
