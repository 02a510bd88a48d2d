import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeFactory, fakeLease } from '../testing/fake-client.js';
import { LeaseStore } from './lease-store.js';
import { LeaseManager } from './leases.js';

const SETTINGS = { hostPrefix: '', timeoutMs: 1000, resendMaxMs: 2000, resendTimeoutMs: 5000 };
const att = (containerID: string, ifName = 'eth0', netName = 'dnet') => ({ containerID, netName, ifName, netns: `/run/netns/${containerID}` });

function setup(): { dir: string; factory: FakeFactory; manager: LeaseManager; logs: string[]; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tscni-dhcp-leases-'));
  const factory = new FakeFactory();
  const logs: string[] = [];
  const manager = new LeaseManager(new LeaseStore(dir), factory, SETTINGS, (l) => logs.push(l));
  return { dir, factory, manager, logs, done: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('dhcp daemon leases', () => {
  it('ADD of a leased attachment returns the same lease without a second client', async () => {
    const t = setup();
    try {
      const a = await t.manager.allocate(att('c1'), [], [3, 1]);
      const b = await t.manager.allocate(att('c1'), [], [3, 1]);
      assert.deepEqual(b, a);
      assert.equal(t.factory.clients.length, 1);
      const c = await t.manager.allocate(att('c1', 'net1'), [], [3, 1]);
      assert.notEqual(c.address, a.address);
    } finally {
      t.done();
    }
  });

  it('concurrent ADDs of one attachment start one client', async () => {
    const t = setup();
    try {
      t.factory.delayMs = 30;
      const [a, b] = await Promise.all([t.manager.allocate(att('c1'), [], []), t.manager.allocate(att('c1'), [], [])]);
      assert.deepEqual(a, b);
      assert.equal(t.factory.clients.length, 1);
    } finally {
      t.done();
    }
  });

  it('sends the reference client identifier (0 then cid/net/if) unless provide replaces it', async () => {
    const t = setup();
    try {
      await t.manager.allocate(att('d1', 'eth0', 'dnet'), [{ code: 12, value: Buffer.from('mypod').toString('base64') }], [3, 1]);
      const opts = t.factory.clients[0]!.options;
      assert.deepEqual(Buffer.from(opts.clientID).toString('hex'), '00' + Buffer.from('d1/dnet/eth0').toString('hex'));
      assert.deepEqual(opts.provide.map((p) => [p.code, Buffer.from(p.value).toString()]), [[12, 'mypod']]);
      assert.equal(opts.netnsPath, '/run/netns/d1');
      await t.manager.allocate(att('d2'), [{ code: 61, value: Buffer.from('own-id').toString('base64') }], [3, 1]);
      const own = t.factory.clients[1]!.options;
      assert.equal(Buffer.from(own.clientID).toString(), 'own-id');
      assert.deepEqual(own.provide, []);
    } finally {
      t.done();
    }
  });

  it('CHECK never acquires: an unknown attachment is an error (the reference leases a new address)', async () => {
    const t = setup();
    try {
      await assert.rejects(t.manager.check(att('nobody')), /no lease held for nobody\/dnet\/eth0/);
      assert.equal(t.factory.clients.length, 0);
    } finally {
      t.done();
    }
  });

  it('keeps renewed leases on disk and reports one that expired', async () => {
    const t = setup();
    try {
      await t.manager.allocate(att('c1'), [], []);
      const client = t.factory.clients[0]!;
      client.emit({ type: 'renewed', lease: { ...client.lease, leaseTimeSec: 120 } });
      assert.equal((await t.manager.check(att('c1'))).leaseTimeSec, 120);
      const stored = new LeaseStore(t.dir).load(() => assert.fail());
      assert.equal(stored[0]!.lease.leaseTimeSec, 120);
      client.emit({ type: 'expired', reason: 'no answer to RENEW or REBIND' });
      await assert.rejects(t.manager.check(att('c1')), /expired: no answer to RENEW or REBIND/);
      assert.equal(new LeaseStore(t.dir).load(() => assert.fail())[0]!.state, 'expired');
      assert.ok(t.logs.some((l) => /could not be renewed/.test(l)));
      // A later ADD acquires afresh.
      const again = await t.manager.allocate(att('c1'), [], []);
      assert.equal(t.factory.clients.length, 2);
      assert.equal((await t.manager.check(att('c1'))).address, again.address);
    } finally {
      t.done();
    }
  });

  it('DEL releases once and is idempotent; a vanished link drops the lease', async () => {
    const t = setup();
    try {
      await t.manager.allocate(att('c1'), [], []);
      await t.manager.release(att('c1'));
      await t.manager.release(att('c1'));
      assert.equal(t.factory.clients[0]!.released, true);
      assert.deepEqual(readdirSync(t.dir), []);
      await t.manager.allocate(att('c2'), [], []);
      t.factory.clients[1]!.emit({ type: 'link-gone' });
      assert.equal(t.manager.size, 0);
      assert.deepEqual(readdirSync(t.dir), []);
    } finally {
      t.done();
    }
  });

  it('GC releases the network leases of attachments that are not valid, and only those', async () => {
    const t = setup();
    try {
      await t.manager.allocate(att('c1'), [], []);
      await t.manager.allocate(att('c2'), [], []);
      await t.manager.allocate(att('c3', 'eth0', 'other'), [], []);
      const released = await t.manager.gc('dnet', [{ containerID: 'c1', ifName: 'eth0' }]);
      assert.deepEqual(released, ['c2/dnet/eth0']);
      assert.equal(t.manager.size, 2);
      assert.equal(t.factory.clients[1]!.released, true);
      assert.equal(t.factory.clients[2]!.released, false);
    } finally {
      t.done();
    }
  });

  it('a restarted daemon resumes the leases on disk; shutdown releases nothing', async () => {
    const t = setup();
    try {
      const lease = await t.manager.allocate(att('c1'), [], [3, 1]);
      await t.manager.shutdown();
      assert.equal(t.factory.clients[0]!.stopped, true);
      assert.equal(t.factory.clients[0]!.released, false);
      writeFileSync(join(t.dir, 'junk.lease.json'), '{');
      const factory = new FakeFactory();
      const logs: string[] = [];
      const next = new LeaseManager(new LeaseStore(t.dir), factory, SETTINGS, (l) => logs.push(l));
      next.restore();
      assert.equal(factory.clients.length, 1);
      assert.deepEqual(factory.clients[0]!.lease, lease);
      assert.deepEqual(await next.check(att('c1')), lease);
      assert.ok(logs.some((l) => /unreadable lease file .*junk/.test(l)));
      assert.deepEqual(await next.allocate(att('c1'), [], []), lease);
      assert.equal(factory.clients.length, 1);
    } finally {
      t.done();
    }
  });

  it('a failed acquire leaves nothing behind and says why', async () => {
    const t = setup();
    try {
      t.factory.failWith = new Error('no more tries');
      await assert.rejects(t.manager.allocate(att('c1'), [], []), /error acquiring a lease for c1\/dnet\/eth0: no more tries/);
      assert.equal(t.manager.size, 0);
      assert.deepEqual(readdirSync(t.dir), []);
    } finally {
      t.done();
    }
  });

  it('fakeLease is a lease of 10.99.0.0/24', () => {
    assert.equal(fakeLease(7).address, '10.99.0.7');
  });
});
