/**
 * The static IPAM plugin's configuration, read as the reference's LoadIPAMConfig reads it:
 * `ipam.addresses`, `ipam.routes` and `ipam.dns` from the network config, addresses appended
 * from CNI_ARGS `IP` (with `GATEWAY`), then replaced by `args.cni.ips`, then replaced again by
 * `runtimeConfig.ips`. Values that do not parse get the reference's messages, with the field in
 * `details`; the codes are chosen (7 for the network config, 4 for CNI_ARGS) where the
 * reference answers everything with 999. A field of the wrong JSON type is a ConfigError
 * naming it, where the reference prints Go's unmarshal error.
 */
import { ConfigError, ConfigReader, parseConfig } from '@tscni/skel';
import { loadArgs } from '@tscni/spec/args';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import type { JsonObject, JsonValue } from '@tscni/spec/gojson';
import { formatCIDR, formatIP, parseCIDR, parseIP, toIPv4, type CIDR, type IPBytes } from '@tscni/spec/ip';
import type { DNS, Route } from '@tscni/spec/result-types';

/** One address the plugin hands out: the CIDR with its host bits, and its gateway if any. */
export interface StaticAddress {
  cidr: CIDR;
  gateway?: IPBytes;
}

export interface StaticConfig {
  /** The config's `cniVersion` as written (`''` when absent). */
  cniVersion: string;
  addresses: StaticAddress[];
  routes: Route[];
  dns: DNS;
}

/** An `ipam.addresses` entry before validation: the reference parses its CIDR only if no later source replaced it. */
interface ConfiguredAddress {
  text: string;
  gateway?: IPBytes;
}

/** Reads an object nested in an array with its own reader, naming its place in errors. */
function readElement<T>(path: string, value: JsonObject, read: (c: ConfigReader) => T): T {
  try {
    return read(new ConfigReader(value));
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(e.path === '' ? path : `${path}.${e.path}`, e.reason);
    throw e;
  }
}

/** The objects of an optional array field; a `null` element reads as `{}` when `nullAsEmpty`, as Go fills a struct. */
function objectList(c: ConfigReader, path: string, nullAsEmpty: boolean): JsonObject[] {
  const list = c.get(path);
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) c.fail(path, `expected an array, got ${describe(list)}`);
  return list.map((v, i) => {
    if (v === null && nullAsEmpty) return {};
    if (v === null || typeof v !== 'object' || Array.isArray(v)) c.fail(`${path}.${i}`, `expected an object, got ${describe(v)}`);
    return v;
  });
}

function describe(v: JsonValue): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function invalidConfig(msg: string, where?: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg, where ?? '');
}

/** net.IP's UnmarshalText: empty means none, anything else must be an address. */
function readIP(c: ConfigReader, key: string, where: string): IPBytes | undefined {
  const text = c.optionalString(key);
  if (text === undefined || text === '') return undefined;
  const ip = parseIP(text);
  if (!ip) throw invalidConfig(`invalid IP address: ${text}`, where);
  return ip;
}

function readRoute(c: ConfigReader, where: string): Route {
  // A route without a destination is meaningless; the reference prints it as "<nil>".
  const dstText = c.string('dst');
  const dst = parseCIDR(dstText);
  if (!dst) throw invalidConfig(`invalid CIDR address: ${dstText}`, `${where}.dst`);
  const route: Route = { dst: formatCIDR(dst) };
  const gw = readIP(c, 'gw', `${where}.gw`);
  if (gw) route.gw = formatIP(gw);
  // The fields spec 1.1.0 added to routes, carried over as the reference (v1.2+) does.
  for (const key of ['mtu', 'advmss', 'priority', 'table', 'scope'] as const) {
    const n = c.has(key) ? c.integer(key) : undefined;
    if (n !== undefined) route[key] = n;
  }
  return route;
}

function readDNS(c: ConfigReader): DNS {
  const dns: DNS = {};
  for (const key of ['nameservers', 'search', 'options'] as const) {
    const list = c.has(`ipam.dns.${key}`) ? c.stringArray(`ipam.dns.${key}`) : [];
    if (list.length > 0) dns[key] = list;
  }
  const domain = c.optionalString('ipam.dns.domain');
  if (domain) dns.domain = domain;
  return dns;
}

interface RawConfig {
  cniVersion: string;
  hasIpam: boolean;
  configured: ConfiguredAddress[];
  routes: Route[];
  dns: DNS;
  argsIPs: string[];
  runtimeIPs: string[];
}

function readRaw(c: ConfigReader): RawConfig {
  const hasIpam = c.has('ipam');
  if (hasIpam) {
    c.object('ipam');
    c.optionalString('ipam.type');
    c.optionalString('ipam.name');
  }
  const configured = objectList(c, 'ipam.addresses', true).map((o, i) =>
    readElement(`ipam.addresses.${i}`, o, (a) => {
      const gateway = readIP(a, 'gateway', `ipam.addresses.${i}.gateway`);
      return { text: a.string('address', ''), ...(gateway ? { gateway } : {}) };
    }),
  );
  const routes = objectList(c, 'ipam.routes', false).map((o, i) => readElement(`ipam.routes.${i}`, o, (r) => readRoute(r, `ipam.routes.${i}`)));
  return {
    cniVersion: c.string('cniVersion', ''),
    hasIpam,
    configured,
    routes,
    dns: hasIpam ? readDNS(c) : {},
    argsIPs: c.stringArray('args.cni.ips', []),
    runtimeIPs: c.stringArray('runtimeConfig.ips', []),
  };
}

/** IPNet.Contains: same family and the same network bits. */
function contains(net: CIDR, ip: IPBytes): boolean {
  const a = toIPv4(net.ip) ?? net.ip;
  const b = toIPv4(ip) ?? ip;
  if (a.length !== b.length) return false;
  const bits = net.ip.length === 16 && a.length === 4 ? Math.max(net.prefix - 96, 0) : net.prefix;
  for (let k = 0; k < a.length; k++) {
    const mask = bits >= 8 * (k + 1) ? 0xff : bits <= 8 * k ? 0 : (0xff << (8 - (bits - 8 * k))) & 0xff;
    if ((a[k]! & mask) !== (b[k]! & mask)) return false;
  }
  return true;
}

function badArgs(msg: string): CniError {
  return new CniError(ErrorCode.InvalidEnvironmentVariables, msg, 'CNI_ARGS');
}

/**
 * The addresses CNI_ARGS asks for: `IP` is a comma-separated list of CIDRs, `GATEWAY` a list
 * of gateways, each set on every one of those addresses whose subnet holds it. As in the
 * reference, the configured addresses never take a GATEWAY (they are not parsed yet then).
 */
function addressesFromCniArgs(cniArgs: string): StaticAddress[] {
  if (cniArgs === '') return [];
  let env: { IP?: string; GATEWAY?: string };
  try {
    env = loadArgs(cniArgs, { IP: (v) => v, GATEWAY: (v) => v });
  } catch (e) {
    throw badArgs((e as Error).message);
  }
  const out: StaticAddress[] = [];
  for (const item of env.IP ? env.IP.split(',') : []) {
    const text = item.trim();
    const cidr = parseCIDR(text);
    if (!cidr) throw badArgs(`the 'ip' field is expected to be in CIDR notation, got: '${text}'`);
    out.push({ cidr });
  }
  for (const item of env.GATEWAY ? env.GATEWAY.split(',') : []) {
    const gw = parseIP(item.trim());
    if (!gw) throw badArgs(`invalid gateway address: ${item}`);
    for (const a of out) if (contains(a.cidr, gw)) a.gateway = gw;
  }
  return out;
}

function addressesFromIPs(list: readonly string[], where: string): StaticAddress[] {
  return list.map((text) => {
    const cidr = parseCIDR(text);
    if (!cidr) throw invalidConfig(`an entry in the 'ips' field is NOT in CIDR notation, got: '${text}'`, where);
    return { cidr };
  });
}

function familyOf(a: StaticAddress): 4 | 6 {
  return toIPv4(a.cidr.ip) ? 4 : 6;
}

/**
 * Reads the static plugin's config from the request config and CNI_ARGS, in the reference's
 * order of sources and of errors.
 *
 * @example
 *   const conf = loadStaticConfig('{"cniVersion":"1.0.0","name":"n","ipam":{"type":"static","addresses":[{"address":"10.0.0.5/24"}]}}', 'IP=10.1.0.5/16');
 *   conf.addresses.length // 2
 */
export function loadStaticConfig(stdinData: Uint8Array | string, cniArgs: string): StaticConfig {
  const raw = parseConfig(stdinData, readRaw);
  if (!raw.hasIpam) throw invalidConfig("IPAM config missing 'ipam' key");

  let pending: (ConfiguredAddress | StaticAddress)[] = [...raw.configured, ...addressesFromCniArgs(cniArgs)];
  if (raw.argsIPs.length > 0) pending = addressesFromIPs(raw.argsIPs, 'args.cni.ips');
  if (raw.runtimeIPs.length > 0) pending = addressesFromIPs(raw.runtimeIPs, 'runtimeConfig.ips');

  const addresses = pending.map((a, i): StaticAddress => {
    if ('cidr' in a) return a;
    const cidr = parseCIDR(a.text);
    if (!cidr) throw invalidConfig(`the 'address' field is expected to be in CIDR notation, got: '${a.text}'`, `ipam.addresses.${i}.address`);
    return a.gateway ? { cidr, gateway: a.gateway } : { cidr };
  });

  const v4 = addresses.filter((a) => familyOf(a) === 4).length;
  if ((v4 > 1 || addresses.length - v4 > 1) && ['', '0.1.0', '0.2.0'].includes(raw.cniVersion)) {
    throw invalidConfig(`CNI version ${raw.cniVersion} does not support more than 1 address per family`);
  }
  return { cniVersion: raw.cniVersion, addresses, routes: raw.routes, dns: raw.dns };
}
