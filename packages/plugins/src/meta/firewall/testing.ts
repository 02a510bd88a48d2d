/**
 * What the firewall tests share: chains of bridge or ptp (ours, with host-local) followed by
 * firewall, and the host namespace's netfilter/tc/link state to compare before and after.
 */
import { join } from 'node:path';
import type { ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import type { ChainList } from '../../testing/chain.js';
import type { Sandbox } from '../../testing/sandbox.js';

export const NET = 'tscnifw';
export const BRIDGE = 'tscnifw0';

/** host-local ranges (an IPv4 subnet, and an IPv6 one when `v6` is set) and an IPv4 default route. */
function ipam(sb: Sandbox, v6: boolean, subnet = '10.88.1.0/24'): Record<string, unknown> {
  const ranges: unknown[] = [[{ subnet }]];
  if (v6) ranges.push([{ subnet: 'fd00:88:1::/64' }]);
  return { type: 'host-local', ranges, routes: [{ dst: '0.0.0.0/0' }], dataDir: join(sb.dir, 'ipam') };
}

/**
 * bridge (gateway, host-local) then firewall with the given keys.
 *
 * @example runChain(sb, bridgeChain(sb, { ingressPolicy: 'same-bridge' }), { command: 'ADD' })
 */
export function bridgeChain(
  sb: Sandbox,
  firewall: Record<string, unknown> = {},
  opts: { v6?: boolean; cniVersion?: string; bridge?: string; subnet?: string } = {},
): ChainList {
  return {
    name: NET,
    cniVersion: opts.cniVersion ?? '1.0.0',
    plugins: [
      { type: 'bridge', bridge: opts.bridge ?? BRIDGE, isGateway: true, ipam: ipam(sb, opts.v6 ?? false, opts.subnet) },
      { type: 'firewall', ...firewall },
    ],
  };
}

/**
 * ptp (host-local) then firewall with the given keys.
 *
 * @example runChain(sb, ptpChain(sb, {}, { v6: true }), { command: 'ADD' })
 */
export function ptpChain(sb: Sandbox, firewall: Record<string, unknown> = {}, opts: { v6?: boolean; cniVersion?: string } = {}): ChainList {
  return {
    name: NET,
    cniVersion: opts.cniVersion ?? '1.0.0',
    plugins: [
      { type: 'ptp', ipam: ipam(sb, opts.v6 ?? false) },
      { type: 'firewall', ...firewall },
    ],
  };
}

/**
 * One table dump of a namespace without date comments and counters.
 *
 * @example rulesOf(sb.host, 'iptables-save', ['-t', 'filter'])
 */
export function rulesOf(ns: ScratchNetns, tool: string, args: readonly string[] = []): string[] {
  return ns
    .exec(tool, [...args])
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, ''));
}

/** The filter table of both families, as rule lines (`-A ...`) and chain lines. */
export function filterRules(ns: ScratchNetns): { v4: string[]; v6: string[] } {
  return { v4: rulesOf(ns, 'iptables-save', ['-t', 'filter']), v6: rulesOf(ns, 'ip6tables-save', ['-t', 'filter']) };
}

/**
 * Everything a meta plugin could leave on the host: iptables chains and rules (built-in chain
 * headers and table markers left out, since iptables-nft makes them on first use), native
 * nftables tables (not the ones iptables-nft manages), qdiscs other than the default noqueue,
 * and links.
 */
export interface HostState {
  iptables: string[];
  ip6tables: string[];
  nft: string[];
  qdiscs: string[];
  links: string[];
}

const IPTABLES_NFT_TABLE = /^table ip6? (filter|nat|mangle|raw|security)$/;
const onlyRules = (lines: string[]) => lines.filter((l) => l.startsWith('-A ') || (l.startsWith(':') && l.endsWith(' -')));

/**
 * @example const before = hostState(sb.host); ...; assert.deepEqual(hostState(sb.host), before)
 */
export function hostState(ns: ScratchNetns): HostState {
  return {
    iptables: onlyRules(rulesOf(ns, 'iptables-save')),
    ip6tables: onlyRules(rulesOf(ns, 'ip6tables-save')),
    nft: ns
      .exec('nft', ['list', 'tables'])
      .split('\n')
      .filter((l) => l.trim() !== '' && !IPTABLES_NFT_TABLE.test(l.trim())),
    qdiscs: ns.exec('tc', ['qdisc', 'show']).split('\n').filter((l) => l !== '' && !l.startsWith('qdisc noqueue ')),
    links: (JSON.parse(ns.exec('ip', ['-json', 'link', 'show'])) as { ifname: string }[]).map((l) => l.ifname).sort(),
  };
}

/** The lines `after` has that `before` lacks, per part, sorted. */
export function added(before: HostState, after: HostState): Partial<Record<keyof HostState, string[]>> {
  const out: Partial<Record<keyof HostState, string[]>> = {};
  for (const key of Object.keys(before) as (keyof HostState)[]) {
    const extra = after[key].filter((l) => !before[key].includes(l)).sort();
    if (extra.length > 0) out[key] = extra;
  }
  return out;
}

/** The rules firewall ADD leaves for good, sorted: the shared chains and their jumps (never removed). */
export function scaffolding(admin = 'CNI-ADMIN'): string[] {
  return [
    `:${admin} -`,
    ':CNI-FORWARD -',
    '-A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD',
    `-A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j ${admin}`,
  ].sort();
}

/** The two CNI-FORWARD rules of one container address (with its /32 or /128). */
export function addressLines(host: string): string[] {
  return [`-A CNI-FORWARD -d ${host} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, `-A CNI-FORWARD -s ${host} -j ACCEPT`];
}
