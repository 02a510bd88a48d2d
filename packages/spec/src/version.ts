/**
 * Spec versions: parsing and ordering as the reference does it (dotted integers, exact
 * string membership), the version of a config, the VERSION reply, and reconciliation.
 */
import { CniError, ErrorCode } from './errors.js';
import { goQuote, goQuoteList, jsonTypeName, parseJson, parseJsonObject } from './gojson.js';

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

/** Go's strconv.Atoi: optional sign, decimal digits, within int64. */
function atoi(part: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(part)) return undefined;
  const n = Number(part);
  return Number.isSafeInteger(n) ? n : undefined;
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
    if (n === undefined) {
      throw new Error(`failed to convert ${names[idx]} version part ${goQuote(p)}: strconv.Atoi: parsing ${goQuote(p)}: invalid syntax`);
    }
    nums[idx] = n;
  });
  return { major: nums[0]!, minor: nums[1]!, micro: nums[2]! };
}

/** Orders two versions numerically; throws on an unparsable one. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  return x.major - y.major || x.minor - y.minor || x.micro - y.micro;
}

export function greaterThanOrEqualTo(version: string, other: string): boolean {
  return compareVersions(version, other) >= 0;
}

export function greaterThan(version: string, other: string): boolean {
  return compareVersions(version, other) > 0;
}

/** The versions from `start` (an exact member of ALL_VERSIONS) to the newest. */
export function versionsStartingFrom(start: string): string[] {
  const idx = ALL_VERSIONS.indexOf(start);
  if (idx < 0) throw new Error(`unknown CNI version ${goQuote(start)}`);
  return ALL_VERSIONS.slice(idx);
}

/**
 * The `cniVersion` of a config or result in bytes, `0.1.0` when absent or empty.
 * Throws `decoding version from network config: ...` on malformed JSON.
 */
export function decodeVersion(bytes: string | Uint8Array): string {
  let obj;
  try {
    obj = parseJsonObject(bytes);
  } catch (e) {
    throw new Error(`decoding version from network config: ${(e as Error).message}`);
  }
  const v = obj['cniVersion'];
  if (v === undefined || v === null || v === '') return '0.1.0';
  if (typeof v !== 'string') {
    throw new Error(`decoding version from network config: json: cannot unmarshal ${jsonTypeName(v)} into Go struct field .cniVersion of type string`);
  }
  return v;
}

/** What a plugin answers to VERSION. */
export interface PluginInfo {
  cniVersion: string;
  supportedVersions: string[];
}

/**
 * The VERSION reply in the reference's bytes: compact JSON and a newline, `cniVersion`
 * being the library's current version whatever the input said.
 */
export function encodePluginInfo(supportedVersions: readonly string[]): string {
  if (supportedVersions.length === 0) throw new Error('programmer error: you must support at least one version');
  return `${JSON.stringify({ cniVersion: CURRENT_VERSION, supportedVersions })}\n`;
}

/** Reads a VERSION reply the way libcni does, with its messages. */
export function decodePluginInfo(bytes: string | Uint8Array): PluginInfo {
  let raw;
  try {
    raw = parseJson(bytes);
  } catch (e) {
    throw new Error(`decoding version info: ${(e as Error).message}`);
  }
  const o = (raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  const cniVersion = typeof o['cniVersion'] === 'string' ? o['cniVersion'] : '';
  if (cniVersion === '') throw new Error('decoding version info: missing field cniVersion');
  const sv = Array.isArray(o['supportedVersions']) ? o['supportedVersions'].filter((x): x is string => typeof x === 'string') : [];
  if (sv.length === 0) {
    if (cniVersion === '0.2.0') return { cniVersion, supportedVersions: ['0.1.0', '0.2.0'] };
    throw new Error('decoding version info: missing field supportedVersions');
  }
  return { cniVersion, supportedVersions: sv };
}

/**
 * The reference's "incompatible CNI versions" failure: the config's version is not
 * exactly one of the plugin's.
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

/** Exact membership, as the reference checks it; undefined when compatible. */
export function reconcileVersion(configVersion: string, supported: readonly string[]): IncompatibleVersionError | undefined {
  return supported.includes(configVersion) ? undefined : new IncompatibleVersionError(configVersion, supported);
}

