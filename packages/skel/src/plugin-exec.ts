/**
 * Finding and running another plugin, as the reference's pkg/invoke does for delegation:
 * the lookup in CNI_PATH, the exec, and the CNI error synthesized from a failed run.
 * Loaded only when a plugin delegates (it pulls in child_process).
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { CniError } from '@tscni/spec/errors';
import { goQuote, parseJson } from '@tscni/spec/gojson';
import type { EnvSource, TextSink } from './types.js';

/**
 * The first regular file named `plugin` in `paths` (the executable bit is not checked, as
 * in the reference). Throws the reference's messages: `no plugin name provided`,
 * `invalid plugin name: <name>`, `no paths provided`, `failed to find plugin "<name>" in path [<p1> <p2>]`.
 *
 * @example findInPath('host-local', ['/opt/cni/bin']) // '/opt/cni/bin/host-local'
 */
export function findInPath(plugin: string, paths: readonly string[]): string {
  if (plugin === '') throw new Error('no plugin name provided');
  if (plugin.includes(sep)) throw new Error(`invalid plugin name: ${plugin}`);
  if (paths.length === 0) throw new Error('no paths provided');
  for (const dir of paths) {
    const candidate = join(dir, plugin);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here; try the next directory.
    }
  }
  throw new Error(`failed to find plugin ${goQuote(plugin)} in path [${paths.join(' ')}]`);
}

// Go's strerror wording for the errno values a spawn fails with.
const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  ENOEXEC: 'exec format error',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ETXTBSY: 'text file busy',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  E2BIG: 'argument list too long',
  ENOMEM: 'cannot allocate memory',
  EPERM: 'operation not permitted',
};

// Go's names of the signals a plugin is likely to die of (syscall.Signal.String).
const SIGNAL_TEXT: Record<string, string> = {
  SIGKILL: 'killed',
  SIGTERM: 'terminated',
  SIGINT: 'interrupt',
  SIGHUP: 'hangup',
  SIGQUIT: 'quit',
  SIGABRT: 'aborted',
  SIGSEGV: 'segmentation fault',
  SIGBUS: 'bus error',
  SIGPIPE: 'broken pipe',
  SIGILL: 'illegal instruction',
  SIGFPE: 'floating point exception',
  SIGTRAP: 'trace/breakpoint trap',
  SIGUSR1: 'user defined signal 1',
  SIGUSR2: 'user defined signal 2',
};

/** Go's name for a JSON value's kind in "cannot unmarshal" messages. */
function goKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

/** Decodes error JSON into the reference's types.Error: any object, keys matched case-insensitively. */
function decodeErrorJSON(stdout: Uint8Array): CniError {
  const text = Buffer.from(stdout).toString('utf8');
  const unparsable = (reason: string, code = 0): CniError =>
    new CniError(code, `netplugin failed but error parsing its diagnostic message ${goQuote(text)}: ${reason}`);
  let v;
  try {
    v = parseJson(stdout);
  } catch (e) {
    return unparsable((e as Error).message);
  }
  if (v === null) return new CniError(0, '');
  if (typeof v !== 'object' || Array.isArray(v)) return unparsable(`json: cannot unmarshal ${goKind(v)} into Go value of type types.Error`);
  const fields = { code: 0, msg: '', details: '' };
  // Go keeps decoding after a type mismatch and reports the first one.
  let typeError: string | undefined;
  const mismatch = (field: string, kind: string, type: string): void => {
    typeError ??= `json: cannot unmarshal ${kind} into Go struct field Error.${field} of type ${type}`;
  };
  for (const [key, value] of Object.entries(v)) {
    const field = key.toLowerCase();
    if (value === null) continue;
    if (field === 'code') {
      if (typeof value !== 'number') mismatch(field, goKind(value), 'uint');
      else if (!Number.isInteger(value) || value < 0) mismatch(field, `number ${value}`, 'uint');
      else fields.code = value;
    } else if (field === 'msg' || field === 'details') {
      if (typeof value === 'string') fields[field] = value;
      else mismatch(field, goKind(value), 'string');
    }
  }
  return typeError ? unparsable(typeError, fields.code) : new CniError(fields.code, fields.msg, fields.details);
}

/**
 * The error for a failed run, as the reference's RawExec.pluginErr: the plugin's own error
 * JSON from stdout, else a message built from stderr and the exit reason (code 0).
 *
 * @example pluginError('exit status 1', new Uint8Array(), new Uint8Array()).msg // 'netplugin failed with no error message: exit status 1'
 */
export function pluginError(exitReason: string, stdout: Uint8Array, stderr: Uint8Array): CniError {
  if (stdout.length > 0) return decodeErrorJSON(stdout);
  if (stderr.length === 0) return new CniError(0, `netplugin failed with no error message: ${exitReason}`);
  return new CniError(0, `netplugin failed: ${goQuote(Buffer.from(stderr).toString('utf8'))}: ${exitReason}`);
}

interface RunOutcome {
  stdout: Buffer;
  stderr: Buffer;
  /** Go's text for why the run failed, or undefined on success. */
  failure?: string;
  busy?: boolean;
}

/** What Go's context reports when a cancelled run is refused before it starts. */
function abortText(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name === 'TimeoutError' ? 'context deadline exceeded' : 'context canceled';
}

function runOnce(path: string, stdin: Uint8Array, env: Record<string, string>, signal?: AbortSignal): Promise<RunOutcome> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let spawnError: NodeJS.ErrnoException | undefined;
    const child = spawn(path, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    // Like CommandContext: cancelling kills the plugin outright.
    const onAbort = (): void => void child.kill('SIGKILL');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    // A plugin may exit without reading its stdin; Go ignores the EPIPE too.
    child.stdin.on('error', () => {});
    child.stdin.end(stdin);
    child.on('error', (e: NodeJS.ErrnoException) => (spawnError ??= e));
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      const outcome: RunOutcome = { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
      if (spawnError) {
        outcome.failure = `fork/exec ${path}: ${ERRNO_TEXT[spawnError.code ?? ''] ?? spawnError.message}`;
        outcome.busy = spawnError.code === 'ETXTBSY';
      } else if (sig) outcome.failure = `signal: ${SIGNAL_TEXT[sig] ?? sig}`;
      else if (code !== 0) outcome.failure = `exit status ${code}`;
      resolve(outcome);
    });
  });
}

/** Attempts made while the executable is still being written (ETXTBSY), 1 s apart. */
const BUSY_ATTEMPTS = 6;

/** How a delegated plugin is run. */
export interface ExecOptions {
  /** Kills the plugin (SIGKILL) when aborted. */
  signal?: AbortSignal;
  /** Where the plugin's stderr goes (default process.stderr). */
  stderr?: TextSink;
}

/**
 * Runs the plugin at `path` with exactly `env` and `stdin`, resolving to its stdout. A
 * failed run rejects with the CniError of `pluginError`. A file still being written (text
 * file busy) is retried with a fresh process.
 *
 * @example const stdout = await execPlugin('/opt/cni/bin/host-local', conf, { ...process.env, CNI_COMMAND: 'ADD' });
 */
export async function execPlugin(path: string, stdin: Uint8Array, env: EnvSource, options: ExecOptions = {}): Promise<Uint8Array> {
  const { signal } = options;
  const stderrSink = options.stderr ?? process.stderr;
  const cleanEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) cleanEnv[k] = v;
  let outcome: RunOutcome | undefined;
  for (let attempt = 1; attempt <= BUSY_ATTEMPTS; attempt++) {
    if (signal?.aborted) throw pluginError(abortText(signal), new Uint8Array(), new Uint8Array());
    outcome = await runOnce(path, stdin, cleanEnv, signal);
    if (!outcome.busy || attempt === BUSY_ATTEMPTS) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const { stdout, stderr, failure } = outcome!;
  if (failure === undefined) {
    if (stderr.length > 0) stderrSink.write(stderr.toString('utf8'));
    return stdout;
  }
  // The reference drops stderr when stdout carries the error; it is free-form log text,
  // so pass it on rather than lose it. Otherwise it is already part of the message.
  if (stdout.length > 0 && stderr.length > 0) stderrSink.write(stderr.toString('utf8'));
  throw pluginError(failure, stdout, stderr);
}
