#!/usr/bin/env node
/**
 * A scripted CNI plugin for the runtime tests, the counterpart of the reference's `noop`:
 * it records what it was given (command, CNI_* parameters, stdin, environment) into a debug
 * file and answers as that file tells it. The debug file is named by `DEBUG=<path>` in
 * CNI_ARGS, else by `debugFile` in the config; `commandLog` in the config appends every
 * call to a log. Deliberately independent of @tscni/skel: the runtime is tested alone.
 */
import { readFileSync, writeFileSync, writeSync } from 'node:fs';
import { CniError, convertResult, parsePrevResult, resultToJSON, toCurrentResult, type PluginConf, type Result } from '@tscni/spec';

/** What the plugin was called with. */
export interface RecordedArgs {
  containerID: string;
  netns: string;
  ifName: string;
  args: string;
  path: string;
  stdinData: string;
}

/** The debug file: instructions from the test and what the last call recorded. */
export interface Debug {
  /** Raw stdout, or `PASSTHROUGH` (echo prevResult) or `INJECT-DNS` (prevResult + nameserver 1.2.3.4). */
  reportResult?: string;
  reportError?: string;
  reportErrorCode?: number;
  reportStderr?: string;
  reportVersionSupport?: string[];
  exitWithCode?: number;
  sleepMs?: number;
  command?: string;
  cmdArgs?: RecordedArgs;
  env?: Record<string, string>;
}

/** One line of the command log. */
export interface CommandLogEntry {
  command: string;
  cmdArgs: RecordedArgs;
}

export const DEFAULT_VERSIONS = ['0.-42.0', '0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];

function out(text: string): void {
  writeSync(1, text);
}

function fail(err: CniError): never {
  out(err.print());
  process.exit(1);
}

function parseExtraArgs(args: string): Record<string, string> {
  const m: Record<string, string> = {};
  if (args === '') return m;
  for (const item of args.split(';')) {
    const kv = item.split('=');
    if (kv.length !== 2) throw new Error(`CNI_ARGS invalid key/value pair: ${item}`);
    m[kv[0]!] = kv[1]!;
  }
  return m;
}

function debugPath(conf: Record<string, unknown>, cniArgs: string): string {
  return parseExtraArgs(cniArgs)['DEBUG'] ?? (typeof conf['debugFile'] === 'string' ? conf['debugFile'] : '');
}

function readDebug(path: string): Debug {
  return JSON.parse(readFileSync(path, 'utf8')) as Debug;
}

function main(): void {
  const env = process.env;
  const command = env['CNI_COMMAND'] ?? '';
  const cniArgs = env['CNI_ARGS'] ?? '';
  const stdin = readFileSync(0, 'utf8');

  if (command === 'VERSION') {
    let versions = DEFAULT_VERSIONS;
    if (cniArgs !== '') {
      const d = readDebug(debugPath({}, cniArgs));
      if (d.reportVersionSupport) versions = d.reportVersionSupport;
    }
    out(`${JSON.stringify({ cniVersion: '1.1.0', supportedVersions: versions })}\n`);
    return;
  }

  let conf: PluginConf;
  try {
    conf = JSON.parse(stdin) as PluginConf;
  } catch (e) {
    fail(new CniError(6, 'error unmarshall network config', (e as Error).message));
  }
  const path = debugPath(conf, cniArgs);
  if (path === '') {
    out('{}');
    process.stderr.write('CNI_ARGS or config empty, no debug behavior\n');
    return;
  }

  const cmdArgs: RecordedArgs = {
    containerID: env['CNI_CONTAINERID'] ?? '',
    netns: env['CNI_NETNS'] ?? '',
    ifName: env['CNI_IFNAME'] ?? '',
    args: cniArgs,
    path: env['CNI_PATH'] ?? '',
    stdinData: stdin,
  };
  const debug = readDebug(path);
  debug.command = command;
  debug.cmdArgs = cmdArgs;
  debug.env = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  writeFileSync(path, JSON.stringify(debug));

  const commandLog = conf['commandLog'];
  if (typeof commandLog === 'string' && commandLog !== '') {
    const text = readFileSync(commandLog, 'utf8');
    const log = (text === '' ? [] : JSON.parse(text)) as CommandLogEntry[];
    log.push({ command, cmdArgs });
    writeFileSync(commandLog, JSON.stringify(log));
  }

  if (debug.sleepMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, debug.sleepMs);
  if (debug.reportStderr) process.stderr.write(debug.reportStderr);

  if (debug.reportError) {
    fail(new CniError(debug.reportErrorCode || 999, debug.reportError));
  } else if (debug.reportResult === 'PASSTHROUGH' || debug.reportResult === 'INJECT-DNS') {
    let prev: Result | undefined;
    try {
      prev = parsePrevResult(conf);
    } catch (e) {
      fail(new CniError(999, (e as Error).message));
    }
    if (prev) {
      if (debug.reportResult === 'INJECT-DNS') {
        const current = structuredClone(toCurrentResult(prev));
        current.dns = { ...current.dns, nameservers: ['1.2.3.4'] };
        prev = current;
      }
      // Results go out in the config's version, as a plugin must print them.
      out(JSON.stringify(resultToJSON(convertResult(prev, conf.cniVersion ?? ''))));
    }
  } else if (debug.reportResult) {
    out(debug.reportResult);
  }

  if (debug.exitWithCode && debug.exitWithCode > 0) process.exit(debug.exitWithCode);
}

main();
