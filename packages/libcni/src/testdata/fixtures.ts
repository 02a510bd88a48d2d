/**
 * Test fixtures for the runtime tests: temporary directories, the scripted plugins
 * installed into a plugin directory, and the debug files that drive them.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CommandLogEntry, Debug } from './noop-plugin.js';

export type { CommandLogEntry, Debug, RecordedArgs } from './noop-plugin.js';

/** A fresh directory under the system temp dir; removed by `cleanup`. @example const dir = tempDir('conf'); */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `tscni-${prefix}-`));
}

/** Removes test directories. @example cleanup(dir, binDir); */
export function cleanup(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

const NOOP_MODULE = fileURLToPath(new URL('./noop-plugin.js', import.meta.url));

/** Writes an executable file. @example writeExecutable(join(dir, 'p'), '#!/bin/sh\nexit 0\n'); */
export function writeExecutable(path: string, text: string): string {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
  return path;
}

/**
 * A plugin directory holding `noop` (the scripted plugin) and `sleep` (sleeps 60 s, for
 * cancellation). `noop` is a tiny launcher importing the compiled module, so the module
 * keeps its ES-module package context wherever the launcher lives.
 *
 * @example const { binDir } = installPlugins();
 */
export function installPlugins(): { binDir: string; noop: string; sleep: string } {
  const binDir = tempDir('bin');
  const noop = writeExecutable(join(binDir, 'noop'), `#!/usr/bin/env node\nimport(${JSON.stringify(pathToFileURL(NOOP_MODULE).href)});\n`);
  const sleep = writeExecutable(join(binDir, 'sleep'), '#!/bin/sh\nexec sleep 60\n');
  return { binDir, noop, sleep };
}

/** Creates a debug file in `dir` with the given instructions. @example newDebugFile(dir, { reportResult: 'PASSTHROUGH' }) */
export function newDebugFile(dir: string, debug: Debug, name = 'debug'): string {
  const path = join(dir, `${name}-${Math.random().toString(36).slice(2)}.json`);
  writeDebug(path, debug);
  return path;
}

/** Rewrites a debug file's instructions. @example writeDebug(path, { reportError: 'banana' }) */
export function writeDebug(path: string, debug: Debug): void {
  writeFileSync(path, JSON.stringify(debug));
}

/** What the plugin recorded. @example readDebug(path).command // 'ADD' */
export function readDebug(path: string): Debug {
  return JSON.parse(readFileSync(path, 'utf8')) as Debug;
}

/** An empty command log in `dir`. @example const log = newCommandLog(dir); */
export function newCommandLog(dir: string): string {
  const path = join(dir, `cmdlog-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, '');
  return path;
}

/** Every call logged so far. @example readCommandLog(log).map((e) => e.command) */
export function readCommandLog(path: string): CommandLogEntry[] {
  const text = readFileSync(path, 'utf8');
  return text === '' ? [] : (JSON.parse(text) as CommandLogEntry[]);
}

/** JSON.parse of bytes or text, typed as an object for assertions. @example parseObject(list.bytes)['name'] */
export function parseObject(data: string | Uint8Array): Record<string, unknown> {
  return JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8')) as Record<string, unknown>;
}

/** A plugin of a test list: its debug file, command log, config text and expected stdin. */
export interface PluginInfo {
  debugFilePath: string;
  commandFilePath: string;
  debug: Debug;
  config: string;
  /** What the runtime must send on stdin for ADD/DEL (no prevResult injected). */
  expectedStdin: Record<string, unknown>;
}

/**
 * One `noop` plugin object, as the reference's newPluginInfo: a config with a marker key,
 * optionally a static prevResult, the debug file and command log, and capabilities.
 *
 * @example newPluginInfo(dir, '1.1.0', 'some-value', '', ipResult, rcMap, ['portMappings'])
 */
export function newPluginInfo(
  dir: string,
  cniVersion: string,
  configValue: string,
  prevResult: string,
  result: string,
  runtimeConfig: Record<string, unknown>,
  capabilities: string[],
  listName = 'some-list',
): PluginInfo {
  const debug: Debug = { reportResult: result };
  const debugFilePath = newDebugFile(dir, debug);
  const commandFilePath = newCommandLog(dir);
  let config = `{"type": "noop", "some-key": "${configValue}"`;
  if (prevResult !== '') config += `, "prevResult": ${prevResult}`;
  config += `, "debugFile": ${JSON.stringify(debugFilePath)}, "commandLog": ${JSON.stringify(commandFilePath)}`;
  if (capabilities.length > 0) config += `, "capabilities": {${capabilities.map((c) => `"${c}": true`).join(', ')}}`;
  config += '}';
  const expectedStdin: Record<string, unknown> = { ...parseObject(config), name: listName, cniVersion };
  const rc = Object.fromEntries(Object.entries(runtimeConfig).filter(([k]) => capabilities.includes(k)));
  if (Object.keys(rc).length > 0) expectedStdin['runtimeConfig'] = rc;
  return { debugFilePath, commandFilePath, debug, config, expectedStdin };
}

/**
 * The reference's three-plugin test list: an IP result, a PASSTHROUGH and an INJECT-DNS plugin.
 *
 * @example const { text, plugins } = makePluginListText(dir, '1.1.0', ipResult, rcMap);
 */
export function makePluginListText(dir: string, cniVersion: string, ipResult: string, runtimeConfig: Record<string, unknown>): { text: string; plugins: PluginInfo[] } {
  const plugins = [
    newPluginInfo(dir, cniVersion, 'some-value', '', ipResult, runtimeConfig, ['portMappings', 'otherCapability']),
    newPluginInfo(dir, cniVersion, 'some-other-value', ipResult, 'PASSTHROUGH', runtimeConfig, ['otherCapability']),
    newPluginInfo(dir, cniVersion, 'yet-another-value', ipResult, 'INJECT-DNS', runtimeConfig, []),
  ];
  const text = `{
"name": "some-list",
"cniVersion": "${cniVersion}",
"plugins": [
${plugins.map((p) => p.config).join(',\n')}
]
}`;
  return { text, plugins };
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  assert.fail('expected a rejection');
}
