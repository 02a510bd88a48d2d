/**
 * host-local against the Go reference (/usr/lib/cni/host-local, v1.1.1): the same command
 * sequences on two data directories give the same results and errors and the same store
 * files; and both plugins sharing one data directory never hand out one address twice and
 * release each other's reservations.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { printResult } from '@tscni/spec/result-print';
import { resultFromBytes } from '@tscni/spec/result-decode';
import type { Result100 } from '@tscni/spec/result-types';
import { REFERENCE_DIR, runPlugin, PLUGIN_DIR, type PluginCall } from '../../testing/run-plugin.js';
import { INDEX_FILE } from './store-index.js';

const root = mkdtempSync(join(tmpdir(), `tscni-hl-diff-${process.pid}-`));
after(() => rmSync(root, { recursive: true, force: true }));
const haveReference = existsSync(join(REFERENCE_DIR, 'host-local'));

type Step = [PluginCall['command'], string, string?];

/** Result or error, parsed, in one comparable text. */
function outcome(r: ReturnType<typeof runPlugin>): string {
  if (r.code !== 0 || r.stdout === '') return `${r.code} ${r.stdout}`;
  return printResult(resultFromBytes(r.stdout));
}

/** The store as names and contents, without tscni's index. */
function storeFiles(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {};
  return Object.fromEntries(readdirSync(dir).filter((n) => n !== INDEX_FILE).sort().map((n) => [n, readFileSync(join(dir, n), 'latin1')]));
}

function play(which: 'go' | 'ts', label: string, config: (dataDir: string) => object, steps: Step[]) {
  const dataDir = join(root, label, which);
  const outs = steps.map(([command, id, args]) =>
    outcome(runPlugin('host-local', { command, config: config(dataDir), containerID: id, ifName: 'eth0', netns: '/var/run/netns/unused', args: args ?? '' }, which === 'go' ? REFERENCE_DIR : PLUGIN_DIR)),
  );
  return { outs, files: storeFiles(join(dataDir, 'diffnet')) };
}

const resolv = join(root, 'resolv.conf');
writeFileSync(resolv, '# comment\nnameserver 192.0.2.53\nnameserver 192.0.2.54\ndomain example.org\nsearch a.example b.example\noptions ndots:5 rotate\n');

const base = (cniVersion: string, ipam: object, extra: object = {}) => (dataDir: string) => ({ cniVersion, name: 'diffnet', type: 'ptp', ipam: { type: 'host-local', dataDir, ...ipam }, ...extra });

const configs: [string, (dataDir: string) => object, Step[]][] = [
  ['legacy /29 to exhaustion with routes, 1.0.0', base('1.0.0', { subnet: '10.50.0.0/29', routes: [{ dst: '0.0.0.0/0' }, { dst: '192.0.2.0/24', gw: '10.50.0.6' }] }), [
    ['ADD', 'a'], ['ADD', 'b'], ['ADD', 'c'], ['ADD', 'd'], ['ADD', 'e'], ['ADD', 'f'], ['ADD', 'a'], ['CHECK', 'c'], ['CHECK', 'zz'], ['DEL', 'b'], ['DEL', 'b'], ['ADD', 'g'],
  ]],
  ['the observed multi-range round robin, 0.4.0', base('0.4.0', { ranges: [[{ subnet: '10.44.0.0/29', rangeStart: '10.44.0.2', rangeEnd: '10.44.0.3', gateway: '10.44.0.1' }, { subnet: '10.45.0.0/30' }], [{ subnet: '2001:db8::/64', rangeStart: '2001:db8::10' }]] }), [
    ['ADD', 'c1'], ['ADD', 'c2'], ['ADD', 'c3'], ['ADD', 'c4'], ['DEL', 'c1'], ['ADD', 'c5'], ['CHECK', 'c5'],
  ]],
  ['dual stack as 0.2.0 with resolvConf', base('0.2.0', { ranges: [[{ subnet: '10.51.0.0/24', gateway: '10.51.0.254' }], [{ subnet: 'fd51::/120' }]], resolvConf: resolv, routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }] }), [
    ['ADD', 'a'], ['ADD', 'b'], ['DEL', 'a'], ['ADD', 'c'],
  ]],
  ['requested IPs through CNI_ARGS, 0.3.1', base('0.3.1', { ranges: [[{ subnet: '10.52.0.0/24' }], [{ subnet: 'fd52::/64' }]] }), [
    ['ADD', 'a', 'IgnoreUnknown=1;K8S_POD_NAME=x'], ['ADD', 'b', 'IP=10.52.0.7'], ['ADD', 'c', 'IP=10.52.0.1'], ['ADD', 'd', 'IP=10.53.0.1'], ['ADD', 'e', 'IP=bad'], ['ADD', 'f', 'X=1'], ['ADD', 'h', 'IP=10.52.0.7'], ['DEL', 'a'], ['ADD', 'g'],
  ]],
  // Go picks among several requested IPs of one range set in map order (random): one per set here.
  ['requested IPs through args and runtimeConfig, 1.0.0', base('1.0.0', { ranges: [[{ subnet: '10.59.0.0/24' }], [{ subnet: 'fd52::/64' }]] }, { args: { cni: { ips: ['fd52::99'] } }, runtimeConfig: { ips: ['10.59.0.99/24'] } }), [
    ['ADD', 'a'], ['ADD', 'b'], ['DEL', 'a'], ['ADD', 'c'],
  ]],
  ['runtime ipRanges before the legacy range and ranges, 1.0.0', base('1.0.0', { subnet: '10.54.0.0/24', rangeStart: '10.54.0.200', ranges: [[{ subnet: '10.55.0.0/24', rangeEnd: '10.55.0.3' }]] }, { runtimeConfig: { ipRanges: [[{ subnet: '10.56.0.0/30' }]] } }), [
    ['ADD', 'a'], ['ADD', 'b'], ['ADD', 'c'], ['DEL', 'a'], ['ADD', 'd'],
  ]],
  ['bad configs, 1.0.0', base('1.0.0', { ranges: [[{ subnet: '10.57.0.0/24' }, { subnet: '10.57.0.128/25' }]] }), [['ADD', 'a'], ['DEL', 'a']]],
  ['a host-bits subnet, 0.4.0', base('0.4.0', { subnet: '10.58.0.1/16' }), [['ADD', 'a'], ['CHECK', 'a']]],
];

describe('host-local against the reference', { skip: !haveReference && 'the Go reference plugins are not installed' }, () => {
  for (const [label, config, steps] of configs) {
    it(label, () => {
      const go = play('go', label.replace(/\W+/g, '-'), config, steps);
      const ts = play('ts', label.replace(/\W+/g, '-'), config, steps);
      assert.deepEqual(ts.outs, go.outs);
      assert.deepEqual(ts.files, go.files);
    });
  }

  it('shares one data directory with it: no address twice, each releases the other\'s', () => {
    const dataDir = join(root, 'shared');
    mkdirSync(dataDir);
    const config = base('1.0.0', { ranges: [[{ subnet: '10.60.0.0/28' }], [{ subnet: 'fd60::/124' }]] })(dataDir);
    const call = (dir: string, command: PluginCall['command'], id: string) => runPlugin('host-local', { command, config, containerID: id, ifName: 'eth0', netns: '/var/run/netns/unused' }, dir);
    const dirs = [REFERENCE_DIR, PLUGIN_DIR];
    const seen = new Map<string, string>();
    for (let k = 0; k < 12; k++) {
      const id = `${k % 2 === 0 ? 'go' : 'ts'}${k}`;
      const r = call(dirs[k % 2]!, 'ADD', id);
      assert.equal(r.code, 0, r.stdout);
      for (const { address } of (resultFromBytes(r.stdout) as Result100).ips!) {
        assert.equal(seen.get(address), undefined, `${address} handed out twice`);
        seen.set(address, id);
      }
      // A DEL in between, by the other plugin, so that both see the other's releases.
      if (k === 5) assert.equal(call(dirs[0]!, 'DEL', 'ts3').code, 0);
      if (k === 6) assert.equal(call(dirs[1]!, 'DEL', 'go2').code, 0);
    }
    assert.equal(call(PLUGIN_DIR, 'CHECK', 'go0').code, 0);
    assert.equal(call(REFERENCE_DIR, 'CHECK', 'ts1').code, 0);
    for (let k = 0; k < 12; k++) {
      if (k === 2 || k === 3) continue;
      const id = `${k % 2 === 0 ? 'go' : 'ts'}${k}`;
      assert.equal(call(dirs[(k + 1) % 2]!, 'DEL', id).code, 0);
    }
    const left = readdirSync(join(dataDir, 'diffnet')).filter((n) => n !== 'lock' && n !== INDEX_FILE && !n.startsWith('last_reserved_ip.'));
    assert.deepEqual(left, []);
  });
});
