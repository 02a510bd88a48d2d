/**
 * Results in the reference's bytes: 4-space indented JSON without a trailing newline;
 * 1.x with keys sorted at every level and an empty `dns` dropped, 0.x in struct order with
 * `"dns": {}` always present.
 */
import { compareGoStrings, goMarshalIndent, goQuote } from './gojson.js';
import { convertResult, effectiveVersion } from './result-convert.js';
import { familyOf, isDNSEmpty, type DNS, type Result, type Result020, type Result040, type Result100, type Route } from './result-types.js';

type Plain = Record<string, unknown>;

/** Adds a key only when present; `omitEmpty` drops "", 0 and [] as Go's omitempty does. */
function put(o: Plain, key: string, v: unknown, omitEmpty = true): void {
  if (v === undefined || v === null) return;
  if (omitEmpty && (v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0))) return;
  o[key] = v;
}

// Object key order is enough here: a result's keys are fixed names, never integer-like
// (those JS would enumerate first), so sorting them once keeps them sorted when printed.
function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v !== null && typeof v === 'object') {
    const out: Plain = {};
    for (const k of Object.keys(v).sort(compareGoStrings)) out[k] = sortDeep((v as Plain)[k]);
    return out;
  }
  return v;
}

function routeJSON(r: Route): Plain {
  const o: Plain = { dst: r.dst };
  put(o, 'gw', r.gw);
  put(o, 'mtu', r.mtu);
  put(o, 'advmss', r.advmss);
  put(o, 'priority', r.priority);
  put(o, 'table', r.table, false);
  put(o, 'scope', r.scope, false);
  return o;
}

function dnsJSON(d: DNS | undefined): Plain {
  const o: Plain = {};
  if (!d) return o;
  put(o, 'nameservers', d.nameservers);
  put(o, 'domain', d.domain);
  put(o, 'search', d.search);
  put(o, 'options', d.options);
  return o;
}

function json100(r: Result100, version: string): Plain {
  const o: Plain = {};
  put(o, 'cniVersion', version);
  put(
    o,
    'interfaces',
    r.interfaces?.map((i) => {
      const x: Plain = { name: i.name ?? '' };
      put(x, 'mac', i.mac);
      put(x, 'mtu', i.mtu);
      put(x, 'sandbox', i.sandbox);
      put(x, 'socketPath', i.socketPath);
      put(x, 'pciID', i.pciID);
      return x;
    }),
  );
  put(
    o,
    'ips',
    r.ips?.map((ip) => {
      const x: Plain = {};
      put(x, 'interface', ip.interface, false);
      x['address'] = ip.address;
      put(x, 'gateway', ip.gateway);
      return x;
    }),
  );
  put(o, 'routes', r.routes?.map(routeJSON));
  if (!isDNSEmpty(r.dns)) o['dns'] = dnsJSON(r.dns);
  return sortDeep(o) as Plain;
}

function json040(r: Result040, version: string): Plain {
  const o: Plain = {};
  put(o, 'cniVersion', version);
  put(
    o,
    'interfaces',
    r.interfaces?.map((i) => {
      const x: Plain = { name: i.name ?? '' };
      put(x, 'mac', i.mac);
      put(x, 'sandbox', i.sandbox);
      return x;
    }),
  );
  put(
    o,
    'ips',
    r.ips?.map((ip) => {
      const x: Plain = { version: ip.version ?? '' };
      put(x, 'interface', ip.interface, false);
      x['address'] = ip.address;
      put(x, 'gateway', ip.gateway);
      return x;
    }),
  );
  put(o, 'routes', r.routes?.map(routeJSON));
  o['dns'] = dnsJSON(r.dns);
  return o;
}

function json020(r: Result020, version: string): Plain {
  const o: Plain = {};
  put(o, 'cniVersion', version);
  for (const key of ['ip4', 'ip6'] as const) {
    const c = r[key];
    if (!c) continue;
    const x: Plain = { ip: c.ip };
    put(x, 'gateway', c.gateway);
    put(x, 'routes', c.routes?.map(routeJSON));
    o[key] = x;
  }
  o['dns'] = dnsJSON(r.dns);
  return o;
}

/**
 * The JSON object a result prints as, with the reference's key order and omissions.
 *
 * @example Object.keys(resultToJSON({ cniVersion: '0.4.0' })) // ['cniVersion', 'dns']
 */
export function resultToJSON(result: Result): Plain {
  // A result without a version prints without one, in the shape it would convert as.
  const version = result.cniVersion;
  const family = familyOf(effectiveVersion(result));
  if (family === '1.0.0') return json100(result as Result100, version);
  if (family === '0.4.0') return json040(result as Result040, version);
  if (family === '0.2.0') return json020(result as Result020, version);
  throw new Error(`unsupported CNI result version ${goQuote(version)}`);
}

/**
 * A result's bytes as the reference prints them.
 *
 * @example process.stdout.write(printResult(result))
 */
export function printResult(result: Result): string {
  return goMarshalIndent(resultToJSON(result));
}

/**
 * Converts a result to `version` and prints it, as the reference's `types.PrintResult`.
 *
 * @example process.stdout.write(printResultAs(result, conf.cniVersion))
 */
export function printResultAs(result: Result, version: string): string {
  return printResult(convertResult(result, version));
}
