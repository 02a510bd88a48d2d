import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { parseAttrs } from './attrs.js';
import { encodeBody } from './codec.js';
import { isNotFound } from './errors.js';
import { createLink, getLink } from './link.js';
import {
  ETH_P_ALL,
  ETH_P_IP,
  TCA_EGRESS_REDIR,
  TCA_KIND,
  TCA_OPTIONS,
  TC_ACT_OK,
  TC_ACT_STOLEN,
  TC_H_INGRESS,
  TC_H_ROOT,
  addHtbClass,
  addQdisc,
  addU32Filter,
  decodeFilter,
  decodeQdisc,
  deleteQdisc,
  handleText,
  listClasses,
  listFilters,
  listQdiscs,
  newQdiscRequest,
  newU32FilterRequest,
  pschedTickInUsec,
  tcHandle,
  tcMsg,
} from './tc.js';
import { ipIn, scratchRtnl, type ScratchRtnl } from './testing/scratch-rtnl.js';

describe('tc codec', () => {
  it('lays tcmsg out as the kernel does', () => {
    const bytes = tcMsg.encode({ family: 0, index: 7, handle: tcHandle(1, 0), parent: TC_H_ROOT, info: tcHandle(1, 0x0300) });
    assert.deepEqual([...bytes], [0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0, 3, 1, 0]);
  });
  it('prints handles as tc does', () => {
    assert.equal(handleText(tcHandle(1, 0)), '1:');
    assert.equal(handleText(tcHandle(1, 0x30)), '1:30');
    assert.equal(handleText(TC_H_INGRESS), 'ffff:fff1');
    assert.equal(handleText(TC_H_ROOT), 'root');
  });
  it('sends tbf parameters in tc_tbf_qopt and a 64-bit rate only when it does not fit 32 bits', () => {
    const small = newQdiscRequest({ index: 3, handle: tcHandle(1, 0), parent: TC_H_ROOT, options: { kind: 'tbf', rate: 125000, limit: 15625, buffer: 1562500 } });
    const decoded = decodeQdisc(encodeBody(tcMsg, small.header, small.attrs));
    assert.deepEqual(decoded.options, { kind: 'tbf', rate: 125000, limit: 15625, buffer: 1562500 });
    const big = newQdiscRequest({ index: 3, handle: tcHandle(1, 0), parent: TC_H_ROOT, options: { kind: 'tbf', rate: 2 ** 33 + 5, limit: 1, buffer: 1 } });
    assert.equal(decodeQdisc(encodeBody(tcMsg, big.header, big.attrs)).options.kind, 'tbf');
    assert.equal((decodeQdisc(encodeBody(tcMsg, big.header, big.attrs)).options as { rate: number }).rate, 2 ** 33 + 5);
  });
  it('sends ingress with an empty options nest, as Go netlink does', () => {
    const r = newQdiscRequest({ index: 3, handle: tcHandle(0xffff, 0), parent: TC_H_INGRESS, options: { kind: 'ingress' } });
    const attrs = parseAttrs(encodeBody(tcMsg, r.header, r.attrs).subarray(20));
    assert.deepEqual(attrs.map((a) => [a.type, a.value.length]), [[TCA_KIND, 8], [TCA_OPTIONS, 0]]);
  });
  it('encodes a match-all u32 filter with two mirred actions and reads it back', () => {
    const r = newU32FilterRequest({
      index: 3,
      parent: tcHandle(0xffff, 0),
      priority: 1,
      protocol: ETH_P_ALL,
      classId: tcHandle(1, 1),
      actions: [
        { kind: 'mirred', eaction: TCA_EGRESS_REDIR, ifindex: 9, action: TC_ACT_STOLEN },
        { kind: 'mirred', eaction: TCA_EGRESS_REDIR, ifindex: 9, action: TC_ACT_OK },
      ],
    });
    assert.equal(r.header.info, 0x00010300);
    const f = decodeFilter(encodeBody(tcMsg, r.header, r.attrs));
    assert.deepEqual(f, {
      index: 3,
      handle: 0,
      parent: tcHandle(0xffff, 0),
      priority: 1,
      protocol: ETH_P_ALL,
      kind: 'u32',
      classId: tcHandle(1, 1),
      keys: [{ mask: 0, val: 0, off: 0, offmask: 0 }],
      actions: [
        { kind: 'mirred', action: TC_ACT_STOLEN, eaction: TCA_EGRESS_REDIR, ifindex: 9 },
        { kind: 'mirred', action: TC_ACT_OK, eaction: TCA_EGRESS_REDIR, ifindex: 9 },
      ],
    });
  });
  it('puts u32 key mask and value in network order', () => {
    const r = newU32FilterRequest({ index: 1, parent: tcHandle(1, 0), priority: 16, protocol: ETH_P_IP, keys: [{ mask: 0xff000000, val: 0x0a000000, off: 16 }] });
    const body = encodeBody(tcMsg, r.header, r.attrs);
    const hex = Buffer.from(body).toString('hex');
    assert.ok(hex.includes('ff0000000a00000010000000'), hex);
  });
  it('reads the psched tick as iproute2 does', () => {
    assert.equal(pschedTickInUsec('000003e8 00000040 000f4240 3b9aca00\n'), 15.625);
    assert.equal(pschedTickInUsec('00000001 00000001 000f4240 00000064'), 1);
    assert.equal(pschedTickInUsec('00000001 00000040 3b9aca00 3b9aca00'), 1000);
  });
});

describe('tc against the kernel (tc -j as the oracle)', () => {
  let s: ScratchRtnl;
  let va: number;
  let ifb: number;
  const tcJson = <T>(args: string[]): T => JSON.parse(execFileSync('tc', ['-n', s.name, '-j', ...args], { encoding: 'utf8' }) || '[]') as T;

  before(() => {
    s = scratchRtnl();
    ipIn(s.name, ['link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb']);
    createLink(s.rt, { name: 'ifbt', info: { kind: 'ifb' }, up: true, txQueueLen: 0 });
    va = getLink(s.rt, 'va').index;
    ifb = getLink(s.rt, 'ifbt').index;
  });
  after(() => s?.remove());

  it('adds a tbf that tc shows with the same rate, burst and latency', () => {
    addQdisc(s.rt, { index: va, handle: tcHandle(1, 0), parent: TC_H_ROOT, options: { kind: 'tbf', rate: 125000, limit: 15625, buffer: 1562500 } });
    const q = tcJson<{ kind: string; handle: string; dev: string; options: { rate: number; burst: number; lat: number } }[]>(['qdisc', 'show', 'dev', 'va']);
    assert.equal(q[0]!.kind, 'tbf');
    assert.equal(q[0]!.handle, '1:');
    assert.equal(q[0]!.options.rate, 125000);
    assert.equal(q[0]!.options.burst, 12500);
    assert.equal(q[0]!.options.lat, 25000);
    assert.deepEqual(listQdiscs(s.rt, va).map((x) => x.options), [{ kind: 'tbf', rate: 125000, limit: 15625, buffer: 1562500 }]);
    assert.throws(() => addQdisc(s.rt, { index: va, handle: tcHandle(1, 0), parent: TC_H_ROOT, options: { kind: 'tbf', rate: 1, limit: 1, buffer: 1 } }), { code: 'EEXIST' });
  });

  it('adds ingress and a u32 filter redirecting to an ifb', () => {
    addQdisc(s.rt, { index: va, handle: tcHandle(0xffff, 0), parent: TC_H_INGRESS, options: { kind: 'ingress' } });
    addU32Filter(s.rt, {
      index: va,
      parent: tcHandle(0xffff, 0),
      priority: 1,
      protocol: ETH_P_ALL,
      classId: tcHandle(1, 1),
      actions: [{ kind: 'mirred', eaction: TCA_EGRESS_REDIR, ifindex: ifb, action: TC_ACT_STOLEN }],
    });
    const f = tcJson<{ options?: { fh: string; flowid?: string; actions?: { kind: string; mirred_action: string; to_dev: string; control_action: { type: string } }[] } }[]>(['filter', 'show', 'dev', 'va', 'ingress']);
    const rule = f.find((x) => x.options?.fh === '800::800')!;
    assert.equal(rule.options!.flowid, '1:1');
    assert.deepEqual(rule.options!.actions!.map((a) => [a.kind, a.mirred_action, a.to_dev, a.control_action.type]), [['mirred', 'redirect', 'ifbt', 'stolen']]);
    const ours = listFilters(s.rt, va, tcHandle(0xffff, 0)).filter((x) => x.keys !== undefined);
    assert.equal(ours.length, 1);
    assert.deepEqual(ours[0]!.actions, [{ kind: 'mirred', action: TC_ACT_STOLEN, eaction: TCA_EGRESS_REDIR, ifindex: ifb }]);
  });

  it('adds an htb with two classes and a subnet filter', () => {
    addQdisc(s.rt, { index: ifb, handle: tcHandle(1, 0), parent: TC_H_ROOT, options: { kind: 'htb', defaultClass: 0x30 } });
    addHtbClass(s.rt, { index: ifb, handle: tcHandle(1, 0x30), parent: tcHandle(1, 0), rate: 125000, ceil: 250000, buffer: 1562500, cbuffer: 1562500 });
    addHtbClass(s.rt, { index: ifb, handle: tcHandle(1, 1), parent: tcHandle(1, 0), rate: 100e9, ceil: 100e9 });
    addU32Filter(s.rt, { index: ifb, parent: tcHandle(1, 0), priority: 16, protocol: ETH_P_IP, classId: tcHandle(1, 1), keys: [{ mask: 0xff000000, val: 0x0a000000, off: 16 }] });
    const q = tcJson<{ kind: string; options: { default: string } }[]>(['qdisc', 'show', 'dev', 'ifbt']);
    assert.equal(q[0]!.kind, 'htb');
    assert.equal(q[0]!.options.default, '0x30');
    const classes = listClasses(s.rt, ifb).map((c) => [handleText(c.handle), c.htb?.rate, c.htb?.ceil, c.htb?.buffer]);
    assert.deepEqual(classes, [
      ['1:1', 100e9, 100e9, 0],
      ['1:30', 125000, 250000, 1562500],
    ]);
    const text = execFileSync('tc', ['-n', s.name, 'class', 'show', 'dev', 'ifbt'], { encoding: 'utf8' });
    assert.match(text, /class htb 1:30 root prio 0 rate 1Mbit ceil 2Mbit burst 12500b/);
    const f = tcJson<{ protocol: string; pref: number; options?: { flowid?: string; match?: { value: string; mask: string; off: number } } }[]>(['filter', 'show', 'dev', 'ifbt']);
    const rule = f.find((x) => x.options?.match !== undefined)!;
    assert.deepEqual([rule.protocol, rule.pref, rule.options!.flowid, rule.options!.match], ['ip', 16, '1:1', { value: 'a000000', mask: 'ff000000', offmask: '', off: 16 }]);
  });

  it('deletes qdiscs, and a missing one is an error', () => {
    deleteQdisc(s.rt, { index: va, handle: tcHandle(0xffff, 0), parent: TC_H_INGRESS });
    deleteQdisc(s.rt, { index: va, handle: tcHandle(1, 0), parent: TC_H_ROOT });
    deleteQdisc(s.rt, { index: ifb, handle: tcHandle(1, 0), parent: TC_H_ROOT });
    assert.deepEqual(listQdiscs(s.rt, va).filter((q) => q.kind !== 'noqueue'), []);
    assert.deepEqual(listFilters(s.rt, va, tcHandle(0xffff, 0)), []);
    assert.throws(
      () => deleteQdisc(s.rt, { index: va, handle: tcHandle(0xffff, 0), parent: TC_H_INGRESS }),
      (e: unknown) => isNotFound(e) || (e as { code?: string }).code === 'EINVAL',
    );
  });
});
