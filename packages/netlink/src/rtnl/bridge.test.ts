import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AttrSet, NLA_F_NESTED, attr, encodeAttrs, parseAttrs } from './attrs.js';
import { addBridgeVlan, bridgePortRequest, bridgeVlanRequest, deleteBridgeVlan, listBridgeVlans, setBridgePort } from './bridge.js';
import { IFLA_BRIDGE_FLAGS, IFLA_BRIDGE_VLAN_INFO, bridgeVlanInfoBytes, decodeBridgePort, decodeBridgeVlans, BRIDGE_VLAN_INFO_RANGE_BEGIN, BRIDGE_VLAN_INFO_RANGE_END } from './bridge-port.js';
import { encodeBody, ifInfoMsg } from './codec.js';
import { AF_BRIDGE } from './constants.js';
import { RtnlError } from './errors.js';
import { IFLA_AF_SPEC, IFLA_PROTINFO } from './link-attrs.js';
import { createLink, decodeLink, getLink, setLinkMaster } from './link.js';
import { bridgeJson, ipJson, lacks, probeKernel, scratchRtnl, type ScratchRtnl } from './testing/scratch-rtnl.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('bridge port and VLAN requests', () => {
  it('port settings go in a flagged IFLA_PROTINFO nest of an AF_BRIDGE message, and decode back', () => {
    const port = { hairpin: true, isolated: false, learning: true, state: 3, priority: 32, cost: 100 };
    const { header, attrs } = bridgePortRequest(4, port);
    const payload = encodeBody(ifInfoMsg, header, attrs);
    assert.equal(hex(payload.subarray(0, 8)), '0700000004000000');
    const [protinfo] = parseAttrs(payload.subarray(16));
    assert.deepEqual([protinfo?.type, protinfo?.flags], [IFLA_PROTINFO, NLA_F_NESTED]);
    assert.equal(hex(protinfo!.value), '0500010003000000' + '0600020020000000' + '0800030064000000' + '0500040001000000' + '0500080001000000' + '0500210000000000');
    assert.deepEqual(decodeBridgePort(AttrSet.parse(protinfo!.value)), port);
    assert.deepEqual(decodeLink(payload).bridgePort, port);
  });
  it('a VLAN entry is IFLA_BRIDGE_FLAGS (when master/self is named) and bridge_vlan_info in IFLA_AF_SPEC', () => {
    const { header, attrs } = bridgeVlanRequest(4, 100, { pvid: true, untagged: true, master: true });
    assert.deepEqual([header.family, header.index], [AF_BRIDGE, 4]);
    const spec = AttrSet.parse(encodeAttrs(attrs)).nested(IFLA_AF_SPEC)!;
    assert.equal(spec.u16(IFLA_BRIDGE_FLAGS), 1);
    assert.equal(hex(spec.get(IFLA_BRIDGE_VLAN_INFO)!), '06006400');
    assert.deepEqual(decodeBridgeVlans(spec), [{ vid: 100, pvid: true, untagged: true }]);
    const tagged = AttrSet.parse(encodeAttrs(bridgeVlanRequest(4, 200).attrs)).nested(IFLA_AF_SPEC)!;
    assert.equal(tagged.has(IFLA_BRIDGE_FLAGS), false);
    assert.deepEqual(decodeBridgeVlans(tagged), [{ vid: 200, pvid: false, untagged: false }]);
    const self = AttrSet.parse(encodeAttrs(bridgeVlanRequest(4, 1, { self: true }).attrs)).nested(IFLA_AF_SPEC)!;
    assert.equal(self.u16(IFLA_BRIDGE_FLAGS), 2);
  });
  it('VLAN ranges in a dump expand', () => {
    const spec = AttrSet.parse(
      encodeAttrs([
        attr.bytes(IFLA_BRIDGE_VLAN_INFO, bridgeVlanInfoBytes(1, 6)),
        attr.bytes(IFLA_BRIDGE_VLAN_INFO, bridgeVlanInfoBytes(200, BRIDGE_VLAN_INFO_RANGE_BEGIN)),
        attr.bytes(IFLA_BRIDGE_VLAN_INFO, bridgeVlanInfoBytes(202, BRIDGE_VLAN_INFO_RANGE_END)),
      ]),
    );
    assert.deepEqual(
      decodeBridgeVlans(spec).map((v) => [v.vid, v.pvid, v.untagged]),
      [
        [1, true, true],
        [200, false, false],
        [201, false, false],
        [202, false, false],
      ],
    );
  });
});

interface SlaveData {
  hairpin?: boolean;
  isolated?: boolean;
  learning?: boolean;
}
const slaveData = (ns: string, dev: string): SlaveData =>
  ipJson<{ linkinfo?: { info_slave_data?: SlaveData } }[]>(ns, ['-d', 'link', 'show', 'dev', dev])[0]?.linkinfo?.info_slave_data ?? {};

const vlanFiltering = probeKernel((s) => createLink(s.rt, { name: 'probe', info: { kind: 'bridge', vlanFiltering: true } }));

describe('bridge ports and VLANs against the kernel', () => {
  let s: ScratchRtnl;
  before(() => {
    s = scratchRtnl();
    createLink(s.rt, { name: 'br0', info: { kind: 'bridge' } });
    createLink(s.rt, { name: 'port0', info: { kind: 'veth', peer: { name: 'peer0' } } });
    setLinkMaster(s.rt, 'port0', 'br0');
  });
  after(() => s?.remove());

  it('sets hairpin, isolated and learning on a port, as `ip -d link` and getLink report', () => {
    setBridgePort(s.rt, 'port0', { hairpin: true, isolated: true, learning: false });
    assert.deepEqual(slaveData(s.name, 'port0'), { ...slaveData(s.name, 'port0'), hairpin: true, isolated: true, learning: false });
    const port = getLink(s.rt, 'port0').bridgePort;
    assert.deepEqual([port?.hairpin, port?.isolated, port?.learning], [true, true, false]);
    setBridgePort(s.rt, 'port0', { hairpin: false, isolated: false, learning: true });
    const ip = slaveData(s.name, 'port0');
    assert.deepEqual([ip.hairpin, ip.isolated, ip.learning], [false, false, true]);
    assert.equal(getLink(s.rt, 'port0').bridgePort?.hairpin, false);
  });
  it('refuses port settings on a link that is no bridge port', () => {
    assert.throws(() => setBridgePort(s.rt, 'peer0', { hairpin: true }), (e: unknown) => e instanceof RtnlError && e.code === 'EOPNOTSUPP' && e.op === 'RTM_SETLINK');
  });
  it('lists bridge ports in the AF_BRIDGE dump', () => {
    const ports = listBridgeVlans(s.rt);
    const port0 = ports.find((p) => p.name === 'port0');
    assert.equal(port0?.masterIndex, getLink(s.rt, 'br0').index);
    assert.equal(ports.find((p) => p.name === 'peer0'), undefined);
  });
  it('adds and deletes port VLANs (pvid, untagged, tagged) as `bridge vlan` shows them', { skip: vlanFiltering ? false : lacks('bridge vlan_filtering') }, () => {
    createLink(s.rt, { name: 'brv', info: { kind: 'bridge', vlanFiltering: true } });
    createLink(s.rt, { name: 'vport0', info: { kind: 'veth', peer: { name: 'vpeer0' } } });
    setLinkMaster(s.rt, 'vport0', 'brv');
    deleteBridgeVlan(s.rt, 'vport0', 1, { master: true });
    addBridgeVlan(s.rt, 'vport0', 100, { pvid: true, untagged: true, master: true });
    addBridgeVlan(s.rt, 'vport0', 200, { master: true });
    const ours = listBridgeVlans(s.rt).find((p) => p.name === 'vport0')?.vlans;
    assert.deepEqual(ours, [
      { vid: 100, pvid: true, untagged: true },
      { vid: 200, pvid: false, untagged: false },
    ]);
    const theirs = bridgeJson<{ ifname: string; vlans: { vlan: number; flags?: string[] }[] }[]>(s.name, ['vlan', 'show', 'dev', 'vport0']);
    assert.deepEqual(
      theirs[0]?.vlans.map((v) => [v.vlan, (v.flags ?? []).includes('PVID'), (v.flags ?? []).includes('Egress Untagged')]),
      [
        [100, true, true],
        [200, false, false],
      ],
    );
    deleteBridgeVlan(s.rt, 'vport0', 200, { master: true });
    assert.deepEqual(listBridgeVlans(s.rt).find((p) => p.name === 'vport0')?.vlans, [{ vid: 100, pvid: true, untagged: true }]);
    const br = getLink(s.rt, 'brv').info;
    assert.ok(br?.kind === 'bridge' && br.vlanFiltering === true);
  });
});
