/**
 * Bridge port settings and bridge VLANs, both spoken as AF_BRIDGE link messages: RTM_SETLINK
 * with IFLA_PROTINFO for a port's flags (hairpin, isolated, learning), RTM_SETLINK /
 * RTM_DELLINK with IFLA_AF_SPEC for VLAN entries, and an AF_BRIDGE dump with
 * RTEXT_FILTER_BRVLAN to read the VLANs back.
 */
import { NLA_F_NESTED, attr, type AttrInput } from './attrs.js';
import {
  BRIDGE_FLAGS_MASTER,
  BRIDGE_FLAGS_SELF,
  BRIDGE_VLAN_INFO_PVID,
  BRIDGE_VLAN_INFO_UNTAGGED,
  IFLA_BRIDGE_FLAGS,
  IFLA_BRIDGE_VLAN_INFO,
  bridgePortAttrs,
  bridgeVlanInfoBytes,
  decodeBridgeVlans,
  type BridgePort,
  type BridgeVlan,
} from './bridge-port.js';
import { decodeBody, ifInfoMsg, type IfInfoMsg } from './codec.js';
import { AF_BRIDGE, RTEXT_FILTER_BRVLAN, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK, RTM_SETLINK } from './constants.js';
import { IFLA_AF_SPEC, IFLA_EXT_MASK, IFLA_IFNAME, IFLA_MASTER, IFLA_PROTINFO } from './link-attrs.js';
import { linkIndex, type LinkRef } from './link.js';
import { compact } from './plain.js';
import type { RtnlSocket } from './socket.js';

/**
 * The request that changes a bridge port's settings (the flag only marks the nest, as Go's
 * netlink and iproute2 send it).
 *
 * @example bridgePortRequest(4, { hairpin: true })
 */
export function bridgePortRequest(index: number, port: BridgePort): { header: IfInfoMsg; attrs: AttrInput[] } {
  return { header: { family: AF_BRIDGE, index }, attrs: [attr.nested(IFLA_PROTINFO | NLA_F_NESTED, bridgePortAttrs(port))] };
}

/**
 * Changes the settings of a bridge port (the link must be enslaved to a bridge). Read them
 * back in getLink(...).bridgePort.
 *
 * @example setBridgePort(rt, 'veth1a2b3c4d', { hairpin: true, isolated: false })
 */
export function setBridgePort(rt: RtnlSocket, ref: LinkRef, port: BridgePort): void {
  const { header, attrs } = bridgePortRequest(linkIndex(rt, ref), port);
  rt.request(RTM_SETLINK, 0, ifInfoMsg.encode(header), attrs);
}

export interface BridgeVlanOptions {
  /** Untagged ingress frames go to this VLAN. */
  pvid?: boolean;
  /** Frames leave untagged. */
  untagged?: boolean;
  /** Address the device itself (`bridge vlan ... self`), as for the bridge's own entry. */
  self?: boolean;
  /** Address the port's bridge (`... master`, the kernel's default when neither is set). */
  master?: boolean;
}

/**
 * The AF_BRIDGE request adding (RTM_SETLINK) or removing (RTM_DELLINK) one VLAN.
 *
 * @example bridgeVlanRequest(4, 100, { pvid: true, untagged: true, master: true })
 */
export function bridgeVlanRequest(index: number, vid: number, o: BridgeVlanOptions = {}): { header: IfInfoMsg; attrs: AttrInput[] } {
  const flags = (o.self ? BRIDGE_FLAGS_SELF : 0) | (o.master ? BRIDGE_FLAGS_MASTER : 0);
  const info = (o.pvid ? BRIDGE_VLAN_INFO_PVID : 0) | (o.untagged ? BRIDGE_VLAN_INFO_UNTAGGED : 0);
  const spec: AttrInput[] = [...(flags ? [attr.u16(IFLA_BRIDGE_FLAGS, flags)] : []), attr.bytes(IFLA_BRIDGE_VLAN_INFO, bridgeVlanInfoBytes(vid, info))];
  return { header: { family: AF_BRIDGE, index }, attrs: [attr.nested(IFLA_AF_SPEC, spec)] };
}

/**
 * Adds a VLAN to a bridge port (`bridge vlan add dev PORT vid VID [pvid] [untagged]`); the
 * bridge must have vlan_filtering for it to matter.
 *
 * @example addBridgeVlan(rt, 'veth1a2b3c4d', 100, { pvid: true, untagged: true, master: true })
 */
export function addBridgeVlan(rt: RtnlSocket, ref: LinkRef, vid: number, options: BridgeVlanOptions = {}): void {
  const { header, attrs } = bridgeVlanRequest(linkIndex(rt, ref), vid, options);
  rt.request(RTM_SETLINK, 0, ifInfoMsg.encode(header), attrs);
}

/**
 * Removes a VLAN from a bridge port (`bridge vlan del dev PORT vid VID`).
 *
 * @example deleteBridgeVlan(rt, 'veth1a2b3c4d', 1, { master: true })
 */
export function deleteBridgeVlan(rt: RtnlSocket, ref: LinkRef, vid: number, options: BridgeVlanOptions = {}): void {
  const { header, attrs } = bridgeVlanRequest(linkIndex(rt, ref), vid, options);
  rt.request(RTM_DELLINK, 0, ifInfoMsg.encode(header), attrs);
}

/** The VLANs of one bridge port (or bridge). */
export interface PortVlans {
  index: number;
  name: string;
  masterIndex?: number;
  vlans: BridgeVlan[];
}

/**
 * Every bridge port's VLANs (`bridge vlan show`); ports without VLAN entries are listed with
 * none.
 *
 * @example listBridgeVlans(rt).find((p) => p.name === 'veth1a2b3c4d')?.vlans // [{ vid: 100, pvid: true, untagged: true }]
 */
export function listBridgeVlans(rt: RtnlSocket): PortVlans[] {
  const msgs = rt.dump(RTM_GETLINK, ifInfoMsg.encode({ family: AF_BRIDGE, index: 0 }), [attr.u32(IFLA_EXT_MASK, RTEXT_FILTER_BRVLAN)]);
  return msgs
    .filter((m) => m.type === RTM_NEWLINK)
    .map((m) => {
      const { header, attrs } = decodeBody(ifInfoMsg, m.payload);
      const spec = attrs.nested(IFLA_AF_SPEC);
      return compact<PortVlans>({
        index: header.index,
        name: attrs.string(IFLA_IFNAME) ?? '',
        masterIndex: attrs.u32(IFLA_MASTER),
        vlans: spec ? decodeBridgeVlans(spec) : [],
      });
    });
}
