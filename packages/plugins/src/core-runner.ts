/**
 * Running the plugins' core (the bundle of main.ts) from a launcher, compiled from the V8 code
 * cache the build made for it (scripts/bundle.mjs, scripts/build-sea.mjs). A cache V8 rejects
 * (another Node version, other V8 flags) only costs the normal compile.
 */
import { Script } from 'node:vm';

type CommonJsWrapper = (exports: unknown, require: NodeJS.Require, module: NodeJS.Module, filename: string, dirname: string) => void;

/**
 * The wrapper node puts around a CommonJS file; the build must make the cache from exactly
 * this text, since V8 checks the source it is given against the cache.
 *
 * @example new Script(wrapCommonJs(source)).createCachedData()
 */
export function wrapCommonJs(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}

/**
 * Runs `source` as if it were the CommonJS file `filename` required by `mod`.
 *
 * @example runCommonJs(readFileSync(core, 'utf8'), readFileSync(cache), core, dirname(core), module, require)
 */
export function runCommonJs(source: string, cachedData: Buffer | undefined, filename: string, dir: string, mod: NodeJS.Module, req: NodeJS.Require): void {
  const script = new Script(wrapCommonJs(source), { filename, cachedData });
  const run = script.runInThisContext() as CommonJsWrapper;
  run.call(mod.exports, mod.exports, req, mod, filename, dir);
}
