/**
 * Reading results from JSON as the reference does: the version picks the shape, addresses
 * are validated and re-emitted in canonical form, wrong types fail with Go's wording.
 */
import { goQuote, jsonTypeName, parseJson, type JsonValue } from './gojson.js';
import { canonicalCIDR, canonicalIP } from './ip.js';
import {
  FAMILY_VERSIONS,
  familyOf,
  type DNS,
  type IPConfig020,
  type Result,
  type Result020,
  type Result040,
  type Result100,
  type ResultFamily,
  type Route,
} from './result-types.js';
import { decodeVersion } from './version.js';

type Obj = Record<string, JsonValue>;

const GO_RESULT_TYPE: Record<ResultFamily, string> = {
  '1.0.0': 'types100.Result',
  '0.4.0': 'types040.Result',
  '0.2.0': 'types020.Result',
};

/** Where a value sits, for Go-style "Go struct field X.path" messages. */
class Field {
  constructor(
    readonly struct: string,
    readonly path: string,
  ) {}

  at(struct: string, key: string): Field {
    return new Field(struct, this.path ? `${this.path}.${key}` : key);
  }

  typeError(v: unknown, goType: string): Error {
    const what = typeof v === 'number' ? `number ${v}` : jsonTypeName(v);
    return new Error(`json: cannot unmarshal ${what} into Go struct field ${this.struct}.${this.path} of type ${goType}`);
  }
}

/**
 * A JSON object's members as Go's decoder assigns them to struct fields: keys matched to
 * the field names without regard to case, the last match winning, nulls leaving a field alone.
 */
function goFields(o: Obj, names: readonly string[]): Obj {
  const byFolded = new Map(names.map((n) => [n.toLowerCase(), n]));
  const out: Obj = {};
  for (const [key, v] of Object.entries(o)) {
    const name = byFolded.get(key.toLowerCase());
    if (name !== undefined && v !== null) out[name] = v;
  }
  return out;
}

function obj(v: JsonValue | undefined, f: Field, goType: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw f.typeError(v, goType);
  return v;
}

function arr(v: JsonValue | undefined, f: Field, goType: string): JsonValue[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw f.typeError(v, goType);
  // A null entry makes the reference panic in its converters; we drop it.
  return v.filter((x) => x !== null);
}

function str(v: JsonValue | undefined, f: Field): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw f.typeError(v, 'string');
  return v;
}

function int(v: JsonValue | undefined, f: Field): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw f.typeError(v, 'int');
  return v;
}

function strList(v: JsonValue | undefined, f: Field): string[] | undefined {
  const a = arr(v, f, '[]string');
  return a?.map((x) => {
    if (typeof x !== 'string') throw f.typeError(x, 'string');
    return x;
  });
}

function cidr(v: JsonValue | undefined, f: Field): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Error(`json: cannot unmarshal ${jsonTypeName(v)} into Go value of type string`);
  const c = canonicalCIDR(v);
  if (c === undefined) throw new Error(`invalid CIDR address: ${v}`);
  return c;
}

function ip(v: JsonValue | undefined, f: Field): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw f.typeError(v, 'net.IP');
  if (v === '') return undefined;
  const c = canonicalIP(v);
  if (c === undefined) throw new Error(`invalid IP address: ${v}`);
  return c;
}

function set<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

function dns(v: JsonValue | undefined, parent: Field): DNS | undefined {
  const f = parent.at('DNS', 'dns');
  const raw = obj(v, f, 'types.DNS');
  if (!raw) return undefined;
  const o = goFields(raw, ['nameservers', 'domain', 'search', 'options']);
  const out: DNS = {};
  set(out, 'nameservers', strList(o['nameservers'], f.at('DNS', 'nameservers')));
  set(out, 'domain', str(o['domain'], f.at('DNS', 'domain')));
  set(out, 'search', strList(o['search'], f.at('DNS', 'search')));
  set(out, 'options', strList(o['options'], f.at('DNS', 'options')));
  return out;
}

function route(v: JsonValue, f: Field): Route {
  const o = goFields(obj(v, f, 'types.Route')!, ['dst', 'gw', 'mtu', 'advmss', 'priority', 'table', 'scope']);
  const out: Route = { dst: requiredCIDR(o['dst'], f.at('Route', 'dst')) };
  set(out, 'gw', ip(o['gw'], f.at('Route', 'gw')));
  set(out, 'mtu', int(o['mtu'], f.at('Route', 'mtu')));
  set(out, 'advmss', int(o['advmss'], f.at('Route', 'advmss')));
  set(out, 'priority', int(o['priority'], f.at('Route', 'priority')));
  set(out, 'table', int(o['table'], f.at('Route', 'table')));
  set(out, 'scope', int(o['scope'], f.at('Route', 'scope')));
  return out;
}

function routes(v: JsonValue | undefined, parent: Field): Route[] | undefined {
  const f = parent.at('Result', 'routes');
  return arr(v, f, '[]*types.Route')?.map((r) => route(r, f));
}

function requiredCIDR(v: JsonValue | undefined, f: Field): string {
  const c = cidr(v, f);
  // Go unmarshals an absent address as the zero IPNet and prints "<nil>"; we refuse it.
  if (c === undefined) throw new Error(`invalid CIDR address: missing ${f.path}`);
  return c;
}

const TOP_FIELDS = ['cniVersion', 'interfaces', 'ips', 'routes', 'dns'] as const;

function decode100(raw: Obj): Result100 {
  const o = goFields(raw, TOP_FIELDS);
  const top = new Field('Result', '');
  const r: Result100 = { cniVersion: str(o['cniVersion'], top.at('Result', 'cniVersion')) ?? '' };
  const ifs = arr(o['interfaces'], top.at('Result', 'interfaces'), '[]*types100.Interface');
  if (ifs) {
    r.interfaces = ifs.map((x) => {
      const f = top.at('Interface', 'interfaces');
      const io = goFields(obj(x, f, 'types100.Interface')!, ['name', 'mac', 'mtu', 'sandbox', 'socketPath', 'pciID']);
      const i: NonNullable<Result100['interfaces']>[number] = { name: str(io['name'], f.at('Interface', 'name')) ?? '' };
      set(i, 'mac', str(io['mac'], f.at('Interface', 'mac')));
      set(i, 'mtu', int(io['mtu'], f.at('Interface', 'mtu')));
      set(i, 'sandbox', str(io['sandbox'], f.at('Interface', 'sandbox')));
      set(i, 'socketPath', str(io['socketPath'], f.at('Interface', 'socketPath')));
      set(i, 'pciID', str(io['pciID'], f.at('Interface', 'pciID')));
      return i;
    });
  }
  const ips = arr(o['ips'], top.at('Result', 'ips'), '[]*types100.IPConfig');
  if (ips) {
    r.ips = ips.map((x) => {
      const f = top.at('IPConfig', 'ips');
      const io = goFields(obj(x, f, 'types100.IPConfig')!, ['address', 'gateway', 'interface']);
      const c: NonNullable<Result100['ips']>[number] = { address: requiredCIDR(io['address'], f.at('IPConfig', 'address')) };
      set(c, 'gateway', ip(io['gateway'], f.at('IPConfig', 'gateway')));
      set(c, 'interface', int(io['interface'], f.at('IPConfig', 'interface')));
      return c;
    });
  }
  set(r, 'routes', routes(o['routes'], top));
  set(r, 'dns', dns(o['dns'], top));
  return r;
}

function decode040(raw: Obj): Result040 {
  const o = goFields(raw, TOP_FIELDS);
  const top = new Field('Result', '');
  const r: Result040 = { cniVersion: str(o['cniVersion'], top.at('Result', 'cniVersion')) ?? '' };
  const ifs = arr(o['interfaces'], top.at('Result', 'interfaces'), '[]*types040.Interface');
  if (ifs) {
    r.interfaces = ifs.map((x) => {
      const f = top.at('Interface', 'interfaces');
      const io = goFields(obj(x, f, 'types040.Interface')!, ['name', 'mac', 'sandbox']);
      const i: NonNullable<Result040['interfaces']>[number] = { name: str(io['name'], f.at('Interface', 'name')) ?? '' };
      set(i, 'mac', str(io['mac'], f.at('Interface', 'mac')));
      set(i, 'sandbox', str(io['sandbox'], f.at('Interface', 'sandbox')));
      return i;
    });
  }
  const ips = arr(o['ips'], top.at('Result', 'ips'), '[]*types040.IPConfig');
  if (ips) {
    r.ips = ips.map((x) => {
      const f = top.at('IPConfig', 'ips');
      const io = goFields(obj(x, f, 'types040.IPConfig')!, ['version', 'address', 'gateway', 'interface']);
      const c: NonNullable<Result040['ips']>[number] = {
        version: str(io['version'], f.at('IPConfig', 'version')) ?? '',
        address: requiredCIDR(io['address'], f.at('IPConfig', 'address')),
      };
      set(c, 'interface', int(io['interface'], f.at('IPConfig', 'interface')));
      set(c, 'gateway', ip(io['gateway'], f.at('IPConfig', 'gateway')));
      return c;
    });
  }
  set(r, 'routes', routes(o['routes'], top));
  set(r, 'dns', dns(o['dns'], top));
  return r;
}

function decode020(raw: Obj): Result020 {
  const o = goFields(raw, ['cniVersion', 'ip4', 'ip6', 'dns']);
  const top = new Field('Result', '');
  const r: Result020 = { cniVersion: str(o['cniVersion'], top.at('Result', 'cniVersion')) ?? '' };
  for (const key of ['ip4', 'ip6'] as const) {
    const f = top.at('IPConfig', key);
    const rawIP = obj(o[key], f, 'types020.IPConfig');
    if (!rawIP) continue;
    const io = goFields(rawIP, ['ip', 'gateway', 'routes']);
    const c: IPConfig020 = { ip: requiredCIDR(io['ip'], f.at('IPConfig', 'ip')) };
    set(c, 'gateway', ip(io['gateway'], f.at('IPConfig', 'gateway')));
    set(c, 'routes', arr(io['routes'], f.at('IPConfig', 'routes'), '[]types.Route')?.map((x) => route(x, f.at('Route', 'routes'))));
    r[key] = c;
  }
  set(r, 'dns', dns(o['dns'], top));
  return r;
}

/**
 * Creates a result of the given version's shape from JSON, as the reference's
 * `create.Create`: the JSON's own `cniVersion` must belong to that shape.
 *
 * @example createResult('1.1.0', '{"cniVersion":"1.1.0","ips":[{"address":"10.0.0.2/24"}]}')
 */
export function createResult(version: string, input: string | Uint8Array | JsonValue): Result {
  const family = familyOf(version);
  if (!family) throw new Error(`unsupported CNI result version ${goQuote(version)}`);
  const raw = typeof input === 'string' || input instanceof Uint8Array ? parseJson(input) : input;
  if (raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new Error(`json: cannot unmarshal ${jsonTypeName(raw)} into Go value of type ${GO_RESULT_TYPE[family]}`);
  }
  const o = raw ?? {};
  const result = family === '1.0.0' ? decode100(o) : family === '0.4.0' ? decode040(o) : decode020(o);
  if (family === '0.2.0' && result.cniVersion === '') result.cniVersion = '0.1.0';
  const supported = FAMILY_VERSIONS[family];
  if (!supported.includes(result.cniVersion)) {
    // The reference's 0.1.0/0.2.0 list starts with "", which shows as a leading space.
    const listed = family === '0.2.0' ? ['', ...supported] : supported;
    throw new Error(`result type supports [${listed.join(' ')}] but unmarshalled CNIVersion is ${goQuote(result.cniVersion)}`);
  }
  return result;
}

/**
 * Creates a result from JSON whose own `cniVersion` (0.1.0 when absent) picks the shape,
 * as the reference's `create.CreateFromBytes`.
 *
 * @example resultFromBytes('{}') // { cniVersion: '0.1.0' }
 */
export function resultFromBytes(input: string | Uint8Array): Result {
  return createResult(decodeVersion(input), input);
}

/**
 * Reads a result in whatever version it carries, from an already-parsed JSON value.
 *
 * @example resultFromJSON({ cniVersion: '0.4.0', ips: [] }).cniVersion // '0.4.0'
 */
export function resultFromJSON(value: JsonValue): Result {
  const o = value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
  const v = goFields(o, ['cniVersion'])['cniVersion'];
  return createResult(typeof v === 'string' && v !== '' ? v : '0.1.0', value);
}
