/**
 * Throw-away namespaces with an rtnetlink socket in them, for the tests of rtnl/, and `ip` /
 * `bridge` as their oracle (the library itself never runs them). Namespaces come from the
 * package's shared testing/scratch-netns (random names, `tscni-nl-` here).
 */
import { spawnSync } from 'node:child_process';
import { NetNS } from '../../netns.js';
import { scratchNetns } from '../../testing/scratch-netns.js';
import { RtnlError } from '../errors.js';
import { RtnlSocket } from '../socket.js';

/** A namespace made for one test file: its name, path, an open handle and a socket in it. */
export interface ScratchRtnl {
  readonly name: string;
  readonly path: string;
  readonly ns: NetNS;
  readonly rt: RtnlSocket;
  /** Closes the socket and handle and deletes the namespace (safe to call twice). */
  remove(): void;
}

function run(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * Creates a namespace and opens a socket in it.
 *
 * @example const s = scratchRtnl(); try { getLink(s.rt, 'lo') } finally { s.remove(); }
 */
export function scratchRtnl(): ScratchRtnl {
  const scratch = scratchNetns('tscni-nl-');
  let ns: NetNS | undefined;
  let rt: RtnlSocket | undefined;
  const remove = (): void => {
    rt?.close();
    ns?.close();
    scratch.remove();
  };
  try {
    ns = NetNS.open(scratch.path);
    rt = RtnlSocket.open({ netns: ns });
  } catch (e) {
    remove();
    throw e;
  }
  return { name: scratch.name, path: scratch.path, ns, rt, remove };
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
export function probeKernel(attempt: (s: ScratchRtnl) => void): boolean {
  const s = scratchRtnl();
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
