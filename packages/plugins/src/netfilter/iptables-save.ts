/**
 * Reading iptables state: the text of `iptables-save -t <table>` parsed into chains and rules
 * (with their comments and targets), and queries that find rules by comment or chain.
 */
import type { IPFamily } from './addr.js';
import { splitRuleWords } from './iptables-rule.js';
import { defaultRunner, describeFailure, type CommandRunner } from './run.js';
import { takeListing } from './table-prefetch.js';

/** One rule as iptables-save printed it. */
export interface SavedRule {
  readonly chain: string;
  /** The words after `-A <chain>`, unquoted; fed back to `-D <chain>` they name this rule. */
  readonly words: readonly string[];
  /** The whole `-A ...` line as printed. */
  readonly line: string;
  /** The first `-m comment --comment` text, if any. */
  readonly comment?: string;
  /** The `-j`/`-g` target, if any. */
  readonly target?: string;
}

/** One chain: built-in chains have a policy (`ACCEPT`), user chains have none. */
export interface SavedChain {
  readonly name: string;
  readonly policy: string | undefined;
  readonly rules: readonly SavedRule[];
}

/** What to look for; every given field must match. */
export interface RuleQuery {
  readonly chain?: string;
  /** The comment, exactly. */
  readonly comment?: string;
  /** The start of the comment. */
  readonly commentPrefix?: string;
  /** The `-j`/`-g` target, e.g. the per-container chain, to find the jumps into it. */
  readonly target?: string;
}

/** One table of one family. */
export class IptablesTable {
  constructor(
    readonly family: IPFamily,
    readonly table: string,
    readonly chains: ReadonlyMap<string, SavedChain>,
  ) {}

  /**
   * Whether the chain exists.
   *
   * @example table.hasChain('CNI-2bbe0c48b91a7d1b8a6753a8')
   */
  hasChain(name: string): boolean {
    return this.chains.has(name);
  }

  /**
   * The rules of one chain, or of every chain when none is named, in save order.
   *
   * @example table.rules('POSTROUTING').length
   */
  rules(chain?: string): SavedRule[] {
    if (chain !== undefined) return [...(this.chains.get(chain)?.rules ?? [])];
    return [...this.chains.values()].flatMap((c) => c.rules);
  }

  /**
   * The rules matching every field of the query.
   *
   * @example table.findRules({ chain: 'POSTROUTING', comment: formatComment('mynet', 'c1') })
   */
  findRules(query: RuleQuery): SavedRule[] {
    return this.rules(query.chain).filter((r) => ruleMatches(r, query));
  }
}

/**
 * Whether a saved rule matches every field of the query.
 *
 * @example ruleMatches(rule, { commentPrefix: 'dnat name: ' })
 */
export function ruleMatches(rule: SavedRule, query: RuleQuery): boolean {
  if (query.chain !== undefined && rule.chain !== query.chain) return false;
  if (query.comment !== undefined && rule.comment !== query.comment) return false;
  if (query.commentPrefix !== undefined && !(rule.comment ?? '').startsWith(query.commentPrefix)) return false;
  if (query.target !== undefined && rule.target !== query.target) return false;
  return true;
}

/**
 * Parses one table out of iptables-save text (the other tables in the text are skipped).
 *
 * @example parseIptablesSave(text, 'ipv4', 'nat').findRules({ target: 'CNI-HOSTPORT-DNAT' })
 */
export function parseIptablesSave(text: string, family: IPFamily, table: string): IptablesTable {
  const chains = new Map<string, { name: string; policy: string | undefined; rules: SavedRule[] }>();
  let inTable = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      inTable = line.slice(1).trim() === table;
      continue;
    }
    if (!inTable) continue;
    if (line.startsWith(':')) {
      const [name, policy] = line.slice(1).split(' ');
      if (name) chains.set(name, { name, policy: policy === '-' || policy === undefined ? undefined : policy, rules: [] });
    } else if (line.startsWith('-A ')) {
      const words = splitRuleWords(line);
      const chain = words[1]!;
      const rule = describeRule(chain, words.slice(2), line);
      let c = chains.get(chain);
      if (!c) chains.set(chain, (c = { name: chain, policy: undefined, rules: [] }));
      c.rules.push(rule);
    } else if (line.startsWith('COMMIT')) {
      inTable = false;
    }
  }
  return new IptablesTable(family, table, chains);
}

/**
 * A rule's comment and target picked out of its words.
 *
 * @example describeRule('POSTROUTING', ['-m', 'comment', '--comment', 'x', '-j', 'CNI-1'], '').target // 'CNI-1'
 */
export function describeRule(chain: string, words: readonly string[], line: string): SavedRule {
  let comment: string | undefined;
  let target: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '--comment' && comment === undefined) comment = words[i + 1];
    else if (w === '-j' || w === '--jump' || w === '-g' || w === '--goto') target = words[i + 1];
  }
  return { chain, words, line, ...(comment !== undefined ? { comment } : {}), ...(target !== undefined ? { target } : {}) };
}

/**
 * The save tool of each family.
 *
 * @example saveTool('ipv6') // 'ip6tables-save'
 */
export function saveTool(family: IPFamily): string {
  return family === 'ipv4' ? 'iptables-save' : 'ip6tables-save';
}

/**
 * Reads one table with one `iptables-save -t <table>` (or ip6tables-save) run.
 *
 * @example readIptablesTable('ipv4', 'nat').hasChain('CNI-HOSTPORT-DNAT')
 */
export function readIptablesTable(family: IPFamily, table: string, runner: CommandRunner = defaultRunner()): IptablesTable {
  const kept = takeListing(runner, family, table);
  if (kept !== undefined) return parseIptablesSave(kept, family, table);
  const tool = saveTool(family);
  const r = runner.run(tool, ['-t', table]);
  if (r.status !== 0) throw new Error(`${tool} -t ${table} failed: ${describeFailure(r)}`);
  return parseIptablesSave(r.stdout, family, table);
}
