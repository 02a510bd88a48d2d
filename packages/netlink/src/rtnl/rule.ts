/**
 * Policy routing rules (`ip rule`) over rtnetlink: the fib_rule_hdr header, FRA_* attributes
 * and add, delete and list, IPv4 and IPv6. sbr adds `from <ip> lookup <table>` rules and
 * deletes them by source; vrf relies on the kernel's l3mdev rule, which listing must read.
 */
import { attr, type AttrInput } from './attrs.js';
import { decodeBody, fixedStruct, type StructCodec } from './codec.js';
import { AF_INET, AF_INET6, AF_UNSPEC, NLM_F_CREATE, NLM_F_EXCL, RTM_DELRULE, RTM_GETRULE, RTM_NEWRULE } from './constants.js';
import { formatPrefix, parsePrefix } from './ip-prefix.js';
import { compact } from './plain.js';
import { RT_TABLE_MAIN, RT_TABLE_UNSPEC } from './route-consts.js';
import type { RtnlSocket } from './socket.js';

export const FRA_DST = 1;
export const FRA_SRC = 2;
export const FRA_IIFNAME = 3;
export const FRA_GOTO = 4;
export const FRA_PRIORITY = 6;
export const FRA_FWMARK = 10;
export const FRA_FLOW = 11;
export const FRA_TUN_ID = 12;
export const FRA_SUPPRESS_IFGROUP = 13;
export const FRA_SUPPRESS_PREFIXLEN = 14;
export const FRA_TABLE = 15;
export const FRA_FWMASK = 16;
export const FRA_OIFNAME = 17;
export const FRA_PAD = 18;
export const FRA_L3MDEV = 19;
export const FRA_UID_RANGE = 20;
export const FRA_PROTOCOL = 21;
export const FRA_IP_PROTO = 22;
export const FRA_SPORT_RANGE = 23;
export const FRA_DPORT_RANGE = 24;

/** Rule actions (fib_rule_hdr.action, FR_ACT_*) by name; the index is the kernel's number. */
export const RULE_ACTIONS = ['unspec', 'toTable', 'goto', 'nop', 'res3', 'res4', 'blackhole', 'unreachable', 'prohibit'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];

/** fib_rule_hdr.flags bits. */
export const FIB_RULE_PERMANENT = 0x01;
export const FIB_RULE_INVERT = 0x02;
export const FIB_RULE_UNRESOLVED = 0x04;
export const FIB_RULE_IIF_DETACHED = 0x08;
export const FIB_RULE_OIF_DETACHED = 0x10;

/** The value of FRA_SUPPRESS_* that means "not set", as the kernel stores it. */
const UNSET = 0xffffffff;

/** struct fib_rule_hdr: the header of rule messages. */
export interface FibRuleHdr {
  family: number;
  dstLength: number;
  srcLength: number;
  tos: number;
  /** The table when below 256, else RT_TABLE_UNSPEC and the table in FRA_TABLE. */
  table: number;
  action: number;
  flags: number;
}

/** @example fibRuleHdr.encode({ family: AF_INET, dstLength: 0, srcLength: 32, tos: 0, table: 100, action: 1, flags: 0 }) */
// Bytes 5 and 6 are res1 and res2.
export const fibRuleHdr: StructCodec<FibRuleHdr> = fixedStruct<FibRuleHdr>(12, {
  family: [0, 'u8'],
  dstLength: [1, 'u8'],
  srcLength: [2, 'u8'],
  tos: [3, 'u8'],
  table: [4, 'u8'],
  action: [7, 'u8'],
  flags: [8, 'u32'],
});

/** A rule as the kernel reports it; absent selectors match everything (`from all`). */
export interface Rule {
  family: 4 | 6;
  /** 0 for the `local` rule, which the kernel sends without FRA_PRIORITY. */
  priority: number;
  /** FRA_TABLE when present, else the header's table. */
  table: number;
  action: RuleAction;
  /** fib_rule_hdr.flags: FIB_RULE_* bits. */
  flags: number;
  /** `not`: the selectors are inverted (FIB_RULE_INVERT). */
  invert: boolean;
  tos: number;
  src?: string;
  dst?: string;
  iif?: string;
  oif?: string;
  fwmark?: number;
  fwmask?: number;
  /** The priority a goto rule jumps to. */
  goto?: number;
  /** Look the table up in the VRF of the packet's device (the kernel's rule at 1000). */
  l3mdev?: boolean;
  suppressPrefixLength?: number;
  suppressIfgroup?: number;
  /** FRA_PROTOCOL: who added the rule (RTPROT_*; kernel 2 for the default rules). */
  protocol?: number;
}

/** A rule to add or delete; a listed Rule is one. */
export interface RuleSpec {
  /** Taken from src or dst when they are given; required otherwise. */
  family?: 4 | 6;
  /** The kernel picks one below the lowest existing rule when absent (adding only). */
  priority?: number;
  /** For toTable rules: RT_TABLE_MAIN when absent (and not l3mdev). */
  table?: number;
  /** 'toTable' when absent, or 'goto' when `goto` is given. */
  action?: RuleAction;
  invert?: boolean;
  tos?: number;
  src?: string;
  dst?: string;
  iif?: string;
  oif?: string;
  fwmark?: number;
  /** 0xffffffff is what the kernel assumes when a mark comes without one. */
  fwmask?: number;
  goto?: number;
  l3mdev?: boolean;
  suppressPrefixLength?: number;
  suppressIfgroup?: number;
  protocol?: number;
}

function ruleFamily(spec: RuleSpec): 4 | 6 {
  const fromPrefix = spec.src !== undefined ? parsePrefix(spec.src).family : spec.dst !== undefined ? parsePrefix(spec.dst).family : undefined;
  const family = spec.family ?? fromPrefix;
  if (family === undefined) throw new TypeError('a rule without src or dst needs a family (4 or 6)');
  if (fromPrefix !== undefined && family !== fromPrefix) throw new TypeError(`rule family ${family} does not match its prefixes`);
  return family;
}

/** Which defaults fill what a spec leaves out: those of a new rule, or "match any" of a delete. */
export type RuleDefaults = 'new' | 'delete';

/**
 * The fib_rule_hdr and attributes of a rule, in Go's netlink order (FRA_DST, FRA_SRC,
 * FRA_TABLE, FRA_FWMARK, FRA_FWMASK, FRA_PRIORITY, FRA_SUPPRESS_*, FRA_IIFNAME, FRA_OIFNAME,
 * FRA_GOTO, FRA_L3MDEV, FRA_PROTOCOL). FRA_TABLE is sent only for tables above 255, with the
 * header's table RT_TABLE_UNSPEC, as `ip rule` does.
 *
 * @example encodeRule({ src: '10.1.0.5/32', table: 100 }, 'new')
 */
export function encodeRule(spec: RuleSpec, defaults: RuleDefaults): { header: FibRuleHdr; attrs: AttrInput[] } {
  const family = ruleFamily(spec);
  const src = spec.src === undefined ? undefined : parsePrefix(spec.src);
  const dst = spec.dst === undefined ? undefined : parsePrefix(spec.dst);
  const fresh = defaults === 'new';
  const action = spec.action ?? (spec.goto !== undefined ? 'goto' : fresh ? 'toTable' : 'unspec');
  const table = spec.table ?? (fresh && action === 'toTable' && !spec.l3mdev ? RT_TABLE_MAIN : RT_TABLE_UNSPEC);
  const attrs: AttrInput[] = [];
  if (dst !== undefined && dst.length > 0) attrs.push(attr.ip(FRA_DST, dst.address));
  if (src !== undefined && src.length > 0) attrs.push(attr.ip(FRA_SRC, src.address));
  if (table > 255) attrs.push(attr.u32(FRA_TABLE, table));
  if (spec.fwmark !== undefined) attrs.push(attr.u32(FRA_FWMARK, spec.fwmark));
  if (spec.fwmask !== undefined) attrs.push(attr.u32(FRA_FWMASK, spec.fwmask));
  if (spec.priority !== undefined) attrs.push(attr.u32(FRA_PRIORITY, spec.priority));
  if (spec.suppressPrefixLength !== undefined) attrs.push(attr.u32(FRA_SUPPRESS_PREFIXLEN, spec.suppressPrefixLength));
  if (spec.suppressIfgroup !== undefined) attrs.push(attr.u32(FRA_SUPPRESS_IFGROUP, spec.suppressIfgroup));
  if (spec.iif !== undefined) attrs.push(attr.string(FRA_IIFNAME, spec.iif));
  if (spec.oif !== undefined) attrs.push(attr.string(FRA_OIFNAME, spec.oif));
  if (spec.goto !== undefined) attrs.push(attr.u32(FRA_GOTO, spec.goto));
  if (spec.l3mdev) attrs.push(attr.u8(FRA_L3MDEV, 1));
  if (spec.protocol !== undefined) attrs.push(attr.u8(FRA_PROTOCOL, spec.protocol));
  const header: FibRuleHdr = {
    family: family === 4 ? AF_INET : AF_INET6,
    dstLength: dst?.length ?? 0,
    srcLength: src?.length ?? 0,
    tos: spec.tos ?? 0,
    table: table > 255 ? RT_TABLE_UNSPEC : table,
    action: RULE_ACTIONS.indexOf(action),
    flags: spec.invert ? FIB_RULE_INVERT : 0,
  };
  return { header, attrs };
}

/**
 * Decodes an RTM_NEWRULE payload.
 *
 * @example decodeRule(msg.payload) // { family: 4, priority: 32766, table: 254, action: 'toTable', ... }
 */
export function decodeRule(payload: Uint8Array): Rule {
  const { header, attrs } = decodeBody(fibRuleHdr, payload);
  const src = attrs.get(FRA_SRC);
  const dst = attrs.get(FRA_DST);
  const suppressPrefixLength = attrs.u32(FRA_SUPPRESS_PREFIXLEN);
  const suppressIfgroup = attrs.u32(FRA_SUPPRESS_IFGROUP);
  const l3mdev = attrs.u8(FRA_L3MDEV);
  return compact<Rule>({
    family: header.family === AF_INET6 ? 6 : 4,
    priority: attrs.u32(FRA_PRIORITY) ?? 0,
    table: attrs.u32(FRA_TABLE) ?? header.table,
    action: RULE_ACTIONS[header.action] ?? 'unspec',
    flags: header.flags,
    invert: (header.flags & FIB_RULE_INVERT) !== 0,
    tos: header.tos,
    src: src === undefined ? undefined : formatPrefix(src, header.srcLength),
    dst: dst === undefined ? undefined : formatPrefix(dst, header.dstLength),
    iif: attrs.string(FRA_IIFNAME),
    oif: attrs.string(FRA_OIFNAME),
    fwmark: attrs.u32(FRA_FWMARK),
    fwmask: attrs.u32(FRA_FWMASK),
    goto: attrs.u32(FRA_GOTO),
    l3mdev: l3mdev === undefined ? undefined : l3mdev !== 0,
    suppressPrefixLength: suppressPrefixLength === UNSET ? undefined : suppressPrefixLength,
    suppressIfgroup: suppressIfgroup === UNSET ? undefined : suppressIfgroup,
    protocol: attrs.u8(FRA_PROTOCOL),
  });
}

/**
 * Adds a rule; EEXIST (isExists) when an identical one exists.
 *
 * @example addRule(rt, { src: '10.1.0.5/32', table: 100, priority: 32765 })
 */
export function addRule(rt: RtnlSocket, spec: RuleSpec): void {
  const { header, attrs } = encodeRule(spec, 'new');
  rt.request(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, fibRuleHdr.encode(header), attrs);
}

/**
 * Deletes the first rule matching what the spec names (priority, table, selectors, action);
 * a listed Rule deletes itself. No match is ENOENT (isNotFound).
 *
 * @example deleteRule(rt, { src: '10.1.0.5/32', table: 100 })
 */
export function deleteRule(rt: RtnlSocket, spec: RuleSpec): void {
  const { header, attrs } = encodeRule(spec, 'delete');
  rt.request(RTM_DELRULE, 0, fibRuleHdr.encode(header), attrs);
}

/** Which rules listRules returns. */
export interface RuleFilter {
  family?: 4 | 6;
  table?: number;
  priority?: number;
}

/**
 * Rules of the socket's namespace by priority, the kernel's default rules (local, main,
 * default) included; multicast-routing rules (families 128, 129) are left out.
 *
 * @example listRules(rt, { family: 4 }).filter((r) => r.src === '10.1.0.5/32')
 */
export function listRules(rt: RtnlSocket, filter: RuleFilter = {}): Rule[] {
  const family = filter.family === 4 ? AF_INET : filter.family === 6 ? AF_INET6 : AF_UNSPEC;
  const header: FibRuleHdr = { family, dstLength: 0, srcLength: 0, tos: 0, table: 0, action: 0, flags: 0 };
  return rt
    .dump(RTM_GETRULE, fibRuleHdr.encode(header))
    .filter((m) => m.type === RTM_NEWRULE)
    // Every header starts with the family byte.
    .filter((m) => m.payload[0] === AF_INET || m.payload[0] === AF_INET6)
    .map((m) => decodeRule(m.payload))
    .filter((r) => filter.table === undefined || r.table === filter.table)
    .filter((r) => filter.priority === undefined || r.priority === filter.priority);
}
