/**
 * Network configuration: the configuration list (`.conflist`), plugin configuration objects,
 * legacy single-plugin configs (`.conf`/`.json`) and the injection of runtime keys, parsed and
 * re-marshalled exactly as the reference's libcni does (its messages included).
 */
import { goMarshalSorted, goQuote, parseJson, parseJsonObject, type JsonObject, type JsonValue } from './gojson.js';
import type { DNS } from './result-types.js';
import { CURRENT_VERSION, greaterThan } from './version.js';

/** A plugin configuration object. Keys the spec does not name are kept as they are. */
export interface PluginConf {
  cniVersion?: string;
  name?: string;
  type: string;
  capabilities?: Record<string, boolean>;
  ipam?: { type?: string; [key: string]: unknown };
  dns?: DNS;
  runtimeConfig?: Record<string, unknown>;
  args?: Record<string, unknown>;
  prevResult?: JsonObject;
  [key: string]: unknown;
}

/** A plugin configuration with the bytes it was read from (what the plugin gets on stdin). */
export interface PluginConfig {
  network: PluginConf;
  bytes: Uint8Array;
}

/** A network configuration (configuration list). */
export interface NetworkConfigList {
  name: string;
  /** The selected version: the highest of `cniVersion` and `cniVersions` up to 1.1.0. */
  cniVersion: string;
  disableCheck: boolean;
  disableGC: boolean;
  loadOnlyInlinedPlugins: boolean;
  plugins: PluginConfig[];
  /** The bytes the list was read from (what the result cache stores). */
  bytes: Uint8Array;
}

const encoder = new TextEncoder();

/**
 * The bytes of a config given as text or bytes.
 *
 * @example toBytes('{}') // Uint8Array [123, 125]
 */
export function toBytes(input: string | Uint8Array): Uint8Array {
  return typeof input === 'string' ? encoder.encode(input) : input;
}

/**
 * Go's %T of a value decoded into interface{}.
 *
 * @example goTypeOf(1.5) // 'float64'
 */
export function goTypeOf(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'object') return 'map[string]interface {}';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

/** Go's UnmarshalTypeError: it names the innermost struct and the path of JSON keys to it. */
function fieldError(v: unknown, struct: string, path: string, goType: string): Error {
  return new Error(`json: cannot unmarshal ${jsonKind(v)} into Go struct field ${struct}.${path} of type ${goType}`);
}

const isObject = (v: JsonValue): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

function checkString(v: JsonValue | undefined, struct: string, path: string): void {
  if (v !== undefined && v !== null && typeof v !== 'string') throw fieldError(v, struct, path, 'string');
}

function checkStringList(v: JsonValue | undefined, struct: string, path: string): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) throw fieldError(v, struct, path, '[]string');
  for (const x of v) checkString(x, struct, path);
}

/** The keys the reference's PluginConf struct declares, with the checks Go's decoder makes. */
const PLUGIN_CONF_FIELDS: Record<string, (v: JsonValue) => void> = {
  cniVersion: (v) => checkString(v, 'PluginConf', 'cniVersion'),
  name: (v) => checkString(v, 'PluginConf', 'name'),
  type: (v) => checkString(v, 'PluginConf', 'type'),
  capabilities: (v) => {
    if (v === null) return;
    if (!isObject(v)) throw fieldError(v, 'PluginConf', 'capabilities', 'map[string]bool');
    for (const x of Object.values(v)) {
      if (x !== null && typeof x !== 'boolean') throw fieldError(x, 'PluginConf', 'capabilities', 'bool');
    }
  },
  ipam: (v) => {
    if (v === null) return;
    if (!isObject(v)) throw fieldError(v, 'PluginConf', 'ipam', 'types.IPAM');
    checkString(v['type'], 'IPAM', 'ipam.type');
  },
  dns: (v) => {
    if (v === null) return;
    if (!isObject(v)) throw fieldError(v, 'PluginConf', 'dns', 'types.DNS');
    for (const [key, x] of Object.entries(v)) {
      if (key === 'domain') checkString(x, 'DNS', 'dns.domain');
      else if (key === 'nameservers' || key === 'search' || key === 'options') checkStringList(x, 'DNS', `dns.${key}`);
    }
  },
  prevResult: (v) => {
    if (v !== null && !isObject(v)) throw fieldError(v, 'PluginConf', 'prevResult', 'map[string]interface {}');
  },
  'cni.dev/valid-attachments': (v) => {
    const path = 'cni.dev/valid-attachments';
    if (v === null) return;
    if (!Array.isArray(v)) throw fieldError(v, 'PluginConf', path, '[]types.GCAttachment');
    for (const a of v) {
      if (a === null) continue;
      if (!isObject(a)) throw fieldError(a, 'PluginConf', path, 'types.GCAttachment');
      checkString(a['containerID'], 'GCAttachment', `${path}.containerID`);
      checkString(a['ifname'], 'GCAttachment', `${path}.ifname`);
    }
  },
};

/** Go reports the first mistyped field in input order. */
function checkPluginConfTypes(o: JsonObject): void {
  for (const [key, v] of Object.entries(o)) {
    if (Object.prototype.hasOwnProperty.call(PLUGIN_CONF_FIELDS, key)) PLUGIN_CONF_FIELDS[key]!(v);
  }
}

/**
 * Parses one plugin configuration object, as libcni's NetworkPluginConfFromBytes: valid
 * JSON with a non-empty `type`.
 *
 * @example pluginConfFromBytes('{"type":"bridge","bridge":"cni0"}').network.bridge // 'cni0'
 */
export function pluginConfFromBytes(input: string | Uint8Array): PluginConfig {
  const bytes = toBytes(input);
  let o: JsonObject;
  try {
    const raw = parseJson(bytes);
    if (raw !== null && !isObject(raw)) throw new Error(`json: cannot unmarshal ${jsonKind(raw)} into Go value of type types.PluginConf`);
    o = raw ?? {};
    checkPluginConfTypes(o);
  } catch (e) {
    throw new Error(`error parsing configuration: ${(e as Error).message}`);
  }
  if (typeof o['type'] !== 'string' || o['type'] === '') throw new Error(`error parsing configuration: missing 'type'`);
  return { network: o as PluginConf, bytes };
}

/** A legacy single-plugin config (`.conf`/`.json`); the same rules as a plugin object. */
export const confFromBytes = pluginConfFromBytes;

/**
 * Parses a configuration list as libcni's NetworkConfFromBytes. A list without a `plugins`
 * key comes back with no plugins (the loader then looks in the network's subfolder).
 *
 * @example networkConfFromBytes('{"cniVersion":"1.1.0","name":"n","plugins":[{"type":"loopback"}]}')
 */
export function networkConfFromBytes(input: string | Uint8Array): NetworkConfigList {
  const bytes = toBytes(input);
  const fail = (msg: string): Error => new Error(`error parsing configuration list: ${msg}`);
  let raw: JsonObject;
  try {
    raw = parseJsonObject(bytes);
  } catch (e) {
    throw fail((e as Error).message);
  }
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(raw, k);

  if (!has('name')) throw fail('no name');
  const name = raw['name'];
  if (typeof name !== 'string') throw fail(`invalid name type ${goTypeOf(name)}`);

  let cniVersion = '';
  if (has('cniVersion')) {
    const v = raw['cniVersion'];
    if (typeof v !== 'string') throw fail(`invalid cniVersion type ${goTypeOf(v)}`);
    cniVersion = v;
  }

  if (has('cniVersions')) {
    const rvs = raw['cniVersions'];
    if (!Array.isArray(rvs)) throw fail('invalid type for cniVersions: []interface {}');
    const candidates: string[] = [];
    rvs.forEach((rv, idx) => {
      if (typeof rv !== 'string') throw fail(`invalid type for cniVersions index ${idx}: ${goTypeOf(rv)}`);
      let gt: boolean;
      try {
        gt = greaterThan(rv, CURRENT_VERSION);
      } catch (e) {
        throw fail(`invalid cniVersions entry ${rv} at index ${idx}: ${(e as Error).message}`);
      }
      if (!gt) candidates.push(rv);
    });
    if (cniVersion !== '') {
      let gt: boolean;
      try {
        gt = greaterThan(cniVersion, CURRENT_VERSION);
      } catch (e) {
        throw fail(`invalid cniVersion ${cniVersion}: ${(e as Error).message}`);
      }
      if (!gt) candidates.push(cniVersion);
    }
    if (candidates.length > 0) cniVersion = candidates.reduce((best, c) => (greaterThan(c, best) ? c : best));
  }

  const readBool = (key: string): boolean => {
    if (!has(key)) return false;
    const v = raw[key];
    if (typeof v === 'boolean') return v;
    if (typeof v !== 'string') throw fail(`invalid type ${goTypeOf(v)} for ${key}`);
    const s = v.toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
    throw fail(`invalid value ${goQuote(s)} for ${key}`);
  };
  const list: NetworkConfigList = {
    name,
    cniVersion,
    disableCheck: readBool('disableCheck'),
    disableGC: readBool('disableGC'),
    loadOnlyInlinedPlugins: readBool('loadOnlyInlinedPlugins'),
    plugins: [],
    bytes,
  };

  if (!has('plugins')) {
    if (list.loadOnlyInlinedPlugins) throw fail("`loadOnlyInlinedPlugins` is true, and no 'plugins' key");
    return list;
  }
  const plugins = raw['plugins'];
  if (!Array.isArray(plugins)) throw fail(`invalid 'plugins' type ${goTypeOf(plugins)}`);
  if (plugins.length === 0) throw fail('no plugins in list');
  plugins.forEach((p, idx) => {
    try {
      list.plugins.push(pluginConfFromBytes(goMarshalSorted(p)));
    } catch (e) {
      throw new Error(`failed to parse plugin config ${idx}: ${(e as Error).message}`);
    }
  });
  return list;
}

/**
 * Up-converts a legacy single-plugin config to a list of one, as libcni's ConfListFromConf:
 * only `name` and `cniVersion` are carried to the list.
 *
 * @example confListFromConf(pluginConfFromBytes('{"name":"n","type":"bridge"}')).plugins.length // 1
 */
export function confListFromConf(conf: PluginConfig): NetworkConfigList {
  const raw = parseJsonObject(conf.bytes);
  return networkConfFromBytes(
    goMarshalSorted({ name: conf.network.name ?? '', cniVersion: conf.network.cniVersion ?? '', plugins: [raw] }),
  );
}

/**
 * Sets top-level keys of a plugin config and re-marshals it the way libcni does (keys
 * sorted, compact). Empty keys and null/undefined values are refused. A `RawJson` value
 * is written as it is, as the reference writes a value that marshals itself (a 0.x
 * prevResult keeps its struct key order).
 *
 * @example injectConf(plugin, { name: 'net', cniVersion: '1.1.0' })
 */
export function injectConf(original: PluginConfig, values: Record<string, unknown>): PluginConfig {
  let config: JsonObject;
  try {
    config = parseJsonObject(original.bytes);
  } catch (e) {
    throw new Error(`unmarshal existing network bytes: ${(e as Error).message}`);
  }
  for (const [key, value] of Object.entries(values)) {
    if (key === '') throw new Error('keys cannot be empty');
    if (value === null || value === undefined) throw new Error(`key '${key}' value must not be nil`);
    config[key] = value as JsonValue;
  }
  return pluginConfFromBytes(goMarshalSorted(config));
}
