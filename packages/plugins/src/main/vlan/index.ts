/**
 * vlan: the container gets an 802.1Q VLAN link on a host interface (reference §2.7), tagged
 * with `vlanId`, made under a temporary name and renamed in the container. With
 * `linkInContainer` the master is looked up (and the link made) inside the container. IPAM is
 * required; the result carries the config's DNS.
 */
import type { CmdArgs, Handlers } from '@tscni/skel';
import type { NetNS } from '@tscni/netlink/netns';
import { isNotFound } from '@tscni/netlink/rtnl/errors';
import { getLink } from '@tscni/netlink/rtnl/link';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { toCurrentResult } from '@tscni/spec/result-convert';
import type { Result, Result100 } from '@tscni/spec/result-types';
import { ipamAdd, ipamCheck, ipamStatus } from '../../ipam-exec.js';
import { configureIface } from '../../net/configure-iface.js';
import { createLowerLink, masterLink } from '../../net/lower-link.js';
import { validateExpectedInterfaceIPs, validateExpectedRoutes } from '../../net/validate.js';
import { checkMtu, loadVlanConf, requiredIpam, type VlanConf } from './config.js';
import { openNetns } from '../../net/container-netns.js';
import { releaseAttachment, undoAttachment } from '../../attachment.js';

/** The reference's loadConf: the master must exist (in the host or the container) and bound our MTU. */
function checkMaster(conf: VlanConf, ns: NetNS): void {
  let masterMtu: number;
  try {
    masterMtu = withRtnlSocket(conf.linkInContainer ? { netns: ns } : {}, (rt) => getLink(rt, conf.master).mtu);
  } catch (e) {
    if (isNotFound(e)) throw new CniError(ErrorCode.InvalidNetworkConfig, `master ${JSON.stringify(conf.master)} not found: ${(e as Error).message}`);
    throw e;
  }
  checkMtu(conf, masterMtu);
}

async function add(args: CmdArgs): Promise<Result> {
  const conf = loadVlanConf(args.stdinData);
  const ipamType = requiredIpam(conf);
  const ns = openNetns(args.netns);
  try {
    checkMaster(conf, ns);
    const link = createLowerLink({
      containerNS: ns,
      ifName: args.ifName,
      master: conf.master,
      masterInContainer: conf.linkInContainer,
      info: { kind: 'vlan', id: conf.vlanId },
      ...(conf.mtu > 0 ? { mtu: conf.mtu } : {}),
    });
    let allocated = false;
    try {
      const ipam = await ipamAdd(args, ipamType);
      allocated = true;
      if ((ipam.ips ?? []).length === 0) throw new Error('IPAM plugin returned missing IP config');
      const result: Result100 = {
        cniVersion: '1.1.0',
        interfaces: [{ name: args.ifName, mac: link.mac ?? '', sandbox: args.netns }],
        ips: ipam.ips!.map((ipc) => ({ ...ipc, interface: 0 })),
        ...(ipam.routes !== undefined ? { routes: ipam.routes } : {}),
      };
      await configureIface(ns, args.ifName, result);
      // IPAM's DNS is dropped for the config's, as the reference does (quirk 6).
      result.dns = conf.dns;
      return result;
    } catch (e) {
      // The reference leaves the link (and, before the IPAM call returns, the address) behind.
      await undoAttachment(args, ipamType, allocated);
      throw e;
    }
  } finally {
    ns.close();
  }
}

/**
 * DEL needs no master: the reference's DEL looks the master up first and so fails for good
 * once it is gone (quirk 7), which leaks the address; here the link and address still go.
 */
async function del(args: CmdArgs): Promise<void> {
  const conf = loadVlanConf(args.stdinData);
  await releaseAttachment(args, conf.ipamType);
}

async function check(args: CmdArgs): Promise<void> {
  const conf = loadVlanConf(args.stdinData);
  const ipamType = requiredIpam(conf);
  const ns = openNetns(args.netns);
  try {
    await ipamCheck(args, ipamType);
    const prev = args.prevResult;
    if (prev === undefined) throw new Error('vlan: Required prevResult missing');
    const result = toCurrentResult(prev);
    const cont = (result.interfaces ?? []).find((i) => i.name === args.ifName && i.sandbox === args.netns);
    if (cont === undefined) throw new Error(`Sandbox in prevResult  doesn't match configured netns: ${args.netns}`);
    masterLink(conf.master, ns, conf.linkInContainer);
    withRtnlSocket({ netns: ns }, (rt) => {
      let link;
      try {
        link = getLink(rt, cont.name);
      } catch (e) {
        if (isNotFound(e)) throw new Error(`vlan: Container Interface name in prevResult: ${cont.name} not found`);
        throw e;
      }
      if (link.info?.kind !== 'vlan') throw new Error(`Error: Container interface ${link.name} not of type vlan`);
      if (cont.mac && cont.mac !== link.mac) {
        throw new Error(`vlan: Interface ${cont.name} Mac ${cont.mac} doesn't match container Mac: ${link.mac ?? ''}`);
      }
      if (link.info.id !== conf.vlanId) {
        // The reference's text, copied from tuning, says "promisc" where it means the VLAN ID.
        throw new Error(`Error: Tuning link ${cont.name} configured promisc is ${conf.vlanId}, current value is ${link.info.id}`);
      }
      if (conf.mtu !== 0 && conf.mtu !== link.mtu) {
        throw new Error(`Error: Tuning configured MTU of ${cont.name} is ${conf.mtu}, current value is ${link.mtu}`);
      }
      validateExpectedInterfaceIPs(rt, args.ifName, result.ips ?? []);
      validateExpectedRoutes(rt, result.routes ?? []);
    });
  } finally {
    ns.close();
  }
}

async function status(args: CmdArgs): Promise<void> {
  await ipamStatus(args, requiredIpam(loadVlanConf(args.stdinData)));
}

export const handlers: Handlers = { add, del, check, status };
