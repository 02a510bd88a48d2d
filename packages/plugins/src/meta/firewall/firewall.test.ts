import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { after, describe, it } from 'node:test';
import { pluginConfig, runChain, type ChainList } from '../../testing/chain.js';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';
import { added, addressLines, BRIDGE, bridgeChain, filterRules, hostState, NET, ptpChain, scaffolding } from './testing.js';

const SHARED = '"CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)"';

function isolationLines(bridge: string, policy: 'same-bridge' | 'isolated'): string[] {
  const own = `"CNI firewall plugin rules (ingressPolicy: ${policy})"`;
  return [
    ':CNI-ISOLATION-STAGE-1 -',
    ':CNI-ISOLATION-STAGE-2 -',
    `-A FORWARD -m comment --comment ${SHARED} -j CNI-ISOLATION-STAGE-1`,
    ...(policy === 'isolated' ? [`-A CNI-ISOLATION-STAGE-1 -i ${bridge} -o ${bridge} -m comment --comment ${own} -j DROP`] : []),
    `-A CNI-ISOLATION-STAGE-1 -i ${bridge} ! -o ${bridge} -m comment --comment ${own} -j CNI-ISOLATION-STAGE-2`,
    `-A CNI-ISOLATION-STAGE-1 -m comment --comment ${SHARED} -j RETURN`,
    `-A CNI-ISOLATION-STAGE-2 -o ${bridge} -m comment --comment ${SHARED} -j DROP`,
    `-A CNI-ISOLATION-STAGE-2 -m comment --comment ${SHARED} -j RETURN`,
  ];
}

const sorted = (l: readonly string[]) => [...l].sort();
const firewallStep = (out: ReturnType<typeof runChain>) => out.steps.find((s) => s.type === 'firewall')!;

describe('firewall (iptables backend) after bridge and ptp', () => {
  const sandboxes: Sandbox[] = [];
  const make = (): Sandbox => {
    const sb = sandbox('tscni-fw-');
    sandboxes.push(sb);
    return sb;
  };
  after(() => sandboxes.forEach((sb) => sb.remove()));

  const add = (sb: Sandbox, list: ChainList) => {
    const out = runChain(sb, list, { command: 'ADD' });
    assert.equal(out.ok, true, JSON.stringify(out.steps.at(-1)?.outcome));
    return out;
  };
  const ok = (sb: Sandbox, list: ChainList, command: 'CHECK' | 'DEL', prevResult?: Record<string, unknown>, extra: { netns?: string } = {}) => {
    const out = runChain(sb, list, { command, ...(prevResult ? { prevResult } : {}), ...extra });
    assert.equal(out.ok, true, JSON.stringify(out.steps.at(-1)?.outcome));
    return out;
  };

  it('bridge: ADD passes the result through and adds the rules; CHECK; DEL twice leaves only the shared chains', () => {
    const sb = make();
    const before = hostState(sb.host);
    const list = bridgeChain(sb, { backend: 'iptables' });
    const out = add(sb, list);
    // The result is bridge's, unchanged.
    assert.deepEqual(out.result, out.steps[0]!.outcome.json);
    const afterAdd = added(before, hostState(sb.host));
    assert.deepEqual(sorted(afterAdd.iptables ?? []), sorted([...scaffolding(), ...addressLines('10.88.1.2/32')]));
    assert.equal(afterAdd.ip6tables, undefined, 'no IPv6 address, no ip6tables rules');
    ok(sb, list, 'CHECK', out.result);
    ok(sb, list, 'DEL', out.result);
    ok(sb, list, 'DEL', out.result);
    // The bridge stays (bridge's DEL keeps it); firewall leaves the shared chains and jumps only.
    assert.deepEqual(added(before, hostState(sb.host)), { iptables: scaffolding(), links: [BRIDGE] });
  });

  it('ptp, IPv4 and IPv6, custom admin chain, 0.4.0: rules per family, CHECK, DEL', () => {
    const sb = make();
    const before = hostState(sb.host);
    const list = ptpChain(sb, { iptablesAdminChainName: 'TSCNI-ADMIN' }, { v6: true, cniVersion: '0.4.0' });
    const out = add(sb, list);
    assert.equal(out.result?.['cniVersion'], '0.4.0');
    assert.deepEqual(out.result, out.steps[0]!.outcome.json);
    const grown = added(before, hostState(sb.host));
    assert.deepEqual(sorted(grown.iptables ?? []), sorted([...scaffolding('TSCNI-ADMIN'), ...addressLines('10.88.1.2/32')]));
    assert.deepEqual(sorted(grown.ip6tables ?? []), sorted([...scaffolding('TSCNI-ADMIN'), ...addressLines('fd00:88:1::2/128')]));
    ok(sb, list, 'CHECK', out.result);
    ok(sb, list, 'DEL', out.result);
    ok(sb, list, 'DEL', out.result);
    assert.deepEqual(added(before, hostState(sb.host)), { iptables: scaffolding('TSCNI-ADMIN'), ip6tables: scaffolding('TSCNI-ADMIN') });
  });

  it('a second container appends after the first; DEL removes only its own rules', () => {
    const sb = make();
    const list = bridgeChain(sb);
    const first = add(sb, list);
    const other = sandbox('tscni-fw-');
    sandboxes.push(other);
    const second = runChain(sb, list, { command: 'ADD', containerID: 'ctr2', netns: other.cont.path });
    assert.equal(second.ok, true, JSON.stringify(second.steps.at(-1)?.outcome));
    const forward = filterRules(sb.host).v4.filter((l) => l.startsWith('-A CNI-FORWARD'));
    assert.deepEqual(forward, [
      '-A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN',
      ...addressLines('10.88.1.2/32'),
      ...addressLines('10.88.1.3/32'),
    ]);
    ok(sb, list, 'DEL', first.result);
    assert.deepEqual(
      filterRules(sb.host).v4.filter((l) => l.startsWith('-A CNI-FORWARD')),
      ['-A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN', ...addressLines('10.88.1.3/32')],
    );
  });

  it('rules of other software in FORWARD and CNI-FORWARD are kept, and ours go first in FORWARD', () => {
    const sb = make();
    sb.host.exec('iptables', ['-N', 'CNI-FORWARD']);
    sb.host.exec('iptables', ['-A', 'CNI-FORWARD', '-s', '192.0.2.9/32', '-j', 'ACCEPT']);
    sb.host.exec('iptables', ['-A', 'FORWARD', '-i', 'other0', '-j', 'ACCEPT']);
    const list = bridgeChain(sb);
    const out = add(sb, list);
    const v4 = filterRules(sb.host).v4;
    assert.deepEqual(
      v4.filter((l) => l.startsWith('-A FORWARD')),
      ['-A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD', '-A FORWARD -i other0 -j ACCEPT'],
    );
    ok(sb, list, 'DEL', out.result);
    assert.ok(filterRules(sb.host).v4.includes('-A CNI-FORWARD -s 192.0.2.9/32 -j ACCEPT'));
  });

  it('DEL without prevResult (no runtime config) removes the rules of the container interface addresses', () => {
    const sb = make();
    const before = hostState(sb.host);
    const list = bridgeChain(sb);
    add(sb, list);
    // firewall runs first in DEL, while eth0 still has its address; then bridge.
    ok(sb, list, 'DEL');
    ok(sb, list, 'DEL');
    assert.deepEqual(added(before, hostState(sb.host)), { iptables: scaffolding(), links: [BRIDGE] });
  });

  it('DEL after the container namespace is gone removes the rules of the prevResult addresses', () => {
    const sb = make();
    const before = hostState(sb.host);
    const list = ptpChain(sb, {}, { v6: true });
    const out = add(sb, list);
    sb.cont.remove();
    ok(sb, list, 'DEL', out.result);
    ok(sb, list, 'DEL', out.result);
    assert.deepEqual(added(before, hostState(sb.host)), { iptables: scaffolding(), ip6tables: scaffolding() });
  });

  it('DEL with neither prevResult nor namespace succeeds (there is nothing to name the rules by)', () => {
    const sb = make();
    const list = bridgeChain(sb);
    add(sb, list);
    sb.cont.remove();
    const del = sb.run('firewall', { command: 'DEL', config: { cniVersion: '1.0.0', name: NET, type: 'firewall' } });
    assert.equal(del.code, 0, del.stdout);
  });

  it('CHECK names the missing rule in the reference words', () => {
    const sb = make();
    const list = bridgeChain(sb);
    const out = add(sb, list);
    const check = () => firewallStep(runChain(sb, list, { command: 'CHECK', prevResult: out.result! })).outcome.json;
    sb.host.exec('iptables', ['-D', 'CNI-FORWARD', '-s', '10.88.1.2/32', '-j', 'ACCEPT']);
    assert.deepEqual(check(), { code: 999, msg: 'expected rule [-s 10.88.1.2/32 -j ACCEPT] not found' });
    sb.host.exec('iptables', ['-D', 'CNI-FORWARD', '-m', 'comment', '--comment', 'CNI firewall plugin admin overrides', '-j', 'CNI-ADMIN']);
    assert.deepEqual(check(), { code: 999, msg: 'expected CNI-FORWARD rule [-m comment --comment CNI firewall plugin admin overrides -j CNI-ADMIN] not found' });
    sb.host.exec('iptables', ['-D', 'FORWARD', '-m', 'comment', '--comment', 'CNI firewall plugin rules', '-j', 'CNI-FORWARD']);
    assert.deepEqual(check(), { code: 999, msg: 'expected FORWARD rule [-m comment --comment CNI firewall plugin rules -j CNI-FORWARD] not found' });
    // CHECK only reads: nothing was put back.
    assert.ok(!filterRules(sb.host).v4.some((l) => l.startsWith('-A FORWARD')));
  });

  for (const policy of ['same-bridge', 'isolated'] as const) {
    it(`ingressPolicy ${policy}: the bridge's isolation rules in one batch with CNI-FORWARD; CHECK; DEL keeps them`, () => {
      const sb = make();
      const before = hostState(sb.host);
      const list = bridgeChain(sb, { ingressPolicy: policy }, { v6: true });
      const out = add(sb, list);
      const grown = added(before, hostState(sb.host));
      for (const family of ['iptables', 'ip6tables'] as const) {
        const host = family === 'iptables' ? '10.88.1.2/32' : 'fd00:88:1::2/128';
        assert.deepEqual(sorted(grown[family] ?? []), sorted([...scaffolding(), ...addressLines(host), ...isolationLines(BRIDGE, policy)]));
      }
      // The isolation jump comes before CNI-FORWARD.
      assert.match(filterRules(sb.host).v4.filter((l) => l.startsWith('-A FORWARD'))[0]!, /-j CNI-ISOLATION-STAGE-1$/);
      ok(sb, list, 'CHECK', out.result);
      // A repeated ADD adds nothing.
      const state = hostState(sb.host);
      const again = sb.run('firewall', { command: 'ADD', config: pluginConfig(list, 1, undefined, out.result) });
      assert.equal(again.code, 0, again.stdout);
      assert.deepEqual(hostState(sb.host).iptables, state.iptables);
      sb.host.exec('iptables', ['-D', 'CNI-ISOLATION-STAGE-2', '-o', BRIDGE, '-j', 'DROP', '-m', 'comment', '--comment', SHARED.slice(1, -1)]);
      const bad = firewallStep(runChain(sb, list, { command: 'CHECK', prevResult: out.result! })).outcome.json;
      assert.deepEqual(bad, { code: 999, msg: `expected CNI-ISOLATION-STAGE-2 rule [-o ${BRIDGE} -j DROP -m comment --comment ${SHARED.slice(1, -1)}] not found` });
      ok(sb, list, 'DEL', out.result);
      const left = added(before, hostState(sb.host));
      assert.ok(left.iptables?.includes(`-A CNI-ISOLATION-STAGE-1 -i ${BRIDGE} ! -o ${BRIDGE} -m comment --comment "CNI firewall plugin rules (ingressPolicy: ${policy})" -j CNI-ISOLATION-STAGE-2`));
      assert.ok(!left.iptables?.some((l) => l.includes('10.88.1.2')));
    });
  }

  it('traffic: same-bridge lets the own bridge and the host in, and keeps another same-bridge network out both ways', () => {
    const sb = make();
    const extra = [scratchNetns('tscni-fw-c-'), scratchNetns('tscni-fw-c-')];
    try {
      const [a2, b1] = extra as [ScratchNetns, ScratchNetns];
      const attach = (bridge: string, subnet: string, id: string, netns: string) => {
        const out = runChain(sb, bridgeChain(sb, { ingressPolicy: 'same-bridge' }, { bridge, subnet }), { command: 'ADD', containerID: id, netns });
        assert.equal(out.ok, true, JSON.stringify(out.steps.at(-1)?.outcome));
      };
      const pings = (from: ScratchNetns, ip: string) => spawnSync('ip', ['netns', 'exec', from.name, 'ping', '-c', '1', '-W', '1', ip]).status === 0;
      // a1 10.88.1.2 and a2 10.88.1.3 on bridge A, b1 10.88.2.2 on bridge B.
      attach('tscnifwa', '10.88.1.0/24', 'a1', sb.cont.path);
      attach('tscnifwa', '10.88.1.0/24', 'a2', `/run/netns/${a2.name}`);
      attach('tscnifwb', '10.88.2.0/24', 'b1', `/run/netns/${b1.name}`);
      assert.equal(pings(a2, '10.88.1.2'), true, 'same bridge');
      assert.equal(pings(sb.host, '10.88.1.2'), true, 'from the host');
      assert.equal(pings(sb.host, '10.88.2.2'), true, 'from the host');
      assert.equal(pings(b1, '10.88.1.2'), false, 'from bridge B into bridge A');
      assert.equal(pings(sb.cont, '10.88.2.2'), false, 'from bridge A into bridge B');
      // Without the isolation chains, the networks reach each other.
      sb.host.exec('iptables', ['-F', 'CNI-ISOLATION-STAGE-2']);
      assert.equal(pings(b1, '10.88.1.2'), true, 'no isolation');
    } finally {
      extra.forEach((ns) => ns.remove());
    }
  });

  it('bad configs: code 7 with the reference messages, and nothing changed', () => {
    const sb = make();
    const before = hostState(sb.host);
    const prevResult = { cniVersion: '1.0.0', interfaces: [{ name: BRIDGE }], ips: [{ address: '10.88.1.2/24', interface: 0 }] };
    const base = { cniVersion: '1.0.0', name: NET, type: 'firewall', prevResult };
    const run = (config: object, command: 'ADD' | 'CHECK' = 'ADD') => sb.run('firewall', { command, config }).json;
    assert.deepEqual(run({ ...base, ingressPolicy: 'bogus' }), { code: 7, msg: 'unknown ingress policy: "bogus"' });
    assert.deepEqual(run({ cniVersion: '1.0.0', name: NET, type: 'firewall' }), { code: 7, msg: 'missing prevResult from earlier plugin' });
    assert.deepEqual(run({ cniVersion: '1.0.0', name: NET, type: 'firewall' }, 'CHECK'), { code: 7, msg: 'missing prevResult from earlier plugin' });
    assert.deepEqual(run({ ...base, ingressPolicy: 'same-bridge', prevResult: { ...prevResult, interfaces: [] } }), {
      code: 7,
      msg: 'interface needs to be set for ingress policy "same-bridge", make sure to chain "firewall" plugin with "bridge"',
    });
    assert.equal(run({ ...base, iptablesAdminChainName: 'has space' })?.['code'], 7);
    assert.equal(run({ ...base, iptablesAdminChainName: 'X'.repeat(29) })?.['code'], 7);
    assert.equal(run({ ...base, backend: 5 })?.['code'], 7);
    assert.deepEqual(run({ ...base, cniVersion: '0.3.1', prevResult: { cniVersion: '0.3.1', ips: [] } }), {
      code: 1,
      msg: 'incompatible CNI versions',
      details: 'config is "0.3.1", plugin supports ["0.4.0" "1.0.0" "1.1.0"]',
    });
    assert.deepEqual(hostState(sb.host), before);
  });

  it('a rule iptables refuses fails ADD as a whole: no CNI-FORWARD rule is left for an isolation rule that failed', () => {
    const sb = make();
    const before = hostState(sb.host);
    // iptables refuses interface names of 16 characters or more.
    const prevResult = { cniVersion: '1.0.0', interfaces: [{ name: 'tscni-much-too-long-bridge' }], ips: [{ address: '10.88.1.2/24' }, { address: 'fd00:88:1::2/64' }] };
    const r = sb.run('firewall', { command: 'ADD', config: { cniVersion: '1.0.0', name: NET, type: 'firewall', ingressPolicy: 'isolated', prevResult } });
    assert.equal(r.json?.['code'], 999, r.stdout);
    assert.match(String(r.json?.['msg']), /iptables-restore failed/);
    assert.deepEqual(hostState(sb.host), before);
  });
});
