/**
 * firewall: lets traffic to and from the container through the host's firewall (reference
 * §4.4). With iptables, the container's addresses get accept rules in the shared
 * `CNI-FORWARD` chain (entered from FORWARD, with the admin override chain first); with
 * firewalld, they become sources of a zone. `ingressPolicy` same-bridge or isolated adds the
 * per-bridge isolation chains, always with iptables. The result is the previous plugin's.
 */
import type { CmdArgs, EnvSource, Handlers } from '@tscni/skel';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { NetNS, NetNSPathError } from '@tscni/netlink/netns';
import { listAddrs } from '@tscni/netlink/rtnl/addr';
import { isNotFound } from '@tscni/netlink/rtnl/errors';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import { toCurrentResult } from '@tscni/spec/result-convert';
import type { Result, Result100 } from '@tscni/spec/result-types';
import { familyOf, type IPFamily } from '../../netfilter/addr.js';
import {
  firewallForwardBatch,
  firewallForwardMissing,
  firewallForwardTeardownBatch,
  isolationBatch,
  isolationMissing,
  type IsolationPolicy,
} from '../../netfilter/firewall-rules.js';
import { applyIptablesBatch } from '../../netfilter/iptables.js';
import { supportsIPTables } from '../../netfilter/probe.js';
import { loadFirewallConf, type FirewallConf } from './config.js';

const RT_SCOPE_UNIVERSE = 0;

type Backend = 'iptables' | 'firewalld';

function requirePrevResult(args: CmdArgs): Result {
  const prev = args.prevResult;
  if (!prev) throw new CniError(ErrorCode.InvalidNetworkConfig, 'missing prevResult from earlier plugin');
  return prev;
}

/** Every address of the result, whatever interface it is on, as the reference uses them. */
function addressesOf(result: Result100): string[] {
  return (result.ips ?? []).map((ip) => ip.address);
}

function familiesOf(addresses: readonly string[]): IPFamily[] {
  const present = new Set(addresses.map((a) => familyOf(a)));
  return (['ipv4', 'ipv6'] as const).filter((f) => present.has(f));
}

/** The bridge the isolation rules name: the first interface of the result (bridge's own). */
function bridgeOf(policy: IsolationPolicy, result: Result100): string {
  const first = result.interfaces?.[0];
  if (!first) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `interface needs to be set for ingress policy ${JSON.stringify(policy)}, make sure to chain "firewall" plugin with "bridge"`,
    );
  }
  if (!first.name) throw new CniError(ErrorCode.InvalidNetworkConfig, 'got empty bridge name');
  return first.name;
}

function firewalld() {
  return import('./firewalld.js');
}

/** The backend the config asks for; auto means firewalld when it answers on the system bus. */
async function chooseBackend(conf: FirewallConf, env: EnvSource): Promise<Backend> {
  if (conf.backend === 'iptables') return 'iptables';
  if (conf.backend === 'firewalld') {
    (await firewalld()).requireFirewalld(env);
    return 'firewalld';
  }
  return (await firewalld()).firewalldAbsence(env) === undefined ? 'firewalld' : 'iptables';
}

async function add(args: CmdArgs): Promise<Result> {
  const conf = loadFirewallConf(args);
  const prev = requirePrevResult(args);
  const current = toCurrentResult(prev);
  const addresses = addressesOf(current);
  // Everything that can be refused is refused before the first change.
  const isolation = conf.isolation ? isolationBatch(bridgeOf(conf.isolation, current), conf.isolation, familiesOf(addresses)) : undefined;
  const backend = await chooseBackend(conf, args.env);
  if (backend === 'iptables') {
    const batch = firewallForwardBatch({ adminChain: conf.adminChain, addresses });
    applyIptablesBatch(isolation ? batch.include(isolation) : batch);
  } else {
    const fw = await firewalld();
    fw.firewalldAdd(conf.zone, addresses, args.env);
    if (isolation) {
      try {
        applyIptablesBatch(isolation);
      } catch (e) {
        fw.firewalldDel(conf.zone, addresses, args.env);
        throw e;
      }
    }
  }
  return prev;
}

/**
 * The container interface's global addresses, for a DEL without prevResult while the
 * namespace is still there (the reference then removes nothing); none when it is gone.
 */
function containerAddresses(args: CmdArgs): string[] {
  if (args.netns === '') return [];
  let ns: NetNS;
  try {
    ns = NetNS.open(args.netns);
  } catch (e) {
    if (e instanceof NetNSPathError) return [];
    throw e;
  }
  try {
    return withRtnlSocket({ netns: ns }, (rt) => {
      try {
        return listAddrs(rt, { link: args.ifName })
          .filter((a) => a.scope === RT_SCOPE_UNIVERSE)
          .map((a) => `${a.address}/${a.prefixLength}`);
      } catch (e) {
        if (isNotFound(e)) return [];
        throw e;
      }
    });
  } finally {
    ns.close();
  }
}

async function del(args: CmdArgs): Promise<void> {
  const conf = loadFirewallConf(args);
  const prev = args.prevResult;
  const addresses = prev ? addressesOf(toCurrentResult(prev)) : containerAddresses(args);
  // The isolation rules are per bridge and stay, as in the reference: other containers use them.
  if (addresses.length === 0) return;
  let iptables = true;
  if (conf.backend !== 'iptables') {
    const fw = await firewalld();
    // A firewalld that is not running has no runtime sources left to remove.
    const running = fw.firewalldAbsence(args.env) === undefined;
    if (running) fw.firewalldDel(conf.zone, addresses, args.env);
    // auto with firewalld: the attachment may predate firewalld's start, so its iptables
    // rules go too where iptables works.
    iptables = conf.backend === 'auto' && (!running || supportsIPTables());
  }
  if (iptables) applyIptablesBatch(firewallForwardTeardownBatch(addresses));
}

async function check(args: CmdArgs): Promise<void> {
  const conf = loadFirewallConf(args);
  const current = toCurrentResult(requirePrevResult(args));
  const addresses = addressesOf(current);
  const backend = await chooseBackend(conf, args.env);
  if (backend === 'iptables') {
    const missing = firewallForwardMissing({ adminChain: conf.adminChain, addresses });
    if (missing) throw new CniError(ErrorCode.Internal, missing);
  } else {
    (await firewalld()).firewalldCheck(conf.zone, addresses, args.env);
  }
  if (conf.isolation) {
    const missing = isolationMissing(bridgeOf(conf.isolation, current), conf.isolation, familiesOf(addresses));
    if (missing) throw new CniError(ErrorCode.Internal, missing);
  }
}

export const handlers: Handlers = { add, del, check };
