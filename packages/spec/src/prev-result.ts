/**
 * The `prevResult` of a plugin's request config, read as the reference's ParsePrevResult:
 * the result keeps its own version (the config's when it has none), and that version must
 * belong to the shape of the config's version.
 */
import type { PluginConf } from './config.js';
import { compareGoStrings, type JsonObject } from './gojson.js';
import { createResult } from './result-decode.js';
import type { Result } from './result-types.js';

/**
 * The prevResult with the version the reference would decode. It injects the config's
 * version under "CNIVersion" (capitalized) when that key is absent or empty, re-marshals with
 * sorted keys and decodes case-insensitively, so the last of the keys spelling "cniversion"
 * in byte order wins: a lowercase `cniVersion`, even "", beats the injected one.
 */
function withEffectiveVersion(raw: JsonObject, configVersion: string): JsonObject {
  const candidates: JsonObject = { ...raw };
  const injected = candidates['CNIVersion'];
  if (injected === undefined || injected === '') candidates['CNIVersion'] = configVersion;
  const keys = Object.keys(candidates)
    .filter((k) => k.toLowerCase() === 'cniversion')
    .sort(compareGoStrings);
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(raw)) if (k.toLowerCase() !== 'cniversion') out[k] = v;
  out['cniVersion'] = candidates[keys[keys.length - 1]!]!;
  return out;
}

/**
 * @example
 *   const prev = parsePrevResult(conf); // undefined when the config has no prevResult
 */
export function parsePrevResult(conf: Pick<PluginConf, 'cniVersion' | 'prevResult'>): Result | undefined {
  const raw = conf.prevResult;
  if (raw === undefined || raw === null) return undefined;
  const configVersion = conf.cniVersion ?? '';
  try {
    return createResult(configVersion, withEffectiveVersion(raw, configVersion));
  } catch (e) {
    throw new Error(`could not parse prevResult: ${(e as Error).message}`);
  }
}
