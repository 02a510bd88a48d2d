/**
 * Questions a plugin asks of iptables state before or instead of changing it: whether a
 * family's iptables works at all (the reference's soft "maybe iptables" check), and which of
 * the rules it expects are missing (its `-C` checks, by canonical form).
 */
import type { IPFamily } from './addr.js';
import { ruleKey } from './iptables-rule.js';
import type { IptablesTable } from './iptables-save.js';
import { defaultRunner, describeFailure, type CommandRunner } from './run.js';
import { keepListing } from './table-prefetch.js';

/**
 * Why the family's iptables cannot be used, or undefined when it can, as the reference tries
 * it with go-iptables' `List(table, chain)`: here a listing of the whole table, which the
 * caller's next read of that table then uses (table-prefetch.ts) instead of a second run.
 *
 * @example if (iptablesUnusable('ipv6', 'nat', 'OUTPUT') === undefined) applyIptablesBatch(v6Batch)
 */
export function iptablesUnusable(family: IPFamily, table: string, chain: string, runner: CommandRunner = defaultRunner()): string | undefined {
  const tool = family === 'ipv4' ? 'iptables-save' : 'ip6tables-save';
  const r = runner.run(tool, ['-t', table]);
  if (r.status !== 0 || r.error) return `${tool} -t ${table} (for ${chain}): ${describeFailure(r)}`;
  keepListing(runner, family, table, r.stdout);
  return undefined;
}

/**
 * The expected rules that are not in the chain (all of them when the chain is missing), in
 * the order given; rules compare as iptables compares them for `-C`.
 *
 * @example missingIptablesRules(readIptablesTable('ipv4', 'nat'), 'CNI-HOSTPORT-DNAT', [['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'X']])
 */
export function missingIptablesRules(table: IptablesTable, chain: string, rules: readonly (readonly string[])[]): (readonly string[])[] {
  const present = new Set(table.rules(chain).map((r) => ruleKey(r.words)));
  return rules.filter((words) => !present.has(ruleKey(words)));
}
