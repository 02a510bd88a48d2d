/**
 * host-local's on-disk store, byte for byte the reference's so that the Go plugin and this one
 * can share a data directory: `<dataDir>/<network>/` holds one file per reserved address
 * (named by the address, content `<containerID>\r\n<ifname>`), `last_reserved_ip.<range set>`
 * with the last address handed out in that range set, and `lock`, flock'ed around every use.
 * Lookups by owner go through the index (store-index.ts) instead of reading every file.
 */
import { constants } from 'node:fs';
import { join } from 'node:path';
import { LOCK_EX, libc } from '@tscni/netlink/libc';
import { formatAddr, parseAddr, type Addr } from './addr.js';
import type { ValidAttachment as Attachment } from '../../conf/valid-attachments.js';
import { goPathError, nodeStoreFs, type StoreFs } from './store-fs.js';
import { goTrimSpace, loadIndex, saveIndex, type Owners } from './store-index.js';

export const LAST_IP_PREFIX = 'last_reserved_ip.';
export const LOCK_FILE = 'lock';
const LINE_BREAK = '\r\n';

/** The owner text of an attachment's reservations. @example ownerKey('c1', 'eth0') // 'c1\r\neth0' */
export function ownerKey(containerID: string, ifName: string): string {
  return goTrimSpace(containerID) + LINE_BREAK + ifName;
}

/** What a store can do while its lock is held. */
export class StoreTx {
  private dirty = false;

  constructor(
    private readonly fs: StoreFs,
    private readonly dir: string,
    private readonly owners: Owners,
  ) {}

  /** Whether someone holds the address. @example tx.isReserved(ip) */
  isReserved(ip: Addr): boolean {
    return this.owners.has(formatAddr(ip));
  }

  /**
   * Reserves the address for the attachment unless its file exists (O_EXCL, as the reference),
   * and records it as the range set's last reserved address. False when it was taken.
   *
   * @example tx.reserve('c1', 'eth0', ip, 0) // true
   */
  reserve(containerID: string, ifName: string, ip: Addr, rangeID: number): boolean {
    const name = formatAddr(ip);
    const path = join(this.dir, name);
    let fd: number;
    try {
      fd = this.fs.openSync(path, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new Error(goPathError('open', path, e));
    }
    const owner = ownerKey(containerID, ifName);
    try {
      try {
        this.fs.writeSync(fd, owner);
      } finally {
        this.fs.closeSync(fd);
      }
    } catch (e) {
      this.fs.unlinkSync(path);
      throw e;
    }
    this.owners.set(name, owner);
    this.dirty = true;
    const lastPath = join(this.dir, LAST_IP_PREFIX + String(rangeID));
    try {
      this.fs.writeFileSync(lastPath, name, { mode: 0o600 });
    } catch (e) {
      this.release(ip);
      throw new Error(goPathError('open', lastPath, e));
    }
    return true;
  }

  /** The last address reserved in a range set, if recorded and readable. @example tx.lastReservedIP(0) */
  lastReservedIP(rangeID: number): Addr | undefined {
    try {
      return parseAddr(new TextDecoder().decode(this.fs.readFileSync(join(this.dir, LAST_IP_PREFIX + String(rangeID)))));
    } catch {
      return undefined;
    }
  }

  /** Drops one reservation (undoing a reserve). @example tx.release(ip) */
  release(ip: Addr): void {
    const name = formatAddr(ip);
    this.unlink(name);
  }

  private unlink(name: string): void {
    try {
      this.fs.unlinkSync(join(this.dir, name));
    } catch (e) {
      // Gone already is released; anything else keeps the reservation, as the reference does.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return;
    }
    this.owners.delete(name);
    this.dirty = true;
  }

  private namesOwnedBy(owner: string): string[] {
    return [...this.owners].filter(([, o]) => o === owner).map(([name]) => name);
  }

  /**
   * The addresses held by the attachment, or in the old format (container ID only) by its
   * container.
   *
   * @example tx.getByID('c1', 'eth0') // [10.0.0.2]
   */
  getByID(containerID: string, ifName: string): Addr[] {
    const key = ownerKey(containerID, ifName);
    const old = goTrimSpace(containerID);
    return [...this.owners].filter(([, o]) => o === key || o === old).flatMap(([name]) => parseAddr(name) ?? []);
  }

  /**
   * Releases every reservation of the attachment; when it has none, those of the container in
   * the old format. Unknown attachments are fine.
   *
   * @example tx.releaseByID('c1', 'eth0')
   */
  releaseByID(containerID: string, ifName: string): void {
    let names = this.namesOwnedBy(ownerKey(containerID, ifName));
    if (names.length === 0) names = this.namesOwnedBy(goTrimSpace(containerID));
    for (const name of names) this.unlink(name);
  }

  /** Whether the attachment (or, in the old format, its container) holds any address. @example tx.findByID('c1', 'eth0') */
  findByID(containerID: string, ifName: string): boolean {
    return this.namesOwnedBy(ownerKey(containerID, ifName)).length > 0 || this.namesOwnedBy(goTrimSpace(containerID)).length > 0;
  }

  /**
   * Releases every reservation whose owner is not among the valid attachments; an old-format
   * reservation stays while its container has any valid attachment. Files whose content is
   * not an owner (empty files placed to keep an address out) stay. Returns the released names.
   *
   * @example tx.gc([{ containerID: 'c1', ifname: 'eth0' }]) // ['10.0.0.3']
   */
  gc(valid: readonly Attachment[]): string[] {
    const keys = new Set(valid.map((a) => ownerKey(a.containerID, a.ifname)));
    const ids = new Set(valid.map((a) => goTrimSpace(a.containerID)));
    const released: string[] = [];
    for (const [name, owner] of [...this.owners]) {
      if (owner === '' || keys.has(owner) || ids.has(owner)) continue;
      this.unlink(name);
      if (!this.owners.has(name)) released.push(name);
    }
    return released;
  }

  /** Whether the index must be written. */
  get changed(): boolean {
    return this.dirty;
  }
}

/**
 * A network's store under a data directory (created as the reference does, 0755).
 *
 * @example new Store('/var/lib/cni/networks', 'mynet').locked((tx) => tx.findByID('c1', 'eth0'))
 */
export class Store {
  readonly dir: string;

  constructor(
    dataDir: string,
    network: string,
    private readonly fs: StoreFs = nodeStoreFs,
  ) {
    this.dir = join(dataDir, network);
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    } catch (e) {
      throw new Error(goPathError('mkdir', this.dir, e));
    }
  }

  /**
   * Runs `fn` holding the directory's lock (flock on `lock`, shared with the reference), with
   * the index loaded; saves the index when anything changed. `fn` must be synchronous: the
   * lock is held by this thread until it returns.
   *
   * @example store.locked((tx) => tx.releaseByID('c1', 'eth0'))
   */
  locked<T>(fn: (tx: StoreTx) => T): T {
    const lockPath = join(this.dir, LOCK_FILE);
    let fd: number;
    try {
      // O_CREAT|O_RDONLY, 0750, as the reference's file mutex opens it.
      fd = this.fs.openSync(lockPath, constants.O_CREAT | constants.O_RDONLY, 0o750);
    } catch (e) {
      throw new Error(goPathError('open', lockPath, e));
    }
    try {
      libc().flock(fd, LOCK_EX);
      const index = loadIndex(this.fs, this.dir);
      const tx = new StoreTx(this.fs, this.dir, index.owners);
      try {
        const out = fn(tx);
        if (out instanceof Promise) throw new Error('Store.locked needs a synchronous function');
        return out;
      } finally {
        if (tx.changed || index.restamp) saveIndex(this.fs, this.dir, index.owners, index.exists);
      }
    } finally {
      // Closing the descriptor releases the flock.
      this.fs.closeSync(fd);
    }
  }
}
