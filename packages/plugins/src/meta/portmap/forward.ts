/**
 * What portmap's ADD, DEL and CHECK do once the config is read, for either backend: the rules
 * as one batch, `route_localnet` on the host interface towards an IPv4 container, and the
 * stale UDP conntrack entries of the mapped ports.
 */
import { writeSysctl } from '@tscni/netlink/sysctl';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import { routeInterfaceTo } from '../../net/route-get.js';
import { applyIptablesBatch } from '../../netfilter/iptables.js';
import { iptablesUnusable } from '../../netfilter/iptables-check.js';
import type { ContainerNet, PortMapConf } from './config.js';
import { checkPortmapIptables, portmapIptablesBatch, portmapIptablesTeardownBatch } from './iptables.js';
import { checkPortmapNft, nftFamily, PREROUTING_CHAIN, portmapNftBatch, portmapNftTeardownBatch } from './nftables.js';
import { applyNftBatch } from '../../netfilter/nftables.js';
import { nftExprsFromText } from '../../netfilter/nft-text.js';
import type { NftExpr } from '../../netfilter/nft-expr.js';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { deleteStaleUdpConntrack } from './conntrack.js';

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Sets `route_localnet` on the interface the host routes the container's address through, so
 * that connections from 127.0.0.1, DNATed to the container, may leave by it.
 */
function enableLocalnetRouting(net: ContainerNet): void {
  const ifName = withRtnlSocket({}, (rt) => routeInterfaceTo(rt, net.ip));
  if (ifName === undefined) return;
  try {
    writeSysctl(`net/ipv4/conf/${ifName}/route_localnet`, '1');
  } catch (e) {
    throw new Error(`unable to enable route_localnet: ${message(e)}`, { cause: e });
  }
}

/** conditionsV4/V6 as nft understands them, for the families the container has; a refusal is a config error. */
function nftConditions(conf: PortMapConf): Record<4 | 6, NftExpr[]> {
  const out: Record<4 | 6, NftExpr[]> = { 4: [], 6: [] };
  for (const net of conf.containerNets) {
    const key = net.family === 4 ? 'conditionsV4' : 'conditionsV6';
    const words = conf[key];
    if (!words || words.length === 0 || words[0] === '') continue;
    try {
      out[net.family] = nftExprsFromText(nftFamily(net.family), words, PREROUTING_CHAIN);
    } catch (e) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid ${key}: ${message(e)}`);
    }
  }
  return out;
}

/**
 * ADD: the rules of every container family as one batch, then route_localnet (IPv4 with
 * snat), then the conntrack flush. A failure after the rules were written removes them.
 *
 * @example forwardPorts(conf, 'ctr1')
 */
export function forwardPorts(conf: PortMapConf, containerID: string): void {
  if (conf.backend === 'iptables') {
    try {
      applyIptablesBatch(portmapIptablesBatch(conf, containerID));
    } catch (e) {
      throw new Error(`unable to setup DNAT: ${message(e)}`, { cause: e });
    }
  } else {
    const conditions = nftConditions(conf);
    try {
      applyNftBatch(portmapNftBatch(conf, containerID, conditions));
    } catch (e) {
      throw new Error(`unable to set up nftables rules for port mappings: ${message(e)}`, { cause: e });
    }
  }
  try {
    const v4 = conf.containerNets.find((n) => n.family === 4);
    if (conf.snat && v4) enableLocalnetRouting(v4);
  } catch (e) {
    try {
      unforwardPorts(conf, containerID);
    } catch {
      // The first failure is the one to report.
    }
    throw e;
  }
  for (const net of conf.containerNets) {
    // Failures are only worth a line in the log, as in the reference.
    const failure = deleteStaleUdpConntrack(conf.portMappings, net.family);
    if (failure) process.stderr.write(`failed to delete stale UDP conntrack entries for ${net.ip}: ${failure}\n`);
  }
}

/**
 * DEL: nftables removes the container's rules from both tables; iptables removes its chains
 * in every family whose iptables works, failing only when neither does.
 *
 * @example unforwardPorts(conf, 'ctr1')
 */
export function unforwardPorts(conf: PortMapConf, containerID: string): void {
  if (conf.backend === 'nftables') {
    try {
      applyNftBatch(portmapNftTeardownBatch(containerID));
    } catch (e) {
      throw new Error(`error deleting nftables rules: ${message(e)}`, { cause: e });
    }
    return;
  }
  const unusable = { ipv4: iptablesUnusable('ipv4', 'nat', 'OUTPUT'), ipv6: iptablesUnusable('ipv6', 'nat', 'OUTPUT') };
  if (unusable.ipv4 !== undefined && unusable.ipv6 !== undefined) {
    throw new Error(`neither iptables nor ip6tables is usable, (iptables) ${unusable.ipv4}, (ip6tables) ${unusable.ipv6}`);
  }
  for (const family of ['ipv4', 'ipv6'] as const) {
    if (unusable[family] !== undefined) continue;
    try {
      applyIptablesBatch(portmapIptablesTeardownBatch(family, conf.name, containerID));
    } catch (e) {
      throw new Error(`could not teardown ${family} dnat: ${message(e)}`, { cause: e });
    }
  }
}

/**
 * CHECK: every container family's rules are in place. Only the container's own families are
 * looked at, so an IPv4 container passes on a host without ip6tables (the reference 1.1.1
 * looked for an IPv6 chain it never made).
 *
 * @example checkPorts(conf, 'ctr1')
 */
export function checkPorts(conf: PortMapConf, containerID: string): void {
  for (const net of conf.containerNets) {
    if (conf.backend === 'nftables') {
      const problem = checkPortmapNft(conf, net, containerID);
      if (problem !== undefined) throw new Error(problem);
      continue;
    }
    const family = net.family === 4 ? 'ipv4' : 'ipv6';
    const unusable = iptablesUnusable(family, 'nat', 'OUTPUT');
    if (unusable !== undefined) throw new Error(`could not check ${family} dnat: ${unusable}`);
    const problem = checkPortmapIptables(conf, net, containerID);
    if (problem !== undefined) throw new Error(`could not check ${family} dnat: ${problem}`);
  }
}
