import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pluginConfig, runChain, type ChainList } from '../../testing/chain.js';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';
import { ifbName } from './shaping.js';

interface TcQdisc {
  kind: string;
  handle: string;
  dev: string;
  parent?: string;
  root?: boolean;
  options?: { rate?: number; burst?: number; lat?: number; default?: string };
}
interface TcFilter {
  protocol: string;
  pref: number;
  options?: { flowid?: string; match?: { value: string; mask: string; off: number }; actions?: { to_dev: string; control_action: { type: string } }[] };
}

const RATES = { ingressRate: 1_000_000, ingressBurst: 100_000, egressRate: 2_000_000, egressBurst: 200_000 };

function qdiscs(sb: Sandbox, dev?: string): TcQdisc[] {
  return JSON.parse(sb.host.exec('tc', ['-j', 'qdisc', 'show', ...(dev ? ['dev', dev] : [])]) || '[]') as TcQdisc[];
}
function filters(sb: Sandbox, dev: string, parent: string[]): TcFilter[] {
  return (JSON.parse(sb.host.exec('tc', ['-j', 'filter', 'show', 'dev', dev, ...parent]) || '[]') as TcFilter[]).filter((f) => f.options?.match);
}
function links(sb: Sandbox): { ifname: string; linkinfo?: { info_kind?: string } }[] {
  return JSON.parse(sb.host.exec('ip', ['-j', '-d', 'link', 'show'])) as { ifname: string; linkinfo?: { info_kind?: string } }[];
}
/** Everything on the host side a meta plugin may leave behind. */
function hostState(sb: Sandbox): unknown {
  return {
    qdiscs: qdiscs(sb).map((q) => `${q.dev} ${q.kind} ${q.handle}`),
    links: links(sb).map((l) => `${l.ifname} ${l.linkinfo?.info_kind ?? ''}`),
    iptables: sb.host.exec('iptables-save', []).split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/, '')),
    nft: sb.host.exec('nft', ['list', 'ruleset']),
  };
}
function ifbs(sb: Sandbox): string[] {
  return links(sb).filter((l) => l.linkinfo?.info_kind === 'ifb').map((l) => l.ifname);
}

function chainOf(sb: Sandbox, main: 'ptp' | 'bridge', subnet: string, bw: object = { capabilities: { bandwidth: true } }): ChainList {
  const ipam = { type: 'host-local', subnet, dataDir: join(sb.dir, 'ipam') };
  const first = main === 'ptp' ? { type: 'ptp', ipam } : { type: 'bridge', bridge: `bwbr${subnet.split('.')[2]}`, isGateway: true, ipam };
  return { name: 'bwnet', cniVersion: '1.0.0', plugins: [first, { type: 'bandwidth', ...bw }] };
}

function hostVeth(result: Record<string, unknown>): string {
  const ifs = result['interfaces'] as { name: string; sandbox?: string }[];
  return ifs.find((i) => i.sandbox === undefined && i.name.startsWith('veth'))!.name;
}

for (const main of ['ptp', 'bridge'] as const) {
  describe(`bandwidth after ${main}`, () => {
    let sb: Sandbox;
    before(() => {
      sb = sandbox('tscni-bw-');
    });
    after(() => sb?.remove());

    it('ADD shapes both directions, CHECK passes, DEL removes the ifb and its qdiscs, DEL twice succeeds', () => {
      const list = chainOf(sb, main, main === 'ptp' ? '10.251.20.0/24' : '10.251.21.0/24');
      const beforeState = hostState(sb);
      const add = runChain(sb, list, { command: 'ADD', runtimeConfig: { bandwidth: RATES } });
      assert.equal(add.ok, true, add.steps.at(-1)?.outcome.stdout);
      const veth = hostVeth(add.result!);
      const ifb = ifbName('bwnet', 'ctr1');
      const ifs = add.result!['interfaces'] as { name: string; mac: string; sandbox?: string }[];
      const ifbMac = (JSON.parse(sb.host.exec('ip', ['-j', 'link', 'show', ifb])) as { address: string; mtu: number; txqlen: number }[])[0]!;
      assert.deepEqual(ifs.at(-1), { name: ifb, mac: ifbMac.address });
      assert.equal(ifbMac.txqlen ?? 0, 0, "ip prints no txqlen when it is 0");

      const onVeth = qdiscs(sb, veth);
      assert.deepEqual(onVeth.map((q) => [q.kind, q.handle]), [['tbf', '1:'], ['ingress', 'ffff:']]);
      assert.deepEqual([onVeth[0]!.options?.rate, onVeth[0]!.options?.burst, onVeth[0]!.options?.lat], [125000, 12500, 25000]);
      const onIfb = qdiscs(sb, ifb);
      assert.deepEqual(onIfb.map((q) => [q.kind, q.handle, q.options?.rate, q.options?.burst]), [['tbf', '1:', 250000, 25000]]);
      const redirect = filters(sb, veth, ['ingress']);
      assert.deepEqual(redirect[0]!.options!.actions!.map((a) => [a.to_dev, a.control_action.type]), [[ifb, 'stolen'], [ifb, 'pass']]);

      const check = runChain(sb, list, { command: 'CHECK', runtimeConfig: { bandwidth: RATES }, prevResult: add.result! });
      assert.equal(check.ok, true, check.steps.at(-1)?.outcome.stdout);

      // bandwidth's own DEL, while the veth still exists: unlike the reference it clears the veth too.
      const bwDel = () => sb.run('bandwidth', { command: 'DEL', config: pluginConfig(list, 1, { bandwidth: RATES }, add.result!) });
      assert.equal(bwDel().code, 0);
      assert.deepEqual(qdiscs(sb, veth).filter((q) => q.kind !== 'noqueue'), []);
      assert.deepEqual(ifbs(sb), []);
      assert.equal(bwDel().code, 0, 'DEL twice');

      const del = runChain(sb, list, { command: 'DEL', runtimeConfig: { bandwidth: RATES }, prevResult: add.result! });
      assert.equal(del.ok, true, del.steps.at(-1)?.outcome.stdout);
      const del2 = runChain(sb, list, { command: 'DEL', runtimeConfig: { bandwidth: RATES }, prevResult: add.result! });
      assert.equal(del2.ok, true, del2.steps.at(-1)?.outcome.stdout);
      if (main === 'ptp') assert.deepEqual(hostState(sb), beforeState);
      else {
        assert.deepEqual(ifbs(sb), []);
        assert.deepEqual(qdiscs(sb).filter((q) => q.kind !== 'noqueue'), []);
      }
    });

    it('DEL without runtime config or prevResult still removes the ifb and the qdiscs', () => {
      const list = chainOf(sb, main, main === 'ptp' ? '10.251.22.0/24' : '10.251.23.0/24');
      const add = runChain(sb, list, { command: 'ADD', runtimeConfig: { bandwidth: RATES }, containerID: 'ctr2' });
      assert.equal(add.ok, true, add.steps.at(-1)?.outcome.stdout);
      const veth = hostVeth(add.result!);
      const bare = sb.run('bandwidth', { command: 'DEL', containerID: 'ctr2', config: pluginConfig(list, 1, undefined, undefined) });
      assert.equal(bare.code, 0, bare.stdout);
      assert.deepEqual(qdiscs(sb, veth).filter((q) => q.kind !== 'noqueue'), []);
      assert.deepEqual(ifbs(sb), []);
      const del = runChain(sb, list, { command: 'DEL', containerID: 'ctr2' });
      assert.equal(del.ok, true, del.steps.at(-1)?.outcome.stdout);
    });
  });
}

describe('bandwidth DEL after the container namespace is gone', () => {
  it('succeeds and removes the ifb found by container ID', () => {
    const sb = sandbox('tscni-bw-');
    try {
      const list = chainOf(sb, 'ptp', '10.251.24.0/24');
      const beforeState = hostState(sb);
      const add = runChain(sb, list, { command: 'ADD', runtimeConfig: { bandwidth: RATES } });
      assert.equal(add.ok, true, add.steps.at(-1)?.outcome.stdout);
      const netns = sb.cont.path;
      sb.cont.remove();
      assert.deepEqual(ifbs(sb), [ifbName('bwnet', 'ctr1')]);
      const del = runChain(sb, list, { command: 'DEL', runtimeConfig: { bandwidth: RATES }, prevResult: add.result!, netns });
      assert.equal(del.ok, true, del.steps.map((s) => s.outcome.stdout).join('\n'));
      assert.deepEqual(hostState(sb), beforeState);
    } finally {
      sb.remove();
    }
  });
});

describe('bandwidth CHECK, failures and subnets', () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox('tscni-bw-');
  });
  after(() => sb?.remove());

  it('CHECK finds a changed tbf and a missing ifb', () => {
    const list = chainOf(sb, 'ptp', '10.251.25.0/24');
    const add = runChain(sb, list, { command: 'ADD', runtimeConfig: { bandwidth: RATES }, containerID: 'chk' });
    assert.equal(add.ok, true, add.steps.at(-1)?.outcome.stdout);
    const veth = hostVeth(add.result!);
    const check = () => sb.run('bandwidth', { command: 'CHECK', containerID: 'chk', config: pluginConfig(list, 1, { bandwidth: RATES }, add.result!) });
    assert.equal(check().code, 0);
    sb.host.exec('tc', ['qdisc', 'change', 'dev', veth, 'root', 'handle', '1:', 'tbf', 'rate', '2mbit', 'burst', '12500', 'latency', '25ms']);
    assert.equal(check().json?.['msg'], "Rate doesn't match");
    sb.host.exec('ip', ['link', 'del', ifbName('bwnet', 'chk')]);
    sb.host.exec('tc', ['qdisc', 'change', 'dev', veth, 'root', 'handle', '1:', 'tbf', 'rate', '1mbit', 'burst', '12500', 'latency', '25ms']);
    assert.deepEqual([check().json?.['code'], check().json?.['msg']], [999, 'get ifb device: Link not found']);
    assert.equal(runChain(sb, list, { command: 'DEL', containerID: 'chk', prevResult: add.result! }).ok, true);
  });

  it('bad config is code 7 with the reference message and makes nothing', () => {
    const list = chainOf(sb, 'ptp', '10.251.26.0/24', { ingressRate: 1000 });
    const add = runChain(sb, list, { command: 'ADD', containerID: 'bad' });
    assert.equal(add.ok, false);
    assert.deepEqual(add.steps.at(-1)!.outcome.json, { code: 7, msg: 'if rate is set, burst must also be set' });
    assert.doesNotMatch(add.steps.at(-1)!.outcome.stdout + add.steps.at(-1)!.outcome.stderr, /\n\s+at /);
    const veth = hostVeth(add.steps[0]!.outcome.json!);
    assert.deepEqual(qdiscs(sb, veth).filter((q) => q.kind !== 'noqueue'), []);
    const unchained = sb.run('bandwidth', { command: 'ADD', containerID: 'bad', config: { cniVersion: '1.0.0', name: 'bwnet', type: 'bandwidth', ...RATES } });
    assert.deepEqual(unchained.json, { code: 7, msg: 'must be called as chained plugin' });
    const old = sb.run('bandwidth', { command: 'ADD', containerID: 'bad', config: { cniVersion: '0.2.0', name: 'bwnet', type: 'bandwidth' } });
    assert.equal(old.json?.['code'], 1);
    assert.equal(runChain(sb, chainOf(sb, 'ptp', '10.251.26.0/24'), { command: 'DEL', containerID: 'bad' }).ok, true);
  });

  it('a failed ADD undoes what it made and leaves what it did not make', () => {
    const list = chainOf(sb, 'ptp', '10.251.27.0/24');
    const ifb = ifbName('bwnet', 'undo');
    sb.host.exec('ip', ['link', 'add', ifb, 'type', 'ifb']);
    const add = runChain(sb, list, { command: 'ADD', containerID: 'undo', runtimeConfig: { bandwidth: RATES } });
    assert.equal(add.ok, false);
    assert.deepEqual(add.steps.at(-1)!.outcome.json, { code: 999, msg: 'adding link: file exists' });
    const veth = hostVeth(add.steps[0]!.outcome.json!);
    assert.deepEqual(qdiscs(sb, veth).filter((q) => q.kind !== 'noqueue'), []);
    assert.deepEqual(ifbs(sb), [ifb]);
    sb.host.exec('ip', ['link', 'del', ifb]);
    assert.equal(runChain(sb, list, { command: 'DEL', containerID: 'undo' }).ok, true);
  });

  it('unshapedSubnets: htb with the shaped class by default and the subnets sent to 1:1, matched on the peer address', () => {
    const bw = { capabilities: { bandwidth: true }, unshapedSubnets: ['10.99.0.0/16', 'fd99::/64'], ...RATES };
    const list = chainOf(sb, 'ptp', '10.251.28.0/24', bw);
    const add = runChain(sb, list, { command: 'ADD', containerID: 'sub' });
    assert.equal(add.ok, true, add.steps.at(-1)?.outcome.stdout);
    const veth = hostVeth(add.result!);
    const ifb = ifbName('bwnet', 'sub');
    for (const [dev, v4off, v6off] of [
      [veth, 12, 8],
      [ifb, 16, 24],
    ] as const) {
      const root = qdiscs(sb, dev).find((q) => q.root)!;
      assert.deepEqual([root.kind, root.handle, root.options?.default], ['htb', '1:', '0x30']);
      const classes = sb.host.exec('tc', ['class', 'show', 'dev', dev]);
      assert.match(classes, /class htb 1:30 root prio 0 rate (1|2)Mbit ceil (2|4)Mbit/);
      assert.match(classes, /class htb 1:1 root prio 0 rate 800Gbit ceil 800Gbit/);
      // tc -j prints one "match" key per u32 key, so JSON keeps only the last: read the text.
      const text = sb.host.exec('tc', ['filter', 'show', 'dev', dev, 'parent', '1:']);
      const rules = text.split(/\n(?=filter )/).filter((r) => r.includes('match'));
      const summary = rules.map((r) => [r.match(/protocol (\S+) pref (\d+)/)!.slice(1).join(' '), r.match(/flowid (\S+)/)![1], [...r.matchAll(/match (\S+) at (\d+)/g)].map((m) => `${m[1]}@${m[2]}`)]);
      assert.deepEqual(summary.sort(), [
        ['ip 16', '1:1', [`0a630000/ffff0000@${v4off}`]],
        ['ipv6 15', '1:1', [`fd990000/ffffffff@${v6off}`, `00000000/ffffffff@${v6off + 4}`]],
      ].sort());
    }
    const check = runChain(sb, list, { command: 'CHECK', containerID: 'sub', prevResult: add.result! });
    assert.equal(check.ok, true, check.steps.at(-1)?.outcome.stdout);
    const del = runChain(sb, list, { command: 'DEL', containerID: 'sub', prevResult: add.result! });
    assert.equal(del.ok, true);
    assert.deepEqual(ifbs(sb), []);
  });
});
