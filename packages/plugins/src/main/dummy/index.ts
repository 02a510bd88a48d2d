/**
 * dummy: the container gets a dummy link named as asked (reference §2.8), made directly in its
 * namespace, and the addresses IPAM (required) hands out. Unlike the other main plugins, the
 * result keeps IPAM's DNS, as the reference does (quirk 6).
 */
import { parseConfig, type CmdArgs, type Handlers } from '@tscni/skel';
import { isNotFound } from '@tscni/netlink/rtnl/errors';
import { createLink, getLink } from '@tscni/netlink/rtnl/link';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { toCurrentResult } from '@tscni/spec/result-convert';
import type { Result, Result100 } from '@tscni/spec/result-types';
import { ipamAdd, ipamCheck, ipamStatus } from '../../ipam-exec.js';
import { configureIface } from '../../net/configure-iface.js';
import { validateExpectedInterfaceIPs } from '../../net/validate.js';
import { openNetns } from '../../net/container-netns.js';
import { releaseAttachment, undoAttachment } from '../../attachment.js';

/** The IPAM type: dummy has no other config of its own. */
function readIpamType(args: CmdArgs): string {
  return parseConfig(args.stdinData, (c) => ({ ipamType: c.string('ipam.type', '') })).ipamType;
}

function requiredIpam(args: CmdArgs): string {
  const ipamType = readIpamType(args);
  if (ipamType === '') throw new CniError(ErrorCode.InvalidNetworkConfig, 'dummy interface requires an IPAM configuration');
  return ipamType;
}

async function add(args: CmdArgs): Promise<Result> {
  const ipamType = requiredIpam(args);
  const ns = openNetns(args.netns);
  try {
    // Made inside the container: the name only has to be free there, not on the host.
    const link = withRtnlSocket({ netns: ns }, (rt) => {
      try {
        createLink(rt, { name: args.ifName, info: { kind: 'dummy' } });
      } catch (e) {
        throw new Error(`failed to create dummy: ${(e as Error).message}`, { cause: e });
      }
      return getLink(rt, args.ifName);
    });
    let allocated = false;
    try {
      const ipam = await ipamAdd(args, ipamType);
      allocated = true;
      if ((ipam.ips ?? []).length === 0) throw new Error('IPAM plugin returned missing IP config');
      const result: Result100 = {
        ...ipam,
        cniVersion: '1.1.0',
        interfaces: [{ name: args.ifName, mac: link.mac ?? '', sandbox: args.netns }],
        ips: ipam.ips!.map((ipc) => ({ ...ipc, interface: 0 })),
      };
      await configureIface(ns, args.ifName, result);
      return result;
    } catch (e) {
      await undoAttachment(args, ipamType, allocated);
      throw e;
    }
  } finally {
    ns.close();
  }
}

async function del(args: CmdArgs): Promise<void> {
  const ipamType = readIpamType(args);
  await releaseAttachment(args, ipamType);
}

async function check(args: CmdArgs): Promise<void> {
  const ipamType = requiredIpam(args);
  const ns = openNetns(args.netns);
  try {
    await ipamCheck(args, ipamType);
    const prev = args.prevResult;
    if (prev === undefined) throw new Error('dummy: Required prevResult missing');
    const result = toCurrentResult(prev);
    const cont = (result.interfaces ?? []).find((i) => i.name === args.ifName && i.sandbox === args.netns);
    if (cont === undefined) throw new Error(`Sandbox in prevResult  doesn't match configured netns: ${args.netns}`);
    withRtnlSocket({ netns: ns }, (rt) => {
      let link;
      try {
        link = getLink(rt, cont.name);
      } catch (e) {
        if (isNotFound(e)) throw new Error(`dummy: Container Interface name in prevResult: ${cont.name} not found`);
        throw e;
      }
      if (link.info?.kind !== 'dummy') throw new Error(`dummy: Error: Container interface ${link.name} not of type dummy`);
      if (cont.mac && cont.mac !== link.mac) {
        throw new Error(`dummy: Interface ${cont.name} Mac ${cont.mac} doesn't match container Mac: ${link.mac ?? ''}`);
      }
      if (!link.flags.up) throw new Error(`Interface ${cont.name} is down`);
      // As the reference: the addresses are checked, the routes are not.
      validateExpectedInterfaceIPs(rt, args.ifName, result.ips ?? []);
    });
  } finally {
    ns.close();
  }
}

async function status(args: CmdArgs): Promise<void> {
  await ipamStatus(args, requiredIpam(args));
}

export const handlers: Handlers = { add, del, check, status };
