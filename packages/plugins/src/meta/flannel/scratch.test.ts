import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { dropScratch, readScratch, saveScratch, scratchPath } from './scratch.js';

describe('flannel scratch store', () => {
  const root = mkdtempSync(join(tmpdir(), 'tscni-flannel-scratch-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it("is the reference's layout: <dataDir>/<containerID>, 0600 in a 0700 directory made on demand", () => {
    const dir = join(root, 'a', 'flannel');
    saveScratch(dir, 'ctr1', '{"type":"bridge"}');
    assert.equal(scratchPath(dir, 'ctr1'), join(dir, 'ctr1'));
    assert.equal(readFileSync(join(dir, 'ctr1'), 'utf8'), '{"type":"bridge"}');
    assert.equal(statSync(join(dir, 'ctr1')).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(readScratch(dir, 'ctr1')?.toString(), '{"type":"bridge"}');
    dropScratch(dir, 'ctr1');
    dropScratch(dir, 'ctr1');
    assert.equal(readScratch(dir, 'ctr1'), undefined);
    assert.equal(readScratch(join(root, 'absent'), 'ctr1'), undefined);
  });

  // Deliberate difference: the reference truncates and rewrites the file in place.
  it('replaces a file atomically: a reader of the old file still sees all of it; no temporary is left', () => {
    const dir = join(root, 'b');
    saveScratch(dir, 'ctr1', 'old content');
    const fd = openSync(join(dir, 'ctr1'), 'r');
    try {
      saveScratch(dir, 'ctr1', 'new');
      const buf = Buffer.alloc(64);
      assert.equal(buf.subarray(0, readSync(fd, buf, 0, 64, 0)).toString(), 'old content');
    } finally {
      closeSync(fd);
    }
    assert.equal(readFileSync(join(dir, 'ctr1'), 'utf8'), 'new');
    assert.deepEqual(readdirSync(dir), ['ctr1']);
  });

  it('a failed write leaves neither a temporary nor a changed file; a read error other than absence is thrown', () => {
    const dir = join(root, 'c');
    saveScratch(dir, 'ctr1', 'kept');
    // A directory where the file should be: the rename fails.
    saveScratch(join(dir, 'ctr2'), 'x', 'y');
    assert.throws(() => saveScratch(dir, 'ctr2', 'z'), /EISDIR|ENOTEMPTY|EEXIST/);
    assert.deepEqual(readdirSync(dir).sort(), ['ctr1', 'ctr2']);
    assert.throws(() => readScratch(dir, 'ctr2'), /EISDIR/);
    writeFileSync(join(root, 'file'), '');
    assert.throws(() => saveScratch(join(root, 'file'), 'ctr1', 'x'), /EEXIST|ENOTDIR/);
    assert.equal(readFileSync(join(dir, 'ctr1'), 'utf8'), 'kept');
  });
});
