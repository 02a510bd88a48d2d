/**
 * Address text in the forms the netfilter tools print it back: iptables-save shows `-s`/`-d`
 * as a masked network with its prefix length (`10.22.0.0/16`, `10.22.0.2/32`) and IPv6 the way
 * glibc's inet_ntop compresses it. Comparing a requested rule with a saved one needs both
 * sides in that form.
 */
import { parseIP } from '@tscni/spec/ip';

/** The two address families netfilter keeps apart (iptables vs ip6tables, `ip` vs `ip6`). */
export type IPFamily = 'ipv4' | 'ipv6';

/** An address with its prefix length, as bytes. */
export interface ParsedCidr {
  readonly family: IPFamily;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

/**
 * Parses `a.b.c.d[/n]` or an IPv6 address `[/n]`; a missing prefix means a host (32 or 128).
 * Returns undefined for anything else (a host name, a range).
 *
 * @example parseCidr('10.22.0.2/16') // { family: 'ipv4', bytes: [10,22,0,2], prefix: 16 }
 */
export function parseCidr(text: string): ParsedCidr | undefined {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  const ip = parseIP(addr);
  if (!ip) return undefined;
  // An IPv4-mapped IPv6 address stays IPv6 here: it is what ip6tables would be given.
  const family: IPFamily = ip.length === 4 ? 'ipv4' : 'ipv6';
  const bytes = ip;
  const max = bytes.length * 8;
  if (prefixText === undefined) return { family, bytes, prefix: max };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return undefined;
  return { family, bytes, prefix: Number(prefixText) };
}

/**
 * An address as inet_ntop prints it (IPv6: the longest run of two or more zero groups as
 * `::`, lowercase, IPv4-mapped and -compatible forms with a dotted tail).
 *
 * @example formatAddress(Uint8Array.from([0x20,1,0xd,0xb8, ...new Array(11).fill(0), 1])) // '2001:db8::1'
 */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const w = Array.from({ length: 8 }, (_, i) => (bytes[i * 2]! << 8) | bytes[i * 2 + 1]!);
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      cur = cur.base < 0 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
      if (cur.len > best.len) best = cur;
    } else cur = { base: -1, len: 0 };
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base >= 0 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i > 0) out += ':';
    // glibc prints a dotted IPv4 tail for ::a.b.c.d and ::ffff:a.b.c.d.
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 7 && w[7] !== 1) || (best.len === 5 && w[5] === 0xffff))) {
      out += Array.from(bytes.subarray(12)).join('.');
      break;
    }
    out += w[i]!.toString(16);
  }
  if (best.base >= 0 && best.base + best.len === 8) out += ':';
  return out;
}

/**
 * The address with the host bits cleared.
 *
 * @example formatAddress(maskBytes(parseCidr('10.22.0.2/16')!.bytes, 16)) // '10.22.0.0'
 */
export function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = out[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/**
 * The network of an address with a prefix, as iptables-save prints it.
 *
 * @example canonicalCidr('10.22.0.2/16') // '10.22.0.0/16'; canonicalCidr('fd00::2') // 'fd00::2/128'
 */
export function canonicalCidr(text: string): string | undefined {
  const p = parseCidr(text);
  if (!p) return undefined;
  return `${formatAddress(maskBytes(p.bytes, p.prefix))}/${p.prefix}`;
}

/**
 * The family of an address or CIDR text.
 *
 * @example familyOf('fd00::2/64') // 'ipv6'
 */
export function familyOf(text: string): IPFamily | undefined {
  return parseCidr(text)?.family;
}
