/**
 * bandwidth: limits a veth-attached container's traffic (reference §4.2). Traffic to the
 * container (ingressRate) is shaped by a root tbf on the host veth; traffic from it
 * (egressRate) is redirected from the host veth's ingress hook to an ifb `bwp…` whose root
 * tbf shapes it. With shapedSubnets / unshapedSubnets the tbf becomes an htb that shapes only
 * some destinations (upstream v1.5.x). The result is the prevResult with the ifb appended.
 * Unlike the reference, DEL also removes the qdiscs it made on the host veth.
 */
import type { CmdArgs, Handlers } from '@tscni/skel';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { NetNS, NetNSPathError } from '@tscni/netlink/netns';
import { createLink, deleteLink, getLink, type Link } from '@tscni/netlink/rtnl/link';
import { isNotFound } from '@tscni/netlink/rtnl/errors';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import { pschedTickInUsec } from '@tscni/netlink/rtnl/tc';
import { describeErrno, SysError } from '@tscni/netlink/sys-error';
import { toCurrentResult } from '@tscni/spec/result-convert';
import type { Interface, Result100 } from '@tscni/spec/result-types';
import { openNetns } from '../../net/container-netns.js';
import { isZero, loadBandwidthConf, type BandwidthEntry } from './config.js';
import { checkRedirect, checkShaping, installRedirect, installShaping, removeHostQdiscs, undoHostQdiscs, type Shaping } from './qdiscs.js';
import { ifbName, tbfParams } from './shaping.js';

function fail(message: string): never {
  throw new CniError(ErrorCode.Internal, message);
}

function words(e: unknown): string {
  if (isNotFound(e)) return 'Link not found';
  return e instanceof SysError ? describeErrno(e.errno) : (e as Error).message;
}

function chained(args: CmdArgs, message: string): Result100 {
  const prev = args.prevResult;
  if (prev === undefined) throw new CniError(ErrorCode.InvalidNetworkConfig, message);
  return toCurrentResult(prev);
}

/** The index of the host end of the container's veth `ifName` (IFLA_LINK of the container end). */
function vethPeerIndex(ns: NetNS, ifName: string): number {
  let why: string;
  try {
    const link = withRtnlSocket({ netns: ns }, (rt) => getLink(rt, ifName));
    if (link.kind !== 'veth') why = `interface ${JSON.stringify(ifName)} was not a veth interface`;
    else if ((link.parentIndex ?? 0) > 0) return link.parentIndex!;
    else why = `interface ${JSON.stringify(ifName)} has no peer index`;
  } catch (e) {
    why = `could not look up ${JSON.stringify(ifName)}: ${words(e)}`;
  }
  fail(`container interface ${ifName} has no veth peer: ${why}`);
}

/** The host veth, which must be one of the prevResult's host-side interfaces (reference getHostInterface). */
function hostInterface(interfaces: readonly Interface[], ifName: string, ns: NetNS): Link {
  if (interfaces.length === 0) fail('no interfaces provided');
  const peer = vethPeerIndex(ns, ifName);
  let link: Link;
  try {
    link = withRtnlSocket({}, (rt) => getLink(rt, peer));
  } catch {
    fail(`veth peer with index ${peer} is not in host ns`);
  }
  if (!interfaces.some((i) => (i.sandbox ?? '') === '' && i.name === link.name)) fail('no veth peer of container interface found in host ns');
  return link;
}

/** One direction's limits: its tbf numbers and the subnet rule (none without subnets). */
function shapingOf(bw: BandwidthEntry, rate: number, burst: number): Shaping {
  const params = tbfParams(rate, burst, pschedTickInUsec());
  const exclude = bw.unshapedSubnets.length > 0;
  const list = exclude ? bw.unshapedSubnets : bw.shapedSubnets;
  return list.length === 0 ? { params } : { params, subnets: { list, exclude } };
}

const ingressOn = (bw: BandwidthEntry): boolean => bw.ingressRate > 0 && bw.ingressBurst > 0;
const egressOn = (bw: BandwidthEntry): boolean => bw.egressRate > 0 && bw.egressBurst > 0;

function add(args: CmdArgs): Result100 {
  const conf = loadBandwidthConf(args.stdinData);
  const bw = conf.bandwidth;
  const result = chained(args, 'must be called as chained plugin');
  if (bw === undefined || isZero(bw)) return result;
  const ns = openNetns(args.netns);
  let host: Link;
  try {
    host = hostInterface(result.interfaces ?? [], args.ifName, ns);
  } finally {
    ns.close();
  }
  const ifb = ifbName(conf.name, args.containerID);
  withRtnlSocket({}, (rt) => {
    const made = { root: false, ingress: false, ifb: false };
    try {
      if (ingressOn(bw)) {
        installShaping(rt, host.index, shapingOf(bw, bw.ingressRate, bw.ingressBurst), 'src', '');
        made.root = true;
      }
      if (egressOn(bw)) {
        try {
          createLink(rt, { name: ifb, info: { kind: 'ifb' }, up: true, mtu: host.mtu, txQueueLen: 0 });
        } catch (e) {
          fail(`adding link: ${words(e)}`);
        }
        made.ifb = true;
        const ifbLink = getLink(rt, ifb);
        result.interfaces = [...(result.interfaces ?? []), { name: ifb, mac: ifbLink.mac ?? '' }];
        made.ingress = true;
        installRedirect(rt, host.index, ifbLink.index);
        const shaping = shapingOf(bw, bw.egressRate, bw.egressBurst);
        installShaping(rt, ifbLink.index, shaping, 'dst', shaping.subnets ? 'create htb container egress qos rules: ' : 'create ifb qdisc: ');
      }
    } catch (e) {
      // Leave nothing half-made: the ifb takes its own qdisc along.
      if (made.ifb) ignoreGone(() => deleteLink(rt, ifb));
      undoHostQdiscs(rt, host.index, made);
      throw e;
    }
  });
  return result;
}

function ignoreGone(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/** The container namespace, or undefined when it is gone (its veth, and so our qdiscs, went with it). */
function openIfPresent(path: string): NetNS | undefined {
  if (path === '') return undefined;
  try {
    return NetNS.open(path);
  } catch (e) {
    if (e instanceof NetNSPathError) return undefined;
    throw e;
  }
}

function del(args: CmdArgs): void {
  const conf = loadBandwidthConf(args.stdinData);
  const ns = openIfPresent(args.netns);
  let hostIndex: number | undefined;
  if (ns !== undefined) {
    try {
      hostIndex = vethPeerIndex(ns, args.ifName);
    } catch {
      // No veth (already removed, or not ours): nothing of ours on the host side but the ifb.
    } finally {
      ns.close();
    }
  }
  withRtnlSocket({}, (rt) => {
    if (hostIndex !== undefined) {
      try {
        removeHostQdiscs(rt, getLink(rt, hostIndex).index);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    try {
      deleteLink(rt, ifbName(conf.name, args.containerID));
    } catch (e) {
      if (!isNotFound(e)) fail(`failed to delete ${ifbName(conf.name, args.containerID)}: ${words(e)}`);
    }
  });
}

function check(args: CmdArgs): void {
  const conf = loadBandwidthConf(args.stdinData);
  const result = chained(args, 'must be called as a chained plugin');
  const ns = openNetns(args.netns);
  let host: Link;
  try {
    host = hostInterface(result.interfaces ?? [], args.ifName, ns);
  } finally {
    ns.close();
  }
  const bw = conf.bandwidth;
  if (bw === undefined || isZero(bw)) return;
  withRtnlSocket({}, (rt) => {
    if (ingressOn(bw)) checkShaping(rt, host.index, host.name, shapingOf(bw, bw.ingressRate, bw.ingressBurst));
    if (egressOn(bw)) {
      const name = ifbName(conf.name, args.containerID);
      let ifb: Link;
      try {
        ifb = getLink(rt, name);
      } catch (e) {
        fail(`get ifb device: ${words(e)}`);
      }
      checkShaping(rt, ifb.index, name, shapingOf(bw, bw.egressRate, bw.egressBurst));
      checkRedirect(rt, host.index, ifb.index, name);
    }
  });
}

export const handlers: Handlers = { add, del, check };
