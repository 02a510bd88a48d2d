/**
 * sbr against the Go reference (/usr/lib/cni/sbr, v1.1.1): the same chain (tscni's ptp or
 * bridge with host-local, then sbr) in two sandboxes, once with each sbr; the results and the
 * container's rules and routes (every table) must agree after ADD and after DEL. v1.1.1 has
 * neither `table`, `gateways` nor `addSourceHints`, so only the default mode is compared.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { printResult } from '@tscni/spec/result-print';
import { resultFromBytes } from '@tscni/spec/result-decode';
import { runChain, type ChainList } from '../../testing/chain.js';
import { kernelState, masked, waitForDad } from '../../testing/kernel-state.js';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';
import type { ScratchNetns } from '@tscni/netlink/testing/scratch-netns';

const NAME = 'tscnisbrdiff';

interface Case {
  title: string;
  list: (sb: Sandbox) => ChainList;
  /** Runs in the container before the chain. */
  setup?: (sb: Sandbox) => void;
  /** Replaces the main plugin's result as sbr's prevResult. */
  prevResult?: (sb: Sandbox, main: Record<string, unknown>) => Record<string, unknown>;
}

const ipam = (sb: Sandbox, ranges: string[][], routes: string[] = ['0.0.0.0/0']): Record<string, unknown> => ({
  type: 'host-local',
  ranges: ranges.map((set) => set.map((subnet) => ({ subnet }))),
  routes: routes.map((dst) => ({ dst })),
  dataDir: join(sb.dir, 'ipam'),
});

const chain = (cniVersion: string, main: (sb: Sandbox) => Record<string, unknown>) => (sb: Sandbox): ChainList => ({
  name: NAME,
  cniVersion,
  plugins: [main(sb), { type: 'sbr' }],
});

const CASES: Case[] = [
  {
    title: 'ptp, dual stack, 1.0.0',
    list: chain('1.0.0', (sb) => ({ type: 'ptp', ipam: ipam(sb, [['10.81.0.0/24'], ['fd81::/64']], ['0.0.0.0/0', '::/0']) })),
  },
  {
    title: 'bridge with a gateway and a default route, 0.4.0',
    list: chain('0.4.0', (sb) => ({ type: 'bridge', bridge: 'tscnisbrd0', isGateway: true, ipam: ipam(sb, [['10.82.0.0/24']]) })),
  },
  {
    title: 'ptp, two IPv4 addresses (two tables), 0.3.1',
    list: chain('0.3.1', (sb) => ({ type: 'ptp', ipam: ipam(sb, [['10.83.0.0/24'], ['10.84.0.0/24']]) })),
  },
  {
    title: 'bridge, dual stack, tables 100 and 102 already named by rules, 1.0.0',
    list: chain('1.0.0', (sb) => ({ type: 'bridge', bridge: 'tscnisbrd0', isGateway: true, ipam: ipam(sb, [['10.85.0.0/24'], ['fd85::/64']], ['0.0.0.0/0', '192.0.2.0/24', '::/0']) })),
    setup: (sb) => {
      sb.cont.exec('ip', ['rule', 'add', 'from', '198.51.100.1', 'lookup', '100']);
      sb.cont.exec('ip', ['-6', 'rule', 'add', 'from', '2001:db8::1', 'lookup', '102']);
    },
  },
  {
    title: 'a prevResult with an address of another interface (skipped) and one of none (kept), 1.0.0',
    list: chain('1.0.0', (sb) => ({ type: 'ptp', ipam: ipam(sb, [['10.87.0.0/24']]) })),
    prevResult: (sb, main) => ({
      ...main,
      ips: [
        ...(main['ips'] as unknown[]),
        { address: '10.88.0.5/24', gateway: '10.88.0.1', interface: 0 },
        { address: '10.89.0.7/24' },
      ],
    }),
  },
];

interface Observed {
  result: string;
  afterAdd: unknown;
  afterDel: unknown;
}

const rules = (ns: ScratchNetns): unknown => [JSON.parse(ns.exec('ip', ['-json', '-4', 'rule'])), JSON.parse(ns.exec('ip', ['-json', '-6', 'rule']))];
const state = (ns: ScratchNetns): unknown => {
  waitForDad(ns);
  const { routes, addresses } = kernelState(ns);
  return { rules: rules(ns), routes, addresses };
};

function observe(c: Case, sb: Sandbox, reference: boolean): Observed {
  c.setup?.(sb);
  const list = c.list(sb);
  const main = runChain(sb, { ...list, plugins: [list.plugins[0]!] }, { command: 'ADD' });
  assert.equal(main.ok, true, main.steps.at(-1)?.outcome.stdout);
  const prevResult = c.prevResult ? c.prevResult(sb, main.result!) : main.result!;
  const sbr = { ...list, plugins: [list.plugins[1]!] };
  const add = runChain(sb, sbr, { command: 'ADD', prevResult, reference });
  const out = add.steps[0]!.outcome;
  assert.equal(add.ok, true, `${reference ? 'reference' : 'tscni'}: ${out.stdout}`);
  const afterAdd = state(sb.cont);
  const del = runChain(sb, sbr, { command: 'DEL', prevResult, reference });
  assert.equal(del.ok, true, del.steps[0]!.outcome.stdout);
  const afterDel = state(sb.cont);
  assert.equal(runChain(sb, list, { command: 'DEL', prevResult: main.result! }).ok, true);
  // The two containers' namespaces have different names.
  return { result: printResult(resultFromBytes(out.stdout)).replaceAll(sb.cont.path, '<netns>'), afterAdd, afterDel };
}

describe('sbr against the reference (v1.1.1)', () => {
  const sandboxes: Sandbox[] = [];
  const make = (): Sandbox => {
    const sb = sandbox('tscni-sbrd-');
    sandboxes.push(sb);
    return sb;
  };
  after(() => sandboxes.forEach((sb) => sb.remove()));

  for (const c of CASES) {
    it(`${c.title}: same result, rules and routes after ADD and DEL`, () => {
      const ours = observe(c, make(), false);
      const theirs = observe(c, make(), true);
      assert.deepEqual(masked(ours), masked(theirs));
    });
  }

  it('the same config errors, with code 7 where the reference says 999 (deliberate)', () => {
    const sb = make();
    const base = { cniVersion: '1.0.0', name: NAME, type: 'sbr' };
    const configs = [base, { ...base, prevResult: { cniVersion: '1.0.0', interfaces: [{ name: 'eth0' }], ips: [] } }];
    for (const config of configs) {
      const ours = sb.run('sbr', { command: 'ADD', config });
      const theirs = sb.run('sbr', { command: 'ADD', config }, true);
      assert.equal(theirs.json?.['code'], 999);
      assert.equal(ours.json?.['code'], 7);
      assert.equal(ours.json?.['msg'], theirs.json?.['msg']);
    }
  });

  it('DEL once the interface is gone: the reference v1.1.1 fails, tscni succeeds as upstream HEAD does (deliberate)', () => {
    const sb = make();
    const config = { cniVersion: '1.0.0', name: NAME, type: 'sbr' };
    const theirs = sb.run('sbr', { command: 'DEL', config }, true);
    assert.deepEqual(theirs.json, { code: 999, msg: 'Failed to get link eth0: Link not found' });
    const ours = sb.run('sbr', { command: 'DEL', config });
    assert.equal(ours.code, 0, ours.stdout);
  });

  it('DEL once the namespace is gone: the reference fails and leaves a file at its path, tscni succeeds and leaves nothing (deliberate)', () => {
    const sb = make();
    const path = sb.cont.path;
    sb.cont.remove();
    const config = { cniVersion: '1.0.0', name: NAME, type: 'sbr' };
    try {
      const ours = sb.run('sbr', { command: 'DEL', config });
      assert.equal(ours.code, 0, ours.stdout);
      assert.equal(existsSync(path), false);
      const theirs = sb.run('sbr', { command: 'DEL', config }, true);
      assert.equal(theirs.code, 1);
      assert.match(String(theirs.json?.['msg']), /^unknown FS magic on /);
      assert.equal(existsSync(path), true);
    } finally {
      rmSync(path, { force: true });
    }
  });
});
