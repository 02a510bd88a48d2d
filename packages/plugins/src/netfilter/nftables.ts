/**
 * Batches of nftables changes applied as one `nft -j -f -` transaction. Like the iptables
 * batch, it is declarative: deletions by comment, and deletions or flushes of things that may
 * not exist, are resolved against `nft -j list table` just before the run, which makes a batch
 * idempotent; `add` of tables and chains is idempotent in nft itself (`create` is not).
 */
import { NetfilterError } from './errors.js';
import type { JsonValue, NftExpr } from './nft-expr.js';
import { defaultRunner, describeFailure, type CommandRunner } from './run.js';

/** nftables address families. */
export type NftFamily = 'ip' | 'ip6' | 'inet' | 'bridge' | 'arp' | 'netdev';

/** A base chain's hook; leave all of it out for a regular chain. */
export interface NftChainSpec {
  readonly type?: 'filter' | 'nat' | 'route';
  readonly hook?: 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting' | 'ingress' | 'egress';
  readonly prio?: number;
  readonly policy?: 'accept' | 'drop';
  /** Kept by newer nft; nft 1.0.6 ignores comments on tables and chains given as JSON. */
  readonly comment?: string;
}

/** A rule as `nft -j list` shows it. */
export interface NftRule {
  readonly family: NftFamily;
  readonly table: string;
  readonly chain: string;
  readonly handle: number;
  readonly comment?: string;
  readonly expr: readonly JsonValue[];
}

/** A chain as `nft -j list` shows it, with its rules. */
export interface NftChain {
  readonly name: string;
  readonly handle: number;
  readonly type?: string;
  readonly hook?: string;
  readonly prio?: number;
  readonly policy?: string;
  readonly rules: readonly NftRule[];
}

/** One table as listed. */
export interface NftTable {
  readonly family: NftFamily;
  readonly name: string;
  readonly chains: ReadonlyMap<string, NftChain>;
}

/** What to look for; every given field must match. */
export interface NftRuleQuery {
  readonly chain?: string;
  readonly comment?: string;
  readonly commentPrefix?: string;
  /** Any further condition, e.g. "comment not among the live attachments" for GC. */
  readonly where?: (rule: NftRule) => boolean;
}

/** One change; see the {@link NftBatch} methods. */
export type NftOp =
  | { readonly kind: 'addTable'; readonly family: NftFamily; readonly table: string; readonly comment?: string }
  | { readonly kind: 'addChain'; readonly family: NftFamily; readonly table: string; readonly chain: string; readonly spec: NftChainSpec }
  | { readonly kind: 'flushChain'; readonly family: NftFamily; readonly table: string; readonly chain: string }
  | {
      readonly kind: 'addRule';
      readonly family: NftFamily;
      readonly table: string;
      readonly chain: string;
      readonly expr: readonly NftExpr[];
      readonly comment?: string;
      readonly insert: boolean;
    }
  | { readonly kind: 'deleteRule'; readonly family: NftFamily; readonly table: string; readonly chain: string; readonly handle: number }
  | { readonly kind: 'deleteRules'; readonly family: NftFamily; readonly table: string; readonly query: NftRuleQuery }
  | { readonly kind: 'deleteChain'; readonly family: NftFamily; readonly table: string; readonly chain: string }
  | { readonly kind: 'deleteTable'; readonly family: NftFamily; readonly table: string };

/**
 * Whether a listed rule matches every field of the query.
 *
 * @example nftRuleMatches(rule, { commentPrefix: masqInstanceHash('mynet', 'eth0', 'c1') })
 */
export function nftRuleMatches(rule: NftRule, query: NftRuleQuery): boolean {
  if (query.chain !== undefined && rule.chain !== query.chain) return false;
  if (query.comment !== undefined && rule.comment !== query.comment) return false;
  if (query.commentPrefix !== undefined && !(rule.comment ?? '').startsWith(query.commentPrefix)) return false;
  if (query.where && !query.where(rule)) return false;
  return true;
}

/**
 * An ordered list of nftables changes, applied as one transaction.
 *
 * @example
 * new NftBatch()
 *   .addTable('inet', 'cni_plugins_masquerade')
 *   .addChain('inet', 'cni_plugins_masquerade', 'postrouting', { type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' })
 *   .flushChain('inet', 'cni_plugins_masquerade', 'postrouting')
 */
export class NftBatch {
  readonly ops: NftOp[] = [];

  /**
   * Creates the table unless it exists.
   *
   * @example batch.addTable('ip', 'cni_hostport', 'CNI portmap plugin')
   */
  addTable(family: NftFamily, table: string, comment?: string): this {
    this.ops.push({ kind: 'addTable', family, table, ...(comment !== undefined ? { comment } : {}) });
    return this;
  }

  /**
   * Creates the chain unless it exists (with `spec.hook`, a base chain).
   *
   * @example batch.addChain('ip', 'cni_hostport', 'hostports')
   */
  addChain(family: NftFamily, table: string, chain: string, spec: NftChainSpec = {}): this {
    this.ops.push({ kind: 'addChain', family, table, chain, spec: { ...spec } });
    return this;
  }

  /**
   * Empties the chain if it exists.
   *
   * @example batch.flushChain('ip', 'cni_hostport', 'hostports_all')
   */
  flushChain(family: NftFamily, table: string, chain: string): this {
    this.ops.push({ kind: 'flushChain', family, table, chain });
    return this;
  }

  /**
   * Appends a rule (or puts it first with `insert`).
   *
   * @example batch.addRule('inet', t, 'postrouting', [nftGoto('masq_checks')])
   */
  addRule(family: NftFamily, table: string, chain: string, expr: readonly NftExpr[], options: { comment?: string; insert?: boolean } = {}): this {
    this.ops.push({
      kind: 'addRule',
      family,
      table,
      chain,
      expr: [...expr],
      insert: options.insert ?? false,
      ...(options.comment !== undefined ? { comment: options.comment } : {}),
    });
    return this;
  }

  /**
   * Deletes one rule by the handle a listing gave (fails if it is gone; prefer deleteRules).
   *
   * @example batch.deleteRule('inet', t, 'masq_checks', rule.handle)
   */
  deleteRule(family: NftFamily, table: string, chain: string, handle: number): this {
    this.ops.push({ kind: 'deleteRule', family, table, chain, handle });
    return this;
  }

  /**
   * Deletes every rule of the table matching the query, found when the batch runs.
   *
   * @example batch.deleteRules('ip', 'cni_hostport', { chain: 'hostports', comment: containerID })
   */
  deleteRules(family: NftFamily, table: string, query: NftRuleQuery): this {
    this.ops.push({ kind: 'deleteRules', family, table, query: { ...query } });
    return this;
  }

  /**
   * Flushes and deletes the chain if it exists (jumps into it must be gone first).
   *
   * @example batch.deleteChain('bridge', 'nat', 'cni-br-iface-c1-eth0-mac')
   */
  deleteChain(family: NftFamily, table: string, chain: string): this {
    this.ops.push({ kind: 'deleteChain', family, table, chain });
    return this;
  }

  /**
   * Deletes the table with everything in it, if it exists.
   *
   * @example batch.deleteTable('inet', 'tscni_test')
   */
  deleteTable(family: NftFamily, table: string): this {
    this.ops.push({ kind: 'deleteTable', family, table });
    return this;
  }

  /**
   * The tables whose current contents the batch depends on (those it flushes or deletes from).
   *
   * @example batch.tablesToList() // [{ family: 'inet', table: 'cni_plugins_masquerade' }]
   */
  tablesToList(): { family: NftFamily; table: string }[] {
    const seen = new Map<string, { family: NftFamily; table: string }>();
    for (const op of this.ops) {
      if (op.kind === 'addTable' || op.kind === 'addChain' || op.kind === 'addRule' || op.kind === 'deleteRule') continue;
      seen.set(`${op.family} ${op.table}`, { family: op.family, table: op.table });
    }
    return [...seen.values()];
  }
}

/**
 * The key of a table in a map of listings.
 *
 * @example nftTableKey('inet', 'cni_plugins_masquerade') // 'inet cni_plugins_masquerade'
 */
export function nftTableKey(family: NftFamily, table: string): string {
  return `${family} ${table}`;
}

interface SimTable {
  chains: Map<string, { listed: NftRule[] }>;
}

/**
 * Resolves the batch against listed tables into the JSON commands for `nft -j -f -`.
 * Pure: `listed` maps {@link nftTableKey} to a listing, or to undefined for a missing table.
 *
 * @example renderNftBatch(batch, new Map([[nftTableKey('inet', 't'), undefined]]))
 */
export function renderNftBatch(batch: NftBatch, listed: ReadonlyMap<string, NftTable | undefined>): NftExpr[] {
  const sims = new Map<string, SimTable | undefined>();
  const simOf = (family: NftFamily, table: string): SimTable | undefined => {
    const key = nftTableKey(family, table);
    if (!sims.has(key)) {
      const t = listed.get(key);
      sims.set(key, t ? { chains: new Map([...t.chains].map(([n, c]) => [n, { listed: [...c.rules] }])) } : undefined);
    }
    return sims.get(key);
  };
  const out: NftExpr[] = [];
  for (const op of batch.ops) {
    const { family, table } = op;
    switch (op.kind) {
      case 'addTable': {
        out.push({ add: { table: { family, name: table, ...(op.comment !== undefined ? { comment: op.comment } : {}) } } });
        if (!simOf(family, table)) sims.set(nftTableKey(family, table), { chains: new Map() });
        break;
      }
      case 'addChain': {
        const s = op.spec;
        const chain: Record<string, JsonValue> = { family, table, name: op.chain };
        if (s.hook !== undefined) Object.assign(chain, { type: s.type ?? 'filter', hook: s.hook, prio: s.prio ?? 0, policy: s.policy ?? 'accept' });
        if (s.comment !== undefined) chain.comment = s.comment;
        out.push({ add: { chain } });
        const sim = simOf(family, table);
        if (sim && !sim.chains.has(op.chain)) sim.chains.set(op.chain, { listed: [] });
        break;
      }
      case 'flushChain': {
        const c = simOf(family, table)?.chains.get(op.chain);
        if (!c) break;
        out.push({ flush: { chain: { family, table, name: op.chain } } });
        c.listed = [];
        break;
      }
      case 'addRule': {
        const rule = { family, table, chain: op.chain, ...(op.comment !== undefined ? { comment: op.comment } : {}), expr: op.expr };
        out.push(op.insert ? { insert: { rule } } : { add: { rule } });
        break;
      }
      case 'deleteRule': {
        out.push({ delete: { rule: { family, table, chain: op.chain, handle: op.handle } } });
        break;
      }
      case 'deleteRules': {
        for (const [name, c] of simOf(family, table)?.chains ?? []) {
          const [gone, kept] = partition(c.listed, (r) => nftRuleMatches(r, op.query));
          for (const r of gone) out.push({ delete: { rule: { family, table, chain: name, handle: r.handle } } });
          c.listed = kept;
        }
        break;
      }
      case 'deleteChain': {
        const sim = simOf(family, table);
        if (!sim?.chains.has(op.chain)) break;
        out.push({ flush: { chain: { family, table, name: op.chain } } });
        out.push({ delete: { chain: { family, table, name: op.chain } } });
        sim.chains.delete(op.chain);
        break;
      }
      case 'deleteTable': {
        if (!simOf(family, table)) break;
        out.push({ delete: { table: { family, name: table } } });
        sims.set(nftTableKey(family, table), undefined);
        break;
      }
    }
  }
  return out;
}

function partition<T>(xs: readonly T[], p: (x: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const x of xs) (p(x) ? yes : no).push(x);
  return [yes, no];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses the output of `nft -j list table|chain|ruleset` into tables.
 *
 * @example parseNftList(stdout).get(nftTableKey('inet', 'cni_plugins_masquerade'))
 */
export function parseNftList(json: string): Map<string, NftTable> {
  const doc: unknown = JSON.parse(json);
  const items = isObject(doc) && Array.isArray(doc.nftables) ? (doc.nftables as unknown[]) : [];
  const tables = new Map<string, { family: NftFamily; name: string; chains: Map<string, NftChain & { rules: NftRule[] }> }>();
  const tableOf = (family: NftFamily, name: string) => {
    const key = nftTableKey(family, name);
    let t = tables.get(key);
    if (!t) tables.set(key, (t = { family, name, chains: new Map() }));
    return t;
  };
  for (const item of items) {
    if (!isObject(item)) continue;
    if (isObject(item.table)) {
      tableOf(item.table.family as NftFamily, String(item.table.name));
    } else if (isObject(item.chain)) {
      const c = item.chain;
      const t = tableOf(c.family as NftFamily, String(c.table));
      const chain: NftChain & { rules: NftRule[] } = {
        name: String(c.name),
        handle: Number(c.handle),
        ...(typeof c.type === 'string' ? { type: c.type } : {}),
        ...(typeof c.hook === 'string' ? { hook: c.hook } : {}),
        ...(typeof c.prio === 'number' ? { prio: c.prio } : {}),
        ...(typeof c.policy === 'string' ? { policy: c.policy } : {}),
        rules: t.chains.get(String(c.name))?.rules ?? [],
      };
      t.chains.set(chain.name, chain);
    } else if (isObject(item.rule)) {
      const r = item.rule;
      const t = tableOf(r.family as NftFamily, String(r.table));
      const name = String(r.chain);
      let chain = t.chains.get(name);
      if (!chain) t.chains.set(name, (chain = { name, handle: -1, rules: [] }));
      chain.rules.push({
        family: r.family as NftFamily,
        table: String(r.table),
        chain: name,
        handle: Number(r.handle),
        ...(typeof r.comment === 'string' ? { comment: r.comment } : {}),
        expr: Array.isArray(r.expr) ? (r.expr as JsonValue[]) : [],
      });
    }
  }
  return tables;
}

/**
 * Lists one table with `nft -j list table <family> <name>`; undefined if it does not exist.
 *
 * @example listNftTable('inet', 'cni_plugins_masquerade')?.chains.get('masq_checks')?.rules
 */
export function listNftTable(family: NftFamily, table: string, runner: CommandRunner = defaultRunner()): NftTable | undefined {
  const r = runner.run('nft', ['-j', 'list', 'table', family, table]);
  if (r.status !== 0 || r.error) {
    if (/No such file or directory/.test(r.stderr)) return undefined;
    throw new NetfilterError(`nft list table ${family} ${table} failed: ${describeFailure(r)}`, 'nft', r.stderr.trim());
  }
  return parseNftList(r.stdout).get(nftTableKey(family, table)) ?? { family, name: table, chains: new Map() };
}

/**
 * Finds rules of a listed table by chain and comment.
 *
 * @example findNftRules(listNftTable('ip', 'cni_hostport'), { chain: 'hostports', comment: 'ctr1' })
 */
export function findNftRules(table: NftTable | undefined, query: NftRuleQuery): NftRule[] {
  if (!table) return [];
  return [...table.chains.values()].flatMap((c) => c.rules).filter((r) => nftRuleMatches(r, query));
}

/** Options of {@link applyNftBatch}. */
export interface NftApplyOptions {
  readonly runner?: CommandRunner;
  /** Runs (each after a fresh listing) before a failure is final; 3 by default. */
  readonly attempts?: number;
}

/**
 * Applies the batch: lists the tables it depends on, then one `nft -j -f -` transaction (none
 * when there is nothing to do). Returns the commands that ran. A failure changes nothing; the
 * error names the command nft refused.
 *
 * @example applyNftBatch(ipMasqNftablesTeardownBatch({ network: 'mynet', ifname: 'eth0', containerID: 'c1' }))
 */
export function applyNftBatch(batch: NftBatch, options: NftApplyOptions = {}): NftExpr[] {
  const runner = options.runner ?? defaultRunner();
  const attempts = Math.max(1, options.attempts ?? 3);
  let failure: NetfilterError | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const listed = new Map(batch.tablesToList().map(({ family, table }) => [nftTableKey(family, table), listNftTable(family, table, runner)] as const));
    const commands = renderNftBatch(batch, listed);
    if (commands.length === 0) return commands;
    failure = runNft(commands, runner);
    if (!failure) return commands;
  }
  throw failure!;
}

/**
 * Runs JSON commands as one transaction; returns the error naming the refused command, or
 * undefined on success.
 *
 * @example runNft([{ add: { table: { family: 'inet', name: 'tscni_x' } } }])
 */
export function runNft(commands: readonly NftExpr[], runner: CommandRunner = defaultRunner()): NetfilterError | undefined {
  const r = runner.run('nft', ['-j', '-f', '-'], JSON.stringify({ nftables: commands }));
  if (r.status === 0 && !r.error) return undefined;
  const index = r.error ? undefined : failingCommand(commands, r.stderr, runner);
  const failed = index === undefined ? undefined : JSON.stringify(commands[index]);
  const where = failed === undefined ? '' : ` at command ${index} (${failed})`;
  return new NetfilterError(`nft failed${where}: ${describeFailure(r)}`, 'nft', r.stderr.trim(), failed, index);
}

/**
 * The index of the command nft refused. Parse errors carry it; kernel errors do not, so the
 * shortest failing prefix is found with `nft --check` (dry runs, nothing is committed).
 */
function failingCommand(commands: readonly NftExpr[], stderr: string, runner: CommandRunner): number | undefined {
  const m = /command array at index (\d+)/.exec(stderr);
  if (m) return Number(m[1]);
  const fails = (n: number) => runner.run('nft', ['--check', '-j', '-f', '-'], JSON.stringify({ nftables: commands.slice(0, n) })).status !== 0;
  if (!fails(commands.length)) return undefined;
  let lo = 1;
  let hi = commands.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (fails(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo - 1;
}
