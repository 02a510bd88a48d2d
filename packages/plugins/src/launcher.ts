/**
 * The file every plugin name in a plugin directory is a link to (bundled as `.tscni`; see
 * scripts/bundle.mjs). It answers a plain VERSION from a table the build wrote into it, and
 * otherwise runs the plugins' bundle (`.tscni-core-<hash>.js` beside it) compiled from V8's
 * code cache that the build made for that exact file, so that a plugin process neither
 * compiles half a megabyte of JavaScript for VERSION nor parses it again for ADD and DEL.
 * A cache V8 rejects (another Node version, other V8 flags) only costs the normal compile.
 */
import { readFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { versionReply } from './version-fast-path.js';

// Written by the bundler (esbuild `define`).
declare const TSCNI_VERSION_REPLIES: Readonly<Record<string, string>>;
declare const TSCNI_CORE_FILE: string;
declare const TSCNI_CORE_CACHE: string;

type CommonJsWrapper = (exports: unknown, require: NodeJS.Require, module: NodeJS.Module, filename: string, dirname: string) => void;

function answerVersion(): boolean {
  const reply = versionReply(process.env, process.argv, TSCNI_VERSION_REPLIES, basename);
  if (reply === undefined) return false;
  try {
    writeSync(1, reply);
    return true;
  } catch {
    // The plugins' dispatcher reports a failed write the way the reference does.
    return false;
  }
}

function runCore(): void {
  const dir = dirname(__filename);
  const file = join(dir, TSCNI_CORE_FILE);
  const source = readFileSync(file, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(join(dir, TSCNI_CORE_CACHE));
  } catch {
    cachedData = undefined;
  }
  // The same wrapper node puts around a CommonJS file, so the bundle runs as if required.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  const run = script.runInThisContext() as CommonJsWrapper;
  run.call(module.exports, module.exports, require, module, file, dir);
}

if (!answerVersion()) runCore();
