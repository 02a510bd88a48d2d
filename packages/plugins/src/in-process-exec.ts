/**
 * Delegation without a second process when the delegate is tscni's own: a plugin found in
 * CNI_PATH that is the very bundle this process runs (the same file, hard-linked under
 * another name) is run in-process through the same SDK dispatcher its exec would run, so the
 * result, the errors and the version checks are the same; anything else is exec'd as the spec
 * says. This saves a Node start (tens of milliseconds) on every ADD and DEL with IPAM.
 */
import { statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { runPlugin } from '@tscni/skel/dispatcher';
import { RawExec, pluginError, type CallOptions, type Env, type Exec } from '@tscni/spec/invoke';
import type { PluginInfo } from '@tscni/spec/version';
import { PLUGINS, type PluginEntry } from './registry.js';

const encoder = new TextEncoder();

/** The native shim every plugin name links to when the build had a C compiler (packages/plugins/shim). */
export const SHIM = '.tscni-shim';

function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.ino === y.ino && x.dev === y.dev;
  } catch {
    return false;
  }
}

/** What a plugin run in-process printed, and its exit status. */
export interface PluginRun {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs one of tscni's plugins in this process as its exec would: the dispatcher with `env`
 * and `stdin`, the output collected.
 *
 * @example const { code, out } = await runOwnPlugin(PLUGINS['host-local']!, { CNI_COMMAND: 'DEL', ... }, conf)
 */
export async function runOwnPlugin(entry: PluginEntry, env: Env, stdin: Uint8Array): Promise<PluginRun> {
  let out = '';
  let err = '';
  const { handlers } = await entry.load();
  const code = await runPlugin(
    { env, stdin, stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } },
    handlers,
    entry.info,
  );
  return { code, out, err };
}

/**
 * An Exec that runs tscni's own plugins in-process and execs everything else.
 *
 * @example await delegateAdd('host-local', args.stdinData, { env: args.env, exec: new InProcessExec() })
 */
export class InProcessExec implements Exec {
  private readonly raw: Exec;

  constructor(
    /** The file this process runs from: delegates that are this file run in-process. */
    private readonly self: string | undefined = process.argv[1],
    raw?: Exec,
  ) {
    this.raw = raw ?? new RawExec();
  }

  /** The registry entry when `pluginPath` is this bundle under a plugin's name. */
  ownEntry(pluginPath: string): PluginEntry | undefined {
    const name = basename(pluginPath);
    if (this.self === undefined || !Object.prototype.hasOwnProperty.call(PLUGINS, name)) return undefined;
    // Plugin names link to the bundle itself, or to the shim beside it that runs it.
    return sameFile(pluginPath, this.self) || sameFile(pluginPath, join(dirname(this.self), SHIM)) ? PLUGINS[name] : undefined;
  }

  async execPlugin(pluginPath: string, stdin: Uint8Array, env: Env, options: CallOptions = {}): Promise<Uint8Array> {
    const entry = this.ownEntry(pluginPath);
    if (!entry) return this.raw.execPlugin(pluginPath, stdin, env, options);
    options.signal?.throwIfAborted();
    const { code, out, err } = await runOwnPlugin(entry, env, stdin);
    if (code !== 0) throw pluginError('exit status 1', encoder.encode(out), encoder.encode(err));
    // As an exec'd plugin's stderr is passed on when it succeeds.
    if (err) process.stderr.write(err);
    return encoder.encode(out);
  }

  findInPath(plugin: string, paths: readonly string[]): Promise<string> {
    return this.raw.findInPath(plugin, paths);
  }

  decode(bytes: Uint8Array): PluginInfo {
    return this.raw.decode(bytes);
  }
}
