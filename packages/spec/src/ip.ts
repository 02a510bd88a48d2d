/**
 * IP addresses and CIDRs in the reference's canonical text: IPv4 dotted quads (IPv4-mapped
 * IPv6 included), IPv6 lower-case with the longest run of zero groups compressed.
 */

/** An address as 4 (IPv4) or 16 (IPv6) bytes. */
export type IPBytes = Uint8Array;

function parseIPv4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let k = 0; k < 4; k++) {
    const p = parts[k]!;
    // Go rejects leading zeros (ambiguous octal) and anything but decimal digits.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[k] = n;
  }
  return out;
}

function parseIPv6(s: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  let head = s;
  let tail = '';
  const dbl = s.indexOf('::');
  if (dbl >= 0) {
    head = s.slice(0, dbl);
    tail = s.slice(dbl + 2);
    if (tail.includes('::')) return undefined;
  }
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const res: number[] = [];
    const items = part.split(':');
    for (let k = 0; k < items.length; k++) {
      const it = items[k]!;
      if (k === items.length - 1 && it.includes('.')) {
        const v4 = parseIPv4(it);
        if (!v4) return undefined;
        res.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(it)) return undefined;
      res.push(parseInt(it, 16));
    }
    return res;
  };
  const h = groups(head);
  const t = groups(tail);
  if (!h || !t) return undefined;
  if (head.includes('.') && dbl >= 0) return undefined;
  if (dbl < 0 && h.length !== 8) return undefined;
  if (dbl >= 0 && h.length + t.length > 7) return undefined;
  const all = dbl >= 0 ? [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t] : h;
  all.forEach((g, k) => {
    out[2 * k] = g >> 8;
    out[2 * k + 1] = g & 0xff;
  });
  return out;
}

/**
 * Parses an IP as Go's net.ParseIP does; undefined when it is not one.
 *
 * @example parseIP('10.0.0.1')?.length // 4
 */
export function parseIP(s: string): IPBytes | undefined {
  if (s.includes(':')) return parseIPv6(s);
  return parseIPv4(s);
}

/**
 * The IPv4 form of an address (4 bytes), including IPv4-mapped IPv6, else undefined.
 *
 * @example toIPv4(parseIP('::ffff:10.0.0.1')!) // Uint8Array [10, 0, 0, 1]
 */
export function toIPv4(ip: IPBytes): Uint8Array | undefined {
  if (ip.length === 4) return ip;
  for (let k = 0; k < 10; k++) if (ip[k] !== 0) return undefined;
  if (ip[10] !== 0xff || ip[11] !== 0xff) return undefined;
  return ip.slice(12);
}

/**
 * 4 for IPv4 (and IPv4-mapped IPv6), 6 otherwise.
 *
 * @example ipFamily(parseIP('::ffff:10.0.0.1')!) // 4
 */
export function ipFamily(ip: IPBytes): 4 | 6 {
  return toIPv4(ip) ? 4 : 6;
}

/**
 * Go's net.IP.String().
 *
 * @example formatIP(parseIP('2001:DB8:0:0:0:0:0:1')!) // '2001:db8::1'
 */
export function formatIP(ip: IPBytes): string {
  const v4 = toIPv4(ip);
  if (v4) return Array.from(v4).join('.');
  const g: number[] = [];
  for (let k = 0; k < 16; k += 2) g.push((ip[k]! << 8) | ip[k + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && g[e] === 0) e++;
    if (e - k > bestLen) {
      bestStart = k;
      bestLen = e - k;
    }
    k = e;
  }
  if (bestLen < 2) bestStart = -1;
  let out = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      out += '::';
      k += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += g[k]!.toString(16);
  }
  return out;
}

/** An address with its prefix length; host bits are kept, as in the reference's results. */
export interface CIDR {
  ip: IPBytes;
  prefix: number;
}

/**
 * Parses `addr/len` as Go's types.ParseCIDR; undefined when malformed.
 *
 * @example parseCIDR('10.1.2.3/24')?.prefix // 24
 */
export function parseCIDR(s: string): CIDR | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIP(s.slice(0, slash));
  const len = s.slice(slash + 1);
  // Go reads the length as plain decimal digits, leading zeros allowed ("/024").
  if (!ip || !/^[0-9]+$/.test(len)) return undefined;
  const prefix = Number(len);
  if (prefix > ip.length * 8) return undefined;
  return { ip, prefix };
}

/**
 * Go's IPNet.String() for a CIDR with host bits kept.
 *
 * @example formatCIDR(parseCIDR('::ffff:10.1.2.3/120')!) // '10.1.2.3/24'
 */
export function formatCIDR(c: CIDR): string {
  const v4 = toIPv4(c.ip);
  // Go prints an IPv4-mapped address with the last 32 bits of its mask, so /64 becomes /0.
  if (v4 && c.ip.length === 16) return `${formatIP(v4)}/${Math.max(c.prefix - 96, 0)}`;
  return `${formatIP(c.ip)}/${c.prefix}`;
}

/**
 * The canonical text of an IP, or undefined when it is not one.
 *
 * @example canonicalIP('ABCD::1') // 'abcd::1'
 */
export function canonicalIP(s: string): string | undefined {
  const ip = parseIP(s);
  return ip ? formatIP(ip) : undefined;
}

/**
 * The canonical text of a CIDR, or undefined when it is not one.
 *
 * @example canonicalCIDR('10.1.2.3/024') // '10.1.2.3/24'
 */
export function canonicalCIDR(s: string): string | undefined {
  const c = parseCIDR(s);
  return c ? formatCIDR(c) : undefined;
}
