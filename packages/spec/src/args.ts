/**
 * CNI_ARGS (`K1=V1;K2=V2`) and the `args.cni` conventions of the network config.
 */
import { goQuote, goQuoteList } from './gojson.js';

/**
 * Splits CNI_ARGS into pairs the way the reference's LoadArgs does: every pair must split
 * on `=` into exactly two parts (an empty value is fine, a value containing `=` is not).
 *
 * @example parseCniArgs('IgnoreUnknown=1;IP=10.0.0.5') // [['IgnoreUnknown','1'],['IP','10.0.0.5']]
 */
export function parseCniArgs(args: string): [string, string][] {
  return [...cniArgPairs(args)];
}

/** The pairs one by one, so that a bad pair fails only once the pairs before it are read. */
function* cniArgPairs(args: string): Generator<[string, string]> {
  if (args === '') return;
  for (const pair of args.split(';')) {
    const kv = pair.split('=');
    if (kv.length !== 2) throw new Error(`ARGS: invalid pair ${goQuote(pair)}`);
    yield [kv[0]!, kv[1]!];
  }
}

/**
 * Go's UnmarshallableBool: `1`/`true` and `0`/`false`, any case.
 *
 * @example parseArgBool('TRUE') // true
 */
export function parseArgBool(value: string): boolean {
  const v = value.toLowerCase();
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  // The reference reports the lowercased input.
  throw new Error(`boolean unmarshal error: invalid input ${v}`);
}

/** How each known key of CNI_ARGS is read; the result holds the parsed values by key. */
export type ArgsSchema = Record<string, (value: string) => unknown>;

export type LoadedArgs<S extends ArgsSchema> = { [K in keyof S]?: ReturnType<S[K]> } & { IgnoreUnknown?: boolean };

/**
 * Reads CNI_ARGS against the keys a plugin knows, as the reference's LoadArgs: keys are
 * case-sensitive, unknown keys fail unless `IgnoreUnknown` is true, a value that does not
 * parse fails naming its pair.
 *
 * @example loadArgs('IgnoreUnknown=1;IP=10.0.0.5;K8S_POD_NAME=x', { IP: (v) => v }).IP // '10.0.0.5'
 */
export function loadArgs<S extends ArgsSchema>(args: string, schema: S): LoadedArgs<S> {
  const out: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [key, value] of cniArgPairs(args)) {
    const pair = `${key}=${value}`;
    if (key === 'IgnoreUnknown') {
      try {
        out['IgnoreUnknown'] = parseArgBool(value);
      } catch (e) {
        throw new Error(`ARGS: error parsing value of pair ${goQuote(pair)}: ${(e as Error).message}`);
      }
      continue;
    }
    const parse = Object.prototype.hasOwnProperty.call(schema, key) ? schema[key] : undefined;
    if (!parse) {
      unknown.push(pair);
      continue;
    }
    try {
      out[key] = parse(value);
    } catch (e) {
      throw new Error(`ARGS: error parsing value of pair ${goQuote(pair)}: ${(e as Error).message}`);
    }
  }
  if (unknown.length > 0 && out['IgnoreUnknown'] !== true) {
    throw new Error(`ARGS: unknown args ${goQuoteList(unknown)}`);
  }
  return out as LoadedArgs<S>;
}

/** A label of `args.cni.labels`. */
export interface ArgsLabel {
  key: string;
  value: string;
}

/** The conventional `args.cni` object of a network config (CONVENTIONS.md). */
export interface ArgsCni {
  labels?: ArgsLabel[];
  /** `<ip>[/<prefix>]` addresses asked for (host-local, static). */
  ips?: string[];
  mac?: string;
  [key: string]: unknown;
}

/**
 * The `args.cni` object of a plugin config, or undefined. Plugins that do not understand a key
 * must ignore it, so only the shape of the conventional keys is checked.
 *
 * @example argsCni({ args: { cni: { ips: ['10.0.0.5/24'] } } })?.ips // ['10.0.0.5/24']
 */
export function argsCni(conf: Record<string, unknown>): ArgsCni | undefined {
  const args = conf['args'];
  if (args === null || typeof args !== 'object' || Array.isArray(args)) return undefined;
  const cni = (args as Record<string, unknown>)['cni'];
  if (cni === null || typeof cni !== 'object' || Array.isArray(cni)) return undefined;
  const c = cni as Record<string, unknown>;
  const out: ArgsCni = { ...c };
  if (c['ips'] !== undefined) {
    if (!Array.isArray(c['ips']) || c['ips'].some((x) => typeof x !== 'string')) throw new Error('args.cni.ips must be a list of strings');
  }
  if (c['labels'] !== undefined) {
    const ok = Array.isArray(c['labels']) && c['labels'].every((l) => l !== null && typeof l === 'object' && typeof (l as ArgsLabel).key === 'string' && typeof (l as ArgsLabel).value === 'string');
    if (!ok) throw new Error('args.cni.labels must be a list of {"key": string, "value": string}');
  }
  if (c['mac'] !== undefined && typeof c['mac'] !== 'string') throw new Error('args.cni.mac must be a string');
  return out;
}
