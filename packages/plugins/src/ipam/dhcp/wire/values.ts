/**
 * Typed readers and writers of option values (RFC 2132 section 2: addresses, lists of
 * addresses, 32-bit times, text).
 */
import { DhcpWireError, ipv4Bytes, ipv4Text } from './ipv4.js';

/**
 * A list of IPv4 addresses (options 3, 6, 54, ...).
 *
 * @example decodeAddresses(Uint8Array.of(10, 0, 0, 1, 10, 0, 0, 2)) // ['10.0.0.1', '10.0.0.2']
 */
export function decodeAddresses(value: Uint8Array, what = 'address list'): string[] {
  if (value.length === 0 || value.length % 4 !== 0) throw new DhcpWireError(`${what}: ${value.length} bytes is not a list of IPv4 addresses`);
  const out: string[] = [];
  for (let i = 0; i < value.length; i += 4) out.push(ipv4Text(value, i));
  return out;
}

/** @example encodeAddresses(['10.0.0.1']) // Uint8Array [10, 0, 0, 1] */
export function encodeAddresses(addresses: readonly string[]): Uint8Array {
  const out = new Uint8Array(addresses.length * 4);
  addresses.forEach((a, i) => out.set(ipv4Bytes(a), i * 4));
  return out;
}

/**
 * An unsigned 32-bit value (times in seconds: options 51, 58, 59).
 *
 * @example decodeUint32(Uint8Array.of(0, 0, 0x0e, 0x10)) // 3600
 */
export function decodeUint32(value: Uint8Array, what = 'time'): number {
  if (value.length !== 4) throw new DhcpWireError(`${what}: expected 4 bytes, got ${value.length}`);
  return new DataView(value.buffer, value.byteOffset, 4).getUint32(0);
}

/** @example encodeUint32(3600) // Uint8Array [0, 0, 14, 16] */
export function encodeUint32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0);
  return out;
}

/**
 * Text options (15 domain name, 12 host name): bytes as Latin-1, a trailing NUL dropped (some
 * servers count it in the length).
 *
 * @example decodeText(Buffer.from('example.com\0')) // 'example.com'
 */
export function decodeText(value: Uint8Array): string {
  let end = value.length;
  while (end > 0 && value[end - 1] === 0) end--;
  return Buffer.from(value.subarray(0, end)).toString('latin1');
}
