/**
 * Neighbours (ARP and NDP entries) over rtnetlink: the ndmsg header, NDA_* attributes and
 * add, replace, delete and list, IPv4 and IPv6. State and flags stay the kernel's numbers
 * (NUD_*, NTF_*) as in Go's netlink; neighStateNames gives the words `ip neigh` prints.
 */
import { attr, type AttrInput } from './attrs.js';
import { decodeBody, fixedStruct, type StructCodec } from './codec.js';
import { AF_INET, AF_INET6, AF_UNSPEC, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, RTM_DELNEIGH, RTM_GETNEIGH, RTM_NEWNEIGH } from './constants.js';
import { compact } from './plain.js';
import type { RtnlSocket } from './socket.js';
import { ipFamily, macText } from './values.js';

export const NDA_DST = 1;
export const NDA_LLADDR = 2;
export const NDA_CACHEINFO = 3;
export const NDA_PROBES = 4;
export const NDA_VLAN = 5;
export const NDA_PORT = 6;
export const NDA_VNI = 7;
export const NDA_IFINDEX = 8;
export const NDA_MASTER = 9;
export const NDA_LINK_NETNSID = 10;
export const NDA_SRC_VNI = 11;
export const NDA_PROTOCOL = 12;

/** Neighbour states (ndm_state, NUD_*), a bit each. */
export const NUD_NONE = 0x00;
export const NUD_INCOMPLETE = 0x01;
export const NUD_REACHABLE = 0x02;
export const NUD_STALE = 0x04;
export const NUD_DELAY = 0x08;
export const NUD_PROBE = 0x10;
export const NUD_FAILED = 0x20;
export const NUD_NOARP = 0x40;
export const NUD_PERMANENT = 0x80;

/** Neighbour flags (ndm_flags, NTF_*). */
export const NTF_USE = 0x01;
export const NTF_SELF = 0x02;
export const NTF_MASTER = 0x04;
export const NTF_PROXY = 0x08;
export const NTF_EXT_LEARNED = 0x10;
export const NTF_OFFLOADED = 0x20;
export const NTF_STICKY = 0x40;
export const NTF_ROUTER = 0x80;

/** struct ndmsg: the header of neighbour messages. */
export interface NdMsg {
  family: number;
  index: number;
  state: number;
  flags: number;
  type: number;
}

/** @example ndMsg.encode({ family: AF_INET, index: 2, state: NUD_PERMANENT, flags: 0, type: 0 }) */
export const ndMsg: StructCodec<NdMsg> = fixedStruct<NdMsg>(12, {
  family: [0, 'u8'],
  index: [4, 'i32'],
  state: [8, 'u16'],
  flags: [10, 'u8'],
  type: [11, 'u8'],
});

/** A neighbour entry as the kernel reports it. */
export interface Neighbour {
  family: 4 | 6;
  /** The link index. */
  index: number;
  /** The IP address (NDA_DST), canonical text. */
  address: string;
  /** The link-layer address (NDA_LLADDR); absent while unresolved. */
  lladdr?: string;
  /** NUD_* bits. */
  state: number;
  /** NTF_* bits (NTF_PROXY for proxy entries, NTF_ROUTER for IPv6 routers). */
  flags: number;
  /** ndm_type (an RTN_* route type, unicast for ordinary entries). */
  type: number;
  /** NDA_PROBES: unanswered probes so far. */
  probes?: number;
}

/** A neighbour to add, replace or delete; a listed Neighbour is one. */
export interface NeighbourSpec {
  index: number;
  address: string;
  lladdr?: string;
  /** NUD_PERMANENT when absent. */
  state?: number;
  flags?: number;
  type?: number;
}

/**
 * Bytes of a link-layer address: colon-separated hex of any length, because NDA_LLADDR is
 * 6 bytes on Ethernet but not on every link type.
 */
function lladdrBytes(text: string): Uint8Array {
  const parts = text.split(':');
  if (parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new TypeError(`invalid link-layer address ${JSON.stringify(text)}`);
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

/**
 * The ndmsg header and attributes of a neighbour (NDA_DST, then NDA_LLADDR when given).
 *
 * @example encodeNeighbour({ index: 2, address: '10.1.0.2', lladdr: '02:00:00:00:00:02' })
 */
export function encodeNeighbour(spec: NeighbourSpec): { header: NdMsg; attrs: AttrInput[] } {
  const attrs: AttrInput[] = [attr.ip(NDA_DST, spec.address)];
  if (spec.lladdr !== undefined) attrs.push(attr.bytes(NDA_LLADDR, lladdrBytes(spec.lladdr)));
  return { header: { family: ipFamily(spec.address), index: spec.index, state: spec.state ?? NUD_PERMANENT, flags: spec.flags ?? 0, type: spec.type ?? 0 }, attrs };
}

/**
 * Decodes an RTM_NEWNEIGH payload.
 *
 * @example decodeNeighbour(msg.payload) // { family: 4, index: 2, address: '10.1.0.2', lladdr: '02:00:00:00:00:02', state: 128, flags: 0, type: 1 }
 */
export function decodeNeighbour(payload: Uint8Array): Neighbour {
  const { header, attrs } = decodeBody(ndMsg, payload);
  const lladdr = attrs.get(NDA_LLADDR);
  return compact<Neighbour>({
    family: header.family === AF_INET6 ? 6 : 4,
    index: header.index,
    address: attrs.ip(NDA_DST) ?? '',
    lladdr: lladdr === undefined ? undefined : macText(lladdr),
    state: header.state,
    flags: header.flags,
    type: header.type,
    probes: attrs.u32(NDA_PROBES),
  });
}

const STATE_NAMES: readonly [number, string][] = [
  [NUD_INCOMPLETE, 'INCOMPLETE'],
  [NUD_REACHABLE, 'REACHABLE'],
  [NUD_STALE, 'STALE'],
  [NUD_DELAY, 'DELAY'],
  [NUD_PROBE, 'PROBE'],
  [NUD_FAILED, 'FAILED'],
  [NUD_NOARP, 'NOARP'],
  [NUD_PERMANENT, 'PERMANENT'],
];

/**
 * The state words `ip -json neigh` prints, in its order (`NONE` for no bit).
 *
 * @example neighStateNames(NUD_PERMANENT) // ['PERMANENT']
 */
export function neighStateNames(state: number): string[] {
  const names = STATE_NAMES.filter(([bit]) => state & bit).map(([, name]) => name);
  return names.length === 0 ? ['NONE'] : names;
}

function send(rt: RtnlSocket, type: number, flags: number, spec: NeighbourSpec): void {
  const { header, attrs } = encodeNeighbour(spec);
  rt.request(type, flags, ndMsg.encode(header), attrs);
}

/**
 * Adds an entry; EEXIST (isExists) when the address has one on that link.
 *
 * @example addNeigh(rt, { index: 2, address: '10.1.0.2', lladdr: '02:00:00:00:00:02' })
 */
export function addNeigh(rt: RtnlSocket, spec: NeighbourSpec): void {
  send(rt, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL, spec);
}

/**
 * Adds an entry or overwrites the one for the address (`ip neigh replace`).
 *
 * @example replaceNeigh(rt, { index: 2, address: 'fd01::2', lladdr: '02:00:00:00:00:03', state: NUD_REACHABLE })
 */
export function replaceNeigh(rt: RtnlSocket, spec: NeighbourSpec): void {
  send(rt, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, spec);
}

/**
 * Deletes the entry for an address on a link (a proxy entry with `flags: NTF_PROXY`); a
 * missing one is ENOENT (isNotFound).
 *
 * @example deleteNeigh(rt, { index: 2, address: '10.1.0.2' })
 */
export function deleteNeigh(rt: RtnlSocket, spec: NeighbourSpec): void {
  send(rt, RTM_DELNEIGH, 0, { ...spec, state: spec.state ?? 0, flags: (spec.flags ?? 0) & NTF_PROXY });
}

/** Which entries listNeighs returns. */
export interface NeighbourFilter {
  family?: 4 | 6;
  /** Only entries on this link. */
  index?: number;
  /** Proxy entries (`ip neigh show proxy`) instead of ordinary ones. */
  proxy?: boolean;
}

/**
 * Neighbour entries of the socket's namespace; bridge FDB entries (AF_BRIDGE) are left out.
 *
 * @example listNeighs(rt, { family: 6, index: 2 }).filter((n) => n.state & NUD_PERMANENT)
 */
export function listNeighs(rt: RtnlSocket, filter: NeighbourFilter = {}): Neighbour[] {
  const family = filter.family === 4 ? AF_INET : filter.family === 6 ? AF_INET6 : AF_UNSPEC;
  const header: NdMsg = { family, index: 0, state: 0, flags: filter.proxy ? NTF_PROXY : 0, type: 0 };
  return rt
    .dump(RTM_GETNEIGH, ndMsg.encode(header))
    .filter((m) => m.type === RTM_NEWNEIGH)
    // Every header starts with the family byte.
    .filter((m) => m.payload[0] === AF_INET || m.payload[0] === AF_INET6)
    .map((m) => decodeNeighbour(m.payload))
    .filter((n) => filter.index === undefined || n.index === filter.index);
}
