/**
 * The cache of an addon embedded in the single executable: written once, atomically, under a
 * name holding its hash, replaced when damaged, refused in a directory others can write.
 * (Loading it from a real SEA is tested in test/sea.)
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_ADDON_DIR, addonDir, cacheAddon } from './embedded-addon.js';

describe('embedded addon cache', () => {
  const root = mkdtempSync(join(tmpdir(), 'tscni-addon-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const bytes = randomBytes(300_000);
  const hash = createHash('sha256').update(bytes).digest('hex');
  let n = 0;
  const freshDir = (): string => join(root, `d${n++}`, 'tscni');

  it('writes the bytes once, read-only, under a name with the hash, creating the directory', () => {
    const dir = freshDir();
    const file = cacheAddon(bytes, hash, 'koffi', dir);
    assert.equal(file, join(dir, `koffi-${hash.slice(0, 16)}.node`));
    assert.deepEqual(readFileSync(file), bytes);
    assert.equal(statSync(file).mode & 0o777, 0o444);
    const before = statSync(file);
    assert.equal(cacheAddon(bytes, hash, 'koffi', dir), file);
    assert.equal(statSync(file).ino, before.ino, 'a good cached file is kept');
    assert.deepEqual(readdirSync(dir), [`koffi-${hash.slice(0, 16)}.node`], 'no temporary files left');
  });

  it('replaces a cached file whose content does not match the hash', () => {
    const dir = freshDir();
    const file = cacheAddon(bytes, hash, 'koffi', dir);
    chmodSync(file, 0o644);
    writeFileSync(file, 'truncated');
    assert.equal(cacheAddon(bytes, hash, 'koffi', dir), file);
    assert.deepEqual(readFileSync(file), bytes);
  });

  it('replaces a cached file that others could have written', () => {
    const dir = freshDir();
    const file = cacheAddon(bytes, hash, 'koffi', dir);
    chmodSync(file, 0o666);
    cacheAddon(bytes, hash, 'koffi', dir);
    assert.equal(statSync(file).mode & 0o777, 0o444);
  });

  it('refuses a directory that others can write', () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
    assert.throws(() => cacheAddon(bytes, hash, 'koffi', dir), /must be a directory owned by uid \d+ and writable by no one else/);
  });

  it('refuses bytes that do not match the expected hash (a damaged executable)', () => {
    const dir = freshDir();
    assert.throws(() => cacheAddon(bytes, '0'.repeat(64), 'koffi', dir), /does not match its hash/);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('lives in /var/lib/cni/tscni unless TSCNI_ADDON_DIR says otherwise', () => {
    assert.equal(DEFAULT_ADDON_DIR, '/var/lib/cni/tscni');
    assert.equal(addonDir({}), DEFAULT_ADDON_DIR);
    assert.equal(addonDir({ TSCNI_ADDON_DIR: '/srv/x' }), '/srv/x');
  });
});
