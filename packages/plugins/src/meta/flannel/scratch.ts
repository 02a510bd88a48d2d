/**
 * The scratch store of rendered delegate configs: `<dataDir>/<containerID>` holds the exact
 * bytes the delegate got on ADD, so that DEL runs the same delegate with the same config even
 * after subnet.env or flannel's config changed. The layout and content are the reference's,
 * so either implementation can DEL what the other added.
 *
 * Unlike the reference, which truncates the file in place, a write goes to a temporary file
 * in the same directory (a name no container ID can have: IDs never start with `.`), is
 * fsynced and renamed over the old one, so a crash never leaves a half-written config behind.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Where the configs live unless the config's `dataDir` says otherwise. */
export const DEFAULT_DATA_DIR = '/var/lib/cni/flannel';

/**
 * The file of one container.
 *
 * @example scratchPath('/var/lib/cni/flannel', 'ctr1') // '/var/lib/cni/flannel/ctr1'
 */
export function scratchPath(dataDir: string, containerID: string): string {
  return join(dataDir, containerID);
}

function fsyncPath(path: string, flags: string): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Stores `bytes` as the container's file atomically (mode 0600; the directory is made 0700).
 *
 * @example saveScratch('/var/lib/cni/flannel', 'ctr1', '{"name":"cbr0","type":"bridge"}')
 */
export function saveScratch(dataDir: string, containerID: string, bytes: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = scratchPath(dataDir, containerID);
  const temp = join(dataDir, `.${containerID}.${process.pid}.tmp`);
  try {
    const fd = openSync(temp, 'w', 0o600);
    try {
      const data = Buffer.from(bytes);
      let done = 0;
      while (done < data.length) done += writeSync(fd, data, done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
  // The rename itself is durable only once the directory is.
  fsyncPath(dataDir, 'r');
}

/**
 * The container's stored config, or undefined when there is none.
 *
 * @example readScratch('/var/lib/cni/flannel', 'ctr1')?.length
 */
export function readScratch(dataDir: string, containerID: string): Buffer | undefined {
  try {
    return readFileSync(scratchPath(dataDir, containerID));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** @example dropScratch('/var/lib/cni/flannel', 'ctr1') */
export function dropScratch(dataDir: string, containerID: string): void {
  rmSync(scratchPath(dataDir, containerID), { force: true });
}
