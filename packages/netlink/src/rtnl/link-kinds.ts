/**
 * Link kinds: what goes in IFLA_LINKINFO (IFLA_INFO_KIND, IFLA_INFO_DATA) when a link is
 * created, and what the kernel reports there. One LinkInfo type serves both directions: a
 * decoded link carries the fields the kernel sent, a create request the fields to set.
 */
import { AttrSet, attr, type AttrInput } from './attrs.js';
import { decodeBody, encodeBody, ifInfoMsg } from './codec.js';
import { IFLA_ADDRESS, IFLA_IFNAME, IFLA_INFO_DATA, IFLA_INFO_KIND, IFLA_LINKINFO, IFLA_MTU, IFLA_NET_NS_FD, IFLA_TXQLEN } from './link-attrs.js';
import { compact } from './plain.js';
import { AF_UNSPEC } from './constants.js';

export const VETH_INFO_PEER = 1;

export const IFLA_BR_FORWARD_DELAY = 1;
export const IFLA_BR_AGEING_TIME = 4;
export const IFLA_BR_STP_STATE = 5;
export const IFLA_BR_VLAN_FILTERING = 7;
export const IFLA_BR_VLAN_PROTOCOL = 8;
export const IFLA_BR_MCAST_SNOOPING = 23;
export const IFLA_BR_VLAN_DEFAULT_PVID = 39;

export const IFLA_MACVLAN_MODE = 1;
export const IFLA_MACVLAN_FLAGS = 2;
export const IFLA_MACVLAN_BC_QUEUE_LEN = 7;

export const IFLA_IPVLAN_MODE = 1;
export const IFLA_IPVLAN_FLAGS = 2;

export const IFLA_VLAN_ID = 1;
export const IFLA_VLAN_PROTOCOL = 5;

export const IFLA_VXLAN_ID = 1;
export const IFLA_VXLAN_GROUP = 2;
export const IFLA_VXLAN_LINK = 3;
export const IFLA_VXLAN_LOCAL = 4;
export const IFLA_VXLAN_TTL = 5;
export const IFLA_VXLAN_LEARNING = 7;
export const IFLA_VXLAN_PORT = 15;
export const IFLA_VXLAN_GROUP6 = 16;
export const IFLA_VXLAN_LOCAL6 = 17;

export const IFLA_TUN_OWNER = 1;
export const IFLA_TUN_GROUP = 2;
export const IFLA_TUN_TYPE = 3;
export const IFLA_TUN_PI = 4;
export const IFLA_TUN_VNET_HDR = 5;
export const IFLA_TUN_PERSIST = 6;
export const IFLA_TUN_MULTI_QUEUE = 7;
export const IFLA_TUN_NUM_QUEUES = 8;

export const IFLA_VRF_TABLE = 1;

/** tun device types (IFF_TUN, IFF_TAP in linux/if_tun.h). */
const TUN_TYPES = { tun: 1, tap: 2 } as const;

const MACVLAN_MODES = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 } as const;
export type MacvlanMode = keyof typeof MACVLAN_MODES;

const IPVLAN_MODES = { l2: 0, l3: 1, l3s: 2 } as const;
export type IpvlanMode = keyof typeof IPVLAN_MODES;
const IPVLAN_FLAGS = { bridge: 0, private: 1, vepa: 2 } as const;
export type IpvlanFlag = keyof typeof IPVLAN_FLAGS;

const VLAN_PROTOCOLS = { '802.1q': 0x8100, '802.1ad': 0x88a8 } as const;
export type VlanProtocol = keyof typeof VLAN_PROTOCOLS;

/** The other end of a veth, created with it (in another namespace when netnsFd is given). */
export interface VethPeer {
  name: string;
  mac?: string;
  mtu?: number;
  txQueueLen?: number;
  /** An open namespace file descriptor (NetNS.fd) to create the peer in. */
  netnsFd?: number;
}

export interface VethInfo {
  kind: 'veth';
  /** Only in create requests: the kernel does not report the peer (read IFLA_LINK instead). */
  peer?: VethPeer;
}

export interface BridgeInfo {
  kind: 'bridge';
  vlanFiltering?: boolean;
  vlanDefaultPvid?: number;
  /** 0 off, 1 kernel STP, 2 user STP. */
  stpState?: number;
  mcastSnooping?: boolean;
  /** In centiseconds (USER_HZ), as the kernel takes them. */
  forwardDelay?: number;
  ageingTime?: number;
}

export interface MacvlanInfo {
  kind: 'macvlan' | 'macvtap';
  mode?: MacvlanMode;
  /** IFLA_MACVLAN_BC_QUEUE_LEN (the macvlan plugin's bcqueuelen). */
  bcQueueLen?: number;
}

export interface IpvlanInfo {
  kind: 'ipvlan';
  mode?: IpvlanMode;
  flag?: IpvlanFlag;
}

export interface VlanInfo {
  kind: 'vlan';
  id: number;
  protocol?: VlanProtocol;
}

export interface VxlanInfo {
  kind: 'vxlan';
  /** The VNI. */
  id: number;
  local?: string;
  /** Multicast group (or unicast remote). */
  group?: string;
  /** UDP destination port; the kernel's default is 8472. */
  port?: number;
  /** Index of the underlay device. */
  dev?: number;
  ttl?: number;
  learning?: boolean;
}

export interface TunInfo {
  kind: 'tun';
  type: 'tun' | 'tap';
  owner?: number;
  group?: number;
  multiQueue?: boolean;
  persist?: boolean;
  vnetHdr?: boolean;
  /** Packet information header (false when created with IFF_NO_PI). */
  pi?: boolean;
  numQueues?: number;
}

export interface VrfInfo {
  kind: 'vrf';
  table: number;
}

export interface PlainKindInfo {
  kind: 'dummy' | 'ifb';
}

/** A link kind this module encodes and decodes, with its IFLA_INFO_DATA. */
export type LinkInfo = VethInfo | BridgeInfo | MacvlanInfo | IpvlanInfo | VlanInfo | VxlanInfo | TunInfo | VrfInfo | PlainKindInfo;
export type LinkKind = LinkInfo['kind'];

const KNOWN_KINDS: ReadonlySet<string> = new Set<LinkKind>(['veth', 'bridge', 'macvlan', 'macvtap', 'ipvlan', 'vlan', 'vxlan', 'tun', 'vrf', 'dummy', 'ifb']);

const opt = <T>(v: T | undefined, f: (v: T) => AttrInput): AttrInput[] => (v === undefined ? [] : [f(v)]);
const bool = (b: boolean): number => (b ? 1 : 0);
const asBool = (v: number | undefined): boolean | undefined => (v === undefined ? undefined : v !== 0);

function keyOf<K extends string>(table: Readonly<Record<K, number>>, value: number | undefined): K | undefined {
  if (value === undefined) return undefined;
  return (Object.keys(table) as K[]).find((k) => table[k] === value);
}

/** The peer's own ifinfomsg and attributes, as VETH_INFO_PEER carries them. */
function vethPeerBytes(p: VethPeer): Uint8Array {
  // No IFF_UP here: the kernel opens the peer before the pair is joined and refuses (ENOTCONN).
  return encodeBody(ifInfoMsg, { family: AF_UNSPEC, index: 0 }, [
    attr.string(IFLA_IFNAME, p.name),
    ...opt(p.txQueueLen, (v) => attr.u32(IFLA_TXQLEN, v)),
    ...opt(p.mtu, (v) => attr.u32(IFLA_MTU, v)),
    ...opt(p.mac, (v) => attr.mac(IFLA_ADDRESS, v)),
    ...opt(p.netnsFd, (v) => attr.u32(IFLA_NET_NS_FD, v)),
  ]);
}

function decodeVethPeer(bytes: Uint8Array): VethPeer {
  const { attrs } = decodeBody(ifInfoMsg, bytes);
  return compact({
    name: attrs.string(IFLA_IFNAME) ?? '',
    mac: attrs.mac(IFLA_ADDRESS),
    mtu: attrs.u32(IFLA_MTU),
    txQueueLen: attrs.u32(IFLA_TXQLEN),
    netnsFd: attrs.u32(IFLA_NET_NS_FD),
  });
}

/** The IFLA_INFO_DATA attributes of a kind (empty for kinds without data). */
function infoData(info: LinkInfo): AttrInput[] {
  switch (info.kind) {
    case 'veth':
      return opt(info.peer, (p) => attr.bytes(VETH_INFO_PEER, vethPeerBytes(p)));
    case 'bridge':
      return [
        ...opt(info.forwardDelay, (v) => attr.u32(IFLA_BR_FORWARD_DELAY, v)),
        ...opt(info.ageingTime, (v) => attr.u32(IFLA_BR_AGEING_TIME, v)),
        ...opt(info.stpState, (v) => attr.u32(IFLA_BR_STP_STATE, v)),
        ...opt(info.vlanFiltering, (v) => attr.u8(IFLA_BR_VLAN_FILTERING, bool(v))),
        ...opt(info.mcastSnooping, (v) => attr.u8(IFLA_BR_MCAST_SNOOPING, bool(v))),
        ...opt(info.vlanDefaultPvid, (v) => attr.u16(IFLA_BR_VLAN_DEFAULT_PVID, v)),
      ];
    case 'macvlan':
    case 'macvtap':
      return [...opt(info.mode, (m) => attr.u32(IFLA_MACVLAN_MODE, MACVLAN_MODES[m])), ...opt(info.bcQueueLen, (v) => attr.u32(IFLA_MACVLAN_BC_QUEUE_LEN, v))];
    case 'ipvlan':
      return [...opt(info.mode, (m) => attr.u16(IFLA_IPVLAN_MODE, IPVLAN_MODES[m])), ...opt(info.flag, (f) => attr.u16(IFLA_IPVLAN_FLAGS, IPVLAN_FLAGS[f]))];
    case 'vlan':
      return [attr.u16(IFLA_VLAN_ID, info.id), ...opt(info.protocol, (p) => attr.be16(IFLA_VLAN_PROTOCOL, VLAN_PROTOCOLS[p]))];
    case 'vxlan':
      return [
        attr.u32(IFLA_VXLAN_ID, info.id),
        ...opt(info.group, (g) => attr.ip(g.includes(':') ? IFLA_VXLAN_GROUP6 : IFLA_VXLAN_GROUP, g)),
        ...opt(info.dev, (v) => attr.u32(IFLA_VXLAN_LINK, v)),
        ...opt(info.local, (l) => attr.ip(l.includes(':') ? IFLA_VXLAN_LOCAL6 : IFLA_VXLAN_LOCAL, l)),
        ...opt(info.ttl, (v) => attr.u8(IFLA_VXLAN_TTL, v)),
        ...opt(info.learning, (v) => attr.u8(IFLA_VXLAN_LEARNING, bool(v))),
        ...opt(info.port, (v) => attr.be16(IFLA_VXLAN_PORT, v)),
      ];
    case 'tun':
      return [
        attr.u8(IFLA_TUN_TYPE, TUN_TYPES[info.type]),
        ...opt(info.owner, (v) => attr.u32(IFLA_TUN_OWNER, v)),
        ...opt(info.group, (v) => attr.u32(IFLA_TUN_GROUP, v)),
        ...opt(info.pi, (v) => attr.u8(IFLA_TUN_PI, bool(v))),
        ...opt(info.vnetHdr, (v) => attr.u8(IFLA_TUN_VNET_HDR, bool(v))),
        ...opt(info.persist, (v) => attr.u8(IFLA_TUN_PERSIST, bool(v))),
        ...opt(info.multiQueue, (v) => attr.u8(IFLA_TUN_MULTI_QUEUE, bool(v))),
        ...opt(info.numQueues, (v) => attr.u32(IFLA_TUN_NUM_QUEUES, v)),
      ];
    case 'vrf':
      return [attr.u32(IFLA_VRF_TABLE, info.table)];
    case 'dummy':
    case 'ifb':
      return [];
  }
}

/**
 * The IFLA_LINKINFO nest that creates a link of this kind. IFLA_INFO_DATA is left out when the
 * kind has nothing to say, as iproute2 does.
 *
 * @example linkInfoAttr({ kind: 'macvlan', mode: 'bridge' })
 */
export function linkInfoAttr(info: LinkInfo): AttrInput {
  const data = infoData(info);
  return attr.nested(IFLA_LINKINFO, [attr.string(IFLA_INFO_KIND, info.kind), ...(data.length > 0 ? [attr.nested(IFLA_INFO_DATA, data)] : [])]);
}

/**
 * The typed view of a kind's IFLA_INFO_DATA; undefined for a kind this module does not know.
 *
 * @example decodeLinkInfo('vlan', data) // { kind: 'vlan', id: 100, protocol: '802.1q' }
 */
export function decodeLinkInfo(kind: string, data: AttrSet | undefined): LinkInfo | undefined {
  if (!KNOWN_KINDS.has(kind)) return undefined;
  const d = data ?? new AttrSet([]);
  switch (kind as LinkKind) {
    case 'veth': {
      const peer = d.get(VETH_INFO_PEER);
      return compact<VethInfo>({ kind: 'veth', peer: peer && decodeVethPeer(peer) });
    }
    case 'bridge':
      return compact<BridgeInfo>({
        kind: 'bridge',
        vlanFiltering: asBool(d.u8(IFLA_BR_VLAN_FILTERING)),
        vlanDefaultPvid: d.u16(IFLA_BR_VLAN_DEFAULT_PVID),
        stpState: d.u32(IFLA_BR_STP_STATE),
        mcastSnooping: asBool(d.u8(IFLA_BR_MCAST_SNOOPING)),
        forwardDelay: d.u32(IFLA_BR_FORWARD_DELAY),
        ageingTime: d.u32(IFLA_BR_AGEING_TIME),
      });
    case 'macvlan':
    case 'macvtap':
      return compact<MacvlanInfo>({ kind: kind as 'macvlan' | 'macvtap', mode: keyOf(MACVLAN_MODES, d.u32(IFLA_MACVLAN_MODE)), bcQueueLen: d.u32(IFLA_MACVLAN_BC_QUEUE_LEN) });
    case 'ipvlan':
      return compact<IpvlanInfo>({ kind: 'ipvlan', mode: keyOf(IPVLAN_MODES, d.u16(IFLA_IPVLAN_MODE)), flag: keyOf(IPVLAN_FLAGS, d.u16(IFLA_IPVLAN_FLAGS)) });
    case 'vlan':
      return compact<VlanInfo>({ kind: 'vlan', id: d.u16(IFLA_VLAN_ID) ?? 0, protocol: keyOf(VLAN_PROTOCOLS, d.be16(IFLA_VLAN_PROTOCOL)) });
    case 'vxlan':
      return compact<VxlanInfo>({
        kind: 'vxlan',
        id: d.u32(IFLA_VXLAN_ID) ?? 0,
        local: d.ip(IFLA_VXLAN_LOCAL) ?? d.ip(IFLA_VXLAN_LOCAL6),
        group: d.ip(IFLA_VXLAN_GROUP) ?? d.ip(IFLA_VXLAN_GROUP6),
        port: d.be16(IFLA_VXLAN_PORT),
        dev: d.u32(IFLA_VXLAN_LINK),
        ttl: d.u8(IFLA_VXLAN_TTL),
        learning: asBool(d.u8(IFLA_VXLAN_LEARNING)),
      });
    case 'tun':
      return compact<TunInfo>({
        kind: 'tun',
        type: keyOf(TUN_TYPES, d.u8(IFLA_TUN_TYPE)) ?? 'tun',
        owner: d.u32(IFLA_TUN_OWNER),
        group: d.u32(IFLA_TUN_GROUP),
        pi: asBool(d.u8(IFLA_TUN_PI)),
        vnetHdr: asBool(d.u8(IFLA_TUN_VNET_HDR)),
        persist: asBool(d.u8(IFLA_TUN_PERSIST)),
        multiQueue: asBool(d.u8(IFLA_TUN_MULTI_QUEUE)),
        numQueues: d.u32(IFLA_TUN_NUM_QUEUES),
      });
    case 'vrf':
      return { kind: 'vrf', table: d.u32(IFLA_VRF_TABLE) ?? 0 };
    case 'dummy':
    case 'ifb':
      return { kind: kind as 'dummy' | 'ifb' };
  }
}
