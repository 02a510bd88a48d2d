/**
 * Conversion between result versions: the reference's complete matrix, with its lossy
 * steps and its two refusals worded as it words them.
 */
import { ipFamily, parseCIDR } from './ip.js';
import {
  familyOf,
  type IPConfig020,
  type Result,
  type Result020,
  type Result040,
  type Result100,
  type Route,
} from './result-types.js';
import { CURRENT_VERSION } from './version.js';

const clone = <T>(v: T): T => structuredClone(v);

function cidrFamily(cidr: string): 4 | 6 {
  const c = parseCIDR(cidr);
  return c ? ipFamily(c.ip) : 6;
}

function from02xTo040(r: Result020, version: string): Result040 {
  const out: Result040 = { cniVersion: version };
  const ips: NonNullable<Result040['ips']> = [];
  const routes: Route[] = [];
  for (const [key, v] of [['ip4', '4'], ['ip6', '6']] as const) {
    const c = r[key];
    if (!c) continue;
    const ip: NonNullable<Result040['ips']>[number] = { version: v, address: c.ip };
    if (c.gateway !== undefined) ip.gateway = c.gateway;
    ips.push(ip);
    for (const rt of c.routes ?? []) routes.push(clone(rt));
  }
  if (ips.length) out.ips = ips;
  if (routes.length) out.routes = routes;
  if (r.dns) out.dns = clone(r.dns);
  return out;
}

function from040To02x(r: Result040, version: string): Result020 {
  const out: Result020 = { cniVersion: version };
  for (const ip of r.ips ?? []) {
    const key = ip.version === '4' ? 'ip4' : ip.version === '6' ? 'ip6' : undefined;
    if (key && !out[key]) {
      const c: IPConfig020 = { ip: ip.address };
      if (ip.gateway !== undefined) c.gateway = ip.gateway;
      out[key] = c;
    }
    if (out.ip4 && out.ip6) break;
  }
  for (const rt of r.routes ?? []) {
    const target = cidrFamily(rt.dst) === 4 ? out.ip4 : out.ip6;
    if (!target) continue;
    const kept: Route = { dst: rt.dst };
    if (rt.gw !== undefined) kept.gw = rt.gw;
    (target.routes ??= []).push(kept);
  }
  if (!out.ip4 && !out.ip6) throw new Error('cannot convert: no valid IP addresses');
  if (r.dns) out.dns = clone(r.dns);
  return out;
}

function from040To100(r: Result040, version: string): Result100 {
  const out: Result100 = { cniVersion: version };
  if (r.interfaces) out.interfaces = clone(r.interfaces);
  if (r.ips) {
    out.ips = r.ips.map((ip) => {
      const c: NonNullable<Result100['ips']>[number] = { address: ip.address };
      if (ip.gateway !== undefined) c.gateway = ip.gateway;
      if (ip.interface !== undefined) c.interface = ip.interface;
      return c;
    });
  }
  if (r.routes) out.routes = clone(r.routes);
  if (r.dns) out.dns = clone(r.dns);
  return out;
}

function from100To040(r: Result100, version: string): Result040 {
  const out: Result040 = { cniVersion: version };
  if (r.interfaces) {
    out.interfaces = r.interfaces.map((i) => {
      const c: NonNullable<Result040['interfaces']>[number] = { name: i.name };
      if (i.mac !== undefined) c.mac = i.mac;
      if (i.sandbox !== undefined) c.sandbox = i.sandbox;
      return c;
    });
  }
  if (r.ips) {
    out.ips = r.ips.map((ip) => {
      const c: NonNullable<Result040['ips']>[number] = { version: cidrFamily(ip.address) === 4 ? '4' : '6', address: ip.address };
      if (ip.interface !== undefined) c.interface = ip.interface;
      if (ip.gateway !== undefined) c.gateway = ip.gateway;
      return c;
    });
  }
  if (r.routes) out.routes = clone(r.routes);
  if (r.dns) out.dns = clone(r.dns);
  return out;
}

/**
 * The version a result counts as. One built without a version counts as the newest version
 * of its shape, as the reference's GetAsVersion assumes: 0.2.0 with `ip4`/`ip6`, 0.4.0 when
 * its addresses carry a `version`, else the current version.
 *
 * @example effectiveVersion({ cniVersion: '', ip4: { ip: '10.0.0.2/24' } }) // '0.2.0'
 */
export function effectiveVersion(result: Result): string {
  if (result.cniVersion) return result.cniVersion;
  if ('ip4' in result || 'ip6' in result) return '0.2.0';
  const ips = (result as Result040).ips;
  if (ips?.some((ip) => ip !== null && typeof ip === 'object' && 'version' in ip)) return '0.4.0';
  return CURRENT_VERSION;
}

/**
 * Converts a result to another version. The same object comes back when the version is
 * already right; unknown versions and IP-less down-conversions to 0.1.0/0.2.0 throw.
 *
 * @example convertResult(result, '0.4.0').cniVersion // '0.4.0'
 */
export function convertResult(result: Result, toVersion: string): Result {
  const from = effectiveVersion(result);
  const to = toVersion === '' ? '0.1.0' : toVersion;
  if (from === to) return result.cniVersion === from ? result : { ...result, cniVersion: from };
  const src = familyOf(from);
  const dst = familyOf(to);
  if (!src || !dst) throw new Error(`no converter for CNI result version ${from} to ${to}`);
  if (src === dst) return { ...clone(result), cniVersion: to };
  if (src === '0.2.0') {
    const r040 = from02xTo040(result as Result020, dst === '0.4.0' ? to : '0.4.0');
    return dst === '0.4.0' ? r040 : from040To100(r040, to);
  }
  if (src === '0.4.0') {
    return dst === '0.2.0' ? from040To02x(result as Result040, to) : from040To100(result as Result040, to);
  }
  const r040 = from100To040(result as Result100, dst === '0.4.0' ? to : '0.4.0');
  return dst === '0.4.0' ? r040 : from040To02x(r040, to);
}

/**
 * A result in the current (1.1.0) shape, whatever version it came in.
 *
 * @example toCurrentResult(resultFromBytes(bytes)).cniVersion // '1.1.0'
 */
export function toCurrentResult(result: Result): Result100 {
  return convertResult(result, CURRENT_VERSION) as Result100;
}
