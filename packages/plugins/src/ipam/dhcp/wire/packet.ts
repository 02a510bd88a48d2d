/**
 * BOOTP/DHCP messages (RFC 2131 section 2, RFC 2132 options): the fixed header, the magic
 * cookie and the options. Long option values are split over several instances and joined
 * again on decode (RFC 3396); options carried in `file`/`sname` through option 52 are read.
 */
import { BOOTREQUEST, HTYPE_ETHERNET, MAGIC_COOKIE, Option } from './codes.js';
import { DhcpWireError, ipv4Bytes, ipv4Text } from './ipv4.js';

export interface DhcpOption {
  code: number;
  value: Uint8Array;
}

/** A decoded message; addresses as dotted text, `chaddr` as the first `hlen` bytes. */
export interface DhcpPacket {
  op: number;
  htype: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  chaddr: Uint8Array;
  sname: string;
  file: string;
  /** In order; a code appears once (repeated instances are joined). */
  options: DhcpOption[];
}

const HEADER = 236;
/** RFC 1542: relays may drop BOOTP messages shorter than this; requests are padded to it. */
const MIN_MESSAGE = 300;

/**
 * A request with everything but `xid`, `chaddr` and `options` zero.
 *
 * @example encodePacket(bootRequest({ xid: 1, chaddr, options: [] }))
 */
export function bootRequest(p: Partial<DhcpPacket> & Pick<DhcpPacket, 'xid' | 'chaddr' | 'options'>): DhcpPacket {
  return {
    op: BOOTREQUEST,
    htype: HTYPE_ETHERNET,
    hops: 0,
    secs: 0,
    flags: 0,
    ciaddr: '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: '0.0.0.0',
    sname: '',
    file: '',
    ...p,
  };
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return Buffer.from(end < 0 ? bytes : bytes.subarray(0, end)).toString('latin1');
}

/**
 * The wire bytes of a message, options ended by End and padded to 300 bytes.
 *
 * @example encodePacket(bootRequest({ xid: 0x3903f326, chaddr: mac, options: [{ code: 53, value: Uint8Array.of(1) }] }))
 */
export function encodePacket(p: DhcpPacket): Uint8Array {
  if (p.chaddr.length > 16) throw new DhcpWireError(`chaddr has ${p.chaddr.length} bytes, at most 16 fit`);
  const opts: number[] = [];
  for (const o of p.options) {
    if (o.code === Option.Pad || o.code === Option.End) continue;
    // RFC 3396: a value longer than 255 bytes goes in consecutive instances of the option.
    for (let at = 0; at === 0 || at < o.value.length; at += 255) {
      const part = o.value.subarray(at, at + 255);
      opts.push(o.code, part.length, ...part);
    }
  }
  opts.push(Option.End);
  const out = new Uint8Array(Math.max(MIN_MESSAGE, HEADER + 4 + opts.length));
  const dv = new DataView(out.buffer);
  out[0] = p.op;
  out[1] = p.htype;
  out[2] = p.chaddr.length;
  out[3] = p.hops;
  dv.setUint32(4, p.xid >>> 0);
  dv.setUint16(8, p.secs);
  dv.setUint16(10, p.flags);
  out.set(ipv4Bytes(p.ciaddr), 12);
  out.set(ipv4Bytes(p.yiaddr), 16);
  out.set(ipv4Bytes(p.siaddr), 20);
  out.set(ipv4Bytes(p.giaddr), 24);
  out.set(p.chaddr, 28);
  const sname = Buffer.from(p.sname, 'latin1');
  const file = Buffer.from(p.file, 'latin1');
  if (sname.length > 63 || file.length > 127) throw new DhcpWireError('sname or file too long');
  out.set(sname, 44);
  out.set(file, 108);
  out.set(MAGIC_COOKIE, HEADER);
  out.set(opts, HEADER + 4);
  return out;
}

/** Reads options from `area` into `into`, joining repeated codes; stops at End. */
function readOptions(area: Uint8Array, where: string, into: Map<number, Uint8Array[]>): void {
  let i = 0;
  while (i < area.length) {
    const code = area[i]!;
    if (code === Option.End) return;
    if (code === Option.Pad) {
      i++;
      continue;
    }
    if (i + 1 >= area.length) throw new DhcpWireError(`option ${code} in ${where} has no length byte`);
    const len = area[i + 1]!;
    if (i + 2 + len > area.length) throw new DhcpWireError(`option ${code} in ${where} runs past the end (length ${len})`);
    const parts = into.get(code) ?? [];
    parts.push(area.subarray(i + 2, i + 2 + len));
    into.set(code, parts);
    i += 2 + len;
  }
}

/**
 * Decodes a message; throws DhcpWireError when it is too short, lacks the magic cookie or
 * has a malformed option.
 *
 * @example decodePacket(bytes).options.find((o) => o.code === 53)
 */
export function decodePacket(bytes: Uint8Array): DhcpPacket {
  if (bytes.length < HEADER + 4) throw new DhcpWireError(`a DHCP message has at least ${HEADER + 4} bytes, got ${bytes.length}`);
  for (let i = 0; i < 4; i++) if (bytes[HEADER + i] !== MAGIC_COOKIE[i]) throw new DhcpWireError('no DHCP magic cookie');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = new Map<number, Uint8Array[]>();
  readOptions(bytes.subarray(HEADER + 4), 'options', found);
  const overload = found.get(Option.OptionOverload)?.[0]?.[0] ?? 0;
  // RFC 2131 4.1: with option 52, `file` then `sname` hold more options.
  if (overload & 1) readOptions(bytes.subarray(108, 236), 'file', found);
  if (overload & 2) readOptions(bytes.subarray(44, 108), 'sname', found);
  const options: DhcpOption[] = [];
  for (const [code, parts] of found) options.push({ code, value: parts.length === 1 ? parts[0]!.slice() : Uint8Array.from(Buffer.concat(parts)) });
  const hlen = Math.min(bytes[2]!, 16);
  return {
    op: bytes[0]!,
    htype: bytes[1]!,
    hops: bytes[3]!,
    xid: dv.getUint32(4),
    secs: dv.getUint16(8),
    flags: dv.getUint16(10),
    ciaddr: ipv4Text(bytes, 12),
    yiaddr: ipv4Text(bytes, 16),
    siaddr: ipv4Text(bytes, 20),
    giaddr: ipv4Text(bytes, 24),
    chaddr: bytes.slice(28, 28 + hlen),
    sname: overload & 2 ? '' : cString(bytes.subarray(44, 108)),
    file: overload & 1 ? '' : cString(bytes.subarray(108, 236)),
    options,
  };
}

/**
 * The value of option `code`, undefined when absent.
 *
 * @example optionValue(packet, Option.MessageType)?.[0] // 5 (DHCPACK)
 */
export function optionValue(p: DhcpPacket, code: number): Uint8Array | undefined {
  return p.options.find((o) => o.code === code)?.value;
}
