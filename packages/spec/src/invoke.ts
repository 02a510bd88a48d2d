/**
 * Running plugins: finding the executable, building its environment, executing it and
 * turning a failure into the CNI error the reference's pkg/invoke synthesizes. Shared by
 * runtimes (libcni) and by plugins that delegate (IPAM).
 *
 * Deliberately not re-exported from the package index: it pulls in child_process, which
 * a plugin's hot path (VERSION, DEL) should not pay for.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { stat as statCallback, type Stats } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { goErrnoText } from './errno.js';
import { CniError } from './errors.js';
import { goQuote, jsonTypeName, parseJson, parseJsonObject, type JsonObject, type JsonValue } from './gojson.js';
import { createResult } from './result-decode.js';
import type { Result } from './result-types.js';
import { CURRENT_VERSION, decodePluginInfo, decodeVersion, type PluginInfo } from './version.js';

// fs.stat, not fs/promises: the promises module costs a plugin process milliseconds to load
// (built-ins load on first use in the bundle), and PATH lookup is on every delegation.
function stat(path: string): Promise<Stats> {
  return new Promise((resolve, reject) => statCallback(path, (err, st) => (err ? reject(err) : resolve(st))));
}

/** A process environment, one value per name. */
export type Env = Record<string, string>;

/** Where a plugin's stderr goes: process.stderr, a Writable, or anything with `write`. */
export interface StderrSink {
  write(chunk: Uint8Array): unknown;
}

/** The parameters of one invocation, as the reference's invoke.Args. */
export interface InvokeArgs {
  command: string;
  containerID?: string;
  netNS?: string;
  /** Joined as `K1=V1;K2=V2` into CNI_ARGS. */
  pluginArgs?: readonly (readonly [string, string])[];
  /** CNI_ARGS verbatim; wins over `pluginArgs` when not empty. */
  pluginArgsStr?: string;
  ifName?: string;
  /** CNI_PATH verbatim (directories joined with `:`). */
  path?: string;
}

/**
 * CNI_ARGS from pairs.
 *
 * @example stringifyPluginArgs([['IP', '10.0.0.5'], ['DEBUG', '1']]) // 'IP=10.0.0.5;DEBUG=1'
 */
export function stringifyPluginArgs(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([k, v]) => `${k}=${v}`).join(';');
}

function copyEnv(base: NodeJS.ProcessEnv): Env {
  const env: Env = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  return env;
}

/**
 * The environment of a plugin run by a runtime: the caller's environment plus all six CNI
 * variables (empty when not applicable), the CNI values winning.
 *
 * @example spawnEnv = buildEnv({ command: 'ADD', containerID: 'c1', netNS: '/run/netns/x', ifName: 'eth0', path: '/opt/cni/bin' })
 */
export function buildEnv(args: InvokeArgs, base: NodeJS.ProcessEnv = process.env): Env {
  const env = copyEnv(base);
  env['CNI_COMMAND'] = args.command;
  env['CNI_CONTAINERID'] = args.containerID ?? '';
  env['CNI_NETNS'] = args.netNS ?? '';
  env['CNI_ARGS'] = args.pluginArgsStr ? args.pluginArgsStr : stringifyPluginArgs(args.pluginArgs ?? []);
  env['CNI_IFNAME'] = args.ifName ?? '';
  env['CNI_PATH'] = args.path ?? '';
  return env;
}

/**
 * Variables the plugins' launcher (scripts/bundle.mjs) keeps away from Node, by the name it
 * parks their values under; expanded from possibly unset variables, so empty means unset.
 */
const PARKED_BY_LAUNCHER: Readonly<Record<string, string>> = { TSCNI_OPTS: 'NODE_OPTIONS', TSCNI_CACERTS: 'NODE_EXTRA_CA_CERTS' };

/**
 * The environment of a delegated plugin: the calling plugin's own environment with only
 * CNI_COMMAND replaced (the caller's process.env is not modified), and what the launcher
 * parked put back, so that the delegate sees the runtime's environment.
 *
 * @example delegateEnv('DEL')
 */
export function delegateEnv(command: string, base: NodeJS.ProcessEnv = process.env): Env {
  const env = copyEnv(base);
  env['CNI_COMMAND'] = command;
  for (const [parked, original] of Object.entries(PARKED_BY_LAUNCHER)) {
    const value = env[parked];
    if (value === undefined) continue;
    delete env[parked];
    if (value !== '' && env[original] === undefined) env[original] = value;
  }
  return env;
}

/**
 * The path of a plugin executable: the first regular file named `plugin` in `paths`
 * (symlinks followed; the executable bit is not checked, as in the reference).
 *
 * @example await findInPath('bridge', ['/opt/cni/bin']) // '/opt/cni/bin/bridge'
 */
export async function findInPath(plugin: string, paths: readonly string[]): Promise<string> {
  if (plugin === '') throw new Error('no plugin name provided');
  // `..` and `.` would resolve to directories around the search path, never to a plugin.
  if (plugin.includes('/') || plugin === '..' || plugin === '.') throw new Error(`invalid plugin name: ${plugin}`);
  if (paths.length === 0) throw new Error('no paths provided');
  for (const dir of paths) {
    const candidate = join(dir, plugin);
    try {
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // Missing or unreadable candidates are skipped, as os.Stat failures are.
    }
  }
  throw new Error(`failed to find plugin ${goQuote(plugin)} in path [${paths.join(' ')}]`);
}

/** Go's names of signals (syscall.Signal.String on Linux), for "signal: killed". */
const SIGNAL_TEXT: Readonly<Record<string, string>> = {
  SIGHUP: 'hangup',
  SIGINT: 'interrupt',
  SIGQUIT: 'quit',
  SIGILL: 'illegal instruction',
  SIGTRAP: 'trace/breakpoint trap',
  SIGABRT: 'aborted',
  SIGBUS: 'bus error',
  SIGFPE: 'floating point exception',
  SIGKILL: 'killed',
  SIGUSR1: 'user defined signal 1',
  SIGSEGV: 'segmentation fault',
  SIGUSR2: 'user defined signal 2',
  SIGPIPE: 'broken pipe',
  SIGALRM: 'alarm clock',
  SIGTERM: 'terminated',
  SIGSTKFLT: 'stack fault',
  SIGCHLD: 'child exited',
  SIGCONT: 'continued',
  SIGSTOP: 'stopped (signal)',
  SIGTSTP: 'stopped',
  SIGTTIN: 'stopped (tty input)',
  SIGTTOU: 'stopped (tty output)',
  SIGURG: 'urgent I/O condition',
  SIGXCPU: 'CPU time limit exceeded',
  SIGXFSZ: 'file size limit exceeded',
  SIGVTALRM: 'virtual timer expired',
  SIGPROF: 'profiling timer expired',
  SIGWINCH: 'window changed',
  SIGIO: 'I/O possible',
  SIGPWR: 'power failure',
  SIGSYS: 'bad system call',
};

function spawnErrorText(pluginPath: string, err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const text = typeof code === 'string' ? goErrnoText(code) : undefined;
  return `fork/exec ${pluginPath}: ${text ?? (err as Error).message}`;
}

/** What Go's context reports once a cancelled run is refused: its Err() text. */
function abortText(signal: AbortSignal): string {
  const reason = signal.reason as { name?: unknown } | undefined;
  return reason?.name === 'TimeoutError' ? 'context deadline exceeded' : 'context canceled';
}

type JsonRecord = Record<string, JsonValue>;

/** Decodes stdout into types.Error as Go's json.Unmarshal would: key case ignored, first type error reported. */
function decodeErrorJSON(stdout: Uint8Array): { code: number; msg: string; details: string; error?: string } {
  const out: { code: number; msg: string; details: string; error?: string } = { code: 0, msg: '', details: '' };
  let raw: JsonValue;
  try {
    raw = parseJson(stdout);
  } catch (e) {
    return { ...out, error: (e as Error).message };
  }
  if (raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return { ...out, error: `json: cannot unmarshal ${jsonTypeName(raw)} into Go value of type types.Error` };
  }
  for (const [key, v] of Object.entries(raw as JsonRecord)) {
    const field = key.toLowerCase();
    if (field !== 'code' && field !== 'msg' && field !== 'details') continue;
    if (v === null) continue;
    if (field === 'code') {
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0) out.code = v;
      else out.error ??= `json: cannot unmarshal ${typeof v === 'number' ? `number ${v}` : jsonTypeName(v)} into Go struct field Error.code of type uint`;
    } else if (typeof v === 'string') {
      out[field] = v;
    } else {
      out.error ??= `json: cannot unmarshal ${jsonTypeName(v)} into Go struct field Error.${field} of type string`;
    }
  }
  return out;
}

const textDecoder = new TextDecoder();

/**
 * The CNI error for a failed run, as the reference's RawExec.pluginErr: the plugin's own
 * error JSON from stdout, else a message built from stderr and the exit reason.
 *
 * @example pluginError('exit status 1', new Uint8Array(), new Uint8Array()).message // 'netplugin failed with no error message: exit status 1'
 */
export function pluginError(execError: string, stdout: Uint8Array, stderr: Uint8Array): CniError {
  if (stdout.length === 0) {
    if (stderr.length === 0) return new CniError(0, `netplugin failed with no error message: ${execError}`);
    return new CniError(0, `netplugin failed: ${goQuote(textDecoder.decode(stderr))}: ${execError}`);
  }
  const decoded = decodeErrorJSON(stdout);
  if (decoded.error !== undefined) {
    const msg = `netplugin failed but error parsing its diagnostic message ${goQuote(textDecoder.decode(stdout))}: ${decoded.error}`;
    return new CniError(decoded.code, msg, decoded.details);
  }
  return new CniError(decoded.code, decoded.msg, decoded.details);
}

/** How a single execution is run. */
export interface ExecOptions {
  /** Aborting kills the plugin with SIGKILL (Go's exec.CommandContext). */
  signal?: AbortSignal;
  /** Receives the stderr of a successful plugin; default process.stderr, `null` drops it. */
  stderr?: StderrSink | null;
  /** The wait between "text file busy" attempts; injectable for tests. Default: 1 s. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Attempts made while the executable is still being written (ETXTBSY), 1 s apart. */
export const TEXT_FILE_BUSY_ATTEMPTS = 6;
const TEXT_FILE_BUSY_DELAY_MS = 1000;

type RunOutcome =
  | { kind: 'spawn-error'; error: unknown }
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null; stdout: Uint8Array; stderr: Uint8Array };

function runOnce(pluginPath: string, stdin: Uint8Array, env: Env, signal: AbortSignal | undefined): Promise<RunOutcome> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(pluginPath, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (error) {
      // Some errno values (ETXTBSY among them) are thrown by spawn itself.
      resolve({ kind: 'spawn-error', error });
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let settled = false;
    const kill = (): void => {
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', kill, { once: true });
    const finish = (outcome: RunOutcome): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', kill);
      resolve(outcome);
    };
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', (error) => {
      if (child.pid === undefined) finish({ kind: 'spawn-error', error });
    });
    child.on('close', (code, sig) => {
      finish({ kind: 'exited', code, signal: sig, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
    // A plugin may exit without reading its stdin; the broken pipe is not its failure.
    child.stdin!.on('error', () => {});
    child.stdin!.end(stdin);
  });
}

function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `signal: ${SIGNAL_TEXT[signal] ?? signal}`;
  return `exit status ${code ?? 0}`;
}

/**
 * Runs a plugin with `stdin` and exactly `env`, resolving to its stdout. A failure rejects
 * with the CniError the reference synthesizes; an executable that is still being written
 * is retried (a fresh process each attempt).
 *
 * @example
 *   const stdout = await execPlugin('/opt/cni/bin/bridge', conf, buildEnv({ command: 'ADD', ... }), { signal: AbortSignal.timeout(60_000) });
 */
export async function execPlugin(pluginPath: string, stdin: string | Uint8Array, env: Env, options: ExecOptions = {}): Promise<Uint8Array> {
  const { signal } = options;
  const input = typeof stdin === 'string' ? Buffer.from(stdin) : stdin;
  const sleep = options.sleep ?? ((ms: number, s?: AbortSignal) => delay(ms, undefined, s ? { signal: s } : {}));
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw pluginError(abortText(signal), new Uint8Array(), new Uint8Array());
    const outcome = await runOnce(pluginPath, input, env, signal);
    if (outcome.kind === 'spawn-error') {
      const text = spawnErrorText(pluginPath, outcome.error);
      const busy = (outcome.error as { code?: unknown }).code === 'ETXTBSY';
      if (!busy || attempt >= TEXT_FILE_BUSY_ATTEMPTS) throw pluginError(text, new Uint8Array(), new Uint8Array());
      try {
        await sleep(TEXT_FILE_BUSY_DELAY_MS, signal);
      } catch {
        // Aborted while waiting: reported at the top of the next attempt.
      }
      continue;
    }
    if (outcome.code !== 0 || outcome.signal !== null) {
      throw pluginError(exitText(outcome.code, outcome.signal), outcome.stdout, outcome.stderr);
    }
    const sink = options.stderr === undefined ? process.stderr : options.stderr;
    if (sink && outcome.stderr.length > 0) {
      try {
        sink.write(outcome.stderr);
      } catch {
        // stderr is informational only.
      }
    }
    return outcome.stdout;
  }
}

/** Per-call options of the invoke helpers. */
export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * What runs plugins: the real one (RawExec) or a test double, as the reference's
 * invoke.Exec interface.
 */
export interface Exec {
  execPlugin(pluginPath: string, stdin: Uint8Array, env: Env, options?: CallOptions): Promise<Uint8Array>;
  findInPath(plugin: string, paths: readonly string[]): Promise<string>;
  decode(bytes: Uint8Array): PluginInfo;
}

/** Options of the real executor. */
export interface RawExecOptions {
  /** Receives successful plugins' stderr; default process.stderr, `null` drops it. */
  stderr?: StderrSink | null;
  /** The wait between "text file busy" attempts; injectable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Runs plugins from disk.
 *
 * @example const exec = new RawExec({ stderr: null });
 */
export class RawExec implements Exec {
  constructor(private readonly options: RawExecOptions = {}) {}

  /** execPlugin with this executor's stderr sink. @example await exec.execPlugin(path, conf, env, { signal }) */
  execPlugin(pluginPath: string, stdin: Uint8Array, env: Env, options: CallOptions = {}): Promise<Uint8Array> {
    const o: ExecOptions = { ...this.options };
    if (options.signal) o.signal = options.signal;
    return execPlugin(pluginPath, stdin, env, o);
  }

  /** The module's findInPath. @example await exec.findInPath('bridge', ['/opt/cni/bin']) */
  findInPath(plugin: string, paths: readonly string[]): Promise<string> {
    return findInPath(plugin, paths);
  }

  /** Reads a VERSION reply. @example exec.decode(stdout).supportedVersions */
  decode(bytes: Uint8Array): PluginInfo {
    return decodePluginInfo(bytes);
  }
}

const defaultExec: Exec = new RawExec();

/** Options of the invoke helpers: a cancellation signal and the executor to use. */
export interface InvokeOptions extends CallOptions {
  exec?: Exec;
}

function callOptions(options: InvokeOptions): CallOptions {
  return options.signal ? { signal: options.signal } : {};
}

/**
 * The version a plugin's result is read in: its own non-empty `cniVersion`, else the
 * config's (issue #895), with the JSON to read. `null` output counts as `{}`.
 *
 * @example fixupResultVersion('{"cniVersion":"0.3.1"}', '{"ips":[]}').version // '0.3.1'
 */
export function fixupResultVersion(netconf: string | Uint8Array, stdout: string | Uint8Array): { version: string; json: JsonObject } {
  const confVersion = decodeVersion(netconf);
  let raw: JsonObject;
  try {
    raw = parseJsonObject(stdout);
  } catch (e) {
    throw new Error(`failed to unmarshal raw result: ${(e as Error).message}`);
  }
  const own = raw['cniVersion'];
  if (typeof own === 'string' && own !== '') return { version: own, json: raw };
  return { version: confVersion, json: { ...raw, cniVersion: confVersion } };
}

/**
 * Runs a plugin that answers with a result (ADD) and reads that result.
 *
 * @example const result = await execPluginWithResult(path, conf, buildEnv({ command: 'ADD', ... }));
 */
export async function execPluginWithResult(pluginPath: string, netconf: string | Uint8Array, env: Env, options: InvokeOptions = {}): Promise<Result> {
  const exec = options.exec ?? defaultExec;
  const conf = typeof netconf === 'string' ? Buffer.from(netconf) : netconf;
  const stdout = await exec.execPlugin(pluginPath, conf, env, callOptions(options));
  const { version, json } = fixupResultVersion(conf, stdout);
  return createResult(version, json);
}

/**
 * Runs a plugin whose output is not a result (CHECK, DEL, GC, STATUS); stdout is ignored.
 *
 * @example await execPluginWithoutResult(path, conf, buildEnv({ command: 'DEL', ... }));
 */
export async function execPluginWithoutResult(pluginPath: string, netconf: string | Uint8Array, env: Env, options: InvokeOptions = {}): Promise<void> {
  const exec = options.exec ?? defaultExec;
  const conf = typeof netconf === 'string' ? Buffer.from(netconf) : netconf;
  await exec.execPlugin(pluginPath, conf, env, callOptions(options));
}

/**
 * Asks a plugin which spec versions it supports (VERSION). A plugin older than VERSION
 * (it answers `unknown CNI_COMMAND: VERSION`) supports 0.1.0.
 *
 * @example (await getVersionInfo('/opt/cni/bin/bridge')).supportedVersions
 */
export async function getVersionInfo(pluginPath: string, options: InvokeOptions = {}): Promise<PluginInfo> {
  const exec = options.exec ?? defaultExec;
  // Dummy values keep plugins built against an older skel from refusing VERSION.
  const env = buildEnv({ command: 'VERSION', netNS: 'dummy', ifName: 'dummy', path: 'dummy' });
  const stdin = Buffer.from(`{"cniVersion":${goQuote(CURRENT_VERSION)}}`);
  let stdout: Uint8Array;
  try {
    stdout = await exec.execPlugin(pluginPath, stdin, env, callOptions(options));
  } catch (e) {
    if (e instanceof Error && e.message === 'unknown CNI_COMMAND: VERSION') {
      return { cniVersion: CURRENT_VERSION, supportedVersions: ['0.1.0'] };
    }
    throw e;
  }
  return exec.decode(stdout);
}

/**
 * CNI_PATH split as Go's filepath.SplitList does: empty means no directories at all, and
 * an empty entry stays (it means the current directory).
 *
 * @example splitCniPath('/opt/cni/bin:/usr/lib/cni') // ['/opt/cni/bin', '/usr/lib/cni']
 */
export function splitCniPath(value: string | undefined): string[] {
  return !value ? [] : value.split(':');
}

/** Options of the delegation helpers. */
export interface DelegateOptions extends InvokeOptions {
  /** The environment to inherit; default process.env. */
  env?: NodeJS.ProcessEnv;
}

async function delegate(command: string, plugin: string, options: DelegateOptions): Promise<{ path: string; env: Env; exec: Exec }> {
  const exec = options.exec ?? defaultExec;
  const base = options.env ?? process.env;
  const path = await exec.findInPath(plugin, splitCniPath(base['CNI_PATH']));
  return { path, env: delegateEnv(command, base), exec };
}

/**
 * Delegates ADD to another plugin found in CNI_PATH, with the complete network config.
 *
 * @example const ipam = await delegateAdd(conf.ipam.type, stdinData);
 */
export async function delegateAdd(plugin: string, netconf: string | Uint8Array, options: DelegateOptions = {}): Promise<Result> {
  const d = await delegate('ADD', plugin, options);
  return execPluginWithResult(d.path, netconf, d.env, { ...options, exec: d.exec });
}

async function delegateNoResult(command: string, plugin: string, netconf: string | Uint8Array, options: DelegateOptions): Promise<void> {
  const d = await delegate(command, plugin, options);
  await execPluginWithoutResult(d.path, netconf, d.env, { ...options, exec: d.exec });
}

/** Delegates CHECK. @example await delegateCheck(conf.ipam.type, stdinData); */
export function delegateCheck(plugin: string, netconf: string | Uint8Array, options: DelegateOptions = {}): Promise<void> {
  return delegateNoResult('CHECK', plugin, netconf, options);
}

/** Delegates DEL. @example await delegateDel(conf.ipam.type, stdinData); */
export function delegateDel(plugin: string, netconf: string | Uint8Array, options: DelegateOptions = {}): Promise<void> {
  return delegateNoResult('DEL', plugin, netconf, options);
}

/** Delegates STATUS. @example await delegateStatus(conf.ipam.type, stdinData); */
export function delegateStatus(plugin: string, netconf: string | Uint8Array, options: DelegateOptions = {}): Promise<void> {
  return delegateNoResult('STATUS', plugin, netconf, options);
}

/** Delegates GC. @example await delegateGC(conf.ipam.type, stdinData); */
export function delegateGC(plugin: string, netconf: string | Uint8Array, options: DelegateOptions = {}): Promise<void> {
  return delegateNoResult('GC', plugin, netconf, options);
}
