/**
 * The dhcp plugin, its daemon and our DHCP client against a real dnsmasq: each container gets
 * a macvlan of the lab's master and an address leased through the daemon.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { dhcpLab, SERVER_IP, SUBNET_PREFIX, type Daemon, type DhcpLab, type Dnsmasq } from './testing/lab.js';

function addrs(ns: ScratchNetns, ifName = 'eth0'): string[] {
  const out = JSON.parse(ns.exec('ip', ['-j', '-4', 'addr', 'show', 'dev', ifName])) as { addr_info: { local: string; prefixlen: number }[] }[];
  return out.flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
}

function waitForLog(what: RegExp, log: () => string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (what.test(log())) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what} in:\n${log()}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

const hex = (s: string): string => ['00', ...Buffer.from(s).toString('hex').match(/../g)!].join(':');

describe('dhcp end to end (dnsmasq, daemon, macvlan)', () => {
  let lab: DhcpLab;
  let server: Dnsmasq;
  let daemon: Daemon;
  let firstAddress = '';

  before(async () => {
    lab = dhcpLab();
    // T1/T2 of a few seconds make a renewal happen while the tests run (the lease is 2 min).
    server = await lab.startServer([`--dhcp-option=6,${SERVER_IP}`, '--dhcp-option=15,lab.test', '--dhcp-option=option:T1,4', '--dhcp-option=option:T2,100']);
    daemon = await lab.startDaemon(['-timeout', '2s', '-resendtimeout', '8s']);
  });
  after(async () => {
    await lab?.remove();
  });

  it('ADD leases an address with routes and DNS; the server sees the reference client ID; CHECK passes', async () => {
    const c = lab.container();
    const add = lab.run('macvlan', { command: 'ADD', config: lab.config(), containerID: 'd1', netns: c.path, ifName: 'eth0' });
    assert.equal(add.code, 0, add.stdout + add.stderr + daemon.log());
    const ip = (add.json?.['ips'] as { address: string; gateway: string }[])[0]!;
    firstAddress = ip.address.split('/')[0]!;
    assert.ok(ip.address.startsWith(SUBNET_PREFIX) && ip.address.endsWith('/24'), ip.address);
    assert.equal(ip.gateway, SERVER_IP);
    assert.deepEqual(add.json?.['routes'], [{ dst: '0.0.0.0/0', gw: SERVER_IP }]);
    assert.deepEqual(addrs(c), [ip.address]);
    // dnsmasq writes its lease file after it has sent the ACK.
    await waitForLog(new RegExp(`${ip.address.split('/')[0]!.replace(/\./g, '\\.')} .*${hex('d1/dnet/eth0')}`), server.leases, 3000);
    const check = lab.run('macvlan', { command: 'CHECK', config: { ...lab.config(), prevResult: add.json }, containerID: 'd1', netns: c.path, ifName: 'eth0' });
    assert.equal(check.code, 0, check.stdout);
    // A second ADD of the same attachment returns the same lease. The IPAM result carries the
    // server's DNS (macvlan, as the reference, replaces it with the config's).
    const again = lab.run('dhcp', { command: 'ADD', config: lab.config(), containerID: 'd1', netns: c.path, ifName: 'eth0' });
    assert.equal((again.json?.['ips'] as { address: string }[])[0]!.address, ip.address);
    assert.deepEqual(again.json?.['dns'], { nameservers: [SERVER_IP], domain: 'lab.test' });
  });

  it('renews the lease at T1 (seen in the server log)', async () => {
    // The first REQUEST answers the OFFER; any later one for the same address is a renewal.
    const ip = firstAddress.replace(/\./g, '\\.');
    await waitForLog(new RegExp(`DHCPACK\\(br0\\) ${ip} (.|\\n)*DHCPREQUEST\\(br0\\) ${ip} (.|\\n)*DHCPACK\\(br0\\) ${ip} `), server.log, 15000);
    await waitForLog(/renewed/, daemon.log, 5000);
  });

  it('a restarted daemon keeps the lease: CHECK passes, ADD returns it, and it is renewed again', async () => {
    const c = lab.container();
    const add = lab.run('macvlan', { command: 'ADD', config: lab.config(), containerID: 'r1', netns: c.path, ifName: 'eth0' });
    assert.equal(add.code, 0, add.stdout);
    assert.equal(await daemon.stop(), 0);
    assert.match(daemon.log(), /SIGTERM: stopping/);
    daemon = await lab.startDaemon(['-timeout', '2s', '-resendtimeout', '8s']);
    assert.match(daemon.log(), /2 lease\(s\) resumed/);
    const check = lab.run('macvlan', { command: 'CHECK', config: { ...lab.config(), prevResult: add.json }, containerID: 'r1', netns: c.path, ifName: 'eth0' });
    assert.equal(check.code, 0, check.stdout + daemon.log());
    const again = lab.run('dhcp', { command: 'ADD', config: lab.config(), containerID: 'r1', netns: c.path, ifName: 'eth0' });
    assert.equal((again.json?.['ips'] as { address: string }[])[0]!.address, (add.json?.['ips'] as { address: string }[])[0]!.address);
    await waitForLog(/r1\/dnet\/eth0: lease of .* renewed/, daemon.log, 15000);
  });

  it('DEL releases (the server sees DHCPRELEASE and forgets the lease); DEL again succeeds', async () => {
    const c = lab.container();
    const add = lab.run('macvlan', { command: 'ADD', config: lab.config(), containerID: 'x1', netns: c.path, ifName: 'eth0' });
    assert.equal(add.code, 0, add.stdout);
    const address = (add.json?.['ips'] as { address: string }[])[0]!.address.split('/')[0]!;
    const del = lab.run('macvlan', { command: 'DEL', config: lab.config(), containerID: 'x1', netns: c.path, ifName: 'eth0' });
    assert.equal(del.code, 0, del.stdout);
    await waitForLog(new RegExp(`DHCPRELEASE\\(br0\\) ${address.replace(/\./g, '\\.')}`), server.log, 5000);
    assert.doesNotMatch(server.leases(), new RegExp(hex('x1/dnet/eth0')));
    assert.equal(lab.run('macvlan', { command: 'DEL', config: lab.config(), containerID: 'x1', netns: c.path, ifName: 'eth0' }).code, 0);
  });

  it('many containers in parallel get distinct addresses', async () => {
    const cs = Array.from({ length: 8 }, () => lab.container());
    const adds = await Promise.all(cs.map((c, i) => lab.runAsync('macvlan', { command: 'ADD', config: lab.config(), containerID: `p${i}`, netns: c.path, ifName: 'eth0' })));
    for (const a of adds) assert.equal(a.code, 0, a.stdout + a.stderr);
    const got = adds.map((a) => (a.json?.['ips'] as { address: string }[])[0]!.address);
    assert.equal(new Set(got).size, cs.length, got.join(' '));
    cs.forEach((c, i) => assert.deepEqual(addrs(c), [got[i]]));
    const dels = await Promise.all(cs.map((c, i) => lab.runAsync('macvlan', { command: 'DEL', config: lab.config(), containerID: `p${i}`, netns: c.path, ifName: 'eth0' })));
    for (const d of dels) assert.equal(d.code, 0, d.stdout);
  });

  it('STATUS answers while the daemon runs and says 50 once it is gone', async () => {
    const config = lab.config({}, '1.1.0');
    assert.equal(lab.run('dhcp', { command: 'STATUS', config }).code, 0);
    await daemon.stop();
    const gone = lab.run('dhcp', { command: 'STATUS', config });
    assert.equal(gone.json?.['code'], 50, gone.stdout);
    daemon = await lab.startDaemon(['-timeout', '1s', '-resendtimeout', '4s']);
  });

  it('with the server gone, ADD fails after the resend timeout with a clear error and leaves no link', async () => {
    await server.stop();
    const c = lab.container();
    const started = Date.now();
    const add = lab.run('macvlan', { command: 'ADD', config: lab.config(), containerID: 'g1', netns: c.path, ifName: 'eth0' });
    const took = Date.now() - started;
    assert.equal(add.code, 1, add.stdout);
    assert.match(String(add.json?.['msg']), /error calling DHCP\.Allocate: error acquiring a lease for g1\/dnet\/eth0: .*no more tries/);
    assert.ok(took < 30_000, `gave up after ${took} ms`);
    const links = JSON.parse(c.exec('ip', ['-j', 'link', 'show'])) as { ifname: string }[];
    assert.deepEqual(links.map((l) => l.ifname), ['lo']);
  });
});
