/**
 * Test fixtures for the runtime tests: temporary directories, the scripted plugins
 * installed into a plugin directory, and the debug files that drive them.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CommandLogEntry, Debug } from './noop-plugin.js';

export type { CommandLogEntry, Debug, RecordedArgs } from './noop-plugin.js';

/** A fresh directory under the system temp dir; removed by `cleanup`. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `tscni-${prefix}-`));
}

export function cleanup(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

const NOOP_MODULE = fileURLToPath(new URL('./noop-plugin.js', import.meta.url));

/** Writes an executable file. */
export function writeExecutable(path: string, text: string): string {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
  return path;
}

/**
 * A plugin directory holding `noop` (the scripted plugin) and `sleep` (sleeps 60 s, for
 * cancellation). `noop` is a tiny launcher importing the compiled module, so the module
 * keeps its ES-module package context wherever the launcher lives.
 */
export function installPlugins(): { binDir: string; noop: string; sleep: string } {
  const binDir = tempDir('bin');
  const noop = writeExecutable(join(binDir, 'noop'), `#!/usr/bin/env node\nimport(${JSON.stringify(pathToFileURL(NOOP_MODULE).href)});\n`);
  const sleep = writeExecutable(join(binDir, 'sleep'), '#!/bin/sh\nexec sleep 60\n');
  return { binDir, noop, sleep };
}

/** Creates a debug file in `dir` with the given instructions. */
export function newDebugFile(dir: string, debug: Debug, name = 'debug'): string {
  const path = join(dir, `${name}-${Math.random().toString(36).slice(2)}.json`);
  writeDebug(path, debug);
  return path;
}

export function writeDebug(path: string, debug: Debug): void {
  writeFileSync(path, JSON.stringify(debug));
}

export function readDebug(path: string): Debug {
  return JSON.parse(readFileSync(path, 'utf8')) as Debug;
}

/** An empty command log in `dir`. */
export function newCommandLog(dir: string): string {
  const path = join(dir, `cmdlog-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, '');
  return path;
}

export function readCommandLog(path: string): CommandLogEntry[] {
  const text = readFileSync(path, 'utf8');
  return text === '' ? [] : (JSON.parse(text) as CommandLogEntry[]);
}

/** JSON.parse of bytes or text, typed as an object for assertions. */
export function parseObject(data: string | Uint8Array): Record<string, unknown> {
  return JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8')) as Record<string, unknown>;
}
