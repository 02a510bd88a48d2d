/**
 * The firewall plugin's iptables rules (reference plugins/meta/firewall), filter table: the
 * shared `CNI-FORWARD` chain entered from FORWARD, its admin override chain, the per-address
 * accept rules, and the per-bridge `CNI-ISOLATION-STAGE-1/2` chains of ingressPolicy
 * same-bridge and isolated. Chain names, rules and comments are the reference's, so either
 * implementation finds the other's rules. Shared chains are created only when missing and
 * never flushed; teardown removes only the given addresses' rules.
 */
import { familyOf, type IPFamily } from './addr.js';
import { IptablesBatch } from './iptables.js';
import { ruleKey } from './iptables-rule.js';
import { readIptablesTable } from './iptables-save.js';
import { defaultRunner, type CommandRunner } from './run.js';

const FILTER = 'filter';

/** The chain every firewall-plugin rule set hangs off, shared by all networks. */
export const FORWARD_CHAIN = 'CNI-FORWARD';
/** The admin override chain when the config names none (`iptablesAdminChainName`). */
export const DEFAULT_ADMIN_CHAIN = 'CNI-ADMIN';
export const ISOLATION_STAGE_1 = 'CNI-ISOLATION-STAGE-1';
export const ISOLATION_STAGE_2 = 'CNI-ISOLATION-STAGE-2';

/** The ingress policies that add isolation rules ("open" adds none). */
export type IsolationPolicy = 'same-bridge' | 'isolated';

/**
 * The FORWARD rule that enters CNI-FORWARD.
 *
 * @example forwardJumpRule() // ['-m', 'comment', '--comment', 'CNI firewall plugin rules', '-j', 'CNI-FORWARD']
 */
export function forwardJumpRule(): string[] {
  return ['-m', 'comment', '--comment', 'CNI firewall plugin rules', '-j', FORWARD_CHAIN];
}

/**
 * The CNI-FORWARD rule that enters the admin chain, first in CNI-FORWARD.
 *
 * @example adminJumpRule('CNI-ADMIN')
 */
export function adminJumpRule(adminChain: string): string[] {
  return ['-m', 'comment', '--comment', 'CNI firewall plugin admin overrides', '-j', adminChain];
}

/**
 * An address of a result (`10.22.0.2/16`) as the host network the rules name: `/32` or `/128`.
 *
 * @example hostCidr('10.22.0.2/16') // '10.22.0.2/32'; hostCidr('fd00::2/64') // 'fd00::2/128'
 */
export function hostCidr(address: string): string {
  const family = familyOf(address);
  if (!family) throw new Error(`invalid IP address ${JSON.stringify(address)}`);
  const slash = address.indexOf('/');
  const ip = slash < 0 ? address : address.slice(0, slash);
  return `${ip}/${family === 'ipv4' ? 32 : 128}`;
}

/**
 * The two CNI-FORWARD rules of one address: replies to the container, and anything from it.
 *
 * @example addressRules('10.22.0.2/32')[1] // ['-s', '10.22.0.2/32', '-j', 'ACCEPT']
 */
export function addressRules(host: string): string[][] {
  return [
    ['-d', host, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
    ['-s', host, '-j', 'ACCEPT'],
  ];
}

/** The container's addresses (as in the result, with prefix) and the admin chain. */
export interface ForwardSetup {
  readonly adminChain: string;
  readonly addresses: readonly string[];
}

function byFamily(addresses: readonly string[]): Map<IPFamily, string[]> {
  const out = new Map<IPFamily, string[]>();
  for (const a of addresses) {
    const host = hostCidr(a);
    const family = familyOf(host)!;
    out.set(family, [...(out.get(family) ?? []), host]);
  }
  return out;
}

/**
 * The reference's iptables backend ADD, for each family that has addresses: CNI-FORWARD and
 * the admin chain when missing, the FORWARD and admin jumps first in their chains when
 * missing, then each address's rules appended unless present.
 *
 * @example applyIptablesBatch(firewallForwardBatch({ adminChain: 'CNI-ADMIN', addresses: ['10.22.0.2/16'] }))
 */
export function firewallForwardBatch(setup: ForwardSetup): IptablesBatch {
  const batch = new IptablesBatch();
  for (const [family, hosts] of byFamily(setup.addresses)) {
    batch
      .ensureChain(family, FILTER, FORWARD_CHAIN)
      .ensureChain(family, FILTER, setup.adminChain)
      .insert(family, FILTER, 'FORWARD', forwardJumpRule())
      .insert(family, FILTER, FORWARD_CHAIN, adminJumpRule(setup.adminChain));
    for (const host of hosts) for (const rule of addressRules(host)) batch.append(family, FILTER, FORWARD_CHAIN, rule);
  }
  return batch;
}

/**
 * Removes the addresses' CNI-FORWARD rules; the chains and jumps stay for the other
 * containers, as in the reference.
 *
 * @example applyIptablesBatch(firewallForwardTeardownBatch(['10.22.0.2/16']))
 */
export function firewallForwardTeardownBatch(addresses: readonly string[]): IptablesBatch {
  const batch = new IptablesBatch();
  for (const [family, hosts] of byFamily(addresses)) {
    for (const host of hosts) for (const rule of addressRules(host)) batch.deleteRule(family, FILTER, FORWARD_CHAIN, rule);
  }
  return batch;
}

/** Go's `%v` of a []string, as the reference's CHECK messages print rules. */
function goList(words: readonly string[]): string {
  return `[${words.join(' ')}]`;
}

/**
 * The reference's iptables CHECK: per family with addresses, the FORWARD jump, the admin
 * jump and every address rule must exist. Returns the reference's message for the first
 * missing rule, or undefined. Reads only; the reference also creates missing chains here.
 *
 * @example const missing = firewallForwardMissing({ adminChain: 'CNI-ADMIN', addresses }, runner)
 */
export function firewallForwardMissing(setup: ForwardSetup, runner: CommandRunner = defaultRunner()): string | undefined {
  for (const [family, hosts] of byFamily(setup.addresses)) {
    const table = readIptablesTable(family, FILTER, runner);
    const has = (chain: string, words: readonly string[]) => table.rules(chain).some((r) => ruleKey(r.words) === ruleKey(words));
    if (!has('FORWARD', forwardJumpRule())) return `expected FORWARD rule ${goList(forwardJumpRule())} not found`;
    const admin = adminJumpRule(setup.adminChain);
    if (!has(FORWARD_CHAIN, admin)) return `expected ${FORWARD_CHAIN} rule ${goList(admin)} not found`;
    for (const host of hosts) {
      for (const rule of addressRules(host)) if (!has(FORWARD_CHAIN, rule)) return `expected rule ${goList(rule)} not found`;
    }
  }
  return undefined;
}

/** Comments of the isolation rules (HEAD); v1.1.1 wrote the same-bridge one on every rule. */
const SHARED_COMMENT = 'CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)';
const policyComment = (policy: IsolationPolicy) => `CNI firewall plugin rules (ingressPolicy: ${policy})`;

function withComment(words: readonly string[], comment: string): string[] {
  return [...words, '-m', 'comment', '--comment', comment];
}

/** One isolation rule: where it goes, how it is placed, and the older spelling that counts as it. */
interface IsolationRule {
  readonly chain: string;
  readonly words: string[];
  readonly placement: 'insert' | 'append';
  readonly sameAs: string[][];
}

/**
 * The isolation rules of one bridge in the order the reference adds them. The shared rules
 * (the FORWARD jump and the RETURNs) carry HEAD's shared comment; the reference's v1.1.1 wrote
 * them with the same-bridge comment, and those count as present rather than being doubled.
 */
function isolationRules(bridge: string, policy: IsolationPolicy): IsolationRule[] {
  const shared = (chain: string, words: string[], placement: 'insert' | 'append'): IsolationRule => ({
    chain,
    words: withComment(words, SHARED_COMMENT),
    placement,
    sameAs: [withComment(words, policyComment('same-bridge'))],
  });
  const own = (chain: string, words: string[]): IsolationRule => ({ chain, words: withComment(words, policyComment(policy)), placement: 'insert', sameAs: [] });
  return [
    shared('FORWARD', ['-j', ISOLATION_STAGE_1], 'insert'),
    own(ISOLATION_STAGE_1, ['-i', bridge, '!', '-o', bridge, '-j', ISOLATION_STAGE_2]),
    ...(policy === 'isolated' ? [own(ISOLATION_STAGE_1, ['-i', bridge, '-o', bridge, '-j', 'DROP'])] : []),
    shared(ISOLATION_STAGE_1, ['-j', 'RETURN'], 'append'),
    shared(ISOLATION_STAGE_2, ['-o', bridge, '-j', 'DROP'], 'insert'),
    shared(ISOLATION_STAGE_2, ['-j', 'RETURN'], 'append'),
  ];
}

/**
 * The reference's ingressPolicy same-bridge / isolated rules for one bridge: traffic leaving
 * the bridge for another interface goes through stage 2, which drops what heads into the
 * bridge from elsewhere; `isolated` also drops traffic within the bridge. Every rule is added
 * only when absent (inserted first, RETURNs appended). These rules are per bridge and are
 * never removed, as in the reference: other containers on the bridge depend on them.
 *
 * @example applyIptablesBatch(isolationBatch('cni0', 'same-bridge', ['ipv4']))
 */
export function isolationBatch(bridge: string, policy: IsolationPolicy, families: readonly IPFamily[]): IptablesBatch {
  const batch = new IptablesBatch();
  for (const family of families) {
    batch.ensureChain(family, FILTER, ISOLATION_STAGE_1).ensureChain(family, FILTER, ISOLATION_STAGE_2);
    for (const r of isolationRules(bridge, policy)) {
      if (r.placement === 'insert') batch.insert(family, FILTER, r.chain, r.words, { sameAs: r.sameAs });
      else batch.append(family, FILTER, r.chain, r.words, { sameAs: r.sameAs });
    }
  }
  return batch;
}

/**
 * The first isolation rule of the bridge that is missing, in the reference's `expected rule
 * [...] not found` words, or undefined when all are there.
 *
 * @example isolationMissing('cni0', 'isolated', ['ipv4'], runner)
 */
export function isolationMissing(bridge: string, policy: IsolationPolicy, families: readonly IPFamily[], runner: CommandRunner = defaultRunner()): string | undefined {
  for (const family of families) {
    const table = readIptablesTable(family, FILTER, runner);
    for (const r of isolationRules(bridge, policy)) {
      const keys = new Set([r.words, ...r.sameAs].map(ruleKey));
      if (!table.rules(r.chain).some((saved) => keys.has(ruleKey(saved.words)))) return `expected ${r.chain} rule ${goList(r.words)} not found`;
    }
  }
  return undefined;
}
