import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAddr, type Addr } from './addr.js';
import { nodeStoreFs, type StoreFs } from './store-fs.js';
import { INDEX_FILE } from './store-index.js';
import { Store } from './store.js';

const root = mkdtempSync(join(tmpdir(), `tscni-hl-store-${process.pid}-`));
after(() => rmSync(root, { recursive: true, force: true }));
let nets = 0;
const ip = (s: string): Addr => parseAddr(s)!;

/** node:fs counting the files opened for reading, by name. */
function countingFs(): StoreFs & { reads: string[]; listings: number } {
  const reads: string[] = [];
  const counted: StoreFs & { reads: string[]; listings: number } = {
    ...nodeStoreFs,
    reads,
    listings: 0,
    readdirSync: (path: string) => {
      counted.listings++;
      return nodeStoreFs.readdirSync(path);
    },
    readFileSync: (path) => {
      reads.push(path.slice(path.lastIndexOf('/') + 1));
      return nodeStoreFs.readFileSync(path);
    },
    openSync: (path, flags, mode) => {
      if (flags === 'r') reads.push(path.slice(path.lastIndexOf('/') + 1));
      return nodeStoreFs.openSync(path, flags, mode);
    },
  };
  return counted;
}

function newStore(fs: StoreFs = nodeStoreFs): Store {
  return new Store(root, `net${nets++}`, fs);
}

describe('host-local store', () => {
  it('writes the reference\'s files byte for byte', () => {
    const store = newStore();
    assert.equal(store.locked((tx) => tx.reserve(' c1 ', 'eth0', ip('10.0.0.2'), 0)), true);
    assert.equal(store.locked((tx) => tx.reserve('c2', 'net1', ip('2001:db8:0:0::10'), 1)), true);
    assert.deepEqual(readFileSync(join(store.dir, '10.0.0.2')), Buffer.from('c1\r\neth0'));
    assert.deepEqual(readFileSync(join(store.dir, '2001:db8::10')), Buffer.from('c2\r\nnet1'));
    assert.deepEqual(readFileSync(join(store.dir, 'last_reserved_ip.0')), Buffer.from('10.0.0.2'));
    assert.deepEqual(readFileSync(join(store.dir, 'last_reserved_ip.1')), Buffer.from('2001:db8::10'));
    assert.equal(statSync(join(store.dir, '10.0.0.2')).mode & 0o777, 0o600);
    assert.equal(statSync(join(store.dir, 'lock')).size, 0);
    assert.deepEqual(readdirSync(store.dir).sort(), ['.tscni-index', '10.0.0.2', '2001:db8::10', 'last_reserved_ip.0', 'last_reserved_ip.1', 'lock']);
  });

  it('reserves with O_EXCL: an existing file is a taken address', () => {
    const store = newStore();
    writeFileSync(join(store.dir, '10.0.0.5'), 'someone\r\neth0');
    assert.equal(store.locked((tx) => tx.reserve('c1', 'eth0', ip('10.0.0.5'), 0)), false);
    assert.equal(readFileSync(join(store.dir, '10.0.0.5'), 'utf8'), 'someone\r\neth0');
  });

  it('releases every reservation of an attachment, others\' stay, last_reserved_ip stays, again is fine', () => {
    const store = newStore();
    store.locked((tx) => {
      tx.reserve('c1', 'eth0', ip('10.0.0.2'), 0);
      tx.reserve('c1', 'eth0', ip('fd00::2'), 1);
      tx.reserve('c1', 'eth1', ip('10.0.0.3'), 0);
      tx.reserve('c2', 'eth0', ip('10.0.0.4'), 0);
    });
    store.locked((tx) => tx.releaseByID('c1', 'eth0'));
    assert.deepEqual(readdirSync(store.dir).filter((n) => parseAddr(n)).sort(), ['10.0.0.3', '10.0.0.4']);
    assert.ok(existsSync(join(store.dir, 'last_reserved_ip.0')));
    store.locked((tx) => tx.releaseByID('c1', 'eth0'));
    assert.equal(store.locked((tx) => tx.findByID('c1', 'eth0')), false);
    assert.equal(store.locked((tx) => tx.findByID('c1', 'eth1')), true);
  });

  it('falls back to the old ID-only format on DEL and CHECK', () => {
    const store = newStore();
    writeFileSync(join(store.dir, '10.0.0.9'), 'c1\n');
    assert.equal(store.locked((tx) => tx.findByID('c1', 'eth0')), true);
    store.locked((tx) => tx.releaseByID('c1', 'eth0'));
    assert.equal(existsSync(join(store.dir, '10.0.0.9')), false);
  });

  describe('index', () => {
    it('is rebuilt from the files when deleted or corrupt', () => {
      const store = newStore();
      store.locked((tx) => tx.reserve('c1', 'eth0', ip('10.0.0.2'), 0));
      unlinkSync(join(store.dir, INDEX_FILE));
      assert.equal(store.locked((tx) => tx.findByID('c1', 'eth0')), true);
      assert.ok(existsSync(join(store.dir, INDEX_FILE)));
      writeFileSync(join(store.dir, INDEX_FILE), '{"format": tru');
      assert.deepEqual(store.locked((tx) => tx.getByID('c1', 'eth0')).length, 1);
    });

    it('sees reservations another process added or removed', () => {
      const store = newStore();
      store.locked((tx) => tx.reserve('c1', 'eth0', ip('10.0.0.2'), 0));
      // As the Go plugin would, without touching the index.
      writeFileSync(join(store.dir, '10.0.0.3'), 'go1\r\neth0');
      assert.equal(store.locked((tx) => tx.isReserved(ip('10.0.0.3'))), true);
      assert.equal(store.locked((tx) => tx.findByID('go1', 'eth0')), true);
      unlinkSync(join(store.dir, '10.0.0.2'));
      assert.equal(store.locked((tx) => tx.findByID('c1', 'eth0')), false);
    });

    it('sees a changed directory even when the set of names is the same', () => {
      const store = newStore();
      store.locked((tx) => tx.reserve('c1', 'eth0', ip('10.0.0.2'), 0));
      // Another writer released it and gave it to someone else.
      unlinkSync(join(store.dir, '10.0.0.2'));
      writeFileSync(join(store.dir, '10.0.0.2'), 'go2\r\neth0');
      assert.equal(store.locked((tx) => tx.findByID('go2', 'eth0')), true);
      assert.equal(store.locked((tx) => tx.findByID('c1', 'eth0')), false);
    });

    it('lets DEL among 5,000 reservations read the index only', () => {
      const fs = countingFs();
      const store = newStore(fs);
      store.locked((tx) => {
        for (let k = 0; k < 5000; k++) tx.reserve(`c${k}`, 'eth0', { family: 4, value: 0x0a000002n + BigInt(k) }, 0);
      });
      fs.reads.length = 0;
      store.locked((tx) => tx.releaseByID('c4321', 'eth0'));
      assert.deepEqual(fs.reads, [INDEX_FILE]);
      assert.equal(existsSync(join(store.dir, '10.0.16.227')), false);
      // The next caller still trusts the index written after the DEL.
      fs.reads.length = 0;
      assert.equal(store.locked((tx) => tx.findByID('c4999', 'eth0')), true);
      assert.deepEqual(fs.reads, [INDEX_FILE]);
    });

    it('is trusted on its stamp alone: no listing of the directory once tscni wrote it', () => {
      const fs = countingFs();
      const store = newStore(fs);
      store.locked((tx) => {
        for (let k = 0; k < 100; k++) tx.reserve(`c${k}`, 'eth0', { family: 4, value: 0x0a000002n + BigInt(k) }, 0);
      });
      fs.listings = 0;
      store.locked((tx) => tx.reserve('c100', 'eth0', ip('10.0.1.0'), 0));
      store.locked((tx) => tx.releaseByID('c7', 'eth0'));
      assert.equal(store.locked((tx) => tx.findByID('c100', 'eth0')), true);
      assert.equal(fs.listings, 0);
      const stamp = statSync(store.dir, { bigint: true }).mtimeNs;
      assert.equal((JSON.parse(readFileSync(join(store.dir, INDEX_FILE), 'utf8')) as { dirMtimeNs: string }).dirMtimeNs, String(stamp));
      assert.ok(stamp < BigInt(Date.now()) * 1_000_000n, 'the stamp lies in the past');
    });

    it("trusts an older tscni's index (no stamp) after checking the listing, and stamps it", () => {
      const fs = countingFs();
      const store = newStore(fs);
      store.locked((tx) => tx.reserve('c1', 'eth0', ip('10.0.0.2'), 0));
      const path = join(store.dir, INDEX_FILE);
      const old = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      delete old['stamped'];
      old['dirMtimeNs'] = String(statSync(store.dir, { bigint: true }).mtimeNs);
      writeFileSync(path, JSON.stringify(old));
      fs.listings = 0;
      fs.reads.length = 0;
      assert.equal(store.locked((tx) => tx.findByID('c1', 'eth0')), true);
      assert.equal(fs.listings, 1);
      assert.deepEqual(fs.reads, [INDEX_FILE]);
      assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { stamped?: boolean }).stamped, true);
      fs.listings = 0;
      assert.equal(store.locked((tx) => tx.findByID('c1', 'eth0')), true);
      assert.equal(fs.listings, 0);
    });

    it('rebuilds (and reads every file) once after the Go plugin changed the directory', () => {
      const fs = countingFs();
      const store = newStore(fs);
      store.locked((tx) => {
        for (let k = 0; k < 50; k++) tx.reserve(`c${k}`, 'eth0', { family: 4, value: 0x0a000002n + BigInt(k) }, 0);
      });
      writeFileSync(join(store.dir, '10.0.9.9'), 'go\r\neth0');
      fs.reads.length = 0;
      store.locked((tx) => tx.findByID('go', 'eth0'));
      assert.equal(fs.reads.length, 52);
      fs.reads.length = 0;
      store.locked((tx) => tx.findByID('go', 'eth0'));
      assert.deepEqual(fs.reads, [INDEX_FILE]);
    });
  });

  describe('gc', () => {
    it('releases reservations of attachments not listed, keeps listed ones, old-format ones of listed containers and blockers', () => {
      const store = newStore();
      store.locked((tx) => {
        tx.reserve('c1', 'eth0', ip('10.0.0.2'), 0);
        tx.reserve('c1', 'eth1', ip('10.0.0.3'), 0);
        tx.reserve('c2', 'eth0', ip('10.0.0.4'), 0);
      });
      writeFileSync(join(store.dir, '10.0.0.5'), 'c2');
      writeFileSync(join(store.dir, '10.0.0.6'), 'gone');
      writeFileSync(join(store.dir, '10.0.0.7'), '');
      const released = store.locked((tx) => tx.gc([{ containerID: 'c1', ifname: 'eth0' }, { containerID: 'c2', ifname: 'eth9' }]));
      assert.deepEqual(released.sort(), ['10.0.0.3', '10.0.0.4', '10.0.0.6']);
      assert.deepEqual(readdirSync(store.dir).filter((n) => parseAddr(n)).sort(), ['10.0.0.2', '10.0.0.5', '10.0.0.7']);
      assert.ok(existsSync(join(store.dir, 'lock')) && existsSync(join(store.dir, 'last_reserved_ip.0')));
    });

    it('releases everything but blockers for an empty list', () => {
      const store = newStore();
      store.locked((tx) => tx.reserve('c1', 'eth0', ip('10.0.0.2'), 0));
      assert.deepEqual(store.locked((tx) => tx.gc([])), ['10.0.0.2']);
    });
  });
});
