import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ipMasqNftablesBatch, ipMasqNftablesGcBatch, ipMasqNftablesTeardownBatch, MASQ_TABLE } from './masquerade.js';
import { masqComment } from './names.js';
import { nftAddress } from './nft-expr.js';
import { findNftRules, NftBatch, nftTableKey, parseNftList, renderNftBatch, type NftTable } from './nftables.js';

const rule = (handle: number, comment: string, saddr: string) =>
  ({
    rule: {
      family: 'inet',
      table: MASQ_TABLE,
      chain: 'masq_checks',
      handle,
      comment,
      expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: saddr } }, { masquerade: null }],
    },
  }) as const;

// Shaped like `nft -j list table inet cni_plugins_masquerade` on nft 1.0.6.
const LISTING = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
    { table: { family: 'inet', name: MASQ_TABLE, handle: 2 } },
    { chain: { family: 'inet', table: MASQ_TABLE, name: 'masq_checks', handle: 1 } },
    { chain: { family: 'inet', table: MASQ_TABLE, name: 'postrouting', handle: 2, type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } },
    rule(6, masqComment('unit-test', 'eth0', 'one'), '192.168.1.1'),
    rule(7, masqComment('unit-test', 'eth0', 'two'), '192.168.1.2'),
    rule(8, masqComment('alternate', 'net1', 'three'), '10.0.0.5'),
    { rule: { family: 'inet', table: MASQ_TABLE, chain: 'postrouting', handle: 5, expr: [{ goto: { target: 'masq_checks' } }] } },
  ],
});

const listed = (): Map<string, NftTable | undefined> => parseNftList(LISTING);

describe('nft -j listings', () => {
  it('parses chains and rules with handles and comments', () => {
    const t = listed().get(nftTableKey('inet', MASQ_TABLE))!;
    assert.equal(t.chains.get('postrouting')?.hook, 'postrouting');
    assert.deepEqual(
      t.chains.get('masq_checks')?.rules.map((r) => r.handle),
      [6, 7, 8],
    );
    assert.deepEqual(
      findNftRules(t, { commentPrefix: '6fd94d501e58f0aa' }).map((r) => r.handle),
      [6, 7],
    );
    assert.deepEqual(findNftRules(undefined, {}), []);
  });
});

describe('nft -j batches', () => {
  const setup = { network: 'unit-test', ifname: 'eth0', containerID: 'one', addresses: ['192.168.1.1/24'] };

  it('builds the reference masquerade transaction on an empty system', () => {
    const commands = renderNftBatch(ipMasqNftablesBatch(setup), new Map([[nftTableKey('inet', MASQ_TABLE), undefined]]));
    assert.deepEqual(commands, [
      { add: { table: { family: 'inet', name: MASQ_TABLE, comment: 'Masquerading for plugins from github.com/containernetworking/plugins' } } },
      {
        add: {
          chain: { family: 'inet', table: MASQ_TABLE, name: 'masq_checks', comment: 'Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet' },
        },
      },
      { add: { chain: { family: 'inet', table: MASQ_TABLE, name: 'postrouting', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } } },
      { flush: { chain: { family: 'inet', table: MASQ_TABLE, name: 'postrouting' } } },
      {
        add: {
          rule: {
            family: 'inet',
            table: MASQ_TABLE,
            chain: 'postrouting',
            expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: { prefix: { addr: '224.0.0.0', len: 4 } } } }, { return: null }],
          },
        },
      },
      {
        add: {
          rule: {
            family: 'inet',
            table: MASQ_TABLE,
            chain: 'postrouting',
            expr: [{ match: { op: '==', left: { payload: { protocol: 'ip6', field: 'daddr' } }, right: { prefix: { addr: 'ff00::', len: 8 } } } }, { return: null }],
          },
        },
      },
      { add: { rule: { family: 'inet', table: MASQ_TABLE, chain: 'postrouting', expr: [{ goto: { target: 'masq_checks' } }] } } },
      {
        add: {
          rule: {
            family: 'inet',
            table: MASQ_TABLE,
            chain: 'masq_checks',
            comment: '6fd94d501e58f0aa-287fc69eff0574a2, net: unit-test, if: eth0, id: one',
            expr: [
              { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '192.168.1.1' } },
              { match: { op: '!=', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: { prefix: { addr: '192.168.1.0', len: 24 } } } },
              { masquerade: null },
            ],
          },
        },
      },
    ]);
  });

  it('replaces the attachment\'s stale rules by handle on re-ADD', () => {
    const commands = renderNftBatch(ipMasqNftablesBatch(setup), listed());
    const deletes = commands.filter((c) => 'delete' in c);
    assert.deepEqual(deletes, [{ delete: { rule: { family: 'inet', table: MASQ_TABLE, chain: 'masq_checks', handle: 6 } } }]);
  });

  it('tears down by comment prefix without an address, and does nothing when nothing is there', () => {
    const teardown = ipMasqNftablesTeardownBatch({ network: 'unit-test', ifname: 'eth0', containerID: 'two' });
    assert.deepEqual(renderNftBatch(teardown, listed()), [{ delete: { rule: { family: 'inet', table: MASQ_TABLE, chain: 'masq_checks', handle: 7 } } }]);
    assert.deepEqual(renderNftBatch(teardown, new Map()), []);
  });

  it('collects garbage of one network only', () => {
    const gc = ipMasqNftablesGcBatch('unit-test', [{ ifname: 'eth0', containerID: 'two' }]);
    assert.deepEqual(renderNftBatch(gc, listed()), [{ delete: { rule: { family: 'inet', table: MASQ_TABLE, chain: 'masq_checks', handle: 6 } } }]);
  });

  it('flushes and deletes only what exists, following its own changes', () => {
    const batch = new NftBatch()
      .flushChain('inet', MASQ_TABLE, 'nope')
      .deleteChain('inet', MASQ_TABLE, 'nope')
      .deleteChain('inet', MASQ_TABLE, 'masq_checks')
      .deleteRules('inet', MASQ_TABLE, { chain: 'masq_checks' })
      .deleteTable('inet', 'tscni_absent')
      .addTable('inet', 'tscni_new')
      .addChain('inet', 'tscni_new', 'c')
      .deleteChain('inet', 'tscni_new', 'c');
    assert.deepEqual(renderNftBatch(batch, listed()), [
      { flush: { chain: { family: 'inet', table: MASQ_TABLE, name: 'masq_checks' } } },
      { delete: { chain: { family: 'inet', table: MASQ_TABLE, name: 'masq_checks' } } },
      { add: { table: { family: 'inet', name: 'tscni_new' } } },
      { add: { chain: { family: 'inet', table: 'tscni_new', name: 'c' } } },
      { flush: { chain: { family: 'inet', table: 'tscni_new', name: 'c' } } },
      { delete: { chain: { family: 'inet', table: 'tscni_new', name: 'c' } } },
    ]);
    assert.deepEqual(batch.tablesToList(), [
      { family: 'inet', table: MASQ_TABLE },
      { family: 'inet', table: 'tscni_absent' },
      { family: 'inet', table: 'tscni_new' },
    ]);
  });

  it('writes addresses as nft lists them', () => {
    assert.deepEqual(nftAddress('10.22.0.7/16'), { prefix: { addr: '10.22.0.0', len: 16 } });
    assert.equal(nftAddress('fd00::2'), 'fd00::2');
    assert.equal(nftAddress('10.0.0.1/32'), '10.0.0.1');
    assert.throws(() => nftAddress('nope'), /invalid IP/);
  });
});
