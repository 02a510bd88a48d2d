/**
 * The host side of a bridge attachment, as the reference does it: the bridge (created once,
 * never changed afterwards except promiscuous mode), the veth's port settings and VLANs, the
 * gateway addresses on the bridge (or on the `<bridge>.<vlan>` veth), and the wait for the
 * port to forward. Every function works in the socket's namespace (the host's).
 */
import { addBridgeVlan, deleteBridgeVlan, listBridgeVlans, setBridgePort } from '@tscni/netlink/rtnl/bridge';
import { addAddr, deleteAddr, listAddrs } from '@tscni/netlink/rtnl/addr';
import { isExists, isNotFound } from '@tscni/netlink/rtnl/errors';
import { createLink, deleteLink, getLink, linkIndex, listLinks, setLinkMac, setLinkMaster, setLinkPromisc, setLinkUp, type Link, type LinkRef } from '@tscni/netlink/rtnl/link';
import type { RtnlSocket } from '@tscni/netlink/rtnl/socket';
import { hostNetNS } from '@tscni/netlink/netns';
import { writeSysctl } from '@tscni/netlink/sysctl';
import { formatIP, parseCIDR, type IPBytes } from '@tscni/spec/ip';
import { setupVeth } from '../../net/veth.js';
import { sleep } from '../../net/sleep.js';

/** What ensureBridge found or made. */
export interface BridgeLink {
  link: Link;
  /** Whether this call created it (an ADD that fails removes only a bridge it created). */
  created: boolean;
}

function bridgeByName(rt: RtnlSocket, name: string): Link {
  let link: Link;
  try {
    link = getLink(rt, name);
  } catch (e) {
    throw new Error(`could not lookup "${name}": ${(e as Error).message}`, { cause: e });
  }
  if (link.kind !== 'bridge') throw new Error(`"${name}" already exists but is not a bridge`);
  return link;
}

/**
 * Creates the bridge unless it exists (an existing one keeps its MTU and VLAN filtering),
 * turns on promiscuous mode if asked, turns off router advertisements and brings it up.
 *
 * @example const { link } = ensureBridge(rt, { name: 'cni0', mtu: 0, promisc: false, vlanFiltering: false })
 */
export function ensureBridge(rt: RtnlSocket, o: { name: string; mtu: number; promisc: boolean; vlanFiltering: boolean }): BridgeLink {
  let created = true;
  try {
    createLink(rt, { name: o.name, ...(o.mtu ? { mtu: o.mtu } : {}), info: { kind: 'bridge', ...(o.vlanFiltering ? { vlanFiltering: true } : {}) } });
  } catch (e) {
    if (!isExists(e)) throw new Error(`failed to create bridge "${o.name}": could not add "${o.name}": ${(e as Error).message}`, { cause: e });
    created = false;
  }
  try {
    if (o.promisc) {
      try {
        setLinkPromisc(rt, o.name, true);
      } catch (e) {
        throw new Error(`could not set promiscuous mode on "${o.name}": ${(e as Error).message}`, { cause: e });
      }
    }
    const br = bridgeByName(rt, o.name);
    // A bridge takes the lowest MAC of its ports unless its own was set, so its MAC (which
    // results record and CHECK compares) would change as containers come and go; setting
    // the kernel's random one back pins it. The reference pins it only with a gateway.
    if (created && br.mac !== undefined && br.mac !== ZERO_MAC) setLinkMac(rt, br.index, br.mac);
    try {
      writeSysctl(`net/ipv6/conf/${o.name}/accept_ra`, '0');
    } catch {
      // No IPv6 here: nothing to turn off.
    }
    setLinkUp(rt, o.name);
    return { link: bridgeByName(rt, o.name), created };
  } catch (e) {
    if (created) removeBridgeIfUnused(rt, o.name);
    const msg = (e as Error).message;
    throw new Error(msg.startsWith('failed to create bridge') ? msg : `failed to create bridge "${o.name}": ${msg}`, { cause: e });
  }
}

/**
 * Deletes the bridge if it has no ports (undoing a failed ADD that created it).
 *
 * @example removeBridgeIfUnused(rt, 'cni0')
 */
export function removeBridgeIfUnused(rt: RtnlSocket, name: string): void {
  try {
    const br = getLink(rt, name);
    if (!listLinks(rt).some((l) => l.masterIndex === br.index)) deleteLink(rt, br.index);
  } catch {
    // Best effort: a bridge left behind is harmless and reused by the next ADD.
  }
}

/** The port settings of a host veth. */
export interface PortSettings {
  hairpin: boolean;
  isolated: boolean;
  /** PVID and untagged; 0 for none. */
  vlan: number;
  /** Tagged VLANs. */
  trunk: readonly number[];
  preserveDefaultVlan: boolean;
}

/**
 * Makes the veth a port of the bridge and applies the settings, in the reference's order:
 * master, hairpin, isolation, then (with VLANs and unless preserveDefaultVlan) the port's
 * existing VLANs removed, the PVID, the trunk, and VLAN 1 as native VLAN of a trunk without
 * `vlan`.
 *
 * @example attachPort(rt, 'veth1a2b3c4d', bridge, { hairpin: false, isolated: false, vlan: 0, trunk: [], preserveDefaultVlan: false })
 */
export function attachPort(rt: RtnlSocket, port: LinkRef, bridge: Pick<Link, 'index' | 'name'>, s: PortSettings): void {
  try {
    setLinkMaster(rt, port, bridge.index);
  } catch (e) {
    throw new Error(`failed to connect "${port}" to bridge ${bridge.name}: ${(e as Error).message}`, { cause: e });
  }
  try {
    setBridgePort(rt, port, { hairpin: s.hairpin });
  } catch (e) {
    throw new Error(`failed to setup hairpin mode for ${port}: ${(e as Error).message}`, { cause: e });
  }
  try {
    setBridgePort(rt, port, { isolated: s.isolated });
  } catch (e) {
    throw new Error(`failed to set isolated on for ${port}: ${(e as Error).message}`, { cause: e });
  }
  const vlans = s.vlan !== 0 || s.trunk.length > 0;
  if (vlans && !s.preserveDefaultVlan) {
    try {
      const index = linkIndex(rt, port);
      for (const v of listBridgeVlans(rt).find((p) => p.index === index)?.vlans ?? []) deleteBridgeVlan(rt, index, v.vid, { master: true });
    } catch (e) {
      throw new Error(`failed to remove default vlan on interface "${port}": ${(e as Error).message}`, { cause: e });
    }
  }
  if (s.vlan !== 0) {
    try {
      addBridgeVlan(rt, port, s.vlan, { pvid: true, untagged: true, master: true });
    } catch (e) {
      throw new Error(`failed to setup vlan tag on interface "${port}": ${(e as Error).message}`, { cause: e });
    }
  }
  for (const vid of s.trunk) {
    try {
      addBridgeVlan(rt, port, vid, { master: true });
    } catch (e) {
      throw new Error(`failed to setup vlan tag on interface "${port}": ${(e as Error).message}`, { cause: e });
    }
  }
  if (s.vlan === 0 && s.trunk.length > 0) {
    try {
      addBridgeVlan(rt, port, 1, { pvid: true, untagged: true, master: true });
    } catch (e) {
      throw new Error(`failed to setup default native vlan tag on interface "${port}": ${(e as Error).message}`, { cause: e });
    }
  }
}

function contains(net: { ip: IPBytes; prefix: number }, ip: IPBytes): boolean {
  if (net.ip.length !== ip.length) return false;
  for (let bit = 0; bit < net.prefix; bit++) {
    const mask = 0x80 >> (bit & 7);
    if ((net.ip[bit >> 3]! & mask) !== (ip[bit >> 3]! & mask)) return false;
  }
  return true;
}

/**
 * Puts `ip/prefix` on the link, as the reference's ensureAddr: an identical address is
 * fine; another IPv4 address, or an overlapping IPv6 one, is an error unless `force` (then it
 * is replaced); afterwards the link's MAC is set to `pinMac`, so that a bridge stops
 * following the lowest MAC among its ports.
 *
 * @example ensureAddr(rt, bridge, 4, '10.22.0.1', 16, false, bridge.mac!)
 */
export function ensureAddr(rt: RtnlSocket, link: Link, family: 4 | 6, ip: string, prefix: number, force: boolean, pinMac: string | undefined): void {
  const want = `${ip}/${prefix}`;
  const wantNet = parseCIDR(want)!;
  for (const a of listAddrs(rt, { link: link.index, family })) {
    const have = parseCIDR(`${a.address}/${a.prefixLength}`)!;
    if (formatIP(have.ip) === formatIP(wantNet.ip) && have.prefix === prefix) return;
    if (family === 4 || contains(have, wantNet.ip) || contains(wantNet, have.ip)) {
      if (!force) throw new Error(`"${link.name}" already has an IP address different from ${want}`);
      try {
        deleteAddr(rt, link.index, { address: a.address, prefixLength: a.prefixLength });
      } catch (e) {
        throw new Error(`could not remove IP address from "${link.name}": ${(e as Error).message}`, { cause: e });
      }
    }
  }
  try {
    addAddr(rt, link.index, { address: ip, prefixLength: prefix });
  } catch (e) {
    if (!isExists(e)) throw new Error(`could not add IP address ${want} to "${link.name}": ${(e as Error).message}`, { cause: e });
  }
  if (pinMac !== undefined) {
    try {
      setLinkMac(rt, link.index, pinMac);
    } catch (e) {
      throw new Error(`could not set bridge's mac: ${(e as Error).message}`, { cause: e });
    }
  }
}

const ZERO_MAC = '00:00:00:00:00:00';

/**
 * The MAC ensureAddr pins on the bridge: the one it had before this ADD's port joined (the
 * reference's choice), or, when that was all zeros (a bridge whose ports all left), its
 * current one; the reference tries to set the zero MAC and fails the ADD.
 *
 * @example ensureAddr(rt, bridge, 4, '10.22.0.1', 16, false, bridgePinMac(rt, bridge))
 */
export function bridgePinMac(rt: RtnlSocket, bridge: Link): string | undefined {
  if (bridge.mac !== undefined && bridge.mac !== ZERO_MAC) return bridge.mac;
  const now = getLink(rt, bridge.index).mac;
  return now !== undefined && now !== ZERO_MAC ? now : undefined;
}

/**
 * The `<bridge>.<vlan>` interface that carries the gateway of a VLAN network: one end of a
 * host veth pair whose other end is a bridge port with PVID `vlan`. Made once, then reused.
 *
 * @example const gwLink = ensureVlanInterface(rt, bridge, 100, false)
 */
export function ensureVlanInterface(rt: RtnlSocket, bridge: Link, vlan: number, preserveDefaultVlan: boolean): Link {
  const name = `${bridge.name}.${vlan}`;
  try {
    return getLink(rt, name);
  } catch (e) {
    if (!isNotFound(e)) throw new Error(`failed to find interface "${name}": ${(e as Error).message}`, { cause: e });
  }
  const host = hostNetNS();
  let pair;
  try {
    pair = setupVeth({ containerNS: host, hostNS: host, containerIfName: name, mtu: bridge.mtu });
    attachPort(rt, pair.host.name, bridge, { hairpin: false, isolated: false, vlan, trunk: [], preserveDefaultVlan });
  } catch (e) {
    if (pair) deleteLink(rt, pair.container.index);
    throw new Error(`faild to create vlan gateway "${name}": ${(e as Error).message}`, { cause: e });
  }
  try {
    setLinkUp(rt, name);
  } catch (e) {
    throw new Error(`failed to up "${name}": ${(e as Error).message}`, { cause: e });
  }
  return getLink(rt, name);
}

/** The reference's pauses between looks at the port's state (milliseconds). */
const PORT_STATE_WAITS = [0, 50, 500, 1000, 1000];

/**
 * Waits until the host veth's operational state is up (the bridge forwards through it),
 * without blocking the event loop (`rt` is a socket of the host namespace: no window).
 *
 * @example const veth = await waitPortUp(rt, 'veth1a2b3c4d')
 */
export async function waitPortUp(rt: RtnlSocket, port: string): Promise<Link> {
  let link: Link | undefined;
  for (const ms of PORT_STATE_WAITS) {
    if (ms > 0) await sleep(ms);
    link = getLink(rt, port);
    if (link.operState === 'up') return link;
  }
  throw new Error(`bridge port in error state: ${link!.operState}`);
}
