/**
 * Netlink message framing (struct nlmsghdr), the NLMSG_ERROR / NLMSG_DONE payloads with their
 * extended ack, and the fixed headers that open rtnetlink payloads (ifinfomsg, ifaddrmsg).
 * A family module adds its own header as a StructCodec and reuses encodeBody/decodeBody.
 */
import { AttrSet, align4, encodeAttrs, type AttrInput } from './attrs.js';
import { NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLM_F_ACK_TLVS, NLM_F_CAPPED } from './constants.js';
import { dataView } from './values.js';

export const NLMSG_HDRLEN = 16;

/** The header fields of a message; `length` is derived when encoding. */
export interface NlHeader {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
}

/** A message as received: header fields and the payload after the 16-byte header. */
export interface NlMessage extends NlHeader {
  readonly payload: Uint8Array;
}

/**
 * One message on the wire: header and payload, padded to 4 bytes.
 *
 * @example encodeMessage({ type: RTM_GETLINK, flags: NLM_F_REQUEST | NLM_F_DUMP, seq: 1, pid: 0 }, body)
 */
export function encodeMessage(header: NlHeader, payload: Uint8Array): Uint8Array {
  const length = NLMSG_HDRLEN + payload.length;
  const out = new Uint8Array(align4(length));
  const dv = dataView(out);
  dv.setUint32(0, length, true);
  dv.setUint16(4, header.type, true);
  dv.setUint16(6, header.flags, true);
  dv.setUint32(8, header.seq >>> 0, true);
  dv.setUint32(12, header.pid >>> 0, true);
  out.set(payload, NLMSG_HDRLEN);
  return out;
}

/**
 * The messages in one received datagram; throws RangeError on a length that does not fit.
 *
 * @example parseMessages(datagram).map((m) => m.type) // [16, 16, 3]
 */
export function parseMessages(buf: Uint8Array): NlMessage[] {
  const dv = dataView(buf);
  const out: NlMessage[] = [];
  let at = 0;
  while (at + NLMSG_HDRLEN <= buf.length) {
    const length = dv.getUint32(at, true);
    if (length < NLMSG_HDRLEN || at + length > buf.length) {
      throw new RangeError(`malformed netlink message at offset ${at}: length ${length}, ${buf.length - at} bytes left`);
    }
    out.push({
      type: dv.getUint16(at + 4, true),
      flags: dv.getUint16(at + 6, true),
      seq: dv.getUint32(at + 8, true),
      pid: dv.getUint32(at + 12, true),
      payload: buf.subarray(at + NLMSG_HDRLEN, at + length),
    });
    at += align4(length);
  }
  return out;
}

/** What the kernel added to an error or ack (NLMSGERR_ATTR_*). */
export interface ExtAck {
  /** The human-readable reason (NLMSGERR_ATTR_MSG), e.g. "Unknown device type". */
  readonly message?: string;
  /** Byte offset of the offending attribute in the request (NLMSGERR_ATTR_OFFS). */
  readonly offset?: number;
}

/** A decoded NLMSG_ERROR (error 0 is an ack) or NLMSG_DONE payload. */
export interface NlStatus {
  /** 0, or a negative errno as the kernel sends it. */
  readonly error: number;
  /** The header of the request it answers (NLMSG_ERROR only). */
  readonly request?: NlHeader & { readonly length: number };
  readonly extAck: ExtAck;
}

function decodeExtAck(bytes: Uint8Array): ExtAck {
  const tlvs = AttrSet.parse(bytes);
  const message = tlvs.string(NLMSGERR_ATTR_MSG);
  const offset = tlvs.u32(NLMSGERR_ATTR_OFFS);
  return { ...(message !== undefined && { message }), ...(offset !== undefined && { offset }) };
}

/**
 * Decodes an NLMSG_ERROR payload (struct nlmsgerr, then the extended ack when
 * NLM_F_ACK_TLVS is set). With NLM_F_CAPPED only the request's header is echoed.
 *
 * @example decodeError(msg.payload, msg.flags).error // -17 (EEXIST)
 */
export function decodeError(payload: Uint8Array, flags: number): NlStatus {
  if (payload.length < 4 + NLMSG_HDRLEN) throw new RangeError(`NLMSG_ERROR payload of ${payload.length} bytes`);
  const dv = dataView(payload);
  const request = {
    length: dv.getUint32(4, true),
    type: dv.getUint16(8, true),
    flags: dv.getUint16(10, true),
    seq: dv.getUint32(12, true),
    pid: dv.getUint32(16, true),
  };
  let tlvStart = 4 + NLMSG_HDRLEN;
  if (!(flags & NLM_F_CAPPED)) tlvStart = 4 + align4(Math.max(request.length, NLMSG_HDRLEN));
  const extAck = flags & NLM_F_ACK_TLVS && tlvStart <= payload.length ? decodeExtAck(payload.subarray(tlvStart)) : {};
  return { error: dv.getInt32(0, true), request, extAck };
}

/**
 * Decodes an NLMSG_DONE payload: the dump's final status (older kernels send none).
 *
 * @example decodeDone(msg.payload, msg.flags).error // 0
 */
export function decodeDone(payload: Uint8Array, flags: number): NlStatus {
  if (payload.length < 4) return { error: 0, extAck: {} };
  const extAck = flags & NLM_F_ACK_TLVS ? decodeExtAck(payload.subarray(4)) : {};
  return { error: dataView(payload).getInt32(0, true), extAck };
}

/** A fixed-size C struct at the start of a payload. */
export interface StructCodec<T> {
  readonly size: number;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/** The C types a family header is made of (little-endian, as the kernel on this host). */
export type FieldType = 'u8' | 'u16' | 'i32' | 'u32';

/**
 * A StructCodec from a layout: each field's byte offset and C type. Fields absent on encode
 * are 0; unnamed bytes (padding, reserved) stay 0.
 *
 * @example const ndMsg = fixedStruct<NdMsg>(12, { family: [0, 'u8'], index: [4, 'i32'], state: [8, 'u16'], flags: [10, 'u8'], type: [11, 'u8'] });
 */
export function fixedStruct<T extends object>(size: number, layout: { readonly [K in keyof T]-?: readonly [offset: number, type: FieldType] }): StructCodec<T> {
  const fields = Object.entries(layout) as [string, readonly [number, FieldType]][];
  return {
    size,
    encode(value) {
      const b = new Uint8Array(size);
      const dv = dataView(b);
      for (const [name, [offset, type]] of fields) {
        const v = Number((value as Record<string, unknown>)[name] ?? 0);
        if (type === 'u8') dv.setUint8(offset, v & 0xff);
        else if (type === 'u16') dv.setUint16(offset, v, true);
        else if (type === 'i32') dv.setInt32(offset, v, true);
        else dv.setUint32(offset, v >>> 0, true);
      }
      return b;
    },
    decode(bytes) {
      const dv = dataView(bytes);
      const out: Record<string, number> = {};
      for (const [name, [offset, type]] of fields) {
        out[name] = type === 'u8' ? dv.getUint8(offset) : type === 'u16' ? dv.getUint16(offset, true) : type === 'i32' ? dv.getInt32(offset, true) : dv.getUint32(offset, true);
      }
      return out as T;
    },
  };
}

/**
 * A payload: the family header, then attributes from the next 4-byte boundary.
 *
 * @example encodeBody(ifInfoMsg, { family: AF_UNSPEC, index: 3 }, [attr.u32(IFLA_MTU, 1400)])
 */
export function encodeBody<T>(codec: StructCodec<T>, header: T, attrs: readonly AttrInput[] = []): Uint8Array {
  const head = codec.encode(header);
  const tail = encodeAttrs(attrs);
  const out = new Uint8Array(align4(head.length) + tail.length);
  out.set(head);
  out.set(tail, align4(head.length));
  return out;
}

/**
 * Splits a payload into its family header and attributes.
 *
 * @example const { header, attrs } = decodeBody(ifInfoMsg, msg.payload); header.index
 */
export function decodeBody<T>(codec: StructCodec<T>, payload: Uint8Array): { header: T; attrs: AttrSet } {
  if (payload.length < codec.size) throw new RangeError(`payload of ${payload.length} bytes is shorter than its ${codec.size}-byte header`);
  return { header: codec.decode(payload.subarray(0, codec.size)), attrs: AttrSet.parse(payload.subarray(align4(codec.size))) };
}

/** struct ifinfomsg: the header of link messages. */
export interface IfInfoMsg {
  family: number;
  /** ARPHRD_* device type (1 for Ethernet); 0 in requests. */
  type?: number;
  /** Interface index; 0 to address by name or let the kernel choose. */
  index: number;
  /** IFF_* flags to set ... */
  flags?: number;
  /** ... and which of them to change (all when 0xffffffff). */
  change?: number;
}

/** @example ifInfoMsg.encode({ family: 0, index: 2, flags: IFF_UP, change: IFF_UP }) */
export const ifInfoMsg: StructCodec<IfInfoMsg> = fixedStruct<IfInfoMsg>(16, {
  family: [0, 'u8'],
  type: [2, 'u16'],
  index: [4, 'i32'],
  flags: [8, 'u32'],
  change: [12, 'u32'],
});

/** struct ifaddrmsg: the header of address messages. */
export interface IfAddrMsg {
  family: number;
  prefixLength: number;
  /** The low 8 IFA_F_* flags; IFA_FLAGS carries all 32. */
  flags?: number;
  scope?: number;
  index: number;
}

/** @example ifAddrMsg.encode({ family: AF_INET, prefixLength: 24, index: 2 }) */
export const ifAddrMsg: StructCodec<IfAddrMsg> = fixedStruct<IfAddrMsg>(8, {
  family: [0, 'u8'],
  prefixLength: [1, 'u8'],
  flags: [2, 'u8'],
  scope: [3, 'u8'],
  index: [4, 'u32'],
});
