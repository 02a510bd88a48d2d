/**
 * The file every plugin name in a plugin directory is a link to (bundled as `.tscni`; see
 * scripts/bundle.mjs). It answers a plain VERSION from a table the build wrote into it, and
 * otherwise runs the plugins' core (`.tscni-core-<hash>.cjs` beside it) compiled from V8's
 * code cache that the build made for that exact file, so that a plugin process neither
 * compiles half a megabyte of JavaScript for VERSION nor parses it again for ADD and DEL.
 */
import { readFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { runCommonJs } from './core-runner.js';
import { answerVersion } from './version-fast-path.js';

// Written by the bundler (esbuild `define`).
declare const TSCNI_VERSION_REPLIES: Readonly<Record<string, string>>;
declare const TSCNI_CORE_FILE: string;
declare const TSCNI_CORE_CACHE: string;

/** A partial install: the runtime gets a CNI error it can show, not a stack trace. */
function coreMissing(file: string, e: unknown): void {
  const why = (e as NodeJS.ErrnoException).code ?? String(e);
  const msg = `tscni: cannot read the plugins' core ${file} (${why}); reinstall the plugins (cnitool install)`;
  writeSync(1, `${JSON.stringify({ code: 999, msg }, null, 4)}\n`);
  process.exitCode = 1;
}

function runCore(): void {
  const dir = dirname(__filename);
  const file = join(dir, TSCNI_CORE_FILE);
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (e) {
    return coreMissing(file, e);
  }
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(join(dir, TSCNI_CORE_CACHE));
  } catch {
    cachedData = undefined;
  }
  runCommonJs(source, cachedData, file, dir, module, require);
}

if (!answerVersion(TSCNI_VERSION_REPLIES, basename)) runCore();
