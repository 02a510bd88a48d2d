/**
 * vrf: puts the interface the previous plugin made into a VRF of the container (reference
 * §4.6). ADD finds or makes the VRF (`vrfname`, `table` or the lowest free one), enslaves the
 * interface and moves its routes into the VRF's table; DEL releases the interface and deletes
 * the VRF once no interface is left in it; CHECK verifies the interface is in the VRF. The
 * result is the prevResult.
 */
import type { CmdArgs, Handlers } from '@tscni/skel';
import { NetNS, NetNSPathError } from '@tscni/netlink/netns';
import { isNotFound } from '@tscni/netlink/rtnl/errors';
import { deleteLink, getLink, setLinkNoMaster, type Link } from '@tscni/netlink/rtnl/link';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import type { Result } from '@tscni/spec/result-types';
import { kernelWords } from '../../net/kernel-words.js';
import { loadVrfConf, requirePrevResult } from './config.js';
import { createVrf, enslave, findVrf, vrfPorts } from './vrf.js';

function add(args: CmdArgs): Result {
  const conf = loadVrfConf(args);
  const prev = requirePrevResult(args);
  try {
    withRtnlSocket({ netns: args.netns }, (rt) => {
      const existing = findVrf(rt, conf.vrfName);
      if (existing && conf.table !== 0 && existing.table !== conf.table) {
        throw new Error(`VRF ${conf.vrfName} already exist with different routing table ${existing.table}`);
      }
      const vrf = existing ?? createVrf(rt, conf.vrfName, conf.table);
      try {
        enslave(rt, vrf, args.ifName);
      } catch (e) {
        // A VRF made for this ADD goes again; the reference leaves it behind.
        if (!existing) deleteLink(rt, vrf.index);
        throw e;
      }
    });
  } catch (e) {
    throw new Error(`cmdAdd failed: ${(e as Error).message}`, { cause: e });
  }
  return prev;
}

function del(args: CmdArgs): void {
  const conf = loadVrfConf(args);
  if (args.netns === '') return;
  let ns: NetNS;
  try {
    ns = NetNS.open(args.netns);
  } catch (e) {
    // The namespace is gone, and the VRF with it.
    if (e instanceof NetNSPathError && e.code === 'ENOENT') return;
    throw e;
  }
  try {
    withRtnlSocket({ netns: ns }, (rt) => {
      const vrf = findVrf(rt, conf.vrfName);
      if (!vrf) return;
      let link: Link | undefined;
      try {
        link = getLink(rt, args.ifName);
      } catch (e) {
        if (!isNotFound(e)) throw new Error(`resetMaster: could not get link by name ${args.ifName}`, { cause: e });
      }
      // Only a port of this VRF is released: another master is someone else's.
      if (link && link.masterIndex === vrf.index) {
        try {
          setLinkNoMaster(rt, link.index);
        } catch (e) {
          throw new Error(`resetMaster: could reset master to ${args.ifName}`, { cause: e });
        }
      }
      if (vrfPorts(rt, vrf).length === 0) {
        try {
          deleteLink(rt, vrf.index);
        } catch (e) {
          if (!isNotFound(e)) throw new Error(kernelWords(e), { cause: e });
        }
      }
    });
  } finally {
    ns.close();
  }
}

function check(args: CmdArgs): void {
  const conf = loadVrfConf(args);
  requirePrevResult(args);
  withRtnlSocket({ netns: args.netns }, (rt) => {
    const vrf = findVrf(rt, conf.vrfName);
    if (!vrf) throw new Error('Link not found');
    if (!vrfPorts(rt, vrf).some((l) => l.name === args.ifName)) throw new Error(`failed to find ${args.ifName} associated to vrf ${conf.vrfName}`);
  });
}

export const handlers: Handlers = { add, del, check };
