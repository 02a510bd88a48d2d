/**
 * tun/tap devices. The kernel refuses to create them over rtnetlink, so they are made the way
 * `ip tuntap add` makes them: TUNSETIFF on /dev/net/tun, owner and group, then TUNSETPERSIST
 * so the device outlives the file descriptor. Everything else (MTU, MAC, master, up, delete)
 * is ordinary rtnetlink.
 */
import { closeSync, openSync } from 'node:fs';
import { libc } from './libc.js';
import { withNetNS, type NetNS } from './netns.js';

const TUNSETIFF = 0x400454ca;
const TUNSETPERSIST = 0x400454cb;
const TUNSETOWNER = 0x400454cc;
const TUNSETGROUP = 0x400454ce;
const IFF_TUN = 0x0001;
const IFF_TAP = 0x0002;
const IFF_MULTI_QUEUE = 0x0100;
const IFF_NO_PI = 0x1000;
const IFF_VNET_HDR = 0x4000;
const IFNAMSIZ = 16;

export interface NewTuntap {
  name: string;
  mode: 'tun' | 'tap';
  multiQueue?: boolean;
  /** Prepend the virtio-net header (what the reference's netlink path sets for taps). */
  vnetHdr?: boolean;
  /** Keep the packet-information header (off by default, as `ip tuntap` does). */
  packetInfo?: boolean;
  owner?: number;
  group?: number;
  /** The namespace to create it in; the caller's when absent. */
  netns?: NetNS | string;
}

/** struct ifreq with a name and ifr_flags. */
function ifreq(name: string, flags: number): Uint8Array {
  const b = new Uint8Array(40);
  const n = Buffer.from(name, 'utf8');
  if (n.length >= IFNAMSIZ) throw new Error(`interface name too long: ${name}`);
  b.set(n, 0);
  new DataView(b.buffer).setUint16(IFNAMSIZ, flags, true);
  return b;
}

/**
 * Creates a persistent tun or tap device (in `netns` when given).
 *
 * @example createTuntap({ name: 'tap0', mode: 'tap', owner: 1000, netns: '/run/netns/c1' })
 */
export function createTuntap(spec: NewTuntap): void {
  const make = (): void => {
    // The device is created in the namespace of the thread calling TUNSETIFF.
    const fd = openSync('/dev/net/tun', 'r+');
    try {
      let flags = spec.mode === 'tap' ? IFF_TAP : IFF_TUN;
      if (!spec.packetInfo) flags |= IFF_NO_PI;
      if (spec.multiQueue) flags |= IFF_MULTI_QUEUE;
      if (spec.vnetHdr) flags |= IFF_VNET_HDR;
      libc().ioctl(fd, TUNSETIFF, ifreq(spec.name, flags));
      if (spec.owner !== undefined) libc().ioctl(fd, TUNSETOWNER, spec.owner);
      if (spec.group !== undefined) libc().ioctl(fd, TUNSETGROUP, spec.group);
      libc().ioctl(fd, TUNSETPERSIST, 1);
    } finally {
      closeSync(fd);
    }
  };
  if (spec.netns === undefined) make();
  else withNetNS(spec.netns, make);
}
