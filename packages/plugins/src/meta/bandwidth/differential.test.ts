import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pluginConfig, runChain, type ChainList } from '../../testing/chain.js';
import { REFERENCE_DIR } from '../../testing/run-plugin.js';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';

const haveReference = existsSync(join(REFERENCE_DIR, 'bandwidth'));

interface Case {
  name: string;
  cniVersion: string;
  bw: Record<string, unknown>;
  runtimeConfig?: Record<string, unknown>;
}

const CASES: Case[] = [
  { name: 'both directions from the capability', cniVersion: '1.0.0', bw: { capabilities: { bandwidth: true } }, runtimeConfig: { bandwidth: { ingressRate: 1_000_000, ingressBurst: 100_000, egressRate: 2_000_000, egressBurst: 200_000 } } },
  { name: 'ingress only, top-level keys', cniVersion: '1.0.0', bw: { ingressRate: 8_000_000, ingressBurst: 64_000 } },
  { name: 'egress only, 0.4.0', cniVersion: '0.4.0', bw: { egressRate: 3_000_000, egressBurst: 3_000_000 } },
  {
    name: 'top-level keys win over the capability',
    cniVersion: '1.0.0',
    bw: { capabilities: { bandwidth: true }, egressRate: 500_000, egressBurst: 50_000 },
    runtimeConfig: { bandwidth: { ingressRate: 1_000_000, ingressBurst: 100_000 } },
  },
  { name: 'rates above 4 GB/s (64-bit attributes), 0.3.1', cniVersion: '0.3.1', bw: { ingressRate: 40_000_000_000, ingressBurst: 8_000_000_000, egressRate: 36_000_000_000, egressBurst: 800_000 } },
  { name: 'no limits: prevResult passed through', cniVersion: '1.0.0', bw: { ingressRate: 0, ingressBurst: 0 } },
];

function chain(sb: Sandbox, c: Case): ChainList {
  return { name: 'bwdiff', cniVersion: c.cniVersion, plugins: [{ type: 'ptp', ipam: { type: 'host-local', subnet: '10.251.40.0/24', dataDir: join(sb.dir, 'ipam') } }, { type: 'bandwidth', ...c.bw }] };
}

/** Replaces what differs between two runs by design (random veth names, MACs, namespace paths) or
 * only in form (Debian's 1.0.0 results always carry an empty dns). */
function normalize(text: string, sb: Sandbox, veth: string): string {
  return text
    .replaceAll(veth, 'VETH')
    .replaceAll(sb.cont.path, 'NETNS')
    .replace(/"mac":\s*"[0-9a-f:]+"/g, '"mac":"MAC"')
    .replace(/,"dns":\{\}/g, '');
}

function hostVethOf(result: Record<string, unknown>): string {
  return (result['interfaces'] as { name: string; sandbox?: string }[]).find((i) => i.sandbox === undefined && i.name.startsWith('veth'))!.name;
}

/** tc's view of everything bandwidth touches: qdiscs and filters of the host veth and the ifb. */
function tcView(sb: Sandbox, veth: string): string {
  const tc = (args: string[]): unknown => JSON.parse(sb.host.exec('tc', ['-j', ...args]) || '[]');
  const devs = [veth, ...(JSON.parse(sb.host.exec('ip', ['-j', '-d', 'link', 'show', 'type', 'ifb'])) as { ifname: string }[]).map((l) => l.ifname)];
  const view = devs.map((dev) => ({
    dev,
    qdiscs: tc(['qdisc', 'show', 'dev', dev]),
    ingress: dev === veth ? tc(['filter', 'show', 'dev', dev, 'ingress']) : [],
    root: tc(['filter', 'show', 'dev', dev, 'root']),
  }));
  return normalize(JSON.stringify(view), sb, veth);
}

interface Run {
  result: string;
  tc: string;
  check: string;
  afterBandwidthDel: string;
  del: boolean;
}

function runBoth(c: Case, reference: boolean): Run {
  const sb = sandbox('tscni-bwd-');
  const ref = reference ? ['bandwidth'] : false;
  try {
    const list = chain(sb, c);
    const add = runChain(sb, list, { command: 'ADD', ...(c.runtimeConfig ? { runtimeConfig: c.runtimeConfig } : {}), reference: ref });
    assert.equal(add.ok, true, add.steps.at(-1)?.outcome.stdout);
    const veth = hostVethOf(add.result!);
    const result = normalize(JSON.stringify(add.result), sb, veth);
    const tc = tcView(sb, veth);
    const check = runChain(sb, list, { command: 'CHECK', ...(c.runtimeConfig ? { runtimeConfig: c.runtimeConfig } : {}), prevResult: add.result!, reference: ref });
    const bwDel = sb.run('bandwidth', { command: 'DEL', config: pluginConfig(list, 1, c.runtimeConfig, add.result!) }, reference);
    assert.equal(bwDel.code, 0, bwDel.stdout);
    const afterBandwidthDel = tcView(sb, veth);
    const del = runChain(sb, list, { command: 'DEL', ...(c.runtimeConfig ? { runtimeConfig: c.runtimeConfig } : {}), prevResult: add.result!, reference: ref });
    return { result, tc, check: check.steps.at(-1)!.outcome.stdout, afterBandwidthDel, del: del.ok };
  } finally {
    sb.remove();
  }
}

describe('bandwidth against the Go reference (v1.1.1)', { skip: haveReference ? false : `${REFERENCE_DIR}/bandwidth is not installed` }, () => {
  for (const c of CASES) {
    it(c.name, () => {
      const ours = runBoth(c, false);
      const theirs = runBoth(c, true);
      assert.deepEqual(JSON.parse(ours.result), JSON.parse(theirs.result), 'results');
      assert.equal(ours.tc, theirs.tc, 'tc -j qdisc/filter of the host veth and the ifb');
      assert.equal(ours.check, theirs.check, 'CHECK output');
      assert.equal(ours.del && theirs.del, true, 'DEL');
      // Deliberate difference: the reference's DEL leaves its tbf and ingress qdiscs on the host veth.
      const kinds = (view: string): string[] => (JSON.parse(view) as { qdiscs: { kind: string }[] }[]).flatMap((d) => d.qdiscs.map((q) => q.kind)).filter((k) => k !== 'noqueue');
      assert.deepEqual(kinds(ours.afterBandwidthDel), []);
      if (kinds(ours.tc).length > 0) assert.notDeepEqual(kinds(theirs.afterBandwidthDel), [], 'the reference leaves qdiscs on the veth');
    });
  }

  it('bad configs: the same messages, code 7 where the reference says 999', () => {
    const sb = sandbox('tscni-bwd-');
    try {
      for (const bw of [{ ingressRate: 1000 }, { egressBurst: 1000 }, { egressRate: 1, egressBurst: 2 ** 40 }]) {
        const config = { cniVersion: '1.0.0', name: 'bwdiff', type: 'bandwidth', ...bw };
        const ours = sb.run('bandwidth', { command: 'ADD', config });
        const theirs = sb.run('bandwidth', { command: 'ADD', config }, true);
        assert.equal(ours.json?.['msg'], theirs.json?.['msg']);
        assert.deepEqual([ours.json?.['code'], theirs.json?.['code']], [7, 999]);
      }
    } finally {
      sb.remove();
    }
  });
});
