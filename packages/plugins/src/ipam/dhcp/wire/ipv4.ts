/**
 * IPv4 addresses as DHCP carries them: 4 bytes in network order, dotted text outside.
 */

/** Thrown for bytes that do not make a valid DHCP message or option. */
export class DhcpWireError extends Error {
  override name = 'DhcpWireError';
}

/**
 * The 4 bytes of a dotted IPv4 address; throws DhcpWireError for anything else.
 *
 * @example ipv4Bytes('10.0.0.1') // Uint8Array [10, 0, 0, 1]
 */
export function ipv4Bytes(text: string): Uint8Array {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^[0-9]{1,3}$/.test(p) || Number(p) > 255)) {
    throw new DhcpWireError(`"${text}" is not an IPv4 address`);
  }
  return Uint8Array.from(parts.map(Number));
}

/**
 * Dotted text of the 4 bytes at `offset`.
 *
 * @example ipv4Text(Uint8Array.of(10, 0, 0, 1)) // '10.0.0.1'
 */
export function ipv4Text(bytes: Uint8Array, offset = 0): string {
  if (bytes.length < offset + 4) throw new DhcpWireError(`an IPv4 address needs 4 bytes, ${bytes.length - offset} left`);
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/**
 * The prefix length of a contiguous netmask, undefined when the mask has holes.
 *
 * @example maskPrefixLength(Uint8Array.of(255, 255, 255, 0)) // 24
 */
export function maskPrefixLength(mask: Uint8Array): number | undefined {
  if (mask.length !== 4) return undefined;
  const n = ((mask[0]! << 24) | (mask[1]! << 16) | (mask[2]! << 8) | mask[3]!) >>> 0;
  let ones = 0;
  while (ones < 32 && n & (0x80000000 >>> ones)) ones++;
  const rebuilt = ones === 0 ? 0 : (0xffffffff << (32 - ones)) >>> 0;
  return rebuilt === n ? ones : undefined;
}

/**
 * The network address of `address/prefixLength` as dotted text.
 *
 * @example networkOf(Uint8Array.of(10, 1, 2, 3), 16) // '10.1.0.0'
 */
export function networkOf(address: Uint8Array, prefixLength: number): string {
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const bits = Math.max(0, Math.min(8, prefixLength - i * 8));
    out[i] = address[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return ipv4Text(out);
}
