import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NLA_F_NESTED, asInput, attr, encodeAttrs, parseAttrs, type Attr, type AttrInput } from './attrs.js';
import { decodeBody, decodeDone, decodeError, encodeBody, encodeMessage, ifAddrMsg, ifInfoMsg, parseMessages, NLMSG_HDRLEN } from './codec.js';
import { AF_INET6, AF_UNSPEC, NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_MULTI, NLM_F_REQUEST, RTM_GETLINK, RTM_NEWLINK } from './constants.js';
import { IFLA_AF_SPEC, IFLA_INFO_DATA, IFLA_INFO_SLAVE_DATA, IFLA_LINKINFO } from './link-attrs.js';
import { ipIn, scratchRtnl, type ScratchRtnl } from './testing/scratch-rtnl.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('nlmsghdr framing', () => {
  it('encodes length, type, flags, seq, pid and pads the message', () => {
    const m = encodeMessage({ type: RTM_GETLINK, flags: NLM_F_REQUEST, seq: 0x01020304, pid: 7 }, Uint8Array.of(1, 2, 3));
    assert.equal(hex(m), '13000000' + '1200' + '0100' + '04030201' + '07000000' + '01020300');
  });
  it('splits a datagram of several messages and reads them back', () => {
    const a = encodeMessage({ type: RTM_NEWLINK, flags: NLM_F_MULTI, seq: 5, pid: 9 }, Uint8Array.of(1, 2, 3, 4, 5));
    const b = encodeMessage({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq: 5, pid: 9 }, new Uint8Array(4));
    const all = new Uint8Array(a.length + b.length);
    all.set(a);
    all.set(b, a.length);
    const msgs = parseMessages(all);
    assert.deepEqual(
      msgs.map((m) => [m.type, m.flags, m.seq, m.pid, [...m.payload]]),
      [
        [RTM_NEWLINK, NLM_F_MULTI, 5, 9, [1, 2, 3, 4, 5]],
        [NLMSG_DONE, NLM_F_MULTI, 5, 9, [0, 0, 0, 0]],
      ],
    );
  });
  it('refuses a length that does not fit', () => {
    const m = encodeMessage({ type: 1, flags: 0, seq: 0, pid: 0 }, new Uint8Array(4));
    m[0] = 40;
    assert.throws(() => parseMessages(m), RangeError);
  });
});

/** An NLMSG_ERROR payload: errno, the echoed request header (+ payload unless capped), TLVs. */
function errorPayload(errno: number, echoedPayload: Uint8Array, tlvs: AttrInput[]): Uint8Array {
  const echoed = encodeMessage({ type: RTM_NEWLINK, flags: 0x605, seq: 42, pid: 1234 }, echoedPayload);
  const t = encodeAttrs(tlvs);
  const out = new Uint8Array(4 + echoed.length + t.length);
  new DataView(out.buffer).setInt32(0, -errno, true);
  out.set(echoed, 4);
  out.set(t, 4 + echoed.length);
  return out;
}

describe('status messages', () => {
  it('decode an error with the extended ack after a capped echo', () => {
    const st = decodeError(errorPayload(95, new Uint8Array(0), [attr.string(1, 'Unknown device type'), attr.u32(2, 36)]), NLM_F_CAPPED | NLM_F_ACK_TLVS);
    assert.equal(st.error, -95);
    assert.deepEqual(st.request, { length: 16, type: RTM_NEWLINK, flags: 0x605, seq: 42, pid: 1234 });
    assert.deepEqual(st.extAck, { message: 'Unknown device type', offset: 36 });
  });
  it('skip the echoed request payload when the ack is not capped', () => {
    const st = decodeError(errorPayload(17, new Uint8Array(20).fill(0xee), [attr.string(1, 'exists')]), NLM_F_ACK_TLVS);
    assert.equal(st.error, -17);
    assert.equal(st.request?.length, 36);
    assert.deepEqual(st.extAck, { message: 'exists' });
  });
  it('decode an ack without TLVs, and NLMSG_DONE with and without status', () => {
    assert.deepEqual(decodeError(errorPayload(0, new Uint8Array(0), []), NLM_F_CAPPED).extAck, {});
    assert.equal(decodeError(errorPayload(0, new Uint8Array(0), []), NLM_F_CAPPED).error, 0);
    const done = new Uint8Array(4 + 12);
    new DataView(done.buffer).setInt32(0, -16, true);
    done.set(encodeAttrs([attr.string(1, 'busy')]), 4);
    assert.deepEqual(decodeDone(done, NLM_F_ACK_TLVS), { error: -16, extAck: { message: 'busy' } });
    assert.deepEqual(decodeDone(new Uint8Array(0), 0), { error: 0, extAck: {} });
    assert.throws(() => decodeError(new Uint8Array(8), 0), RangeError);
  });
  it('type constants are those of linux/netlink.h', () => {
    assert.equal(NLMSG_ERROR, 2);
    assert.equal(NLMSG_HDRLEN, 16);
  });
});

describe('family headers', () => {
  it('ifinfomsg round-trips every field', () => {
    const h = { family: 7, type: 1, index: 0x7fffffff, flags: 0x11043, change: 0xffffffff };
    assert.equal(hex(ifInfoMsg.encode(h)), '0700' + '0100' + 'ffffff7f' + '43100100' + 'ffffffff');
    assert.deepEqual(ifInfoMsg.decode(ifInfoMsg.encode(h)), h);
  });
  it('ifaddrmsg round-trips every field', () => {
    const h = { family: AF_INET6, prefixLength: 64, flags: 0x80, scope: 253, index: 3 };
    assert.equal(hex(ifAddrMsg.encode(h)), '0a4080fd03000000');
    assert.deepEqual(ifAddrMsg.decode(ifAddrMsg.encode(h)), h);
  });
  it('a body is the header, then attributes, and splits back', () => {
    const body = encodeBody(ifInfoMsg, { family: AF_UNSPEC, index: 2 }, [attr.u32(4, 9000)]);
    assert.equal(body.length, 16 + 8);
    const { header, attrs } = decodeBody(ifInfoMsg, body);
    assert.equal(header.index, 2);
    assert.equal(attrs.u32(4), 9000);
    assert.throws(() => decodeBody(ifInfoMsg, new Uint8Array(8)), RangeError);
  });
});

/** Attributes whose payload is attributes, in a link message: flagged ones and these types. */
const LINK_NESTS: Record<number, readonly number[] | 'all'> = { [IFLA_LINKINFO]: [IFLA_INFO_DATA, IFLA_INFO_SLAVE_DATA], [IFLA_AF_SPEC]: 'all' };

/** Decodes nests all the way down (where the layout is known) and turns the tree back into input. */
function deepInput(attrs: readonly Attr[], nests: Record<number, readonly number[] | 'all'>): AttrInput[] {
  return attrs.map((a) => {
    const inner = nests[a.type];
    if (a.flags & NLA_F_NESTED || inner !== undefined) {
      const childNests: Record<number, readonly number[] | 'all'> = {};
      if (Array.isArray(inner)) for (const t of inner) childNests[t] = [];
      const children = parseAttrs(a.value);
      const kids = inner === 'all' ? children.map((c) => ({ type: c.type | c.flags, nested: asInput(parseAttrs(c.value)) })) : deepInput(children, childNests);
      return { type: a.type | a.flags, nested: kids };
    }
    return { type: a.type | a.flags, value: a.value };
  });
}

describe("the kernel's own link messages", () => {
  let s: ScratchRtnl;
  before(() => {
    s = scratchRtnl();
    ipIn(s.name, ['link', 'add', 'br0', 'type', 'bridge']);
    ipIn(s.name, ['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    ipIn(s.name, ['link', 'set', 'v0', 'master', 'br0']);
    ipIn(s.name, ['link', 'set', 'br0', 'up', 'alias', 'a bridge']);
  });
  after(() => s?.remove());

  it('re-encode byte for byte, flat and with nests decoded', () => {
    const msgs = s.rt.dump(RTM_GETLINK, ifInfoMsg.encode({ family: AF_UNSPEC, index: 0 }));
    assert.equal(msgs.length, 4);
    for (const m of msgs) {
      assert.equal(m.type, RTM_NEWLINK);
      const header = ifInfoMsg.decode(m.payload.subarray(0, 16));
      const attrs = parseAttrs(m.payload.subarray(16));
      assert.equal(hex(encodeBody(ifInfoMsg, header, asInput(attrs))), hex(m.payload), `flat, index ${header.index}`);
      assert.equal(hex(encodeBody(ifInfoMsg, header, deepInput(attrs, LINK_NESTS))), hex(m.payload), `nested, index ${header.index}`);
    }
  });
});
