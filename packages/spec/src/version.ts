/**
 * Spec versions: parsing and ordering as the reference does it (dotted integers, exact
 * string membership), the version of a config, the VERSION reply, and reconciliation.
 */
import { CniError, ErrorCode } from './errors.js';
import { goMarshal, goQuote, goQuoteList, jsonTypeName, parseJson, type JsonValue } from './gojson.js';

/** The newest spec version this implementation speaks. */
export const CURRENT_VERSION = '1.1.0';

/** Every spec version, oldest first. */
export const ALL_VERSIONS: readonly string[] = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];

/** The versions before results carried interfaces. */
export const LEGACY_VERSIONS: readonly string[] = ['0.1.0', '0.2.0'];

export interface Version {
  major: number;
  minor: number;
  micro: number;
}

const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.Atoi: optional sign, decimal digits, within int64; Go's reason on failure. */
function atoi(part: string): number | 'invalid syntax' | 'value out of range' {
  if (!/^[+-]?[0-9]+$/.test(part)) return 'invalid syntax';
  const n = BigInt(part);
  if (n > INT64_MAX || n < -INT64_MAX - 1n) return 'value out of range';
  return Number(n);
}

/**
 * Parses a version the reference's way: up to three dotted integers, missing parts 0,
 * `""` means 0.1.0.
 *
 * @example parseVersion('1.0') // { major: 1, minor: 0, micro: 0 }
 */
export function parseVersion(version: string): Version {
  const v = version === '' ? '0.1.0' : version;
  const parts = v.split('.');
  if (parts.length >= 4) throw new Error(`invalid version ${goQuote(version)}: too many parts`);
  const names = ['major', 'minor', 'micro'] as const;
  const nums = [0, 0, 0];
  parts.forEach((p, idx) => {
    const n = atoi(p);
    if (typeof n === 'string') {
      throw new Error(`failed to convert ${names[idx]} version part ${goQuote(p)}: strconv.Atoi: parsing ${goQuote(p)}: ${n}`);
    }
    nums[idx] = n;
  });
  return { major: nums[0]!, minor: nums[1]!, micro: nums[2]! };
}

/**
 * Orders two versions numerically; throws on an unparsable one.
 *
 * @example compareVersions('0.10.0', '0.9.0') > 0 // true
 */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  return x.major - y.major || x.minor - y.minor || x.micro - y.micro;
}

/**
 * Whether `version` >= `other` numerically; throws on an unparsable one.
 *
 * @example greaterThanOrEqualTo('0.4.0', '0.3.1') // true
 */
export function greaterThanOrEqualTo(version: string, other: string): boolean {
  return compareVersions(version, other) >= 0;
}

/**
 * Whether `version` > `other` numerically; throws on an unparsable one.
 *
 * @example greaterThan('1.1.1', '1.1.0') // true
 */
export function greaterThan(version: string, other: string): boolean {
  return compareVersions(version, other) > 0;
}

/**
 * The versions from `start` (an exact member of ALL_VERSIONS) to the newest.
 *
 * @example versionsStartingFrom('0.3.1') // ['0.3.1', '0.4.0', '1.0.0', '1.1.0']
 */
export function versionsStartingFrom(start: string): string[] {
  const idx = ALL_VERSIONS.indexOf(start);
  if (idx < 0) throw new Error(`unknown CNI version ${goQuote(start)}`);
  return ALL_VERSIONS.slice(idx);
}

/**
 * The `cniVersion` of a config or result in bytes, `0.1.0` when absent or empty.
 * Throws `decoding version from network config: ...` on malformed JSON.
 *
 * @example decodeVersion('{"name":"n"}') // '0.1.0'
 */
export function decodeVersion(bytes: string | Uint8Array): string {
  const fail = (msg: string): Error => new Error(`decoding version from network config: ${msg}`);
  let raw;
  try {
    raw = parseJson(bytes);
  } catch (e) {
    throw fail((e as Error).message);
  }
  if (raw === null) return '0.1.0';
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    // The reference decodes into an anonymous struct, and Go names it in full.
    throw fail(`json: cannot unmarshal ${jsonTypeName(raw)} into Go value of type struct { CNIVersion string "json:\\"cniVersion\\"" }`);
  }
  // Go matches object keys to struct fields case-insensitively ("CNIVersion" counts), the
  // last match winning; a null leaves the field alone.
  let version = '';
  for (const [key, v] of Object.entries(raw)) {
    if (key.toLowerCase() !== 'cniversion' || v === null) continue;
    if (typeof v !== 'string') throw fail(`json: cannot unmarshal ${jsonTypeName(v)} into Go struct field .cniVersion of type string`);
    version = v;
  }
  return version === '' ? '0.1.0' : version;
}

/** What a plugin answers to VERSION. */
export interface PluginInfo {
  cniVersion: string;
  supportedVersions: string[];
}

/**
 * The VERSION reply in the reference's bytes: compact JSON and a newline, `cniVersion`
 * being the library's current version whatever the input said.
 *
 * @example encodePluginInfo(['1.0.0']) // '{"cniVersion":"1.1.0","supportedVersions":["1.0.0"]}\n'
 */
export function encodePluginInfo(supportedVersions: readonly string[]): string {
  if (supportedVersions.length === 0) throw new Error('programmer error: you must support at least one version');
  return `${goMarshal({ cniVersion: CURRENT_VERSION, supportedVersions })}\n`;
}

/** Go's decoding of a VERSION reply into its struct: wrong types fail, nulls stay empty. */
function pluginInfoFields(raw: JsonValue): { cniVersion: string; supportedVersions: string[] } {
  const typeError = (v: JsonValue, field: string, goType: string): Error =>
    new Error(`json: cannot unmarshal ${jsonTypeName(v)} into Go struct field pluginInfo.${field} of type ${goType}`);
  if (raw === null) return { cniVersion: '', supportedVersions: [] };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(`json: cannot unmarshal ${jsonTypeName(raw)} into Go value of type version.pluginInfo`);
  }
  const v = raw['cniVersion'] ?? '';
  if (typeof v !== 'string') throw typeError(v, 'cniVersion', 'string');
  const list = raw['supportedVersions'] ?? [];
  if (!Array.isArray(list)) throw typeError(list, 'supportedVersions', '[]string');
  const supportedVersions = list.map((x) => {
    if (x !== null && typeof x !== 'string') throw typeError(x, 'supportedVersions', 'string');
    return x ?? '';
  });
  return { cniVersion: v, supportedVersions };
}

/**
 * Reads a VERSION reply the way libcni does, with its messages.
 *
 * @example decodePluginInfo('{"cniVersion":"0.2.0"}').supportedVersions // ['0.1.0', '0.2.0']
 */
export function decodePluginInfo(bytes: string | Uint8Array): PluginInfo {
  let fields;
  try {
    fields = pluginInfoFields(parseJson(bytes));
  } catch (e) {
    throw new Error(`decoding version info: ${(e as Error).message}`);
  }
  const { cniVersion, supportedVersions: sv } = fields;
  if (cniVersion === '') throw new Error('decoding version info: missing field cniVersion');
  if (sv.length === 0) {
    if (cniVersion === '0.2.0') return { cniVersion, supportedVersions: ['0.1.0', '0.2.0'] };
    throw new Error('decoding version info: missing field supportedVersions');
  }
  return { cniVersion, supportedVersions: sv };
}

/**
 * The reference's "incompatible CNI versions" failure: the config's version is not
 * exactly one of the plugin's.
 *
 * @example new IncompatibleVersionError('0.1.0', ['1.0.0']).toCniError().code // 1
 */
export class IncompatibleVersionError extends Error {
  constructor(
    readonly config: string,
    readonly supported: readonly string[],
  ) {
    super(`incompatible CNI versions: config is ${goQuote(config)}, plugin supports ${goQuoteList(supported)}`);
    this.name = 'IncompatibleVersionError';
  }

  get details(): string {
    return `config is ${goQuote(this.config)}, plugin supports ${goQuoteList(this.supported)}`;
  }

  toCniError(): CniError {
    return new CniError(ErrorCode.IncompatibleCNIVersion, 'incompatible CNI versions', this.details);
  }
}

/**
 * Exact membership, as the reference checks it; undefined when compatible.
 *
 * @example reconcileVersion('1.0', ['1.0.0'])?.message // 'incompatible CNI versions: config is "1.0", plugin supports ["1.0.0"]'
 */
export function reconcileVersion(configVersion: string, supported: readonly string[]): IncompatibleVersionError | undefined {
  return supported.includes(configVersion) ? undefined : new IncompatibleVersionError(configVersion, supported);
}

