/**
 * The tc objects bandwidth makes on the host side, each step with the reference's error
 * words: a root tbf `1:` (or, with shaped/unshaped subnets, an htb `1:` with a shaped class
 * 1:30, an unshaped class 1:1 and one u32 filter per subnet), and for egress the ingress
 * qdisc `ffff:` on the host veth with a match-all u32 filter redirecting to the ifb. Also the
 * matching removal (DEL) and verification (CHECK).
 */
import type { RtnlSocket } from '@tscni/netlink/rtnl/socket';
import {
  ETH_P_ALL,
  ETH_P_IP,
  ETH_P_IPV6,
  TCA_EGRESS_REDIR,
  TC_ACT_OK,
  TC_ACT_STOLEN,
  TC_H_INGRESS,
  TC_H_ROOT,
  addHtbClass,
  addQdisc,
  addU32Filter,
  deleteQdisc,
  listClasses,
  listFilters,
  listQdiscs,
  tcHandle,
  type Qdisc,
} from '@tscni/netlink/rtnl/tc';
import { describeErrno, SysError } from '@tscni/netlink/sys-error';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { subnetMatch, type AddressField, type TbfParams } from './shaping.js';

const ROOT = tcHandle(1, 0);
const INGRESS = tcHandle(0xffff, 0);
/** The reference's (v1.5.x) classes: shaped 1:30 (hex, minor 48) and unshaped 1:1. */
export const SHAPED_CLASS = tcHandle(1, 48);
export const UNSHAPED_CLASS = tcHandle(1, 1);
/** The unshaped class's rate and ceil in bytes/s (v1.5.x's UncappedRate). */
export const UNCAPPED_RATE = 100_000_000_000;

/** The subnets one direction is shaped by: only `list` (exclude false) or all but `list`. */
export interface SubnetRule {
  list: readonly string[];
  exclude: boolean;
}

/** One direction's limits. */
export interface Shaping {
  params: TbfParams;
  subnets?: SubnetRule;
}

/** How Go prints a kernel refusal: the errno's text. */
function words(e: unknown): string {
  return e instanceof SysError ? describeErrno(e.errno) : (e as Error).message;
}

function fail(message: string): never {
  throw new CniError(ErrorCode.Internal, message);
}

function step(what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    fail(`${what}: ${words(e)}`);
  }
}

/**
 * Shapes what leaves the link `index` (its root qdisc). Subnet filters look at `field`:
 * the source on the host veth (traffic to the container comes from the subnet), the
 * destination on the ifb (traffic from the container goes to it).
 *
 * @example installShaping(rt, hostIndex, { params: tbfParams(1e6, 1e5, tick) }, 'src', 'create qdisc')
 */
export function installShaping(rt: RtnlSocket, index: number, shaping: Shaping, field: AddressField, prefix: string): void {
  const { params, subnets } = shaping;
  if (subnets === undefined || subnets.list.length === 0) {
    step(`${prefix}create qdisc`, () => addQdisc(rt, { index, handle: ROOT, parent: TC_H_ROOT, options: { kind: 'tbf', rate: params.rate, limit: params.limit, buffer: params.buffer } }));
    return;
  }
  const defaultClass = subnets.exclude ? SHAPED_CLASS : UNSHAPED_CLASS;
  step(`${prefix}error while creating qdisc`, () => addQdisc(rt, { index, handle: ROOT, parent: TC_H_ROOT, options: { kind: 'htb', defaultClass: defaultClass & 0xffff } }));
  step(`${prefix}error while creating htb default class`, () =>
    addHtbClass(rt, { index, handle: SHAPED_CLASS, parent: ROOT, rate: params.rate, ceil: 2 * params.rate, buffer: params.buffer, cbuffer: params.buffer }),
  );
  step(`${prefix}error while creating htb uncapped class`, () => addHtbClass(rt, { index, handle: UNSHAPED_CLASS, parent: ROOT, rate: UNCAPPED_RATE, ceil: UNCAPPED_RATE }));
  const target = subnets.exclude ? UNSHAPED_CLASS : SHAPED_CLASS;
  for (const subnet of subnets.list) {
    const m = subnetMatch(subnet, field);
    step(`${prefix}error, unable to create htb filter, details`, () =>
      addU32Filter(rt, { index, parent: ROOT, priority: m.family === 4 ? 16 : 15, protocol: m.family === 4 ? ETH_P_IP : ETH_P_IPV6, classId: target, keys: m.keys }),
    );
  }
}

/**
 * Sends what the host veth receives (what the container sends) to the ifb: the ingress
 * qdisc and a match-all u32 filter with the reference's two mirred actions (its netlink
 * library adds one for RedirIndex and one for the explicit action: stolen, then pass).
 *
 * @example installRedirect(rt, hostIndex, ifbIndex)
 */
export function installRedirect(rt: RtnlSocket, hostIndex: number, ifbIndex: number): void {
  step('create ingress qdisc', () => addQdisc(rt, { index: hostIndex, handle: INGRESS, parent: TC_H_INGRESS, options: { kind: 'ingress' } }));
  step('add filter', () =>
    addU32Filter(rt, {
      index: hostIndex,
      parent: INGRESS,
      priority: 1,
      protocol: ETH_P_ALL,
      classId: tcHandle(1, 1),
      actions: [
        { kind: 'mirred', eaction: TCA_EGRESS_REDIR, ifindex: ifbIndex, action: TC_ACT_STOLEN },
        { kind: 'mirred', eaction: TCA_EGRESS_REDIR, ifindex: ifbIndex, action: TC_ACT_OK },
      ],
    }),
  );
}

function ignoreMissing(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'ENOENT' && code !== 'EINVAL' && code !== 'ENODEV') throw e;
  }
}

function isOurRoot(q: Qdisc): boolean {
  return q.parent === TC_H_ROOT && q.handle === ROOT && (q.kind === 'tbf' || q.kind === 'htb');
}

/**
 * Removes from the host veth the root tbf/htb `1:` and the ingress qdisc (its filters go
 * with it) that bandwidth makes; qdiscs of other kinds or handles are left alone.
 *
 * @example removeHostQdiscs(rt, hostIndex)
 */
export function removeHostQdiscs(rt: RtnlSocket, hostIndex: number): void {
  for (const q of listQdiscs(rt, hostIndex)) {
    if (isOurRoot(q) || (q.kind === 'ingress' && q.parent === TC_H_INGRESS)) ignoreMissing(() => deleteQdisc(rt, q));
  }
}

/**
 * Removes only what a failed ADD made on the host veth.
 *
 * @example undoHostQdiscs(rt, hostIndex, { root: true, ingress: false })
 */
export function undoHostQdiscs(rt: RtnlSocket, hostIndex: number, made: { root: boolean; ingress: boolean }): void {
  if (made.ingress) ignoreMissing(() => deleteQdisc(rt, { index: hostIndex, handle: INGRESS, parent: TC_H_INGRESS }));
  if (made.root) ignoreMissing(() => deleteQdisc(rt, { index: hostIndex, handle: ROOT, parent: TC_H_ROOT }));
}

/**
 * CHECK of one link: its root qdisc is the tbf (or htb and classes) ADD made, with the same
 * numbers; the reference's messages.
 *
 * @example checkShaping(rt, hostIndex, 'veth1234', { params })
 */
export function checkShaping(rt: RtnlSocket, index: number, name: string, shaping: Shaping): void {
  const qdiscs = listQdiscs(rt, index).filter((q) => q.kind !== 'pfifo_fast');
  if (qdiscs.length === 0) fail('Failed to find qdisc');
  const root = qdiscs.find((q) => q.parent === TC_H_ROOT);
  const { params, subnets } = shaping;
  if (subnets === undefined || subnets.list.length === 0) {
    if (root === undefined || root.options.kind !== 'tbf') fail('Failed to find qdisc');
    const tbf = root.options as { rate: number; limit: number; buffer: number };
    if (tbf.rate !== params.rate) fail("Rate doesn't match");
    if (tbf.limit !== params.limit) fail("Limit doesn't match");
    if (tbf.buffer !== params.buffer) fail("Buffer doesn't match");
    return;
  }
  if (root === undefined || root.options.kind !== 'htb') fail('Failed to find qdisc');
  const defaultClass = (subnets.exclude ? SHAPED_CLASS : UNSHAPED_CLASS) & 0xffff;
  if ((root.options as { defaultClass: number }).defaultClass !== defaultClass) fail('Default class does not match');
  const classes = listClasses(rt, index);
  if (classes.length !== 2) fail(`Number of htb classes does not match for device ${name} (${classes.length} != 2)`);
  for (const c of classes) {
    if (c.htb === undefined) fail(`Unexpected class for parent htb qdisc bound to device ${name}`);
    if (c.handle === SHAPED_CLASS) {
      if (c.htb.rate !== params.rate) fail(`Rate does not match for the default class for device ${name} (${c.htb.rate} != ${params.rate})`);
      if (c.htb.buffer !== params.buffer) fail(`Burst buffer size does not match for the default class for device ${name} (${c.htb.buffer} != ${params.buffer})`);
    } else if (c.handle === UNSHAPED_CLASS && c.htb.rate !== UNCAPPED_RATE) {
      fail(`Rate does not match for the uncapped class for device ${name} (${c.htb.rate} != ${UNCAPPED_RATE})`);
    }
  }
  const filters = listFilters(rt, index, ROOT).filter((f) => f.keys !== undefined);
  if (filters.length !== subnets.list.length) fail(`Number of htb filters does not match for device ${name} (${filters.length} != ${subnets.list.length})`);
}

/**
 * CHECK of the redirect: the host veth's ingress qdisc has a filter sending to the ifb.
 *
 * @example checkRedirect(rt, hostIndex, ifbIndex, 'bwp0123456789ab')
 */
export function checkRedirect(rt: RtnlSocket, hostIndex: number, ifbIndex: number, ifb: string): void {
  const hasIngress = listQdiscs(rt, hostIndex).some((q) => q.kind === 'ingress');
  const redirects = hasIngress && listFilters(rt, hostIndex, INGRESS).some((f) => f.actions?.some((a) => 'ifindex' in a && a.ifindex === ifbIndex && a.eaction === TCA_EGRESS_REDIR));
  if (!redirects) fail(`Failed to find the ingress filter redirecting to ${ifb}`);
}
