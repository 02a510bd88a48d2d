import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { printResult } from '@tscni/spec/result-print';
import { resultFromBytes } from '@tscni/spec/result-decode';
import { kernelState, masked, waitForDad } from '../../testing/kernel-state.js';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';

const NAME = 'tscnimacvlan';
const MASTER = 'mvmaster0';

interface IpLink {
  ifname: string;
  address: string;
  mtu: number;
  flags: string[];
  linkinfo?: { info_kind?: string; info_data?: { mode?: string } };
}

/** A sandbox whose host has a veth master (its peer holding 10.79.0.254) and a default route through it. */
function withMaster(defaultRoute = true): Sandbox {
  const sb = sandbox('tscni-mv-');
  const h = (...a: string[]) => sb.host.exec('ip', a);
  h('link', 'add', MASTER, 'type', 'veth', 'peer', 'name', 'mvpeer0');
  h('link', 'set', MASTER, 'up');
  h('link', 'set', 'mvpeer0', 'up');
  h('addr', 'add', '10.79.0.254/24', 'dev', 'mvpeer0');
  if (defaultRoute) {
    h('addr', 'add', '192.168.79.1/24', 'dev', MASTER);
    h('route', 'add', 'default', 'via', '192.168.79.254', 'dev', MASTER);
  }
  return sb;
}

/** A resolv.conf in the sandbox, so that host-local's result carries DNS of its own. */
function resolvConf(sb: Sandbox): string {
  const file = join(sb.dir, 'resolv.conf');
  writeFileSync(file, 'nameserver 10.0.0.99\nsearch ipam.test\n');
  return file;
}

function conf(sb: Sandbox, extra: Record<string, unknown> = {}, ipam: Record<string, unknown> | null = {}): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: NAME,
    type: 'macvlan',
    master: MASTER,
    ...(ipam === null ? {} : { ipam: { type: 'host-local', subnet: '10.79.0.0/24', routes: [{ dst: '0.0.0.0/0' }], dataDir: join(sb.dir, 'ipam'), ...ipam, ...(ipam['resolvConf'] === 'RESOLV' ? { resolvConf: resolvConf(sb) } : {}) } }),
    ...extra,
  };
}

const reserved = (sb: Sandbox): string[] => {
  const d = join(sb.dir, 'ipam', NAME);
  return existsSync(d) ? readdirSync(d).filter((f) => /^[0-9a-f.:]+$/.test(f)) : [];
};
const links = (ns: { exec(c: string, a: readonly string[]): string }): IpLink[] => JSON.parse(ns.exec('ip', ['-json', '-d', 'link'])) as IpLink[];

describe('macvlan', () => {
  const sandboxes: Sandbox[] = [];
  const make = (defaultRoute = true): Sandbox => {
    const sb = withMaster(defaultRoute);
    sandboxes.push(sb);
    return sb;
  };
  after(() => sandboxes.forEach((sb) => sb.remove()));

  it('ADD makes a macvlan on the master in the container and configures it; CHECK; DEL twice; DEL without the namespace', () => {
    const sb = make();
    const config = conf(sb, { mode: 'private', mtu: 1400 });
    const r = sb.run('macvlan', { command: 'ADD', config });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const eth0 = links(sb.cont).find((l) => l.ifname === 'eth0')!;
    assert.equal(eth0.linkinfo?.info_kind, 'macvlan');
    assert.equal(eth0.linkinfo?.info_data?.mode, 'private');
    assert.equal(eth0.mtu, 1400);
    assert.ok(eth0.flags.includes('UP'));
    assert.deepEqual(r.json, {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', mac: eth0.address, sandbox: sb.cont.path }],
      ips: [{ address: '10.79.0.2/24', gateway: '10.79.0.1', interface: 0 }],
      routes: [{ dst: '0.0.0.0/0' }],
    });
    assert.equal(sb.cont.exec('cat', ['/proc/sys/net/ipv4/conf/eth0/arp_notify']).trim(), '1');
    assert.equal(sb.cont.exec('cat', ['/proc/sys/net/ipv6/conf/eth0/ndisc_notify']).trim(), '1');
    assert.ok(!links(sb.host).some((l) => /^veth/.test(l.ifname)), 'the temporary name never stays on the host');
    // Traffic leaves through the master to its peer.
    sb.cont.exec('ping', ['-c', '1', '-W', '2', '10.79.0.254']);

    assert.equal(sb.run('macvlan', { command: 'CHECK', config: { ...config, prevResult: r.json } }).code, 0);
    const wrongMode = sb.run('macvlan', { command: 'CHECK', config: { ...config, mode: 'vepa', prevResult: r.json } });
    assert.equal(wrongMode.json?.['msg'], 'container macvlan mode private does not match expected value: vepa');
    assert.equal(sb.run('macvlan', { command: 'CHECK', config }).json?.['msg'], 'required prevResult missing');

    for (let i = 0; i < 2; i++) assert.equal(sb.run('macvlan', { command: 'DEL', config }).code, 0);
    assert.deepEqual(links(sb.cont).map((l) => l.ifname), ['lo']);
    assert.deepEqual(reserved(sb), []);

    assert.equal(sb.run('macvlan', { command: 'ADD', config }).code, 0);
    sb.cont.remove();
    assert.equal(sb.run('macvlan', { command: 'DEL', config }).code, 0, 'DEL after the namespace is gone');
    assert.deepEqual(reserved(sb), []);
  });

  it('without IPAM (L2) brings the link up and reports only the interface; CHECK needs no IPAM', () => {
    const sb = make();
    const config = conf(sb, {}, null);
    const r = sb.run('macvlan', { command: 'ADD', config });
    assert.equal(r.code, 0, r.stdout);
    const eth0 = links(sb.cont).find((l) => l.ifname === 'eth0')!;
    assert.ok(eth0.flags.includes('UP'));
    assert.deepEqual(r.json, { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', mac: eth0.address, sandbox: sb.cont.path }] });
    assert.equal(sb.run('macvlan', { command: 'CHECK', config: { ...config, prevResult: r.json } }).code, 0);
    assert.equal(sb.run('macvlan', { command: 'DEL', config }).code, 0);
  });

  it('takes the default route interface as master, or says there is none', () => {
    const sb = make();
    const config = conf(sb, { master: undefined });
    const r = sb.run('macvlan', { command: 'ADD', config });
    assert.equal(r.code, 0, r.stdout);
    assert.equal(sb.run('macvlan', { command: 'DEL', config }).code, 0);
    const bare = make(false);
    const none = bare.run('macvlan', { command: 'ADD', config: conf(bare, { master: undefined }) });
    assert.deepEqual([none.json?.['code'], none.json?.['msg']], [999, 'no default route interface found']);
  });

  it('takes the MAC from mac, then CNI_ARGS, then runtimeConfig', () => {
    const sb = make();
    const cases: [Record<string, unknown>, string, string][] = [
      [{ mac: '02:00:00:00:00:01' }, '', '02:00:00:00:00:01'],
      [{ mac: '02:00:00:00:00:01' }, 'IgnoreUnknown=1;MAC=02:00:00:00:00:02;K8S_POD_NAME=x', '02:00:00:00:00:02'],
      [{ mac: '02:00:00:00:00:01', runtimeConfig: { mac: '02:00:00:00:00:03' } }, 'MAC=02:00:00:00:00:02', '02:00:00:00:00:03'],
    ];
    for (const [extra, cniArgs, mac] of cases) {
      const config = conf(sb, extra, null);
      const r = sb.run('macvlan', { command: 'ADD', config, args: cniArgs });
      assert.equal(r.code, 0, r.stdout);
      assert.equal(links(sb.cont).find((l) => l.ifname === 'eth0')?.address, mac);
      assert.equal(sb.run('macvlan', { command: 'DEL', config, args: cniArgs }).code, 0);
    }
  });

  it('with linkInContainer finds the master inside the container', () => {
    const sb = make();
    sb.cont.exec('ip', ['link', 'add', 'inmaster', 'type', 'veth', 'peer', 'name', 'inpeer']);
    const config = conf(sb, { master: 'inmaster', linkInContainer: true });
    const r = sb.run('macvlan', { command: 'ADD', config });
    assert.equal(r.code, 0, r.stdout);
    assert.equal(sb.run('macvlan', { command: 'CHECK', config: { ...config, prevResult: r.json } }).code, 0);
    assert.equal(sb.run('macvlan', { command: 'DEL', config }).code, 0);
    assert.deepEqual(links(sb.cont).map((l) => l.ifname).sort(), ['inmaster', 'inpeer', 'lo']);
  });

  it('ADD of an interface name that exists fails and leaves nothing behind', () => {
    const sb = make();
    sb.cont.exec('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other0']);
    const r = sb.run('macvlan', { command: 'ADD', config: conf(sb) });
    assert.equal(r.code, 1);
    assert.match(String(r.json?.['msg']), /^failed to rename macvlan to "eth0": /);
    assert.deepEqual(links(sb.cont).map((l) => l.ifname).sort(), ['eth0', 'lo', 'other0']);
    assert.ok(!links(sb.host).some((l) => /^veth/.test(l.ifname)));
    assert.deepEqual(reserved(sb), []);
  });

  it('refuses bad configs with the right code and leaves nothing behind', () => {
    const sb = make();
    const cases: [Record<string, unknown>, string, number, RegExp][] = [
      [conf(sb, { mode: 'l2' }), '', 7, /^unknown macvlan mode: "l2"$/],
      [conf(sb, { mtu: 9000 }), '', 7, /^invalid MTU 9000, must be \[0, master MTU\(1500\)\]$/],
      [conf(sb, { mtu: -1 }), '', 7, /^invalid MTU -1, must be \[0, master MTU\(1500\)\]$/],
      [conf(sb, { mac: 'zz:00:00:00:00:01' }), '', 7, /^invalid args zz:00:00:00:00:01 for MAC addr/],
      [conf(sb), 'MAC=nonsense', 4, /^invalid args nonsense for MAC addr/],
      [conf(sb), 'POD=x', 4, /^ARGS: unknown args \["POD=x"\]$/],
      [conf(sb, { master: 'nosuch0' }), '', 7, /^master "nosuch0" not found/],
      [conf(sb, { bcqueuelen: 'long' }), '', 7, /bcqueuelen: expected a number/],
      [conf(sb, { linkInContainer: 1 }), '', 7, /linkInContainer: expected a boolean/],
    ];
    for (const [config, cniArgs, code, msg] of cases) {
      const r = sb.run('macvlan', { command: 'ADD', config, args: cniArgs });
      assert.equal(r.json?.['code'], code, `${JSON.stringify(config)}: ${r.stdout}`);
      assert.match(String(r.json?.['msg']), msg);
    }
    assert.deepEqual(links(sb.cont).map((l) => l.ifname), ['lo']);
    assert.deepEqual(reserved(sb), []);
  });
});

describe('macvlan against the Go reference', () => {
  const SYSCTLS = ['net/ipv4/conf/{if}/arp_notify', 'net/ipv6/conf/{if}/disable_ipv6', 'net/ipv6/conf/{if}/accept_ra'];
  const configs: [string, Record<string, unknown>, Record<string, unknown> | null][] = [
    ['L3, bridge mode, 1.0.0', {}, {}],
    ['private mode with mtu', { mode: 'private', mtu: 1280 }, {}],
    ['L2 without IPAM', { mode: 'vepa' }, null],
    ['0.4.0 with a MAC and config DNS (IPAM DNS dropped)', { cniVersion: '0.4.0', mac: '02:42:ac:11:00:07', dns: { nameservers: ['10.0.0.53'] } }, { resolvConf: 'RESOLV' }],
    ['the default route interface as master', { master: undefined }, {}],
    ['0.3.1 dual stack in passthru mode', { cniVersion: '0.3.1', mode: 'passthru' }, { subnet: undefined, ranges: [[{ subnet: '10.79.0.0/24' }], [{ subnet: 'fd00:79::/64' }]], routes: [{ dst: '::/0' }] }],
  ];
  const sandboxes: Sandbox[] = [];
  after(() => sandboxes.forEach((sb) => sb.remove()));

  for (const [title, extra, ipam] of configs) {
    it(title, () => {
      const ref = withMaster();
      sandboxes.push(ref);
      const ours = withMaster();
      sandboxes.push(ours);
      const outs = ([ref, ours] as const).map((sb, i) => {
        const add = sb.run('macvlan', { command: 'ADD', config: conf(sb, extra, ipam) }, i === 0);
        assert.equal(add.code, 0, `${i === 0 ? 'reference' : 'tscni'}: ${add.stdout}`);
        return masked(JSON.parse(printResult(resultFromBytes(add.stdout)).replaceAll(sb.cont.path, 'NETNS')) as unknown);
      });
      assert.deepEqual(outs[1], outs[0]);
      if (ipam?.['resolvConf'] === 'RESOLV') assert.deepEqual((outs[1] as { dns?: unknown }).dns, extra['dns'], "the config's DNS, not IPAM's");
      [ref.host, ref.cont, ours.host, ours.cont].forEach((ns) => waitForDad(ns));
      assert.deepEqual(kernelState(ours.host), kernelState(ref.host));
      assert.deepEqual(kernelState(ours.cont, SYSCTLS), kernelState(ref.cont, SYSCTLS));
      if (ipam !== null) {
        // Since v1.4.0 the reference also turns on ndisc_notify; Debian's 1.1.1 does not.
        assert.equal(ours.cont.exec('cat', ['/proc/sys/net/ipv6/conf/eth0/ndisc_notify']).trim(), '1');
      }
      if (extra['mac'] !== undefined) assert.equal(links(ours.cont).find((l) => l.ifname === 'eth0')?.address, extra['mac']);
      for (const [sb, reference] of [[ref, true], [ours, false]] as const) {
        assert.equal(sb.run('macvlan', { command: 'DEL', config: conf(sb, extra, ipam) }, reference).code, 0);
      }
      assert.deepEqual(kernelState(ours.cont), kernelState(ref.cont));
      assert.deepEqual(reserved(ours), reserved(ref));
    });
  }
});
