/**
 * The daemon's leases on disk, one JSON file per attachment, so that a restarted daemon
 * finds and keeps renewing them (the reference keeps them in memory only and forgets them).
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Attachment, Lease, WireOption } from '../protocol.js';

export interface StoredLease {
  key: string;
  attachment: Attachment;
  provide: WireOption[];
  request: number[];
  lease: Lease;
  /** `expired`: the lease could not be renewed; kept so that CHECK and a later ADD learn why. */
  state: 'bound' | 'expired';
  reason?: string;
}

const SUFFIX = '.lease.json';

export class LeaseStore {
  constructor(readonly dir: string) {}

  private file(key: string): string {
    // Keys hold `/` and may be 254 bytes: a digest makes a safe file name.
    return join(this.dir, createHash('sha256').update(key).digest('hex').slice(0, 40) + SUFFIX);
  }

  /** @example store.save(entry) */
  save(entry: StoredLease): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const target = this.file(entry.key);
    const temp = `${target}.${process.pid}.tmp`;
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(entry));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  }

  /** @example store.remove('c1/net/eth0') */
  remove(key: string): void {
    rmSync(this.file(key), { force: true });
  }

  /**
   * Every stored lease; unreadable files are reported through `onBad` and skipped.
   *
   * @example store.load((file, why) => log(why))
   */
  load(onBad: (file: string, reason: string) => void): StoredLease[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: StoredLease[] = [];
    for (const name of names) {
      const file = join(this.dir, name);
      if (name.endsWith('.tmp')) {
        rmSync(file, { force: true });
        continue;
      }
      if (!name.endsWith(SUFFIX)) continue;
      try {
        const entry = JSON.parse(readFileSync(file, 'utf8')) as StoredLease;
        if (typeof entry.key !== 'string' || typeof entry.lease?.address !== 'string' || typeof entry.attachment?.netns !== 'string') throw new Error('not a lease record');
        out.push(entry);
      } catch (e) {
        onBad(file, (e as Error).message);
      }
    }
    return out;
  }
}
