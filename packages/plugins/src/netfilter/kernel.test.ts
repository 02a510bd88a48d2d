/**
 * Against the kernel's netfilter, inside a throw-away network namespace (tools run through
 * `ip netns exec`), so the host's rules are never touched; the last test checks that.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { IPFamily } from './addr.js';
import { NetfilterError } from './errors.js';
import { applyIptablesBatch, IptablesBatch } from './iptables.js';
import { readIptablesTable, saveTool } from './iptables-save.js';
import { applyNetfilterBatch } from './apply.js';
import {
  ipMasqBatch,
  ipMasqIptablesTeardownBatch,
  ipMasqNftablesGcBatch,
  ipMasqNftablesTeardownBatch,
  ipMasqTeardownBatch,
  MASQ_CHAIN,
  MASQ_TABLE,
} from './masquerade.js';
import { formatChainName, formatComment, masqComment } from './names.js';
import { nftVerdict } from './nft-expr.js';
import { applyNftBatch, findNftRules, listNftTable, NftBatch } from './nftables.js';
import { defaultBackend, supportsIPTables, supportsNFTables } from './probe.js';
import { netnsRunner, type CommandRunner } from './run.js';

const NS = `tscni-nf-${randomBytes(4).toString('hex')}`;
const runner = netnsRunner(NS);
const isRoot = process.getuid?.() === 0;

/** A runner that records the tools it ran. */
function counting(inner: CommandRunner): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    run(file, args, input) {
      calls.push([file, ...args].join(' '));
      return inner.run(file, args, input);
    },
  };
}

function ruleLines(family: IPFamily, table: string, r: CommandRunner = runner): string[] {
  const out = r.run(saveTool(family), ['-t', table]);
  assert.equal(out.status, 0, out.stderr);
  return out.stdout.split('\n').filter((l) => l.startsWith('-A ') || (l.startsWith(':') && !/^:(PREROUTING|INPUT|OUTPUT|POSTROUTING|FORWARD) /.test(l)));
}

function sh(args: string[]): void {
  const r = runner.run(args[0]!, args.slice(1));
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
}

function hostMentionsTscni(): string[] {
  const found: string[] = [];
  for (const [tool, args] of [
    ['iptables-save', []],
    ['ip6tables-save', []],
    ['nft', ['list', 'ruleset']],
  ] as const) {
    const r = spawnSync(tool, args, { encoding: 'utf8' });
    found.push(...(r.stdout ?? '').split('\n').filter((l) => /tscni/i.test(l)));
  }
  return found;
}

describe('netfilter in a throw-away namespace', { skip: !isRoot && 'needs root' }, () => {
  const hostBefore = isRoot ? hostMentionsTscni() : [];

  before(() => {
    const r = spawnSync('ip', ['netns', 'add', NS], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  after(() => {
    spawnSync('ip', ['netns', 'del', NS]);
  });

  it('probes both backends once per runner', () => {
    const r = counting(runner);
    assert.equal(supportsIPTables(r), true);
    assert.equal(supportsNFTables(r), true);
    assert.equal(defaultBackend(r), 'iptables');
    assert.equal(supportsIPTables(r), true);
    assert.equal(r.calls.length, 2);
    assert.equal(supportsIPTables(netnsRunner('tscni-nf-no-such-namespace')), false);
  });

  const setup = { network: 'tscni-net', ifname: 'eth0', containerID: 'tscni-c1', addresses: ['10.22.0.2/16', 'fd00:22::2/64'] };
  const chain = formatChainName(setup.network, setup.containerID);
  const comment = formatComment(setup.network, setup.containerID).replaceAll('"', '\\"');

  it('sets up the iptables masquerade rules in the reference form, once', () => {
    const r = counting(runner);
    applyNetfilterBatch(ipMasqBatch('iptables', setup), { runner: r });
    assert.deepEqual(r.calls, ['iptables-save -t nat', 'iptables-restore --noflush --wait', 'ip6tables-save -t nat', 'ip6tables-restore --noflush --wait']);
    const v4 = [
      `:${chain} - [0:0]`,
      `-A POSTROUTING -s 10.22.0.2/32 -m comment --comment "${comment}" -j ${chain}`,
      `-A ${chain} -d 10.22.0.0/16 -m comment --comment "${comment}" -j ACCEPT`,
      `-A ${chain} ! -d 224.0.0.0/4 -m comment --comment "${comment}" -j MASQUERADE`,
    ];
    assert.deepEqual(ruleLines('ipv4', 'nat'), v4);
    assert.deepEqual(ruleLines('ipv6', 'nat'), [
      `:${chain} - [0:0]`,
      `-A POSTROUTING -s fd00:22::2/128 -m comment --comment "${comment}" -j ${chain}`,
      `-A ${chain} -d fd00:22::/64 -m comment --comment "${comment}" -j ACCEPT`,
      `-A ${chain} ! -d ff00::/8 -m comment --comment "${comment}" -j MASQUERADE`,
    ]);

    const again = counting(runner);
    applyNetfilterBatch(ipMasqBatch('iptables', setup), { runner: again });
    assert.deepEqual(again.calls, ['iptables-save -t nat', 'ip6tables-save -t nat']);
    assert.deepEqual(ruleLines('ipv4', 'nat'), v4);
  });

  it('tears the iptables rules down from network name and container ID alone', () => {
    applyNetfilterBatch(ipMasqTeardownBatch('iptables', setup), { runner });
    assert.deepEqual(ruleLines('ipv4', 'nat'), []);
    assert.deepEqual(ruleLines('ipv6', 'nat'), []);
    const again = counting(runner);
    applyIptablesBatch(ipMasqIptablesTeardownBatch(setup), { runner: again });
    assert.deepEqual(again.calls, ['iptables-save -t nat', 'ip6tables-save -t nat']);
  });

  it('recognises rules the Go reference wrote (its argument order, the legacy -s ip/prefix jump)', () => {
    const c = formatComment(setup.network, setup.containerID);
    sh(['iptables', '-w', '-t', 'nat', '-N', chain]);
    sh(['iptables', '-w', '-t', 'nat', '-A', chain, '-d', '10.22.0.2/16', '-j', 'ACCEPT', '-m', 'comment', '--comment', c]);
    sh(['iptables', '-w', '-t', 'nat', '-A', chain, '!', '-d', '224.0.0.0/4', '-j', 'MASQUERADE', '-m', 'comment', '--comment', c]);
    sh(['iptables', '-w', '-t', 'nat', '-A', 'POSTROUTING', '-s', '10.22.0.2', '-j', chain, '-m', 'comment', '--comment', c]);
    sh(['iptables', '-w', '-t', 'nat', '-A', 'POSTROUTING', '-s', '10.22.0.2/16', '-j', chain, '-m', 'comment', '--comment', c]);
    const r = counting(runner);
    applyNetfilterBatch(ipMasqBatch('iptables', { ...setup, addresses: ['10.22.0.2/16'] }), { runner: r });
    assert.deepEqual(r.calls, ['iptables-save -t nat']);
    applyNetfilterBatch(ipMasqTeardownBatch('iptables', setup), { runner });
    assert.deepEqual(ruleLines('ipv4', 'nat'), []);
  });

  it('sets up, replaces and tears down the nftables masquerade rules', () => {
    const two = { ...setup, containerID: 'tscni-c2', addresses: ['10.22.0.3/16'] };
    applyNetfilterBatch(ipMasqBatch('nftables', setup), { runner });
    applyNetfilterBatch(ipMasqBatch('nftables', two), { runner });
    applyNetfilterBatch(ipMasqBatch('nftables', setup), { runner });
    let table = listNftTable('inet', MASQ_TABLE, runner)!;
    assert.equal(table.chains.get('postrouting')?.rules.length, 3);
    assert.deepEqual(
      table.chains.get(MASQ_CHAIN)?.rules.map((r) => r.comment),
      [masqComment(setup.network, 'eth0', 'tscni-c2'), masqComment(setup.network, 'eth0', 'tscni-c1'), masqComment(setup.network, 'eth0', 'tscni-c1')],
    );
    const text = runner.run('nft', ['list', 'table', 'inet', MASQ_TABLE]).stdout;
    assert.match(text, /ip saddr 10\.22\.0\.2 ip daddr != 10\.22\.0\.0\/16 masquerade comment/);
    assert.match(text, /ip6 saddr fd00:22::2 ip6 daddr != fd00:22::\/64 masquerade comment/);

    applyNftBatch(ipMasqNftablesTeardownBatch({ network: setup.network, ifname: 'eth0', containerID: 'tscni-c1' }), { runner });
    table = listNftTable('inet', MASQ_TABLE, runner)!;
    assert.deepEqual(
      findNftRules(table, { chain: MASQ_CHAIN }).map((r) => r.comment),
      [masqComment(setup.network, 'eth0', 'tscni-c2')],
    );
    applyNftBatch(ipMasqNftablesGcBatch(setup.network, []), { runner });
    assert.deepEqual(findNftRules(listNftTable('inet', MASQ_TABLE, runner), { chain: MASQ_CHAIN }), []);
    assert.deepEqual(applyNftBatch(ipMasqNftablesTeardownBatch(setup), { runner }), []);
    applyNftBatch(new NftBatch().deleteTable('inet', MASQ_TABLE), { runner });
    assert.equal(listNftTable('inet', MASQ_TABLE, runner), undefined);
  });

  it('keeps ensureChain and flushChain apart, and deletes chains only when they exist', () => {
    const add = new IptablesBatch().ensureChain('ipv4', 'filter', 'TSCNI-KEEP').append('ipv4', 'filter', 'TSCNI-KEEP', ['-s', '10.9.0.1', '-j', 'ACCEPT']);
    applyIptablesBatch(add, { runner });
    applyIptablesBatch(new IptablesBatch().ensureChain('ipv4', 'filter', 'TSCNI-KEEP'), { runner });
    assert.equal(readIptablesTable('ipv4', 'filter', runner).rules('TSCNI-KEEP').length, 1);
    applyIptablesBatch(new IptablesBatch().flushChain('ipv4', 'filter', 'TSCNI-KEEP'), { runner });
    assert.equal(readIptablesTable('ipv4', 'filter', runner).rules('TSCNI-KEEP').length, 0);
    applyIptablesBatch(add, { runner });
    const del = new IptablesBatch().deleteChain('ipv4', 'filter', 'TSCNI-KEEP');
    applyIptablesBatch(del, { runner });
    applyIptablesBatch(del, { runner });
    assert.deepEqual(ruleLines('ipv4', 'filter'), []);
  });

  it('leaves nothing of a failing iptables batch and names the failing rule', () => {
    const beforeV4 = ruleLines('ipv4', 'filter');
    const bad = new IptablesBatch()
      .ensureChain('ipv4', 'filter', 'TSCNI-FAIL')
      .append('ipv4', 'filter', 'TSCNI-FAIL', ['-j', 'ACCEPT'])
      .append('ipv4', 'filter', 'TSCNI-FAIL', ['-m', 'comment', '--comment', 'tscni bad rule', '-j', 'TSCNI-NO-SUCH-CHAIN']);
    assert.throws(
      () => applyIptablesBatch(bad, { runner }),
      (e: unknown) => e instanceof NetfilterError && /TSCNI-NO-SUCH-CHAIN/.test(e.failed ?? '') && /line 4 \(-A TSCNI-FAIL .*TSCNI-NO-SUCH-CHAIN\)/.test(e.message),
    );
    assert.deepEqual(ruleLines('ipv4', 'filter'), beforeV4);

    const halfBad = new IptablesBatch()
      .ensureChain('ipv4', 'filter', 'TSCNI-V4')
      .append('ipv4', 'filter', 'TSCNI-V4', ['-j', 'ACCEPT'])
      .append('ipv4', 'filter', 'FORWARD', ['-j', 'TSCNI-V4'])
      .append('ipv6', 'filter', 'TSCNI-V6-MISSING', ['-j', 'ACCEPT']);
    assert.throws(
      () => applyIptablesBatch(halfBad, { runner }),
      (e: unknown) => e instanceof NetfilterError && e.tool === 'ip6tables-restore' && /TSCNI-V6-MISSING/.test(e.message) && /ipv4 changes of this batch were reverted/.test(e.message),
    );
    assert.deepEqual(ruleLines('ipv4', 'filter'), beforeV4);
    assert.deepEqual(ruleLines('ipv6', 'filter'), []);
  });

  it('leaves nothing of a failing nft batch and names the refused command', () => {
    const bad = new NftBatch()
      .addTable('inet', 'tscni_fail')
      .addChain('inet', 'tscni_fail', 'c')
      .addRule('inet', 'tscni_fail', 'c', [nftVerdict('accept')])
      .addRule('inet', 'tscni_fail', 'tscni_no_chain', [nftVerdict('accept')], { comment: 'tscni bad rule' });
    assert.throws(
      () => applyNftBatch(bad, { runner }),
      (e: unknown) => e instanceof NetfilterError && e.position === 3 && /tscni_no_chain/.test(e.message),
    );
    assert.equal(listNftTable('inet', 'tscni_fail', runner), undefined);
    assert.throws(() => applyNftBatch(new NftBatch().addRule('inet', 'tscni_x', 'c', [{ tscni_bogus: null }]), { runner }), (e: unknown) => e instanceof NetfilterError && e.position === 0);
  });

  it('does not let concurrent batches from two processes corrupt each other', async () => {
    const worker = fileURLToPath(new URL('./fixture-worker.js', import.meta.url));
    const rounds = 15;
    const run = (backend: string, id: string) =>
      new Promise<void>((resolve, reject) => {
        const p = spawn(process.execPath, [worker, NS, backend, id, String(rounds)], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${backend} ${id} exited ${code}: ${err}`))));
      });
    await Promise.all([run('iptables', '1'), run('iptables', '2'), run('nftables', '1'), run('nftables', '2')]);

    const shared = readIptablesTable('ipv4', 'filter', runner).rules('TSCNI-SHARED');
    assert.deepEqual(shared.map((r) => r.comment).sort(), [`tscni-w1-${rounds - 1}`, `tscni-w2-${rounds - 1}`]);
    const nft = findNftRules(listNftTable('inet', 'tscni_shared', runner), { chain: 'shared' });
    assert.deepEqual(nft.map((r) => r.comment).sort(), [`tscni-w1-${rounds - 1}`, `tscni-w2-${rounds - 1}`]);
  });

  it('never touched the host namespace', () => {
    assert.deepEqual(hostMentionsTscni(), hostBefore);
  });
});
