import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pluginConfig, runChain, type ChainList } from '../../testing/chain.js';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';
import { fakeFirewalldMissing, startFakeFirewalld, startPrivateBus, type FakeFirewalld, type PrivateBus } from './fake-firewalld.js';
import { added, addressLines, BRIDGE, bridgeChain, hostState, NET, scaffolding } from './testing.js';

const missing = fakeFirewalldMissing();

const V4 = '10.88.1.2/32';
const V6 = 'fd00:88:1::2/128';
const prevResult = (bridge = BRIDGE) => ({
  cniVersion: '1.0.0',
  interfaces: [{ name: bridge }],
  ips: [{ address: '10.88.1.2/24' }, { address: 'fd00:88:1::2/64' }],
});

describe('firewall with firewalld (a fake firewalld on a private system bus)', { skip: missing }, () => {
  let busDir: Sandbox;
  let bus: PrivateBus;
  let fw: FakeFirewalld;
  let emptyBus: PrivateBus;
  const sandboxes: Sandbox[] = [];
  before(() => {
    busDir = sandbox('tscni-fwd-');
    sandboxes.push(busDir);
    bus = startPrivateBus(busDir.dir);
    fw = startFakeFirewalld(bus, busDir.dir);
    mkdirSync(join(busDir.dir, 'empty'));
    emptyBus = startPrivateBus(join(busDir.dir, 'empty'));
  });
  after(() => {
    fw?.stop();
    bus?.stop();
    emptyBus?.stop();
    sandboxes.forEach((sb) => sb.remove());
  });
  const make = (): Sandbox => {
    const sb = sandbox('tscni-fwd-');
    sandboxes.push(sb);
    return sb;
  };
  const env = (address = bus.address) => ({ DBUS_SYSTEM_BUS_ADDRESS: address });
  const runFw = (sb: Sandbox, command: 'ADD' | 'CHECK' | 'DEL', config: Record<string, unknown>, address?: string) =>
    sb.run('firewall', { command, config: { cniVersion: '1.0.0', name: NET, type: 'firewall', ...config }, env: env(address) });
  const dbusSend = (method: string, ...args: string[]) =>
    spawnSync('dbus-send', ['--system', '--print-reply', '--dest=org.fedoraproject.FirewallD1', '/org/fedoraproject/FirewallD1', `org.fedoraproject.FirewallD1.zone.${method}`, ...args.map((a) => `string:${a}`)], {
      env: { ...process.env, ...env() },
      encoding: 'utf8',
    });

  it('auto-selects firewalld when it owns its name: sources added, checked and removed; no iptables rule', () => {
    const sb = make();
    fw.clearCalls();
    const before = hostState(sb.host);
    // runChain passes no env; run firewall's steps by hand with the bus address.
    const list = bridgeChain(sb, {}, { v6: true });
    const bridgeOnly: ChainList = { ...list, plugins: [list.plugins[0]!] };
    const addBridge = runChain(sb, bridgeOnly, { command: 'ADD' });
    assert.equal(addBridge.ok, true);
    const config = pluginConfig(list, 1, undefined, addBridge.result);
    const add = sb.run('firewall', { command: 'ADD', config, env: env() });
    assert.equal(add.code, 0, add.stdout);
    assert.deepEqual(add.json, addBridge.result);
    assert.deepEqual(fw.calls(), [
      ['addSource', 'trusted', V4],
      ['addSource', 'trusted', V6],
    ]);
    const grown = added(before, hostState(sb.host));
    assert.deepEqual([grown.iptables, grown.ip6tables], [undefined, undefined], 'no iptables rules with firewalld');
    fw.clearCalls();
    assert.equal(sb.run('firewall', { command: 'CHECK', config, env: env() }).code, 0);
    assert.deepEqual(fw.calls(), [
      ['querySource', 'trusted', V4],
      ['querySource', 'trusted', V6],
    ]);
    // The reference ignores querySource's answer; a source firewalld does not have fails CHECK here.
    assert.equal(dbusSend('removeSource', 'trusted', V6).status, 0);
    assert.deepEqual(sb.run('firewall', { command: 'CHECK', config, env: env() }).json, { code: 999, msg: `failed to find the address ${V6} in trusted zone` });
    fw.clearCalls();
    for (let i = 0; i < 2; i++) assert.equal(sb.run('firewall', { command: 'DEL', config, env: env() }).code, 0);
    assert.deepEqual(fw.calls().slice(0, 2), [
      ['removeSource', 'trusted', V4],
      ['removeSource', 'trusted', V6],
    ]);
    assert.equal(dbusSend('querySource', 'trusted', V4).stdout.includes('boolean false'), true);
    const del = runChain(sb, bridgeOnly, { command: 'DEL', prevResult: addBridge.result! });
    assert.equal(del.ok, true);
    assert.deepEqual(added(before, hostState(sb.host)), { links: [BRIDGE] });
  });

  it('firewalldZone is honoured and an address already in a zone (ZONE_ALREADY_SET) is not an error', () => {
    const sb = make();
    fw.clearCalls();
    assert.equal(dbusSend('addSource', 'public', V4).status, 0);
    const add = runFw(sb, 'ADD', { backend: 'firewalld', firewalldZone: 'internal', prevResult: prevResult() });
    assert.equal(add.code, 0, add.stdout);
    assert.deepEqual(fw.calls().slice(1), [
      ['addSource', 'internal', V4],
      ['addSource', 'internal', V6],
    ]);
    assert.equal(runFw(sb, 'DEL', { backend: 'firewalld', firewalldZone: 'internal', prevResult: prevResult() }).code, 0);
    assert.equal(dbusSend('removeSource', 'public', V4).status, 0);
  });

  it('a refused address fails ADD with the reference message and takes the earlier ones out again', () => {
    const sb = make();
    fw.clearCalls();
    const add = runFw(sb, 'ADD', { firewalldZone: 'v4only', prevResult: prevResult() });
    assert.deepEqual(add.json, { code: 999, msg: `failed to add the address ${V6} to v4only zone: INVALID_ADDR: ${V6}` });
    assert.deepEqual(fw.calls(), [
      ['addSource', 'v4only', V4],
      ['addSource', 'v4only', V6],
      ['removeSource', 'v4only', V4],
    ]);
    assert.deepEqual(runFw(sb, 'ADD', { firewalldZone: 'bogus', prevResult: prevResult() }).json, {
      code: 999,
      msg: `failed to add the address ${V4} to bogus zone: INVALID_ZONE: bogus`,
    });
  });

  it('ingressPolicy still uses iptables with firewalld; a failed isolation rule takes the sources out again', () => {
    const sb = make();
    const before = hostState(sb.host);
    fw.clearCalls();
    const add = runFw(sb, 'ADD', { ingressPolicy: 'same-bridge', prevResult: prevResult() });
    assert.equal(add.code, 0, add.stdout);
    const grown = added(before, hostState(sb.host));
    assert.ok(grown.iptables?.includes(`-A CNI-ISOLATION-STAGE-2 -o ${BRIDGE} -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)" -j DROP`));
    assert.ok(!grown.iptables?.some((l) => l.includes('CNI-FORWARD')), 'no CNI-FORWARD with firewalld');
    assert.equal(runFw(sb, 'CHECK', { ingressPolicy: 'same-bridge', prevResult: prevResult() }).code, 0);
    assert.equal(runFw(sb, 'DEL', { ingressPolicy: 'same-bridge', prevResult: prevResult() }).code, 0);

    const failing = make();
    const failingBefore = hostState(failing.host);
    fw.clearCalls();
    const bad = runFw(failing, 'ADD', { ingressPolicy: 'isolated', prevResult: prevResult('tscni-much-too-long-bridge') });
    assert.equal(bad.json?.['code'], 999, bad.stdout);
    assert.deepEqual(fw.calls(), [
      ['addSource', 'trusted', V4],
      ['addSource', 'trusted', V6],
      ['removeSource', 'trusted', V4],
      ['removeSource', 'trusted', V6],
    ]);
    assert.deepEqual(hostState(failing.host), failingBefore);
  });

  it('backend firewalld where firewalld is absent: a clear error for ADD and CHECK, DEL succeeds', () => {
    const sb = make();
    const before = hostState(sb.host);
    const config = { backend: 'firewalld', prevResult: prevResult() };
    const noOwner = runFw(sb, 'ADD', config, emptyBus.address).json;
    assert.equal(noOwner?.['code'], 999);
    assert.match(String(noOwner?.['msg']), /^firewalld backend requested but firewalld is not running on the system bus: Could not get owner of name 'org\.fedoraproject\.FirewallD1'/);
    assert.match(String(runFw(sb, 'CHECK', config, emptyBus.address).json?.['msg']), /^firewalld backend requested but firewalld is not running/);
    const noBus = runFw(sb, 'ADD', config, `unix:path=${join(sb.dir, 'no-such-socket')}`).json;
    assert.match(String(noBus?.['msg']), /^firewalld backend requested but firewalld is not running on the system bus: .*no-such-socket/);
    assert.equal(runFw(sb, 'DEL', config, emptyBus.address).code, 0);
    assert.deepEqual(hostState(sb.host), before);
  });

  it('auto without firewalld on the bus (or without a bus) is iptables', () => {
    for (const address of [emptyBus.address, 'unix:path=/nonexistent/tscni-bus']) {
      const sb = make();
      const before = hostState(sb.host);
      assert.equal(runFw(sb, 'ADD', { prevResult: prevResult() }, address).code, 0);
      assert.deepEqual(added(before, hostState(sb.host)).iptables, [...scaffolding(), ...addressLines(V4)].sort());
      assert.equal(runFw(sb, 'DEL', { prevResult: prevResult() }, address).code, 0);
    }
  });

  it('DEL with auto while firewalld runs also removes the rules an iptables ADD made before', () => {
    const sb = make();
    const before = hostState(sb.host);
    fw.clearCalls();
    assert.equal(runFw(sb, 'ADD', { backend: 'iptables', prevResult: prevResult() }).code, 0);
    assert.deepEqual(fw.calls(), []);
    assert.equal(runFw(sb, 'DEL', { prevResult: prevResult() }).code, 0);
    assert.deepEqual(fw.calls().map((c) => c[0]), ['removeSource', 'removeSource']);
    assert.deepEqual(added(before, hostState(sb.host)), { iptables: scaffolding(), ip6tables: scaffolding() });
  });
});
