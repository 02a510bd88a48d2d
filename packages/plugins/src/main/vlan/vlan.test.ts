import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLink, getLink } from '@tscni/netlink/rtnl/link';
import { lacks, probeKernel } from '@tscni/netlink/rtnl/testing/scratch-rtnl';
import { CniError } from '@tscni/spec/errors';
import { printResult } from '@tscni/spec/result-print';
import { resultFromBytes } from '@tscni/spec/result-decode';
import { kernelState, masked, waitForDad } from '../../testing/kernel-state.js';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';
import { checkMtu, loadVlanConf, requiredIpam } from './config.js';

const NAME = 'tscnivlan';
const MASTER = 'vlmaster0';

const hasVlan = probeKernel((s) => {
  createLink(s.rt, { name: 'lower', info: { kind: 'veth', peer: { name: 'lowerp' } } });
  createLink(s.rt, { name: 'probe', parentIndex: getLink(s.rt, 'lower').index, info: { kind: 'vlan', id: 10 } });
});
const laneOnly = hasVlan ? false : lacks('vlan');

const base = { cniVersion: '1.0.0', name: NAME, type: 'vlan' };
const text = (o: object): string => JSON.stringify(o);
const codeOf = (f: () => unknown): [number, string] => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof CniError, String(e));
    return [e.code, e.msg];
  }
  assert.fail('no error');
};

interface IpLink {
  ifname: string;
  address: string;
  mtu: number;
  flags: string[];
  linkinfo?: { info_kind?: string; info_data?: { id?: number; protocol?: string } };
}
const links = (ns: { exec(c: string, a: readonly string[]): string }): IpLink[] => JSON.parse(ns.exec('ip', ['-json', '-d', 'link'])) as IpLink[];
const names = (ns: { exec(c: string, a: readonly string[]): string }): string[] => links(ns).map((l) => l.ifname).sort();

/** A sandbox whose host has a veth master (mtu 1500) whose peer is up. */
function withMaster(mtu = 1500): Sandbox {
  const sb = sandbox('tscni-vl-');
  const h = (...a: string[]) => sb.host.exec('ip', a);
  try {
    h('link', 'add', MASTER, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', 'vlpeer0', 'mtu', String(mtu));
    h('link', 'set', MASTER, 'up');
    h('link', 'set', 'vlpeer0', 'up');
  } catch (e) {
    sb.remove();
    throw e;
  }
  return sb;
}

function conf(sb: Sandbox, extra: Record<string, unknown> = {}, ipam: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...base,
    master: MASTER,
    vlanId: 100,
    ipam: { type: 'host-local', subnet: '10.83.0.0/24', routes: [{ dst: '0.0.0.0/0' }], dataDir: join(sb.dir, 'ipam'), ...ipam },
    ...extra,
  };
}

const reserved = (sb: Sandbox): string[] => {
  const d = join(sb.dir, 'ipam', NAME);
  return existsSync(d) ? readdirSync(d).filter((f) => /^[0-9a-f.:]+$/.test(f)) : [];
};

describe('vlan config', () => {
  it('reads master, vlanId, mtu, linkInContainer, IPAM and DNS, keys in any case', () => {
    assert.deepEqual(loadVlanConf(text({ ...base, master: 'eth0', ipam: { type: 'host-local' } })), {
      name: NAME,
      master: 'eth0',
      vlanId: 0,
      mtu: 0,
      linkInContainer: false,
      ipamType: 'host-local',
      dns: {},
    });
    const c = loadVlanConf(text({ ...base, MASTER: 'eth1', VlanID: 4094, mtu: 1400, linkInContainer: true, dns: { nameservers: ['10.0.0.53'] } }));
    assert.deepEqual([c.master, c.vlanId, c.mtu, c.linkInContainer, c.dns], ['eth1', 4094, 1400, true, { nameservers: ['10.0.0.53'] }]);
  });

  it('refuses bad values with code 7 and the reference\'s messages', () => {
    assert.deepEqual(codeOf(() => loadVlanConf(text(base))), [7, '"master" field is required. It specifies the host interface name to create the VLAN for']);
    assert.deepEqual(codeOf(() => loadVlanConf(text({ ...base, master: 'eth0', vlanId: 4095 }))), [7, 'invalid VLAN ID 4095 (must be between 0 and 4095 inclusive)']);
    assert.deepEqual(codeOf(() => loadVlanConf(text({ ...base, master: 'eth0', vlanId: -1 }))), [7, 'invalid VLAN ID -1 (must be between 0 and 4095 inclusive)']);
    assert.deepEqual(codeOf(() => loadVlanConf(text({ ...base, master: 'eth0', vlanId: 1.5 }))), [7, 'config field vlanId: expected an integer, got 1.5']);
    assert.equal(codeOf(() => loadVlanConf(text({ ...base, master: 'eth0', linkInContainer: 'yes' })))[0], 7);
    assert.equal(codeOf(() => loadVlanConf('{"name":'))[0], 6);
    const noIpam = loadVlanConf(text({ ...base, master: 'eth0' }));
    assert.deepEqual(codeOf(() => requiredIpam(noIpam)), [7, 'vlan interface requires an IPAM configuration (ipam.type)']);
    assert.deepEqual(codeOf(() => checkMtu({ ...noIpam, mtu: 1501 }, 1500)), [7, 'invalid MTU 1501, must be [0, master MTU(1500)]']);
    assert.deepEqual(codeOf(() => checkMtu({ ...noIpam, mtu: -1 }, 1500)), [7, 'invalid MTU -1, must be [0, master MTU(1500)]']);
    checkMtu({ ...noIpam, mtu: 1500 }, 1500);
  });
});

describe('vlan plugin', () => {
  const sandboxes: Sandbox[] = [];
  after(() => sandboxes.forEach((sb) => sb.remove()));
  const make = (mtu = 1500): Sandbox => {
    const sb = withMaster(mtu);
    sandboxes.push(sb);
    return sb;
  };

  it('refuses bad configs with the right code before making anything, whatever the kernel', () => {
    const sb = make();
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [conf(sb, { master: undefined }), 7, /^"master" field is required/],
      [conf(sb, { vlanId: 5000 }), 7, /^invalid VLAN ID 5000 \(must be between 0 and 4095 inclusive\)$/],
      [conf(sb, { mtu: 9000 }), 7, /^invalid MTU 9000, must be \[0, master MTU\(1500\)\]$/],
      [conf(sb, { master: 'nosuch0' }), 7, /^master "nosuch0" not found/],
      [conf(sb, { master: 'nosuch0', linkInContainer: true }), 7, /^master "nosuch0" not found/],
      [conf(sb, { ipam: undefined }), 7, /^vlan interface requires an IPAM configuration/],
      [conf(sb, { linkInContainer: 1 }), 7, /linkInContainer: expected a boolean/],
    ];
    for (const [config, code, msg] of cases) {
      const r = sb.run('vlan', { command: 'ADD', config });
      assert.equal(r.json?.['code'], code, `${JSON.stringify(config)}: ${r.stdout}`);
      assert.match(String(r.json?.['msg']), msg);
    }
    assert.deepEqual(names(sb.cont), ['lo']);
    assert.deepEqual(names(sb.host), ['lo', MASTER, 'vlpeer0'].sort());
    assert.deepEqual(reserved(sb), []);
  });

  it('DEL succeeds when the master is gone, where the reference fails for good', () => {
    const sb = make();
    const config = conf(sb, { master: 'gone0' });
    const ours = sb.run('vlan', { command: 'DEL', config });
    assert.equal(ours.code, 0, ours.stdout);
    const ref = sb.run('vlan', { command: 'DEL', config }, true);
    assert.equal(ref.code, 1, 'the reference looks the master up first');
    assert.match(String(ref.json?.['msg']), /not found/i);
  });

  it('on a kernel without vlan, ADD fails saying so and leaves nothing behind', { skip: hasVlan ? 'the kernel has vlan' : false }, () => {
    const sb = make();
    const r = sb.run('vlan', { command: 'ADD', config: conf(sb) });
    assert.equal(r.json?.['code'], 999, r.stdout);
    assert.match(String(r.json?.['msg']), /^failed to create vlan: .*not supported/);
    assert.deepEqual(names(sb.cont), ['lo']);
    assert.deepEqual(reserved(sb), []);
  });

  it('ADD makes the tagged link in the container; CHECK; DEL twice; DEL after the namespace is gone', { skip: laneOnly }, () => {
    const sb = make();
    const config = conf(sb, { mtu: 1400 });
    const r = sb.run('vlan', { command: 'ADD', config });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const eth0 = links(sb.cont).find((l) => l.ifname === 'eth0')!;
    assert.equal(eth0.linkinfo?.info_kind, 'vlan');
    assert.equal(eth0.linkinfo?.info_data?.id, 100);
    assert.equal(eth0.linkinfo?.info_data?.protocol, '802.1Q');
    assert.equal(eth0.mtu, 1400);
    assert.ok(eth0.flags.includes('UP'));
    assert.deepEqual(r.json, {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', mac: eth0.address, sandbox: sb.cont.path }],
      ips: [{ address: '10.83.0.2/24', gateway: '10.83.0.1', interface: 0 }],
      routes: [{ dst: '0.0.0.0/0' }],
    });
    assert.deepEqual(names(sb.host), ['lo', MASTER, 'vlpeer0'].sort(), 'the temporary name never stays on the host');
    // Tagged frames reach the master's peer: a VLAN 100 link there answers.
    sb.host.exec('ip', ['link', 'add', 'link', 'vlpeer0', 'name', 'vlpeer0.100', 'type', 'vlan', 'id', '100']);
    sb.host.exec('ip', ['addr', 'add', '10.83.0.254/24', 'dev', 'vlpeer0.100']);
    sb.host.exec('ip', ['link', 'set', 'vlpeer0.100', 'up']);
    sb.cont.exec('ping', ['-c', '1', '-W', '2', '10.83.0.254']);
    sb.host.exec('ip', ['link', 'del', 'vlpeer0.100']);

    assert.equal(sb.run('vlan', { command: 'CHECK', config: { ...config, prevResult: r.json } }).code, 0);
    const wrongId = sb.run('vlan', { command: 'CHECK', config: { ...config, vlanId: 101, prevResult: r.json } });
    assert.equal(wrongId.json?.['msg'], 'Error: Tuning link eth0 configured promisc is 101, current value is 100');
    const wrongMtu = sb.run('vlan', { command: 'CHECK', config: { ...config, mtu: 1300, prevResult: r.json } });
    assert.equal(wrongMtu.json?.['msg'], 'Error: Tuning configured MTU of eth0 is 1300, current value is 1400');
    assert.equal(sb.run('vlan', { command: 'CHECK', config }).json?.['msg'], 'vlan: Required prevResult missing');

    for (let i = 0; i < 2; i++) assert.equal(sb.run('vlan', { command: 'DEL', config }).code, 0);
    assert.deepEqual(names(sb.cont), ['lo']);
    assert.deepEqual(reserved(sb), []);

    assert.equal(sb.run('vlan', { command: 'ADD', config }).code, 0);
    sb.cont.remove();
    assert.equal(sb.run('vlan', { command: 'DEL', config }).code, 0, 'DEL after the namespace is gone');
    assert.deepEqual(reserved(sb), []);
  });

  it('without mtu the link takes the master\'s', { skip: laneOnly }, () => {
    const sb = make(9000);
    const config = conf(sb);
    assert.equal(sb.run('vlan', { command: 'ADD', config }).code, 0);
    assert.equal(links(sb.cont).find((l) => l.ifname === 'eth0')?.mtu, 9000);
    assert.equal(sb.run('vlan', { command: 'DEL', config }).code, 0);
  });

  it('with linkInContainer finds the master inside the container', { skip: laneOnly }, () => {
    const sb = make();
    sb.cont.exec('ip', ['link', 'add', 'inmaster', 'type', 'veth', 'peer', 'name', 'inpeer']);
    // A VLAN link comes up only on a master that is up.
    sb.cont.exec('ip', ['link', 'set', 'inmaster', 'up']);
    const config = conf(sb, { master: 'inmaster', linkInContainer: true, vlanId: 7 });
    const r = sb.run('vlan', { command: 'ADD', config });
    assert.equal(r.code, 0, r.stdout);
    const eth0 = links(sb.cont).find((l) => l.ifname === 'eth0')!;
    assert.equal(eth0.linkinfo?.info_data?.id, 7);
    assert.equal(sb.run('vlan', { command: 'CHECK', config: { ...config, prevResult: r.json } }).code, 0);
    // The host's master is not the one: without linkInContainer, inmaster is unknown there.
    const onHost = sb.run('vlan', { command: 'CHECK', config: { ...config, linkInContainer: false, prevResult: r.json } });
    assert.match(String(onHost.json?.['msg']), /^failed to lookup master "inmaster": /);
    assert.equal(sb.run('vlan', { command: 'DEL', config }).code, 0);
    assert.deepEqual(names(sb.cont), ['inmaster', 'inpeer', 'lo']);
    assert.deepEqual(reserved(sb), []);
  });

  it('ADD of an interface name that exists fails and leaves nothing behind', { skip: laneOnly }, () => {
    const sb = make();
    sb.cont.exec('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other0']);
    const r = sb.run('vlan', { command: 'ADD', config: conf(sb) });
    assert.equal(r.code, 1);
    assert.match(String(r.json?.['msg']), /^failed to rename vlan to "eth0": /);
    assert.deepEqual(names(sb.cont), ['eth0', 'lo', 'other0']);
    assert.deepEqual(names(sb.host), ['lo', MASTER, 'vlpeer0'].sort());
    assert.deepEqual(reserved(sb), []);
  });

  it('a failing IPAM leaves no link behind (the reference leaves it)', { skip: laneOnly }, () => {
    const sb = make();
    const config = conf(sb, {}, { subnet: '10.83.0.0/30', rangeStart: '10.83.0.2', rangeEnd: '10.83.0.2' });
    assert.equal(sb.run('vlan', { command: 'ADD', config, containerID: 'first' }).code, 0);
    const r = sb.run('vlan', { command: 'ADD', config, containerID: 'second', ifName: 'eth1' });
    assert.equal(r.code, 1, r.stdout);
    assert.deepEqual(names(sb.cont), ['eth0', 'lo']);
    assert.equal(sb.run('vlan', { command: 'DEL', config, containerID: 'first' }).code, 0);
  });
});

describe('vlan against the Go reference', () => {
  const configs: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['vlan 100, host-local, 1.0.0', {}, {}],
    ['vlan 4094 with mtu 1280', { vlanId: 4094, mtu: 1280 }, {}],
    ['vlan 0', { vlanId: 0 }, {}],
    ['0.4.0 with config DNS', { cniVersion: '0.4.0', vlanId: 12, dns: { nameservers: ['10.0.0.53'], search: ['example.org'] } }, {}],
    ['0.3.1 dual stack', { cniVersion: '0.3.1', vlanId: 13 }, { subnet: undefined, ranges: [[{ subnet: '10.83.0.0/24' }], [{ subnet: 'fd00:83::/64' }]], routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }] }],
    ['0.2.0 result', { cniVersion: '0.2.0', vlanId: 14 }, {}],
  ];
  const sandboxes: Sandbox[] = [];
  after(() => sandboxes.forEach((sb) => sb.remove()));
  const pair = (): [Sandbox, Sandbox] => {
    const ref = withMaster();
    sandboxes.push(ref);
    const ours = withMaster();
    sandboxes.push(ours);
    return [ref, ours];
  };

  for (const [title, extra, ipam] of configs) {
    it(title, { skip: laneOnly }, () => {
      const [ref, ours] = pair();
      const adds = ([ref, ours] as const).map((sb, i) => {
        const add = sb.run('vlan', { command: 'ADD', config: conf(sb, extra, ipam) }, i === 0);
        assert.equal(add.code, 0, `${i === 0 ? 'reference' : 'tscni'}: ${add.stdout}`);
        return add.stdout;
      });
      const parsed = adds.map((out, i) => masked(JSON.parse(printResult(resultFromBytes(out)).replaceAll([ref, ours][i]!.cont.path, 'NETNS')) as unknown));
      assert.deepEqual(parsed[1], parsed[0]);
      [ref.host, ref.cont, ours.host, ours.cont].forEach((ns) => waitForDad(ns));
      assert.deepEqual(kernelState(ours.host), kernelState(ref.host));
      assert.deepEqual(kernelState(ours.cont), kernelState(ref.cont));
      ([[ref, true], [ours, false]] as const).forEach(([sb, reference], i) => {
        // CHECK exists from 0.4.0 on; both plugins accept their own result.
        if (!['0.4.0', '1.0.0'].includes(String(extra['cniVersion'] ?? '1.0.0'))) return;
        const check = sb.run('vlan', { command: 'CHECK', config: { ...conf(sb, extra, ipam), prevResult: JSON.parse(adds[i]!) } }, reference);
        assert.equal(check.code, 0, `${reference ? 'reference' : 'tscni'} CHECK: ${check.stdout}`);
      });
      for (const [sb, reference] of [[ref, true], [ours, false]] as const) {
        assert.equal(sb.run('vlan', { command: 'DEL', config: conf(sb, extra, ipam) }, reference).code, 0);
      }
      assert.deepEqual(kernelState(ours.cont), kernelState(ref.cont));
      assert.deepEqual(reserved(ours), reserved(ref));
    });
  }

  it('CHECK of the result agrees; after the master is gone the reference DEL fails and keeps the address, ours frees it', { skip: laneOnly }, () => {
    const [ref, ours] = pair();
    for (const [sb, reference] of [[ref, true], [ours, false]] as const) {
      const config = conf(sb, { cniVersion: '0.4.0' });
      const add = sb.run('vlan', { command: 'ADD', config }, reference);
      assert.equal(add.code, 0, add.stdout);
      assert.equal(sb.run('vlan', { command: 'CHECK', config: { ...config, prevResult: add.json } }, reference).code, 0);
      // Deleting the master takes its VLAN links along, in whatever namespace they are.
      sb.host.exec('ip', ['link', 'del', MASTER]);
      assert.deepEqual(names(sb.cont), ['lo']);
      const del = sb.run('vlan', { command: 'DEL', config }, reference);
      assert.equal(del.code, reference ? 1 : 0, del.stdout);
    }
    assert.deepEqual(reserved(ref), ['10.83.0.2'], 'the reference leaks the address');
    assert.deepEqual(reserved(ours), []);
  });
});
