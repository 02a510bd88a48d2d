/**
 * A synchronous NETLINK_ROUTE socket. Plugins act one step at a time, so each request blocks
 * until its answer, which also makes the socket safe to use inside a namespace window (no
 * callback can run after the window closed). A socket opened for a namespace stays in it for
 * its whole life, whatever the calling thread does later.
 */
import { libc } from '../libc.js';
import { withNetNS, type NetNS } from '../netns.js';
import { SysError } from '../sys-error.js';
import { align4, encodeAttrs, type AttrInput } from './attrs.js';
import { decodeDone, decodeError, encodeMessage, parseMessages, type NlMessage } from './codec.js';
import {
  AF_NETLINK,
  NETLINK_CAP_ACK,
  NETLINK_EXT_ACK,
  NETLINK_ROUTE,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_REQUEST,
  SOL_NETLINK,
  messageTypeName,
} from './constants.js';
import { RtnlError, RtnlProtocolError } from './errors.js';
import { u32Bytes } from './values.js';

const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_RCVTIMEO = 20;
const SO_RCVBUFFORCE = 33;
const MSG_PEEK = 2;
const MSG_TRUNC = 0x20;
const EINTR = 4;
const EAGAIN = 11;
const ETIMEDOUT = 110;

/** How many times a dump the kernel marked inconsistent (NLM_F_DUMP_INTR) is asked again. */
export const DUMP_RETRIES = 5;

export interface RtnlSocketOptions {
  /** The namespace to talk to; the caller's (the host's) when absent. */
  readonly netns?: NetNS | string;
  /** SO_RCVBUF(FORCE) in bytes; big, so that a dump of many links is not dropped. */
  readonly receiveBufferSize?: number;
  /** How long one recv may block before the request fails with ETIMEDOUT. */
  readonly timeoutMs?: number;
}

/** struct sockaddr_nl for a port id (0: the kernel, or "assign one" in bind). */
function sockaddrNl(pid: number): Uint8Array {
  const b = new Uint8Array(12);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, AF_NETLINK, true);
  dv.setUint32(4, pid, true);
  return b;
}

function timeval(ms: number): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigInt64(0, BigInt(Math.floor(ms / 1000)), true);
  dv.setBigInt64(8, BigInt((ms % 1000) * 1000), true);
  return b;
}

/**
 * A NETLINK_ROUTE socket with request/ack and dump exchanges.
 *
 * @example
 *   const rt = RtnlSocket.open({ netns: '/run/netns/c1' });
 *   try { rt.dump(RTM_GETLINK, ifInfoMsg.encode({ family: AF_UNSPEC, index: 0 })) } finally { rt.close() }
 */
export class RtnlSocket {
  private seq: number;
  private fdOpen = true;
  private buf = new Uint8Array(64 * 1024);

  private constructor(
    /** The socket's file descriptor. */
    readonly fd: number,
    /** The port id the kernel assigned at bind. */
    readonly portId: number,
  ) {
    // Like iproute2, start from the clock so that a recycled port id does not meet old replies.
    this.seq = Math.floor(Date.now() / 1000) >>> 0;
  }

  /**
   * Opens and binds a socket, inside `netns` when given (SOCK_CLOEXEC, extended acks on, acks
   * capped to the request header).
   *
   * @example const rt = RtnlSocket.open({ netns: NetNS.open('/run/netns/c1') });
   */
  static open(options: RtnlSocketOptions = {}): RtnlSocket {
    const make = (): RtnlSocket => {
      const c = libc();
      const fd = c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
      try {
        const size = u32Bytes(options.receiveBufferSize ?? 4 * 1024 * 1024);
        try {
          c.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, size);
        } catch {
          c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, size);
        }
        c.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, u32Bytes(256 * 1024));
        c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeval(options.timeoutMs ?? 60_000));
        c.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, u32Bytes(1));
        c.setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, u32Bytes(1));
        c.bind(fd, sockaddrNl(0));
        const addr = c.getsockname(fd, 12);
        return new RtnlSocket(fd, new DataView(addr.buffer, addr.byteOffset, addr.byteLength).getUint32(4, true));
      } catch (e) {
        c.close(fd);
        throw e;
      }
    };
    return options.netns === undefined ? make() : withNetNS(options.netns, make);
  }

  /**
   * Sends a request with NLM_F_ACK and waits for the kernel's ack; the messages that came
   * before it (the answer of a GET, or an NLM_F_ECHO copy). A refusal throws RtnlError.
   *
   * @example const [reply] = rt.request(RTM_GETLINK, 0, ifInfoMsg.encode({ family: 0, index: 1 }));
   */
  request(type: number, flags: number, body: Uint8Array, attrs: readonly AttrInput[] = []): NlMessage[] {
    const seq = this.send(type, flags | NLM_F_REQUEST | NLM_F_ACK, body, attrs);
    const replies: NlMessage[] = [];
    for (const m of this.receive(seq, type)) {
      if (m.type === NLMSG_ERROR) {
        const status = decodeError(m.payload, m.flags);
        if (status.error !== 0) throw new RtnlError(type, -status.error, status.extAck.message, status.extAck.offset);
        return replies;
      }
      if (m.type !== NLMSG_DONE) replies.push(m);
    }
    throw new RtnlProtocolError(`${messageTypeName(type)}: no acknowledgement`);
  }

  /**
   * Sends a dump request and collects every message up to NLMSG_DONE. A dump the kernel marks
   * interrupted (the table changed meanwhile) is asked again, up to DUMP_RETRIES times, then
   * fails with EINTR.
   *
   * @example const links = rt.dump(RTM_GETLINK, ifInfoMsg.encode({ family: AF_UNSPEC, index: 0 }));
   */
  dump(type: number, body: Uint8Array, attrs: readonly AttrInput[] = [], flags = 0): NlMessage[] {
    for (let attempt = 0; attempt <= DUMP_RETRIES; attempt++) {
      const seq = this.send(type, flags | NLM_F_REQUEST | NLM_F_DUMP, body, attrs);
      const out: NlMessage[] = [];
      let interrupted = false;
      let done = false;
      for (const m of this.receive(seq, type)) {
        if (m.flags & NLM_F_DUMP_INTR) interrupted = true;
        if (m.type === NLMSG_DONE || m.type === NLMSG_ERROR) {
          const status = m.type === NLMSG_DONE ? decodeDone(m.payload, m.flags) : decodeError(m.payload, m.flags);
          if (status.error !== 0) throw new RtnlError(type, -status.error, status.extAck.message, status.extAck.offset);
          done = true;
          break;
        }
        out.push(m);
      }
      if (!done) throw new RtnlProtocolError(`${messageTypeName(type)}: dump ended without NLMSG_DONE`);
      if (!interrupted) return out;
    }
    throw new RtnlError(type, EINTR, undefined, undefined, `dump interrupted ${DUMP_RETRIES + 1} times`);
  }

  /** Closes the socket; later calls do nothing. @example rt.close() */
  close(): void {
    if (!this.fdOpen) return;
    this.fdOpen = false;
    libc().close(this.fd);
  }

  /** @example rt.closed // false until close() */
  get closed(): boolean {
    return !this.fdOpen;
  }

  private send(type: number, flags: number, body: Uint8Array, attrs: readonly AttrInput[]): number {
    if (!this.fdOpen) throw new Error(`${messageTypeName(type)}: the rtnetlink socket is closed`);
    this.seq = (this.seq + 1) >>> 0;
    const tail = encodeAttrs(attrs);
    const payload = new Uint8Array(align4(body.length) + tail.length);
    payload.set(body);
    payload.set(tail, align4(body.length));
    const msg = encodeMessage({ type, flags, seq: this.seq, pid: this.portId }, payload);
    const sent = libc().sendto(this.fd, msg, 0, sockaddrNl(0));
    if (sent !== msg.length) throw new RtnlProtocolError(`${messageTypeName(type)}: sent ${sent} of ${msg.length} bytes`);
    return this.seq;
  }

  /** The messages answering request `seq`, datagram by datagram, leftovers of older requests skipped. */
  private *receive(seq: number, type: number): Generator<NlMessage> {
    for (;;) {
      for (const m of parseMessages(this.recvDatagram(type))) {
        if (m.pid !== this.portId && m.pid !== 0) continue;
        if (m.seq !== seq) {
          // An earlier request abandoned mid-answer (an exception while reading) leaves replies behind.
          if (((seq - m.seq) >>> 0) < 0x80000000) continue;
          throw new RtnlProtocolError(`${messageTypeName(type)}: reply with sequence ${m.seq}, expected ${seq}`);
        }
        if (m.type === NLMSG_NOOP) continue;
        if (m.type === NLMSG_OVERRUN) throw new RtnlProtocolError(`${messageTypeName(type)}: the kernel reported an overrun`);
        yield m;
      }
    }
  }

  private recvDatagram(type: number): Uint8Array {
    const c = libc();
    for (;;) {
      try {
        const size = c.recv(this.fd, this.buf, MSG_PEEK | MSG_TRUNC);
        if (size > this.buf.length) this.buf = new Uint8Array(align4(size));
        const n = c.recv(this.fd, this.buf, 0);
        // A copy: decoded messages are views and must outlive the next recv.
        return this.buf.slice(0, n);
      } catch (e) {
        if (e instanceof SysError && e.errno === EINTR) continue;
        if (e instanceof SysError && e.errno === EAGAIN) {
          throw new SysError(`${messageTypeName(type)}: recv`, ETIMEDOUT, 'no answer from the kernel');
        }
        throw e;
      }
    }
  }
}

/**
 * Opens a socket, runs `fn` with it and closes it, whatever happens.
 *
 * @example const links = withRtnlSocket({ netns: '/run/netns/c1' }, (rt) => listLinks(rt));
 */
export function withRtnlSocket<T>(options: RtnlSocketOptions, fn: (rt: RtnlSocket) => T): T {
  const rt = RtnlSocket.open(options);
  try {
    return fn(rt);
  } finally {
    rt.close();
  }
}
