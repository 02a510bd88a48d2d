/**
 * The index of a host-local network directory: which attachment owns each reservation file,
 * kept in `.tscni-index` beside them so that DEL, CHECK and the duplicate check read one file
 * instead of every reservation (the reference reads them all each time). The reference
 * plugin shares the directory and ignores the index: its name is not an IP address and its
 * content never equals an owner, so it is neither a reservation nor matched on DEL.
 *
 * The index is trusted only while it describes the directory. After its own changes, holding
 * the lock, tscni sets the directory's mtime to a moment just past (a stamp) and records it in
 * the index: a reservation made or released by any other writer (the Go plugin, a person)
 * afterwards sets the mtime to the kernel's current time, which cannot equal a stamp from the
 * past, so an index whose stamp still matches is current without listing the directory (with
 * 5,000 reservations the listing alone cost more than the rest of an ADD). An index without a
 * stamp, or with another mtime, is checked against the listing and rebuilt from the files when
 * it differs. The mtime alone could not be trusted without the stamp: the kernel's file times
 * are coarse (a clock tick), and a foreign change within the tick of tscni's own would keep it.
 * The index is written in place, never renamed, so that writing it does not itself change the
 * directory's mtime.
 */
import { join } from 'node:path';
import { parseIP } from '@tscni/spec/ip';
import type { StoreFs } from './store-fs.js';

export const INDEX_FILE = '.tscni-index';
const FORMAT = 'tscni host-local index 1';

/** Reservation file name to its owner (the file's content, trimmed as Go's TrimSpace). */
export type Owners = Map<string, string>;

/** Whether a directory entry is a reservation: its name is an IP address. @example isReservationName('10.0.0.2') // true */
export function isReservationName(name: string): boolean {
  return parseIP(name) !== undefined;
}

/**
 * Go's strings.TrimSpace (Unicode white space, which JavaScript's trim widens with U+FEFF).
 *
 * @example goTrimSpace(' c1\r\neth0\n') // 'c1\r\neth0'
 */
export function goTrimSpace(s: string): string {
  return s.replace(/^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g, '');
}

interface IndexFile {
  format: string;
  dirMtimeNs: string;
  /** Whether dirMtimeNs is a stamp tscni set (older tscni versions did not stamp). */
  stamped?: boolean;
  reservations: Record<string, string>;
}

export interface LoadedIndex {
  owners: Owners;
  /** Whether the index file exists (writing a new one changes the directory). */
  exists: boolean;
  /** Whether its stamp did not match, so that it must be written again to be trusted next time. */
  restamp: boolean;
}

function readIndex(fs: StoreFs, dir: string): IndexFile | undefined | null {
  let text: string;
  try {
    text = new TextDecoder().decode(fs.readFileSync(join(dir, INDEX_FILE)));
  } catch {
    return null;
  }
  try {
    const v = JSON.parse(text) as IndexFile;
    if (v.format !== FORMAT || typeof v.dirMtimeNs !== 'string' || typeof v.reservations !== 'object' || v.reservations === null) return undefined;
    return v;
  } catch {
    return undefined;
  }
}

function describes(index: IndexFile, mtime: bigint, names: readonly string[]): boolean {
  if (index.dirMtimeNs !== String(mtime)) return false;
  const listed = Object.keys(index.reservations);
  if (listed.length !== names.length) return false;
  return names.every((n) => Object.prototype.hasOwnProperty.call(index.reservations, n));
}

/** Reads every reservation file: what the reference does on each DEL. */
function rebuild(fs: StoreFs, dir: string, names: readonly string[]): Owners {
  const owners: Owners = new Map();
  const decoder = new TextDecoder();
  for (const name of names) {
    try {
      owners.set(name, goTrimSpace(decoder.decode(fs.readFileSync(join(dir, name)))));
    } catch {
      // Unreadable (a directory, say): not a reservation anyone can own.
    }
  }
  return owners;
}

/**
 * The owners of a network directory's reservations, from the index when it still describes
 * the directory, else from the files. Call it holding the directory's lock.
 *
 * @example const { owners } = loadIndex(nodeStoreFs, '/var/lib/cni/networks/mynet')
 */
export function loadIndex(fs: StoreFs, dir: string): LoadedIndex {
  const mtime = fs.mtimeNs(dir);
  const index = readIndex(fs, dir);
  if (index && index.stamped === true && index.dirMtimeNs === String(mtime)) {
    return { owners: new Map(Object.entries(index.reservations)), exists: true, restamp: false };
  }
  const names = fs.readdirSync(dir).filter(isReservationName);
  if (index && describes(index, mtime, names)) {
    return { owners: new Map(Object.entries(index.reservations)), exists: true, restamp: true };
  }
  return { owners: rebuild(fs, dir, names), exists: index !== null, restamp: true };
}

/**
 * Writes the index after the directory's changes, with a fresh stamp of the directory's
 * mtime. Call it holding the lock, after the last change to the directory.
 *
 * @example saveIndex(nodeStoreFs, dir, owners, loaded.exists)
 */
export function saveIndex(fs: StoreFs, dir: string, owners: Owners, exists: boolean): void {
  const path = join(dir, INDEX_FILE);
  // Creating the file changes the directory's mtime; do it before reading the mtime.
  if (!exists) fs.closeSync(fs.openSync(path, 'a', 0o600));
  const body: IndexFile = { format: FORMAT, dirMtimeNs: String(fs.stampMtime(dir)), stamped: true, reservations: Object.fromEntries(owners) };
  fs.writeFileSync(path, JSON.stringify(body), { mode: 0o600 });
}
