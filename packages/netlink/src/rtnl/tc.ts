/**
 * Traffic control over rtnetlink: the tcmsg header, qdiscs (tbf, ingress, htb), htb classes
 * and u32 filters with mirred actions, as `tc qdisc|class|filter add|del|show` sends them.
 * Requests carry what Go's vishvananda/netlink sends for the same objects (the reference
 * plugins use it), so that the kernel ends up in the same state and `tc -j` shows the same
 * numbers. Rates are bytes per second, times are psched ticks (see pschedTickInUsec).
 */
import { readFileSync } from 'node:fs';
import { attr, type AttrInput, type AttrSet } from './attrs.js';
import { decodeBody, fixedStruct, type StructCodec } from './codec.js';
import {
  AF_UNSPEC,
  NLM_F_CREATE,
  NLM_F_EXCL,
  RTM_DELQDISC,
  RTM_GETQDISC,
  RTM_GETTCLASS,
  RTM_GETTFILTER,
  RTM_NEWQDISC,
  RTM_NEWTCLASS,
  RTM_NEWTFILTER,
} from './constants.js';
import { compact } from './plain.js';
import type { RtnlSocket } from './socket.js';
import { dataView, u64Bytes } from './values.js';

export const TCA_KIND = 1;
export const TCA_OPTIONS = 2;

/** Special parents and handles (linux/pkt_sched.h). */
export const TC_H_ROOT = 0xffffffff;
export const TC_H_INGRESS = 0xfffffff1;
export const TC_H_UNSPEC = 0;

/** tbf options (TCA_TBF_*). */
export const TCA_TBF_PARMS = 1;
export const TCA_TBF_RATE64 = 4;
export const TCA_TBF_PRATE64 = 5;
export const TCA_TBF_BURST = 6;

/** htb options (TCA_HTB_*). */
export const TCA_HTB_PARMS = 1;
export const TCA_HTB_INIT = 2;
export const TCA_HTB_DIRECT_QLEN = 5;
export const TCA_HTB_RATE64 = 6;
export const TCA_HTB_CEIL64 = 7;

/** u32 options (TCA_U32_*). */
export const TCA_U32_CLASSID = 1;
export const TCA_U32_DIVISOR = 4;
export const TCA_U32_SEL = 5;
export const TCA_U32_ACT = 7;
export const TC_U32_TERMINAL = 1;

/** Actions (TCA_ACT_*), mirred (TCA_MIRRED_*), verdicts (TC_ACT_*). */
export const TCA_ACT_KIND = 1;
export const TCA_ACT_OPTIONS = 2;
export const TCA_MIRRED_PARMS = 2;
export const TCA_EGRESS_REDIR = 1;
export const TCA_EGRESS_MIRROR = 2;
export const TC_ACT_OK = 0;
export const TC_ACT_PIPE = 3;
export const TC_ACT_STOLEN = 4;

/** Ethertypes filters match on (host order; the header carries them in network order). */
export const ETH_P_ALL = 0x0003;
export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;

/**
 * A handle from its major and minor numbers (`1:30` is tcHandle(1, 0x30)).
 *
 * @example tcHandle(0xffff, 0) // 0xffff0000, `ffff:`
 */
export function tcHandle(major: number, minor: number): number {
  return (((major & 0xffff) << 16) | (minor & 0xffff)) >>> 0;
}

/**
 * A handle as `tc` prints it: `1:`, `1:30`, `ffff:fff1`, `root`.
 *
 * @example handleText(tcHandle(1, 0x30)) // '1:30'
 */
export function handleText(h: number): string {
  if (h === TC_H_ROOT) return 'root';
  const major = (h >>> 16).toString(16);
  const minor = h & 0xffff;
  return minor === 0 ? `${major}:` : `${major}:${minor.toString(16)}`;
}

/** struct tcmsg: the header of qdisc, class and filter messages. */
export interface TcMsg {
  family: number;
  index: number;
  handle: number;
  parent: number;
  /** Filters: priority << 16 | protocol in network order; qdiscs and classes: 0. */
  info: number;
}

/** @example tcMsg.encode({ family: 0, index: 3, handle: tcHandle(1, 0), parent: TC_H_ROOT, info: 0 }) */
export const tcMsg: StructCodec<TcMsg> = fixedStruct<TcMsg>(20, {
  family: [0, 'u8'],
  index: [4, 'i32'],
  handle: [8, 'u32'],
  parent: [12, 'u32'],
  info: [16, 'u32'],
});

/** struct tc_ratespec. */
export interface RateSpec {
  cellLog: number;
  linklayer: number;
  overhead: number;
  cellAlign: number;
  mpu: number;
  /** Bytes per second, the low 32 bits (the 64-bit value travels beside it). */
  rate: number;
}

const RATESPEC_SIZE = 12;

function writeRateSpec(dv: DataView, at: number, r: Partial<RateSpec>): void {
  dv.setUint8(at, r.cellLog ?? 0);
  dv.setUint8(at + 1, r.linklayer ?? 0);
  dv.setUint16(at + 2, r.overhead ?? 0, true);
  dv.setInt16(at + 4, r.cellAlign ?? 0, true);
  dv.setUint16(at + 6, r.mpu ?? 0, true);
  dv.setUint32(at + 8, (r.rate ?? 0) >>> 0, true);
}

function readRateSpec(dv: DataView, at: number): RateSpec {
  return {
    cellLog: dv.getUint8(at),
    linklayer: dv.getUint8(at + 1),
    overhead: dv.getUint16(at + 2, true),
    cellAlign: dv.getInt16(at + 4, true),
    mpu: dv.getUint16(at + 6, true),
    rate: dv.getUint32(at + 8, true),
  };
}

/** The low 32 bits of a rate that may not fit them (the kernel then reads the *64 attribute). */
function low32(n: number): number {
  return Number(BigInt(Math.trunc(n)) & 0xffffffffn);
}

const U32_RANGE = 2 ** 32;

/** Token bucket filter: rate in bytes/s, limit in bytes, buffer in psched ticks. */
export interface TbfOptions {
  kind: 'tbf';
  rate: number;
  limit: number;
  buffer: number;
  peakrate?: number;
  mtu?: number;
}

/** The ingress qdisc (handle ffff:, parent ffff:fff1): the hook for filters on received packets. */
export interface IngressOptions {
  kind: 'ingress';
}

/** Hierarchical token bucket: unclassified traffic goes to class `major:defaultClass`. */
export interface HtbOptions {
  kind: 'htb';
  defaultClass: number;
  /** 3 and 10, as `tc` and Go's netlink send, when absent. */
  version?: number;
  rate2quantum?: number;
  directPackets?: number;
}

/** A qdisc kind this module does not decode: its name only. */
export interface OtherQdiscOptions {
  kind: string;
}

export type QdiscOptions = TbfOptions | IngressOptions | HtbOptions;

/** A qdisc to add or delete. */
export interface QdiscSpec {
  index: number;
  handle: number;
  parent: number;
  options: QdiscOptions;
}

/** A qdisc as the kernel reports it. */
export interface Qdisc {
  index: number;
  handle: number;
  parent: number;
  kind: string;
  /** The decoded options of tbf, htb and ingress; `{ kind }` for other kinds. */
  options: QdiscOptions | OtherQdiscOptions;
}

function tbfOptionAttrs(o: TbfOptions): AttrInput[] {
  const parms = new Uint8Array(2 * RATESPEC_SIZE + 12);
  const dv = dataView(parms);
  writeRateSpec(dv, 0, { rate: low32(o.rate) });
  writeRateSpec(dv, RATESPEC_SIZE, { rate: low32(o.peakrate ?? 0) });
  dv.setUint32(24, o.limit >>> 0, true);
  dv.setUint32(28, o.buffer >>> 0, true);
  dv.setUint32(32, (o.mtu ?? 0) >>> 0, true);
  const attrs = [attr.bytes(TCA_TBF_PARMS, parms)];
  if (o.rate >= U32_RANGE) attrs.push(attr.bytes(TCA_TBF_RATE64, u64Bytes(BigInt(o.rate))));
  if ((o.peakrate ?? 0) >= U32_RANGE) attrs.push(attr.bytes(TCA_TBF_PRATE64, u64Bytes(BigInt(o.peakrate ?? 0))));
  return attrs;
}

function htbOptionAttrs(o: HtbOptions): AttrInput[] {
  const glob = new Uint8Array(20);
  const dv = dataView(glob);
  dv.setUint32(0, o.version ?? 3, true);
  dv.setUint32(4, o.rate2quantum ?? 10, true);
  dv.setUint32(8, o.defaultClass, true);
  dv.setUint32(16, o.directPackets ?? 0, true);
  return [attr.bytes(TCA_HTB_INIT, glob)];
}

/**
 * The RTM_NEWQDISC header and attributes for a qdisc (TCA_KIND, then TCA_OPTIONS; an empty
 * options nest for ingress, as Go's netlink sends).
 *
 * @example newQdiscRequest({ index: 3, handle: tcHandle(0xffff, 0), parent: TC_H_INGRESS, options: { kind: 'ingress' } })
 */
export function newQdiscRequest(spec: QdiscSpec): { header: TcMsg; attrs: AttrInput[] } {
  const o = spec.options;
  const options = o.kind === 'tbf' ? tbfOptionAttrs(o) : o.kind === 'htb' ? htbOptionAttrs(o) : [];
  return {
    header: { family: AF_UNSPEC, index: spec.index, handle: spec.handle, parent: spec.parent, info: 0 },
    attrs: [attr.string(TCA_KIND, o.kind), attr.nested(TCA_OPTIONS, options)],
  };
}

function decodeTbf(options: AttrSet | undefined): TbfOptions {
  const parms = options?.get(TCA_TBF_PARMS);
  if (parms === undefined || parms.length < 36) return { kind: 'tbf', rate: 0, limit: 0, buffer: 0 };
  const dv = dataView(parms);
  const rate64 = options?.u64(TCA_TBF_RATE64);
  const prate64 = options?.u64(TCA_TBF_PRATE64);
  const peakrate = prate64 !== undefined ? Number(prate64) : readRateSpec(dv, RATESPEC_SIZE).rate;
  return compact<TbfOptions>({
    kind: 'tbf',
    rate: rate64 !== undefined ? Number(rate64) : readRateSpec(dv, 0).rate,
    limit: dv.getUint32(24, true),
    buffer: dv.getUint32(28, true),
    peakrate: peakrate === 0 ? undefined : peakrate,
    mtu: dv.getUint32(32, true) || undefined,
  });
}

function decodeHtb(options: AttrSet | undefined): HtbOptions {
  const glob = options?.get(TCA_HTB_INIT);
  if (glob === undefined || glob.length < 20) return { kind: 'htb', defaultClass: 0 };
  const dv = dataView(glob);
  return { kind: 'htb', version: dv.getUint32(0, true), rate2quantum: dv.getUint32(4, true), defaultClass: dv.getUint32(8, true), directPackets: dv.getUint32(16, true) };
}

/**
 * Decodes an RTM_NEWQDISC payload.
 *
 * @example decodeQdisc(msg.payload).options // { kind: 'tbf', rate: 125000, limit: 15625, buffer: 1562500 }
 */
export function decodeQdisc(payload: Uint8Array): Qdisc {
  const { header, attrs } = decodeBody(tcMsg, payload);
  const kind = attrs.string(TCA_KIND) ?? '';
  const opts = attrs.nested(TCA_OPTIONS);
  const options = kind === 'tbf' ? decodeTbf(opts) : kind === 'htb' ? decodeHtb(opts) : kind === 'ingress' ? { kind: 'ingress' as const } : { kind };
  return { index: header.index, handle: header.handle, parent: header.parent, kind, options };
}

/**
 * Adds a qdisc (NLM_F_CREATE | NLM_F_EXCL: an existing one at that parent fails with EEXIST).
 *
 * @example addQdisc(rt, { index: 3, handle: tcHandle(1, 0), parent: TC_H_ROOT, options: { kind: 'tbf', rate: 125000, limit: 15625, buffer: 1562500 } })
 */
export function addQdisc(rt: RtnlSocket, spec: QdiscSpec): void {
  const { header, attrs } = newQdiscRequest(spec);
  rt.request(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, tcMsg.encode(header), attrs);
}

/**
 * Deletes the qdisc at a parent (its classes and filters go with it); ENOENT or EINVAL when
 * there is none.
 *
 * @example deleteQdisc(rt, { index: 3, handle: tcHandle(0xffff, 0), parent: TC_H_INGRESS })
 */
export function deleteQdisc(rt: RtnlSocket, ref: { index: number; handle: number; parent: number }): void {
  rt.request(RTM_DELQDISC, 0, tcMsg.encode({ family: AF_UNSPEC, index: ref.index, handle: ref.handle, parent: ref.parent, info: 0 }));
}

/**
 * The qdiscs of the socket's namespace, of one link when `index` is given.
 *
 * @example listQdiscs(rt, 3).find((q) => q.parent === TC_H_ROOT)?.kind // 'tbf'
 */
export function listQdiscs(rt: RtnlSocket, index?: number): Qdisc[] {
  return rt
    .dump(RTM_GETQDISC, tcMsg.encode({ family: AF_UNSPEC, index: index ?? 0, handle: 0, parent: 0, info: 0 }))
    .filter((m) => m.type === RTM_NEWQDISC)
    .map((m) => decodeQdisc(m.payload))
    .filter((q) => index === undefined || q.index === index);
}

/** An htb class: rate and ceil in bytes/s, buffer and cbuffer in psched ticks. */
export interface HtbClassSpec {
  index: number;
  handle: number;
  parent: number;
  rate: number;
  ceil: number;
  buffer?: number;
  cbuffer?: number;
  quantum?: number;
  level?: number;
  prio?: number;
}

/** A class as the kernel reports it (htb parameters decoded). */
export interface TcClass {
  index: number;
  handle: number;
  parent: number;
  kind: string;
  htb?: { rate: number; ceil: number; buffer: number; cbuffer: number; quantum: number; level: number; prio: number };
}

/**
 * The ratespec Go's netlink sends for an htb rate: cell_log for a 1600-byte MTU, cell_align
 * -1 and the Ethernet link layer (so the kernel needs no rate table).
 */
function htbRateSpec(rate: number): Partial<RateSpec> {
  let cellLog = 0;
  while (1600 >> cellLog > 255) cellLog++;
  return { rate: low32(rate), cellLog, cellAlign: -1, linklayer: 1 };
}

/**
 * The RTM_NEWTCLASS header and attributes of an htb class.
 *
 * @example newHtbClassRequest({ index: 3, handle: tcHandle(1, 0x30), parent: tcHandle(1, 0), rate: 125000, ceil: 250000, buffer: 1562500 })
 */
export function newHtbClassRequest(spec: HtbClassSpec): { header: TcMsg; attrs: AttrInput[] } {
  const parms = new Uint8Array(2 * RATESPEC_SIZE + 20);
  const dv = dataView(parms);
  writeRateSpec(dv, 0, htbRateSpec(spec.rate));
  writeRateSpec(dv, RATESPEC_SIZE, htbRateSpec(spec.ceil));
  dv.setUint32(24, spec.buffer ?? 0, true);
  dv.setUint32(28, spec.cbuffer ?? 0, true);
  dv.setUint32(32, spec.quantum ?? 0, true);
  dv.setUint32(36, spec.level ?? 0, true);
  dv.setUint32(40, spec.prio ?? 0, true);
  const options: AttrInput[] = [attr.bytes(TCA_HTB_PARMS, parms)];
  if (spec.rate >= U32_RANGE) options.push(attr.bytes(TCA_HTB_RATE64, u64Bytes(BigInt(spec.rate))));
  if (spec.ceil >= U32_RANGE) options.push(attr.bytes(TCA_HTB_CEIL64, u64Bytes(BigInt(spec.ceil))));
  return {
    header: { family: AF_UNSPEC, index: spec.index, handle: spec.handle, parent: spec.parent, info: 0 },
    attrs: [attr.string(TCA_KIND, 'htb'), attr.nested(TCA_OPTIONS, options)],
  };
}

/**
 * Adds an htb class.
 *
 * @example addHtbClass(rt, { index: 3, handle: tcHandle(1, 1), parent: tcHandle(1, 0), rate: 100e9, ceil: 100e9 })
 */
export function addHtbClass(rt: RtnlSocket, spec: HtbClassSpec): void {
  const { header, attrs } = newHtbClassRequest(spec);
  rt.request(RTM_NEWTCLASS, NLM_F_CREATE | NLM_F_EXCL, tcMsg.encode(header), attrs);
}

/**
 * Decodes an RTM_NEWTCLASS payload.
 *
 * @example decodeClass(msg.payload).htb?.rate // 125000
 */
export function decodeClass(payload: Uint8Array): TcClass {
  const { header, attrs } = decodeBody(tcMsg, payload);
  const kind = attrs.string(TCA_KIND) ?? '';
  const out: TcClass = { index: header.index, handle: header.handle, parent: header.parent, kind };
  const opts = attrs.nested(TCA_OPTIONS);
  const parms = opts?.get(TCA_HTB_PARMS);
  if (kind === 'htb' && parms !== undefined && parms.length >= 44) {
    const dv = dataView(parms);
    const rate64 = opts?.u64(TCA_HTB_RATE64);
    const ceil64 = opts?.u64(TCA_HTB_CEIL64);
    out.htb = {
      rate: rate64 !== undefined ? Number(rate64) : readRateSpec(dv, 0).rate,
      ceil: ceil64 !== undefined ? Number(ceil64) : readRateSpec(dv, RATESPEC_SIZE).rate,
      buffer: dv.getUint32(24, true),
      cbuffer: dv.getUint32(28, true),
      quantum: dv.getUint32(32, true),
      level: dv.getUint32(36, true),
      prio: dv.getUint32(40, true),
    };
  }
  return out;
}

/**
 * The classes of a link.
 *
 * @example listClasses(rt, 3).map((c) => handleText(c.handle)) // ['1:1', '1:30']
 */
export function listClasses(rt: RtnlSocket, index: number): TcClass[] {
  return rt
    .dump(RTM_GETTCLASS, tcMsg.encode({ family: AF_UNSPEC, index, handle: 0, parent: 0, info: 0 }))
    .filter((m) => m.type === RTM_NEWTCLASS)
    .map((m) => decodeClass(m.payload));
}

/** One 32-bit match of a u32 selector: (packet[off..off+4] & mask) == val, in host order here. */
export interface U32Key {
  mask: number;
  val: number;
  off: number;
  offmask?: number;
}

/** A mirred action: redirect or mirror to a link, then the verdict (`action`, TC_ACT_*). */
export interface MirredAction {
  kind: 'mirred';
  /** TCA_EGRESS_REDIR or TCA_EGRESS_MIRROR. */
  eaction: number;
  ifindex: number;
  /** TC_ACT_STOLEN for a redirect that ends processing, TC_ACT_OK (pass), TC_ACT_PIPE. */
  action: number;
}

/** A u32 filter. With no keys the selector matches every packet (one zero key, terminal). */
export interface U32FilterSpec {
  index: number;
  parent: number;
  priority: number;
  /** Host-order ethertype (ETH_P_ALL, ETH_P_IP, ...). */
  protocol: number;
  /** 0 lets the kernel choose (800::800 and up). */
  handle?: number;
  classId?: number;
  keys?: readonly U32Key[];
  actions?: readonly MirredAction[];
}

/** A filter as the kernel reports it; u32 details when the kind is u32. */
export interface TcFilter {
  index: number;
  handle: number;
  parent: number;
  priority: number;
  protocol: number;
  kind: string;
  classId?: number;
  /** u32 hash tables (no selector) report a divisor instead. */
  divisor?: number;
  keys?: U32Key[];
  actions?: (MirredAction | { kind: string })[];
}

function encodeSelector(keys: readonly U32Key[]): Uint8Array {
  const list = keys.length === 0 ? [{ mask: 0, val: 0, off: 0 }] : keys;
  const b = new Uint8Array(16 + 16 * list.length);
  const dv = dataView(b);
  dv.setUint8(0, TC_U32_TERMINAL);
  dv.setUint8(2, list.length);
  list.forEach((k, i) => {
    const at = 16 + 16 * i;
    dv.setUint32(at, k.mask >>> 0, false);
    dv.setUint32(at + 4, k.val >>> 0, false);
    dv.setInt32(at + 8, k.off, true);
    dv.setInt32(at + 12, k.offmask ?? 0, true);
  });
  return b;
}

function mirredAttr(tab: number, a: MirredAction): AttrInput {
  const parms = new Uint8Array(28);
  const dv = dataView(parms);
  dv.setInt32(8, a.action, true);
  dv.setInt32(20, a.eaction, true);
  dv.setUint32(24, a.ifindex, true);
  return attr.nested(tab, [attr.string(TCA_ACT_KIND, 'mirred'), attr.nested(TCA_ACT_OPTIONS, [attr.bytes(TCA_MIRRED_PARMS, parms)])]);
}

/**
 * The RTM_NEWTFILTER header and attributes of a u32 filter: kind, then the selector, the
 * class and the action table, in Go's netlink order.
 *
 * @example newU32FilterRequest({ index: 3, parent: tcHandle(0xffff, 0), priority: 1, protocol: ETH_P_ALL, classId: tcHandle(1, 1) })
 */
export function newU32FilterRequest(spec: U32FilterSpec): { header: TcMsg; attrs: AttrInput[] } {
  const options: AttrInput[] = [attr.bytes(TCA_U32_SEL, encodeSelector(spec.keys ?? []))];
  if (spec.classId !== undefined && spec.classId !== 0) options.push(attr.u32(TCA_U32_CLASSID, spec.classId));
  options.push(attr.nested(TCA_U32_ACT, (spec.actions ?? []).map((a, i) => mirredAttr(i + 1, a))));
  const protocol = ((spec.protocol & 0xff) << 8) | ((spec.protocol >> 8) & 0xff);
  return {
    header: { family: AF_UNSPEC, index: spec.index, handle: spec.handle ?? 0, parent: spec.parent, info: tcHandle(spec.priority, protocol) },
    attrs: [attr.string(TCA_KIND, 'u32'), attr.nested(TCA_OPTIONS, options)],
  };
}

/**
 * Adds a u32 filter.
 *
 * @example addU32Filter(rt, { index: 3, parent: tcHandle(0xffff, 0), priority: 1, protocol: ETH_P_ALL, actions: [{ kind: 'mirred', eaction: TCA_EGRESS_REDIR, ifindex: 4, action: TC_ACT_STOLEN }] })
 */
export function addU32Filter(rt: RtnlSocket, spec: U32FilterSpec): void {
  const { header, attrs } = newU32FilterRequest(spec);
  rt.request(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, tcMsg.encode(header), attrs);
}

function decodeActions(table: AttrSet | undefined): TcFilter['actions'] {
  if (table === undefined) return undefined;
  return [...table.list]
    .sort((a, b) => a.type - b.type)
    .map((entry) => {
      const set = table.nested(entry.type)!;
      const kind = set.string(TCA_ACT_KIND) ?? '';
      const parms = set.nested(TCA_ACT_OPTIONS)?.get(TCA_MIRRED_PARMS);
      if (kind !== 'mirred' || parms === undefined || parms.length < 28) return { kind };
      const dv = dataView(parms);
      return { kind: 'mirred' as const, action: dv.getInt32(8, true), eaction: dv.getInt32(20, true), ifindex: dv.getUint32(24, true) };
    });
}

/**
 * Decodes an RTM_NEWTFILTER payload.
 *
 * @example decodeFilter(msg.payload).actions?.[0] // { kind: 'mirred', action: 4, eaction: 1, ifindex: 5 }
 */
export function decodeFilter(payload: Uint8Array): TcFilter {
  const { header, attrs } = decodeBody(tcMsg, payload);
  const kind = attrs.string(TCA_KIND) ?? '';
  const proto = header.info & 0xffff;
  const out: TcFilter = {
    index: header.index,
    handle: header.handle,
    parent: header.parent,
    priority: header.info >>> 16,
    protocol: ((proto & 0xff) << 8) | (proto >> 8),
    kind,
  };
  const opts = attrs.nested(TCA_OPTIONS);
  if (kind !== 'u32' || opts === undefined) return out;
  const classId = opts.u32(TCA_U32_CLASSID);
  const divisor = opts.u32(TCA_U32_DIVISOR);
  const sel = opts.get(TCA_U32_SEL);
  if (classId !== undefined) out.classId = classId;
  if (divisor !== undefined) out.divisor = divisor;
  if (sel !== undefined && sel.length >= 16) {
    const dv = dataView(sel);
    const n = dv.getUint8(2);
    out.keys = [];
    for (let i = 0; i < n && 16 + 16 * (i + 1) <= sel.length; i++) {
      const at = 16 + 16 * i;
      out.keys.push({ mask: dv.getUint32(at, false), val: dv.getUint32(at + 4, false), off: dv.getInt32(at + 8, true), offmask: dv.getInt32(at + 12, true) });
    }
  }
  const actions = decodeActions(opts.nested(TCA_U32_ACT));
  if (actions !== undefined) out.actions = actions;
  return out;
}

/**
 * The filters attached at `parent` on a link (every priority and protocol).
 *
 * @example listFilters(rt, 3, tcHandle(0xffff, 0)).filter((f) => f.keys !== undefined)
 */
export function listFilters(rt: RtnlSocket, index: number, parent: number): TcFilter[] {
  return rt
    .dump(RTM_GETTFILTER, tcMsg.encode({ family: AF_UNSPEC, index, handle: 0, parent, info: 0 }))
    .filter((m) => m.type === RTM_NEWTFILTER)
    .map((m) => decodeFilter(m.payload));
}

let tickCache: number | undefined;

/**
 * Microseconds per psched tick, from /proc/net/psched as iproute2 and Go's netlink read it
 * (15.625 on current kernels); tbf buffers and htb bursts are given in ticks.
 *
 * @example Math.round(1000 * pschedTickInUsec()) // 15625
 */
export function pschedTickInUsec(text?: string): number {
  if (text === undefined && tickCache !== undefined) return tickCache;
  const vals = (text ?? readFileSync('/proc/net/psched', 'utf8')).trim().split(/\s+/).slice(0, 4).map((v) => parseInt(v, 16));
  if (vals.length < 3 || vals.some((v) => !Number.isFinite(v))) throw new Error(`unexpected /proc/net/psched contents: ${JSON.stringify(text)}`);
  let [t2us, us2t, clockRes] = vals as [number, number, number];
  // A kernel with a nanosecond clock and the old layout: iproute2 reads the tick from field 2.
  if (clockRes === 1_000_000_000) t2us = us2t;
  const tick = (t2us / us2t) * (clockRes / 1_000_000);
  if (text === undefined) tickCache = tick;
  return tick;
}
