/**
 * Batches of iptables changes applied with one `iptables-restore --noflush --wait` run per
 * family (ip6tables-restore for IPv6). The batch is declarative: it is resolved against the
 * tables as iptables-save shows them just before the run, so "append unless present", "delete
 * if present" and "delete every rule with this comment" make a batch idempotent. A run that
 * fails is retried against fresh state, which absorbs a concurrent writer that changed a chain
 * between our read and our write.
 */
import type { IPFamily } from './addr.js';
import { NetfilterError } from './errors.js';
import { describeRule, readIptablesTable, ruleMatches, type IptablesTable, type RuleQuery, type SavedRule } from './iptables-save.js';
import { joinRuleWords, quoteRuleWord, ruleKey } from './iptables-rule.js';
import { defaultRunner, describeFailure, type CommandRunner } from './run.js';
import { dropListings } from './table-prefetch.js';

/** One change; see the {@link IptablesBatch} methods. */
export type IptablesOp =
  | { readonly kind: 'ensureChain'; readonly family: IPFamily; readonly table: string; readonly chain: string }
  | { readonly kind: 'flushChain'; readonly family: IPFamily; readonly table: string; readonly chain: string }
  | { readonly kind: 'deleteChain'; readonly family: IPFamily; readonly table: string; readonly chain: string }
  | {
      readonly kind: 'append';
      readonly family: IPFamily;
      readonly table: string;
      readonly chain: string;
      readonly words: readonly string[];
      readonly unique: boolean;
      readonly sameAs: readonly (readonly string[])[];
    }
  | {
      readonly kind: 'insert';
      readonly family: IPFamily;
      readonly table: string;
      readonly chain: string;
      readonly words: readonly string[];
      readonly position: number;
      readonly unique: boolean;
      readonly sameAs: readonly (readonly string[])[];
    }
  | { readonly kind: 'deleteRule'; readonly family: IPFamily; readonly table: string; readonly chain: string; readonly words: readonly string[] }
  | { readonly kind: 'deleteRules'; readonly family: IPFamily; readonly table: string; readonly query: RuleQuery };

/** How {@link IptablesBatch.append} and {@link IptablesBatch.insert} decide that a rule is already there. */
export interface UniqueOptions {
  /** Skip the rule when an equal one is in the chain; true by default. */
  readonly unique?: boolean;
  /** Other spellings of the same rule that count as present (only with `unique`). */
  readonly sameAs?: readonly (readonly string[])[];
}

/**
 * An ordered list of iptables changes for either family. Methods return the batch so calls chain.
 *
 * @example
 * new IptablesBatch()
 *   .ensureChain('ipv4', 'nat', chain)
 *   .append('ipv4', 'nat', chain, ['-d', '10.22.0.0/16', '-j', 'ACCEPT'])
 */
export class IptablesBatch {
  readonly ops: IptablesOp[] = [];

  /**
   * Creates the chain unless it exists; an existing chain keeps its rules.
   *
   * @example batch.ensureChain('ipv4', 'nat', 'CNI-HOSTPORT-DNAT')
   */
  ensureChain(family: IPFamily, table: string, chain: string): this {
    this.ops.push({ kind: 'ensureChain', family, table, chain });
    return this;
  }

  /**
   * Empties the chain, creating it if missing (the reference's ClearChain).
   *
   * @example batch.flushChain('ipv4', 'nat', 'CNI-HOSTPORT-SETMARK')
   */
  flushChain(family: IPFamily, table: string, chain: string): this {
    this.ops.push({ kind: 'flushChain', family, table, chain });
    return this;
  }

  /**
   * Flushes and deletes the chain if it exists. Rules elsewhere that jump to it must go first
   * (`deleteRules({ target: chain })`), or the kernel refuses.
   *
   * @example batch.deleteRules('ipv4', 'nat', { target: chain }).deleteChain('ipv4', 'nat', chain)
   */
  deleteChain(family: IPFamily, table: string, chain: string): this {
    this.ops.push({ kind: 'deleteChain', family, table, chain });
    return this;
  }

  /**
   * Appends the rule, unless an equal rule is already in the chain (`unique`, the default; the
   * reference's AppendUnique). A rule equal to one of `sameAs` (the same rule as an older
   * version wrote it, e.g. with another comment) counts as present too.
   *
   * @example batch.append('ipv4', 'nat', 'POSTROUTING', ['-s', '10.22.0.2', '-j', chain])
   */
  append(family: IPFamily, table: string, chain: string, words: readonly string[], options: UniqueOptions = {}): this {
    this.ops.push({ kind: 'append', family, table, chain, words: [...words], unique: options.unique ?? true, sameAs: options.sameAs ?? [] });
    return this;
  }

  /**
   * Inserts the rule at `position` (1, the top, by default) unless an equal rule is anywhere in
   * the chain (the reference's InsertUnique with prepend).
   *
   * @example batch.insert('ipv4', 'filter', 'FORWARD', ['-m', 'comment', '--comment', 'CNI firewall plugin rules', '-j', 'CNI-FORWARD'])
   */
  insert(family: IPFamily, table: string, chain: string, words: readonly string[], options: UniqueOptions & { position?: number } = {}): this {
    const position = options.position ?? 1;
    if (!Number.isInteger(position) || position < 1) throw new RangeError(`invalid rule position ${position}`);
    this.ops.push({ kind: 'insert', family, table, chain, words: [...words], position, unique: options.unique ?? true, sameAs: options.sameAs ?? [] });
    return this;
  }

  /**
   * Deletes the rule if an equal rule is in the chain (once per call, like `iptables -D`).
   *
   * @example batch.deleteRule('ipv4', 'filter', 'CNI-FORWARD', ['-s', '10.33.0.3/32', '-j', 'ACCEPT'])
   */
  deleteRule(family: IPFamily, table: string, chain: string, words: readonly string[]): this {
    this.ops.push({ kind: 'deleteRule', family, table, chain, words: [...words] });
    return this;
  }

  /**
   * Deletes every rule matching the query, found when the batch runs: by comment, comment
   * prefix, chain and/or target. This is how teardown works without knowing the addresses.
   *
   * @example batch.deleteRules('ipv4', 'nat', { chain: 'POSTROUTING', comment: formatComment('mynet', 'c1') })
   */
  deleteRules(family: IPFamily, table: string, query: RuleQuery): this {
    this.ops.push({ kind: 'deleteRules', family, table, query: { ...query } });
    return this;
  }

  /**
   * Appends another batch's changes after this one's, so both apply as one transaction per family.
   *
   * @example firewallForwardBatch(setup).include(isolationBatch('cni0', 'same-bridge', ['ipv4']))
   */
  include(other: IptablesBatch): this {
    this.ops.push(...other.ops);
    return this;
  }

  /**
   * The families the batch touches, IPv4 first.
   *
   * @example new IptablesBatch().ensureChain('ipv6', 'nat', 'X').families() // ['ipv6']
   */
  families(): IPFamily[] {
    return (['ipv4', 'ipv6'] as const).filter((f) => this.ops.some((op) => op.family === f));
  }

  /**
   * The tables one family touches, in order of first use.
   *
   * @example batch.tables('ipv4') // ['nat']
   */
  tables(family: IPFamily): string[] {
    return [...new Set(this.ops.filter((op) => op.family === family).map((op) => op.table))];
  }
}

/** The restore text for one family, with what it takes to undo it. */
export interface RestorePlan {
  readonly family: IPFamily;
  /** The input for `iptables-restore --noflush`; empty when nothing needs to change. */
  readonly text: string;
  /** How many rule and chain commands the text holds. */
  readonly changes: number;
  /** Restore text that reverts `text` when applied right after it (used when a later family fails). */
  readonly undoText: string;
}

interface SimRule {
  readonly saved: SavedRule;
  readonly key: string;
}
interface SimChain {
  readonly builtin: boolean;
  rules: SimRule[];
}

function simulate(table: IptablesTable | undefined): Map<string, SimChain> {
  const chains = new Map<string, SimChain>();
  for (const [name, c] of table?.chains ?? []) {
    chains.set(name, { builtin: c.policy !== undefined, rules: c.rules.map((saved) => ({ saved, key: ruleKey(saved.words) })) });
  }
  return chains;
}

/**
 * Resolves one family's part of the batch against the tables as read, into restore text.
 * Pure: the tests check the text it produces for given states.
 *
 * @example renderIptablesRestore(batch, 'ipv4', new Map([['nat', parseIptablesSave(text, 'ipv4', 'nat')]])).text
 */
export function renderIptablesRestore(batch: IptablesBatch, family: IPFamily, tables: ReadonlyMap<string, IptablesTable>): RestorePlan {
  const sections: { table: string; lines: string[]; undo: string[][] }[] = [];
  let changes = 0;
  for (const table of batch.tables(family)) {
    const sim = simulate(tables.get(table));
    const lines: string[] = [];
    const undo: string[][] = [];
    const emit = (line: string, inverse: string[]) => {
      lines.push(line);
      undo.push(inverse);
      changes++;
    };
    const reAppend = (chain: string, rules: readonly SimRule[]) => rules.map((r) => `-A ${chain} ${joinRuleWords(r.saved.words)}`);
    const deleteAt = (chain: string, c: SimChain, index: number) => {
      const r = c.rules[index]!;
      const words = joinRuleWords(r.saved.words);
      emit(`-D ${chain} ${words}`, [`-I ${chain} ${index + 1} ${words}`]);
      c.rules.splice(index, 1);
    };
    for (const op of batch.ops) {
      if (op.family !== family || op.table !== table) continue;
      switch (op.kind) {
        case 'ensureChain': {
          checkChainName(op.chain);
          if (sim.has(op.chain)) break;
          // -N rather than a ":CHAIN" declaration: if another writer creates the chain after our
          // read, -N fails and the retry sees it, where a declaration would flush its rules.
          emit(`-N ${op.chain}`, [`-X ${op.chain}`]);
          sim.set(op.chain, { builtin: false, rules: [] });
          break;
        }
        case 'flushChain': {
          checkChainName(op.chain);
          const c = sim.get(op.chain);
          if (c?.builtin) emit(`-F ${op.chain}`, reAppend(op.chain, c.rules));
          else if (c) emit(`:${op.chain} - [0:0]`, reAppend(op.chain, c.rules));
          else emit(`:${op.chain} - [0:0]`, [`-X ${op.chain}`]);
          if (c) c.rules = [];
          else sim.set(op.chain, { builtin: false, rules: [] });
          break;
        }
        case 'deleteChain': {
          checkChainName(op.chain);
          const c = sim.get(op.chain);
          if (!c) break;
          if (c.rules.length > 0) emit(`-F ${op.chain}`, reAppend(op.chain, c.rules));
          emit(`-X ${op.chain}`, [`-N ${op.chain}`]);
          sim.delete(op.chain);
          break;
        }
        case 'append':
        case 'insert': {
          checkChainName(op.chain);
          const key = ruleKey(op.words);
          const c = sim.get(op.chain);
          const present = new Set([key, ...op.sameAs.map(ruleKey)]);
          if (op.unique && c?.rules.some((r) => present.has(r.key))) break;
          const words = joinRuleWords(op.words);
          const rule: SimRule = { saved: describeRule(op.chain, op.words, ''), key };
          if (op.kind === 'append') {
            emit(`-A ${op.chain} ${words}`, [`-D ${op.chain} ${words}`]);
            c?.rules.push(rule);
          } else {
            emit(`-I ${op.chain} ${op.position} ${words}`, [`-D ${op.chain} ${words}`]);
            c?.rules.splice(op.position - 1, 0, rule);
          }
          break;
        }
        case 'deleteRule': {
          const c = sim.get(op.chain);
          const key = ruleKey(op.words);
          const index = c ? c.rules.findIndex((r) => r.key === key) : -1;
          if (c && index >= 0) deleteAt(op.chain, c, index);
          break;
        }
        case 'deleteRules': {
          for (const [name, c] of sim) {
            for (let i = c.rules.length - 1; i >= 0; i--) {
              if (ruleMatches(c.rules[i]!.saved, op.query)) deleteAt(name, c, i);
            }
          }
          break;
        }
      }
    }
    if (lines.length > 0) sections.push({ table, lines, undo });
  }
  const text = sections.map((s) => [`*${s.table}`, ...s.lines, 'COMMIT', ''].join('\n')).join('');
  const undoText = [...sections]
    .reverse()
    .map((s) => [`*${s.table}`, ...[...s.undo].reverse().flat(), 'COMMIT', ''].join('\n'))
    .join('');
  return { family, text, changes, undoText };
}

function checkChainName(chain: string): void {
  // A chain name is one restore word; anything else would change the meaning of the line.
  if (!/^[^\s"'\\!-][^\s"'\\]{0,27}$/.test(chain) || quoteRuleWord(chain) !== chain) {
    throw new Error(`invalid iptables chain name ${JSON.stringify(chain)}`);
  }
}

/**
 * The restore tool of each family.
 *
 * @example restoreTool('ipv4') // 'iptables-restore'
 */
export function restoreTool(family: IPFamily): string {
  return family === 'ipv4' ? 'iptables-restore' : 'ip6tables-restore';
}

/** Options of {@link applyIptablesBatch}. */
export interface ApplyOptions {
  /** Where and how the tools run; the caller's namespace by default. */
  readonly runner?: CommandRunner;
  /** Runs (each after a fresh read) before a failure is final; 3 by default. */
  readonly attempts?: number;
}

/** What {@link applyIptablesBatch} did per family. */
export interface IptablesApplyResult {
  readonly plans: readonly RestorePlan[];
}

/**
 * Applies the batch: per family one iptables-save per table, then one restore run with the
 * resolved text (none when nothing needs to change). Each family's run is one transaction. If
 * the IPv6 run fails after the IPv4 run succeeded, the IPv4 changes are reverted before the
 * error is thrown, so a failing batch leaves no half.
 *
 * @example applyIptablesBatch(ipMasqIptablesBatch({ network: 'mynet', containerID: 'c1', addresses: ['10.22.0.2/16'] }))
 */
export function applyIptablesBatch(batch: IptablesBatch, options: ApplyOptions = {}): IptablesApplyResult {
  const runner = options.runner ?? defaultRunner();
  const attempts = Math.max(1, options.attempts ?? 3);
  const done: RestorePlan[] = [];
  for (const family of batch.families()) {
    let failure: NetfilterError | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const tables = new Map(batch.tables(family).map((t) => [t, readIptablesTable(family, t, runner)] as const));
      const plan = renderIptablesRestore(batch, family, tables);
      failure = plan.changes === 0 ? undefined : runRestore(plan.family, plan.text, runner);
      if (!failure) {
        done.push(plan);
        break;
      }
    }
    if (failure) {
      const undone = undoPlans(done, runner);
      if (undone.length > 0) failure.message += ` (the ${undone.join(' and ')} changes of this batch were reverted)`;
      throw failure;
    }
  }
  return { plans: done };
}

function undoPlans(plans: readonly RestorePlan[], runner: CommandRunner): IPFamily[] {
  const undone: IPFamily[] = [];
  for (const plan of [...plans].reverse()) {
    if (plan.changes === 0) continue;
    // Best effort: if a concurrent writer changed these chains meanwhile, the undo may not apply.
    if (!runRestore(plan.family, plan.undoText, runner)) undone.push(plan.family);
  }
  return undone;
}

/**
 * Runs restore text with `--noflush --wait`; returns the error naming the failing line, or
 * undefined on success.
 *
 * @example runRestore('ipv4', '*nat\n-N TSCNI-X\nCOMMIT\n')
 */
export function runRestore(family: IPFamily, text: string, runner: CommandRunner = defaultRunner()): NetfilterError | undefined {
  const tool = restoreTool(family);
  dropListings(runner);
  const r = runner.run(tool, ['--noflush', '--wait'], text);
  if (r.status === 0 && !r.error) return undefined;
  const lines = text.split('\n');
  const position = failingLine(r.stderr, lines);
  const failed = position === undefined ? undefined : lines[position - 1];
  const where = failed === undefined ? '' : ` at line ${position} (${failed})`;
  return new NetfilterError(`${tool} failed${where}: ${describeFailure(r)}`, tool, r.stderr.trim(), failed, position);
}

/**
 * The 1-based line the tool blamed. iptables-nft reports errors found at commit time on the
 * COMMIT line; then the first command naming the object the message quotes is the culprit.
 */
function failingLine(stderr: string, lines: readonly string[]): number | undefined {
  const m = /line:? (\d+)/.exec(stderr);
  let n = m ? Number(m[1]) : undefined;
  if (n !== undefined && (n < 1 || n > lines.length)) n = undefined;
  if (n === undefined || lines[n - 1] === 'COMMIT') {
    const named = /'([^']+)'|chain (\S+)/.exec(stderr);
    const name = named?.[1] ?? named?.[2];
    if (name) {
      const i = lines.findIndex((l) => !l.startsWith('*') && l !== 'COMMIT' && l.split(' ').includes(name));
      if (i >= 0) return i + 1;
    }
  }
  return n;
}
