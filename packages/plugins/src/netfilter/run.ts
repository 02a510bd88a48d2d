/**
 * How the netfilter tools are executed. Everything goes through a CommandRunner so that tests
 * (and callers that work on another namespace) can redirect every exec, and so that a batch
 * is one synchronous spawn per tool run: no await can separate reading state from writing it.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomHex } from '../random-hex.js';

/** What one tool run produced. `status` is null when the tool could not be started or was killed. */
export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the process could not be spawned at all (ENOENT for a missing binary). */
  readonly error?: Error;
}

/** Runs one netfilter tool synchronously, `input` on its stdin. */
export interface CommandRunner {
  run(file: string, args: readonly string[], input?: string): CommandResult;
}

/** Options of {@link systemRunner}. */
export interface SystemRunnerOptions {
  /** Words put before every command, e.g. `['ip', 'netns', 'exec', 'ns1']` or `['nsenter', '-t', '42', '-n']`. */
  readonly prefix?: readonly string[];
  /** Kills a tool that runs longer than this (milliseconds); the reference gives nft 55 s. */
  readonly timeoutMs?: number;
}

/**
 * A runner that spawns the tools in this process's namespace, or behind `prefix`.
 *
 * @example systemRunner().run('iptables-save', ['-t', 'nat']).stdout
 */
export function systemRunner(options: SystemRunnerOptions = {}): CommandRunner {
  const prefix = options.prefix ?? [];
  const timeout = options.timeoutMs ?? 55_000;
  return {
    run(file, args, input) {
      const argv = [...prefix, file, ...args];
      const stdin = input === undefined ? 'ignore' : inputFile(input);
      try {
        const r = spawnSync(argv[0]!, argv.slice(1), {
          stdio: [stdin, 'pipe', 'pipe'],
          encoding: 'utf8',
          timeout,
          maxBuffer: 256 * 1024 * 1024,
          // The tools print messages we parse; keep them in English.
          env: { ...process.env, LC_ALL: 'C' },
        });
        return {
          status: r.status,
          stdout: r.stdout ?? '',
          stderr: r.stderr ?? '',
          ...(r.error ? { error: r.error } : {}),
        };
      } finally {
        if (typeof stdin === 'number') closeSync(stdin);
      }
    },
  };
}

/**
 * The input as an unlinked file open at offset 0. A pipe from spawnSync is a socket, and nft
 * reads `-f -` by opening /dev/stdin, which fails on a socket (ENXIO); a file opens fine.
 */
function inputFile(input: string): number {
  const path = join(tmpdir(), `tscni-netfilter-${process.pid}-${randomHex(6)}`);
  const fd = openSync(path, 'wx+', 0o600);
  try {
    unlinkSync(path);
    // Positional write: the descriptor's own offset stays at 0 for the child.
    writeSync(fd, input, 0, 'utf8');
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/**
 * A runner whose tools run in the named namespace (`/run/netns/<name>`) through `ip netns exec`.
 *
 * @example const runner = netnsRunner('tscni-nf-1a2b'); applyIptablesBatch(batch, { runner });
 */
export function netnsRunner(name: string, options: Omit<SystemRunnerOptions, 'prefix'> = {}): CommandRunner {
  return systemRunner({ ...options, prefix: ['ip', 'netns', 'exec', name] });
}

let defaultRunnerInstance: CommandRunner | undefined;

/**
 * The runner used when none is given: the tools in the caller's own namespace.
 *
 * @example defaultRunner().run('nft', ['--version'])
 */
export function defaultRunner(): CommandRunner {
  defaultRunnerInstance ??= systemRunner();
  return defaultRunnerInstance;
}

/**
 * One line describing how a run failed, for error messages: the tool's stderr or why it did not run.
 *
 * @example describeFailure(runner.run('nft', ['list', 'table', 'ip', 'x'])) // 'Error: No such file or directory ... (exit status 1)'
 */
export function describeFailure(r: CommandResult): string {
  if (r.error) return r.error.message;
  const text = r.stderr.trim() || r.stdout.trim();
  const status = r.status === null ? 'killed' : `exit status ${r.status}`;
  return text ? `${text} (${status})` : status;
}
