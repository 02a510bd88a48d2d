/**
 * A host and a container for a main plugin's tests, both scratch namespaces (the plugin runs
 * inside the "host" one), with a private host-local data directory, all removed together.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { PLUGIN_DIR, REFERENCE_DIR, runPlugin, type PluginCall, type PluginOutcome } from './run-plugin.js';

/** CNI_PATH for tscni's plugins: its own first, the reference's for what tscni lacks yet. */
export const OUR_PATH = `${PLUGIN_DIR}:${REFERENCE_DIR}`;

export interface Sandbox {
  host: ScratchNetns;
  cont: ScratchNetns;
  /** A fresh directory for host-local's `dataDir` (and any other files of the test). */
  dir: string;
  /**
   * Runs a plugin in the host namespace against the container (netns, CNI_IFNAME eth0 and the
   * container ID `ctr1` unless the call says otherwise); `reference` runs the Go plugin.
   */
  run(name: string, call: Omit<PluginCall, 'hostNetns'>, reference?: boolean): PluginOutcome;
  remove(): void;
}

/**
 * @example const sb = sandbox('tscni-ptp-'); try { sb.run('ptp', { command: 'ADD', config }) } finally { sb.remove() }
 */
export function sandbox(prefix: string): Sandbox {
  const host = scratchNetns(`${prefix}h-`);
  let cont: ScratchNetns | undefined;
  try {
    cont = scratchNetns(`${prefix}c-`);
  } catch (e) {
    host.remove();
    throw e;
  }
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    host,
    cont,
    dir,
    run: (name, call, reference = false) =>
      runPlugin(
        name,
        {
          containerID: 'ctr1',
          netns: cont!.path,
          ifName: 'eth0',
          path: reference ? REFERENCE_DIR : OUR_PATH,
          ...call,
          hostNetns: host.name,
        },
        reference ? REFERENCE_DIR : PLUGIN_DIR,
      ),
    remove: () => {
      cont?.remove();
      host.remove();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
