/**
 * The built portmap plugin chained after our bridge or ptp (+ host-local) in scratch
 * namespaces, for both backends: ADD, CHECK, DEL (twice, without runtime config, after the
 * container namespace is gone), traffic from the host and from another container, and the
 * host left as it was apart from the shared chains the reference keeps too.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { withNetNS } from '@tscni/netlink/netns';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { conntrackEntries, PROTOCOL_UDP } from '../../net/conntrack.js';
import { runChain, type ChainList } from '../../testing/chain.js';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';
import { dnatChainName } from './iptables.js';
import {
  NET,
  chain,
  connect,
  hostState,
  iptablesText,
  nftRulesOf,
  nftText,
  startServer,
  withoutPortmapTables,
  withoutSharedIptables,
  type HostState,
} from './testing.js';

const MAPPINGS = [
  { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
  { hostPort: 8053, containerPort: 53, protocol: 'udp' },
];

/**
 * The host as the main plugin leaves it (its bridge, host-local's directories), before any
 * portmap: one ADD and DEL of the main plugin alone for another container.
 */
function mainPluginBaseline(sb: Sandbox, list: ChainList): HostState {
  const c = scratchNetns('tscni-pm-base-');
  try {
    const only = { ...list, plugins: [list.plugins[0]!] };
    const add = runChain(sb, only, { command: 'ADD', netns: c.path, containerID: 'baseline' });
    assert.equal(add.ok, true, JSON.stringify(add.steps.at(-1)?.outcome));
    const del = runChain(sb, only, { command: 'DEL', netns: c.path, containerID: 'baseline', prevResult: add.result! });
    assert.equal(del.ok, true, JSON.stringify(del.steps.at(-1)?.outcome));
  } finally {
    c.remove();
  }
  return hostState(sb);
}

function withoutShared(s: HostState): HostState {
  return { ...s, iptables: withoutSharedIptables(s.iptables), nft: withoutPortmapTables(s.nft) };
}

/** The container's rules are on the host, in the backend's form. */
function assertForwarded(sb: Sandbox, backend: 'iptables' | 'nftables', containerID: string, families: number): void {
  if (backend === 'iptables') {
    const lines = iptablesText(sb.host);
    const dnat = lines.filter((l) => /^-A CNI-DN-\S+ .*-j DNAT/.test(l));
    assert.equal(dnat.length, 2 * families, lines.join('\n'));
    assert.ok(lines.some((l) => l.includes(`--comment "dnat name: \\"tscnipm\\" id: \\"${containerID}\\""`)));
  } else {
    const rules = nftRulesOf(nftText(sb.host), containerID);
    assert.equal(rules.filter((r) => r.includes('dnat')).length, 2 * families, nftText(sb.host));
  }
}

function assertNotForwarded(sb: Sandbox, containerID: string): void {
  const dn = dnatChainName(NET, containerID);
  assert.deepEqual(
    iptablesText(sb.host).filter((l) => l.includes(dn) || l.includes(`id: \\"${containerID}\\"`)),
    [],
  );
  assert.deepEqual(nftRulesOf(nftText(sb.host), containerID), []);
}

describe('portmap', () => {
  const cleanup: (() => void)[] = [];
  const make = (): Sandbox => {
    const sb = sandbox('tscni-pm-');
    // Connections to the host's localhost need its loopback up.
    sb.host.exec('ip', ['link', 'set', 'lo', 'up']);
    cleanup.push(() => sb.remove());
    return sb;
  };
  const extraContainer = (): ScratchNetns => {
    const ns = scratchNetns('tscni-pm-c2-');
    cleanup.push(() => ns.remove());
    return ns;
  };
  after(() => cleanup.forEach((f) => f()));

  for (const backend of ['iptables', 'nftables'] as const) {
    for (const main of ['bridge', 'ptp'] as const) {
      it(`${backend} after ${main}: ADD passes the result through, CHECK, DEL twice, nothing left but the shared chains`, () => {
        const sb = make();
        const list = chain(sb, { main, backend, dualStack: true });
        const before = mainPluginBaseline(sb, list);
        const runtimeConfig = { portMappings: MAPPINGS };
        const add = runChain(sb, list, { command: 'ADD', runtimeConfig });
        assert.equal(add.ok, true, JSON.stringify(add.steps.at(-1)?.outcome));
        assert.deepEqual(add.steps[1]!.outcome.json, add.steps[0]!.outcome.json);
        assertForwarded(sb, backend, 'ctr1', 2);
        assert.equal(sb.host.exec('sysctl', ['-n', `net.ipv4.conf.${main === 'bridge' ? 'cni-pm0' : (add.result!['interfaces'] as { name: string }[])[0]!.name}.route_localnet`]).trim(), '1');

        const check = runChain(sb, list, { command: 'CHECK', runtimeConfig, prevResult: add.result! });
        assert.equal(check.ok, true, JSON.stringify(check.steps.at(-1)?.outcome));

        for (let i = 0; i < 2; i++) {
          const del = runChain(sb, list, { command: 'DEL', runtimeConfig, prevResult: add.result! });
          assert.equal(del.ok, true, JSON.stringify(del.steps.at(-1)?.outcome));
        }
        assertNotForwarded(sb, 'ctr1');
        assert.deepEqual(withoutShared(hostState(sb)), withoutShared(before));
      });
    }

    it(`${backend}: DEL without runtime config or prevResult still removes the container's rules`, () => {
      const sb = make();
      const list = chain(sb, { main: 'bridge', backend });
      const add = runChain(sb, list, { command: 'ADD', runtimeConfig: { portMappings: MAPPINGS } });
      assert.equal(add.ok, true, JSON.stringify(add.steps.at(-1)?.outcome));
      assertForwarded(sb, backend, 'ctr1', 1);
      const del = runChain(sb, list, { command: 'DEL' });
      assert.equal(del.ok, true, JSON.stringify(del.steps.at(-1)?.outcome));
      assertNotForwarded(sb, 'ctr1');
    });

    it(`${backend}: DEL after the container namespace is gone removes the rules`, () => {
      const sb = make();
      const list = chain(sb, { main: 'ptp', backend });
      const before = mainPluginBaseline(sb, list);
      const add = runChain(sb, list, { command: 'ADD', runtimeConfig: { portMappings: MAPPINGS } });
      assert.equal(add.ok, true, JSON.stringify(add.steps.at(-1)?.outcome));
      const gone = scratchNetns('tscni-pm-gone-');
      const other = runChain(sb, list, { command: 'ADD', runtimeConfig: { portMappings: [{ hostPort: 9090, containerPort: 90, protocol: 'tcp' }] }, netns: gone.path, containerID: 'ctr2' });
      assert.equal(other.ok, true, JSON.stringify(other.steps.at(-1)?.outcome));
      gone.remove();
      const del = runChain(sb, list, { command: 'DEL', runtimeConfig: { portMappings: MAPPINGS }, prevResult: other.result!, netns: gone.path, containerID: 'ctr2' });
      assert.equal(del.ok, true, JSON.stringify(del.steps.at(-1)?.outcome));
      assertNotForwarded(sb, 'ctr2');
      assertForwarded(sb, backend, 'ctr1', 1);
      const del1 = runChain(sb, list, { command: 'DEL', runtimeConfig: { portMappings: MAPPINGS }, prevResult: add.result! });
      assert.equal(del1.ok, true, JSON.stringify(del1.steps.at(-1)?.outcome));
      const after = withoutShared(hostState(sb));
      // ptp leaves no link behind either: the host veth of the vanished namespace went with it.
      assert.deepEqual(after, withoutShared(before));
    });

    it(`${backend}: a server in the container answers on the host port from the host and from another container`, async () => {
      const sb = make();
      const list = chain(sb, { main: 'bridge', backend });
      const add = runChain(sb, list, { command: 'ADD', runtimeConfig: { portMappings: MAPPINGS } });
      assert.equal(add.ok, true, JSON.stringify(add.steps.at(-1)?.outcome));
      const c2 = extraContainer();
      const add2 = runChain(sb, { ...list, plugins: [list.plugins[0]!] }, { command: 'ADD', netns: c2.path, containerID: 'ctr2' });
      assert.equal(add2.ok, true, JSON.stringify(add2.steps.at(-1)?.outcome));
      const server = await startServer(sb.cont, 80, 'hello');
      try {
        // From the host: its localhost (route_localnet and the localhost mark) and its bridge address.
        assert.match(connect(sb.host, '127.0.0.1', 8080), /^hello:/);
        assert.match(connect(sb.host, '10.87.0.1', 8080), /^hello:/);
        // From another container through the host's address. The iptables backend marks the
        // whole subnet for masquerade (the peer sees the gateway); nftables, as the reference,
        // only the container itself (the peer sees the other container).
        assert.equal(connect(c2, '10.87.0.1', 8080), `hello:::ffff:${backend === 'iptables' ? '10.87.0.1' : '10.87.0.3'}`);
        // Hairpin: the container reaches itself through the host port, masqueraded.
        assert.equal(connect(sb.cont, '10.87.0.1', 8080), 'hello:::ffff:10.87.0.1');
        // The container port itself is not mapped anywhere else.
        assert.match(connect(sb.host, '10.87.0.1', 8081), /^error: /);
      } finally {
        server.stop();
      }
      const del = runChain(sb, list, { command: 'DEL', runtimeConfig: { portMappings: MAPPINGS }, prevResult: add.result! });
      assert.equal(del.ok, true, JSON.stringify(del.steps.at(-1)?.outcome));
      assert.match(connect(sb.host, '10.87.0.1', 8080), /^error: /);
    });
  }

  it('nftables: the reference\'s table, conditions in the container\'s own rules, hostIP, masqAll; re-ADD replaces; CHECK counts', async () => {
    const sb = make();
    const conditions = { conditionsV4: ['ip', 'saddr', '!=', '192.0.2.0/24'], conditionsV6: ['ip6', 'saddr', '!=', '2001:db8::/32'] };
    const list = chain(sb, { main: 'bridge', backend: 'nftables', dualStack: true, portmap: conditions });
    const portMappings = [...MAPPINGS, { hostPort: 8443, containerPort: 443, protocol: 'tcp', hostIP: '10.87.0.1' }, { hostPort: 8444, containerPort: 444, protocol: 'tcp', hostIP: 'fd87::1' }];
    const add = runChain(sb, list, { command: 'ADD', runtimeConfig: { portMappings } });
    assert.equal(add.ok, true, JSON.stringify(add.steps.at(-1)?.outcome));
    const v4 = sb.host.exec('nft', ['list', 'table', 'ip', 'cni_hostport']);
    // nft 1.0.6 drops the table's comment ("CNI portmap plugin") given as JSON.
    for (const line of [
      'chain hostip_hostports {',
      'type nat hook prerouting priority dstnat; policy accept;',
      'type nat hook output priority -100; policy accept;',
      'type nat hook postrouting priority srcnat; policy accept;',
      'fib daddr type local jump hostports_all',
      'jump hostip_hostports',
      'ip saddr != 192.0.2.0/24 tcp dport 8080 dnat to 10.87.0.2:80 comment "ctr1"',
      'ip saddr != 192.0.2.0/24 udp dport 8053 dnat to 10.87.0.2:53 comment "ctr1"',
      'ip saddr != 192.0.2.0/24 ip daddr 10.87.0.1 tcp dport 8443 dnat to 10.87.0.2:443 comment "ctr1"',
      'ip saddr 10.87.0.2 ip daddr 10.87.0.2 masquerade comment "ctr1"',
      'ip saddr 127.0.0.1 ip daddr 10.87.0.2 masquerade comment "ctr1"',
    ]) {
      assert.ok(v4.includes(line), `${line}\n${v4}`);
    }
    assert.doesNotMatch(v4, /8444/);
    const v6 = sb.host.exec('nft', ['list', 'table', 'ip6', 'cni_hostport']);
    assert.ok(v6.includes('ip6 saddr != 2001:db8::/32 ip6 daddr fd87::1 tcp dport 8444 dnat to [fd87::2]:444 comment "ctr1"'), v6);
    assert.ok(v6.includes('ip6 saddr fd87::2 ip6 daddr fd87::2 masquerade comment "ctr1"'), v6);
    assert.doesNotMatch(v6, /127\.0\.0\.1|8443/);
    // The conditions let the host's own connections through.
    const server = await startServer(sb.cont, 80, 'hello');
    try {
      assert.match(connect(sb.host, '10.87.0.1', 8080), /^hello:/);
    } finally {
      server.stop();
    }

    // A second ADD with masqAll and one mapping leaves only that mapping.
    const again = runChain(sb, { ...list, plugins: [{ ...list.plugins[1]!, masqAll: true }] }, { command: 'ADD', runtimeConfig: { portMappings: [MAPPINGS[0]!] }, prevResult: add.result! });
    assert.equal(again.ok, true, JSON.stringify(again.steps.at(-1)?.outcome));
    assert.deepEqual(nftRulesOf(sb.host.exec('nft', ['list', 'table', 'ip', 'cni_hostport']), 'ctr1'), [
      'ip saddr != 192.0.2.0/24 tcp dport 8080 dnat to 10.87.0.2:80 comment "ctr1"',
      'ip saddr 0.0.0.0/0 ip daddr 10.87.0.2 masquerade comment "ctr1"',
    ]);

    const check = runChain(sb, list, { command: 'CHECK', runtimeConfig: { portMappings }, prevResult: add.result! });
    assert.equal(check.ok, false);
    assert.deepEqual(check.steps.at(-1)!.outcome.json, { code: 999, msg: 'missing hostport rules in "hostports" chain' });
  });

  it('nftables: conditions nft refuses are a config error (code 7) and nothing is written', () => {
    const sb = make();
    const list = chain(sb, { main: 'bridge', backend: 'nftables', portmap: { conditionsV4: ['ip', 'saddr', 'bogus-word'] } });
    const add = runChain(sb, list, { command: 'ADD', runtimeConfig: { portMappings: MAPPINGS } });
    assert.equal(add.ok, false);
    const err = add.steps.at(-1)!.outcome.json!;
    assert.equal(err['code'], 7);
    assert.match(String(err['msg']), /^invalid conditionsV4: nft refused the rule text "ip saddr bogus-word"/);
    assert.doesNotMatch(nftText(sb.host), /cni_hostport/);
    runChain(sb, { ...list, plugins: [list.plugins[0]!] }, { command: 'DEL' });
  });

  it('ADD deletes the stale UDP conntrack entries of its UDP host ports, and only those', () => {
    const sb = make();
    const list = chain(sb, { main: 'bridge', backend: 'iptables' });
    const first = runChain(sb, list, { command: 'ADD', runtimeConfig: { portMappings: [MAPPINGS[0]!] } });
    assert.equal(first.ok, true, JSON.stringify(first.steps.at(-1)?.outcome));
    // With the nat hooks in place the host tracks these datagrams, before any mapping of 8053.
    for (const port of [8053, 8054]) sb.host.exec('bash', ['-c', `echo x > /dev/udp/127.0.0.1/${port}`]);
    const udpPorts = () =>
      withNetNS(sb.host.path, () => conntrackEntries(4))
        .filter((e) => e.protocol === PROTOCOL_UDP)
        .map((e) => e.dstPort)
        .sort();
    assert.deepEqual(udpPorts(), [8053, 8054]);
    const c2 = extraContainer();
    const second = runChain(sb, list, { command: 'ADD', runtimeConfig: { portMappings: [MAPPINGS[1]!] }, netns: c2.path, containerID: 'ctr2' });
    assert.equal(second.ok, true, JSON.stringify(second.steps.at(-1)?.outcome));
    assert.deepEqual(udpPorts(), [8054]);
  });
});
