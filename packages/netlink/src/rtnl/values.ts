/**
 * Attribute payload values: fixed-width integers in host order (netlink's default, little
 * endian on every platform this runs on), the few big-endian ones (ports, protocols), C
 * strings, and the text forms of IP and MAC addresses. IP text follows inet_ntop, which is
 * what `ip` prints, so decoded addresses compare equal to the oracle's output.
 */

/** A DataView over exactly these bytes (a subarray's own window of its buffer). */
export function dataView(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function need(b: Uint8Array, size: number, what: string): void {
  if (b.length < size) throw new RangeError(`${what}: ${b.length} bytes, need ${size}`);
}

/** @example u8Bytes(1) // Uint8Array [1] */
export function u8Bytes(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff);
}

/** @example u16Bytes(1500) // Uint8Array [0xdc, 0x05] */
export function u16Bytes(v: number): Uint8Array {
  const b = new Uint8Array(2);
  dataView(b).setUint16(0, v, true);
  return b;
}

/** Network byte order, for ports and ethertypes. @example be16Bytes(4789) // [0x12, 0xb5] */
export function be16Bytes(v: number): Uint8Array {
  const b = new Uint8Array(2);
  dataView(b).setUint16(0, v, false);
  return b;
}

/** @example u32Bytes(1) // [1, 0, 0, 0] */
export function u32Bytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  dataView(b).setUint32(0, v >>> 0, true);
  return b;
}

/** @example i32Bytes(-1) // [0xff, 0xff, 0xff, 0xff] */
export function i32Bytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  dataView(b).setInt32(0, v, true);
  return b;
}

/** @example u64Bytes(1n << 40n) */
export function u64Bytes(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  dataView(b).setBigUint64(0, v, true);
  return b;
}

/** A NUL-terminated C string. @example cstringBytes('eth0') // 'eth0\0' */
export function cstringBytes(s: string): Uint8Array {
  const text = new TextEncoder().encode(s);
  const b = new Uint8Array(text.length + 1);
  b.set(text);
  return b;
}

/** @example readU8(Uint8Array.of(7)) // 7 */
export function readU8(b: Uint8Array): number {
  need(b, 1, 'u8');
  return b[0]!;
}

/** @example readU16(Uint8Array.of(0xdc, 5)) // 1500 */
export function readU16(b: Uint8Array): number {
  need(b, 2, 'u16');
  return dataView(b).getUint16(0, true);
}

/** @example readBe16(Uint8Array.of(0x12, 0xb5)) // 4789 */
export function readBe16(b: Uint8Array): number {
  need(b, 2, 'be16');
  return dataView(b).getUint16(0, false);
}

/** @example readU32(u32Bytes(9)) // 9 */
export function readU32(b: Uint8Array): number {
  need(b, 4, 'u32');
  return dataView(b).getUint32(0, true);
}

/** @example readI32(i32Bytes(-22)) // -22 */
export function readI32(b: Uint8Array): number {
  need(b, 4, 'i32');
  return dataView(b).getInt32(0, true);
}

/** @example readU64(u64Bytes(5n)) // 5n */
export function readU64(b: Uint8Array): bigint {
  need(b, 8, 'u64');
  return dataView(b).getBigUint64(0, true);
}

/** The text up to the first NUL (or the whole payload). @example readCString(cstringBytes('lo')) // 'lo' */
export function readCString(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
}

/** @example macBytes('02:00:00:00:00:01') // 6 bytes */
export function macBytes(mac: string): Uint8Array {
  const parts = mac.split(/[:-]/);
  if (parts.length < 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new TypeError(`invalid MAC address ${JSON.stringify(mac)}`);
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

/** Lower-case, colon-separated, as `ip` prints it. @example macText(Uint8Array.of(2,0,0,0,0,1)) // '02:00:00:00:00:01' */
export function macText(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** @example ipv4Bytes('10.0.0.1') // [10, 0, 0, 1] */
export function ipv4Bytes(ip: string): Uint8Array {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255)) {
    throw new TypeError(`invalid IPv4 address ${JSON.stringify(ip)}`);
  }
  return Uint8Array.from(parts, Number);
}

/** @example ipv4Text(Uint8Array.of(10, 0, 0, 1)) // '10.0.0.1' */
export function ipv4Text(b: Uint8Array): string {
  need(b, 4, 'IPv4 address');
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** Parses every IPv6 text form (`::`, embedded IPv4). @example ipv6Bytes('fd00::1').length // 16 */
export function ipv6Bytes(ip: string): Uint8Array {
  const bad = (): never => {
    throw new TypeError(`invalid IPv6 address ${JSON.stringify(ip)}`);
  };
  let text = ip;
  const lastColon = ip.lastIndexOf(':');
  if (lastColon >= 0 && ip.includes('.', lastColon)) {
    // The dotted tail is two words; rewriting it as hex leaves one grammar to parse.
    const v4 = ipv4BytesOr(ip.slice(lastColon + 1)) ?? bad();
    const hex = (hi: number, lo: number): string => ((hi << 8) | lo).toString(16);
    text = `${ip.slice(0, lastColon + 1)}${hex(v4[0]!, v4[1]!)}:${hex(v4[2]!, v4[3]!)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) bad();
  const group = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : bad())));
  const head = group(halves[0]!);
  const tail = halves.length === 2 ? group(halves[1]!) : [];
  if (halves.length === 2 ? head.length + tail.length > 7 : head.length !== 8) bad();
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  const b = new Uint8Array(16);
  all.forEach((w, i) => dataView(b).setUint16(i * 2, w, false));
  return b;
}

function ipv4BytesOr(s: string): Uint8Array | undefined {
  try {
    return ipv4Bytes(s);
  } catch {
    return undefined;
  }
}

/**
 * inet_ntop's form: lower case, the longest run of two or more zero words as `::` (the first
 * on a tie), and the IPv4 tail of v4-mapped and v4-compatible addresses in dotted form.
 *
 * @example ipv6Text(ipv6Bytes('FD00:0:0:0:0:0:0:1')) // 'fd00::1'
 */
export function ipv6Text(b: Uint8Array): string {
  need(b, 16, 'IPv6 address');
  const words = Array.from({ length: 8 }, (_, i) => dataView(b).getUint16(i * 2, false));
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      cur = cur.base < 0 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
      if (cur.len > best.len) best = cur;
    } else {
      cur = { base: -1, len: 0 };
    }
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base >= 0 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      out += ipv4Text(b.subarray(12, 16));
      break;
    }
    out += words[i]!.toString(16);
  }
  if (best.base >= 0 && best.base + best.len === 8) out += ':';
  return out;
}

/** 4 or 16 bytes of an address in either family. @example ipBytes('::1').length // 16 */
export function ipBytes(ip: string): Uint8Array {
  return ip.includes(':') ? ipv6Bytes(ip) : ipv4Bytes(ip);
}

/** The text of 4 or 16 address bytes. @example ipText(Uint8Array.of(127, 0, 0, 1)) // '127.0.0.1' */
export function ipText(b: Uint8Array): string {
  if (b.length === 4) return ipv4Text(b);
  if (b.length === 16) return ipv6Text(b);
  throw new RangeError(`an IP address has 4 or 16 bytes, not ${b.length}`);
}

/** Address family number of an IP text (AF_INET 2, AF_INET6 10). @example ipFamily('fd00::1') // 10 */
export function ipFamily(ip: string): 2 | 10 {
  return ip.includes(':') ? 10 : 2;
}
