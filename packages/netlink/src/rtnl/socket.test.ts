import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { libc, useLibc, type Libc } from '../libc.js';
import { currentNetNSPath, hostNetNS, sameNetNS } from '../netns.js';
import { SysError } from '../sys-error.js';
import { attr, encodeAttrs } from './attrs.js';
import { decodeBody, encodeMessage, ifInfoMsg, parseMessages, type NlMessage } from './codec.js';
import {
  AF_UNSPEC,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_CREATE,
  NLM_F_DUMP_INTR,
  NLM_F_EXCL,
  NLM_F_MULTI,
  RTM_GETLINK,
  RTM_NEWLINK,
  RTM_SETLINK,
} from './constants.js';
import { RtnlError, RtnlProtocolError } from './errors.js';
import { IFLA_IFNAME, IFLA_INFO_KIND, IFLA_LINKINFO } from './link-attrs.js';
import { ipIn, scratchRtnl, type ScratchRtnl } from './testing/scratch-rtnl.js';
import { DUMP_RETRIES, RtnlSocket, withRtnlSocket } from './socket.js';

const linkNames = (msgs: NlMessage[]): string[] => msgs.map((m) => decodeBody(ifInfoMsg, m.payload).attrs.string(IFLA_IFNAME) ?? '');

describe('RtnlSocket against the kernel', () => {
  let s: ScratchRtnl;
  before(() => {
    s = scratchRtnl();
    ipIn(s.name, ['link', 'add', 'br-sock', 'type', 'bridge']);
  });
  after(() => s?.remove());

  it("is opened in the namespace and stays there after the window, the caller's thread back home", () => {
    assert.deepEqual(linkNames(s.rt.dump(RTM_GETLINK, ifInfoMsg.encode({ family: AF_UNSPEC, index: 0 }))), ['lo', 'br-sock']);
    assert.ok(sameNetNS(currentNetNSPath(), hostNetNS().path));
  });
  it('has a kernel-assigned port id and close-on-exec', () => {
    assert.ok(s.rt.portId > 0);
    const flags = /flags:\s+([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${s.rt.fd}`, 'utf8'))?.[1];
    assert.ok(flags !== undefined && (parseInt(flags, 8) & 0o2000000) !== 0, `fd flags ${flags}`);
  });
  it('request returns the answer before the ack', () => {
    const replies = s.rt.request(RTM_GETLINK, 0, ifInfoMsg.encode({ family: AF_UNSPEC, index: 1 }));
    assert.deepEqual(linkNames(replies), ['lo']);
    assert.deepEqual(s.rt.request(RTM_SETLINK, 0, ifInfoMsg.encode({ family: AF_UNSPEC, index: 1, flags: 1, change: 1 })), []);
  });
  it("turns a refusal into an RtnlError with errno, code, operation and the kernel's extended ack", () => {
    const create = (): unknown =>
      s.rt.request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifInfoMsg.encode({ family: AF_UNSPEC, index: 0 }), [
        attr.string(IFLA_IFNAME, 'x0'),
        attr.nested(IFLA_LINKINFO, [attr.string(IFLA_INFO_KIND, 'no-such-kind')]),
      ]);
    assert.throws(create, (e: unknown) => {
      assert.ok(e instanceof RtnlError && e instanceof SysError);
      assert.equal(e.code, 'EOPNOTSUPP');
      assert.equal(e.errno, 95);
      assert.equal(e.op, 'RTM_NEWLINK');
      assert.equal(e.messageType, RTM_NEWLINK);
      assert.equal(e.extAck, 'Unknown device type');
      assert.equal(e.message, 'RTM_NEWLINK: Unknown device type: operation not supported (EOPNOTSUPP)');
      return true;
    });
  });
  it('reports an error without extended ack as the errno alone', () => {
    assert.throws(
      () => s.rt.request(RTM_SETLINK, 0, ifInfoMsg.encode({ family: AF_UNSPEC, index: 999999 })),
      (e: unknown) => e instanceof RtnlError && e.code === 'ENODEV' && e.extAck === undefined && e.message === 'RTM_SETLINK: no such device (ENODEV)',
    );
  });
  it('is usable after an error, and refuses work once closed', () => {
    assert.equal(s.rt.dump(RTM_GETLINK, ifInfoMsg.encode({ family: AF_UNSPEC, index: 0 })).length, 2);
    const rt = RtnlSocket.open({ netns: s.path });
    rt.close();
    rt.close();
    assert.equal(rt.closed, true);
    assert.throws(() => rt.dump(RTM_GETLINK, ifInfoMsg.encode({ family: AF_UNSPEC, index: 0 })), /closed/);
  });
  it('withRtnlSocket closes the socket whatever happens', () => {
    let seen: RtnlSocket | undefined;
    assert.throws(() =>
      withRtnlSocket({ netns: s.ns }, (rt) => {
        seen = rt;
        throw new Error('boom');
      }),
    );
    assert.equal(seen?.closed, true);
    assert.equal(
      withRtnlSocket({ netns: s.ns }, (rt) => rt.dump(RTM_GETLINK, ifInfoMsg.encode({ family: AF_UNSPEC, index: 0 })).length),
      2,
    );
  });
});

/** A kernel double: answers each sent message with datagrams computed from it. */
function fakeKernel(answer: (req: NlMessage, n: number) => Uint8Array[]): { libc: Libc; sent: NlMessage[] } {
  const queue: Uint8Array[] = [];
  const sent: NlMessage[] = [];
  let interrupts = 1;
  const fake: Libc = {
    setns: () => {},
    unshare: () => {},
    ioctl: () => 0,
    socket: () => 1000,
    bind: () => {},
    setsockopt: () => {},
    getsockname: () => {
      const b = new Uint8Array(12);
      new DataView(b.buffer).setUint32(4, 4242, true);
      return b;
    },
    sendto: (_fd, buf) => {
      const [m] = parseMessages(buf);
      sent.push(m!);
      queue.push(...answer(m!, sent.length));
      return buf.length;
    },
    recv: (_fd, buf, flags) => {
      if (interrupts-- > 0) throw new SysError('recv', 4);
      const next = queue[0];
      if (next === undefined) throw new SysError('recv', 11);
      if (flags & 2) return next.length;
      queue.shift();
      buf.set(next.subarray(0, buf.length));
      return next.length;
    },
    close: () => {},
    flock: () => {},
    gettid: () => 1,
  };
  return { libc: fake, sent };
}

const msg = (type: number, flags: number, seq: number, payload: Uint8Array, pid = 4242): Uint8Array => encodeMessage({ type, flags, seq, pid }, payload);
const linkMsg = (name: string, seq: number, flags = NLM_F_MULTI): Uint8Array => msg(RTM_NEWLINK, flags, seq, new Uint8Array([...ifInfoMsg.encode({ family: 0, index: 1 }), ...encodeAttrs([attr.string(IFLA_IFNAME, name)])]));
const done = (seq: number, flags = NLM_F_MULTI): Uint8Array => msg(NLMSG_DONE, flags, seq, new Uint8Array(4));
const join = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

describe('RtnlSocket protocol handling (kernel double)', () => {
  let real: Libc;
  before(() => {
    real = libc();
  });
  after(() => useLibc(real));

  it('skips replies of older requests and other ports, retries recv on EINTR, grows its buffer', () => {
    const big = 'x'.repeat(15);
    const k = fakeKernel((req) => [
      linkMsg('stale', req.seq - 1),
      join(linkMsg('other-port', req.seq).map((b, i) => (i === 12 ? 1 : b)), linkMsg('a', req.seq)),
      join(...Array.from({ length: 2000 }, () => linkMsg(big, req.seq))),
      done(req.seq),
    ]);
    useLibc(k.libc);
    const rt = RtnlSocket.open();
    const names = linkNames(rt.dump(RTM_GETLINK, ifInfoMsg.encode({ family: 0, index: 0 })));
    assert.equal(names[0], 'a');
    assert.equal(names.length, 2001);
    assert.equal(k.sent[0]!.pid, 4242);
    rt.close();
  });
  it('asks again when the dump was interrupted, then gives up with EINTR', () => {
    const k = fakeKernel((req, n) => [join(msg(RTM_NEWLINK, NLM_F_MULTI | (n < 3 ? NLM_F_DUMP_INTR : 0), req.seq, linkMsg('a', req.seq).subarray(16)), done(req.seq))]);
    useLibc(k.libc);
    const rt = RtnlSocket.open();
    assert.deepEqual(linkNames(rt.dump(RTM_GETLINK, ifInfoMsg.encode({ family: 0, index: 0 }))), ['a']);
    assert.equal(k.sent.length, 3);
    assert.ok(k.sent[1]!.seq === k.sent[0]!.seq + 1);

    const always = fakeKernel((req) => [join(linkMsg('a', req.seq, NLM_F_MULTI | NLM_F_DUMP_INTR), done(req.seq))]);
    useLibc(always.libc);
    const rt2 = RtnlSocket.open();
    assert.throws(() => rt2.dump(RTM_GETLINK, ifInfoMsg.encode({ family: 0, index: 0 })), (e: unknown) => e instanceof RtnlError && e.code === 'EINTR' && /interrupted 6 times/.test(e.message));
    assert.equal(always.sent.length, DUMP_RETRIES + 1);
  });
  it('refuses a reply from the future and a dump error carries its extended ack', () => {
    useLibc(fakeKernel((req) => [linkMsg('a', req.seq + 5)]).libc);
    assert.throws(() => RtnlSocket.open().dump(RTM_GETLINK, ifInfoMsg.encode({ family: 0, index: 0 })), RtnlProtocolError);

    const failing = new Uint8Array([...new Uint8Array([0xea, 0xff, 0xff, 0xff]), ...encodeAttrs([attr.string(1, 'dump failed')])]);
    useLibc(fakeKernel((req) => [msg(NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS, req.seq, failing)]).libc);
    assert.throws(() => RtnlSocket.open().dump(RTM_GETLINK, ifInfoMsg.encode({ family: 0, index: 0 })), (e: unknown) => e instanceof RtnlError && e.code === 'EINVAL' && e.extAck === 'dump failed');
  });
  it('fails with ETIMEDOUT when the kernel does not answer', () => {
    useLibc(fakeKernel(() => []).libc);
    assert.throws(() => RtnlSocket.open().request(RTM_SETLINK, 0, ifInfoMsg.encode({ family: 0, index: 1 })), (e: unknown) => e instanceof SysError && e.code === 'ETIMEDOUT');
  });
  it('an ack ends a request; a capped ack needs no echoed payload', () => {
    const ack = (seq: number): Uint8Array => {
      const p = new Uint8Array(4 + 16);
      p.set(encodeMessage({ type: RTM_SETLINK, flags: 5, seq, pid: 4242 }, new Uint8Array(0)), 4);
      return msg(NLMSG_ERROR, NLM_F_CAPPED, seq, p);
    };
    useLibc(fakeKernel((req) => [join(linkMsg('echo', req.seq, 0), ack(req.seq))]).libc);
    assert.deepEqual(linkNames(RtnlSocket.open().request(RTM_SETLINK, 0, ifInfoMsg.encode({ family: 0, index: 1 }))), ['echo']);
  });
});
