/**
 * tap: a tap device made inside the container (reference §2.9), for a VM or user-space
 * network stack behind it: named CNI_IFNAME, with its MTU, MAC, owner, group, multi-queue
 * flag, optionally a port of a bridge inside the container. With IPAM it is configured as
 * the result says (L3); without, it is only brought up (L2).
 */
import { parseConfig, type CmdArgs, type ConfigReader, type Handlers } from '@tscni/skel';
import { NetNS, withNetNS } from '@tscni/netlink/netns';
import { deleteLink, getLink, setLink } from '@tscni/netlink/rtnl/link';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import { writeSysctl } from '@tscni/netlink/sysctl';
import { toCurrentResult } from '@tscni/spec/result-convert';
import type { Interface, Result, Result100 } from '@tscni/spec/result-types';
import { readConfigDNS } from '../../conf/dns.js';
import { readMac } from '../../conf/mac.js';
import { ipamAdd, ipamCheck } from '../../ipam-exec.js';
import { configureIface } from '../../net/configure-iface.js';
import { validateExpectedInterfaceIPs, validateExpectedRoutes } from '../../net/validate.js';
import { randomVethName } from '../../net/veth.js';
import { createTap } from './create-tap.js';
import { openNetns } from '../../net/container-netns.js';
import { releaseAttachment, undoAttachment, ipamStatusIfAny } from '../../attachment.js';

const UINT32 = { min: 0, max: 0xffffffff };

function optionalId(c: ConfigReader, key: string): number | undefined {
  return c.has(key) && c.get(key) !== null ? c.integer(key, UINT32) : undefined;
}

function loadConf(args: CmdArgs) {
  return parseConfig(args.stdinData, (c) => ({
    multiQueue: c.boolean('multiQueue', false),
    mtu: c.integer('mtu', { min: 0 }, 0),
    mac: readMac(c, args.args),
    owner: optionalId(c, 'owner'),
    group: optionalId(c, 'group'),
    selinuxContext: c.string('selinuxContext', ''),
    bridge: c.string('bridge', ''),
    ipamType: c.string('ipam.type', ''),
    dns: readConfigDNS(c).dns,
  }));
}

type TapConf = ReturnType<typeof loadConf>;

const why = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The tap under a temporary name (a name the host may hold must not clash), then renamed, enslaved, up. */
function makeTap(ns: NetNS, conf: TapConf, ifName: string, sandbox: string): Interface {
  const tmp = randomVethName();
  createTap(ns, { name: tmp, multiQueue: conf.multiQueue, mtu: conf.mtu, selinuxContext: conf.selinuxContext, ...(conf.mac !== undefined ? { mac: conf.mac } : {}), ...(conf.owner !== undefined ? { owner: conf.owner } : {}), ...(conf.group !== undefined ? { group: conf.group } : {}) });
  return withRtnlSocket({ netns: ns }, (rt) => {
    try {
      setLink(rt, tmp, { name: ifName });
    } catch (e) {
      deleteLink(rt, tmp);
      throw new Error(`failed to rename tap to ${JSON.stringify(ifName)}: ${why(e)}`, { cause: e });
    }
    try {
      const link = getLink(rt, ifName);
      if (conf.bridge !== '') {
        let bridge;
        try {
          bridge = getLink(rt, conf.bridge);
        } catch (e) {
          throw new Error(`failed to get bridge ${conf.bridge}: ${why(e)}`, { cause: e });
        }
        try {
          setLink(rt, link.index, { masterIndex: bridge.index });
        } catch (e) {
          throw new Error(`failed to set tap ${ifName} as a port of bridge ${conf.bridge}: ${why(e)}`, { cause: e });
        }
      }
      try {
        setLink(rt, link.index, { up: true });
      } catch (e) {
        throw new Error(`failed to set tap interface up: ${why(e)}`, { cause: e });
      }
      return { name: ifName, mac: link.mac ?? '', sandbox };
    } catch (e) {
      deleteLink(rt, ifName);
      throw e;
    }
  });
}

async function add(args: CmdArgs): Promise<Result> {
  const conf = loadConf(args);
  const ns = openNetns(args.netns);
  try {
    const result: Result100 = { cniVersion: '1.1.0', interfaces: [makeTap(ns, conf, args.ifName, args.netns)] };
    let addressed = false;
    try {
      if (conf.ipamType !== '') {
        const ipam = await ipamAdd(args, conf.ipamType);
        addressed = true;
        if ((ipam.ips ?? []).length === 0) throw new Error('IPAM plugin returned missing IP config');
        result.ips = ipam.ips!.map((ipc) => ({ ...ipc, interface: 0 }));
        if (ipam.routes !== undefined) result.routes = ipam.routes;
        withNetNS(ns, () => {
          try {
            writeSysctl(`net/ipv4/conf/${args.ifName}/arp_notify`, '1');
          } catch {
            // As the reference: announcements are a courtesy, not a condition.
          }
        });
        await configureIface(ns, args.ifName, result);
      }
    } catch (e) {
      await undoAttachment(args, conf.ipamType, addressed);
      throw e;
    }
    // IPAM's DNS is dropped for the config's, as the reference does (quirk 6).
    result.dns = conf.dns;
    return result;
  } finally {
    ns.close();
  }
}

async function del(args: CmdArgs): Promise<void> {
  const conf = loadConf(args);
  await releaseAttachment(args, conf.ipamType);
}

async function check(args: CmdArgs): Promise<void> {
  const conf = loadConf(args);
  const ns = openNetns(args.netns);
  try {
    if (conf.ipamType !== '') await ipamCheck(args, conf.ipamType);
    const prev = args.prevResult;
    if (prev === undefined) throw new Error('Required prevResult missing');
    const result = toCurrentResult(prev);
    const cont = (result.interfaces ?? []).find((i) => i.name === args.ifName && i.sandbox === args.netns);
    if (cont === undefined) throw new Error(`Sandbox in prevResult  doesn't match configured netns: ${args.netns}`);
    withRtnlSocket({ netns: ns }, (rt) => {
      validateExpectedInterfaceIPs(rt, args.ifName, result.ips ?? []);
      validateExpectedRoutes(rt, result.routes ?? []);
    });
  } finally {
    ns.close();
  }
}

export const handlers: Handlers = { add, del, check, status: ipamStatusIfAny };
