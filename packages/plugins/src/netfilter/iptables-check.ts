/**
 * Questions a plugin asks of iptables state before or instead of changing it: whether a
 * family's iptables works at all (the reference's soft "maybe iptables" check), and which of
 * the rules it expects are missing (its `-C` checks, by canonical form).
 */
import type { IPFamily } from './addr.js';
import { ruleKey } from './iptables-rule.js';
import type { IptablesTable } from './iptables-save.js';
import { defaultRunner, describeFailure, type CommandRunner } from './run.js';

/**
 * Why the family's iptables cannot be used, or undefined when it can: one cheap listing of a
 * table's built-in chain (go-iptables' `List(table, chain)`, as the reference tries it).
 *
 * @example if (iptablesUnusable('ipv6', 'nat', 'OUTPUT') === undefined) applyIptablesBatch(v6Batch)
 */
export function iptablesUnusable(family: IPFamily, table: string, chain: string, runner: CommandRunner = defaultRunner()): string | undefined {
  const tool = family === 'ipv4' ? 'iptables' : 'ip6tables';
  // "-S <chain> 1" prints at most one rule, so a long chain costs nothing.
  const r = runner.run(tool, ['-w', '-t', table, '-S', chain, '1']);
  return r.status === 0 && !r.error ? undefined : `${tool} -t ${table} -S ${chain}: ${describeFailure(r)}`;
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
