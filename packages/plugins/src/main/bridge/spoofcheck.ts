/**
 * The MAC spoof check of `macspoofchk` (the reference's pkg/link SpoofChecker): in table
 * `bridge nat`, base chain PREROUTING jumps frames from the host veth to a per-attachment
 * chain, whose `-mac` chain returns frames from the container's MAC and drops the rest. Every
 * rule carries the comment `macspoofchk-<containerID>-<ifname>`, by which teardown finds it.
 */
import { nftJump, nftMatch, nftMeta, nftPayload, nftVerdict } from '../../netfilter/nft-expr.js';
import { NftBatch, findNftRules, listNftTable } from '../../netfilter/nftables.js';
import { defaultRunner, type CommandRunner } from '../../netfilter/run.js';

const TABLE = 'nat';
const BASE_CHAIN = 'PREROUTING';

/** The names one attachment's rules use. */
export interface SpoofCheckNames {
  ifaceChain: string;
  macChain: string;
  comment: string;
}

/**
 * @example spoofCheckNames('c1', 'eth0') // { ifaceChain: 'cni-br-iface-c1-eth0', macChain: 'cni-br-iface-c1-eth0-mac', comment: 'macspoofchk-c1-eth0' }
 */
export function spoofCheckNames(containerID: string, ifName: string): SpoofCheckNames {
  const refID = `${containerID}-${ifName}`;
  const ifaceChain = `cni-br-iface-${refID}`;
  return { ifaceChain, macChain: `${ifaceChain}-mac`, comment: `macspoofchk-${refID}` };
}

/**
 * The setup transaction. Unlike the reference's, running it again leaves one PREROUTING jump,
 * not two: the attachment's old jump is deleted first.
 *
 * @example applyNftBatch(spoofCheckSetupBatch('veth1a2b3c4d', '0a:58:0a:16:00:02', 'c1', 'eth0'))
 */
export function spoofCheckSetupBatch(hostVeth: string, mac: string, containerID: string, ifName: string): NftBatch {
  const n = spoofCheckNames(containerID, ifName);
  const comment = { comment: n.comment };
  return new NftBatch()
    .addTable('bridge', TABLE)
    .addChain('bridge', TABLE, BASE_CHAIN, { type: 'filter', hook: 'prerouting', prio: -300, policy: 'accept' })
    .addChain('bridge', TABLE, n.ifaceChain)
    .addChain('bridge', TABLE, n.macChain)
    .flushChain('bridge', TABLE, n.ifaceChain)
    .flushChain('bridge', TABLE, n.macChain)
    .deleteRules('bridge', TABLE, { chain: BASE_CHAIN, comment: n.comment })
    .addRule('bridge', TABLE, BASE_CHAIN, [nftMatch(nftMeta('iifname'), '==', hostVeth), nftJump(n.ifaceChain)], comment)
    .addRule('bridge', TABLE, n.ifaceChain, [nftJump(n.macChain)], comment)
    .addRule('bridge', TABLE, n.macChain, [nftMatch(nftPayload('ether', 'saddr'), '==', mac), nftVerdict('return')], comment)
    .addRule('bridge', TABLE, n.macChain, [nftVerdict('drop')], comment);
}

/**
 * The teardown transaction: the PREROUTING jump (found by comment) and both chains; the table
 * and base chain stay, as in the reference. Nothing happens when they are already gone.
 *
 * @example applyNftBatch(spoofCheckTeardownBatch('c1', 'eth0'))
 */
export function spoofCheckTeardownBatch(containerID: string, ifName: string): NftBatch {
  const n = spoofCheckNames(containerID, ifName);
  return new NftBatch()
    .deleteRules('bridge', TABLE, { chain: BASE_CHAIN, comment: n.comment })
    .deleteChain('bridge', TABLE, n.ifaceChain)
    .deleteChain('bridge', TABLE, n.macChain);
}

/**
 * What CHECK looks for: the PREROUTING jump from the host veth, and the `-mac` chain's rule
 * for the container's MAC. Returns a description of what is missing, or undefined.
 *
 * @example missingSpoofCheck('veth1a2b3c4d', '0a:58:0a:16:00:02', 'c1', 'eth0') // undefined
 */
export function missingSpoofCheck(hostVeth: string, mac: string, containerID: string, ifName: string, runner: CommandRunner = defaultRunner()): string | undefined {
  const n = spoofCheckNames(containerID, ifName);
  const table = listNftTable('bridge', TABLE, runner);
  const jump = findNftRules(table, { chain: BASE_CHAIN, comment: n.comment });
  if (!jump.some((r) => JSON.stringify(r.expr).includes(JSON.stringify(hostVeth)))) return `no ${BASE_CHAIN} rule for ${hostVeth} in table bridge ${TABLE}`;
  const macRules = findNftRules(table, { chain: n.macChain, comment: n.comment });
  if (!macRules.some((r) => JSON.stringify(r.expr).includes(JSON.stringify(mac)))) return `no rule for MAC ${mac} in chain ${n.macChain}`;
  return undefined;
}
