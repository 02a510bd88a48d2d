/**
 * portmap's nftables backend (reference portmap_nftables.go, HEAD), tables `ip cni_hostport`
 * and `ip6 cni_hostport`:
 *
 *   prerouting (nat, prerouting, -100), output (nat, output, -100): fib daddr type local jump hostports_all
 *   hostports_all: jump hostip_hostports; jump hostports        (hostip_hostports: legacy, empty)
 *   hostports:     [ip daddr <hostIP>] tcp dport 8080 dnat to 10.0.0.2:80       comment "<container ID>"
 *   masquerading (nat, postrouting, 100): ip saddr 10.0.0.2 ip daddr 10.0.0.2 masquerade; ip saddr 127.0.0.1 ...
 *
 * Rules carry the container ID as their comment, which is how DEL and CHECK find them. Two
 * deliberate differences: conditions go into each container's own rules, not into the shared
 * prerouting/output jumps that every ADD rewrites (so they no longer apply to every container,
 * last writer winning), and an ADD replaces the container's earlier rules instead of adding
 * to them.
 */
import { nftJump, nftMasquerade, nftMatch, nftPayload, type JsonValue, type NftExpr } from '../../netfilter/nft-expr.js';
import { listNftTable, NftBatch, type NftChainSpec, type NftFamily } from '../../netfilter/nftables.js';
import type { CommandRunner } from '../../netfilter/run.js';
import type { ContainerNet, PortMapConf } from './config.js';
import { hostIPFamily, isUnspecified } from './iptables.js';

export const NFT_TABLE = 'cni_hostport';
const TABLE_COMMENT = 'CNI portmap plugin';
const HOSTPORTS_ALL = 'hostports_all';
/** Kept, empty, so that tables made by older versions keep working. */
const HOSTIP_HOSTPORTS = 'hostip_hostports';
const HOSTPORTS = 'hostports';
const MASQUERADING = 'masquerading';
/** The chains whose rules belong to containers, found by comment. */
export const CONTAINER_CHAINS = [HOSTPORTS, HOSTIP_HOSTPORTS, MASQUERADING];

/** knftables' DNATPriority and SNATPriority. */
export const PREROUTING_CHAIN: NftChainSpec = { type: 'nat', hook: 'prerouting', prio: -100 };
const OUTPUT_CHAIN: NftChainSpec = { type: 'nat', hook: 'output', prio: -100 };
const MASQUERADING_CHAIN: NftChainSpec = { type: 'nat', hook: 'postrouting', prio: 100 };

/**
 * The table family of a container family.
 *
 * @example nftFamily(6) // 'ip6'
 */
export function nftFamily(family: 4 | 6): NftFamily {
  return family === 4 ? 'ip' : 'ip6';
}

function fibDaddrLocal(): NftExpr {
  return nftMatch({ fib: { result: 'type', flags: ['daddr'] } }, '==', 'local');
}

function address(ip: string): JsonValue {
  // A /0 prefix is every address, which nft prints as the prefix itself.
  return ip.includes('/') ? { prefix: { addr: ip.slice(0, ip.indexOf('/')), len: Number(ip.slice(ip.indexOf('/') + 1)) } } : ip;
}

/**
 * The hostports rules of one container family, one per mapping (hostIPs of the other family
 * skipped), each starting with the family's conditions.
 *
 * @example hostportRules(conf, net, [])[0] // [tcp dport 8080, dnat to 10.0.0.2:80]
 */
export function hostportRules(conf: PortMapConf, net: ContainerNet, conditions: readonly NftExpr[]): NftExpr[][] {
  const ip = nftFamily(net.family);
  const rules: NftExpr[][] = [];
  for (const pm of conf.portMappings) {
    if (pm.hostIP !== '' && hostIPFamily(pm.hostIP) !== net.family) continue;
    const rule: NftExpr[] = [...conditions];
    if (pm.hostIP !== '' && !isUnspecified(pm.hostIP)) rule.push(nftMatch(nftPayload(ip, 'daddr'), '==', pm.hostIP));
    rule.push(nftMatch(nftPayload(pm.protocol.toLowerCase(), 'dport'), '==', pm.hostPort));
    rule.push({ dnat: { addr: net.ip, port: pm.containerPort } });
    rules.push(rule);
  }
  return rules;
}

/**
 * The masquerading rules of one container family: hairpin from the container itself (any
 * source with masqAll) and, for IPv4 without masqAll, from localhost.
 *
 * @example masqueradingRules(conf, { family: 4, ip: '10.0.0.2', prefix: 24 }).length // 2
 */
export function masqueradingRules(conf: PortMapConf, net: ContainerNet): NftExpr[][] {
  const ip = nftFamily(net.family);
  const toContainer = nftMatch(nftPayload(ip, 'daddr'), '==', net.ip);
  const source = conf.masqAll ? (net.family === 6 ? '::/0' : '0.0.0.0/0') : net.ip;
  const rules = [[nftMatch(nftPayload(ip, 'saddr'), '==', address(source)), toContainer, nftMasquerade()]];
  if (net.family === 4 && !conf.masqAll) rules.push([nftMatch(nftPayload(ip, 'saddr'), '==', '127.0.0.1'), toContainer, nftMasquerade()]);
  return rules;
}

/**
 * Everything an ADD writes, for every container family, as one transaction: the table and its
 * chains (the shared jumps rebuilt), the container's earlier rules removed, its rules added.
 * `conditions` holds the parsed conditionsV4/V6 per family.
 *
 * @example applyNftBatch(portmapNftBatch(conf, 'ctr1', { 4: [], 6: [] }))
 */
export function portmapNftBatch(conf: PortMapConf, containerID: string, conditions: Readonly<Record<4 | 6, readonly NftExpr[]>>): NftBatch {
  const batch = new NftBatch();
  for (const net of conf.containerNets) {
    const f = nftFamily(net.family);
    const T = NFT_TABLE;
    batch
      .addTable(f, T, TABLE_COMMENT)
      .addChain(f, T, HOSTPORTS)
      .addChain(f, T, HOSTIP_HOSTPORTS)
      .addChain(f, T, HOSTPORTS_ALL)
      .flushChain(f, T, HOSTPORTS_ALL)
      .addRule(f, T, HOSTPORTS_ALL, [nftJump(HOSTIP_HOSTPORTS)])
      .addRule(f, T, HOSTPORTS_ALL, [nftJump(HOSTPORTS)]);
    for (const [name, spec] of [
      ['prerouting', PREROUTING_CHAIN],
      ['output', OUTPUT_CHAIN],
    ] as const) {
      batch.addChain(f, T, name, spec).flushChain(f, T, name).addRule(f, T, name, [fibDaddrLocal(), nftJump(HOSTPORTS_ALL)]);
    }
    if (conf.snat) batch.addChain(f, T, MASQUERADING, MASQUERADING_CHAIN);
    batch.deleteRules(f, T, { comment: containerID, where: (r) => CONTAINER_CHAINS.includes(r.chain) });
    for (const rule of hostportRules(conf, net, conditions[net.family])) batch.addRule(f, T, HOSTPORTS, rule, { comment: containerID });
    if (conf.snat) for (const rule of masqueradingRules(conf, net)) batch.addRule(f, T, MASQUERADING, rule, { comment: containerID });
  }
  return batch;
}

/**
 * DEL: the container's rules in both tables, found by comment.
 *
 * @example applyNftBatch(portmapNftTeardownBatch('ctr1'))
 */
export function portmapNftTeardownBatch(containerID: string): NftBatch {
  const batch = new NftBatch();
  for (const f of ['ip', 'ip6'] as const) batch.deleteRules(f, NFT_TABLE, { comment: containerID, where: (r) => CONTAINER_CHAINS.includes(r.chain) });
  return batch;
}

/**
 * The reference's CHECK of one family: at least as many hostports rules with the container's
 * comment as it has mappings in the family, and its masquerading rules. Returns the
 * reference's message, or undefined.
 *
 * @example checkPortmapNft(conf, net, 'ctr1')
 */
export function checkPortmapNft(conf: PortMapConf, net: ContainerNet, containerID: string, runner?: CommandRunner): string | undefined {
  const table = listNftTable(nftFamily(net.family), NFT_TABLE, runner);
  const count = (chain: string) => (table?.chains.get(chain)?.rules ?? []).filter((r) => r.comment === containerID).length;
  const hostPorts = conf.portMappings.filter((pm) => pm.hostIP === '' || hostIPFamily(pm.hostIP) === net.family).length;
  if (hostPorts > 0 && count(HOSTPORTS) < hostPorts) return `missing hostport rules in ${JSON.stringify(HOSTPORTS)} chain`;
  const masq = conf.snat ? masqueradingRules(conf, net).length : 0;
  if (masq > 0 && count(MASQUERADING) < masq) return `missing hostport rules in ${JSON.stringify(MASQUERADING)} chain`;
  return undefined;
}
