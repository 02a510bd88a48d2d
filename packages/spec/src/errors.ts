/**
 * CNI errors: the well-known codes of the spec (plus the two the reference uses without
 * the spec naming them) and the error JSON a plugin prints on failure.
 */

import { goMarshalIndent } from './gojson.js';

export const ErrorCode = {
  Unknown: 0,
  IncompatibleCNIVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironmentVariables: 4,
  IOFailure: 5,
  DecodingFailure: 6,
  InvalidNetworkConfig: 7,
  /** Not in the spec: the reference's skel uses it when CNI_NETNS is the plugin's own netns. */
  InvalidNetNS: 8,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  LimitedConnectivity: 51,
  /** Not in the spec: the reference's skel wraps a handler's untyped error with it. */
  Internal: 999,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

/** The error object of the spec, as the reference prints it (no `cniVersion`). */
export interface ErrorJSON {
  code: number;
  msg: string;
  details?: string;
}

/**
 * A CNI error: a code, a short message and optional details.
 *
 * @example
 *   throw new CniError(ErrorCode.InvalidNetworkConfig, 'invalid config', 'ipam.subnet: not a CIDR');
 */
export class CniError extends Error {
  readonly code: number;
  readonly msg: string;
  readonly details: string;

  constructor(code: number, msg: string, details = '') {
    super(details ? `${msg}; ${details}` : msg);
    this.name = 'CniError';
    this.code = code;
    this.msg = msg;
    this.details = details;
  }

  toJSON(): ErrorJSON {
    return this.details ? { code: this.code, msg: this.msg, details: this.details } : { code: this.code, msg: this.msg };
  }

  /**
   * The error JSON in the reference's bytes: 4-space indented, no trailing newline.
   * A `cniVersion` is added only when asked for (the spec shows it, the reference omits it).
   */
  print(cniVersion?: string): string {
    const body = cniVersion ? { cniVersion, ...this.toJSON() } : this.toJSON();
    return goMarshalIndent(body);
  }

  /** Reads an error object as a runtime does: any JSON object, missing fields empty. */
  static fromJSON(value: unknown): CniError {
    const o = (value !== null && typeof value === 'object' ? value : {}) as Record<string, unknown>;
    const code = typeof o['code'] === 'number' ? o['code'] : 0;
    const msg = typeof o['msg'] === 'string' ? o['msg'] : '';
    const details = typeof o['details'] === 'string' ? o['details'] : '';
    return new CniError(code, msg, details);
  }
}

/**
 * Whether a thrown value is a CniError.
 *
 * @example isCniError(new CniError(7, 'bad')) // true
 */
export function isCniError(e: unknown): e is CniError {
  return e instanceof CniError;
}

// A CniError from another copy of @tscni/spec fails instanceof but has the same shape.
function looksLikeCniError(e: object): e is CniError {
  const o = e as Partial<CniError>;
  return o.name === 'CniError' && typeof o.code === 'number' && typeof o.msg === 'string';
}

/**
 * The CNI error behind a failure: the error itself or one it wraps as a `cause`, at any
 * depth (as Go's errors.As finds wrapped errors); undefined when there is none.
 *
 * @example findCniError(new Error('outer', { cause: new CniError(11, 'busy') }))?.code // 11
 */
export function findCniError(thrown: unknown): CniError | undefined {
  const seen = new Set<unknown>();
  for (let e: unknown = thrown; e !== null && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    if (e instanceof CniError) return e;
    if (looksLikeCniError(e)) return new CniError(e.code, e.msg, typeof e.details === 'string' ? e.details : '');
  }
  return undefined;
}

/**
 * Turns anything thrown into a CniError: the one it is or wraps, else `code` (999 by
 * default, as the reference's skel does for untyped errors) with its message.
 *
 * @example toCniError(new Error('boom')).code // 999
 */
export function toCniError(thrown: unknown, code: number = ErrorCode.Internal): CniError {
  return findCniError(thrown) ?? new CniError(code, thrown instanceof Error ? thrown.message : String(thrown));
}
