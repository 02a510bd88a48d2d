/**
 * Addresses as numbers, for the range arithmetic of host-local: an IPv4 or IPv6 address in
 * its canonical family (IPv4-mapped IPv6 counts as IPv4, as Go's To4 makes it) and value.
 */
import { formatIP, parseIP, toIPv4, type IPBytes } from '@tscni/spec/ip';

/** An address with its family; values of different families never mix in arithmetic. */
export interface Addr {
  family: 4 | 6;
  value: bigint;
}

/**
 * The canonical address of raw bytes.
 *
 * @example addrFromBytes(parseIP('::ffff:10.0.0.1')!) // { family: 4, value: 167772161n }
 */
export function addrFromBytes(ip: IPBytes): Addr {
  const v4 = toIPv4(ip);
  const bytes = v4 ?? ip;
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return { family: v4 ? 4 : 6, value };
}

/**
 * Parses an address as Go's net.ParseIP; undefined when it is not one.
 *
 * @example parseAddr('10.0.0.1')?.family // 4
 */
export function parseAddr(text: string): Addr | undefined {
  const ip = parseIP(text);
  return ip ? addrFromBytes(ip) : undefined;
}

/** The width of a family in bits. @example familyBits(6) // 128 */
export function familyBits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

/**
 * The address's bytes (4 or 16).
 *
 * @example addrBytes({ family: 4, value: 167772161n }) // Uint8Array [10, 0, 0, 1]
 */
export function addrBytes(a: Addr): Uint8Array {
  const n = a.family === 4 ? 4 : 16;
  const out = new Uint8Array(n);
  let v = a.value;
  for (let k = n - 1; k >= 0; k--) {
    out[k] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * Go's text of the address (the name of its reservation file).
 *
 * @example formatAddr(parseAddr('2001:DB8::0:1')!) // '2001:db8::1'
 */
export function formatAddr(a: Addr): string {
  return formatIP(addrBytes(a));
}

/** Go's net.IP.Equal: same family and value. @example sameAddr(a, b) */
export function sameAddr(a: Addr, b: Addr): boolean {
  return a.family === b.family && a.value === b.value;
}

/**
 * Go's ip.Cmp: compares the numbers only, whatever the families.
 *
 * @example cmpAddr(parseAddr('10.0.0.1')!, parseAddr('10.0.0.2')!) // -1
 */
export function cmpAddr(a: Addr, b: Addr): -1 | 0 | 1 {
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** The next address of the same family. @example formatAddr(nextAddr(parseAddr('10.0.0.255')!)) // '10.0.1.0' */
export function nextAddr(a: Addr): Addr {
  return { family: a.family, value: a.value + 1n };
}
