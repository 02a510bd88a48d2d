/**
 * What a handler's failure becomes: its own CNI error when it threw one (or wrapped one as
 * a cause, as Go's errors.As finds wrapped errors), else the reference's code 999.
 */
import { toCniError, type CniError } from '@tscni/spec/errors';

/**
 * The CNI error for anything a handler threw.
 *
 * @example asCniError(new Error('potato')) // CniError { code: 999, msg: 'potato' }
 * @example asCniError(new Error('outer', { cause: new CniError(11, 'busy') })).code // 11
 */
export function asCniError(thrown: unknown): CniError {
  return toCniError(thrown);
}
