/**
 * The shapes a plugin author deals with: the arguments a handler gets, the handlers
 * themselves, what a plugin says about itself, and the streams the dispatcher talks through.
 * Type-only, so importing it costs nothing at run time.
 */
import type { JsonObject } from '@tscni/spec/gojson';
import type { Result } from '@tscni/spec/result-types';

/** The commands a plugin handles itself (VERSION is answered by the SDK). */
export type Command = 'ADD' | 'DEL' | 'CHECK' | 'GC' | 'STATUS';

/** The process environment as the dispatcher reads it. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/**
 * What a handler is called with: the CNI_* variables (empty when unset), the raw request
 * config, and conveniences derived from them.
 */
export interface CmdArgs {
  /** The command being handled. */
  readonly command: Command;
  /** CNI_CONTAINERID. */
  readonly containerID: string;
  /** CNI_NETNS; empty for a DEL whose namespace is already gone. */
  readonly netns: string;
  /** CNI_IFNAME. */
  readonly ifName: string;
  /** CNI_ARGS, raw (`K1=V1;K2=V2`); read it with `loadArgs` from `@tscni/spec/args`. */
  readonly args: string;
  /** CNI_PATH, raw (`:`-separated). */
  readonly path: string;
  /** CNI_NETNS_OVERRIDE, raw. */
  readonly netnsOverride: string;
  /** The request config exactly as read from stdin. */
  readonly stdinData: Uint8Array;
  /** The environment the plugin runs with; delegates inherit it. */
  readonly env: EnvSource;
  /** The request config as a JSON object (parsed once, on first use). */
  readonly config: JsonObject;
  /** The config's `cniVersion`, `0.1.0` when absent: the version results are printed in. */
  readonly cniVersion: string;
  /**
   * The config's `prevResult` read in the config's version, or undefined when there is none.
   * Throws a CniError (code 7, the reference's `could not parse prevResult: ...` message).
   */
  readonly prevResult: Result | undefined;
}

/** The parts of CmdArgs that come from outside; the rest is derived. */
export interface CmdArgsInit {
  containerID?: string;
  netns?: string;
  ifName?: string;
  args?: string;
  path?: string;
  netnsOverride?: string;
  stdinData: Uint8Array | string;
  env?: EnvSource;
}

/** A handler may be synchronous or asynchronous; throwing a CniError sets the code. */
export type Handler<R = void> = (args: CmdArgs) => Promise<R> | R;

/**
 * A plugin's handlers. ADD returns the result, which the SDK prints in the config's version;
 * the others print nothing. A missing handler succeeds without doing anything.
 */
export interface Handlers {
  add?: Handler<Result | void>;
  del?: Handler<unknown>;
  check?: Handler<unknown>;
  gc?: Handler<unknown>;
  status?: Handler<unknown>;
}

/** What a plugin says about itself. */
export interface PluginInfo {
  /** The spec versions it supports; a config's `cniVersion` must be exactly one of them. */
  versions: readonly string[];
  /** Printed to stderr, with the versions, when the plugin is run without CNI_COMMAND. */
  about?: string;
}

/** Where output goes: process.stdout, process.stderr, or anything with `write`. */
export interface TextSink {
  write(chunk: string): unknown;
}

/**
 * Where the request config comes from: bytes, a string, a stream, or a function read only
 * when needed (VERSION never reads it).
 */
export type StdinSource =
  | Uint8Array
  | string
  | AsyncIterable<Uint8Array | string>
  | (() => Promise<Uint8Array | string> | Uint8Array | string);

/** The process around a plugin, as plain values so the dispatcher runs without one. */
export interface PluginIO {
  env: EnvSource;
  stdin: StdinSource;
  stdout: TextSink;
  stderr: TextSink;
}
