/**
 * A veth pair between a container and the host, as the reference's ip.SetupVeth makes it:
 * created from inside the container namespace in one request, the host end placed directly in
 * the host namespace under a random `veth` + 8 hex name (retried when taken), then brought up
 * with router advertisements off, since the plugin owns that interface's routes.
 */
import { randomHex } from '../random-hex.js';
import { hostNetNS, withNetNS, type NetNS } from '@tscni/netlink/netns';
import { isExists } from '@tscni/netlink/rtnl/errors';
import { createLink, getLink, setLinkUp, type Link } from '@tscni/netlink/rtnl/link';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import { writeSysctl } from '@tscni/netlink/sysctl';

/** How many random host names are tried before giving up (the reference's count). */
const NAME_ATTEMPTS = 10;

/**
 * `veth` and 8 random hex digits; NetworkManager leaves such devices alone.
 *
 * @example randomVethName() // 'veth88ac9740'
 */
export function randomVethName(): string {
  return `veth${randomHex(4)}`;
}

export interface VethSpec {
  /** The container's namespace, where `containerIfName` is created. */
  containerNS: NetNS;
  containerIfName: string;
  /** Where the other end goes; the host namespace by default. */
  hostNS?: NetNS;
  /** A fixed host-side name; random when absent. */
  hostVethName?: string;
  /** MTU of both ends. */
  mtu?: number;
  /** MAC of the container end; kernel-chosen when absent. */
  containerMac?: string;
}

export interface VethPair {
  host: Link;
  container: Link;
}

function linkExists(ns: NetNS, name: string): boolean {
  return withRtnlSocket({ netns: ns }, (rt) => {
    try {
      getLink(rt, name);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Creates the pair and returns both ends as the kernel reports them (the container end is
 * still down: addresses go on first).
 *
 * @example const { host, container } = setupVeth({ containerNS, containerIfName: 'eth0', mtu: 1500 });
 */
export function setupVeth(spec: VethSpec): VethPair {
  const hostNS = spec.hostNS ?? hostNetNS();
  const name = spec.containerIfName;
  for (let attempt = 0; attempt < NAME_ATTEMPTS; attempt++) {
    const peer = spec.hostVethName ?? randomVethName();
    try {
      withRtnlSocket({ netns: spec.containerNS }, (rt) =>
        createLink(rt, {
          name,
          ...(spec.mtu !== undefined ? { mtu: spec.mtu } : {}),
          ...(spec.containerMac !== undefined ? { mac: spec.containerMac } : {}),
          info: { kind: 'veth', peer: { name: peer, netnsFd: hostNS.fd, ...(spec.mtu !== undefined ? { mtu: spec.mtu } : {}) } },
        }),
      );
    } catch (e) {
      if (isExists(e)) {
        if (spec.hostVethName === undefined && linkExists(hostNS, peer)) continue;
        throw new Error(`container veth name ("${name}") peer provided ("${peer}") already exists`, { cause: e });
      }
      throw new Error(`failed to make veth pair: ${(e as Error).message}`, { cause: e });
    }
    const host = withRtnlSocket({ netns: hostNS }, (rt) => {
      setLinkUp(rt, peer);
      return getLink(rt, peer);
    });
    try {
      withNetNS(hostNS, () => writeSysctl(`net/ipv6/conf/${peer}/accept_ra`, '0'));
    } catch {
      // IPv6 may be disabled on the host; the reference ignores this too.
    }
    const container = withRtnlSocket({ netns: spec.containerNS }, (rt) => getLink(rt, name));
    return { host, container };
  }
  throw new Error('failed to find a unique veth name');
}
