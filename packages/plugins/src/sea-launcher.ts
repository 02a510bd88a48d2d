/**
 * The main script of the single executable (scripts/build-sea.mjs), the counterpart of
 * launcher.ts: it answers a plain VERSION from the table the build wrote into it, and
 * otherwise runs the plugins' core, an asset of the executable, from the code cache the build
 * made for it (another asset).
 */
import { getAsset } from 'node:sea';
import { basename, dirname } from 'node:path';
import { runCommonJs } from './core-runner.js';
import { SEA_BUNDLE_ASSET, SEA_CACHE_ASSET } from './sea-assets.js';
import { answerVersion } from './version-fast-path.js';

// Written by the bundler (esbuild `define`).
declare const TSCNI_VERSION_REPLIES: Readonly<Record<string, string>>;

if (!answerVersion(TSCNI_VERSION_REPLIES, basename)) {
  const source = getAsset(SEA_BUNDLE_ASSET, 'utf8');
  let cache: Buffer | undefined;
  try {
    cache = Buffer.from(getAsset(SEA_CACHE_ASSET));
  } catch {
    // Built with --no-code-cache.
    cache = undefined;
  }
  runCommonJs(source, cache, process.execPath, dirname(process.execPath), module, require);
}
