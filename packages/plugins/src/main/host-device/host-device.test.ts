import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { printResult } from '@tscni/spec/result-print';
import { resultFromBytes } from '@tscni/spec/result-decode';
import { kernelState, masked, waitForDad } from '../../testing/kernel-state.js';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';

const NAME = 'tscnihostdev';
const DEV = 'ahd0';
const PEER = 'zpeer0';
const MAC = '02:00:00:00:4d:01';

interface IpLink {
  ifname: string;
  address: string;
  flags: string[];
  ifalias?: string;
}

/** A sandbox whose host holds the device: one end of a veth (its peer holding 10.77.0.254), up, with an address. */
function withDevice(): Sandbox {
  const sb = sandbox('tscni-hd-');
  const h = (...a: string[]) => sb.host.exec('ip', a);
  h('link', 'add', DEV, 'address', MAC, 'type', 'veth', 'peer', 'name', PEER);
  h('link', 'set', DEV, 'up');
  h('link', 'set', PEER, 'up');
  h('addr', 'add', '10.77.0.254/24', 'dev', PEER);
  return sb;
}

function conf(sb: Sandbox, extra: Record<string, unknown> = { device: DEV }, ipam: Record<string, unknown> | null = null): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: NAME,
    type: 'host-device',
    // Ours only (the reference ignores it): the saved addresses stay in the test's directory.
    dataDir: join(sb.dir, 'state'),
    ...(ipam === null ? {} : { ipam: { type: 'host-local', subnet: '10.77.0.0/24', routes: [{ dst: '0.0.0.0/0' }], dataDir: join(sb.dir, 'ipam'), ...ipam } }),
    ...extra,
  };
}

const reserved = (sb: Sandbox): string[] => {
  const d = join(sb.dir, 'ipam', NAME);
  return existsSync(d) ? readdirSync(d).filter((f) => /^[0-9a-f.:]+$/.test(f)) : [];
};
const stateFiles = (sb: Sandbox): string[] => (existsSync(join(sb.dir, 'state')) ? readdirSync(join(sb.dir, 'state')) : []);
/** The device's addresses other than the kernel's IPv6 link-local one, as `ip` shows them. */
const addrs = (ns: { exec(c: string, a: readonly string[]): string }, dev: string): string[] =>
  (JSON.parse(ns.exec('ip', ['-json', 'addr', 'show', 'dev', dev])) as { addr_info: { local: string; prefixlen: number; noprefixroute?: boolean }[] }[])[0]!.addr_info
    .filter((a) => !a.local.startsWith('fe80:'))
    .map((a) => `${a.local}/${a.prefixlen}${a.noprefixroute ? ' noprefixroute' : ''}`)
    .sort();
const links = (ns: { exec(c: string, a: readonly string[]): string }): IpLink[] => JSON.parse(ns.exec('ip', ['-json', 'link'])) as IpLink[];
const names = (ns: { exec(c: string, a: readonly string[]): string }): string[] => links(ns).map((l) => l.ifname).sort();

describe('host-device', () => {
  const sandboxes: Sandbox[] = [];
  const make = (): Sandbox => {
    const sb = withDevice();
    sandboxes.push(sb);
    return sb;
  };
  after(() => sandboxes.forEach((sb) => sb.remove()));

  it('ADD moves the device in as CNI_IFNAME and configures it; CHECK; DEL brings it back under its name, twice; DEL without the namespace', () => {
    const sb = make();
    const config = conf(sb, { device: DEV }, {});
    const r = sb.run('host-device', { command: 'ADD', config });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(names(sb.host), ['lo', PEER]);
    const eth0 = links(sb.cont).find((l) => l.ifname === 'eth0')!;
    assert.equal(eth0.address, MAC);
    assert.equal(eth0.ifalias, DEV);
    assert.ok(eth0.flags.includes('UP'));
    assert.deepEqual(r.json, {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', mac: MAC, sandbox: sb.cont.path }],
      ips: [{ address: '10.77.0.2/24', gateway: '10.77.0.1', interface: 0 }],
      routes: [{ dst: '0.0.0.0/0' }],
    });
    sb.cont.exec('ping', ['-c', '1', '-W', '2', '10.77.0.254']);

    assert.equal(sb.run('host-device', { command: 'CHECK', config: { ...config, prevResult: r.json } }).code, 0);
    const wrongMac = { ...r.json, interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:99', sandbox: sb.cont.path }] };
    assert.equal(sb.run('host-device', { command: 'CHECK', config: { ...config, prevResult: wrongMac } }).json?.['msg'], `Interface eth0 Mac 02:00:00:00:00:99 doesn't match container Mac: ${MAC}`);
    assert.equal(sb.run('host-device', { command: 'CHECK', config }).json?.['msg'], 'Required prevResult missing');

    for (let i = 0; i < 2; i++) assert.equal(sb.run('host-device', { command: 'DEL', config }).code, 0, `DEL ${i + 1}`);
    assert.deepEqual(names(sb.cont), ['lo']);
    const back = links(sb.host).find((l) => l.ifname === DEV)!;
    assert.equal(back.address, MAC);
    assert.equal(back.ifalias, undefined, 'the alias is cleared');
    assert.ok(!back.flags.includes('UP'), 'left down, as the reference does');
    assert.deepEqual(reserved(sb), []);

    assert.equal(sb.run('host-device', { command: 'ADD', config }).code, 0);
    sb.cont.remove();
    // The kernel destroys a virtual device (here both veth ends) with its namespace; a
    // physical one it returns to the initial namespace.
    assert.equal(sb.run('host-device', { command: 'DEL', config }).code, 0, 'DEL after the namespace is gone');
    assert.deepEqual(reserved(sb), []);
  });

  /** The device with an IPv4 address (and a secondary) and an IPv6 one, as the host configured them. */
  const addressed = (): { sb: Sandbox; want: string[] } => {
    const sb = make();
    sb.host.exec('ip', ['addr', 'add', '10.78.0.5/24', 'dev', DEV]);
    sb.host.exec('ip', ['addr', 'add', '10.78.0.6/24', 'dev', DEV]);
    sb.host.exec('ip', ['addr', 'add', 'fd00:78::5/64', 'dev', DEV, 'nodad', 'noprefixroute']);
    const want = ['10.78.0.5/24', '10.78.0.6/24', 'fd00:78::5/64 noprefixroute'];
    assert.deepEqual(addrs(sb.host, DEV), want);
    return { sb, want };
  };

  it('DEL gives the device its host addresses back (issue #5), twice, and drops the state file', () => {
    const { sb, want } = addressed();
    const config = conf(sb);
    assert.equal(sb.run('host-device', { command: 'ADD', config }).code, 0);
    assert.deepEqual(stateFiles(sb), ['ctr1-eth0.json']);
    assert.deepEqual(addrs(sb.cont, 'eth0'), [], 'the kernel dropped them on the move');
    for (let i = 0; i < 2; i++) {
      assert.equal(sb.run('host-device', { command: 'DEL', config }).code, 0, `DEL ${i + 1}`);
      assert.deepEqual(addrs(sb.host, DEV), want, `after DEL ${i + 1}`);
      assert.deepEqual(stateFiles(sb), []);
    }
    // A failed ADD (IPAM's route unreachable) puts them back too.
    const r = sb.run('host-device', { command: 'ADD', config: conf(sb, { device: DEV }, { routes: [{ dst: '10.99.0.0/16', gw: '10.200.0.1' }] }) });
    assert.equal(r.code, 1, r.stdout);
    assert.deepEqual(addrs(sb.host, DEV), want);
    assert.deepEqual(stateFiles(sb), []);
  });

  it('DEL after the kernel returned the device (namespace gone) gives it back its name and addresses', () => {
    const { sb, want } = addressed();
    const config = conf(sb);
    assert.equal(sb.run('host-device', { command: 'ADD', config }).code, 0);
    // What the kernel does with a physical device when its namespace goes: back to the
    // initial namespace under the container's name, alias kept.
    sb.cont.exec('ip', ['link', 'set', 'eth0', 'netns', sb.host.name]);
    sb.cont.remove();
    assert.equal(links(sb.host).find((l) => l.ifname === 'eth0')?.ifalias, DEV);
    const r = sb.run('host-device', { command: 'DEL', config });
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(names(sb.host), [DEV, 'lo', PEER].sort());
    assert.equal(links(sb.host).find((l) => l.ifname === DEV)?.ifalias, undefined);
    assert.deepEqual(addrs(sb.host, DEV), want);
    assert.deepEqual(stateFiles(sb), []);
    assert.equal(sb.run('host-device', { command: 'DEL', config }).code, 0, 'DEL again');
  });

  it('DEL after the namespace took a virtual device with it succeeds and drops the state file', () => {
    const { sb } = addressed();
    const config = conf(sb);
    assert.equal(sb.run('host-device', { command: 'ADD', config }).code, 0);
    sb.cont.remove();
    assert.equal(sb.run('host-device', { command: 'DEL', config }).code, 0);
    assert.deepEqual(stateFiles(sb), []);
    // The kernel tears a namespace down in a work queue: the veth's peer in the host goes
    // some time after the namespace's last reference is dropped.
    for (let waited = 0; names(sb.host).length > 1 && waited < 5000; waited += 50) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    assert.deepEqual(names(sb.host), ['lo']);
  });

  it('finds the device by hwaddr and by kernelpath, the first device of <kernelpath>/net', () => {
    const sb = make();
    for (const extra of [{ hwaddr: MAC.toUpperCase() }, { kernelpath: '/sys/devices/virtual' }]) {
      const config = conf(sb, extra);
      const r = sb.run('host-device', { command: 'ADD', config });
      assert.equal(r.code, 0, r.stdout);
      assert.deepEqual(r.json, { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', mac: MAC, sandbox: sb.cont.path }] });
      assert.equal(sb.run('host-device', { command: 'CHECK', config: { ...config, prevResult: r.json } }).code, 0);
      assert.equal(sb.run('host-device', { command: 'DEL', config }).code, 0);
      assert.deepEqual(names(sb.host), [DEV, 'lo', PEER].sort());
    }
  });

  it('ADD of an interface name that exists fails and leaves the device in the host as it was', () => {
    const sb = make();
    sb.cont.exec('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other0']);
    const r = sb.run('host-device', { command: 'ADD', config: conf(sb) });
    assert.equal(r.code, 1);
    assert.match(String(r.json?.['msg']), /^failed to move link failed to move "eth0" \(host: "ahd0"\) to container NS: /);
    assert.deepEqual(names(sb.cont), ['eth0', 'lo', 'other0']);
    const dev = links(sb.host).find((l) => l.ifname === DEV)!;
    assert.ok(dev.flags.includes('UP'), 'up again');
    assert.equal(dev.ifalias, undefined);
  });

  it('a failed IPAM step moves the device back and releases the address', () => {
    const sb = make();
    // A route the container cannot reach fails configureIface after IPAM allocated.
    const r = sb.run('host-device', { command: 'ADD', config: conf(sb, { device: DEV }, { routes: [{ dst: '10.99.0.0/16', gw: '10.200.0.1' }] }) });
    assert.equal(r.code, 1, r.stdout);
    assert.deepEqual(names(sb.cont), ['lo']);
    assert.ok(names(sb.host).includes(DEV));
    assert.deepEqual(reserved(sb), []);
  });

  it('DEL fails, and can be retried, while the host holds the original name', () => {
    const sb = make();
    const config = conf(sb);
    assert.equal(sb.run('host-device', { command: 'ADD', config }).code, 0);
    sb.host.exec('ip', ['link', 'add', DEV, 'type', 'veth', 'peer', 'name', 'squat1']);
    const r = sb.run('host-device', { command: 'DEL', config });
    assert.equal(r.code, 1);
    assert.match(String(r.json?.['msg']), /^failed to move "ahd0" to hostNS: /);
    const eth0 = links(sb.cont).find((l) => l.ifname === 'eth0')!;
    assert.equal(eth0.ifalias, DEV, 'still in the container, as it was');
    assert.ok(eth0.flags.includes('UP'));
    sb.host.exec('ip', ['link', 'del', DEV]);
    assert.equal(sb.run('host-device', { command: 'DEL', config }).code, 0);
    assert.ok(names(sb.host).includes(DEV));
  });

  it('refuses bad configs with the right code and leaves nothing behind', () => {
    const sb = make();
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [conf(sb, {}), 7, /^specify either "device", "hwaddr", "kernelpath" or "pciBusID"$/],
      [conf(sb, { runtimeConfig: { deviceID: '0000:ff:1f.7' } }), 7, /^runtime config DeviceID 0000:ff:1f.7 not found or unsupported$/],
      [conf(sb, { pciBusID: '0000:ff:1f.7' }), 7, /^error with host device: lstat \/sys\/bus\/pci\/devices\/0000:ff:1f.7\/driver: no such file or directory$/],
      [conf(sb, { device: 'nosuch0' }), 999, /^failed to find host device: Link not found$/],
      [conf(sb, { hwaddr: '02:00:00:00:00:99' }), 999, /^failed to find host device: failed to find physical interface$/],
      [conf(sb, { kernelpath: '/proc/net' }), 999, /^failed to find host device: kernel device path "\/proc\/net" must be absolute and begin with \/sys\/devices\/$/],
      [conf(sb, { kernelpath: `/sys/devices/virtual/net/${DEV}` }), 999, /^failed to find host device: failed to read directory \/sys\/devices\/virtual\/net\/ahd0\/net: "open \/sys\/devices\/virtual\/net\/ahd0\/net: no such file or directory"$/],
      [conf(sb, { device: 7 }), 7, /device: expected a string/],
    ];
    for (const [config, code, msg] of cases) {
      const r = sb.run('host-device', { command: 'ADD', config });
      assert.equal(r.json?.['code'], code, `${JSON.stringify(config)}: ${r.stdout}`);
      assert.match(String(r.json?.['msg']), msg);
    }
    assert.deepEqual(names(sb.cont), ['lo']);
    assert.deepEqual(names(sb.host), [DEV, 'lo', PEER].sort());
  });
});

describe('host-device against the Go reference', () => {
  const SYSCTLS = ['net/ipv4/conf/{if}/arp_notify', 'net/ipv6/conf/{if}/disable_ipv6'];
  const configs: [string, Record<string, unknown>, Record<string, unknown> | null][] = [
    ['by name, no IPAM, 1.0.0', { device: DEV }, null],
    ['by hwaddr with IPAM and config DNS', { hwaddr: MAC, dns: { nameservers: ['10.0.0.53'] } }, {}],
    ['by kernelpath, 0.4.0', { cniVersion: '0.4.0', kernelpath: '/sys/devices/virtual' }, {}],
    ['0.3.1 dual stack', { cniVersion: '0.3.1', device: DEV }, { subnet: undefined, ranges: [[{ subnet: '10.77.0.0/24' }], [{ subnet: 'fd00:77::/64' }]], routes: [{ dst: '::/0' }] }],
    ['0.2.0 by name with IPAM', { cniVersion: '0.2.0', device: DEV }, {}],
  ];
  const sandboxes: Sandbox[] = [];
  after(() => sandboxes.forEach((sb) => sb.remove()));

  for (const [title, extra, ipam] of configs) {
    it(title, () => {
      const ref = withDevice();
      sandboxes.push(ref);
      const ours = withDevice();
      sandboxes.push(ours);
      const outs = ([ref, ours] as const).map((sb, i) => {
        const add = sb.run('host-device', { command: 'ADD', config: conf(sb, extra, ipam) }, i === 0);
        assert.equal(add.code, 0, `${i === 0 ? 'reference' : 'tscni'}: ${add.stdout}`);
        return masked(JSON.parse(printResult(resultFromBytes(add.stdout)).replaceAll(sb.cont.path, 'NETNS')) as unknown);
      });
      assert.deepEqual(outs[1], outs[0]);
      [ref.host, ref.cont, ours.host, ours.cont].forEach((ns) => waitForDad(ns));
      assert.deepEqual(kernelState(ours.host), kernelState(ref.host));
      assert.deepEqual(kernelState(ours.cont, SYSCTLS), kernelState(ref.cont, SYSCTLS));
      assert.equal(links(ours.cont).find((l) => l.ifname === 'eth0')?.ifalias, links(ref.cont).find((l) => l.ifname === 'eth0')?.ifalias);
      if (!['0.2.0', '0.3.1'].includes(String(extra['cniVersion'] ?? '1.0.0'))) {
        // CHECK of each one's own result passes for both.
        for (const [sb, reference, out] of [[ref, true, outs[0]], [ours, false, outs[1]]] as const) {
          const prevResult = JSON.parse(JSON.stringify(out).replaceAll('NETNS', sb.cont.path).replaceAll('mac*', links(sb.cont).find((l) => l.ifname === 'eth0')!.address)) as unknown;
          const check = sb.run('host-device', { command: 'CHECK', config: { ...conf(sb, extra, ipam), prevResult } }, reference);
          assert.equal(check.code, 0, `${reference ? 'reference' : 'tscni'} CHECK: ${check.stdout}`);
        }
      }
      for (const [sb, reference] of [[ref, true], [ours, false]] as const) {
        assert.equal(sb.run('host-device', { command: 'DEL', config: conf(sb, extra, ipam) }, reference).code, 0);
      }
      assert.deepEqual(kernelState(ours.cont), kernelState(ref.cont));
      assert.deepEqual(kernelState(ours.host), kernelState(ref.host));
      assert.deepEqual(reserved(ours), reserved(ref));
    });
  }

  it('a device with host addresses: the same ADD; after DEL only ours has them back (deliberate difference, issue #5)', () => {
    const ref = withDevice();
    sandboxes.push(ref);
    const ours = withDevice();
    sandboxes.push(ours);
    const want = ['10.78.0.5/24', 'fd00:78::5/64'];
    for (const sb of [ref, ours]) for (const a of want) sb.host.exec('ip', ['addr', 'add', a, 'dev', DEV, ...(a.includes(':') ? ['nodad'] : [])]);
    const outs = ([ref, ours] as const).map((sb, i) => {
      const add = sb.run('host-device', { command: 'ADD', config: conf(sb, { device: DEV }, {}) }, i === 0);
      assert.equal(add.code, 0, add.stdout);
      return masked(JSON.parse(printResult(resultFromBytes(add.stdout)).replaceAll(sb.cont.path, 'NETNS')) as unknown);
    });
    assert.deepEqual(outs[1], outs[0]);
    [ref.host, ref.cont, ours.host, ours.cont].forEach((ns) => waitForDad(ns));
    assert.deepEqual(kernelState(ours.host), kernelState(ref.host));
    assert.deepEqual(kernelState(ours.cont), kernelState(ref.cont));
    for (const [sb, reference] of [[ref, true], [ours, false]] as const) {
      assert.equal(sb.run('host-device', { command: 'DEL', config: conf(sb, { device: DEV }, {}) }, reference).code, 0);
    }
    assert.deepEqual(addrs(ref.host, DEV), [], 'the reference leaves the device without its addresses');
    assert.deepEqual(addrs(ours.host, DEV), want);
    for (const a of want) ours.host.exec('ip', ['addr', 'del', a, 'dev', DEV]);
    assert.deepEqual(kernelState(ours.host), kernelState(ref.host), 'otherwise the same');
    assert.deepEqual(kernelState(ours.cont), kernelState(ref.cont));
  });
});
