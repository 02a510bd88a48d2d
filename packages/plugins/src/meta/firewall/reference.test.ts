import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { printResult } from '@tscni/spec/result-print';
import { resultFromBytes } from '@tscni/spec/result-decode';
import { runChain, type ChainList } from '../../testing/chain.js';
import { kernelState, masked, waitForDad } from '../../testing/kernel-state.js';
import { REFERENCE_DIR } from '../../testing/run-plugin.js';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';
import { BRIDGE, bridgeChain, NET, ptpChain } from './testing.js';

const missing = existsSync(`${REFERENCE_DIR}/firewall`) ? undefined : `${REFERENCE_DIR}/firewall is not installed`;

/**
 * The host's iptables rules; v1.1.1 writes the same-bridge comment on the shared isolation
 * rules where we write HEAD's `same-bridge|isolated`, so ours are compared in v1.1.1's words.
 */
function rules(sb: Sandbox, ours: boolean): string[] {
  const lines = kernelState(sb.host).iptables;
  return ours ? lines.map((l) => l.replaceAll('(ingressPolicy: same-bridge|isolated)', '(ingressPolicy: same-bridge)')) : lines;
}

const result = (sb: Sandbox, r: Record<string, unknown> | undefined) =>
  masked(JSON.parse(printResult(resultFromBytes(JSON.stringify(r))).replaceAll(sb.cont.path, 'NETNS')) as unknown);

interface Case {
  name: string;
  list: (sb: Sandbox) => ChainList;
}

const CASES: Case[] = [
  { name: 'bridge, IPv4, ingressPolicy open (default), 1.0.0', list: (sb) => bridgeChain(sb) },
  { name: 'bridge, IPv4 and IPv6, ingressPolicy open, backend iptables, 1.0.0', list: (sb) => bridgeChain(sb, { backend: 'iptables', ingressPolicy: 'open' }, { v6: true }) },
  { name: 'bridge, IPv4, ingressPolicy same-bridge, 0.4.0', list: (sb) => bridgeChain(sb, { ingressPolicy: 'same-bridge' }, { cniVersion: '0.4.0' }) },
  { name: 'bridge, IPv4 and IPv6, ingressPolicy same-bridge, 1.0.0', list: (sb) => bridgeChain(sb, { ingressPolicy: 'same-bridge' }, { v6: true }) },
  { name: 'ptp, IPv4 and IPv6, iptablesAdminChainName, 1.0.0', list: (sb) => ptpChain(sb, { iptablesAdminChainName: 'TSCNI-ADMIN' }, { v6: true }) },
  { name: 'ptp, IPv4, 0.4.0', list: (sb) => ptpChain(sb, {}, { cniVersion: '0.4.0' }) },
];

describe('firewall against the Go reference (v1.1.1, iptables backend)', { skip: missing }, () => {
  const sandboxes: Sandbox[] = [];
  after(() => sandboxes.forEach((sb) => sb.remove()));
  const pair = (): [Sandbox, Sandbox] => {
    const a = sandbox('tscni-fwr-');
    sandboxes.push(a);
    const b = sandbox('tscni-fwr-');
    sandboxes.push(b);
    return [a, b];
  };

  for (const c of CASES) {
    it(`${c.name}: same result and rules after ADD, CHECK and DEL`, () => {
      const [ref, ours] = pair();
      const run = (sb: Sandbox, reference: boolean, command: 'ADD' | 'CHECK' | 'DEL', prevResult?: Record<string, unknown>) => {
        const out = runChain(sb, c.list(sb), { command, ...(prevResult ? { prevResult } : {}), ...(reference ? { reference: ['firewall'] } : {}) });
        assert.equal(out.ok, true, `${reference ? 'reference' : 'tscni'} ${command}: ${JSON.stringify(out.steps.at(-1)?.outcome)}`);
        return out;
      };
      const refAdd = run(ref, true, 'ADD');
      const ourAdd = run(ours, false, 'ADD');
      assert.deepEqual(result(ours, ourAdd.result), result(ref, refAdd.result));
      waitForDad(ref.host);
      waitForDad(ours.host);
      assert.deepEqual(rules(ours, true), rules(ref, false));
      assert.ok(rules(ref, false).includes('-A CNI-FORWARD -s 10.88.1.2/32 -j ACCEPT'), 'the comparison sees the rules');
      run(ref, true, 'CHECK', refAdd.result);
      run(ours, false, 'CHECK', ourAdd.result);
      assert.deepEqual(rules(ours, true), rules(ref, false));
      run(ref, true, 'DEL', refAdd.result);
      run(ours, false, 'DEL', ourAdd.result);
      assert.deepEqual(rules(ours, true), rules(ref, false));
    });
  }

  it('each DELs what the other ADDed (same chains, rules and comments)', () => {
    const [a, b] = pair();
    for (const [sb, addRef] of [[a, true], [b, false]] as const) {
      const list = bridgeChain(sb, {}, { v6: true });
      const before = kernelState(sb.host).iptables;
      const add = runChain(sb, list, { command: 'ADD', ...(addRef ? { reference: ['firewall'] } : {}) });
      assert.equal(add.ok, true);
      const check = runChain(sb, list, { command: 'CHECK', prevResult: add.result!, ...(addRef ? {} : { reference: ['firewall'] }) });
      assert.equal(check.ok, true, JSON.stringify(check.steps.at(-1)?.outcome));
      const del = runChain(sb, list, { command: 'DEL', prevResult: add.result!, ...(addRef ? {} : { reference: ['firewall'] }) });
      assert.equal(del.ok, true);
      assert.ok(!kernelState(sb.host).iptables.some((l) => l.includes('10.88.1.2') || l.includes('fd00:88:1::2')), JSON.stringify(before));
    }
  });

  it('deliberate differences: isolated (HEAD) works; config errors are code 7 where the reference says 999', () => {
    const [ref, ours] = pair();
    const prevResult = { cniVersion: '1.0.0', interfaces: [{ name: BRIDGE }], ips: [{ address: '10.88.1.2/24', interface: 0 }] };
    const conf = (extra: Record<string, unknown>) => ({ cniVersion: '1.0.0', name: NET, type: 'firewall', prevResult, ...extra });
    // v1.1.1 knows no "isolated", and fails only after adding the CNI-FORWARD rules.
    const refIsolated = ref.run('firewall', { command: 'ADD', config: conf({ ingressPolicy: 'isolated' }) }, true);
    assert.deepEqual(refIsolated.json, { code: 999, msg: 'unknown ingress policy: "isolated"' });
    assert.ok(kernelState(ref.host).iptables.some((l) => l.includes('-s 10.88.1.2/32')));
    assert.equal(ours.run('firewall', { command: 'ADD', config: conf({ ingressPolicy: 'isolated' }) }).code, 0);
    assert.ok(kernelState(ours.host).iptables.some((l) => l.includes('(ingressPolicy: isolated)')));

    const fresh = pair();
    for (const [config, msg] of [
      [conf({ ingressPolicy: 'bogus' }), 'unknown ingress policy: "bogus"'],
      [{ cniVersion: '1.0.0', name: NET, type: 'firewall' }, 'missing prevResult from earlier plugin'],
    ] as const) {
      const r = fresh[0].run('firewall', { command: 'ADD', config }, true).json;
      const o = fresh[1].run('firewall', { command: 'ADD', config }).json;
      assert.deepEqual(r, { code: 999, msg });
      assert.deepEqual(o, { code: 7, msg });
    }
    // The reference's bogus policy left its rules behind; ours refused before the first change.
    assert.ok(kernelState(fresh[0].host).iptables.some((l) => l.includes('-s 10.88.1.2/32')));
    assert.ok(!kernelState(fresh[1].host).iptables.some((l) => l.includes('10.88.1.2')));
  });
});
