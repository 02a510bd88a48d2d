/**
 * portmap's names, rule words and config checks, and bad input through the built plugin:
 * code 7 with the reference's message (the reference says 999), nothing left behind.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runChain } from '../../testing/chain.js';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';
import { backendOfConditions, containerNetsOf, type PortMapConf } from './config.js';
import { dnatChainName, dnatComment, dnatEntryRules, dnatRules, isUnspecified, markDef, oldSnatChainName } from './iptables.js';
import { NET, chain, iptablesText } from './testing.js';

const conf = (over: Partial<PortMapConf>): PortMapConf => ({
  name: 'ptpnet',
  cniVersion: '1.0.0',
  backend: 'iptables',
  snat: true,
  masqAll: false,
  markMasqBit: 13,
  externalSetMarkChain: undefined,
  conditionsV4: undefined,
  conditionsV6: undefined,
  portMappings: [],
  prevResult: undefined,
  containerNets: [],
  ...over,
});

describe('portmap units', () => {
  it('names chains and comments as the reference', () => {
    assert.equal(dnatChainName('ptpnet', 'p2'), 'CNI-DN-ee4b2e7c1655fdef64802');
    assert.match(oldSnatChainName('ptpnet', 'p2'), /^CNI-SN-[0-9a-f]{21}$/);
    assert.equal(dnatComment('ptpnet', 'p2'), 'dnat name: "ptpnet" id: "p2"');
    const long = dnatComment('n'.repeat(300), 'c');
    assert.equal(Buffer.byteLength(long), 256);
    assert.ok(long.endsWith('nnn...'));
    assert.equal(markDef(13), '0x2000/0x2000');
    assert.equal(markDef(0), '0x1/0x1');
    assert.equal(markDef(31), '0x80000000/0x80000000');
  });

  it('builds the observed rules of a ptp pod (reference §4.1)', () => {
    const c = conf({
      portMappings: [
        { hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '' },
        { hostPort: 9090, containerPort: 90, protocol: 'udp', hostIP: '127.0.0.1' },
      ],
    });
    const v4 = { family: 4 as const, ip: '10.33.0.3', prefix: 24 };
    assert.deepEqual(dnatRules(c, v4), [
      ['-p', 'tcp', '--dport', '8080', '-s', '10.33.0.3/24', '-j', 'CNI-HOSTPORT-SETMARK'],
      ['-p', 'tcp', '--dport', '8080', '-s', '127.0.0.1', '-j', 'CNI-HOSTPORT-SETMARK'],
      ['-p', 'tcp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '10.33.0.3:80'],
      ['-p', 'udp', '--dport', '9090', '-d', '127.0.0.1', '-s', '10.33.0.3/24', '-j', 'CNI-HOSTPORT-SETMARK'],
      ['-p', 'udp', '--dport', '9090', '-d', '127.0.0.1', '-s', '127.0.0.1', '-j', 'CNI-HOSTPORT-SETMARK'],
      ['-p', 'udp', '--dport', '9090', '-d', '127.0.0.1', '-j', 'DNAT', '--to-destination', '10.33.0.3:90'],
    ]);
    const v6 = { family: 6 as const, ip: 'fd00::3', prefix: 64 };
    assert.deepEqual(dnatRules(c, v6), [
      ['-p', 'tcp', '--dport', '8080', '-s', 'fd00::3/64', '-j', 'CNI-HOSTPORT-SETMARK'],
      ['-p', 'tcp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '[fd00::3]:80'],
    ]);
    // Both entry rules in both families: the reference lists every port of the protocol.
    assert.equal(dnatEntryRules(c, v6, 'p2').length, 2);
    assert.deepEqual(dnatRules(conf({ ...c, masqAll: true, externalSetMarkChain: 'KUBE-MARK-MASQ' }), v4).slice(0, 2), [
      ['-p', 'tcp', '--dport', '8080', '-s', '0.0.0.0/0', '-j', 'KUBE-MARK-MASQ'],
      ['-p', 'tcp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '10.33.0.3:80'],
    ]);
  });

  it('splits multiport lists at 15 ports and sorts protocols', () => {
    const pms = Array.from({ length: 17 }, (_, i) => ({ hostPort: 100 + i, containerPort: 1, protocol: i === 3 ? 'udp' : 'tcp', hostIP: '' }));
    const rules = dnatEntryRules(conf({ portMappings: pms, conditionsV4: ['-s', '10.0.0.0/8'] }), { family: 4, ip: '10.0.0.2', prefix: 8 }, 'c');
    assert.deepEqual(
      rules.map((r) => [r[7], r[9], r[10]]),
      [
        ['tcp', '100,101,102,104,105,106,107,108,109,110,111,112,113,114,115', '-s'],
        ['tcp', '116', '-s'],
        ['udp', '103', '-s'],
      ],
    );
  });

  it('tells the backend of conditions and unspecified host addresses', () => {
    assert.equal(backendOfConditions(['-s', '1.2.3.4']), 'iptables');
    assert.equal(backendOfConditions(['!', '-i', 'lo']), 'iptables');
    assert.equal(backendOfConditions(['ip', 'saddr', '1.2.3.4']), 'nftables');
    assert.equal(backendOfConditions(['']), undefined);
    assert.equal(backendOfConditions([]), undefined);
    assert.equal(isUnspecified('0.0.0.0'), true);
    assert.equal(isUnspecified('::'), true);
    assert.equal(isUnspecified('::1'), false);
  });

  it('takes the first address per family of the container interface', () => {
    const nets = containerNetsOf(
      {
        cniVersion: '1.0.0',
        interfaces: [{ name: 'cni0' }, { name: 'eth0', sandbox: '/run/netns/x' }, { name: 'eth1', sandbox: '/run/netns/x' }],
        ips: [
          { interface: 0, address: '10.0.0.1/24' },
          { interface: 2, address: '10.1.0.2/24' },
          { interface: 1, address: 'fd00::2/64' },
          { address: '10.2.0.2/16' },
          { interface: 1, address: '10.3.0.2/24' },
        ],
      },
      'eth0',
    );
    assert.deepEqual(nets, [
      { family: 4, ip: '10.2.0.2', prefix: 16 },
      { family: 6, ip: 'fd00::2', prefix: 64 },
    ]);
  });
});

describe('portmap bad input', () => {
  const cleanup: (() => void)[] = [];
  const make = (): Sandbox => {
    const sb = sandbox('tscni-pmu-');
    cleanup.push(() => sb.remove());
    return sb;
  };
  after(() => cleanup.forEach((f) => f()));
  const prevResult = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: '/run/netns/x' }], ips: [{ interface: 0, address: '10.9.0.2/24' }] };
  const pm = (extra: Record<string, unknown>, portMappings: unknown[] = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]) => ({
    cniVersion: '1.0.0',
    name: NET,
    type: 'portmap',
    ...extra,
    runtimeConfig: { portMappings },
    prevResult,
  });

  const cases: { config: Record<string, unknown>; msg: string; reference?: true }[] = [
    { config: pm({ markMasqBit: 5, externalSetMarkChain: 'X' }), msg: 'failed to parse config: Cannot specify externalSetMarkChain and markMasqBit', reference: true },
    { config: pm({ markMasqBit: 32 }), msg: 'failed to parse config: MasqMarkBit must be between 0 and 31', reference: true },
    { config: pm({ backend: 'nftables', externalSetMarkChain: 'X' }), msg: 'failed to parse config: nftables backend was requested but configuration contains iptables-specific options [externalSetMarkChain]' },
    { config: pm({ backend: 'iptables', conditionsV4: ['ip', 'saddr', '10.0.0.1'], conditionsV6: ['ip6', 'saddr', '::1'] }), msg: 'failed to parse config: iptables backend was requested but configuration contains nftables-specific options [conditionsV4 conditionsV6]' },
    { config: pm({ backend: 'foo' }), msg: 'failed to parse config: unrecognized backend "foo"' },
    { config: pm({}, [{ hostPort: 8080, containerPort: 0, protocol: 'tcp' }]), msg: 'failed to parse config: Invalid container port number: 0', reference: true },
    { config: pm({}, [{ hostPort: -1, containerPort: 80, protocol: 'tcp' }]), msg: 'failed to parse config: Invalid host port number: -1', reference: true },
    { config: pm({}, [{ hostPort: 70000, containerPort: 80, protocol: 'tcp' }]), msg: 'failed to parse config: Invalid host port number: 70000' },
    { config: pm({}, [{ hostPort: 8080, containerPort: 80, protocol: 'icmp' }]), msg: 'failed to parse config: Invalid protocol "icmp" in port mapping 0: expected one of tcp, udp, sctp, udplite, dccp' },
    { config: pm({}, [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: 'localhost' }]), msg: 'failed to parse config: Invalid host IP "localhost" in port mapping 0' },
    { config: pm({ externalSetMarkChain: 'has space' }), msg: 'failed to parse config: Invalid externalSetMarkChain "has space": not an iptables chain name' },
    { config: { ...pm({}), prevResult: undefined }, msg: 'must be called as chained plugin', reference: true },
  ];

  for (const c of cases) {
    it(`ADD: ${c.msg} (code 7${c.reference ? '; the reference says 999' : ''}), nothing written`, () => {
      const sb = make();
      const r = sb.run('portmap', { command: 'ADD', config: c.config });
      assert.equal(r.code, 1);
      assert.deepEqual(r.json, { code: 7, msg: c.msg });
      assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /);
      if (c.reference) {
        const ref = sb.run('portmap', { command: 'ADD', config: c.config }, true);
        assert.deepEqual(ref.json, { code: 999, msg: c.msg });
      }
      assert.deepEqual(iptablesText(sb.host), []);
    });
  }

  it('CHECK without prevResult: Required prevResult missing; a config error is not prefixed', () => {
    const sb = make();
    const none = sb.run('portmap', { command: 'CHECK', config: { ...pm({}), prevResult: undefined } });
    assert.deepEqual(none.json, { code: 7, msg: 'Required prevResult missing' });
    const bad = sb.run('portmap', { command: 'CHECK', config: pm({ markMasqBit: 40 }) });
    assert.deepEqual(bad.json, { code: 7, msg: 'MasqMarkBit must be between 0 and 31' });
  });

  it('CHECK names the missing chain when nothing was added', () => {
    const sb = make();
    const r = sb.run('portmap', { command: 'CHECK', config: pm({}) });
    assert.equal(r.code, 1);
    assert.equal(r.json?.['code'], 999);
    assert.match(String(r.json?.['msg']), /^could not check ipv4 dnat: chain CNI-DN-[0-9a-f]{21} not found in iptables table nat$/);
  });

  it('an ADD whose IPv6 rules fail leaves no IPv4 rule behind (one batch for both families)', () => {
    const sb = make();
    // The mark chain exists for IPv4 only, so ip6tables-restore refuses the jump to it.
    sb.host.exec('iptables', ['-w', '-t', 'nat', '-N', 'TSCNI-EXT-MARK']);
    const list = chain(sb, { main: 'bridge', dualStack: true, portmap: { externalSetMarkChain: 'TSCNI-EXT-MARK' } });
    const add = runChain(sb, list, { command: 'ADD', runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] } });
    assert.equal(add.ok, false);
    assert.match(String(add.steps.at(-1)!.outcome.json?.['msg']), /^unable to setup DNAT: ip6tables-restore failed/);
    assert.deepEqual(iptablesText(sb.host), [':TSCNI-EXT-MARK -']);
    runChain(sb, { ...list, plugins: [list.plugins[0]!] }, { command: 'DEL' });
  });
});
