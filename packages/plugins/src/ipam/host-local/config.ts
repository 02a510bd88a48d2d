/**
 * host-local's view of the request config, as the reference's LoadIPAMConfig reads it: range
 * sets from `runtimeConfig.ipRanges`, the legacy single range and `ipam.ranges` (in that
 * order, each canonicalised and checked for overlaps), the requested IPs from CNI_ARGS `IP`,
 * `args.cni.ips` and `runtimeConfig.ips`, and the keys that shape the result.
 *
 * A value of the wrong JSON type is a ConfigError (code 7) naming its field. Everything the
 * reference checks itself fails with its own message and its code (999), since runtimes and
 * users match on those texts.
 */
import { ConfigError, ConfigReader, parseConfig } from '@tscni/skel/config';
import { loadArgs } from '@tscni/spec/args';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import type { JsonObject, JsonValue } from '@tscni/spec/gojson';
import { parseCIDR, parseIP } from '@tscni/spec/ip';
import { resultFromJSON } from '@tscni/spec/result-decode';
import type { Result100, Route } from '@tscni/spec/result-types';
import { greaterThanOrEqualTo } from '@tscni/spec/version';
import { addrFromBytes, formatAddr, parseAddr, type Addr } from './addr.js';
import { canonicalizeRangeSet, rangeSetsOverlap, type RangeInput, type RangeSet, type Subnet } from './range.js';

export const DEFAULT_DATA_DIR = '/var/lib/cni/networks';

export interface HostLocalConfig {
  /** The network name: the store's directory under dataDir. */
  name: string;
  cniVersion: string;
  dataDir: string;
  /** A resolv.conf to read the result's DNS from; '' for none. */
  resolvConf: string;
  routes?: Route[];
  /** Canonical range sets; the index of each names its `last_reserved_ip.<index>`. */
  rangeSets: RangeSet[];
  /** Requested addresses, without repeats, in the order CNI_ARGS, args, runtimeConfig. */
  requested: Addr[];
}

/**
 * A failure the reference reports with this text; code 999 as its skel gives untyped errors.
 *
 * @example throw referenceError('no IP ranges specified')
 */
export function referenceError(msg: string): CniError {
  return new CniError(ErrorCode.Internal, msg);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** net.IP's text form: empty means absent. */
function netIP(text: string | undefined): Addr | undefined {
  if (text === undefined || text === '') return undefined;
  const a = parseAddr(text);
  if (!a) throw referenceError(`invalid IP address: ${text}`);
  return a;
}

/** types.IPNet's text form: a CIDR with its host bits. */
function subnet(text: string): Subnet {
  const c = parseCIDR(text);
  if (!c) throw referenceError(`invalid CIDR address: ${text}`);
  return { ip: addrFromBytes(c.ip), prefix: c.prefix, maskBits: text.includes(':') ? 128 : 32 };
}

/** The reference's ip.IP (`<ip>[/<prefix>]`); undefined for '' (Go's nil IP). */
function requestedIP(text: string): Addr | undefined {
  if (text === '') return undefined;
  const ip = text.includes('/') ? parseCIDR(text)?.ip : parseIP(text);
  if (!ip) throw new Error(`invalid IP address ${text}`);
  return addrFromBytes(ip);
}

/** Reads an object found inside an array, keeping the full path in type errors. */
function within<T>(path: string, value: JsonValue, read: (r: ConfigReader) => T): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(path, `expected an object, got ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`);
  }
  try {
    return read(new ConfigReader(value));
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`${path}.${e.path}`, e.reason);
    throw e;
  }
}

function list(c: ConfigReader, path: string): JsonValue[] | undefined {
  const v = c.get(path);
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) c.fail(path, `expected an array, got ${typeof v === 'object' ? 'object' : typeof v}`);
  return v;
}

function rangeInput(c: ConfigReader, prefix = ''): RangeInput {
  const s = c.optionalString(`${prefix}subnet`);
  const out: RangeInput = {};
  if (s !== undefined) out.subnet = subnet(s);
  const start = netIP(c.optionalString(`${prefix}rangeStart`));
  const end = netIP(c.optionalString(`${prefix}rangeEnd`));
  const gw = netIP(c.optionalString(`${prefix}gateway`));
  if (start) out.rangeStart = start;
  if (end) out.rangeEnd = end;
  if (gw) out.gateway = gw;
  return out;
}

function rangeSets(c: ConfigReader, path: string): RangeInput[][] {
  return (list(c, path) ?? []).map((set, i) => {
    if (set === null) return [];
    if (!Array.isArray(set)) c.fail(`${path}.${i}`, `expected an array, got ${typeof set}`);
    return set.map((r, j) => within(`${path}.${i}.${j}`, r, (rc) => rangeInput(rc)));
  });
}

function requestedList(c: ConfigReader, path: string): (Addr | undefined)[] {
  const texts = c.has(path) ? c.stringArray(path) : [];
  return texts.map((t) => {
    try {
      return requestedIP(t);
    } catch (e) {
      throw referenceError(messageOf(e));
    }
  });
}

function routes(c: ConfigReader): Route[] | undefined {
  const v = list(c, 'ipam.routes');
  if (v === undefined) return undefined;
  try {
    // The result decoder reads routes exactly as the reference's types.Route does.
    return (resultFromJSON({ cniVersion: '1.1.0', routes: v }) as Result100).routes ?? [];
  } catch (e) {
    throw referenceError(messageOf(e));
  }
}

function envArgsIP(cniArgs: string): Addr | undefined {
  try {
    return loadArgs(cniArgs, { IP: requestedIP }).IP;
  } catch (e) {
    throw referenceError(messageOf(e));
  }
}

/**
 * Reads and checks host-local's config from the request.
 *
 * @example const conf = loadHostLocalConfig(args.stdinData, args.args); conf.rangeSets.length
 */
export function loadHostLocalConfig(stdinData: Uint8Array | string, cniArgs: string): HostLocalConfig {
  const raw = parseConfig(stdinData, (c) => {
    if (!c.has('ipam')) throw referenceError("IPAM config missing 'ipam' key");
    c.object('ipam');
    return {
      legacy: rangeInput(c, 'ipam.'),
      ranges: rangeSets(c, 'ipam.ranges'),
      runtimeRanges: rangeSets(c, 'runtimeConfig.ipRanges'),
      routes: routes(c),
      dataDir: c.string('ipam.dataDir', ''),
      resolvConf: c.string('ipam.resolvConf', ''),
      argsIPs: requestedList(c, 'args.cni.ips'),
      runtimeIPs: requestedList(c, 'runtimeConfig.ips'),
    };
  });

  const fromEnv = cniArgs === '' ? undefined : envArgsIP(cniArgs);
  const requested = new Map<string, Addr>();
  for (const ip of [...(fromEnv ? [fromEnv] : []), ...raw.argsIPs, ...raw.runtimeIPs]) {
    if (!ip) throw referenceError('cannot understand ip: IP <nil> not v4 nor v6');
    requested.set(formatAddr(ip), ip);
  }

  const inputs = [...raw.runtimeRanges, ...(raw.legacy.subnet ? [[raw.legacy]] : []), ...raw.ranges];
  if (inputs.length === 0) throw referenceError('no IP ranges specified');
  const sets = inputs.map((set, i) => {
    try {
      return canonicalizeRangeSet(set);
    } catch (e) {
      throw referenceError(`invalid range set ${i}: ${messageOf(e)}`);
    }
  });

  const v4 = sets.filter((s) => s[0]!.rangeStart.family === 4).length;
  if (v4 > 1 || sets.length - v4 > 1) {
    let ok = false;
    try {
      ok = greaterThanOrEqualTo(raw.cniVersion, '0.3.0');
    } catch {
      ok = false;
    }
    if (!ok) throw referenceError(`CNI version ${raw.cniVersion} does not support more than 1 address per family`);
  }
  for (let i = 0; i < sets.length; i++) {
    for (let j = i + 1; j < sets.length; j++) {
      if (rangeSetsOverlap(sets[i]!, sets[j]!)) throw referenceError(`range set ${i} overlaps with ${j}`);
    }
  }

  const conf: HostLocalConfig = {
    name: raw.name,
    cniVersion: raw.cniVersion,
    dataDir: raw.dataDir === '' ? DEFAULT_DATA_DIR : raw.dataDir,
    resolvConf: raw.resolvConf,
    rangeSets: sets,
    requested: [...requested.values()],
  };
  if (raw.routes) conf.routes = raw.routes;
  return conf;
}

