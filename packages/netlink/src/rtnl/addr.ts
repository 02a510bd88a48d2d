/**
 * IP addresses on links: add, replace, delete and list through RTM_*ADDR, IPv4 and IPv6.
 * Adding an IPv4 address sets its broadcast the way Go's netlink (and so every reference
 * plugin) does unless told otherwise: host bits all ones, for prefixes up to /30.
 */
import { attr, type AttrInput } from './attrs.js';
import { decodeBody, ifAddrMsg, type IfAddrMsg } from './codec.js';
import { AF_INET, AF_INET6, AF_UNSPEC, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, RTM_DELADDR, RTM_GETADDR, RTM_NEWADDR } from './constants.js';
import { linkIndex, type LinkRef } from './link.js';
import { compact } from './plain.js';
import type { RtnlSocket } from './socket.js';
import { ipBytes, ipFamily, ipText, ipv4Text, readU32, u32Bytes } from './values.js';
import { parsePrefix } from './ip-prefix.js';

export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_BROADCAST = 4;
export const IFA_ANYCAST = 5;
export const IFA_CACHEINFO = 6;
export const IFA_MULTICAST = 7;
export const IFA_FLAGS = 8;

/** IFA_F_* address flags (linux/if_addr.h), by the names `ip` prints. */
export const ADDR_FLAG_BITS = {
  secondary: 0x01,
  nodad: 0x02,
  optimistic: 0x04,
  dadfailed: 0x08,
  homeaddress: 0x10,
  deprecated: 0x20,
  tentative: 0x40,
  permanent: 0x80,
  managetempaddr: 0x100,
  noprefixroute: 0x200,
  mcautojoin: 0x400,
  stablePrivacy: 0x800,
} as const;
export type AddrFlagName = keyof typeof ADDR_FLAG_BITS;
export type AddrFlags = Record<AddrFlagName, boolean>;

/** Lifetime value meaning "forever" (ip's `forever`). */
export const INFINITY_LIFE_TIME = 0xffffffff;

/** An address as the kernel reports it. */
export interface Address {
  index: number;
  family: 4 | 6;
  /** Canonical text (inet_ntop form: `fd00::1`, `10.0.0.2`). */
  address: string;
  prefixLength: number;
  /** The other end of a point-to-point address, when it differs from `address`. */
  peer?: string;
  broadcast?: string;
  label?: string;
  scope: number;
  /** All IFA_F_* bits (IFA_FLAGS when sent, else the header's 8). */
  rawFlags: number;
  flags: AddrFlags;
  /** Seconds; INFINITY_LIFE_TIME for forever. */
  validLifetime?: number;
  preferredLifetime?: number;
}

/** An address to add. */
export interface NewAddress {
  /** The address, without prefix. */
  address: string;
  prefixLength: number;
  /** The peer of a point-to-point address (IFA_ADDRESS); `address` otherwise. */
  peer?: string;
  /**
   * IPv4 only. Absent or '+': host bits all ones when the prefix is /30 or shorter (Go's
   * netlink default, `ip ... brd +`); '-': the network address; an address; false: none.
   */
  broadcast?: string | false;
  /** IPv4 only (IFA_LABEL), e.g. `eth0:1`. */
  label?: string;
  /** RT_SCOPE_*; 0 (global) when absent, as Go's netlink sends it. */
  scope?: number;
  flags?: Partial<AddrFlags>;
  validLifetime?: number;
  preferredLifetime?: number;
}

/**
 * Splits `10.0.0.2/24` or `fd00::2/64` (no prefix means a host address).
 *
 * @example parseCidr('10.0.0.2/24') // { address: '10.0.0.2', prefixLength: 24 }
 */
export function parseCidr(cidr: string): { address: string; prefixLength: number } {
  const { address, length } = parsePrefix(cidr);
  return { address, prefixLength: length };
}

/**
 * The IPv4 broadcast `ip` computes: with `+`, the address with all host bits set; with `-`,
 * with none; undefined for /31 and /32, which have no broadcast.
 *
 * @example ipv4Broadcast('10.1.2.3', 24) // '10.1.2.255'
 */
export function ipv4Broadcast(address: string, prefixLength: number, mode: '+' | '-' = '+'): string | undefined {
  if (prefixLength > 30) return undefined;
  const ip = readU32(ipBytes(address).reverse());
  const host = prefixLength === 0 ? 0xffffffff : (1 << (32 - prefixLength)) - 1;
  const value = mode === '+' ? (ip | host) >>> 0 : (ip & ~host) >>> 0;
  return ipv4Text(u32Bytes(value).reverse());
}

function flagBits(flags: Partial<AddrFlags> | undefined): number {
  let bits = 0;
  for (const [name, bit] of Object.entries(ADDR_FLAG_BITS) as [AddrFlagName, number][]) if (flags?.[name]) bits |= bit;
  return bits;
}

function decodeFlags(bits: number): AddrFlags {
  return Object.fromEntries((Object.entries(ADDR_FLAG_BITS) as [AddrFlagName, number][]).map(([name, bit]) => [name, (bits & bit) !== 0])) as AddrFlags;
}

function cacheInfo(valid: number, preferred: number): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, preferred >>> 0, true);
  dv.setUint32(4, valid >>> 0, true);
  return b;
}

/**
 * The RTM_NEWADDR header and attributes for an address, in Go's netlink order (IFA_LOCAL,
 * IFA_ADDRESS, then IFA_FLAGS for bits beyond the header's 8, broadcast, label, cacheinfo).
 *
 * @example addrRequest(2, { address: '10.0.0.2', prefixLength: 24 })
 */
export function addrRequest(index: number, a: NewAddress): { header: IfAddrMsg; attrs: AttrInput[] } {
  const family = ipFamily(a.address);
  const flags = flagBits(a.flags);
  const attrs: AttrInput[] = [attr.ip(IFA_LOCAL, a.address), attr.ip(IFA_ADDRESS, a.peer ?? a.address)];
  if (flags > 0xff) attrs.push(attr.u32(IFA_FLAGS, flags));
  if (family === AF_INET) {
    const brd = a.broadcast === false ? undefined : a.broadcast === undefined || a.broadcast === '+' || a.broadcast === '-' ? ipv4Broadcast(a.address, a.prefixLength, a.broadcast === '-' ? '-' : '+') : a.broadcast;
    if (brd !== undefined && a.peer === undefined) attrs.push(attr.ip(IFA_BROADCAST, brd));
    if (a.label !== undefined) attrs.push(attr.string(IFA_LABEL, a.label));
  }
  if (a.validLifetime !== undefined || a.preferredLifetime !== undefined) {
    attrs.push(attr.bytes(IFA_CACHEINFO, cacheInfo(a.validLifetime ?? INFINITY_LIFE_TIME, a.preferredLifetime ?? a.validLifetime ?? INFINITY_LIFE_TIME)));
  }
  return { header: { family, prefixLength: a.prefixLength, flags: flags & 0xff, scope: a.scope ?? 0, index }, attrs };
}

/**
 * Decodes an RTM_NEWADDR payload.
 *
 * @example decodeAddress(msg.payload).address // 'fd00::2'
 */
export function decodeAddress(payload: Uint8Array): Address {
  const { header, attrs } = decodeBody(ifAddrMsg, payload);
  const local = attrs.ip(IFA_LOCAL);
  const address = attrs.ip(IFA_ADDRESS);
  const rawFlags = attrs.u32(IFA_FLAGS) ?? header.flags ?? 0;
  const cache = attrs.get(IFA_CACHEINFO);
  const dv = cache && cache.length >= 8 ? new DataView(cache.buffer, cache.byteOffset, cache.byteLength) : undefined;
  return compact<Address>({
    index: header.index,
    family: header.family === AF_INET6 ? 6 : 4,
    address: local ?? address ?? '',
    prefixLength: header.prefixLength,
    peer: local !== undefined && address !== undefined && address !== local ? address : undefined,
    broadcast: attrs.ip(IFA_BROADCAST),
    label: attrs.string(IFA_LABEL),
    scope: header.scope ?? 0,
    rawFlags,
    flags: decodeFlags(rawFlags),
    preferredLifetime: dv?.getUint32(0, true),
    validLifetime: dv?.getUint32(4, true),
  });
}

/**
 * Adds an address (EEXIST when it is there already).
 *
 * @example addAddr(rt, 'eth0', { address: 'fd00::2', prefixLength: 64, flags: { nodad: true } })
 */
export function addAddr(rt: RtnlSocket, ref: LinkRef, a: NewAddress): void {
  const { header, attrs } = addrRequest(linkIndex(rt, ref), a);
  rt.request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifAddrMsg.encode(header), attrs);
}

/**
 * Adds an address or updates the one with the same address and prefix (flags, lifetimes).
 *
 * @example replaceAddr(rt, 'eth0', { address: '10.0.0.2', prefixLength: 24 })
 */
export function replaceAddr(rt: RtnlSocket, ref: LinkRef, a: NewAddress): void {
  const { header, attrs } = addrRequest(linkIndex(rt, ref), a);
  rt.request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, ifAddrMsg.encode(header), attrs);
}

/**
 * Deletes an address; a missing one fails with EADDRNOTAVAIL (isNotFound is true).
 *
 * @example deleteAddr(rt, 'eth0', { address: '10.0.0.2', prefixLength: 24 })
 */
export function deleteAddr(rt: RtnlSocket, ref: LinkRef, a: { address: string; prefixLength: number; peer?: string }): void {
  const index = linkIndex(rt, ref);
  const header: IfAddrMsg = { family: ipFamily(a.address), prefixLength: a.prefixLength, index };
  rt.request(RTM_DELADDR, 0, ifAddrMsg.encode(header), [attr.ip(IFA_LOCAL, a.address), attr.ip(IFA_ADDRESS, a.peer ?? a.address)]);
}

/**
 * Addresses in the socket's namespace, optionally of one link and one family (4 or 6).
 *
 * @example listAddrs(rt, { link: 'eth0', family: 6 }).map((a) => `${a.address}/${a.prefixLength}`)
 */
export function listAddrs(rt: RtnlSocket, filter: { link?: LinkRef; family?: 4 | 6 } = {}): Address[] {
  const index = filter.link === undefined ? undefined : linkIndex(rt, filter.link);
  const family = filter.family === 4 ? AF_INET : filter.family === 6 ? AF_INET6 : AF_UNSPEC;
  return rt
    .dump(RTM_GETADDR, ifAddrMsg.encode({ family, prefixLength: 0, index: 0 }))
    .filter((m) => m.type === RTM_NEWADDR)
    .map((m) => decodeAddress(m.payload))
    .filter((a) => index === undefined || a.index === index);
}
