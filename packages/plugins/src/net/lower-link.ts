/**
 * Links stacked on a master device and handed to a container (macvlan, ipvlan, vlan), made
 * the reference's way: created under a random temporary `veth` + 8 hex name directly in the
 * container namespace (a name like the final one could collide with a host link while the
 * link is still on the host side), then renamed there. The master is, when the config names
 * none, the interface of the first default route, as the reference picks it.
 */
import type { NetNS } from '@tscni/netlink/netns';
import { isNotFound } from '@tscni/netlink/rtnl/errors';
import { deleteLink, createLink, getLink, renameLink, type Link } from '@tscni/netlink/rtnl/link';
import type { IpvlanInfo, MacvlanInfo, VlanInfo } from '@tscni/netlink/rtnl/link-kinds';
import { listRoutes } from '@tscni/netlink/rtnl/route';
import { withRtnlSocket, type RtnlSocket } from '@tscni/netlink/rtnl/socket';
import { randomVethName } from './veth.js';

/**
 * The name of the interface the first main-table default route (either family) leaves by,
 * in the socket's namespace.
 *
 * @example withRtnlSocket({}, (rt) => defaultRouteInterface(rt)) // 'eth0'
 */
export function defaultRouteInterface(rt: RtnlSocket): string {
  for (const r of listRoutes(rt)) {
    if (r.dst !== '0.0.0.0/0' && r.dst !== '::/0') continue;
    const oif = r.oif ?? r.multipath?.[0]?.oif;
    if (oif === undefined || oif === 0) continue;
    return getLink(rt, oif).name;
  }
  throw new Error('no default route interface found');
}

/**
 * The master to use: the configured one, else the default route's interface of the host
 * (the calling thread's namespace) or, with `inContainer`, of the container.
 *
 * @example masterOrDefault('', containerNS, false) // 'eth0'
 */
export function masterOrDefault(master: string, containerNS: NetNS, inContainer: boolean): string {
  if (master !== '') return master;
  return withRtnlSocket(inContainer ? { netns: containerNS } : {}, (rt) => defaultRouteInterface(rt));
}

/**
 * The master's link in the host or, with `inContainer`, in the container; throws the
 * reference's `failed to lookup master "eth9": Link not found`.
 *
 * @example masterLink('eth0', containerNS, false).mtu // 1500
 */
export function masterLink(master: string, containerNS: NetNS, inContainer: boolean): Link {
  try {
    return withRtnlSocket(inContainer ? { netns: containerNS } : {}, (rt) => getLink(rt, master));
  } catch (e) {
    // The reference's netlink library says only "Link not found" for a missing link.
    const why = isNotFound(e) ? 'Link not found' : (e as Error).message;
    throw new Error(`failed to lookup master ${JSON.stringify(master)}: ${why}`, { cause: e });
  }
}

export interface LowerLinkSpec {
  /** The container's namespace, where the link ends up as `ifName`. */
  containerNS: NetNS;
  ifName: string;
  /** The master's name, looked up in the calling thread's namespace or, with masterInContainer, in the container's. */
  master: string;
  masterInContainer?: boolean;
  info: MacvlanInfo | IpvlanInfo | VlanInfo;
  /** Omitted: the master's MTU. */
  mtu?: number;
  mac?: string;
}

/**
 * Creates the link on its master inside the container and returns it as the kernel reports it
 * (down, with its final name). Nothing is left behind when a step fails; messages are the
 * reference's (`failed to lookup master "eth9": ...`, `failed to create macvlan: ...`).
 *
 * @example createLowerLink({ containerNS, ifName: 'eth0', master: 'eth0', info: { kind: 'macvlan', mode: 'bridge' } })
 */
export function createLowerLink(spec: LowerLinkSpec): Link {
  const kind = spec.info.kind;
  const masterSocket = spec.masterInContainer ? { netns: spec.containerNS } : {};
  const masterIndex = masterLink(spec.master, spec.containerNS, spec.masterInContainer ?? false).index;
  const tmpName = randomVethName();
  try {
    withRtnlSocket(masterSocket, (rt) =>
      createLink(rt, {
        name: tmpName,
        info: spec.info,
        parentIndex: masterIndex,
        ...(spec.masterInContainer ? {} : { netnsFd: spec.containerNS.fd }),
        ...(spec.mtu !== undefined ? { mtu: spec.mtu } : {}),
        ...(spec.mac !== undefined ? { mac: spec.mac } : {}),
      }),
    );
  } catch (e) {
    throw new Error(`failed to create ${kind}: ${(e as Error).message}`, { cause: e });
  }
  return withRtnlSocket({ netns: spec.containerNS }, (rt) => {
    try {
      renameLink(rt, tmpName, spec.ifName);
    } catch (e) {
      deleteLink(rt, tmpName);
      throw new Error(`failed to rename ${kind} to ${JSON.stringify(spec.ifName)}: ${(e as Error).message}`, { cause: e });
    }
    return getLink(rt, spec.ifName);
  });
}
