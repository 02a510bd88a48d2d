/**
 * The delegate's network config, rendered from flannel's own config and subnet.env exactly
 * as the reference renders it: the user's `delegate` map (its keys case-sensitive, as in a Go
 * map) completed with the keys it lacks, an `ipam` map whose ranges are the node's subnets
 * and whose routes are the user's plus one per cluster network, and the bytes Go's
 * json.Marshal gives for that map (compact, keys sorted; routes in types.Route's field
 * order, which is how they are stored on disk and what a DEL reads back).
 */
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { goMarshal, goMarshalSorted, jsonTypeName, RawJson, type JsonObject, type JsonValue } from '@tscni/spec/gojson';
import { canonicalIP, formatCIDR, parseCIDR } from '@tscni/spec/ip';
import type { SubnetEnv } from './subnet-env.js';

/** flannel's config, as parsed from stdin. */
export interface FlannelConf {
  name: string;
  /** `''` when the config has none: the delegate then keeps its own, if any. */
  cniVersion: string;
  delegate?: JsonObject;
  ipam?: JsonObject;
  runtimeConfig?: JsonObject;
}

/** The rendered delegate: the plugin to run and the config it reads on stdin. */
export interface DelegateConf {
  type: string;
  /** Compact JSON, byte for byte the reference's (and the stored file's content). */
  bytes: string;
}

const has = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

const configError = (msg: string): CniError => new CniError(ErrorCode.InvalidNetworkConfig, msg);

/**
 * Refuses what the reference refuses in `delegate`, with its messages: a `type` that is not
 * a string, and `name` or `ipam`, which flannel sets itself.
 *
 * @example checkDelegate({ name: 'x' }) // throws "'delegate' dictionary must not have 'name' field, it'll be set by flannel"
 */
export function checkDelegate(delegate: JsonObject | undefined): void {
  if (delegate === undefined) return;
  if (has(delegate, 'type') && typeof delegate['type'] !== 'string') throw configError("'delegate' dictionary, if present, must have (string) 'type' field");
  if (has(delegate, 'name')) throw configError("'delegate' dictionary must not have 'name' field, it'll be set by flannel");
  if (has(delegate, 'ipam')) throw configError("'delegate' dictionary must not have 'ipam' field, it'll be set by flannel");
}

/** A struct field as Go's decoder fills it: any key equal without regard to case, the last winning. */
function goField(o: JsonObject, name: string): JsonValue | undefined {
  let found: JsonValue | undefined;
  for (const key of Object.keys(o)) if (key.toLowerCase() === name && o[key] !== null) found = o[key];
  return found;
}

function intField(o: JsonObject, name: string): number | undefined {
  const v = goField(o, name);
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    const what = typeof v === 'number' ? `number ${v}` : jsonTypeName(v);
    throw new Error(`json: cannot unmarshal ${what} into Go struct field route.${name} of type int`);
  }
  return v;
}

/**
 * One of the user's `ipam.routes` as the reference re-serialises it through types.Route:
 * `dst` (host bits kept), `gw`, `mtu`, `advmss`, `priority` (omitted when empty), `table`,
 * `scope`, in that order. Unlike the reference, which writes a missing `dst` as `<nil>`
 * for host-local to reject, a route without one is refused here.
 */
function route(v: JsonValue): RawJson {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`json: cannot unmarshal ${jsonTypeName(v)} into Go value of type types.route`);
  const dst = goField(v, 'dst');
  if (dst === undefined) throw new Error('invalid CIDR address: missing dst');
  if (typeof dst !== 'string') throw new Error(`json: cannot unmarshal ${jsonTypeName(dst)} into Go value of type string`);
  const cidr = parseCIDR(dst);
  if (!cidr) throw new Error(`invalid CIDR address: ${dst}`);
  const out: Record<string, string | number> = { dst: formatCIDR(cidr) };
  const gw = goField(v, 'gw');
  if (gw !== undefined) {
    if (typeof gw !== 'string') throw new Error(`json: cannot unmarshal ${jsonTypeName(gw)} into Go struct field route.gw of type net.IP`);
    if (gw !== '') {
      const ip = canonicalIP(gw);
      if (ip === undefined) throw new Error(`invalid IP address: ${gw}`);
      out['gw'] = ip;
    }
  }
  for (const name of ['mtu', 'advmss', 'priority']) {
    const n = intField(v, name);
    if (n !== undefined && n !== 0) out[name] = n;
  }
  for (const name of ['table', 'scope']) {
    const n = intField(v, name);
    if (n !== undefined) out[name] = n;
  }
  return new RawJson(goMarshal(out));
}

function userRoutes(ipam: JsonObject): RawJson[] {
  if (!has(ipam, 'routes') || ipam['routes'] === null) return [];
  const routes = ipam['routes'];
  try {
    if (!Array.isArray(routes)) throw new Error(`json: cannot unmarshal ${jsonTypeName(routes)} into Go value of type []types.Route`);
    return routes.map(route);
  } catch (e) {
    throw configError(`failed to assemble Delegate IPAM: failed to read IPAM routes: failed to parse ipam.routes: ${(e as Error).message}`);
  }
}

/**
 * The delegate's `ipam`: the user's map (unknown keys kept), `type` host-local unless set,
 * `ranges` replaced by the node's subnets, `routes` the user's then the cluster networks.
 */
function delegateIpam(conf: FlannelConf, env: SubnetEnv): Record<string, unknown> {
  const ipam: Record<string, unknown> = { ...(conf.ipam ?? {}) };
  if (!has(conf.ipam ?? {}, 'type')) ipam['type'] = 'host-local';
  const ranges: { subnet: string }[][] = [];
  if (env.subnet !== undefined) ranges.push([{ subnet: env.subnet }]);
  if (env.ip6Subnet !== undefined) ranges.push([{ subnet: env.ip6Subnet }]);
  ipam['ranges'] = ranges;
  const cluster = [...env.networks, ...env.ip6Networks].map((dst) => new RawJson(goMarshal({ dst })));
  ipam['routes'] = [...userRoutes(conf.ipam ?? {}), ...cluster];
  return ipam;
}

/**
 * The delegate config for `conf` on a node whose subnet.env says `env`. Keys the user's
 * `delegate` already has are kept (even `null`), except `runtimeConfig` (flannel's own wins),
 * `cniVersion` (flannel's wins when set) and `name` (always flannel's network name).
 *
 * @example
 *   renderDelegate({ name: 'cni-flannel', cniVersion: '' }, env).bytes
 *   // '{"ipMasq":false,"ipam":{"ranges":[[{"subnet":"10.1.17.0/24"}]],"routes":[{"dst":"10.1.0.0/16"}],"type":"host-local"},"isGateway":true,"mtu":1472,"name":"cni-flannel","type":"bridge"}'
 */
export function renderDelegate(conf: FlannelConf, env: SubnetEnv): DelegateConf {
  checkDelegate(conf.delegate);
  const d: Record<string, unknown> = { ...(conf.delegate ?? {}) };
  if (conf.runtimeConfig !== undefined) d['runtimeConfig'] = conf.runtimeConfig;
  d['name'] = conf.name;
  if (!has(d, 'type')) d['type'] = 'bridge';
  // flanneld masquerades itself when FLANNEL_IPMASQ is true; then the delegate must not.
  if (!has(d, 'ipMasq')) d['ipMasq'] = !env.ipMasq;
  if (!has(d, 'mtu')) d['mtu'] = env.mtu;
  const type = d['type'] as string;
  if (type === 'bridge' && !has(d, 'isGateway')) d['isGateway'] = true;
  if (conf.cniVersion !== '') d['cniVersion'] = conf.cniVersion;
  d['ipam'] = delegateIpam(conf, env);
  return { type, bytes: goMarshalSorted(d) };
}
