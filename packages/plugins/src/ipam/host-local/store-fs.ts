/**
 * The file operations host-local's store makes, behind an interface so that tests can count
 * them (the store must not read every reservation on each call) or make them fail.
 */
import * as fs from 'node:fs';
import { goErrnoText } from '@tscni/spec/errno';

export interface StoreFs {
  mkdirSync(path: string, options: { recursive: true; mode: number }): void;
  openSync(path: string, flags: string | number, mode?: number): number;
  closeSync(fd: number): void;
  writeSync(fd: number, data: string): number;
  readFileSync(path: string): Uint8Array;
  writeFileSync(path: string, data: string, options: { mode: number }): void;
  unlinkSync(path: string): void;
  readdirSync(path: string): string[];
  /** The directory's modification time in nanoseconds. */
  mtimeNs(path: string): bigint;
  /** Sets the directory's modification time to a moment just past, and returns it in nanoseconds. */
  stampMtime(path: string): bigint;
}

/** node:fs itself. @example new Store('/var/lib/cni/networks', 'mynet', nodeStoreFs) */
export const nodeStoreFs: StoreFs = {
  mkdirSync: (path, options) => void fs.mkdirSync(path, options),
  openSync: (path, flags, mode) => fs.openSync(path, flags, mode),
  closeSync: (fd) => fs.closeSync(fd),
  writeSync: (fd, data) => fs.writeSync(fd, data),
  readFileSync: (path) => fs.readFileSync(path),
  writeFileSync: (path, data, options) => fs.writeFileSync(path, data, options),
  unlinkSync: (path) => fs.unlinkSync(path),
  readdirSync: (path) => fs.readdirSync(path),
  mtimeNs: (path) => fs.statSync(path, { bigint: true }).mtimeNs,
  stampMtime: (path) => {
    // Half a second to a second ago: any later change by anyone gets the kernel's current
    // time, which can never equal it (see store-index.ts).
    fs.utimesSync(path, fs.statSync(path).atime, Date.now() / 1000 - 0.5 - Math.random() / 2);
    return fs.statSync(path, { bigint: true }).mtimeNs;
  },
};

/**
 * Go's wording of a failed file operation (`open /x: permission denied`).
 *
 * @example goPathError('open', '/x', e)
 */
export function goPathError(op: string, path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return `${op} ${path}: ${(code && goErrnoText(code)) ?? (e as Error).message}`;
}
