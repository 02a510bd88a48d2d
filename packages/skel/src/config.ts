/**
 * Typed reading of a plugin's request config: the keys every CNI config may carry, plus a
 * small reader for the plugin's own keys. Every failure is a CNI error naming the field.
 */
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { parseJsonObject, type JsonObject, type JsonValue } from '@tscni/spec/gojson';
import type { DNS } from '@tscni/spec/result-types';

/**
 * A config field that is missing or malformed: CNI code 7 (invalid network config) with the
 * field's dotted path in the message. Throw it from a handler for checks of your own.
 *
 * @example throw new ConfigError('ipam.subnet', 'must not overlap the host network');
 * // {"code": 7, "msg": "config field ipam.subnet: must not overlap the host network"}
 */
export class ConfigError extends CniError {
  readonly path: string;
  readonly reason: string;

  constructor(path: string, reason: string) {
    super(ErrorCode.InvalidNetworkConfig, `config field ${path}: ${reason}`);
    this.name = 'ConfigError';
    this.path = path;
    this.reason = reason;
  }
}

/** The keys the spec defines for every plugin config, checked for type. */
export interface NetConf {
  /** `''` when absent (the protocol then is 0.1.0). */
  cniVersion: string;
  name: string;
  /** `''` when absent. */
  type: string;
  capabilities?: Record<string, boolean>;
  ipam?: { type?: string; [key: string]: JsonValue | undefined };
  dns?: DNS;
  runtimeConfig?: JsonObject;
  args?: JsonObject;
  prevResult?: JsonObject;
}

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'null';

function kindOf(v: JsonValue): Kind {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v as Kind;
}

function withArticle(kind: Kind): string {
  return kind === 'object' || kind === 'array' ? `an ${kind}` : `a ${kind}`;
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

/**
 * A struct field as Go's encoding/json fills it: every key equal to the field name without
 * regard to case sets it, so the last such key wins (`"MTU"` sets `mtu`).
 */
function goField(o: JsonObject, name: string): JsonValue | undefined {
  const lower = name.toLowerCase();
  let found: JsonValue | undefined;
  for (const key of Object.keys(o)) if (key === name || key.toLowerCase() === lower) found = o[key];
  return found;
}

/**
 * Reads fields of a parsed config by dotted path (`ipam.subnet`), matching keys without
 * regard to case as the reference's Go structs do. A field that is absent or
 * `null` takes the fallback when one is given and is an error otherwise; a field of the
 * wrong type is always an error.
 *
 * @example
 *   const r = new ConfigReader({ mtu: 1400, ipam: { subnet: '10.1.0.0/16' } });
 *   r.number('mtu', 1500) // 1400
 *   r.string('ipam.subnet') // '10.1.0.0/16'
 *   r.string('bridge', 'cni0') // 'cni0'
 */
export class ConfigReader {
  constructor(readonly raw: JsonObject) {}

  /** The value at `path`, or undefined when it (or an object on the way) is absent. @example r.get('ipam.routes') */
  get(path: string): JsonValue | undefined {
    let at: JsonValue | undefined = this.raw;
    const parts = path.split('.');
    for (let i = 0; i < parts.length; i++) {
      if (at === undefined || at === null) return undefined;
      if (!isObject(at)) this.fail(parts.slice(0, i).join('.'), `expected an object, got ${kindOf(at)}`);
      at = goField(at, parts[i]!);
    }
    return at;
  }

  /** Whether `path` holds a value other than null. @example r.has('ipam') */
  has(path: string): boolean {
    const v = this.get(path);
    return v !== undefined && v !== null;
  }

  /** Throws the ConfigError for `path`. @example r.fail('ipam.subnet', 'too small for 2 addresses') */
  fail(path: string, reason: string): never {
    throw new ConfigError(path, reason);
  }

  private read<T>(path: string, kind: Kind, fallback: T | undefined, required: boolean): T | undefined {
    const v = this.get(path);
    if (v === undefined || v === null) {
      if (fallback === undefined && required) this.fail(path, `is required (${withArticle(kind)})`);
      return fallback;
    }
    if (kindOf(v) !== kind) this.fail(path, `expected ${withArticle(kind)}, got ${kindOf(v)}`);
    return v as T;
  }

  /** A string; required unless a fallback is given. @example r.string('bridge', 'cni0') */
  string(path: string, fallback?: string): string {
    return this.read<string>(path, 'string', fallback, true)!;
  }

  /** A string or undefined. @example r.optionalString('ipam.gateway') */
  optionalString(path: string): string | undefined {
    return this.read<string>(path, 'string', undefined, false);
  }

  /** A number; required unless a fallback is given. @example r.number('mtu', 1500) */
  number(path: string, fallback?: number): number {
    return this.read<number>(path, 'number', fallback, true)!;
  }

  /** A number or undefined. @example r.optionalNumber('mtu') */
  optionalNumber(path: string): number | undefined {
    return this.read<number>(path, 'number', undefined, false);
  }

  /** An integer within [min, max]; required unless a fallback is given. @example r.integer('mtu', { min: 576 }, 1500) */
  integer(path: string, range: { min?: number; max?: number } = {}, fallback?: number): number {
    const n = this.number(path, fallback);
    if (!Number.isInteger(n)) this.fail(path, `expected an integer, got ${n}`);
    if (range.min !== undefined && n < range.min) this.fail(path, `must be at least ${range.min}, got ${n}`);
    if (range.max !== undefined && n > range.max) this.fail(path, `must be at most ${range.max}, got ${n}`);
    return n;
  }

  /** A boolean; required unless a fallback is given. @example r.boolean('isGateway', false) */
  boolean(path: string, fallback?: boolean): boolean {
    return this.read<boolean>(path, 'boolean', fallback, true)!;
  }

  /** A boolean or undefined. @example r.optionalBoolean('hairpinMode') */
  optionalBoolean(path: string): boolean | undefined {
    return this.read<boolean>(path, 'boolean', undefined, false);
  }

  /** An object; required unless a fallback is given. @example r.object('ipam') */
  object(path: string, fallback?: JsonObject): JsonObject {
    return this.read<JsonObject>(path, 'object', fallback, true)!;
  }

  /** An object or undefined. @example r.optionalObject('runtimeConfig') */
  optionalObject(path: string): JsonObject | undefined {
    return this.read<JsonObject>(path, 'object', undefined, false);
  }

  /** A list of strings; required unless a fallback is given. @example r.stringArray('dns.nameservers', []) */
  stringArray(path: string, fallback?: string[]): string[] {
    const list = this.read<JsonValue[]>(path, 'array', fallback, true)!;
    list.forEach((v, i) => {
      if (typeof v !== 'string') this.fail(`${path}.${i}`, `expected a string, got ${kindOf(v)}`);
    });
    return list as string[];
  }

  /** One of fixed strings; required unless a fallback is given. @example r.oneOf('mode', ['l2', 'l3'] as const, 'l2') */
  oneOf<T extends string>(path: string, choices: readonly T[], fallback?: T): T {
    const v = this.string(path, fallback);
    if (!choices.includes(v as T)) this.fail(path, `must be one of ${choices.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  }

  /** The keys every plugin config may carry, type-checked. @example r.netConf().name */
  netConf(): NetConf {
    const conf: NetConf = {
      cniVersion: this.string('cniVersion', ''),
      name: this.string('name', ''),
      type: this.string('type', ''),
    };
    const caps = this.optionalObject('capabilities');
    if (caps) {
      for (const key of Object.keys(caps)) if (caps[key] !== null) this.boolean(`capabilities.${key}`);
      conf.capabilities = caps as Record<string, boolean>;
    }
    const ipam = this.optionalObject('ipam');
    if (ipam) {
      this.optionalString('ipam.type');
      conf.ipam = ipam;
    }
    const dns = this.optionalObject('dns');
    if (dns) {
      for (const key of ['nameservers', 'search', 'options']) if (this.has(`dns.${key}`)) this.stringArray(`dns.${key}`);
      this.optionalString('dns.domain');
      conf.dns = dns as DNS;
    }
    for (const key of ['runtimeConfig', 'args', 'prevResult'] as const) {
      const o = this.optionalObject(key);
      if (o) conf[key] = o;
    }
    return conf;
  }
}

/**
 * Parses a request config into its standard keys plus whatever `read` returns for the
 * plugin's own keys. Undecodable JSON is CNI code 6; a missing or mistyped field is a
 * ConfigError (code 7) naming the field.
 *
 * @example
 *   const conf = parseConfig(args.stdinData, (c) => ({ bridge: c.string('bridge', 'cni0'), mtu: c.optionalNumber('mtu') }));
 *   conf.name; conf.bridge; conf.mtu
 */
export function parseConfig(stdinData: Uint8Array | string): NetConf;
export function parseConfig<T extends object>(stdinData: Uint8Array | string, read: (c: ConfigReader) => T): Omit<NetConf, keyof T> & T;
export function parseConfig<T extends object>(stdinData: Uint8Array | string, read?: (c: ConfigReader) => T): NetConf | (Omit<NetConf, keyof T> & T) {
  let raw: JsonObject;
  try {
    raw = parseJsonObject(stdinData);
  } catch (e) {
    throw new CniError(ErrorCode.DecodingFailure, `error unmarshall network config: ${(e as Error).message}`);
  }
  const reader = new ConfigReader(raw);
  const base = reader.netConf();
  return read ? { ...base, ...read(reader) } : base;
}
