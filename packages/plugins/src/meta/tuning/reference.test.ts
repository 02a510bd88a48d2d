/**
 * tuning next to the Go reference (/usr/lib/cni/tuning, v1.1.1): the same chain (our ptp and
 * host-local, then either tuning) in two sandboxes; results, the container link, sysctls, the
 * saved file, CHECK and DEL compared. Then each implementation's DEL restores what the other's
 * ADD saved.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { printResult } from '@tscni/spec/result-print';
import { resultFromBytes } from '@tscni/spec/result-decode';
import { runChain, type ChainList } from '../../testing/chain.js';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';

type Exec = { exec(c: string, a: readonly string[]): string };
interface IpLink {
  address: string;
  mtu: number;
  txqlen?: number;
  flags: string[];
}

const attrs = (ns: Exec) => {
  const l = (JSON.parse(ns.exec('ip', ['-json', 'link', 'show', 'dev', 'eth0'])) as IpLink[])[0]!;
  return { mac: l.address, mtu: l.mtu, txqlen: l.txqlen ?? 0, promisc: l.flags.includes('PROMISC'), allmulti: l.flags.includes('ALLMULTI') };
};

interface Case {
  name: string;
  tuning: Record<string, unknown>;
  cniVersion?: string;
  runtimeConfig?: Record<string, unknown>;
  args?: string;
  /** Sysctls to read back in the container (/proc/sys relative paths). */
  sysctls?: string[];
}

const CASES: Case[] = [
  {
    name: 'sysctls (IFNAME and a namespace-wide one)',
    tuning: { sysctl: { 'net.ipv4.conf.IFNAME.arp_filter': '1', 'net.core.somaxconn': '512' } },
    sysctls: ['net/ipv4/conf/eth0/arp_filter', 'net/core/somaxconn'],
  },
  { name: 'mac through the mac capability', tuning: { capabilities: { mac: true } }, runtimeConfig: { mac: 'c2:11:22:33:44:55' } },
  { name: 'mac from CNI_ARGS over the config', tuning: { mac: 'c2:00:00:00:00:01' }, args: 'IgnoreUnknown=1;MAC=c2:00:00:00:00:02' },
  { name: 'mtu', tuning: { mtu: 1400 } },
  { name: 'promisc', tuning: { promisc: true } },
  { name: 'allmulti on', tuning: { allmulti: true } },
  { name: 'allmulti off (already off: saved and restored as off)', tuning: { allmulti: false } },
  {
    name: 'everything 1.1.1 has, args.cni over the config, 0.4.0',
    cniVersion: '0.4.0',
    tuning: { mac: 'c2:00:00:00:00:03', mtu: 1300, promisc: true, allmulti: true, sysctl: { 'net.core.somaxconn': '100' }, args: { cni: { mtu: 1280, mac: 'c2:00:00:00:00:04', sysctl: { 'net.core.somaxconn': '200' } } } },
    sysctls: ['net/core/somaxconn'],
  },
  { name: 'mac in a 0.3.1 result', cniVersion: '0.3.1', tuning: { mac: 'c2:00:00:00:00:05' } },
];

interface Side {
  sb: Sandbox;
  list: ChainList;
  original: string;
  result: Record<string, unknown>;
}

describe('tuning differential against the Go reference (v1.1.1)', () => {
  const sandboxes: Sandbox[] = [];
  after(() => sandboxes.forEach((sb) => sb.remove()));
  const cid = `tunref-${randomBytes(4).toString('hex')}`;

  const chain = (sb: Sandbox, c: Case): ChainList => ({
    name: 'tscnituningref',
    cniVersion: c.cniVersion ?? '1.0.0',
    plugins: [
      { type: 'ptp', ipam: { type: 'host-local', subnet: '10.80.0.0/24', dataDir: join(sb.dir, 'ipam') } },
      { type: 'tuning', dataDir: join(sb.dir, 'tuning'), ...c.tuning },
    ],
  });
  const tuningConf = (side: Side, extra: Record<string, unknown> = {}) => ({ ...side.list.plugins[1], name: side.list.name, cniVersion: side.list.cniVersion, ...extra });

  const addSide = (c: Case, reference: boolean): Side => {
    const sb = sandbox('tscni-tunref-');
    sandboxes.push(sb);
    const list = chain(sb, c);
    const add = runChain(sb, list, {
      command: 'ADD',
      containerID: cid,
      ...(c.runtimeConfig ? { runtimeConfig: c.runtimeConfig } : {}),
      ...(c.args ? { args: c.args } : {}),
      reference: reference ? ['tuning'] : false,
    });
    assert.equal(add.ok, true, `${reference ? 'reference' : 'ours'}: ${add.steps.at(-1)?.outcome.stdout}`);
    const ptp = add.steps[0]!.outcome.json as { interfaces: { mac: string }[] };
    return { sb, list, original: ptp.interfaces[1]!.mac, result: add.result! };
  };

  /** What must agree: the printed result, link, sysctls and saved file, with each side's random values named. */
  const observed = (side: Side, c: Case) => {
    const text = printResult(resultFromBytes(JSON.stringify(side.result)));
    const r = JSON.parse(text) as { interfaces?: { name: string; mac: string; sandbox?: string }[] };
    for (const i of r.interfaces ?? []) {
      if (i.name !== 'eth0') Object.assign(i, { name: 'veth*', mac: 'mac*' });
      else if (i.mac === side.original) i.mac = 'original';
      if (i.sandbox) i.sandbox = 'netns';
    }
    const link = attrs(side.sb.cont);
    if (link.mac === side.original) link.mac = 'original';
    const dir = join(side.sb.dir, 'tuning');
    const files = existsSync(dir) ? readdirSync(dir).map((f) => `${f}: ${readFileSync(join(dir, f), 'utf8').replace(side.original, 'original')}`) : [];
    const sysctls = (c.sysctls ?? []).map((k) => `${k}=${side.sb.cont.exec('cat', [`/proc/sys/${k}`]).trim()}`);
    return { result: r, link, files, sysctls };
  };

  for (const c of CASES) {
    it(`${c.name}: same result, link, sysctls and saved file; CHECK alike; DEL restores alike`, () => {
      const ref = addSide(c, true);
      const ours = addSide(c, false);
      assert.deepEqual(observed(ours, c), observed(ref, c));

      for (const side of [ref, ours]) {
        const check = runChain(side.sb, side.list, {
          command: 'CHECK',
          containerID: cid,
          prevResult: side.result,
          ...(c.runtimeConfig ? { runtimeConfig: c.runtimeConfig } : {}),
          ...(c.args ? { args: c.args } : {}),
          reference: side === ref ? ['tuning'] : false,
        });
        // 1.1.1's CHECK does not replace IFNAME (v1.3.0 does): only ours passes there.
        const ifnameKey = Object.keys((c.tuning['sysctl'] as Record<string, string> | undefined) ?? {}).some((k) => k.includes('IFNAME'));
        if (c.cniVersion === '0.3.1') {
          assert.equal(check.steps.at(-1)!.outcome.json?.['msg'], 'config version does not allow CHECK');
        } else if (side === ref && ifnameKey) {
          assert.match(String(check.steps.at(-1)!.outcome.json?.['msg']), /^open \/proc\/sys\/net\/ipv4\/conf\/IFNAME\/arp_filter: no such file or directory$/);
        } else {
          assert.equal(check.ok, true, `${side === ref ? 'reference' : 'ours'}: ${check.steps.at(-1)?.outcome.stdout}`);
        }
      }

      for (const side of [ref, ours]) {
        const del = side.sb.run('tuning', { command: 'DEL', containerID: cid, ...(c.args ? { args: c.args } : {}), config: tuningConf(side) }, side === ref);
        assert.equal(del.code, 0, del.stdout);
        assert.equal(del.stdout, '');
      }
      const afterDel = (s: Side) => {
        const o = observed(s, c);
        return { link: o.link, files: o.files, sysctls: o.sysctls };
      };
      assert.deepEqual(afterDel(ours), afterDel(ref));
      assert.equal(afterDel(ours).link.mac, 'original');
      assert.deepEqual(afterDel(ours).files, []);

      for (const side of [ref, ours]) {
        const del = runChain(side.sb, side.list, { command: 'DEL', containerID: cid, ...(c.args ? { args: c.args } : {}), reference: side === ref ? ['tuning'] : false });
        assert.equal(del.ok, true, del.steps.at(-1)?.outcome.stdout);
      }
    });
  }

  it('bad config: the same messages; code 7 here where the reference says 999', () => {
    const sb = sandbox('tscni-tunref-');
    sandboxes.push(sb);
    const prevResult = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:01', sandbox: sb.cont.path }] };
    sb.cont.exec('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'p0']);
    const base = { cniVersion: '1.0.0', name: 'tscnituningref', type: 'tuning', dataDir: join(sb.dir, 'tuning') };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, mtu: 1400 }, 'Required prevResult missing'],
      [{ ...base, mac: 'c2:00:00:00:00', prevResult }, 'invalid args c2:00:00:00:00 for MAC addr: address c2:00:00:00:00: invalid MAC address'],
    ];
    for (const [config, msg] of cases) {
      const ref = sb.run('tuning', { command: 'ADD', containerID: cid, config }, true);
      const ours = sb.run('tuning', { command: 'ADD', containerID: cid, config });
      assert.deepEqual([ref.json?.['code'], ref.json?.['msg']], [999, msg]);
      assert.deepEqual([ours.json?.['code'], ours.json?.['msg']], [7, msg]);
    }
    // The reference makes its backup before it reads the MAC, and keeps it after failing.
    assert.equal(existsSync(join(sb.dir, 'tuning', `${cid}_eth0.json`)), true);
    assert.equal(sb.run('tuning', { command: 'DEL', containerID: cid, config: base }).code, 0);
    assert.equal(existsSync(join(sb.dir, 'tuning', `${cid}_eth0.json`)), false);
  });

  it('an upper-case MAC: the reference puts it in the result as written and the chain CHECK (ptp) fails; ours passes', () => {
    const c: Case = { name: 'upper-case mac', tuning: { mac: 'C2:00:00:00:00:0A' } };
    const ref = addSide(c, true);
    const ours = addSide(c, false);
    const eth0 = (s: Side) => (s.result['interfaces'] as { name: string; mac: string }[]).find((i) => i.name === 'eth0')!.mac;
    assert.equal(eth0(ref), 'C2:00:00:00:00:0A');
    assert.equal(eth0(ours), 'c2:00:00:00:00:0a');
    const refCheck = runChain(ref.sb, ref.list, { command: 'CHECK', containerID: cid, prevResult: ref.result, reference: ['tuning'] });
    assert.equal(refCheck.ok, false);
    assert.equal(runChain(ours.sb, ours.list, { command: 'CHECK', containerID: cid, prevResult: ours.result }).ok, true);
    for (const side of [ref, ours]) assert.equal(runChain(side.sb, side.list, { command: 'DEL', containerID: cid, reference: side === ref ? ['tuning'] : false }).ok, true);
  });

  for (const [adder, deleter] of [
    ['reference', 'ours'],
    ['ours', 'reference'],
  ] as const) {
    it(`ADD by ${adder}, DEL by ${deleter}: the saved attributes are restored and the file removed`, () => {
      const c: Case = { name: 'cross', tuning: { mac: 'c2:00:00:00:00:0b', mtu: 1400, promisc: true, allmulti: true } };
      const side = addSide(c, adder === 'reference');
      assert.deepEqual(attrs(side.sb.cont), { mac: 'c2:00:00:00:00:0b', mtu: 1400, txqlen: 1000, promisc: true, allmulti: true });
      const del = side.sb.run('tuning', { command: 'DEL', containerID: cid, config: tuningConf(side) }, deleter === 'reference');
      assert.equal(del.code, 0, del.stdout);
      assert.deepEqual(attrs(side.sb.cont), { mac: side.original, mtu: 1500, txqlen: 1000, promisc: false, allmulti: false });
      assert.deepEqual(readdirSync(join(side.sb.dir, 'tuning')), []);
      assert.equal(runChain(side.sb, side.list, { command: 'DEL', containerID: cid }).ok, true);
    });
  }

  it('txQLen (v1.4.0, not in 1.1.1): ours saves it in the reference key, and restores it', () => {
    const c: Case = { name: 'txqlen', tuning: { txQLen: 64 } };
    const ours = addSide(c, false);
    assert.equal(attrs(ours.sb.cont).txqlen, 64);
    assert.equal(readFileSync(join(ours.sb.dir, 'tuning', `${cid}_eth0.json`), 'utf8'), '{\n "txQLen": 1000\n}');
    assert.equal(ours.sb.run('tuning', { command: 'DEL', containerID: cid, config: tuningConf(ours) }).code, 0);
    assert.equal(attrs(ours.sb.cont).txqlen, 1000);
    assert.equal(runChain(ours.sb, ours.list, { command: 'DEL', containerID: cid }).ok, true);
  });
});
