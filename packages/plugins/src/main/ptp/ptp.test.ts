import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { printResult } from '@tscni/spec/result-print';
import { resultFromBytes } from '@tscni/spec/result-decode';
import { kernelState, masked, waitForDad } from '../../testing/kernel-state.js';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';

const NAME = 'tscniptp';

function conf(sb: Sandbox, extra: Record<string, unknown> = {}, ipam: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: NAME,
    type: 'ptp',
    ipam: { type: 'host-local', subnet: '10.77.0.0/24', routes: [{ dst: '0.0.0.0/0' }], dataDir: join(sb.dir, 'ipam'), ...ipam },
    ...extra,
  };
}

const reserved = (sb: Sandbox): string[] => {
  const d = join(sb.dir, 'ipam', NAME);
  return existsSync(d) ? readdirSync(d).filter((f) => /^[0-9a-f.:]+$/.test(f)) : [];
};
const ipJson = <T>(ns: { exec(c: string, a: readonly string[]): string }, args: string[]): T => JSON.parse(ns.exec('ip', ['-json', ...args])) as T;
const nat = (sb: Sandbox): string => sb.host.exec('iptables-save', ['-t', 'nat']);

describe('ptp', () => {
  const sandboxes: Sandbox[] = [];
  const make = (): Sandbox => {
    const sb = sandbox('tscni-ptp-');
    sandboxes.push(sb);
    return sb;
  };
  after(() => sandboxes.forEach((sb) => sb.remove()));

  it('ADD routes the container through its host veth; CHECK passes; DEL twice', () => {
    const sb = make();
    const config = conf(sb, { ipMasq: true, mtu: 1400 });
    const r = sb.run('ptp', { command: 'ADD', config });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const res = r.json as { interfaces: { name: string; mac: string; sandbox?: string }[]; ips: { address: string; gateway: string; interface: number }[] };
    assert.equal(res.interfaces.length, 2);
    assert.match(res.interfaces[0]!.name, /^veth[0-9a-f]{8}$/);
    assert.deepEqual(res.interfaces[1], { name: 'eth0', mac: res.interfaces[1]!.mac, sandbox: sb.cont.path });
    assert.deepEqual(res.ips, [{ address: '10.77.0.2/24', gateway: '10.77.0.1', interface: 1 }]);

    const contRoutes = ipJson<{ dst: string; gateway?: string; prefsrc?: string; scope?: string }[]>(sb.cont, ['route', 'show']);
    assert.deepEqual(
      contRoutes.map((x) => `${x.dst} ${x.gateway ?? '-'} ${x.prefsrc ?? '-'} ${x.scope ?? 'global'}`).sort(),
      ['10.77.0.0/24 10.77.0.1 10.77.0.2 global', '10.77.0.1 - 10.77.0.2 link', 'default 10.77.0.1 - global'],
    );
    const hostVeth = res.interfaces[0]!.name;
    const hostAddrs = ipJson<{ addr_info: { family: string; local: string; prefixlen: number }[]; mtu: number }[]>(sb.host, ['addr', 'show', 'dev', hostVeth]);
    assert.equal(hostAddrs[0]!.mtu, 1400);
    assert.deepEqual(hostAddrs[0]!.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`), ['10.77.0.1/32']);
    assert.match(sb.host.exec('ip', ['route', 'show', '10.77.0.2']), new RegExp(`dev ${hostVeth} scope host`));
    assert.equal(sb.host.exec('cat', ['/proc/sys/net/ipv4/ip_forward']).trim(), '1');
    assert.match(nat(sb), /-A POSTROUTING -s 10\.77\.0\.2\/32 .* -j CNI-/);

    const check = sb.run('ptp', { command: 'CHECK', config: { ...config, prevResult: r.json } });
    assert.equal(check.code, 0, check.stdout);
    for (let i = 0; i < 2; i++) {
      const del = sb.run('ptp', { command: 'DEL', config });
      assert.equal(del.code, 0, del.stdout);
    }
    assert.deepEqual(ipJson<{ ifname: string }[]>(sb.cont, ['link']).map((l) => l.ifname), ['lo']);
    assert.doesNotMatch(sb.host.exec('ip', ['link']), /veth/);
    assert.doesNotMatch(nat(sb), /CNI-/);
    assert.deepEqual(reserved(sb), []);
  });

  it('CHECK finds what changed: a missing route, a foreign MAC, no prevResult', () => {
    const sb = make();
    const config = conf(sb);
    const r = sb.run('ptp', { command: 'ADD', config });
    assert.equal(r.code, 0, r.stdout);
    const noPrev = sb.run('ptp', { command: 'CHECK', config });
    assert.equal(noPrev.json?.['msg'], 'ptp: Required prevResult missing');
    const prev = r.json as { interfaces: { mac: string }[] };
    const wrongMac = structuredClone(prev);
    wrongMac.interfaces[1]!.mac = '02:00:00:00:00:01';
    const m = sb.run('ptp', { command: 'CHECK', config: { ...config, prevResult: wrongMac } });
    assert.match(String(m.json?.['msg']), /^ptp: Interface eth0 Mac 02:00:00:00:00:01 doesn't match container Mac: /);
    sb.cont.exec('ip', ['route', 'del', 'default']);
    const route = sb.run('ptp', { command: 'CHECK', config: { ...config, prevResult: r.json } });
    assert.equal(route.code, 1);
    assert.match(String(route.json?.['msg']), /^Expected Route \{Dst:0\.0\.0\.0\/0 GW:<nil> .*\} not found in routing table$/);
    assert.equal(sb.run('ptp', { command: 'DEL', config }).code, 0);
  });

  it('DEL after the namespace is gone releases the address and removes the masquerade rules of both backends', () => {
    for (const backend of ['iptables', 'nftables']) {
      const sb = make();
      const config = conf(sb, { ipMasq: true, ipMasqBackend: backend });
      const r = sb.run('ptp', { command: 'ADD', config });
      assert.equal(r.code, 0, r.stdout);
      const rules = (): string => nat(sb) + sb.host.exec('nft', ['list', 'ruleset']);
      assert.match(rules(), backend === 'iptables' ? /CNI-/ : /masquerade comment "[0-9a-f]{16}-/);
      assert.deepEqual(reserved(sb), ['10.77.0.2']);
      sb.cont.remove();
      const del = sb.run('ptp', { command: 'DEL', config });
      assert.equal(del.code, 0, del.stdout);
      assert.doesNotMatch(rules(), /CNI-|masquerade comment/);
      assert.deepEqual(reserved(sb), []);
      assert.equal(sb.run('ptp', { command: 'DEL', config, netns: '' }).code, 0, 'DEL without a namespace');
    }
  });

  it('ADD of an interface name that exists fails and leaves nothing behind', () => {
    const sb = make();
    sb.cont.exec('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other0']);
    const config = conf(sb, { ipMasq: true });
    const r = sb.run('ptp', { command: 'ADD', config });
    assert.equal(r.code, 1);
    assert.equal(r.json?.['code'], 999);
    assert.match(String(r.json?.['msg']), /container veth name \("eth0"\) peer provided \("veth[0-9a-f]{8}"\) already exists/);
    assert.deepEqual(reserved(sb), [], 'the address went back to the pool');
    assert.doesNotMatch(sb.host.exec('ip', ['link']), /veth/);
    assert.doesNotMatch(nat(sb), /CNI-/);
  });

  it('two containers reach their gateway and each other through the host', () => {
    const a = make();
    const b = sandbox('tscni-ptp-');
    sandboxes.push(b);
    const config = conf(a);
    assert.equal(a.run('ptp', { command: 'ADD', config }).code, 0);
    // The second container in the first one's host: same network, same IPAM store.
    const r2 = a.run('ptp', { command: 'ADD', config, netns: b.cont.path, containerID: 'ctr2' });
    assert.equal(r2.code, 0, r2.stdout);
    assert.equal((r2.json as { ips: { address: string }[] }).ips[0]!.address, '10.77.0.3/24');
    a.cont.exec('ping', ['-c', '1', '-W', '2', '10.77.0.1']);
    a.cont.exec('ping', ['-c', '1', '-W', '2', '10.77.0.3']);
    b.cont.exec('ping', ['-c', '1', '-W', '2', '10.77.0.2']);
    assert.equal(a.run('ptp', { command: 'DEL', config, netns: b.cont.path, containerID: 'ctr2' }).code, 0);
    assert.equal(a.run('ptp', { command: 'DEL', config }).code, 0);
  });

  it('refuses bad configs with code 7 (or 6 for broken JSON) before touching anything', () => {
    const sb = make();
    const cases: [Record<string, unknown> | string, number, RegExp][] = [
      [{ cniVersion: '1.0.0', name: NAME, type: 'ptp' }, 7, /ipam\.type: is required/],
      [conf(sb, { mtu: -1 }), 7, /mtu: must be at least 0/],
      [conf(sb, { mtu: 'big' }), 7, /mtu: expected a number/],
      [conf(sb, { ipMasq: 'yes' }), 7, /ipMasq: expected a boolean/],
      [conf(sb, { ipMasqBackend: 'pf' }), 7, /ipMasqBackend: must be one of iptables, nftables/],
      [conf(sb, { dns: { nameservers: '1.1.1.1' } }), 7, /dns\.nameservers: expected an array/],
      ['{"cniVersion":"1.0.0","name":', 6, /error unmarshall network config|unexpected end/],
    ];
    for (const [config, code, msg] of cases) {
      const r = sb.run('ptp', { command: 'ADD', config });
      assert.equal(r.json?.['code'], code, `${JSON.stringify(config)}: ${r.stdout}`);
      assert.match(String(r.json?.['msg']), msg);
      assert.doesNotMatch(r.stderr, /at .*\.js/, 'no stack trace');
    }
    const gone = sb.run('ptp', { command: 'ADD', config: conf(sb), netns: '/run/netns/tscni-ptp-nonexistent' });
    assert.match(String(gone.json?.['msg']), /^failed to open netns "\/run\/netns\/tscni-ptp-nonexistent": failed to Statfs/);
    assert.deepEqual(reserved(sb), []);
    assert.equal(sb.host.exec('ip', ['-o', 'link']).split('\n').filter(Boolean).length, 1, 'only lo in the host');
  });

  it('STATUS asks the IPAM plugin', () => {
    const sb = make();
    const ipam = join(sb.dir, 'fake-ipam');
    writeFileSync(ipam, '#!/bin/sh\n[ -e "$0.down" ] && { printf \'{"code":50,"msg":"pool exhausted"}\'; exit 1; }\nexit 0\n');
    chmodSync(ipam, 0o755);
    const config = { cniVersion: '1.1.0', name: NAME, type: 'ptp', ipam: { type: 'fake-ipam' } };
    const ok = sb.run('ptp', { command: 'STATUS', config, path: sb.dir });
    assert.equal(ok.code, 0, ok.stdout);
    writeFileSync(`${ipam}.down`, '');
    const down = sb.run('ptp', { command: 'STATUS', config, path: sb.dir });
    assert.deepEqual([down.json?.['code'], down.json?.['msg']], [50, 'pool exhausted']);
  });
});

describe('ptp against the Go reference', () => {
  const SYSCTLS = ['net/ipv4/ip_forward', 'net/ipv6/conf/all/forwarding', 'net/ipv4/conf/{if}/arp_notify', 'net/ipv6/conf/{if}/accept_ra', 'net/ipv6/conf/{if}/disable_ipv6'];
  const v6 = { subnet: undefined, ranges: [[{ subnet: '10.78.0.0/24' }], [{ subnet: 'fd00:78::/64' }]], routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }, { dst: '192.168.250.0/24', gw: '10.78.0.9' }] };
  const configs: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['IPv4, 1.0.0', {}, {}],
    ['ipMasq and mtu', { ipMasq: true, mtu: 1300 }, {}],
    ['dual stack with ipMasq and extra routes', { ipMasq: true }, v6],
    ['0.4.0 with config DNS', { cniVersion: '0.4.0', dns: { nameservers: ['10.0.0.53'], search: ['example.test'] } }, {}],
    ['0.3.1, IPv6 only', { cniVersion: '0.3.1', ipMasq: true }, { subnet: undefined, ranges: [[{ subnet: 'fd00:79::/64', gateway: 'fd00:79::fe' }]], routes: [{ dst: '::/0' }] }],
    ['empty DNS lists replace nothing but are printed', { dns: { nameservers: [] } }, {}],
  ];
  const sandboxes: Sandbox[] = [];
  after(() => sandboxes.forEach((sb) => sb.remove()));

  for (const [title, extra, ipam] of configs) {
    it(title, () => {
      const ref = sandbox('tscni-ptpr-');
      sandboxes.push(ref);
      const ours = sandbox('tscni-ptpo-');
      sandboxes.push(ours);
      const run = (sb: Sandbox, reference: boolean) => {
        const config = conf(sb, extra, ipam);
        const add = sb.run('ptp', { command: 'ADD', config }, reference);
        assert.equal(add.code, 0, `${reference ? 'reference' : 'tscni'}: ${add.stdout}`);
        return { config, add };
      };
      const a = run(ref, true);
      const b = run(ours, false);
      const norm = (out: string, sb: Sandbox) => masked(JSON.parse(printResult(resultFromBytes(out)).replaceAll(sb.cont.path, 'NETNS')) as unknown);
      assert.deepEqual(norm(b.add.stdout, ours), norm(a.add.stdout, ref));
      [ref.host, ref.cont, ours.host, ours.cont].forEach((ns) => waitForDad(ns));
      assert.deepEqual(kernelState(ours.host, SYSCTLS), kernelState(ref.host, SYSCTLS));
      // keep_addr_on_down is set by configureIface as the reference does since v1.7.0, not in 1.1.1.
      const contKeys = SYSCTLS.filter((k) => !k.includes('forward'));
      assert.deepEqual(kernelState(ours.cont, contKeys), kernelState(ref.cont, contKeys));
      const version = (extra['cniVersion'] as string | undefined) ?? '1.0.0';
      if (version !== '0.3.1') {
        for (const [sb, reference, add] of [[ref, true, a.add], [ours, false, b.add]] as const) {
          const check = sb.run('ptp', { command: 'CHECK', config: { ...conf(sb, extra, ipam), prevResult: JSON.parse(add.stdout) } }, reference);
          assert.equal(check.code, 0, `${reference ? 'reference' : 'tscni'} CHECK: ${check.stdout}`);
        }
      }
      for (const [sb, reference] of [[ref, true], [ours, false]] as const) {
        const del = sb.run('ptp', { command: 'DEL', config: conf(sb, extra, ipam) }, reference);
        assert.equal(del.code, 0, del.stdout);
      }
      assert.deepEqual(kernelState(ours.host, SYSCTLS), kernelState(ref.host, SYSCTLS));
      assert.deepEqual(kernelState(ours.cont), kernelState(ref.cont));
    });
  }
});
