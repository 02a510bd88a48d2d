/**
 * Connection tracking entries over ctnetlink (NETLINK_NETFILTER), the reference's
 * utils.DeleteConntrackEntriesForDstPort: the table is dumped and each entry whose original
 * direction matches is deleted by its tuple. portmap uses it so that UDP flows tracked before
 * a mapping existed do not keep bypassing the new DNAT rule.
 */
import { libc } from '@tscni/netlink/libc';
import { encodeAttrs, parseAttrs, type Attr } from '@tscni/netlink/rtnl/attrs';
import { encodeMessage, parseMessages, type NlMessage } from '@tscni/netlink/rtnl/codec';
import { AF_INET, AF_INET6, AF_NETLINK, NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from '@tscni/netlink/rtnl/constants';
import { ipText } from '@tscni/netlink/rtnl/values';

const NETLINK_NETFILTER = 12;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;
const MSG_PEEK = 2;
const MSG_TRUNC = 0x20;
const ENOENT = 2;

const NFNL_SUBSYS_CTNETLINK = 1;
const IPCTNL_MSG_CT_GET = 1;
const IPCTNL_MSG_CT_DELETE = 2;
const CTA_TUPLE_ORIG = 1;
const CTA_ZONE = 18;
const CTA_TUPLE_IP = 1;
const CTA_TUPLE_PROTO = 2;
const CTA_IP_V4_SRC = 1;
const CTA_IP_V4_DST = 2;
const CTA_IP_V6_SRC = 3;
const CTA_IP_V6_DST = 4;
const CTA_PROTO_NUM = 1;
const CTA_PROTO_SRC_PORT = 2;
const CTA_PROTO_DST_PORT = 3;

/** IANA protocol numbers the reference names. */
export const PROTOCOL_TCP = 6;
export const PROTOCOL_UDP = 17;
export const PROTOCOL_SCTP = 132;

/** The original direction of one tracked connection. */
export interface ConntrackEntry {
  readonly family: 4 | 6;
  readonly protocol: number;
  readonly src?: string;
  readonly dst?: string;
  readonly srcPort?: number;
  readonly dstPort?: number;
}

interface RawEntry {
  readonly entry: ConntrackEntry;
  /** The CTA_TUPLE_ORIG (and CTA_ZONE) attributes as received, which name the entry for a delete. */
  readonly key: readonly Attr[];
}

/** struct nfgenmsg: family, version 0, resource id 0. */
function nfgenmsg(family: number): Uint8Array {
  return Uint8Array.of(family, 0, 0, 0);
}

function be16(b: Uint8Array | undefined): number | undefined {
  return b && b.length >= 2 ? (b[0]! << 8) | b[1]! : undefined;
}

function child(attrs: readonly Attr[], type: number): Uint8Array | undefined {
  return attrs.find((a) => a.type === type)?.value;
}

function decodeEntry(family: 4 | 6, payload: Uint8Array): RawEntry | undefined {
  const attrs = parseAttrs(payload.subarray(4));
  const orig = attrs.find((a) => a.type === CTA_TUPLE_ORIG);
  if (!orig) return undefined;
  const tuple = parseAttrs(orig.value);
  const ip = parseAttrs(child(tuple, CTA_TUPLE_IP) ?? new Uint8Array());
  const proto = parseAttrs(child(tuple, CTA_TUPLE_PROTO) ?? new Uint8Array());
  const addr = (type: number) => {
    const b = child(ip, type);
    return b ? ipText(b) : undefined;
  };
  const src = addr(family === 4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC);
  const dst = addr(family === 4 ? CTA_IP_V4_DST : CTA_IP_V6_DST);
  const srcPort = be16(child(proto, CTA_PROTO_SRC_PORT));
  const dstPort = be16(child(proto, CTA_PROTO_DST_PORT));
  const entry: ConntrackEntry = {
    family,
    protocol: child(proto, CTA_PROTO_NUM)?.[0] ?? 0,
    ...(src !== undefined ? { src } : {}),
    ...(dst !== undefined ? { dst } : {}),
    ...(srcPort !== undefined ? { srcPort } : {}),
    ...(dstPort !== undefined ? { dstPort } : {}),
  };
  return { entry, key: attrs.filter((a) => a.type === CTA_TUPLE_ORIG || a.type === CTA_ZONE) };
}

/** A ctnetlink socket of the calling thread's namespace, for one exchange at a time. */
class CtnetlinkSocket {
  private seq = Math.floor(Date.now() / 1000) >>> 0;
  private buf = new Uint8Array(64 * 1024);
  private constructor(private readonly fd: number) {}

  static open(): CtnetlinkSocket {
    const c = libc();
    const fd = c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    try {
      const tv = new Uint8Array(16);
      new DataView(tv.buffer).setBigInt64(0, 10n, true);
      c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv);
      c.bind(fd, Uint8Array.of(AF_NETLINK, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
      return new CtnetlinkSocket(fd);
    } catch (e) {
      c.close(fd);
      throw e;
    }
  }

  close(): void {
    libc().close(this.fd);
  }

  /** Sends one message; the messages answering it up to NLMSG_DONE or the ack (errors thrown with their errno). */
  exchange(type: number, flags: number, payload: Uint8Array): NlMessage[] {
    this.seq = (this.seq + 1) >>> 0;
    const seq = this.seq;
    libc().sendto(this.fd, encodeMessage({ type, flags, seq, pid: 0 }, payload), 0, Uint8Array.of(AF_NETLINK, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    const out: NlMessage[] = [];
    for (;;) {
      for (const m of parseMessages(this.receive())) {
        if (m.seq !== seq) continue;
        if (m.type === NLMSG_DONE) return out;
        if (m.type === NLMSG_ERROR) {
          const errno = -new DataView(m.payload.buffer, m.payload.byteOffset, 4).getInt32(0, true);
          if (errno === 0) return out;
          throw Object.assign(new Error(`ctnetlink: errno ${errno}`), { errno });
        }
        out.push(m);
      }
    }
  }

  private receive(): Uint8Array {
    const c = libc();
    const size = c.recv(this.fd, this.buf, MSG_PEEK | MSG_TRUNC);
    if (size > this.buf.length) this.buf = new Uint8Array(size);
    const n = c.recv(this.fd, this.buf, 0);
    return this.buf.slice(0, n);
  }
}

function dumpRaw(s: CtnetlinkSocket, family: 4 | 6): RawEntry[] {
  const af = family === 4 ? AF_INET : AF_INET6;
  const replies = s.exchange((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET, NLM_F_REQUEST | NLM_F_DUMP, nfgenmsg(af));
  return replies.map((m) => decodeEntry(family, m.payload)).filter((e): e is RawEntry => e !== undefined);
}

/**
 * The tracked connections of one family in the calling thread's namespace.
 *
 * @example conntrackEntries(4).filter((e) => e.protocol === PROTOCOL_UDP)
 */
export function conntrackEntries(family: 4 | 6): ConntrackEntry[] {
  const s = CtnetlinkSocket.open();
  try {
    return dumpRaw(s, family).map((r) => r.entry);
  } finally {
    s.close();
  }
}

/**
 * Deletes the family's entries with this protocol and original destination port; returns how
 * many went. An entry that expired meanwhile is not an error.
 *
 * @example deleteConntrackEntriesForDstPort(5353, PROTOCOL_UDP, 4)
 */
export function deleteConntrackEntriesForDstPort(port: number, protocol: number, family: 4 | 6): number {
  const s = CtnetlinkSocket.open();
  try {
    let deleted = 0;
    for (const raw of dumpRaw(s, family)) {
      if (raw.entry.protocol !== protocol || raw.entry.dstPort !== port) continue;
      const payload = new Uint8Array([...nfgenmsg(family === 4 ? AF_INET : AF_INET6), ...encodeAttrs(raw.key.map((a) => ({ type: a.type | a.flags, value: a.value })))]);
      try {
        s.exchange((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE, NLM_F_REQUEST | NLM_F_ACK, payload);
        deleted++;
      } catch (e) {
        if ((e as { errno?: number }).errno !== ENOENT) throw e;
      }
    }
    return deleted;
  } finally {
    s.close();
  }
}
