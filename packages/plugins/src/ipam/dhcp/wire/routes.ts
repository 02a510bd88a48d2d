/**
 * Route options: 121, classless static routes (RFC 3442), and 33, static routes with classful
 * destinations (RFC 2132 5.8).
 */
import { DhcpWireError, ipv4Bytes, ipv4Text, networkOf } from './ipv4.js';

/** A route as the options carry it: `dst` in CIDR text, `gw` '0.0.0.0' for on-link. */
export interface OptionRoute {
  dst: string;
  gw: string;
}

/**
 * Option 121: each route is a width (0-32), the significant octets of the destination, then
 * the router. Destination bits beyond the width must be zero; a route that breaks that, or a
 * value that ends mid-route, makes the whole option invalid (RFC 3442: ignore it).
 *
 * @example decodeClasslessRoutes(Uint8Array.of(24, 192, 168, 1, 10, 0, 0, 1)) // [{ dst: '192.168.1.0/24', gw: '10.0.0.1' }]
 */
export function decodeClasslessRoutes(value: Uint8Array): OptionRoute[] {
  const out: OptionRoute[] = [];
  let i = 0;
  while (i < value.length) {
    const width = value[i]!;
    if (width > 32) throw new DhcpWireError(`classless static route: width ${width} is above 32`);
    const octets = Math.ceil(width / 8);
    if (i + 1 + octets + 4 > value.length) throw new DhcpWireError('classless static route: the option ends in the middle of a route');
    const dst = new Uint8Array(4);
    dst.set(value.subarray(i + 1, i + 1 + octets));
    if (networkOf(dst, width) !== ipv4Text(dst)) throw new DhcpWireError(`classless static route: ${ipv4Text(dst)}/${width} has host bits set`);
    out.push({ dst: `${ipv4Text(dst)}/${width}`, gw: ipv4Text(value, i + 1 + octets) });
    i += 1 + octets + 4;
  }
  return out;
}

/**
 * The option 121 value for `routes` (host bits of each destination cleared).
 *
 * @example encodeClasslessRoutes([{ dst: '0.0.0.0/0', gw: '10.0.0.1' }]) // Uint8Array [0, 10, 0, 0, 1]
 */
export function encodeClasslessRoutes(routes: readonly OptionRoute[]): Uint8Array {
  const out: number[] = [];
  for (const r of routes) {
    const [addr, len] = r.dst.split('/');
    const width = Number(len);
    if (addr === undefined || !/^[0-9]{1,2}$/.test(len ?? '') || width > 32) throw new DhcpWireError(`"${r.dst}" is not an IPv4 CIDR`);
    const dst = ipv4Bytes(networkOf(ipv4Bytes(addr), width));
    out.push(width, ...dst.subarray(0, Math.ceil(width / 8)), ...ipv4Bytes(r.gw));
  }
  return Uint8Array.from(out);
}

/**
 * The classful prefix length of an address, as Go's IP.DefaultMask: class A /8, B /16, else /24.
 *
 * @example classfulPrefixLength('172.16.5.0') // 16
 */
export function classfulPrefixLength(address: Uint8Array): number {
  const first = address[0]!;
  return first < 0x80 ? 8 : first < 0xc0 ? 16 : 24;
}

/**
 * Option 33: pairs of (destination, router); the destination's mask is its class's, and the
 * destination is kept as sent (as the reference's classfulSubnet). 0.0.0.0 is not allowed as a
 * destination (RFC 2132), so such pairs are skipped.
 *
 * @example decodeStaticRoutes(Uint8Array.of(10, 1, 0, 0, 10, 0, 0, 1)) // [{ dst: '10.1.0.0/8', gw: '10.0.0.1' }]
 */
export function decodeStaticRoutes(value: Uint8Array): OptionRoute[] {
  if (value.length === 0 || value.length % 8 !== 0) throw new DhcpWireError(`static routes: ${value.length} bytes is not a list of address pairs`);
  const out: OptionRoute[] = [];
  for (let i = 0; i < value.length; i += 8) {
    const dst = value.subarray(i, i + 4);
    if (ipv4Text(dst) === '0.0.0.0') continue;
    out.push({ dst: `${ipv4Text(dst)}/${classfulPrefixLength(dst)}`, gw: ipv4Text(value, i + 4) });
  }
  return out;
}
