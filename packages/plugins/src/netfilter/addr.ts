/**
 * Address text in the forms the netfilter tools print it back: iptables-save shows `-s`/`-d`
 * as a masked network with its prefix length (`10.22.0.0/16`, `10.22.0.2/32`) and IPv6 the way
 * glibc's inet_ntop compresses it. Comparing a requested rule with a saved one needs both
 * sides in that form.
 */
import { ipText } from '@tscni/netlink/rtnl/values';
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
 * An address as inet_ntop prints it, which is how the netfilter tools print it back.
 *
 * @example formatAddress(Uint8Array.of(10, 0, 0, 1)) // '10.0.0.1'
 */
export const formatAddress: (bytes: Uint8Array) => string = ipText;

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
