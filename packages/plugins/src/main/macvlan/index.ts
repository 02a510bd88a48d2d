/**
 * macvlan: the container gets a macvlan on a host interface (reference §2.2), its own MAC on
 * the master's wire. The master defaults to the default route's interface; with
 * `linkInContainer` it is looked up (and the link made) inside the container. With IPAM the
 * link is configured as the result says; without, it is only brought up (L2).
 */
import { parseConfig, type CmdArgs, type Handlers } from '@tscni/skel';
import { NetNS, withNetNS } from '@tscni/netlink/netns';
import { isNotFound } from '@tscni/netlink/rtnl/errors';
import { getLink, setLinkUp } from '@tscni/netlink/rtnl/link';
import type { MacvlanMode } from '@tscni/netlink/rtnl/link-kinds';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { toCurrentResult } from '@tscni/spec/result-convert';
import type { Result, Result100 } from '@tscni/spec/result-types';
import { readConfigDNS } from '../../conf/dns.js';
import { readMac } from '../../conf/mac.js';
import { ipamAdd, ipamCheck, ipamStatus } from '../../ipam-exec.js';
import { enableNeighborNotify } from '../../net/announce.js';
import { configureIface } from '../../net/configure-iface.js';
import { createLowerLink, masterLink, masterOrDefault } from '../../net/lower-link.js';
import { validateExpectedInterfaceIPs, validateExpectedRoutes } from '../../net/validate.js';
import { openNetns } from '../../net/container-netns.js';
import { releaseAttachment, undoAttachment } from '../../attachment.js';

const MODES: Readonly<Record<string, MacvlanMode>> = { '': 'bridge', bridge: 'bridge', private: 'private', vepa: 'vepa', passthru: 'passthru' };

function invalid(msg: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg);
}

function modeOf(mode: string): MacvlanMode {
  const m = MODES[mode];
  if (m === undefined) throw invalid(`unknown macvlan mode: ${JSON.stringify(mode)}`);
  return m;
}

/** The config without touching the kernel: DEL needs nothing more (the master may be gone). */
function readConf(args: CmdArgs) {
  return parseConfig(args.stdinData, (c) => ({
    master: c.string('master', ''),
    mode: modeOf(c.string('mode', '')),
    mtu: c.integer('mtu', {}, 0),
    mac: readMac(c, args.args),
    linkInContainer: c.boolean('linkInContainer', false),
    bcqueuelen: c.integer('bcqueuelen', { min: 0, max: 0xffffffff }, 0),
    ipamType: c.string('ipam.type', ''),
    dns: readConfigDNS(c).dns,
  }));
}

type MacvlanConf = ReturnType<typeof readConf>;

/** The reference's loadConf: the master resolved and its MTU the bound of ours. */
function loadConf(args: CmdArgs, ns: NetNS): MacvlanConf {
  const conf = readConf(args);
  conf.master = masterOrDefault(conf.master, ns, conf.linkInContainer);
  let masterMtu: number;
  try {
    masterMtu = withRtnlSocket(conf.linkInContainer ? { netns: ns } : {}, (rt) => getLink(rt, conf.master).mtu);
  } catch (e) {
    if (isNotFound(e)) throw invalid(`master ${JSON.stringify(conf.master)} not found: ${(e as Error).message}`);
    throw e;
  }
  if (conf.mtu < 0 || conf.mtu > masterMtu) throw invalid(`invalid MTU ${conf.mtu}, must be [0, master MTU(${masterMtu})]`);
  return conf;
}

async function add(args: CmdArgs): Promise<Result> {
  const ns = openNetns(args.netns);
  try {
    const conf = loadConf(args, ns);
    const link = createLowerLink({
      containerNS: ns,
      ifName: args.ifName,
      master: conf.master,
      masterInContainer: conf.linkInContainer,
      info: { kind: 'macvlan', mode: conf.mode, ...(conf.bcqueuelen > 0 ? { bcQueueLen: conf.bcqueuelen } : {}) },
      ...(conf.mtu > 0 ? { mtu: conf.mtu } : {}),
      ...(conf.mac !== undefined ? { mac: conf.mac } : {}),
    });
    const result: Result100 = { cniVersion: '1.1.0', interfaces: [{ name: args.ifName, mac: link.mac ?? '', sandbox: args.netns }] };
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
            enableNeighborNotify(args.ifName);
          } catch {
            // As the reference: announcements are a courtesy, not a condition.
          }
        });
        await configureIface(ns, args.ifName, result);
      } else {
        withRtnlSocket({ netns: ns }, (rt) => {
          try {
            setLinkUp(rt, args.ifName);
          } catch (e) {
            throw new Error(`failed to set ${JSON.stringify(args.ifName)} UP: ${(e as Error).message}`, { cause: e });
          }
        });
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
  const conf = readConf(args);
  await releaseAttachment(args, conf.ipamType);
}

async function check(args: CmdArgs): Promise<void> {
  const ns = openNetns(args.netns);
  try {
    const conf = loadConf(args, ns);
    if (conf.ipamType !== '') await ipamCheck(args, conf.ipamType);
    const prev = args.prevResult;
    if (prev === undefined) throw new Error('required prevResult missing');
    const result = toCurrentResult(prev);
    const cont = (result.interfaces ?? []).find((i) => i.name === args.ifName && i.sandbox === args.netns);
    if (cont === undefined) throw new Error(`sandbox in prevResult  doesn't match configured netns: ${args.netns}`);
    masterLink(conf.master, ns, conf.linkInContainer);
    withRtnlSocket({ netns: ns }, (rt) => {
      let link;
      try {
        link = getLink(rt, cont.name);
      } catch (e) {
        if (isNotFound(e)) throw new Error(`container Interface name in prevResult: ${cont.name} not found`);
        throw e;
      }
      if (link.info?.kind !== 'macvlan') throw new Error(`error: Container interface ${link.name} not of type macvlan`);
      const mode = link.info.mode ?? 'bridge';
      if (mode !== conf.mode) throw new Error(`container macvlan mode ${mode} does not match expected value: ${conf.mode}`);
      if (cont.mac && cont.mac !== link.mac) {
        throw new Error(`interface ${cont.name} Mac ${cont.mac} doesn't match container Mac: ${link.mac ?? ''}`);
      }
      validateExpectedInterfaceIPs(rt, args.ifName, result.ips ?? []);
      validateExpectedRoutes(rt, result.routes ?? []);
    });
  } finally {
    ns.close();
  }
}

async function status(args: CmdArgs): Promise<void> {
  const conf = readConf(args);
  if (conf.ipamType !== '') await ipamStatus(args, conf.ipamType);
}

export const handlers: Handlers = { add, del, check, status };
