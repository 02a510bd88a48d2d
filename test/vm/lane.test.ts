/**
 * The full-kernel lane: the tests of every feature this machine's kernel lacks (ipvlan, vlan,
 * dummy, vrf, bridge VLAN filtering; the netlink codec for those kinds; the ipvlan plugin; the
 * bridge plugin's VLAN options) run for real inside Debian's kernel under qemu. There no test
 * may be skipped for lack of a kernel feature, and none may fail.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/host.js';

/** The compiled test files that need the full kernel. */
export const LANE_TESTS = [
  'packages/netlink/lib/rtnl/link-kinds.test.js',
  'packages/netlink/lib/rtnl/bridge.test.js',
  'packages/plugins/lib/main/ipvlan/ipvlan.test.js',
  'packages/plugins/lib/main/ipvlan/reference.test.js',
  'packages/plugins/lib/main/bridge/vlan.test.js',
  'packages/plugins/lib/main/vlan/vlan.test.js',
  'packages/plugins/lib/main/dummy/dummy.test.js',
  'packages/plugins/lib/meta/vrf/vrf.test.js',
];

describe('full-kernel lane (qemu)', () => {
  it('runs the tests that need ipvlan, vlan, dummy, vrf and bridge VLAN filtering, none skipped for lack of them', { timeout: 20 * 60_000 }, (t) => {
    const command = `cd ${repoRoot} && node --test --test-reporter=tap ${LANE_TESTS.join(' ')}`;
    const r = spawnSync(process.execPath, [join(repoRoot, 'test', 'vm', 'run-in-vm.mjs'), command], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const out = r.stdout;
    const summary = (key: string): number => Number(new RegExp(`^# ${key} (\\d+)$`, 'm').exec(out)?.[1] ?? NaN);
    t.diagnostic(`guest: ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
    t.diagnostic(`guest tests: ${summary('tests')} pass ${summary('pass')} fail ${summary('fail')} skipped ${summary('skipped')}`);
    assert.notEqual(r.status, 2, `the guest did not finish:\n${r.stderr}`);
    const failures = out.split('\n').filter((l) => /^\s*not ok /.test(l));
    assert.equal(summary('fail'), 0, `failures in the guest:\n${failures.join('\n')}\n\n${out.slice(-8000)}`);
    assert.equal(r.status, 0, out.slice(-4000));
    assert.ok(summary('pass') > 0, out.slice(-4000));
    const laneSkips = out.split('\n').filter((l) => /# SKIP .*(qemu lane|kernel lacks|no bridge vlan_filtering)/.test(l));
    assert.deepEqual(laneSkips, [], 'tests skipped for lack of a kernel feature inside the full kernel');
  });
});
