/**
 * Netlink attributes (struct nlattr, the same layout as rtattr): a 4-byte header of length
 * and type, the payload, and zero padding to the next 4-byte boundary. A nested attribute's
 * payload is itself a run of attributes. Encoding takes a tree of AttrInput; decoding gives an
 * AttrSet with typed getters, leaving nested payloads as bytes until asked, because only the
 * reader knows which types nest.
 */
import {
  be16Bytes,
  cstringBytes,
  i32Bytes,
  ipBytes,
  ipText,
  macBytes,
  macText,
  readBe16,
  readCString,
  readI32,
  readU16,
  readU32,
  readU64,
  readU8,
  u16Bytes,
  u32Bytes,
  u64Bytes,
  u8Bytes,
} from './values.js';

/** Set in the type of an attribute whose payload is attributes (kernels check it on new families). */
export const NLA_F_NESTED = 0x8000;
/** Set in the type of an attribute whose payload is in network byte order. */
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;
export const NLA_HDRLEN = 4;

/** @example align4(5) // 8 */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * An attribute to encode. `type` is sent as given, flags included: callers that must mark a
 * nest (IFLA_PROTINFO to the bridge, say) write `IFLA_PROTINFO | NLA_F_NESTED`, and the rest
 * stay byte-identical to what iproute2 and Go's netlink send.
 */
export type AttrInput = { readonly type: number; readonly value: Uint8Array } | { readonly type: number; readonly nested: readonly AttrInput[] };

/** A decoded attribute: the type without flags, the flags, and the payload (without padding). */
export interface Attr {
  readonly type: number;
  readonly flags: number;
  readonly value: Uint8Array;
}

/** Builders of AttrInput, one per payload kind. */
export const attr = {
  /** @example attr.bytes(IFLA_ADDRESS, mac) */
  bytes: (type: number, value: Uint8Array): AttrInput => ({ type, value }),
  /** An attribute with no payload. @example attr.flag(IFLA_BRPORT_FLUSH) */
  flag: (type: number): AttrInput => ({ type, value: new Uint8Array(0) }),
  /** @example attr.u8(IFLA_BRPORT_MODE, 1) */
  u8: (type: number, v: number): AttrInput => ({ type, value: u8Bytes(v) }),
  /** @example attr.u16(IFLA_VLAN_ID, 100) */
  u16: (type: number, v: number): AttrInput => ({ type, value: u16Bytes(v) }),
  /** Network byte order. @example attr.be16(IFLA_VXLAN_PORT, 4789) */
  be16: (type: number, v: number): AttrInput => ({ type, value: be16Bytes(v) }),
  /** @example attr.u32(IFLA_MTU, 1500) */
  u32: (type: number, v: number): AttrInput => ({ type, value: u32Bytes(v) }),
  /** @example attr.i32(IFLA_NET_NS_PID, pid) */
  i32: (type: number, v: number): AttrInput => ({ type, value: i32Bytes(v) }),
  /** @example attr.u64(IFLA_BR_GC_TIMER, 0n) */
  u64: (type: number, v: bigint): AttrInput => ({ type, value: u64Bytes(v) }),
  /** NUL-terminated. @example attr.string(IFLA_IFNAME, 'eth0') */
  string: (type: number, s: string): AttrInput => ({ type, value: cstringBytes(s) }),
  /** Without a terminating NUL (IFLA_IFALIAS, where the length is the text's). @example attr.text(IFLA_IFALIAS, 'uplink') */
  text: (type: number, s: string): AttrInput => ({ type, value: new TextEncoder().encode(s) }),
  /** 4 or 16 bytes. @example attr.ip(IFA_LOCAL, '10.0.0.2') */
  ip: (type: number, ip: string): AttrInput => ({ type, value: ipBytes(ip) }),
  /** @example attr.mac(IFLA_ADDRESS, '02:00:00:00:00:01') */
  mac: (type: number, mac: string): AttrInput => ({ type, value: macBytes(mac) }),
  /** @example attr.nested(IFLA_LINKINFO, [attr.string(IFLA_INFO_KIND, 'bridge')]) */
  nested: (type: number, children: readonly AttrInput[]): AttrInput => ({ type, nested: children }),
};

/** The encoded size of one attribute, padding included. */
function attrSize(a: AttrInput): number {
  return NLA_HDRLEN + align4('nested' in a ? attrsSize(a.nested) : a.value.length);
}

function attrsSize(attrs: readonly AttrInput[]): number {
  return attrs.reduce((n, a) => n + attrSize(a), 0);
}

function writeAttrs(out: Uint8Array, offset: number, attrs: readonly AttrInput[]): number {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let at = offset;
  for (const a of attrs) {
    const start = at;
    at += NLA_HDRLEN;
    let len: number;
    if ('nested' in a) {
      at = writeAttrs(out, at, a.nested);
      // A nest's length covers its children's padding, as the kernel's nla_nest_end does.
      len = at - start;
    } else {
      out.set(a.value, at);
      len = NLA_HDRLEN + a.value.length;
      at = start + align4(len);
    }
    if (len > 0xffff) throw new RangeError(`attribute ${a.type & NLA_TYPE_MASK} is ${len} bytes, more than netlink's 65535`);
    dv.setUint16(start, len, true);
    dv.setUint16(start + 2, a.type, true);
  }
  return at;
}

/**
 * The wire bytes of a run of attributes.
 *
 * @example encodeAttrs([attr.u32(IFLA_MTU, 1400)]) // 8 bytes: 08 00 04 00 78 05 00 00
 */
export function encodeAttrs(attrs: readonly AttrInput[]): Uint8Array {
  const out = new Uint8Array(attrsSize(attrs));
  writeAttrs(out, 0, attrs);
  return out;
}

/**
 * Splits a run of attributes; throws RangeError on a length that does not fit.
 *
 * @example parseAttrs(encodeAttrs([attr.u8(1, 7)])) // [{ type: 1, flags: 0, value: [7] }]
 */
export function parseAttrs(bytes: Uint8Array): Attr[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Attr[] = [];
  let at = 0;
  while (at + NLA_HDRLEN <= bytes.length) {
    const len = dv.getUint16(at, true);
    const rawType = dv.getUint16(at + 2, true);
    if (len < NLA_HDRLEN || at + len > bytes.length) {
      throw new RangeError(`malformed attribute at offset ${at}: length ${len}, ${bytes.length - at} bytes left`);
    }
    out.push({ type: rawType & NLA_TYPE_MASK, flags: rawType & ~NLA_TYPE_MASK & 0xffff, value: bytes.subarray(at + NLA_HDRLEN, at + len) });
    at += align4(len);
  }
  return out;
}

/**
 * Decoded attributes (flat) turned back into encoder input, flags kept, so that a message can
 * be re-encoded unchanged.
 *
 * @example encodeAttrs(asInput(parseAttrs(bytes))) // the same bytes
 */
export function asInput(attrs: readonly Attr[]): AttrInput[] {
  return attrs.map((a) => ({ type: a.type | a.flags, value: a.value }));
}

/**
 * A decoded run of attributes with typed getters. When a type repeats, the getters read the
 * last one, as the kernel's nla_parse does; `all` gives every one.
 *
 * @example const a = AttrSet.parse(payload); a.u32(IFLA_MTU) // 1500
 */
export class AttrSet {
  constructor(readonly list: readonly Attr[]) {}

  /** @example AttrSet.parse(encodeAttrs([attr.string(3, 'lo')])).string(3) // 'lo' */
  static parse(bytes: Uint8Array): AttrSet {
    return new AttrSet(parseAttrs(bytes));
  }

  /** The payload of the last attribute of this type. @example a.get(IFLA_ADDRESS)?.length // 6 */
  get(type: number): Uint8Array | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i]!.type === type) return this.list[i]!.value;
    return undefined;
  }

  /** @example a.has(IFLA_MASTER) // true for a bridge port */
  has(type: number): boolean {
    return this.get(type) !== undefined;
  }

  /** Every payload of this type, in order (IFLA_BRIDGE_VLAN_INFO repeats, for one). @example a.all(IFLA_BRIDGE_VLAN_INFO).length */
  all(type: number): Uint8Array[] {
    return this.list.filter((a) => a.type === type).map((a) => a.value);
  }

  /** @example a.u8(IFLA_OPERSTATE) // 6 (up) */
  u8(type: number): number | undefined {
    return this.read(type, readU8);
  }

  /** @example a.u16(IFLA_VLAN_ID) // 100 */
  u16(type: number): number | undefined {
    return this.read(type, readU16);
  }

  /** Network byte order. @example a.be16(IFLA_VXLAN_PORT) // 4789 */
  be16(type: number): number | undefined {
    return this.read(type, readBe16);
  }

  /** @example a.u32(IFLA_MTU) // 1500 */
  u32(type: number): number | undefined {
    return this.read(type, readU32);
  }

  /** @example a.i32(IFLA_LINK_NETNSID) // 0 */
  i32(type: number): number | undefined {
    return this.read(type, readI32);
  }

  /** @example a.u64(IFLA_BR_GC_TIMER) // 0n */
  u64(type: number): bigint | undefined {
    return this.read(type, readU64);
  }

  /** Text up to the first NUL; also reads unterminated payloads. @example a.string(IFLA_IFNAME) // 'eth0' */
  string(type: number): string | undefined {
    return this.read(type, readCString);
  }

  /** An IPv4 or IPv6 address by payload length. @example a.ip(IFA_LOCAL) // '10.0.0.2' */
  ip(type: number): string | undefined {
    return this.read(type, ipText);
  }

  /** @example a.mac(IFLA_ADDRESS) // '02:00:00:00:00:01' */
  mac(type: number): string | undefined {
    return this.read(type, macText);
  }

  /** The attributes inside a nest. @example a.nested(IFLA_LINKINFO)?.string(IFLA_INFO_KIND) // 'veth' */
  nested(type: number): AttrSet | undefined {
    return this.read(type, AttrSet.parse);
  }

  private read<T>(type: number, decode: (b: Uint8Array) => T): T | undefined {
    const v = this.get(type);
    return v === undefined ? undefined : decode(v);
  }
}
