import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { invokeHandler } from '@tscni/skel';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { runChain, type ChainList } from '../../testing/chain.js';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';
import { tuningHandlers } from './index.js';

type Exec = { exec(c: string, a: readonly string[]): string };

interface IpLink {
  ifname: string;
  address: string;
  mtu: number;
  txqlen?: number;
  flags: string[];
  promiscuity: number;
  allmulti?: number;
}

const link = (ns: Exec, dev = 'eth0'): IpLink => (JSON.parse(ns.exec('ip', ['-json', '-d', 'link', 'show', 'dev', dev])) as IpLink[])[0]!;
/** The attributes tuning changes, as `ip` shows them. */
const attrs = (ns: Exec, dev = 'eth0') => {
  const l = link(ns, dev);
  return { mac: l.address, mtu: l.mtu, txqlen: l.txqlen ?? 0, promisc: l.flags.includes('PROMISC'), allmulti: l.flags.includes('ALLMULTI') };
};
const sysctl = (ns: Exec, key: string): string => ns.exec('cat', [`/proc/sys/${key}`]).trim();

/** Everything a chain may leave in the host scratch namespace, and tuning's files. */
function hostState(sb: Sandbox) {
  const dataDir = join(sb.dir, 'tuning');
  return {
    // A bridge's carrier and MAC change with its ports coming and going: names and MTUs only.
    links: (JSON.parse(sb.host.exec('ip', ['-json', 'link', 'show'])) as IpLink[]).map((l) => `${l.ifname} ${l.mtu}`),
    addrs: sb.host.exec('ip', ['addr', 'show']).split('\n').filter((l) => /^\s+inet6? /.test(l)),
    routes: sb.host.exec('ip', ['route', 'show', 'table', 'all']).replaceAll(' linkdown', ''),
    iptables: sb.host.exec('iptables-save', []).replace(/^#.*$/gm, '').replace(/\[\d+:\d+\]/g, ''),
    ip6tables: sb.host.exec('ip6tables-save', []).replace(/^#.*$/gm, '').replace(/\[\d+:\d+\]/g, ''),
    nft: sb.host.exec('nft', ['list', 'ruleset']),
    tc: sb.host.exec('tc', ['qdisc', 'show']),
    files: existsSync(dataDir) ? readdirSync(dataDir) : [],
  };
}

function ptpChain(sb: Sandbox, tuning: Record<string, unknown>, cniVersion = '1.0.0'): ChainList {
  return {
    name: 'tscnituning',
    cniVersion,
    plugins: [
      { type: 'ptp', ipam: { type: 'host-local', subnet: '10.78.0.0/24', dataDir: join(sb.dir, 'ipam') } },
      { type: 'tuning', dataDir: join(sb.dir, 'tuning'), ...tuning },
    ],
  };
}

/** A bridge chain; the bridge is made beforehand, so that the host is the same after DEL. */
function bridgeChain(sb: Sandbox, tuning: Record<string, unknown>): ChainList {
  sb.host.exec('ip', ['link', 'add', 'tunbr0', 'type', 'bridge']);
  sb.host.exec('ip', ['link', 'set', 'tunbr0', 'up']);
  return {
    name: 'tscnituning',
    cniVersion: '1.0.0',
    plugins: [
      { type: 'bridge', bridge: 'tunbr0', ipam: { type: 'host-local', subnet: '10.79.0.0/24', dataDir: join(sb.dir, 'ipam') } },
      { type: 'tuning', dataDir: join(sb.dir, 'tuning'), ...tuning },
    ],
  };
}

const lastOut = (o: { steps: { outcome: { stdout: string; stderr: string } }[] }): string => `${o.steps.at(-1)?.outcome.stdout}${o.steps.at(-1)?.outcome.stderr}`;

describe('tuning in a chain', () => {
  const sandboxes: Sandbox[] = [];
  const make = (): Sandbox => {
    const sb = sandbox('tscni-tun-');
    sandboxes.push(sb);
    return sb;
  };
  // The container IDs are unique to the run: no file of this run may appear in the default dir.
  const cid = `tun-${randomBytes(4).toString('hex')}`;
  after(() => {
    sandboxes.forEach((sb) => sb.remove());
    const leaked = existsSync('/run/cni/tuning') ? readdirSync('/run/cni/tuning').filter((f) => f.startsWith(cid)) : [];
    assert.deepEqual(leaked, []);
  });

  it('after ptp: ADD sets sysctls, MAC (capability), MTU, promisc, allmulti, txQLen and saves the originals; CHECK; DEL restores, twice', () => {
    const sb = make();
    const before = hostState(sb);
    const list = ptpChain(sb, {
      capabilities: { mac: true },
      sysctl: { 'net.ipv4.conf.IFNAME.arp_filter': '1', 'net.core.somaxconn': '512' },
      mtu: 1400,
      promisc: true,
      allmulti: true,
      txQLen: 500,
    });
    const add = runChain(sb, list, { command: 'ADD', containerID: cid, runtimeConfig: { mac: 'C2:11:22:33:44:55' } });
    assert.equal(add.ok, true, lastOut(add));
    const ptpResult = add.steps[0]!.outcome.json as { interfaces: { name: string; mac: string }[] };
    const original = ptpResult.interfaces[1]!.mac;
    const res = add.result as { cniVersion: string; interfaces: { name: string; mac: string; sandbox?: string }[]; ips: unknown[] };
    // The result carries the kernel's form of the MAC (the reference's: as configured); the host veth is untouched.
    assert.deepEqual(res.interfaces[1], { name: 'eth0', mac: 'c2:11:22:33:44:55', sandbox: sb.cont.path });
    assert.equal(res.interfaces[0]!.mac, ptpResult.interfaces[0]!.mac);
    assert.deepEqual(res.ips, (add.steps[0]!.outcome.json as { ips: unknown[] }).ips);
    assert.deepEqual(attrs(sb.cont), { mac: 'c2:11:22:33:44:55', mtu: 1400, txqlen: 500, promisc: true, allmulti: true });
    assert.equal(sysctl(sb.cont, 'net/ipv4/conf/eth0/arp_filter'), '1');
    assert.equal(sysctl(sb.cont, 'net/core/somaxconn'), '512');

    const file = join(sb.dir, 'tuning', `${cid}_eth0.json`);
    assert.equal(readFileSync(file, 'utf8'), `{\n "mac": "${original}",\n "promisc": false,\n "mtu": 1500,\n "allmulti": false,\n "txQLen": 1000\n}`);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(sb.dir, 'tuning')).mode & 0o777, 0o600);

    const check = runChain(sb, list, { command: 'CHECK', containerID: cid, runtimeConfig: { mac: 'C2:11:22:33:44:55' }, prevResult: add.result! });
    assert.equal(check.ok, true, lastOut(check));

    // tuning's DEL alone first, to see what it put back before ptp removes the link.
    const del1 = sb.run('tuning', { command: 'DEL', containerID: cid, config: { ...list.plugins[1], name: list.name, cniVersion: '1.0.0', prevResult: add.result } });
    assert.equal(del1.code, 0, del1.stdout);
    assert.deepEqual(attrs(sb.cont), { mac: original, mtu: 1500, txqlen: 1000, promisc: false, allmulti: false });
    // Sysctls are not restored, as in the reference.
    assert.equal(sysctl(sb.cont, 'net/core/somaxconn'), '512');
    assert.equal(existsSync(file), false);

    for (let i = 0; i < 2; i++) {
      const del = runChain(sb, list, { command: 'DEL', containerID: cid, runtimeConfig: { mac: 'C2:11:22:33:44:55' }, prevResult: add.result! });
      assert.equal(del.ok, true, lastOut(del));
    }
    assert.deepEqual(hostState(sb), before);
  });

  it('CHECK reports each attribute that drifted, with the reference messages', () => {
    const sb = make();
    const list = ptpChain(sb, { sysctl: { 'net.core.somaxconn': '512' }, mac: 'c2:11:22:33:44:56', mtu: 1400, allmulti: true, txQLen: 500 });
    const add = runChain(sb, list, { command: 'ADD', containerID: cid });
    assert.equal(add.ok, true, lastOut(add));
    // tuning's CHECK alone: ptp's would see a changed MAC first.
    const check = (): string => {
      const c = sb.run('tuning', { command: 'CHECK', containerID: cid, config: { ...list.plugins[1], name: list.name, cniVersion: '1.0.0', prevResult: add.result } });
      return c.code === 0 ? 'ok' : String(c.json?.['msg']);
    };
    assert.equal(check(), 'ok');
    const drift: [string[], string][] = [
      [['promisc', 'on'], 'Error: Tuning link eth0 configured promisc is false, current value is 1'],
      [['promisc', 'off', 'mtu', '1300'], 'Error: Tuning configured MTU of eth0 is 1400, current value is 1300'],
      [['mtu', '1400', 'allmulticast', 'off'], 'Error: Tuning configured all-multicast mode of eth0 is true, current value is false'],
      [['allmulticast', 'on', 'txqueuelen', '100'], 'Error: Tuning configured Transmit Queue Length of eth0 is 500, current value is 100'],
      [['txqueuelen', '500', 'address', '02:00:00:00:00:09'], 'Error: Tuning configured Ethernet of eth0 is c2:11:22:33:44:56, current value is 02:00:00:00:00:09'],
    ];
    for (const [change, msg] of drift) {
      sb.cont.exec('ip', ['link', 'set', 'eth0', ...change]);
      assert.equal(check(), msg);
    }
    sb.cont.exec('ip', ['link', 'set', 'eth0', 'address', 'c2:11:22:33:44:56']);
    sb.cont.exec('sh', ['-c', 'echo 4096 > /proc/sys/net/core/somaxconn']);
    assert.equal(check(), 'Error: Tuning configured value of /proc/sys/net/core/somaxconn is 512, current value is 4096');
    sb.cont.exec('sh', ['-c', 'echo 512 > /proc/sys/net/core/somaxconn']);
    assert.equal(check(), 'ok');
    assert.equal(runChain(sb, list, { command: 'DEL', containerID: cid, prevResult: add.result! }).ok, true);
  });

  it('CHECK compares the MAC, not its spelling (the reference fails on an upper-case MAC)', () => {
    const sb = make();
    const list = ptpChain(sb, { mac: 'C2:11:22:33:44:57' });
    const add = runChain(sb, list, { command: 'ADD', containerID: cid });
    assert.equal(add.ok, true, lastOut(add));
    const check = runChain(sb, list, { command: 'CHECK', containerID: cid, prevResult: add.result! });
    assert.equal(check.ok, true, lastOut(check));
    assert.equal(runChain(sb, list, { command: 'DEL', containerID: cid, prevResult: add.result! }).ok, true);
  });

  it('after bridge: MAC from CNI_ARGS and args.cni (args.cni wins); DEL without runtime config or prevResult restores', () => {
    const sb = make();
    const list = bridgeChain(sb, { mac: 'c2:00:00:00:00:01', args: { cni: { mac: 'c2:00:00:00:00:03', mtu: 1450, txQLen: 0, sysctl: { 'net.ipv4.conf.IFNAME.arp_notify': '1' } } } });
    const before = hostState(sb);
    const add = runChain(sb, list, { command: 'ADD', containerID: cid, args: 'IgnoreUnknown=1;MAC=c2:00:00:00:00:02' });
    assert.equal(add.ok, true, lastOut(add));
    const original = (add.steps[0]!.outcome.json as { interfaces: { name: string; mac: string }[] }).interfaces.find((i) => i.name === 'eth0')!.mac;
    assert.equal((add.result as { interfaces: { name: string; mac: string }[] }).interfaces.find((i) => i.name === 'eth0')!.mac, 'c2:00:00:00:00:03');
    assert.deepEqual(attrs(sb.cont), { mac: 'c2:00:00:00:00:03', mtu: 1450, txqlen: 0, promisc: false, allmulti: false });
    assert.equal(sysctl(sb.cont, 'net/ipv4/conf/eth0/arp_notify'), '1');
    assert.deepEqual(hostState(sb).files, [`${cid}_eth0.json`]);

    const del1 = sb.run('tuning', { command: 'DEL', containerID: cid, args: 'IgnoreUnknown=1', config: { ...list.plugins[1], name: list.name, cniVersion: '1.0.0' } });
    assert.equal(del1.code, 0, del1.stdout);
    assert.deepEqual(attrs(sb.cont), { mac: original, mtu: 1500, txqlen: 1000, promisc: false, allmulti: false });
    for (let i = 0; i < 2; i++) {
      const del = runChain(sb, list, { command: 'DEL', containerID: cid, args: 'IgnoreUnknown=1' });
      assert.equal(del.ok, true, lastOut(del));
    }
    assert.deepEqual(hostState(sb), before);
  });

  it('DEL after the container namespace is gone succeeds and removes the saved file (the reference keeps it)', () => {
    for (const chain of [ptpChain, bridgeChain]) {
      const sb = make();
      const list = chain(sb, { mtu: 1400, promisc: true });
      const before = hostState(sb);
      const add = runChain(sb, list, { command: 'ADD', containerID: cid });
      assert.equal(add.ok, true, lastOut(add));
      assert.equal(hostState(sb).files.length, 1);
      sb.cont.remove();
      for (let i = 0; i < 2; i++) {
        const del = runChain(sb, list, { command: 'DEL', containerID: cid, prevResult: add.result! });
        assert.equal(del.ok, true, lastOut(del));
      }
      const tuningDel = sb.run('tuning', { command: 'DEL', containerID: cid, netns: '', config: { ...list.plugins[1], name: list.name, cniVersion: '1.0.0' } });
      assert.equal(tuningDel.code, 0, tuningDel.stdout);
      assert.deepEqual(hostState(sb), before);
    }
  });

  it('DEL when the link is gone removes the saved file; an empty CNI_NETNS too', () => {
    const sb = make();
    const list = ptpChain(sb, { mtu: 1400 });
    const add = runChain(sb, list, { command: 'ADD', containerID: cid });
    assert.equal(add.ok, true, lastOut(add));
    sb.cont.exec('ip', ['link', 'del', 'eth0']);
    const del = sb.run('tuning', { command: 'DEL', containerID: cid, config: { ...list.plugins[1], name: list.name, cniVersion: '1.0.0' } });
    assert.equal(del.code, 0, del.stdout);
    assert.deepEqual(hostState(sb).files, []);
    assert.equal(runChain(sb, list, { command: 'DEL', containerID: cid }).ok, true);
  });

  it('a failed ADD puts back the sysctls and attributes it changed and leaves no file', () => {
    const sb = make();
    // Past a veth's largest MTU: the kernel refuses the MTU after the MAC and promisc are set.
    const list = ptpChain(sb, { sysctl: { 'net.core.somaxconn': '777' }, mac: 'c2:00:00:00:00:05', promisc: true, mtu: 70000 });
    const add = runChain(sb, list, { command: 'ADD', containerID: cid });
    assert.equal(add.ok, false);
    assert.deepEqual(add.steps.at(-1)!.outcome.json, { code: 999, msg: 'invalid argument' });
    const original = (add.steps[0]!.outcome.json as { interfaces: { name: string; mac: string }[] }).interfaces[1]!.mac;
    assert.deepEqual(attrs(sb.cont), { mac: original, mtu: 1500, txqlen: 1000, promisc: false, allmulti: false });
    assert.equal(sysctl(sb.cont, 'net/core/somaxconn'), '4096');
    assert.deepEqual(hostState(sb).files, []);

    // A sysctl that does not exist: the ones written before it go back.
    const list2 = ptpChain(sb, { sysctl: { 'net.core.somaxconn': '778', 'net.core.no_such_sysctl': '1' }, mtu: 1400 });
    const add2 = sb.run('tuning', { command: 'ADD', containerID: cid, config: { ...list2.plugins[1], name: list2.name, cniVersion: '1.0.0', prevResult: add.steps[0]!.outcome.json } });
    assert.deepEqual(add2.json, { code: 999, msg: 'open /proc/sys/net/core/no_such_sysctl: no such file or directory' });
    assert.equal(sysctl(sb.cont, 'net/core/somaxconn'), '4096');
    assert.equal(attrs(sb.cont).mtu, 1500);
    assert.deepEqual(hostState(sb).files, []);
    assert.equal(runChain(sb, list, { command: 'DEL', containerID: cid }).ok, true);
  });

  it('results come back in the config version (0.3.1 with the new MAC, 0.2.0 passed through)', () => {
    const sb = make();
    const list = ptpChain(sb, { mac: 'c2:00:00:00:00:06' }, '0.3.1');
    const add = runChain(sb, list, { command: 'ADD', containerID: cid });
    assert.equal(add.ok, true, lastOut(add));
    const r = add.result as { cniVersion: string; interfaces: { name: string; mac: string }[]; ips: { version: string }[] };
    assert.equal(r.cniVersion, '0.3.1');
    assert.equal(r.interfaces[1]!.mac, 'c2:00:00:00:00:06');
    assert.equal(r.ips[0]!.version, '4');
    assert.equal(runChain(sb, list, { command: 'DEL', containerID: cid, prevResult: add.result! }).ok, true);

    const list2 = ptpChain(sb, { mac: 'c2:00:00:00:00:07' }, '0.2.0');
    const add2 = runChain(sb, list2, { command: 'ADD', containerID: cid });
    assert.equal(add2.ok, true, lastOut(add2));
    assert.deepEqual(add2.result, add2.steps[0]!.outcome.json);
    assert.equal(attrs(sb.cont).mac, 'c2:00:00:00:00:07');
    assert.equal(runChain(sb, list2, { command: 'DEL', containerID: cid, prevResult: add2.result! }).ok, true);
  });
});

describe('tuning allow-list (in process, a private allow-list file)', () => {
  let ns: ScratchNetns | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'tscni-tunal-'));
  after(() => {
    ns?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sysctls the allow-list matches are written; others refused before anything changes', async () => {
    ns = scratchNetns('tscni-tunal-c-');
    ns.exec('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'p0']);
    const file = join(dir, 'allowlist.conf');
    writeFileSync(file, '^net\\.core\\.somaxconn$\nIFNAME\\.arp_filter$\n');
    const h = tuningHandlers({ allowlistFile: file });
    const prevResult = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', mac: link(ns).address, sandbox: ns.path }] };
    const base = { cniVersion: '1.0.0', name: 'tun', type: 'tuning', dataDir: join(dir, 'tuning'), prevResult };
    const init = (extra: Record<string, unknown>) => ({ containerID: 'al1', netns: ns!.path, ifName: 'eth0', stdinData: JSON.stringify({ ...base, ...extra }) });
    const ok = await invokeHandler('ADD', h, init({ sysctl: { 'net.core.somaxconn': '600', 'net.ipv4.conf.IFNAME.arp_filter': '1' } }));
    assert.equal(ok.error, undefined, ok.stdout);
    assert.equal(sysctl(ns, 'net/core/somaxconn'), '600');
    assert.equal(sysctl(ns, 'net/ipv4/conf/eth0/arp_filter'), '1');
    const refused = await invokeHandler('ADD', h, init({ sysctl: { 'net.core.somaxconn': '700', 'net.ipv4.ip_forward': '1' }, mtu: 1400 }));
    assert.equal(refused.error?.code, 7);
    assert.equal(sysctl(ns, 'net/core/somaxconn'), '600');
    assert.equal(link(ns).mtu, 1500);
    assert.equal(existsSync(join(dir, 'tuning')), false);
  });
});
