import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bridgePortRequest, bridgeVlanRequest } from '@tscni/netlink/rtnl/bridge';
import { ifInfoMsg } from '@tscni/netlink/rtnl/codec';
import type { AttrInput } from '@tscni/netlink/rtnl/attrs';
import type { RtnlSocket } from '@tscni/netlink/rtnl/socket';
import { CniError } from '@tscni/spec/errors';
import type { Result100 } from '@tscni/spec/result-types';
import { renderNftBatch } from '../../netfilter/nftables.js';
import { loadBridgeConf, validateForAdd } from './config.js';
import { calcGateways, gatewayOf } from './gateways.js';
import { attachPort } from './host-side.js';
import { spoofCheckSetupBatch, spoofCheckTeardownBatch } from './spoofcheck.js';

const RTM_SETLINK = 19;
const RTM_DELLINK = 17;
const RTM_GETLINK = 18;

const base = { cniVersion: '1.0.0', name: 'mynet', type: 'bridge' };
const load = (extra: Record<string, unknown>, cniArgs = '') => loadBridgeConf(JSON.stringify({ ...base, ...extra }), cniArgs);
const fails = (fn: () => unknown, code: number, msg: string | RegExp) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CniError, String(e));
    assert.equal(e.code, code);
    if (typeof msg === 'string') assert.equal(e.message, msg);
    else assert.match(e.message, msg);
    return true;
  });

describe('bridge config', () => {
  it('has the reference defaults', () => {
    const c = load({});
    assert.equal(c.bridge, 'cni0');
    assert.deepEqual(
      [c.isGateway, c.isDefaultGateway, c.forceAddress, c.ipMasq, c.hairpinMode, c.promiscMode, c.preserveDefaultVlan, c.macspoofchk, c.enabledad, c.disableContainerInterface, c.portIsolation],
      Array(11).fill(false),
    );
    assert.equal(c.mtu, 0);
    assert.equal(c.vlan, 0);
    assert.deepEqual(c.trunkVlans, []);
    assert.equal(c.ipMasqBackend, undefined);
    assert.equal(c.mac, undefined);
    assert.equal(c.ipamType, '');
    assert.equal(c.dnsSet, false);
  });

  it('reads keys without regard to case, and isDefaultGateway implies isGateway', () => {
    const c = load({ Bridge: 'br9', ISDEFAULTGATEWAY: true, MTU: 1400, ipam: { type: 'host-local' } });
    assert.equal(c.bridge, 'br9');
    assert.equal(c.isGateway, true);
    assert.equal(c.mtu, 1400);
    assert.equal(c.ipamType, 'host-local');
  });

  it('checks the VLAN ID with the reference message, code 7', () => {
    fails(() => load({ vlan: 4095 }), 7, 'invalid VLAN ID 4095 (must be between 0 and 4094)');
    fails(() => load({ vlan: -1 }), 7, 'invalid VLAN ID -1 (must be between 0 and 4094)');
    assert.equal(load({ vlan: 4094 }).vlan, 4094);
  });

  it('collects trunk VLANs sorted and unique, with the reference errors', () => {
    const c = load({ vlanTrunk: [{ minID: 200, maxID: 203 }, { id: 101 }, { id: 201 }, { minID: 5, maxID: 5, id: 7 }] });
    assert.deepEqual(c.trunkVlans, [5, 7, 101, 200, 201, 202, 203]);
    assert.equal(c.vlanTrunkGiven, true);
    fails(() => load({ vlanTrunk: [{ minID: 0, maxID: 10 }] }), 7, 'incorrect trunk minID parameter');
    fails(() => load({ vlanTrunk: [{ minID: 1, maxID: 4095 }] }), 7, 'incorrect trunk maxID parameter');
    fails(() => load({ vlanTrunk: [{ minID: 10, maxID: 9 }] }), 7, 'minID is greater than maxID in trunk parameter');
    fails(() => load({ vlanTrunk: [{ maxID: 9 }] }), 7, 'minID and maxID should be configured simultaneously, minID is missing');
    fails(() => load({ vlanTrunk: [{ minID: 9 }] }), 7, 'minID and maxID should be configured simultaneously, maxID is missing');
    fails(() => load({ vlanTrunk: [{ id: 0 }] }), 7, 'incorrect trunk id parameter');
    fails(() => load({ vlanTrunk: [{ id: 4095 }] }), 7, 'incorrect trunk id parameter');
    // The reference panics on a null entry.
    fails(() => load({ vlanTrunk: [null] }), 7, /vlanTrunk\.0: expected an object/);
    fails(() => load({ vlanTrunk: [{ id: 1.5 }] }), 7, /vlanTrunk\.0\.id: expected an integer/);
  });

  it('an empty trunk list still asks for vlan_filtering, as in the reference', () => {
    const c = load({ vlanTrunk: [] });
    assert.equal(c.vlanTrunkGiven, true);
    assert.deepEqual(c.trunkVlans, []);
  });

  it('takes the container MAC from CNI_ARGS, then args.cni.mac, then runtimeConfig.mac', () => {
    assert.equal(load({}, 'MAC=0a:00:00:00:00:01').mac, '0a:00:00:00:00:01');
    assert.equal(load({ args: { cni: { mac: '0a:00:00:00:00:02' } } }, 'MAC=0a:00:00:00:00:01').mac, '0a:00:00:00:00:02');
    assert.equal(load({ args: { cni: { mac: '0a:00:00:00:00:02' } }, runtimeConfig: { mac: '0A:00:00:00:00:03' } }, 'MAC=0a:00:00:00:00:01').mac, '0a:00:00:00:00:03');
    fails(() => load({}, 'MAC=zz'), 7, 'invalid MAC address "zz" in CNI_ARGS MAC');
    fails(() => load({ runtimeConfig: { mac: '0a:00' } }), 7, 'invalid MAC address "0a:00" in runtimeConfig.mac');
    fails(() => load({}, 'FOO=1'), 4, 'ARGS: unknown args ["FOO=1"]');
    assert.equal(load({}, 'IgnoreUnknown=1;FOO=1').mac, undefined);
  });

  it('refuses bad field types, bad names and backends with code 7', () => {
    fails(() => load({ mtu: '1400' }), 7, 'config field mtu: expected a number, got string');
    fails(() => load({ isGateway: 'yes' }), 7, 'config field isGateway: expected a boolean, got string');
    fails(() => load({ bridge: 'a/b' }), 7, /config field bridge: "a\/b" is not a valid interface name/);
    fails(() => load({ bridge: 'averyveryverylongname' }), 7, /not a valid interface name/);
    fails(() => load({ ipMasqBackend: 'ebtables' }), 7, 'unknown ipmasq backend "ebtables"');
  });

  it('refuses hairpin with promiscuous mode, and IPAM with disableContainerInterface', () => {
    fails(() => validateForAdd(load({ hairpinMode: true, promiscMode: true })), 7, 'cannot set hairpin mode and promiscuous mode at the same time');
    fails(() => validateForAdd(load({ disableContainerInterface: true, ipam: { type: 'host-local' } })), 7, 'cannot use IPAM when DisableContainerInterface flag is set');
    validateForAdd(load({ disableContainerInterface: true }));
  });

  it('reads the config DNS; an empty list counts as set', () => {
    assert.equal(load({ dns: { nameservers: [] } }).dnsSet, true);
    assert.deepEqual(load({ dns: { Nameservers: ['10.0.0.53'] } }).dns, { nameservers: ['10.0.0.53'] });
    assert.equal(load({ dns: { domain: '' } }).dnsSet, false);
  });
});

describe('bridge gateways', () => {
  it('computes the first address of the subnet', () => {
    assert.equal(gatewayOf('10.22.0.7/16'), '10.22.0.1');
    assert.equal(gatewayOf('10.22.3.255/24'), '10.22.3.1');
    assert.equal(gatewayOf('fd00:1::abcd/64'), 'fd00:1::1');
    assert.equal(gatewayOf('::ffff:10.1.2.3/120'), '10.1.2.1');
  });

  it('sets interface 2, fills gateways and adds one default route per family', () => {
    const r: Result100 = {
      cniVersion: '1.1.0',
      ips: [{ address: '10.22.0.2/16' }, { address: '10.23.0.2/24', gateway: '10.23.0.254' }, { address: 'fd00::2/64' }],
      routes: [{ dst: '::/0' }],
    };
    const [v4, v6] = calcGateways(r, { isGateway: true, isDefaultGateway: true });
    assert.deepEqual(
      r.ips!.map((i) => [i.interface, i.gateway]),
      [
        [2, '10.22.0.1'],
        [2, '10.23.0.254'],
        [2, 'fd00::1'],
      ],
    );
    // A default route without a gateway does not count: the reference adds one with the gateway.
    assert.deepEqual(r.routes, [{ dst: '::/0' }, { dst: '0.0.0.0/0', gw: '10.22.0.1' }, { dst: '::/0', gw: 'fd00::1' }]);
    assert.deepEqual(v4, { family: 4, gateways: [{ ip: '10.22.0.1', prefix: 16 }, { ip: '10.23.0.254', prefix: 24 }] });
    assert.deepEqual(v6, { family: 6, gateways: [{ ip: 'fd00::1', prefix: 64 }] });
  });

  it('keeps an IPAM default route with a gateway, and leaves gateways alone without isGateway', () => {
    const r: Result100 = { cniVersion: '1.1.0', ips: [{ address: '10.22.0.2/16' }], routes: [{ dst: '0.0.0.0/0', gw: '10.22.0.9' }] };
    assert.deepEqual(calcGateways(r, { isGateway: true, isDefaultGateway: true })[0].gateways, [{ ip: '10.22.0.1', prefix: 16 }]);
    assert.equal(r.routes!.length, 1);
    const plain: Result100 = { cniVersion: '1.1.0', ips: [{ address: '10.22.0.2/16' }] };
    const [v4] = calcGateways(plain, { isGateway: false, isDefaultGateway: false });
    assert.equal(plain.ips![0]!.gateway, undefined);
    assert.deepEqual(v4.gateways, []);
  });
});

describe('bridge MAC spoof check rules', () => {
  it('are the reference ruleset (section 1.5), and re-running replaces the PREROUTING jump', () => {
    const cmds = renderNftBatch(spoofCheckSetupBatch('vethb4bbbfec', '82:b9:a2:e8:34:52', 'sp1', 'eth0'), new Map());
    const comment = 'macspoofchk-sp1-eth0';
    assert.deepEqual(cmds, [
      { add: { table: { family: 'bridge', name: 'nat' } } },
      { add: { chain: { family: 'bridge', table: 'nat', name: 'PREROUTING', type: 'filter', hook: 'prerouting', prio: -300, policy: 'accept' } } },
      { add: { chain: { family: 'bridge', table: 'nat', name: 'cni-br-iface-sp1-eth0' } } },
      { add: { chain: { family: 'bridge', table: 'nat', name: 'cni-br-iface-sp1-eth0-mac' } } },
      { flush: { chain: { family: 'bridge', table: 'nat', name: 'cni-br-iface-sp1-eth0' } } },
      { flush: { chain: { family: 'bridge', table: 'nat', name: 'cni-br-iface-sp1-eth0-mac' } } },
      {
        add: {
          rule: {
            family: 'bridge',
            table: 'nat',
            chain: 'PREROUTING',
            comment,
            expr: [{ match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'vethb4bbbfec' } }, { jump: { target: 'cni-br-iface-sp1-eth0' } }],
          },
        },
      },
      { add: { rule: { family: 'bridge', table: 'nat', chain: 'cni-br-iface-sp1-eth0', comment, expr: [{ jump: { target: 'cni-br-iface-sp1-eth0-mac' } }] } } },
      {
        add: {
          rule: {
            family: 'bridge',
            table: 'nat',
            chain: 'cni-br-iface-sp1-eth0-mac',
            comment,
            expr: [{ match: { op: '==', left: { payload: { protocol: 'ether', field: 'saddr' } }, right: '82:b9:a2:e8:34:52' } }, { return: null }],
          },
        },
      },
      { add: { rule: { family: 'bridge', table: 'nat', chain: 'cni-br-iface-sp1-eth0-mac', comment, expr: [{ drop: null }] } } },
    ]);
    const listed = new Map([
      [
        'bridge nat',
        {
          family: 'bridge' as const,
          name: 'nat',
          chains: new Map([
            ['PREROUTING', { name: 'PREROUTING', handle: 1, rules: [{ family: 'bridge' as const, table: 'nat', chain: 'PREROUTING', handle: 7, comment, expr: [] }] }],
            ['cni-br-iface-sp1-eth0', { name: 'cni-br-iface-sp1-eth0', handle: 2, rules: [] }],
            ['cni-br-iface-sp1-eth0-mac', { name: 'cni-br-iface-sp1-eth0-mac', handle: 3, rules: [] }],
          ]),
        },
      ],
    ]);
    const again = renderNftBatch(spoofCheckSetupBatch('vethb4bbbfec', '82:b9:a2:e8:34:52', 'sp1', 'eth0'), listed);
    assert.deepEqual(again[6], { delete: { rule: { family: 'bridge', table: 'nat', chain: 'PREROUTING', handle: 7 } } });
    assert.deepEqual(renderNftBatch(spoofCheckTeardownBatch('sp1', 'eth0'), listed), [
      { delete: { rule: { family: 'bridge', table: 'nat', chain: 'PREROUTING', handle: 7 } } },
      { flush: { chain: { family: 'bridge', table: 'nat', name: 'cni-br-iface-sp1-eth0' } } },
      { delete: { chain: { family: 'bridge', table: 'nat', name: 'cni-br-iface-sp1-eth0' } } },
      { flush: { chain: { family: 'bridge', table: 'nat', name: 'cni-br-iface-sp1-eth0-mac' } } },
      { delete: { chain: { family: 'bridge', table: 'nat', name: 'cni-br-iface-sp1-eth0-mac' } } },
    ]);
    assert.deepEqual(renderNftBatch(spoofCheckTeardownBatch('sp1', 'eth0'), new Map()), [], 'nothing to do when the table is gone');
  });
});

interface Sent {
  type: number;
  body: Uint8Array;
  attrs: readonly AttrInput[];
}

/** A socket that records requests and answers dumps with nothing (no VLANs on the port). */
function recordingSocket(): { rt: RtnlSocket; sent: Sent[] } {
  const sent: Sent[] = [];
  const rt = {
    request: (type: number, _flags: number, body: Uint8Array, attrs: readonly AttrInput[] = []) => {
      sent.push({ type, body, attrs });
      return [];
    },
    dump: (type: number, body: Uint8Array, attrs: readonly AttrInput[] = []) => {
      sent.push({ type, body, attrs });
      return [];
    },
  } as unknown as RtnlSocket;
  return { rt, sent };
}

const request = (type: number, r: { header: Parameters<typeof ifInfoMsg.encode>[0]; attrs: AttrInput[] }): Sent => ({ type, body: ifInfoMsg.encode(r.header), attrs: r.attrs });

describe('bridge port requests (VLANs need vlan_filtering, so their kernel tests run in the qemu lane, #5)', () => {
  const PORT = 7;
  const BR = { index: 3, name: 'cni0' };
  const master = (s: Sent) => s.type === RTM_SETLINK && s.body[0] === 0;

  it('without VLANs: master, hairpin, isolation and nothing else', () => {
    const { rt, sent } = recordingSocket();
    attachPort(rt, PORT, BR, { hairpin: true, isolated: false, vlan: 0, trunk: [], preserveDefaultVlan: false });
    assert.equal(sent.length, 3);
    assert.ok(master(sent[0]!));
    assert.deepEqual(sent[1], request(RTM_SETLINK, bridgePortRequest(PORT, { hairpin: true })));
    assert.deepEqual(sent[2], request(RTM_SETLINK, bridgePortRequest(PORT, { isolated: false })));
  });

  it('vlan: the port VLANs are listed for removal, then the PVID goes on untagged', () => {
    const { rt, sent } = recordingSocket();
    attachPort(rt, PORT, BR, { hairpin: false, isolated: true, vlan: 100, trunk: [], preserveDefaultVlan: false });
    assert.equal(sent[3]!.type, RTM_GETLINK, 'the AF_BRIDGE VLAN dump');
    assert.deepEqual(sent.slice(4), [request(RTM_SETLINK, bridgeVlanRequest(PORT, 100, { pvid: true, untagged: true, master: true }))]);
  });

  it('trunk without vlan: tagged VIDs, then VLAN 1 as native; preserveDefaultVlan skips the removal', () => {
    const { rt, sent } = recordingSocket();
    attachPort(rt, PORT, BR, { hairpin: false, isolated: false, vlan: 0, trunk: [101, 200], preserveDefaultVlan: true });
    assert.deepEqual(sent.slice(3), [
      request(RTM_SETLINK, bridgeVlanRequest(PORT, 101, { master: true })),
      request(RTM_SETLINK, bridgeVlanRequest(PORT, 200, { master: true })),
      request(RTM_SETLINK, bridgeVlanRequest(PORT, 1, { pvid: true, untagged: true, master: true })),
    ]);
    assert.ok(!sent.some((s) => s.type === RTM_DELLINK));
  });

  it('vlan with trunk: PVID then tagged VIDs, no VLAN 1', () => {
    const { rt, sent } = recordingSocket();
    attachPort(rt, PORT, BR, { hairpin: false, isolated: false, vlan: 100, trunk: [101], preserveDefaultVlan: false });
    assert.deepEqual(sent.slice(4), [
      request(RTM_SETLINK, bridgeVlanRequest(PORT, 100, { pvid: true, untagged: true, master: true })),
      request(RTM_SETLINK, bridgeVlanRequest(PORT, 101, { master: true })),
    ]);
  });
});
