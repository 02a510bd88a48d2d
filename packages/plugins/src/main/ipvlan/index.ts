/**
 * ipvlan: the container gets an ipvlan on a host interface (reference §2.3), sharing the
 * master's MAC, in mode l2, l3 or l3s. Chained after another plugin without IPAM, it takes the
 * previous result's addresses and, when no master is configured, the previous result's only
 * interface as master.
 */
import type { CmdArgs, Handlers } from '@tscni/skel';
import { NetNS, withNetNS } from '@tscni/netlink/netns';
import { isNotFound } from '@tscni/netlink/rtnl/errors';
import { getLink } from '@tscni/netlink/rtnl/link';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import { toCurrentResult } from '@tscni/spec/result-convert';
import type { Result, Result100 } from '@tscni/spec/result-types';
import { ipamAdd, ipamCheck, ipamStatus } from '../../ipam-exec.js';
import { enableNeighborNotify } from '../../net/announce.js';
import { configureIface } from '../../net/configure-iface.js';
import { createLowerLink, masterLink, masterOrDefault } from '../../net/lower-link.js';
import { validateExpectedInterfaceIPs, validateExpectedRoutes } from '../../net/validate.js';
import { chainedAddresses, chainedMaster, loadIpvlanConf, type IpvlanConf } from './config.js';
import { openNetns } from '../../net/container-netns.js';
import { releaseAttachment, undoAttachment } from '../../attachment.js';

/** The config with its master resolved: configured, chained, or the default route's. */
function loadConf(args: CmdArgs, ns: NetNS): IpvlanConf {
  const conf = loadIpvlanConf(args.stdinData);
  const master = chainedMaster(conf, args.prevResult) ?? masterOrDefault(conf.master, ns, conf.linkInContainer);
  return { ...conf, master };
}

async function add(args: CmdArgs): Promise<Result> {
  const ns = openNetns(args.netns);
  try {
    const conf = loadConf(args, ns);
    const chained = chainedAddresses(conf, args.prevResult);
    const link = createLowerLink({
      containerNS: ns,
      ifName: args.ifName,
      master: conf.master,
      masterInContainer: conf.linkInContainer,
      info: { kind: 'ipvlan', mode: conf.mode, ...(conf.flag !== undefined ? { flag: conf.flag } : {}) },
      ...(conf.mtu > 0 ? { mtu: conf.mtu } : {}),
    });
    let allocated = false;
    try {
      let source: Result100;
      if (chained) {
        source = chained;
      } else {
        source = await ipamAdd(args, conf.ipamType);
        allocated = true;
        if ((source.ips ?? []).length === 0) throw new Error('IPAM plugin returned missing IP config');
      }
      const result: Result100 = {
        cniVersion: '1.1.0',
        interfaces: [{ name: args.ifName, mac: link.mac ?? '', sandbox: args.netns }],
        ips: source.ips!.map((ipc) => ({ ...ipc, interface: 0 })),
        ...(source.routes !== undefined ? { routes: source.routes } : {}),
      };
      withNetNS(ns, () => {
        try {
          enableNeighborNotify(args.ifName);
        } catch {
          // As the reference: announcements are a courtesy, not a condition.
        }
      });
      await configureIface(ns, args.ifName, result);
      // IPAM's DNS is dropped for the config's, as the reference does (quirk 6).
      result.dns = conf.dns;
      return result;
    } catch (e) {
      await undoAttachment(args, conf.ipamType, allocated);
      throw e;
    }
  } finally {
    ns.close();
  }
}

/** DEL needs no master (the reference's DEL still looks for one and fails without a default route). */
async function del(args: CmdArgs): Promise<void> {
  const conf = loadIpvlanConf(args.stdinData);
  await releaseAttachment(args, conf.ipamType);
}

async function check(args: CmdArgs): Promise<void> {
  const ns = openNetns(args.netns);
  try {
    const conf = loadIpvlanConf(args.stdinData);
    if (conf.ipamType !== '') await ipamCheck(args, conf.ipamType);
    const prev = args.prevResult;
    if (prev === undefined) throw new Error('Required prevResult missing');
    const result = toCurrentResult(prev);
    const cont = (result.interfaces ?? []).find((i) => i.name === args.ifName && i.sandbox === args.netns);
    if (cont === undefined) throw new Error(`Sandbox in prevResult  doesn't match configured netns: ${args.netns}`);
    // CHECK's prevResult is ipvlan's own, so a chained or default master cannot be told
    // again; the reference looks up "" then and always fails.
    if (conf.master !== '') masterLink(conf.master, ns, conf.linkInContainer);
    withRtnlSocket({ netns: ns }, (rt) => {
      let link;
      try {
        link = getLink(rt, cont.name);
      } catch (e) {
        if (isNotFound(e)) throw new Error(`Container Interface name in prevResult: ${cont.name} not found`);
        throw e;
      }
      if (link.info?.kind !== 'ipvlan') throw new Error(`Error: Container interface ${link.name} not of type ipvlan`);
      const mode = link.info.mode ?? 'l2';
      if (mode !== conf.mode) throw new Error(`Container IPVlan mode ${mode} does not match expected value: ${conf.mode}`);
      if (cont.mac && cont.mac !== link.mac) {
        throw new Error(`Interface ${cont.name} Mac ${cont.mac} doesn't match container Mac: ${link.mac ?? ''}`);
      }
      validateExpectedInterfaceIPs(rt, args.ifName, result.ips ?? []);
      validateExpectedRoutes(rt, result.routes ?? []);
    });
  } finally {
    ns.close();
  }
}

async function status(args: CmdArgs): Promise<void> {
  const conf = loadIpvlanConf(args.stdinData);
  if (conf.ipamType !== '') await ipamStatus(args, conf.ipamType);
}

export const handlers: Handlers = { add, del, check, status };
