/**
 * The built bridge plugin against the kernel: host and containers are scratch namespaces
 * (the plugin runs inside the "host" one), IPAM is host-local with a private data directory.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';

import { BR, NAME, addrs, conf, ipJson, link, ping, reserved, rules, sysctl, veths, type IpLink } from './testing.js';

describe('bridge', () => {
  const cleanup: (() => void)[] = [];
  const make = (): Sandbox => {
    const sb = sandbox('tscni-br-');
    cleanup.push(() => sb.remove());
    return sb;
  };
  const extraContainer = (): ScratchNetns => {
    const ns = scratchNetns('tscni-br-c2-');
    cleanup.push(() => ns.remove());
    return ns;
  };
  after(() => cleanup.forEach((f) => f()));

  it('ADD attaches the container (result, bridge, port, addresses, sysctls, masquerade); CHECK passes; DEL twice', () => {
    const sb = make();
    const config = conf(sb, { isGateway: true, ipMasq: true, hairpinMode: true, mtu: 1400 });
    const add = sb.run('bridge', { command: 'ADD', config });
    assert.equal(add.code, 0, add.stdout + add.stderr);
    const r = add.json as { interfaces: { name: string; mac: string; sandbox?: string }[]; ips: { address: string; gateway: string; interface: number }[]; dns: unknown };
    assert.equal(r.interfaces.length, 3);
    assert.equal(r.interfaces[0]!.name, BR);
    assert.match(r.interfaces[1]!.name, /^veth[0-9a-f]{8}$/);
    assert.deepEqual([r.interfaces[2]!.name, r.interfaces[2]!.sandbox], ['eth0', sb.cont.path]);
    r.interfaces.forEach((i) => assert.match(i.mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/));
    assert.deepEqual(r.ips, [{ address: '10.88.0.2/24', gateway: '10.88.0.1', interface: 2 }]);

    const br = link(sb.host, BR)!;
    assert.equal(br.linkinfo?.info_kind, 'bridge');
    assert.equal(br.mtu, 1400);
    assert.equal(br.address, r.interfaces[0]!.mac);
    assert.deepEqual(addrs(sb.host, BR), ['10.88.0.1/24']);
    const port = link(sb.host, r.interfaces[1]!.name)!;
    assert.equal(port.master, BR);
    assert.equal(port.mtu, 1400);
    assert.equal(port.operstate, 'UP');
    assert.equal(port.linkinfo?.info_slave_data?.hairpin, true);
    assert.equal(port.linkinfo?.info_slave_data?.isolated, false);
    assert.equal(sysctl(sb.host, `net/ipv6/conf/${BR}/accept_ra`), '0');
    assert.equal(sysctl(sb.host, `net/ipv6/conf/${port.ifname}/accept_ra`), '0');
    assert.equal(sysctl(sb.host, 'net/ipv4/ip_forward'), '1');

    const eth0 = link(sb.cont, 'eth0')!;
    assert.equal(eth0.mtu, 1400);
    assert.equal(eth0.address, r.interfaces[2]!.mac);
    assert.deepEqual(addrs(sb.cont, 'eth0'), ['10.88.0.2/24']);
    assert.equal(sysctl(sb.cont, 'net/ipv4/conf/eth0/arp_notify'), '1');
    assert.equal(sysctl(sb.cont, 'net/ipv6/conf/eth0/accept_dad'), '0');
    assert.match(sb.host.exec('iptables-save', ['-t', 'nat']), /-A POSTROUTING -s 10\.88\.0\.2\/32 -m comment --comment "name: \\"tscnibr\\" id: \\"ctr1\\"" -j CNI-/);
    assert.ok(ping(sb.cont, '10.88.0.1'), 'the container reaches its gateway');

    const check = sb.run('bridge', { command: 'CHECK', config: { ...config, prevResult: add.json } });
    assert.equal(check.code, 0, check.stdout);

    for (let i = 0; i < 2; i++) {
      const del = sb.run('bridge', { command: 'DEL', config });
      assert.equal(del.code, 0, del.stdout);
      assert.equal(del.stdout, '');
    }
    assert.equal(link(sb.cont, 'eth0'), undefined);
    assert.deepEqual(veths(sb.host), []);
    assert.deepEqual(reserved(sb), []);
    assert.ok(!rules(sb).includes('10.88.0.2'), 'masquerade rules removed');
    assert.deepEqual(addrs(sb.host, BR), ['10.88.0.1/24'], 'the bridge and its address stay, as in the reference');
  });

  for (const backend of ['iptables', 'nftables'] as const) {
    it(`DEL after the namespace is gone releases the address and removes the ${backend} masquerade rules (the reference leaks the iptables ones)`, () => {
      const sb = make();
      const config = conf(sb, { isGateway: true, ipMasq: true, ipMasqBackend: backend });
      const add = sb.run('bridge', { command: 'ADD', config });
      assert.equal(add.code, 0, add.stdout);
      assert.ok(rules(sb).includes('10.88.0.2'));
      sb.cont.remove();
      const del = sb.run('bridge', { command: 'DEL', config });
      assert.equal(del.code, 0, del.stdout);
      assert.ok(!rules(sb).includes('10.88.0.2'), rules(sb));
      assert.ok(!/-A POSTROUTING .*tscnibr/.test(rules(sb)));
      assert.deepEqual(reserved(sb), []);
      assert.equal(sb.run('bridge', { command: 'DEL', config, netns: '' }).code, 0, 'and without CNI_NETNS');
    });
  }

  it('ADD of an interface name that exists fails and leaves nothing behind (not even the bridge it made)', () => {
    const sb = make();
    sb.cont.exec('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p']);
    const add = sb.run('bridge', { command: 'ADD', config: conf(sb, { isGateway: true }) });
    assert.equal(add.code, 1);
    assert.equal((add.json as { code: number }).code, 999);
    assert.match((add.json as { msg: string }).msg, /^container veth name \("eth0"\) peer provided \("veth[0-9a-f]{8}"\) already exists$/);
    assert.ok(link(sb.cont, 'eth0'), 'the existing eth0 is untouched');
    assert.equal(ipJson<IpLink[]>(sb.host, ['link', 'show']).length, 1, 'only lo in the host');
    assert.deepEqual(reserved(sb), []);
  });

  it('a failure after IPAM undoes the ADD: lease, veth; a bridge that existed stays. forceAddress replaces its address (the reference then fails to pin the portless bridge MAC 00:00:00:00:00:00)', () => {
    const sb = make();
    sb.host.exec('ip', ['link', 'add', BR, 'type', 'bridge']);
    sb.host.exec('ip', ['addr', 'add', '192.168.99.1/24', 'dev', BR]);
    const config = conf(sb, { isGateway: true });
    const add = sb.run('bridge', { command: 'ADD', config });
    assert.equal(add.code, 1);
    assert.deepEqual(add.json, { code: 999, msg: `failed to set bridge addr: "${BR}" already has an IP address different from 10.88.0.1/24` });
    assert.deepEqual(reserved(sb), [], 'lease released');
    assert.equal(link(sb.cont, 'eth0'), undefined);
    assert.deepEqual(veths(sb.host), []);
    assert.ok(link(sb.host, BR));
    const forced = sb.run('bridge', { command: 'ADD', config: { ...config, forceAddress: true } });
    assert.equal(forced.code, 0, forced.stdout);
    assert.deepEqual(addrs(sb.host, BR), ['10.88.0.1/24']);
    assert.equal(link(sb.host, BR)!.address, (forced.json as { interfaces: { mac: string }[] }).interfaces[0]!.mac);
    assert.notEqual(link(sb.host, BR)!.address, '00:00:00:00:00:00');
  });

  it('refuses bad config with the right code before touching anything', () => {
    const sb = make();
    const cases: [Record<string, unknown> | string, string, number, string | RegExp][] = [
      [conf(sb, { vlan: 5000 }), '', 7, 'invalid VLAN ID 5000 (must be between 0 and 4094)'],
      [conf(sb, { vlanTrunk: [{ minID: 5 }] }), '', 7, 'minID and maxID should be configured simultaneously, maxID is missing'],
      [conf(sb, { hairpinMode: true, promiscMode: true }), '', 7, 'cannot set hairpin mode and promiscuous mode at the same time'],
      [conf(sb, { disableContainerInterface: true }), '', 7, 'cannot use IPAM when DisableContainerInterface flag is set'],
      [conf(sb, { mtu: 'big' }), '', 7, 'config field mtu: expected a number, got string'],
      [conf(sb, { ipMasqBackend: 'pf' }), '', 7, 'unknown ipmasq backend "pf"'],
      [conf(sb, { runtimeConfig: { mac: 'nope' } }), '', 7, 'invalid MAC address "nope" in runtimeConfig.mac'],
      [conf(sb), 'K8S_POD_NAME=x', 4, 'ARGS: unknown args ["K8S_POD_NAME=x"]'],
      ['{"cniVersion":"1.0.0","name":"x","type":"bridge",', '', 6, /^error unmarshall network config/],
    ];
    for (const [config, args, code, msg] of cases) {
      const r = sb.run('bridge', { command: 'ADD', config, args });
      assert.equal(r.code, 1, JSON.stringify(config));
      const err = r.json as { code: number; msg: string };
      assert.equal(err.code, code, err.msg);
      if (typeof msg === 'string') assert.equal(err.msg, msg);
      else assert.match(err.msg, msg);
    }
    assert.equal(ipJson<IpLink[]>(sb.host, ['link', 'show']).length, 1, 'only lo in the host');
    assert.equal(ipJson<IpLink[]>(sb.cont, ['link', 'show']).length, 1, 'only lo in the container');
    assert.deepEqual(reserved(sb), []);
  });

  it('two containers reach each other and their gateway; isDefaultGateway adds the default route', () => {
    const sb = make();
    const c2 = extraContainer();
    const config = conf(sb, { isDefaultGateway: true });
    const a = sb.run('bridge', { command: 'ADD', config });
    const b = sb.run('bridge', { command: 'ADD', config, netns: c2.path, containerID: 'ctr2' });
    assert.equal(a.code, 0, a.stdout);
    assert.equal(b.code, 0, b.stdout);
    assert.deepEqual((a.json as { routes: unknown }).routes, [{ dst: '0.0.0.0/0', gw: '10.88.0.1' }]);
    assert.match(sb.cont.exec('ip', ['route', 'show', 'default']), /default via 10\.88\.0\.1 dev eth0/);
    assert.ok(ping(sb.cont, '10.88.0.3'));
    assert.ok(ping(c2, '10.88.0.2'));
    assert.ok(ping(c2, '10.88.0.1'));
    const check = sb.run('bridge', { command: 'CHECK', config: { ...config, prevResult: a.json } });
    assert.equal(check.code, 0, check.stdout);
  });

  it('layer 2 (no IPAM): interfaces only, container end up, frames bridged; CHECK works (the reference fails it: "no plugin name provided")', () => {
    const sb = make();
    const c2 = extraContainer();
    const config = conf(sb, {}, null);
    const a = sb.run('bridge', { command: 'ADD', config });
    const b = sb.run('bridge', { command: 'ADD', config, netns: c2.path, containerID: 'ctr2' });
    assert.equal(a.code, 0, a.stdout);
    assert.equal(b.code, 0, b.stdout);
    assert.deepEqual(Object.keys(a.json!).sort(), ['cniVersion', 'interfaces'], 'no ips, routes or (empty) dns');
    assert.ok(link(sb.cont, 'eth0')!.flags.includes('UP'));
    assert.deepEqual(addrs(sb.host, BR), []);
    const recorded = (a.json as { interfaces: { name: string; mac?: string }[] }).interfaces[0]!;
    assert.equal(link(sb.host, BR)!.address, recorded.mac, 'the bridge kept the MAC its result records when a second port joined');
    sb.cont.exec('ip', ['addr', 'add', '192.168.77.1/24', 'dev', 'eth0']);
    c2.exec('ip', ['addr', 'add', '192.168.77.2/24', 'dev', 'eth0']);
    assert.ok(ping(sb.cont, '192.168.77.2'));
    const check = sb.run('bridge', { command: 'CHECK', config: { ...config, prevResult: a.json } });
    assert.equal(check.code, 0, check.stdout);
    const del = sb.run('bridge', { command: 'DEL', config });
    assert.equal(del.code, 0, del.stdout);
    assert.equal(link(sb.cont, 'eth0'), undefined);
  });

  it('promiscMode, mtu, portIsolation and the container MAC from runtimeConfig; CHECK notices a changed port', () => {
    const sb = make();
    const config = conf(sb, { promiscMode: true, mtu: 1300, portIsolation: true, runtimeConfig: { mac: '0a:58:0a:58:00:99' } });
    const add = sb.run('bridge', { command: 'ADD', config, args: 'IgnoreUnknown=1;MAC=0a:58:00:00:00:01' });
    assert.equal(add.code, 0, add.stdout);
    const br = link(sb.host, BR)!;
    assert.ok(br.flags.includes('PROMISC'));
    assert.equal(br.mtu, 1300);
    const veth = veths(sb.host)[0]!;
    assert.equal(link(sb.host, veth)!.linkinfo?.info_slave_data?.isolated, true);
    assert.equal(link(sb.host, veth)!.linkinfo?.info_slave_data?.hairpin, false);
    assert.equal(link(sb.cont, 'eth0')!.address, '0a:58:0a:58:00:99');
    assert.equal(link(sb.cont, 'eth0')!.mtu, 1300);
    const prev = { ...config, prevResult: add.json };
    assert.equal(sb.run('bridge', { command: 'CHECK', config: prev }).code, 0);
    const promiscOff = sb.run('bridge', { command: 'CHECK', config: { ...prev, promiscMode: false } });
    assert.equal((promiscOff.json as { msg: string }).msg, `Bridge interface ${BR} configured Promisc Mode false doesn't match current state: true `);
    sb.host.exec('ip', ['link', 'set', veth, 'type', 'bridge_slave', 'isolated', 'off']);
    const changed = sb.run('bridge', { command: 'CHECK', config: prev });
    assert.equal((changed.json as { msg: string }).msg, `bridge port ${veth} has isolation false, configured true`);
    const noPrev = sb.run('bridge', { command: 'CHECK', config });
    assert.equal((noPrev.json as { msg: string }).msg, 'Required prevResult missing');
    sb.cont.exec('ip', ['addr', 'flush', 'dev', 'eth0']);
    sb.host.exec('ip', ['link', 'set', veth, 'type', 'bridge_slave', 'isolated', 'on']);
    const noAddr = sb.run('bridge', { command: 'CHECK', config: prev });
    assert.equal((noAddr.json as { msg: string }).msg, 'Failed to match addr 10.88.0.2/24 on interface eth0');
  });

  it('macspoofchk: the nft bridge rules follow the container MAC, CHECK sees them, DEL removes them', () => {
    const sb = make();
    const config = conf(sb, { macspoofchk: true });
    const add = sb.run('bridge', { command: 'ADD', config });
    assert.equal(add.code, 0, add.stdout);
    const mac = link(sb.cont, 'eth0')!.address;
    const table = sb.host.exec('nft', ['list', 'table', 'bridge', 'nat']);
    assert.match(table, new RegExp(`iifname "${veths(sb.host)[0]}" jump cni-br-iface-ctr1-eth0 comment "macspoofchk-ctr1-eth0"`));
    assert.match(table, new RegExp(`ether saddr ${mac} return comment "macspoofchk-ctr1-eth0"`));
    assert.match(table, /drop comment "macspoofchk-ctr1-eth0"/);
    assert.equal(sb.run('bridge', { command: 'CHECK', config: { ...config, prevResult: add.json } }).code, 0);
    assert.equal(sb.run('bridge', { command: 'DEL', config }).code, 0);
    const after = sb.host.exec('nft', ['list', 'table', 'bridge', 'nat']);
    assert.ok(!after.includes('cni-br-iface-ctr1-eth0'), after);
    assert.match(after, /chain PREROUTING/, 'table and base chain stay, as in the reference');
  });

  it('GC (1.1.0) removes masquerade rules and leases of attachments not listed; STATUS asks IPAM', () => {
    const sb = make();
    const c2 = extraContainer();
    const config = conf(sb, { cniVersion: '1.1.0', ipMasq: true });
    assert.equal(sb.run('bridge', { command: 'ADD', config }).code, 0);
    assert.equal(sb.run('bridge', { command: 'ADD', config, netns: c2.path, containerID: 'ctr2' }).code, 0);
    const gc = sb.run('bridge', { command: 'GC', config: { ...config, 'cni.dev/valid-attachments': [{ containerID: 'ctr2', ifname: 'eth0' }] } });
    assert.equal(gc.code, 0, gc.stdout);
    const nat = rules(sb);
    assert.ok(!nat.includes('10.88.0.2/32'), nat);
    assert.ok(nat.includes('10.88.0.3/32'), nat);
    assert.deepEqual(reserved(sb), ['10.88.0.3']);
    assert.equal(sb.run('bridge', { command: 'STATUS', config }).code, 0);
    assert.equal(sb.run('bridge', { command: 'STATUS', config: conf(sb, { cniVersion: '1.1.0' }, null) }).code, 0);
  });
});
