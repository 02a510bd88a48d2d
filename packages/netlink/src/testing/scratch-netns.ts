/**
 * Throw-away namespaces for tests: unique names, removed even when the test fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** A namespace made with `ip netns add`, with its name and path. */
export interface ScratchNetns {
  name: string;
  path: string;
  /** Runs a command inside it (`ip netns exec`), returning stdout. */
  exec(cmd: string, args: readonly string[]): string;
  remove(): void;
}

/**
 * @example const ns = scratchNetns('tscni-nl-'); try { ... } finally { ns.remove(); }
 */
export function scratchNetns(prefix = 'tscni-test-'): ScratchNetns {
  const name = `${prefix}${randomBytes(5).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', name]);
  return {
    name,
    path: `/run/netns/${name}`,
    exec: (cmd, args) => execFileSync('ip', ['netns', 'exec', name, cmd, ...args], { encoding: 'utf8' }),
    remove: () => void spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' }),
  };
}
