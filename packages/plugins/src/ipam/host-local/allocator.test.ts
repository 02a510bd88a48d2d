import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { formatAddr, parseAddr } from './addr.js';
import { allocate } from './allocator.js';
import { loadHostLocalConfig } from './config.js';
import { Store } from './store.js';

const root = mkdtempSync(join(tmpdir(), `tscni-hl-alloc-${process.pid}-`));
after(() => rmSync(root, { recursive: true, force: true }));
let nets = 0;

/** A fresh store and the range sets of `ipam`. */
function setup(ipam: object) {
  const name = `net${nets++}`;
  const conf = loadHostLocalConfig(JSON.stringify({ cniVersion: '1.0.0', name, ipam: { type: 'host-local', dataDir: root, ...ipam } }), '');
  const store = new Store(root, name);
  const get = (id: string, set = 0, requested?: string) =>
    store.locked((tx) => allocate(tx, conf.rangeSets[set]!, set, id, 'eth0', requested ? parseAddr(requested) : undefined).config.address);
  return { conf, store, get };
}

describe('host-local allocation', () => {
  it('starts at rangeStart, skips the gateway, goes round robin and wraps', () => {
    const { store, get } = setup({ subnet: '10.0.0.0/29' });
    assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map((id) => get(id)), ['10.0.0.2/29', '10.0.0.3/29', '10.0.0.4/29', '10.0.0.5/29', '10.0.0.6/29']);
    assert.throws(() => get('f'), { message: 'no IP addresses available in range set: 10.0.0.1-10.0.0.6' });
    store.locked((tx) => tx.releaseByID('b', 'eth0'));
    assert.equal(get('g'), '10.0.0.3/29');
  });

  it('does not reuse a released address until the set has gone round', () => {
    const { store, get } = setup({ subnet: '10.0.0.0/24' });
    get('a');
    get('b');
    store.locked((tx) => tx.releaseByID('a', 'eth0'));
    assert.equal(get('c'), '10.0.0.4/24');
  });

  it('honours rangeStart and rangeEnd, and skips a gateway inside them', () => {
    const { get } = setup({ subnet: '10.0.0.0/24', rangeStart: '10.0.0.10', rangeEnd: '10.0.0.12', gateway: '10.0.0.11' });
    assert.deepEqual([get('a'), get('b')], ['10.0.0.10/24', '10.0.0.12/24']);
    assert.throws(() => get('c'), /no IP addresses available in range set: 10.0.0.10-10.0.0.12/);
  });

  it('moves from one range of a set to the next (the reference\'s observed sequence)', () => {
    const { store, get } = setup({
      ranges: [
        [{ subnet: '10.44.0.0/29', rangeStart: '10.44.0.2', rangeEnd: '10.44.0.3', gateway: '10.44.0.1' }, { subnet: '10.45.0.0/30' }],
        [{ subnet: '2001:db8::/64', rangeStart: '2001:db8::10' }],
      ],
    });
    const both = (id: string) => [get(id, 0), get(id, 1)];
    assert.deepEqual(both('c1'), ['10.44.0.2/29', '2001:db8::10/64']);
    assert.deepEqual(both('c2'), ['10.44.0.3/29', '2001:db8::11/64']);
    assert.deepEqual(both('c3'), ['10.45.0.2/30', '2001:db8::12/64']);
    assert.throws(() => get('c4', 0), { message: 'no IP addresses available in range set: 10.44.0.2-10.44.0.3,10.45.0.1-10.45.0.2' });
    store.locked((tx) => tx.releaseByID('c1', 'eth0'));
    assert.deepEqual(both('c5'), ['10.44.0.2/29', '2001:db8::13/64']);
  });

  it('gives a requested address, refuses the gateway, a taken one, and one outside the set', () => {
    const { get } = setup({ subnet: '10.0.0.0/24' });
    assert.equal(get('a', 0, '10.0.0.50'), '10.0.0.50/24');
    assert.throws(() => get('b', 0, '10.0.0.1'), { message: "requested ip 10.0.0.1 is subnet's gateway" });
    assert.throws(() => get('b', 0, '10.0.0.50'), { message: 'requested IP address 10.0.0.50 is not available in range set 10.0.0.1-10.0.0.254' });
    assert.throws(() => get('b', 0, '10.9.0.1'), { message: '10.9.0.1 not in range set 10.0.0.1-10.0.0.254' });
  });

  it('refuses a second address in a set for one attachment', () => {
    const { get } = setup({ subnet: '10.0.0.0/24' });
    get('a');
    assert.throws(() => get('a'), { message: '10.0.0.2 has been allocated to a, duplicate allocation is not allowed' });
  });

  it('steps over a file placed by hand (and one of the old, ID-only format)', () => {
    const { store, get } = setup({ subnet: '10.0.0.0/24' });
    writeFileSync(join(store.dir, '10.0.0.2'), '');
    writeFileSync(join(store.dir, '10.0.0.3'), 'old');
    assert.equal(get('a'), '10.0.0.4/24');
    assert.throws(() => get('old'), /10.0.0.3 has been allocated to old/);
  });

  it('starts over at rangeStart when last_reserved_ip is outside the set', () => {
    const { store, get } = setup({ subnet: '10.0.0.0/24' });
    writeFileSync(join(store.dir, 'last_reserved_ip.0'), '192.168.0.1');
    assert.equal(get('a'), '10.0.0.2/24');
    assert.equal(formatAddr(store.locked((tx) => tx.lastReservedIP(0))!), '10.0.0.2');
  });
});
