/**
 * A native addon carried inside a Node single executable (the SEA build of the plugins, see
 * scripts/build-sea.mjs): Node loads addons only from files, so the embedded bytes are written
 * once to a root-owned cache directory under a name that holds their SHA-256, compared byte
 * for byte with the embedded copy every time, and loaded from there with process.dlopen.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { getRawAsset } from 'node:sea';

/**
 * Where the addon is cached unless TSCNI_ADDON_DIR says otherwise: beside the CNI result cache
 * and host-local's store, a tree every runtime already lets its (root) plugins write, that
 * survives reboots (written once, not once per boot as under /run) and is not mounted noexec
 * the way /tmp and /run often are.
 */
export const DEFAULT_ADDON_DIR = '/var/lib/cni/tscni';

/** The cache directory for `env` (TSCNI_ADDON_DIR, else DEFAULT_ADDON_DIR). */
export function addonDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['TSCNI_ADDON_DIR'] || DEFAULT_ADDON_DIR;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A file or directory that only this user can have written: ours, and not group/other writable. */
function checkPrivate(path: string, kind: 'directory' | 'file'): void {
  const st = lstatSync(path);
  const isKind = kind === 'directory' ? st.isDirectory() : st.isFile();
  const euid = process.geteuid?.() ?? st.uid;
  if (!isKind || st.uid !== euid || (st.mode & 0o022) !== 0) {
    throw new Error(`${path} must be a ${kind} owned by uid ${euid} and writable by no one else, to load native code from it`);
  }
}

/**
 * Whether `file` is there, private and exactly `bytes`; anything else is replaced (an error
 * writing it is the one to report). A comparison, not a hash: on every plugin start it costs
 * a tenth of a millisecond, where hashing (and loading crypto for it) cost several.
 */
function holds(file: string, bytes: Uint8Array): boolean {
  try {
    checkPrivate(file, 'file');
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(readFileSync(file));
  } catch {
    return false;
  }
}

/**
 * The path of `bytes` cached in `dir` as `<name>-<sha256 prefix>.node`: reused when the file
 * there holds exactly those bytes, else (once the bytes are checked against the hash) written to a temporary file and renamed over it, so that
 * concurrent plugin starts never load a half-written file.
 *
 * @example cacheAddon(bytes, sha256Hex, 'koffi', '/var/lib/cni/tscni') // '/var/lib/cni/tscni/koffi-1a2b….node'
 */
export function cacheAddon(bytes: Uint8Array, expectedSha256: string, name: string, dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  checkPrivate(dir, 'directory');
  const file = join(dir, `${name}-${expectedSha256.slice(0, 16)}.node`);
  if (holds(file, bytes)) return file;
  if (sha256(bytes) !== expectedSha256) throw new Error(`the embedded ${name} addon does not match its hash: the executable is damaged`);
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, 'wx', 0o444);
  try {
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
    fsyncSync(fd);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return file;
}

/**
 * Loads the addon stored as SEA asset `asset` (its SHA-256 fixed at build time) through the
 * cache in addonDir(); returns its exports. Only works inside a single executable.
 *
 * @example const koffi = loadEmbeddedAddon('koffi.node', '1a2b…', 'koffi')
 */
export function loadEmbeddedAddon(asset: string, expectedSha256: string, name: string): unknown {
  const raw = getRawAsset(asset);
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : new Uint8Array(raw);
  const dir = addonDir();
  let file: string;
  try {
    file = cacheAddon(bytes, expectedSha256, name, dir);
  } catch (e) {
    throw new Error(`cannot put the ${name} addon in ${dir} (TSCNI_ADDON_DIR chooses another directory): ${e instanceof Error ? e.message : String(e)}`);
  }
  const mod = { exports: {} as unknown };
  process.dlopen(mod, file);
  return mod.exports;
}
