/**
 * The `prevResult` of a plugin's request config, read as the reference's ParsePrevResult:
 * the result keeps its own version (the config's when it has none), and that version must
 * belong to the shape of the config's version.
 */
import type { PluginConf } from './config.js';
import { createResult } from './result-decode.js';
import type { Result } from './result-types.js';

/**
 * @example
 *   const prev = parsePrevResult(conf); // undefined when the config has no prevResult
 */
export function parsePrevResult(conf: Pick<PluginConf, 'cniVersion' | 'prevResult'>): Result | undefined {
  const raw = conf.prevResult;
  if (raw === undefined || raw === null) return undefined;
  const configVersion = conf.cniVersion ?? '';
  const own = raw['cniVersion'];
  const withVersion = typeof own === 'string' && own !== '' ? raw : { ...raw, cniVersion: configVersion };
  try {
    return createResult(configVersion, withVersion);
  } catch (e) {
    throw new Error(`could not parse prevResult: ${(e as Error).message}`);
  }
}
