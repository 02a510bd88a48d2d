/**
 * Throw-away network namespaces for the tests of this directory, and `ip` as their oracle.
 * Names carry a random suffix per run so that parallel runs and leftovers never collide; the
 * library itself never runs `ip`.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { NetNS } from '../netns.js';
import { RtnlError } from './errors.js';
import { RtnlSocket } from './socket.js';

/** A namespace made for one test file: its name, path, an open handle and a socket in it. */
export interface ScratchNetns {
  readonly name: string;
  readonly path: string;
  readonly ns: NetNS;
  readonly rt: RtnlSocket;
  /** Closes the socket and handle and deletes the namespace (safe to call twice). */
  remove(): void;
}

/** `tscni-nl-<8 hex>`, unique per call. @example uniqueName() // 'tscni-nl-1a2b3c4d' */
export function uniqueName(prefix = 'tscni-nl-'): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

function run(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * Creates a namespace with `ip netns add` and opens a socket in it.
 *
 * @example const s = scratchNetns(); try { ... } finally { s.remove(); }
 */
export function scratchNetns(): ScratchNetns {
  const name = uniqueName();
  run('ip', ['netns', 'add', name]);
  const path = `/run/netns/${name}`;
  let ns: NetNS | undefined;
  let rt: RtnlSocket | undefined;
  const remove = (): void => {
    rt?.close();
    ns?.close();
    spawnSync('ip', ['netns', 'del', name]);
  };
  try {
    ns = NetNS.open(path);
    rt = RtnlSocket.open({ netns: ns });
  } catch (e) {
    remove();
    throw e;
  }
  return { name, path, ns, rt, remove };
}

/**
 * Runs `ip -n NS ...` and returns its stdout; throws on a non-zero exit.
 *
 * @example ipIn('tscni-nl-1a2b3c4d', ['link', 'add', 'br0', 'type', 'bridge'])
 */
export function ipIn(ns: string, args: readonly string[]): string {
  return run('ip', ['-n', ns, ...args]);
}

/**
 * `ip -n NS -json ARGS` parsed.
 *
 * @example ipJson<{ ifname: string }[]>('tscni-nl-1a2b3c4d', ['-d', 'link', 'show'])
 */
export function ipJson<T>(ns: string, args: readonly string[]): T {
  return JSON.parse(run('ip', ['-n', ns, '-json', ...args])) as T;
}

/**
 * `bridge -n NS -json ARGS` parsed.
 *
 * @example bridgeJson<unknown[]>('tscni-nl-1a2b3c4d', ['vlan', 'show'])
 */
export function bridgeJson<T>(ns: string, args: readonly string[]): T {
  const out = run('bridge', ['-n', ns, '-json', ...args]).trim();
  return JSON.parse(out === '' ? '[]' : out) as T;
}

/**
 * Whether the kernel can do something, found by trying it once in a namespace of its own.
 * Only "not supported" answers (EOPNOTSUPP) mean no; any other failure is a bug and thrown.
 *
 * @example const vlan = probeKernel((s) => createLink(s.rt, { name: 'v', info: { kind: 'vlan', id: 1 }, parentIndex: 1 }))
 */
export function probeKernel(attempt: (s: ScratchNetns) => void): boolean {
  const s = scratchNetns();
  try {
    attempt(s);
    return true;
  } catch (e) {
    if (e instanceof RtnlError && e.code === 'EOPNOTSUPP') return false;
    throw e;
  } finally {
    s.remove();
  }
}

/** The skip reason for a kernel without a feature. @example lacks('vrf') */
export function lacks(kind: string): string {
  return `kernel lacks ${kind} (runs in the qemu lane, #5)`;
}
