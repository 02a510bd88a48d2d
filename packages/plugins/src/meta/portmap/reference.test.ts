/**
 * Differential tests against the Go reference portmap (/usr/lib/cni, v1.1.1, iptables): the
 * same chain (our bridge + host-local, then portmap) in twin sandboxes, one ending in our
 * portmap and one in the reference's; results and both families' iptables-save (counters
 * stripped) must be equal after ADD and after DEL. Then the cross-implementation cases: rules
 * made by one implementation are checked and removed by the other, leaving nothing behind.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { printResult } from '@tscni/spec/result-print';
import { resultFromBytes } from '@tscni/spec/result-decode';
import { runChain, type ChainOutcome } from '../../testing/chain.js';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';
import { chain, iptablesText, withoutSharedIptables, type ChainOptions } from './testing.js';

interface Case {
  name: string;
  options: Omit<ChainOptions, 'main'> & { main?: ChainOptions['main'] };
  portMappings: Record<string, unknown>[];
  /** Commands run in the host namespace before the chain (e.g. an external mark chain). */
  setup?: (sb: Sandbox) => void;
}

const TCP_UDP = [
  { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
  { hostPort: 8053, containerPort: 53, protocol: 'udp' },
];

const CASES: Case[] = [
  { name: 'tcp and udp', options: {}, portMappings: TCP_UDP },
  {
    name: 'hostIP: localhost, unspecified and one of the other family',
    options: {},
    portMappings: [
      { hostPort: 9090, containerPort: 90, protocol: 'udp', hostIP: '127.0.0.1' },
      { hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '0.0.0.0' },
      { hostPort: 8443, containerPort: 443, protocol: 'tcp', hostIP: 'fd00::1' },
    ],
  },
  {
    name: 'IPv6 (dual stack, hostIP ::1 and ::)',
    options: { dualStack: true },
    portMappings: [...TCP_UDP, { hostPort: 8081, containerPort: 81, protocol: 'tcp', hostIP: '::1' }, { hostPort: 8082, containerPort: 82, protocol: 'tcp', hostIP: '::' }],
  },
  { name: 'snat false', options: { dualStack: true, portmap: { snat: false } }, portMappings: TCP_UDP },
  { name: 'markMasqBit 5', options: { portmap: { markMasqBit: 5 } }, portMappings: TCP_UDP },
  {
    name: 'externalSetMarkChain',
    options: { portmap: { externalSetMarkChain: 'TSCNI-MARK-MASQ' } },
    portMappings: TCP_UDP,
    setup: (sb) => sb.host.exec('iptables', ['-w', '-t', 'nat', '-N', 'TSCNI-MARK-MASQ']),
  },
  { name: 'conditionsV4 (iptables words)', options: { portmap: { conditionsV4: ['-s', '192.0.2.0/24', '!', '-i', 'lo'] } }, portMappings: TCP_UDP },
  {
    name: '17 tcp ports (two multiport rules) and sctp',
    options: {},
    portMappings: [
      ...Array.from({ length: 17 }, (_, i) => ({ hostPort: 10000 + i, containerPort: 80 + i, protocol: 'tcp' })),
      { hostPort: 3868, containerPort: 3868, protocol: 'sctp' },
    ],
  },
  { name: 'after ptp, cniVersion 0.4.0', options: { main: 'ptp', cniVersion: '0.4.0' }, portMappings: TCP_UDP },
  { name: 'cniVersion 0.3.1', options: { cniVersion: '0.3.1' }, portMappings: TCP_UDP },
];

function outcome(o: ChainOutcome): string {
  return JSON.stringify(o.steps.at(-1)?.outcome);
}

/** A step's result as printed by spec, whatever key order and empty dns its printer used. */
function canonical(o: ChainOutcome, step = o.steps.length - 1): string {
  return printResult(resultFromBytes(o.steps[step]!.outcome.stdout));
}

/** The same, with the random host veth name and the MACs masked, to compare twin sandboxes. */
function masked(o: ChainOutcome): string {
  return canonical(o)
    .replace(/veth[0-9a-f]{8}/g, 'veth')
    .replace(/tscni-pmr-c-[0-9a-f]+/g, 'netns')
    .replace(/([0-9a-f]{2}:){5}[0-9a-f]{2}/g, 'mac');
}

describe('portmap against the reference (iptables)', () => {
  const cleanup: (() => void)[] = [];
  const make = (): Sandbox => {
    const sb = sandbox('tscni-pmr-');
    cleanup.push(() => sb.remove());
    return sb;
  };
  after(() => cleanup.forEach((f) => f()));

  for (const c of CASES) {
    it(`${c.name}: same result, same rules after ADD and after DEL`, () => {
      const ours = make();
      const ref = make();
      const runtimeConfig = { portMappings: c.portMappings };
      const adds = [ours, ref].map((sb, i) => {
        c.setup?.(sb);
        const list = chain(sb, { main: 'bridge', backend: undefined, ...c.options });
        // Debian's 1.1.1 knows no backend key; leaving it out means iptables for both.
        const add = runChain(sb, list, { command: 'ADD', runtimeConfig, reference: i === 1 ? ['portmap'] : false });
        assert.equal(add.ok, true, outcome(add));
        return { sb, list, add };
      });
      // Both pass the bridge's result through, converted to the config's version.
      for (const { add } of adds) assert.equal(canonical(add), canonical(add, 0));
      assert.equal(masked(adds[0]!.add), masked(adds[1]!.add));
      assert.deepEqual(iptablesText(ours.host), iptablesText(ref.host));
      for (const [i, { sb, list, add }] of adds.entries()) {
        const del = runChain(sb, list, { command: 'DEL', runtimeConfig, prevResult: add.result!, reference: i === 1 ? ['portmap'] : false });
        assert.equal(del.ok, true, outcome(del));
      }
      assert.deepEqual(iptablesText(ours.host), iptablesText(ref.host));
    });
  }

  for (const [adder, remover] of [
    ['reference', 'ours'],
    ['ours', 'reference'],
  ] as const) {
    it(`ADD by ${adder}, CHECK and DEL by ${remover}: nothing of the container is left`, () => {
      const sb = make();
      const list = chain(sb, { main: 'bridge', dualStack: true });
      const runtimeConfig = { portMappings: TCP_UDP };
      const add = runChain(sb, list, { command: 'ADD', runtimeConfig, reference: adder === 'reference' ? ['portmap'] : false });
      assert.equal(add.ok, true, outcome(add));
      assert.ok(iptablesText(sb.host).some((l) => l.startsWith('-A CNI-DN-')));
      if (remover === 'ours') {
        // The reference 1.1.1 cannot CHECK (it looks for the IPv4 rules in ip6tables too).
        const check = runChain(sb, list, { command: 'CHECK', runtimeConfig, prevResult: add.result! });
        assert.equal(check.ok, true, outcome(check));
      }
      const del = runChain(sb, list, { command: 'DEL', runtimeConfig, prevResult: add.result!, reference: remover === 'reference' ? ['portmap'] : false });
      assert.equal(del.ok, true, outcome(del));
      assert.deepEqual(withoutSharedIptables(iptablesText(sb.host)), []);
    });
  }

  it('the reference CHECK fails on a plain IPv4 attachment where ours passes (deliberate difference)', () => {
    const sb = make();
    const list = chain(sb, { main: 'bridge' });
    const runtimeConfig = { portMappings: TCP_UDP };
    const add = runChain(sb, list, { command: 'ADD', runtimeConfig });
    assert.equal(add.ok, true, outcome(add));
    const ours = runChain(sb, list, { command: 'CHECK', runtimeConfig, prevResult: add.result! });
    assert.equal(ours.ok, true, outcome(ours));
    const theirs = runChain(sb, list, { command: 'CHECK', runtimeConfig, prevResult: add.result!, reference: ['portmap'] });
    assert.equal(theirs.ok, false);
    assert.match(theirs.steps.at(-1)!.outcome.stdout, /could not check ipv6 dnat/);
  });

  it('DEL without portMappings: the reference removes nothing, ours removes the container (deliberate difference)', () => {
    const [ours, ref] = [make(), make()];
    for (const [i, sb] of [ours, ref].entries()) {
      const list = chain(sb, { main: 'bridge' });
      const add = runChain(sb, list, { command: 'ADD', runtimeConfig: { portMappings: TCP_UDP }, reference: i === 1 ? ['portmap'] : false });
      assert.equal(add.ok, true, outcome(add));
      const del = runChain(sb, { ...list, plugins: [list.plugins[1]!] }, { command: 'DEL', prevResult: add.result!, reference: i === 1 ? ['portmap'] : false });
      assert.equal(del.ok, true, outcome(del));
    }
    assert.deepEqual(withoutSharedIptables(iptablesText(ours.host)), []);
    assert.ok(withoutSharedIptables(iptablesText(ref.host)).some((l) => l.startsWith('-A CNI-DN-')));
  });

  it('re-ADD with other mappings: ours replaces the container rules, the reference keeps the old ones too (deliberate difference)', () => {
    const [ours, ref] = [make(), make()];
    const texts = [ours, ref].map((sb, i) => {
      const list = chain(sb, { main: 'bridge' });
      const add = runChain(sb, list, { command: 'ADD', runtimeConfig: { portMappings: TCP_UDP }, reference: i === 1 ? ['portmap'] : false });
      assert.equal(add.ok, true, outcome(add));
      const portmapOnly = { ...list, plugins: [list.plugins[1]!] };
      const again = runChain(sb, portmapOnly, { command: 'ADD', runtimeConfig: { portMappings: [TCP_UDP[0]!] }, prevResult: add.result!, reference: i === 1 ? ['portmap'] : false });
      assert.equal(again.ok, true, outcome(again));
      return withoutSharedIptables(iptablesText(sb.host));
    });
    assert.equal(texts[0]!.filter((l) => l.includes('udp')).length, 0, texts[0]!.join('\n'));
    assert.ok(texts[1]!.some((l) => l.includes('udp')));
  });
});
