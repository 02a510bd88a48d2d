/**
 * Rule text in nft's own syntax (what users write in a config, e.g. portmap's conditionsV4
 * `["iifname", "\"eth0\""]`) turned into the JSON expressions our batches are made of. nft
 * itself does the parsing: the text goes into a throw-away rule in a throw-away network
 * namespace (`unshare --net`), and `--echo --json` hands back the expressions exactly as nft
 * understood them, so nothing of the host is touched and no second parser can disagree with nft.
 */
import { NetfilterError } from './errors.js';
import type { JsonValue, NftExpr } from './nft-expr.js';
import type { NftChainSpec, NftFamily } from './nftables.js';
import { defaultRunner, describeFailure, type CommandRunner } from './run.js';

const VERDICTS = ['accept', 'drop', 'reject', 'return', 'continue', 'jump', 'goto', 'queue'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The expressions of `words` (joined by spaces, as knftables.Concat joins them) as a match
 * prefix of a rule in a chain of this family and hook, checked by nft. Throws NetfilterError
 * with nft's message when nft refuses the text.
 *
 * @example nftExprsFromText('ip', ['iifname', '"eth0"'], { type: 'nat', hook: 'prerouting', prio: -100 })
 * // [{ match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'eth0' } }]
 */
export function nftExprsFromText(family: NftFamily, words: readonly string[], chain: NftChainSpec = {}, runner: CommandRunner = defaultRunner()): NftExpr[] {
  const text = words.join(' ');
  // One rule's worth of text: anything that would end the command is not a condition.
  if (/[;\n\r#]/.test(text)) throw new NetfilterError(`invalid nft rule text ${JSON.stringify(text)}: it must not contain ; # or line breaks`, 'nft', '');
  const hook = chain.hook === undefined ? '' : ` { type ${chain.type ?? 'filter'} hook ${chain.hook} priority ${chain.prio ?? 0} ; }`;
  const script = [`add table ${family} tscni_parse`, `add chain ${family} tscni_parse c${hook}`, `add rule ${family} tscni_parse c ${text} accept`, ''].join('\n');
  const r = runner.run('unshare', ['--net', 'nft', '--echo', '--json', '-f', '-'], script);
  if (r.status !== 0 || r.error) throw new NetfilterError(`nft refused the rule text ${JSON.stringify(text)}: ${describeFailure(r)}`, 'nft', r.stderr.trim());
  const doc: unknown = JSON.parse(r.stdout);
  const items = isObject(doc) && Array.isArray(doc['nftables']) ? (doc['nftables'] as unknown[]) : [];
  const rules = items.flatMap((i) => (isObject(i) && isObject(i['add']) && isObject(i['add']['rule']) ? [i['add']['rule']] : []));
  const expr = rules.length === 1 && Array.isArray(rules[0]!['expr']) ? (rules[0]!['expr'] as JsonValue[]) : undefined;
  const last = expr?.at(-1);
  const verdict = (e: JsonValue) => isObject(e) && VERDICTS.some((v) => v in e);
  if (!expr || !isObject(last) || !('accept' in last) || expr.slice(0, -1).some(verdict)) {
    throw new NetfilterError(`nft rule text ${JSON.stringify(text)} is not a match: it must not end the rule itself`, 'nft', '');
  }
  return expr.slice(0, -1) as NftExpr[];
}
