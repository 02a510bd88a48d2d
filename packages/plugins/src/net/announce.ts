/**
 * Telling the neighbours about an address: the kernel does it by itself when the link comes up
 * if arp_notify / ndisc_notify are set (what the reference relies on, so it is set before the
 * link is brought up); for a link that is already up, a gratuitous ARP or an unsolicited
 * neighbour advertisement is sent by hand.
 */
import { libc } from '@tscni/netlink/libc';
import { withNetNS, type NetNS } from '@tscni/netlink/netns';
import { writeSysctl } from '@tscni/netlink/sysctl';
import { parseIP, toIPv4 } from '@tscni/spec/ip';

const AF_INET6 = 10;
const AF_PACKET = 17;
const SOCK_DGRAM = 2;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0x80000;
const ETH_P_ARP = 0x0806;
const IPPROTO_ICMPV6 = 58;
const IPPROTO_IPV6 = 41;
const IPV6_MULTICAST_IF = 17;
const IPV6_MULTICAST_HOPS = 18;
const ARPHRD_ETHER = 1;

/**
 * Asks the kernel to announce the link's addresses when it comes up (arp_notify) and when its
 * IPv6 addresses change (ndisc_notify). Call inside the link's namespace.
 *
 * @example withNetNS(ns, () => enableNeighborNotify('eth0'))
 */
export function enableNeighborNotify(ifName: string, ipv6 = true): void {
  writeSysctl(`net/ipv4/conf/${ifName}/arp_notify`, '1');
  if (ipv6) writeSysctl(`net/ipv6/conf/${ifName}/ndisc_notify`, '1');
}

function macBytes(mac: string): Uint8Array {
  return Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));
}

function u32Bytes(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** The gratuitous ARP request for `ip` from `mac` (sender and target address both `ip`). */
export function gratuitousArpPacket(mac: string, ip: string): Uint8Array {
  const v4 = toIPv4(parseIP(ip) ?? new Uint8Array());
  if (!v4) throw new Error(`gratuitous ARP needs an IPv4 address, got ${ip}`);
  const p = new Uint8Array(28);
  const dv = new DataView(p.buffer);
  dv.setUint16(0, ARPHRD_ETHER);
  dv.setUint16(2, 0x0800);
  p[4] = 6;
  p[5] = 4;
  dv.setUint16(6, 1); // request: every Linux neighbour updates its cache from it
  p.set(macBytes(mac), 8);
  p.set(v4, 14);
  p.set(new Uint8Array(6).fill(0xff), 18);
  p.set(v4, 24);
  return p;
}

/** The unsolicited neighbour advertisement for `ip` (override flag, target link-layer option). */
export function unsolicitedNAPacket(mac: string, ip: string): Uint8Array {
  const v6 = parseIP(ip);
  if (!v6 || v6.length !== 16 || toIPv4(v6)) throw new Error(`neighbour advertisement needs an IPv6 address, got ${ip}`);
  const p = new Uint8Array(32);
  p[0] = 136; // neighbour advertisement; the kernel fills the checksum of ICMPv6 raw sockets
  p[4] = 0x20; // override
  p.set(v6, 8);
  p[24] = 2; // target link-layer address option, 8 bytes
  p[25] = 1;
  p.set(macBytes(mac), 26);
  return p;
}

/**
 * Sends one gratuitous ARP for `ip` out of the link, from inside `ns`.
 *
 * @example sendGratuitousArp(ns, link.index, link.mac!, '10.0.0.2')
 */
export function sendGratuitousArp(ns: NetNS | string, ifIndex: number, mac: string, ip: string): void {
  const packet = gratuitousArpPacket(mac, ip);
  const addr = new Uint8Array(20); // struct sockaddr_ll
  const dv = new DataView(addr.buffer);
  dv.setUint16(0, AF_PACKET, true);
  dv.setUint16(2, ETH_P_ARP);
  dv.setInt32(4, ifIndex, true);
  dv.setUint16(8, ARPHRD_ETHER, true);
  addr[11] = 6;
  addr.set(new Uint8Array(6).fill(0xff), 12);
  withNetNS(ns, () => {
    const fd = libc().socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, ((ETH_P_ARP & 0xff) << 8) | (ETH_P_ARP >> 8));
    try {
      libc().sendto(fd, packet, 0, addr);
    } finally {
      libc().close(fd);
    }
  });
}

/**
 * Sends one unsolicited neighbour advertisement for `ip` to all nodes, from inside `ns`.
 *
 * @example sendUnsolicitedNA(ns, link.index, link.mac!, 'fd00::2')
 */
export function sendUnsolicitedNA(ns: NetNS | string, ifIndex: number, mac: string, ip: string): void {
  const packet = unsolicitedNAPacket(mac, ip);
  const dest = new Uint8Array(28); // struct sockaddr_in6 to ff02::1 on this link
  const dv = new DataView(dest.buffer);
  dv.setUint16(0, AF_INET6, true);
  dest.set(parseIP('ff02::1')!, 8);
  dv.setUint32(24, ifIndex, true);
  withNetNS(ns, () => {
    const fd = libc().socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
    try {
      // Receivers drop neighbour discovery that did not come with hop limit 255.
      libc().setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, u32Bytes(255));
      libc().setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, u32Bytes(ifIndex));
      libc().sendto(fd, packet, 0, dest);
    } finally {
      libc().close(fd);
    }
  });
}
