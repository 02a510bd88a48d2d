/**
 * Bridge port settings (IFLA_BRPORT_*, linux/if_link.h) and bridge VLAN entries
 * (IFLA_BRIDGE_*, linux/if_bridge.h): their numbers and their encoding. The kernel reports a
 * port's settings in IFLA_INFO_SLAVE_DATA of an ordinary link dump and in IFLA_PROTINFO of an
 * AF_BRIDGE dump; both carry the same attributes.
 */
import { AttrSet, attr, type AttrInput } from './attrs.js';
import { compact } from './plain.js';

export const IFLA_BRPORT_STATE = 1;
export const IFLA_BRPORT_PRIORITY = 2;
export const IFLA_BRPORT_COST = 3;
export const IFLA_BRPORT_MODE = 4;
export const IFLA_BRPORT_GUARD = 5;
export const IFLA_BRPORT_PROTECT = 6;
export const IFLA_BRPORT_FAST_LEAVE = 7;
export const IFLA_BRPORT_LEARNING = 8;
export const IFLA_BRPORT_UNICAST_FLOOD = 9;
export const IFLA_BRPORT_PROXYARP = 10;
export const IFLA_BRPORT_MCAST_FLOOD = 27;
export const IFLA_BRPORT_BCAST_FLOOD = 30;
export const IFLA_BRPORT_NEIGH_SUPPRESS = 32;
export const IFLA_BRPORT_ISOLATED = 33;

/** Inside IFLA_AF_SPEC of an AF_BRIDGE message. */
export const IFLA_BRIDGE_FLAGS = 0;
export const IFLA_BRIDGE_MODE = 1;
export const IFLA_BRIDGE_VLAN_INFO = 2;

/** IFLA_BRIDGE_FLAGS: whom a VLAN request addresses (the bridge master, or the device itself). */
export const BRIDGE_FLAGS_MASTER = 1;
export const BRIDGE_FLAGS_SELF = 2;

/** struct bridge_vlan_info flags. */
export const BRIDGE_VLAN_INFO_MASTER = 0x1;
export const BRIDGE_VLAN_INFO_PVID = 0x2;
export const BRIDGE_VLAN_INFO_UNTAGGED = 0x4;
export const BRIDGE_VLAN_INFO_RANGE_BEGIN = 0x8;
export const BRIDGE_VLAN_INFO_RANGE_END = 0x10;
export const BRIDGE_VLAN_INFO_BRENTRY = 0x20;

/** A port's settings; in a request only the fields given are changed. */
export interface BridgePort {
  /** STP state: 0 disabled, 1 listening, 2 learning, 3 forwarding, 4 blocking. */
  state?: number;
  priority?: number;
  cost?: number;
  /** Hairpin mode (IFLA_BRPORT_MODE): frames may leave by the port they came in. */
  hairpin?: boolean;
  guard?: boolean;
  protect?: boolean;
  fastLeave?: boolean;
  learning?: boolean;
  unicastFlood?: boolean;
  proxyArp?: boolean;
  multicastFlood?: boolean;
  broadcastFlood?: boolean;
  neighSuppress?: boolean;
  /** Isolated ports talk only to non-isolated ones (the bridge plugin's portIsolation). */
  isolated?: boolean;
}

type BoolPortField = Exclude<keyof BridgePort, 'state' | 'priority' | 'cost'>;

const BOOL_FIELDS: readonly (readonly [BoolPortField, number])[] = [
  ['hairpin', IFLA_BRPORT_MODE],
  ['guard', IFLA_BRPORT_GUARD],
  ['protect', IFLA_BRPORT_PROTECT],
  ['fastLeave', IFLA_BRPORT_FAST_LEAVE],
  ['learning', IFLA_BRPORT_LEARNING],
  ['unicastFlood', IFLA_BRPORT_UNICAST_FLOOD],
  ['proxyArp', IFLA_BRPORT_PROXYARP],
  ['multicastFlood', IFLA_BRPORT_MCAST_FLOOD],
  ['broadcastFlood', IFLA_BRPORT_BCAST_FLOOD],
  ['neighSuppress', IFLA_BRPORT_NEIGH_SUPPRESS],
  ['isolated', IFLA_BRPORT_ISOLATED],
];

/**
 * The IFLA_BRPORT_* attributes for the fields given.
 *
 * @example bridgePortAttrs({ hairpin: true }) // [IFLA_BRPORT_MODE = 1]
 */
export function bridgePortAttrs(port: BridgePort): AttrInput[] {
  const out: AttrInput[] = [];
  if (port.state !== undefined) out.push(attr.u8(IFLA_BRPORT_STATE, port.state));
  if (port.priority !== undefined) out.push(attr.u16(IFLA_BRPORT_PRIORITY, port.priority));
  if (port.cost !== undefined) out.push(attr.u32(IFLA_BRPORT_COST, port.cost));
  for (const [field, type] of BOOL_FIELDS) {
    const v = port[field];
    if (v !== undefined) out.push(attr.u8(type, v ? 1 : 0));
  }
  return out;
}

/**
 * The typed view of IFLA_BRPORT_* attributes.
 *
 * @example decodeBridgePort(slaveData).hairpin // false
 */
export function decodeBridgePort(a: AttrSet): BridgePort {
  const port: BridgePort = { state: a.u8(IFLA_BRPORT_STATE), priority: a.u16(IFLA_BRPORT_PRIORITY), cost: a.u32(IFLA_BRPORT_COST) };
  for (const [field, type] of BOOL_FIELDS) {
    const v = a.u8(type);
    if (v !== undefined) port[field] = v !== 0;
  }
  return compact(port);
}

/** One VLAN of a bridge port (or of the bridge itself). */
export interface BridgeVlan {
  vid: number;
  /** Untagged ingress frames are classified into this VLAN. */
  pvid: boolean;
  /** Egress frames leave without a tag. */
  untagged: boolean;
}

/**
 * struct bridge_vlan_info { u16 flags; u16 vid; }.
 *
 * @example bridgeVlanInfoBytes(100, BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED)
 */
export function bridgeVlanInfoBytes(vid: number, flags: number): Uint8Array {
  const b = new Uint8Array(4);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, flags, true);
  dv.setUint16(2, vid, true);
  return b;
}

/**
 * The VLANs in an IFLA_AF_SPEC nest, ranges (RANGE_BEGIN ... RANGE_END) expanded.
 *
 * @example decodeBridgeVlans(afSpec) // [{ vid: 1, pvid: true, untagged: true }]
 */
export function decodeBridgeVlans(afSpec: AttrSet): BridgeVlan[] {
  const out: BridgeVlan[] = [];
  let rangeStart: number | undefined;
  for (const raw of afSpec.all(IFLA_BRIDGE_VLAN_INFO)) {
    if (raw.length < 4) continue;
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const flags = dv.getUint16(0, true);
    const vid = dv.getUint16(2, true);
    const entry = (v: number): BridgeVlan => ({ vid: v, pvid: (flags & BRIDGE_VLAN_INFO_PVID) !== 0, untagged: (flags & BRIDGE_VLAN_INFO_UNTAGGED) !== 0 });
    if (flags & BRIDGE_VLAN_INFO_RANGE_BEGIN) {
      rangeStart = vid;
    } else if (flags & BRIDGE_VLAN_INFO_RANGE_END && rangeStart !== undefined) {
      for (let v = rangeStart; v <= vid; v++) out.push(entry(v));
      rangeStart = undefined;
    } else {
      out.push(entry(vid));
    }
  }
  return out;
}
