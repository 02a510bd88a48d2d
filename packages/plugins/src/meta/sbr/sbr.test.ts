import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runChain, type ChainList } from '../../testing/chain.js';
import { masked } from '../../testing/kernel-state.js';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';
import type { ScratchNetns } from '@tscni/netlink/testing/scratch-netns';

const NAME = 'tscnisbr';
const BRIDGE = 'tscnisbr0';

interface IpRule {
  priority: number;
  src?: string;
  table: string;
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  prefsrc?: string;
  table?: string;
  scope?: string;
  protocol?: string;
}

const ipJson = <T>(ns: ScratchNetns, args: string[]): T => JSON.parse(ns.exec('ip', ['-json', ...args]) || '[]') as T;

/** The source rules of both families, as `<src> <table>`. */
function sourceRules(ns: ScratchNetns): string[] {
  return [...ipJson<IpRule[]>(ns, ['-4', 'rule']), ...ipJson<IpRule[]>(ns, ['-6', 'rule'])].filter((r) => r.src !== undefined && r.src !== 'all').map((r) => `${r.src} ${r.table}`);
}

/** Routes of every table out of `dev`, as `<table> <dst> [via gw] [src s] [scope]`, link-local ones left out. */
function routesOf(ns: ScratchNetns, dev: string): string[] {
  const all = [...ipJson<IpRoute[]>(ns, ['-4', 'route', 'show', 'table', 'all']), ...ipJson<IpRoute[]>(ns, ['-6', 'route', 'show', 'table', 'all'])];
  return all
    .filter((r) => r.dev === dev && r.table !== 'local' && !r.dst.startsWith('fe80:'))
    .map((r) => [r.table ?? 'main', r.dst, r.gateway ? `via ${r.gateway}` : '', r.prefsrc ? `src ${r.prefsrc}` : '', r.scope === 'link' ? 'scope link' : ''].filter((s) => s !== '').join(' '));
}

/**
 * What a chain may leave on the host: netfilter, qdiscs, links (masked) and the files of the
 * test's directory but host-local's. The bridge plugin keeps its bridge by design.
 */
function hostState(sb: Sandbox): Record<string, unknown> {
  const noCounters = (s: string): string[] => s.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.replace(/ \[\d+:\d+\]$/, ''));
  const files = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : []);
  return masked({
    iptables: [...noCounters(sb.host.exec('iptables-save', [])), ...noCounters(sb.host.exec('ip6tables-save', []))],
    nft: sb.host.exec('nft', ['list', 'ruleset']),
    qdiscs: sb.host.exec('tc', ['qdisc', 'show']).split('\n').filter((l) => l !== '' && !l.includes(`dev ${BRIDGE} `)),
    links: ipJson<{ ifname: string }[]>(sb.host, ['link', 'show']).map((l) => l.ifname).filter((n) => n !== BRIDGE),
    files: files(sb.dir).filter((f) => f !== 'ipam' && !f.startsWith('ipam/')),
  });
}

function ptpList(sb: Sandbox, sbr: Record<string, unknown> = {}, cniVersion = '1.0.0'): ChainList {
  return {
    name: NAME,
    cniVersion,
    plugins: [
      {
        type: 'ptp',
        ipam: { type: 'host-local', ranges: [[{ subnet: '10.77.0.0/24' }], [{ subnet: 'fd77::/64' }]], routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }], dataDir: join(sb.dir, 'ipam') },
      },
      { type: 'sbr', ...sbr },
    ],
  };
}

function bridgeList(sb: Sandbox, sbr: Record<string, unknown> = {}, routes: unknown[] = [{ dst: '0.0.0.0/0' }]): ChainList {
  return {
    name: NAME,
    cniVersion: '1.0.0',
    plugins: [
      { type: 'bridge', bridge: BRIDGE, isGateway: true, ipam: { type: 'host-local', subnet: '10.78.0.0/24', routes, dataDir: join(sb.dir, 'ipam') } },
      { type: 'sbr', ...sbr },
    ],
  };
}

describe('sbr', () => {
  const sandboxes: Sandbox[] = [];
  const make = (): Sandbox => {
    const sb = sandbox('tscni-sbr-');
    sandboxes.push(sb);
    return sb;
  };
  after(() => sandboxes.forEach((sb) => sb.remove()));

  it('after ptp (dual stack): a table per address, main emptied of the interface; CHECK; DEL twice; DEL without prevResult', () => {
    const sb = make();
    const before = hostState(sb);
    const list = ptpList(sb);
    const add = runChain(sb, list, { command: 'ADD' });
    assert.equal(add.ok, true, add.steps.at(-1)?.outcome.stdout);
    // The result is the prevResult, passed through.
    assert.deepEqual(add.result, add.steps[0]!.outcome.json);
    assert.deepEqual(sourceRules(sb.cont), ['10.77.0.2 100', 'fd77::2 101']);
    assert.deepEqual(routesOf(sb.cont, 'eth0').sort(), [
      '100 10.77.0.0/24 via 10.77.0.1 src 10.77.0.2',
      '100 10.77.0.1 src 10.77.0.2 scope link',
      '100 default via 10.77.0.1',
      '101 default via fd77::1',
      '101 fd77::/64 via fd77::1 src fd77::2',
      '101 fd77::1 src fd77::2',
    ]);
    // A source-routed packet leaves through the table of its source.
    assert.match(sb.cont.exec('ip', ['route', 'get', '192.0.2.9', 'from', '10.77.0.2']), /via 10\.77\.0\.1 dev eth0 table 100/);

    // sbr itself checks nothing; the main plugin's CHECK no longer finds its routes in main (reference quirk 18).
    const ownCheck = sb.run('sbr', { command: 'CHECK', config: { ...add.steps[1]!.config, prevResult: add.result } });
    assert.equal(ownCheck.code, 0, ownCheck.stdout);
    const check = runChain(sb, list, { command: 'CHECK', prevResult: add.result! });
    assert.equal(check.ok, false);
    assert.equal(check.steps.at(-1)!.type, 'ptp');
    assert.equal(check.steps.at(-1)!.outcome.json?.['msg'], 'Failed to find Gateway 10.77.0.1 for interface eth0');

    const del = runChain(sb, list, { command: 'DEL', prevResult: add.result! });
    assert.equal(del.ok, true, del.steps.at(-1)?.outcome.stdout);
    assert.deepEqual(sourceRules(sb.cont), []);
    const again = runChain(sb, list, { command: 'DEL', prevResult: add.result! });
    assert.equal(again.ok, true, again.steps.at(-1)?.outcome.stdout);
    const bare = runChain(sb, list, { command: 'DEL' });
    assert.equal(bare.ok, true, bare.steps.at(-1)?.outcome.stdout);
    assert.deepEqual(ipJson<{ ifname: string }[]>(sb.cont, ['link']).map((l) => l.ifname), ['lo']);
    assert.deepEqual(hostState(sb), before);
  });

  it('DEL without prevResult or runtime config removes the rules of the addresses the interface has', () => {
    const sb = make();
    const list = ptpList(sb);
    const add = runChain(sb, list, { command: 'ADD' });
    assert.equal(add.ok, true, add.steps.at(-1)?.outcome.stdout);
    const del = sb.run('sbr', { command: 'DEL', config: { cniVersion: '1.0.0', name: NAME, type: 'sbr' } });
    assert.equal(del.code, 0, del.stdout);
    assert.equal(del.stdout, '');
    assert.deepEqual(sourceRules(sb.cont), []);
    assert.equal(runChain(sb, list, { command: 'DEL' }).ok, true);
  });

  it('after bridge with `table`: only rules, routes untouched, the whole chain CHECKs; DEL removes only that table\'s rules', () => {
    const sb = make();
    const before = hostState(sb);
    // Someone else's rule for the same address in another table stays.
    const list = bridgeList(sb, { table: 5000 });
    const add = runChain(sb, list, { command: 'ADD' });
    assert.equal(add.ok, true, add.steps.at(-1)?.outcome.stdout);
    sb.cont.exec('ip', ['rule', 'add', 'from', '10.78.0.2', 'lookup', '7']);
    assert.deepEqual(sourceRules(sb.cont).sort(), ['10.78.0.2 5000', '10.78.0.2 7']);
    assert.deepEqual(routesOf(sb.cont, 'eth0').sort(), ['main 10.78.0.0/24 src 10.78.0.2 scope link', 'main default via 10.78.0.1']);
    const check = runChain(sb, list, { command: 'CHECK', prevResult: add.result! });
    assert.equal(check.ok, true, check.steps.at(-1)?.outcome.stdout);
    const del = runChain(sb, list, { command: 'DEL', prevResult: add.result! });
    assert.equal(del.ok, true, del.steps.at(-1)?.outcome.stdout);
    assert.equal(runChain(sb, list, { command: 'DEL', prevResult: add.result! }).ok, true);
    assert.equal(runChain(sb, list, { command: 'DEL' }).ok, true);
    assert.deepEqual(hostState(sb), before);
  });

  it('`table` DEL leaves rules of other tables for the same address', () => {
    const sb = make();
    const list = bridgeList(sb, { table: 5000 });
    const add = runChain(sb, list, { command: 'ADD' });
    assert.equal(add.ok, true, add.steps.at(-1)?.outcome.stdout);
    sb.cont.exec('ip', ['rule', 'add', 'from', '10.78.0.2', 'lookup', '7']);
    const del = sb.run('sbr', { command: 'DEL', config: { cniVersion: '1.0.0', name: NAME, type: 'sbr', table: 5000 } });
    assert.equal(del.code, 0, del.stdout);
    assert.deepEqual(sourceRules(sb.cont), ['10.78.0.2 7']);
    assert.equal(runChain(sb, list, { command: 'DEL' }).ok, true);
  });

  it('static gateways and addSourceHints: the subnet stays in main with a src hint, the default route moves', () => {
    const sb = make();
    const list = bridgeList(sb, { gateways: ['10.78.0.254'], addSourceHints: true }, []);
    const add = runChain(sb, list, { command: 'ADD' });
    assert.equal(add.ok, true, add.steps.at(-1)?.outcome.stdout);
    assert.deepEqual(sourceRules(sb.cont), ['10.78.0.2 100']);
    assert.deepEqual(routesOf(sb.cont, 'eth0').sort(), ['100 10.78.0.0/24 src 10.78.0.2 scope link', '100 default via 10.78.0.254', 'main 10.78.0.0/24 src 10.78.0.2 scope link']);
    // Nothing the bridge result names left main, so the whole chain CHECKs.
    const check = runChain(sb, list, { command: 'CHECK', prevResult: add.result! });
    assert.equal(check.ok, true, check.steps.at(-1)?.outcome.stdout);
    assert.equal(runChain(sb, list, { command: 'DEL', prevResult: add.result! }).ok, true);
    assert.deepEqual(sourceRules(sb.cont), []);
  });

  it('picks the first table from 100 on that no rule names', () => {
    const sb = make();
    sb.cont.exec('ip', ['rule', 'add', 'from', '192.0.2.1', 'lookup', '100']);
    sb.cont.exec('ip', ['-6', 'rule', 'add', 'from', '2001:db8::1', 'lookup', '102']);
    const add = runChain(sb, ptpList(sb), { command: 'ADD' });
    assert.equal(add.ok, true, add.steps.at(-1)?.outcome.stdout);
    assert.deepEqual(sourceRules(sb.cont).sort(), ['10.77.0.2 101', '192.0.2.1 100', '2001:db8::1 102', 'fd77::2 103']);
    assert.equal(runChain(sb, ptpList(sb), { command: 'DEL', prevResult: add.result! }).ok, true);
    assert.deepEqual(sourceRules(sb.cont).sort(), ['192.0.2.1 100', '2001:db8::1 102']);
  });

  it('a failed ADD leaves the container as it was (an unreachable static gateway for the second address)', () => {
    const sb = make();
    const list = ptpList(sb, { gateways: ['2001:db8::1'] });
    const main = runChain(sb, { ...list, plugins: [list.plugins[0]!] }, { command: 'ADD' });
    assert.equal(main.ok, true, main.steps.at(-1)?.outcome.stdout);
    const rulesBefore = sourceRules(sb.cont);
    const routesBefore = routesOf(sb.cont, 'eth0').sort();
    const r = sb.run('sbr', { command: 'ADD', config: { ...list.plugins[1], name: NAME, cniVersion: '1.0.0', prevResult: main.result } });
    assert.equal(r.code, 1);
    assert.deepEqual(r.json, { code: 999, msg: 'Failed to add default route to 2001:db8::1: no route to host' });
    assert.deepEqual(sourceRules(sb.cont), rulesBefore);
    assert.deepEqual(routesOf(sb.cont, 'eth0').sort(), routesBefore);
    assert.equal(runChain(sb, list, { command: 'DEL', prevResult: main.result! }).ok, true);
  });

  it('DEL after the namespace is gone succeeds and creates nothing at its path', () => {
    const sb = make();
    const before = hostState(sb);
    const list = ptpList(sb);
    const add = runChain(sb, list, { command: 'ADD' });
    assert.equal(add.ok, true, add.steps.at(-1)?.outcome.stdout);
    const path = sb.cont.path;
    sb.cont.remove();
    assert.equal(existsSync(path), false);
    const del = runChain(sb, list, { command: 'DEL', prevResult: add.result! });
    assert.equal(del.ok, true, del.steps.map((s) => s.outcome.stdout).join('\n'));
    assert.equal(existsSync(path), false);
    const empty = sb.run('sbr', { command: 'DEL', config: { cniVersion: '1.0.0', name: NAME, type: 'sbr' }, netns: '' });
    assert.equal(empty.code, 0, empty.stdout);
    assert.deepEqual(hostState(sb), before);
  });

  it('DEL of an interface that is gone, or never had rules, succeeds', () => {
    const sb = make();
    const config = { cniVersion: '1.0.0', name: NAME, type: 'sbr' };
    assert.equal(sb.run('sbr', { command: 'DEL', config, ifName: 'net9' }).code, 0);
  });

  it('bad input: the reference\'s messages, code 7 for config errors (the reference says 999)', () => {
    const sb = make();
    const prevResult = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: sb.cont.path }], ips: [{ address: '10.79.0.2/24', interface: 0 }] };
    const base = { cniVersion: '1.0.0', name: NAME, type: 'sbr' };
    const cases: [Record<string, unknown>, number, string][] = [
      [base, 7, 'This plugin must be called as chained plugin'],
      [{ ...base, cniVersion: '0.2.0' }, 7, 'This plugin must be called as chained plugin'],
      [{ ...base, prevResult: { ...prevResult, ips: [] } }, 7, 'No IP addresses supplied on interface: eth0'],
      [{ ...base, prevResult, gateways: ['10.79.0.1', 'fd00::1', '10.79.0.2'] }, 7, 'gateways list cannot contain more than 2 entries (one IPv4, one IPv6)'],
      [{ ...base, prevResult, gateways: ['10.79.0.300'] }, 7, 'invalid static gateway IP address: 10.79.0.300'],
      [{ ...base, prevResult, gateways: ['10.79.0.01'] }, 7, 'invalid static gateway IP address: 10.79.0.01'],
      [{ ...base, prevResult, gateways: ['10.79.0.1', '10.79.0.254'] }, 7, 'gateways list contains multiple IPv4 addresses: 10.79.0.1 and 10.79.0.254'],
      [{ ...base, prevResult, gateways: ['FD00::1', 'fd00::2'] }, 7, 'gateways list contains multiple IPv6 addresses: fd00::1 and fd00::2'],
      [{ ...base, prevResult, table: 'main' }, 7, 'config field table: expected a number, got string'],
      [{ ...base, prevResult, table: 1.5 }, 7, 'config field table: expected an integer, got 1.5'],
      [{ ...base, prevResult, gateways: '10.79.0.1' }, 7, 'config field gateways: expected an array, got string'],
      [{ ...base, prevResult }, 999, 'Cannot find network interface eth0: Link not found'],
    ];
    for (const [config, code, msg] of cases) {
      const r = sb.run('sbr', { command: 'ADD', config });
      assert.equal(r.code, 1, JSON.stringify(config));
      assert.deepEqual(r.json, { code, msg }, JSON.stringify(config));
      assert.equal(r.stderr.includes('    at '), false, r.stderr);
    }
    // With `table`, the gateways are not read, as in the reference.
    const withTable = sb.run('sbr', { command: 'DEL', config: { ...base, table: 9, gateways: ['x', 'y', 'z'] } });
    assert.equal(withTable.code, 0, withTable.stdout);
    assert.deepEqual(sourceRules(sb.cont), []);
    const missing = sb.run('sbr', { command: 'ADD', config: { ...base, prevResult }, netns: '/run/netns/tscni-sbr-nosuch' });
    assert.deepEqual(missing.json, { code: 999, msg: 'failed to Statfs "/run/netns/tscni-sbr-nosuch": no such file or directory' });
    assert.equal(existsSync('/run/netns/tscni-sbr-nosuch'), false);
  });
});
