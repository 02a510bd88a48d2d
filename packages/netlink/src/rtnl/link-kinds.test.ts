import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AttrSet } from './attrs.js';
import { encodeBody, ifInfoMsg } from './codec.js';
import { RtnlError } from './errors.js';
import { IFLA_INFO_DATA, IFLA_INFO_KIND, IFLA_LINKINFO } from './link-attrs.js';
import type { LinkInfo } from './link-kinds.js';
import { createLink, decodeLink, getLink, newLinkRequest, type NewLink } from './link.js';
import { ipIn, ipJson, lacks, probeKernel, scratchRtnl, type ScratchRtnl } from './testing/scratch-rtnl.js';

const hex = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('hex'));

/** Encodes a create request, decodes it back; the link and the IFLA_INFO_DATA bytes. */
function roundTrip(spec: NewLink): { info: LinkInfo | undefined; kind: string | undefined; data: string | undefined } {
  const { header, attrs } = newLinkRequest(spec);
  const payload = encodeBody(ifInfoMsg, header, attrs);
  const link = decodeLink(payload);
  assert.equal(link.name, spec.name);
  const linkinfo = AttrSet.parse(payload.subarray(16)).nested(IFLA_LINKINFO);
  assert.equal(linkinfo?.string(IFLA_INFO_KIND), spec.info.kind);
  return { info: link.info, kind: link.kind, data: hex(linkinfo?.get(IFLA_INFO_DATA)) };
}

describe('link kinds: create requests encode and decode back', () => {
  it('veth with its peer (name, txqlen, MTU, MAC, namespace fd) inside VETH_INFO_PEER', () => {
    const info: LinkInfo = { kind: 'veth', peer: { name: 'p1', txQueueLen: 0, mtu: 1500, mac: '02:00:00:00:00:01', netnsFd: 7 } };
    const r = roundTrip({ name: 'eth0', info });
    assert.deepEqual(r.info, info);
    const peer = '00'.repeat(16) + '0700030070310000' + '08000d0000000000' + '08000400dc050000' + '0a000100020000000001' + '0000' + '08001c0007000000';
    assert.equal(r.data, '40000100' + peer);
    assert.deepEqual(roundTrip({ name: 'eth0', info: { kind: 'veth' } }).data, undefined);
  });
  it('bridge: STP, forward delay, ageing, vlan_filtering, default PVID, multicast snooping', () => {
    const info: LinkInfo = { kind: 'bridge', forwardDelay: 400, ageingTime: 30000, stpState: 0, vlanFiltering: true, mcastSnooping: false, vlanDefaultPvid: 1 };
    const r = roundTrip({ name: 'br0', info, mtu: 1400 });
    assert.deepEqual(r.info, info);
    assert.equal(r.data, '0800010090010000' + '0800040030750000' + '0800050000000000' + '0500070001000000' + '0500170000000000' + '0600270001000000');
  });
  it('macvlan and macvtap in every mode, with the broadcast queue length', () => {
    const modes = { private: '01', vepa: '02', bridge: '04', passthru: '08', source: '10' } as const;
    for (const [mode, byte] of Object.entries(modes) as [keyof typeof modes, string][]) {
      for (const kind of ['macvlan', 'macvtap'] as const) {
        const info: LinkInfo = { kind, mode, bcQueueLen: 1000 };
        const r = roundTrip({ name: 'mv0', info, parentIndex: 2 });
        assert.deepEqual(r.info, info);
        assert.equal(r.data, `08000100${byte}000000` + '08000700e8030000');
      }
    }
  });
  it('ipvlan modes l2/l3/l3s and flags bridge/private/vepa (u16)', () => {
    const modes = { l2: '00', l3: '01', l3s: '02' } as const;
    const flags = { bridge: '00', private: '01', vepa: '02' } as const;
    for (const [mode, m] of Object.entries(modes) as [keyof typeof modes, string][]) {
      for (const [flag, f] of Object.entries(flags) as [keyof typeof flags, string][]) {
        const info: LinkInfo = { kind: 'ipvlan', mode, flag };
        const r = roundTrip({ name: 'ipv0', info, parentIndex: 2 });
        assert.deepEqual(r.info, info);
        assert.equal(r.data, `06000100${m}000000` + `06000200${f}000000`);
      }
    }
  });
  it('vlan id and protocol (big-endian ethertype)', () => {
    const q: LinkInfo = { kind: 'vlan', id: 100, protocol: '802.1q' };
    assert.deepEqual(roundTrip({ name: 'v100', info: q, parentIndex: 2 }).info, q);
    assert.equal(roundTrip({ name: 'v100', info: q, parentIndex: 2 }).data, '0600010064000000' + '0600050081000000');
    const ad: LinkInfo = { kind: 'vlan', id: 4094, protocol: '802.1ad' };
    assert.equal(roundTrip({ name: 'v4094', info: ad, parentIndex: 2 }).data, '06000100fe0f0000' + '0600050088a80000');
    assert.deepEqual(roundTrip({ name: 'v1', info: { kind: 'vlan', id: 1 }, parentIndex: 2 }).info, { kind: 'vlan', id: 1 });
  });
  it('vxlan VNI, IPv4 and IPv6 group/local, port, dev, ttl, learning', () => {
    const v4: LinkInfo = { kind: 'vxlan', id: 42, group: '239.1.1.1', dev: 3, local: '10.1.1.1', ttl: 9, learning: false, port: 4789 };
    const r = roundTrip({ name: 'vx0', info: v4 });
    assert.deepEqual(r.info, v4);
    assert.equal(r.data, '080001002a000000' + '08000200ef010101' + '0800030003000000' + '080004000a010101' + '0500050009000000' + '0500070000000000' + '06000f0012b50000');
    const v6: LinkInfo = { kind: 'vxlan', id: 7, group: 'ff05::100', local: 'fd00::1' };
    const r6 = roundTrip({ name: 'vx1', info: v6 });
    assert.deepEqual(r6.info, v6);
    assert.equal(r6.data, '0800010007000000' + '14001000ff050000000000000000000000000100' + '14001100fd000000000000000000000000000001');
  });
  it('tun/tap type, owner, group, flags and queues (IFLA_TUN_*)', () => {
    const info: LinkInfo = { kind: 'tun', type: 'tap', owner: 1000, group: 1000, pi: false, vnetHdr: true, persist: true, multiQueue: true, numQueues: 2 };
    const r = roundTrip({ name: 'tap0', info });
    assert.deepEqual(r.info, info);
    assert.equal(
      r.data,
      '0500030002000000' + '08000100e8030000' + '08000200e8030000' + '0500040000000000' + '0500050001000000' + '0500060001000000' + '0500070001000000' + '0800080002000000',
    );
  });
  it('vrf table; dummy and ifb without IFLA_INFO_DATA', () => {
    const vrf: LinkInfo = { kind: 'vrf', table: 10 };
    assert.deepEqual(roundTrip({ name: 'vrf0', info: vrf }).info, vrf);
    assert.equal(roundTrip({ name: 'vrf0', info: vrf }).data, '080001000a000000');
    for (const kind of ['dummy', 'ifb'] as const) {
      const r = roundTrip({ name: 'x0', info: { kind } });
      assert.deepEqual(r.info, { kind });
      assert.equal(r.data, undefined);
    }
  });
  it('the link-level attributes of a create request decode back', () => {
    const { header, attrs } = newLinkRequest({ name: 'mv0', info: { kind: 'macvlan', mode: 'bridge' }, mtu: 1400, mac: '02:00:00:00:00:09', txQueueLen: 10, parentIndex: 2, masterIndex: 5, up: true });
    const link = decodeLink(encodeBody(ifInfoMsg, header, attrs));
    assert.deepEqual(
      [link.mtu, link.mac, link.txQueueLen, link.parentIndex, link.masterIndex, link.flags.up, link.kind],
      [1400, '02:00:00:00:00:09', 10, 2, 5, true, 'macvlan'],
    );
  });
  it('a kind it does not know decodes with its name and no info', () => {
    const { header, attrs } = newLinkRequest({ name: 'x', info: { kind: 'ifb' } });
    const payload = encodeBody(ifInfoMsg, header, attrs);
    const at = Buffer.from(payload).indexOf('ifb');
    payload.set(new TextEncoder().encode('wg0'), at);
    const link = decodeLink(payload);
    assert.equal(link.kind, 'wg0');
    assert.equal(link.info, undefined);
  });
});

interface IpLinkInfo {
  ifname: string;
  mtu: number;
  linkinfo?: { info_kind: string; info_data?: Record<string, unknown> };
}
const showInfo = (ns: string, name: string): IpLinkInfo => ipJson<IpLinkInfo[]>(ns, ['-d', 'link', 'show', 'dev', name])[0]!;

/** Creates a veth pair `<name>`/`<name>p` to serve as a lower device. */
const parent = (s: ScratchRtnl, name: string): number => {
  createLink(s.rt, { name, info: { kind: 'veth', peer: { name: `${name}p` } } });
  return getLink(s.rt, name).index;
};

const support = {
  ipvlan: probeKernel((s) => createLink(s.rt, { name: 'probe', parentIndex: parent(s, 'lower'), info: { kind: 'ipvlan', mode: 'l2' } })),
  vlan: probeKernel((s) => createLink(s.rt, { name: 'probe', parentIndex: parent(s, 'lower'), info: { kind: 'vlan', id: 10 } })),
  dummy: probeKernel((s) => createLink(s.rt, { name: 'probe', info: { kind: 'dummy' } })),
  vrf: probeKernel((s) => createLink(s.rt, { name: 'probe', info: { kind: 'vrf', table: 10 } })),
};

describe('link kinds against the kernel', () => {
  let s: ScratchRtnl;
  before(() => {
    s = scratchRtnl();
  });
  after(() => s?.remove());

  it('bridge with MTU, STP state, forward delay and multicast snooping', () => {
    createLink(s.rt, { name: 'br0', mtu: 1400, info: { kind: 'bridge', stpState: 1, forwardDelay: 400, mcastSnooping: false } });
    const ip = showInfo(s.name, 'br0');
    const data = ip.linkinfo?.info_data ?? {};
    assert.deepEqual([ip.mtu, data.stp_state, data.forward_delay, data.mcast_snooping], [1400, 1, 400, 0]);
    const info = getLink(s.rt, 'br0').info;
    assert.ok(info?.kind === 'bridge');
    assert.deepEqual([info.stpState, info.forwardDelay, info.mcastSnooping, info.vlanFiltering, info.ageingTime], [1, 400, false, data.vlan_filtering === 1, data.ageing_time]);
  });
  it('macvlan in modes private, vepa, bridge, passthru and source, with bcqueuelen; macvtap', () => {
    const lower = parent(s, 'low0');
    for (const mode of ['private', 'vepa', 'bridge', 'source'] as const) {
      createLink(s.rt, { name: `mv-${mode}`, parentIndex: lower, info: { kind: 'macvlan', mode, bcQueueLen: 500 } });
      assert.equal(showInfo(s.name, `mv-${mode}`).linkinfo?.info_data?.mode, mode);
      assert.deepEqual(getLink(s.rt, `mv-${mode}`).info, { kind: 'macvlan', mode, bcQueueLen: 500 });
      assert.equal(getLink(s.rt, `mv-${mode}`).parentIndex, lower);
    }
    createLink(s.rt, { name: 'mv-passthru', parentIndex: parent(s, 'low1'), info: { kind: 'macvlan', mode: 'passthru' } });
    assert.equal(showInfo(s.name, 'mv-passthru').linkinfo?.info_data?.mode, 'passthru');
    assert.equal(getLink(s.rt, 'mv-passthru').info?.kind, 'macvlan');
    createLink(s.rt, { name: 'mvtap0', parentIndex: parent(s, 'low2'), info: { kind: 'macvtap', mode: 'vepa' } });
    assert.deepEqual([showInfo(s.name, 'mvtap0').linkinfo?.info_kind, showInfo(s.name, 'mvtap0').linkinfo?.info_data?.mode], ['macvtap', 'vepa']);
    assert.equal((getLink(s.rt, 'mvtap0').info as { mode?: string }).mode, 'vepa');
  });
  it('vxlan with VNI, local, group, port, dev, ttl and learning off', () => {
    const dev = parent(s, 'under0');
    const info: LinkInfo = { kind: 'vxlan', id: 42, local: '10.1.1.1', group: '239.1.1.1', port: 4789, dev, ttl: 9, learning: false };
    createLink(s.rt, { name: 'vx0', info });
    const data = showInfo(s.name, 'vx0').linkinfo?.info_data ?? {};
    assert.deepEqual([data.id, data.local, data.group, data.port, data.link, data.ttl, data.learning], [42, '10.1.1.1', '239.1.1.1', 4789, 'under0', 9, false]);
    assert.deepEqual(getLink(s.rt, 'vx0').info, info);
  });
  it('ifb', () => {
    createLink(s.rt, { name: 'ifb0', info: { kind: 'ifb' } });
    assert.equal(showInfo(s.name, 'ifb0').linkinfo?.info_kind, 'ifb');
    assert.deepEqual(getLink(s.rt, 'ifb0').info, { kind: 'ifb' });
  });
  it("decodes tap and tun devices (made by `ip tuntap`) as the kernel reports them", () => {
    ipIn(s.name, ['tuntap', 'add', 'mode', 'tap', 'name', 'tap0', 'multi_queue', 'user', '1000', 'group', '1000']);
    ipIn(s.name, ['tuntap', 'add', 'mode', 'tun', 'name', 'tun0']);
    const tap = showInfo(s.name, 'tap0').linkinfo?.info_data ?? {};
    assert.deepEqual([tap.type, tap.multi_queue, tap.persist, tap.pi, tap.vnet_hdr], ['tap', true, true, false, false]);
    assert.deepEqual(getLink(s.rt, 'tap0').info, { kind: 'tun', type: 'tap', owner: 1000, group: 1000, multiQueue: true, persist: true, pi: false, vnetHdr: false, numQueues: 0 });
    assert.deepEqual(getLink(s.rt, 'tun0').info, { kind: 'tun', type: 'tun', multiQueue: false, persist: true, pi: false, vnetHdr: false });
  });
  it('tun/tap creation through rtnetlink is refused by the kernel with its explanation', () => {
    assert.throws(
      () => createLink(s.rt, { name: 'tap1', info: { kind: 'tun', type: 'tap', persist: true } }),
      (e: unknown) => e instanceof RtnlError && e.code === 'EOPNOTSUPP' && /not supported/.test(e.extAck ?? ''),
    );
  });
  it('ipvlan in modes l2, l3, l3s with flags', { skip: support.ipvlan ? false : lacks('ipvlan') }, () => {
    const lower = parent(s, 'iplow');
    for (const [mode, flag] of [['l2', 'bridge'], ['l3', 'private'], ['l3s', 'vepa']] as const) {
      createLink(s.rt, { name: `ipv-${mode}`, parentIndex: lower, info: { kind: 'ipvlan', mode, flag } });
      const data = showInfo(s.name, `ipv-${mode}`).linkinfo?.info_data ?? {};
      assert.equal(data.mode, mode);
      assert.deepEqual(getLink(s.rt, `ipv-${mode}`).info, { kind: 'ipvlan', mode, flag });
    }
  });
  it('vlan with id and protocol', { skip: support.vlan ? false : lacks('vlan') }, () => {
    const lower = parent(s, 'vlow');
    createLink(s.rt, { name: 'vlow.100', parentIndex: lower, info: { kind: 'vlan', id: 100 } });
    createLink(s.rt, { name: 'vlow.200', parentIndex: lower, info: { kind: 'vlan', id: 200, protocol: '802.1ad' } });
    assert.deepEqual([showInfo(s.name, 'vlow.100').linkinfo?.info_data?.id, showInfo(s.name, 'vlow.200').linkinfo?.info_data?.protocol], [100, '802.1ad']);
    assert.deepEqual(getLink(s.rt, 'vlow.100').info, { kind: 'vlan', id: 100, protocol: '802.1q' });
    assert.deepEqual(getLink(s.rt, 'vlow.200').info, { kind: 'vlan', id: 200, protocol: '802.1ad' });
  });
  it('dummy', { skip: support.dummy ? false : lacks('dummy') }, () => {
    createLink(s.rt, { name: 'dummy0', info: { kind: 'dummy' } });
    assert.equal(showInfo(s.name, 'dummy0').linkinfo?.info_kind, 'dummy');
    assert.deepEqual(getLink(s.rt, 'dummy0').info, { kind: 'dummy' });
  });
  it('vrf with its table', { skip: support.vrf ? false : lacks('vrf') }, () => {
    createLink(s.rt, { name: 'vrf0', info: { kind: 'vrf', table: 100 } });
    assert.equal(showInfo(s.name, 'vrf0').linkinfo?.info_data?.table, 100);
    assert.deepEqual(getLink(s.rt, 'vrf0').info, { kind: 'vrf', table: 100 });
  });
});
