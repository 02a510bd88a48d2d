/**
 * The error types libcni callers test for: the two "no config" outcomes of the directory
 * loader and the CHECK version refusal, worded as the reference words them.
 */
import { goQuote } from '@tscni/spec/gojson';

/**
 * No configuration in `dir` has the requested network name.
 *
 * @example err instanceof NotFoundError && err.name === 'NotFoundError'
 */
export class NotFoundError extends Error {
  constructor(
    readonly dir: string,
    readonly networkName: string,
  ) {
    super(`no net configuration with name "${networkName}" in ${dir}`);
    this.name = 'NotFoundError';
  }
}

/**
 * `dir` holds no configuration file at all (or does not exist).
 *
 * @example if (err instanceof NoConfigsFoundError) console.log(err.dir)
 */
export class NoConfigsFoundError extends Error {
  constructor(readonly dir: string) {
    super(`no net configurations found in ${dir}`);
    this.name = 'NoConfigsFoundError';
  }
}

/**
 * The cause of every CHECK refusal for configs older than 0.4.0 (the reference's
 * ErrorCheckNotSupp, kept with its "slightly awkward wording").
 */
export const ErrorCheckNotSupp: Error = new Error('does not support the CHECK command');

/**
 * CHECK asked for a configuration version that predates it.
 *
 * @example err.message // 'configuration version "0.3.1" does not support the CHECK command'
 */
export class CheckNotSupportedError extends Error {
  constructor(readonly cniVersion: string) {
    super(`configuration version ${goQuote(cniVersion)} ${ErrorCheckNotSupp.message}`, { cause: ErrorCheckNotSupp });
    this.name = 'CheckNotSupportedError';
  }
}

/**
 * Whether an error is (or wraps) the CHECK refusal, as Go's errors.Is(err, ErrorCheckNotSupp).
 *
 * @example isCheckNotSupported(await cni.checkNetworkList(list, rt).catch((e) => e))
 */
export function isCheckNotSupported(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    if (e === ErrorCheckNotSupp) return true;
  }
  return false;
}

/**
 * Wraps an error under a prefix, keeping it as `cause` (Go's fmt.Errorf("...: %w")).
 *
 * @example throw wrapError('failed to get network "n" cached result', err)
 */
export function wrapError(prefix: string, err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`${prefix}: ${message}`, { cause: err });
}
