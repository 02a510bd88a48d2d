/**
 * A request config's `prevResult`, read as the reference's `version.ParsePrevResult` reads
 * it, with failures turned into a CNI error a plugin can return as is.
 */
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { jsonTypeName, type JsonObject } from '@tscni/spec/gojson';
import { parsePrevResult } from '@tscni/spec/prev-result';
import type { Result } from '@tscni/spec/result-types';

function invalid(reason: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, `could not parse prevResult: ${reason}`);
}

/**
 * The `prevResult` of a parsed config in the config's version family (keeping its own
 * version), or undefined when there is none. Throws CniError code 7 with the reference's
 * message, e.g. `could not parse prevResult: result type supports [1.0.0 1.1.0] but
 * unmarshalled CNIVersion is "0.4.0"`.
 *
 * @example prevResultOf({ cniVersion: '1.1.0', prevResult: { ips: [{ address: '10.0.0.2/24' }] } })?.cniVersion // '1.1.0'
 */
export function prevResultOf(config: JsonObject): Result | undefined {
  const raw = config['prevResult'];
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw invalid(`json: cannot unmarshal ${jsonTypeName(raw)} into Go struct field PluginConf.prevResult of type map[string]interface {}`);
  }
  const v = config['cniVersion'];
  const cniVersion = typeof v === 'string' ? v : '';
  try {
    return parsePrevResult({ cniVersion, prevResult: raw });
  } catch (e) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, (e as Error).message);
  }
}
