/**
 * What a handler's failure becomes: its own CNI error when it threw one (or wrapped one as
 * a cause, as Go's errors.As finds wrapped errors), else the reference's code 999.
 */
import { CniError, ErrorCode } from '@tscni/spec/errors';

// A CniError from another copy of @tscni/spec fails instanceof but has the same shape.
function looksLikeCniError(e: object): e is CniError {
  const o = e as Partial<CniError>;
  return o.name === 'CniError' && typeof o.code === 'number' && typeof o.msg === 'string';
}

/**
 * The CNI error for anything a handler threw.
 *
 * @example asCniError(new Error('potato')) // CniError { code: 999, msg: 'potato' }
 * @example asCniError(new Error('outer', { cause: new CniError(11, 'busy') })).code // 11
 */
export function asCniError(thrown: unknown): CniError {
  const seen = new Set<unknown>();
  for (let e: unknown = thrown; e !== null && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    if (e instanceof CniError) return e;
    if (looksLikeCniError(e)) return new CniError(e.code, e.msg, typeof e.details === 'string' ? e.details : '');
  }
  return new CniError(ErrorCode.Internal, thrown instanceof Error ? thrown.message : String(thrown));
}
