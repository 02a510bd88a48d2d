/**
 * The client against a real server: dnsmasq in a scratch namespace, the client's worker in
 * another (dnsmasq-lab.ts). dnsmasq's log and lease file are the oracle on the server side,
 * `ip -json` and `ss` in the client namespace on the client side.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Option } from '../wire/codes.js';
import { dhcpClientLab, SERVER_IP, waitFor, type DhcpClientLab, type Dnsmasq } from './dnsmasq-lab.js';
import { DhcpClient, type ClientEvent, type ClientOptions, type Lease } from './index.js';

const clientID = (s: string) => Uint8Array.from([0, ...Buffer.from(s)]);
const hexColon = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

function options(netnsPath: string, extra: Partial<ClientOptions> = {}): ClientOptions {
  return {
    netnsPath,
    ifName: 'eth0',
    clientID: clientID('ctr1/dnet/eth0'),
    provide: [],
    request: [3, 1, 6, 15, 119],
    timeoutMs: 1000,
    resendMaxMs: 4000,
    resendTimeoutMs: 5000,
    broadcast: true,
    ...extra,
  };
}

function linkOf(ns: { exec(c: string, a: readonly string[]): string }, name = 'eth0'): { flags: string[] } | undefined {
  const links = JSON.parse(ns.exec('ip', ['-json', 'link', 'show'])) as { ifname: string; flags: string[] }[];
  return links.find((l) => l.ifname === name);
}

/** UDP sockets on port 68 in the namespace (the client's, while it runs). */
function dhcpSockets(ns: { exec(c: string, a: readonly string[]): string }): number {
  return ns.exec('ss', ['-uanH', 'sport = :68']).trim().split('\n').filter((l) => l.length > 0).length;
}

/** What the plugin would do with the lease: put the address on the interface. */
function configure(ns: { exec(c: string, a: readonly string[]): string }, lease: Lease): void {
  ns.exec('ip', ['addr', 'add', `${lease.address}/${lease.prefixLength}`, 'dev', 'eth0']);
}

function nextEvent(client: DhcpClient, type: ClientEvent['type'], ms: number): Promise<ClientEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${type}' event within ${ms} ms`)), ms);
    client.onEvent((e) => {
      if (e.type === type) {
        clearTimeout(timer);
        resolve(e);
      }
    });
  });
}

describe('DHCP client against dnsmasq', () => {
  let lab: DhcpClientLab;
  before(() => {
    lab = dhcpClientLab();
  });
  after(async () => {
    await lab.remove();
  });

  describe('one server with DNS, domain, search and classless routes', () => {
    let srv: Dnsmasq;
    before(async () => {
      srv = await lab.startServer([
        '--dhcp-option=6,10.123.0.53,10.123.0.54',
        '--dhcp-option=15,example.test',
        '--dhcp-option=119,a.example.test,example.test',
        '--dhcp-option=121,192.168.50.0/24,10.123.0.9,10.123.0.0/24,0.0.0.0',
        '--dhcp-option=option:T1,2',
        '--dhcp-option=option:T2,4',
      ]);
    });
    after(async () => {
      await srv.stop();
    });

    it('acquires: link set UP, address, mask, routers, DNS, domain, search, classless routes; client ID and host name seen by the server; release', async () => {
      const c = lab.client();
      assert.ok(!linkOf(c)!.flags.includes('UP'));
      const logs: string[] = [];
      const client = await DhcpClient.acquire(
        options(c.path, { request: [3, 1, 6, 15, 119, 121], provide: [{ code: Option.HostName, value: Buffer.from('mypod') }], log: (l) => logs.push(l) }),
      );
      try {
        const l = client.lease;
        assert.match(l.address, /^10\.123\.0\.(5[0-9]|[6-9][0-9])$/);
        assert.equal(l.prefixLength, 24);
        assert.equal(l.serverID, SERVER_IP);
        assert.deepEqual(l.routers, [SERVER_IP]);
        assert.deepEqual(l.dns, ['10.123.0.53', '10.123.0.54']);
        assert.equal(l.domain, 'example.test');
        assert.deepEqual(l.search, ['a.example.test', 'example.test']);
        assert.deepEqual(l.classlessRoutes, [
          { dst: '192.168.50.0/24', gw: '10.123.0.9' },
          { dst: '10.123.0.0/24', gw: '0.0.0.0' },
        ]);
        assert.deepEqual(l.staticRoutes, []);
        // dnsmasq adds its own fuzz to T1: compare with what it sent.
        const t1 = Number(/option: 58 T1 +([0-9]+)s/.exec(srv.log())?.[1]);
        assert.ok(t1 >= 2 && t1 <= 4, srv.log());
        assert.deepEqual([l.leaseTimeSec, l.renewalSec, l.rebindingSec], [120, t1, 4]);
        assert.ok(Math.abs(l.acquiredAt - Date.now()) < 5000);
        assert.ok(linkOf(c)!.flags.includes('UP'), 'the link is left UP');
        assert.ok(logs.includes('Link "eth0" down. Attempting to set up'));
        // The lease file: "<expiry> <mac> <ip> <name> <client id>", written after the ACK went out.
        await waitFor('the lease file', 3000, () => srv.leases().includes(` ${l.address} `));
        const entry = srv.leases().split('\n').find((line) => line.includes(` ${l.address} `));
        assert.ok(entry, srv.leases());
        assert.equal(entry.split(' ')[4], hexColon(clientID('ctr1/dnet/eth0')));
        assert.equal(entry.split(' ')[3], 'mypod');
        // dnsmasq wraps the list over two lines.
        assert.match(srv.log(), /requested options: 3:router, 1:netmask, 6:dns-server, 15:domain-name, \n.*requested options: 119:domain-search, 121:classless-static-route/);
        assert.match(srv.log(), /client provides name: mypod/);
      } finally {
        await client.release();
      }
      await srv.waitLog(new RegExp(`DHCPRELEASE\\(br0\\) ${client.lease.address.replace(/\./g, '\\.')} `));
      await waitFor('the lease file to drop the entry', 3000, () => !srv.leases().includes(` ${client.lease.address} `));
      assert.equal(dhcpSockets(c), 0, 'no client socket left');
    });

    it('renews at T1 (unicast, once the address is configured): "renewed" with a new acquiredAt, seen by the server', async () => {
      const c = lab.client();
      const client = await DhcpClient.acquire(options(c.path, { clientID: clientID('ctr-renew/dnet/eth0') }));
      try {
        const first = client.lease;
        configure(c, first);
        const acks = () => srv.log().split('\n').filter((line) => line.includes(`DHCPACK(br0) ${first.address} `)).length;
        const before = acks();
        const e = await nextEvent(client, 'renewed', 6000);
        assert.equal(e.type === 'renewed' && e.lease.address, first.address);
        assert.ok(client.lease.acquiredAt >= first.acquiredAt + 1000);
        const renewedAfter = client.lease.acquiredAt - first.acquiredAt;
        assert.ok(renewedAfter >= first.renewalSec * 1000 - 1000 && renewedAfter < first.renewalSec * 1000 + 1500, `renewed ${renewedAfter} ms after the ACK, T1 is ${first.renewalSec} s`);
        assert.ok(acks() > before);
        // RENEWING's REQUEST carries ciaddr: dnsmasq logs it as a renewal from the client's address.
        assert.match(srv.log(), new RegExp(`DHCPREQUEST\\(br0\\) ${first.address.replace(/\./g, '\\.')} `));
      } finally {
        await client.release();
      }
    });

    it('stop() ends maintenance without a release: the server keeps the lease', async () => {
      const c = lab.client();
      const client = await DhcpClient.acquire(options(c.path, { clientID: clientID('ctr-stop/dnet/eth0') }));
      const { address } = client.lease;
      // dnsmasq may hand out an address an earlier test released: only this client's part of the log counts.
      const since = srv.log().length;
      await client.stop();
      assert.equal(dhcpSockets(c), 0);
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(srv.leases().includes(` ${address} `));
      assert.doesNotMatch(srv.log().slice(since), new RegExp(`DHCPRELEASE\\(br0\\) ${address.replace(/\./g, '\\.')} `));
    });

    it('the link deleted: "link-gone" at the next wake-up, no release', async () => {
      const c = lab.client();
      const client = await DhcpClient.acquire(options(c.path, { clientID: clientID('ctr-gone/dnet/eth0') }));
      const { address } = client.lease;
      const since = srv.log().length;
      const gone = nextEvent(client, 'link-gone', 6000);
      c.exec('ip', ['link', 'del', 'eth0']);
      await gone;
      await client.stop();
      assert.doesNotMatch(srv.log().slice(since), new RegExp(`DHCPRELEASE\\(br0\\) ${address.replace(/\./g, '\\.')} `));
      assert.equal(dhcpSockets(c), 0);
    });

    it('several clients in parallel (distinct namespaces) get distinct addresses', async () => {
      const namespaces = [lab.client(), lab.client(), lab.client(), lab.client()];
      const clients = await Promise.all(namespaces.map((ns, i) => DhcpClient.acquire(options(ns.path, { clientID: clientID(`ctr-par${i}/dnet/eth0`) }))));
      try {
        const addresses = clients.map((x) => x.lease.address);
        assert.equal(new Set(addresses).size, 4, addresses.join(' '));
        for (const [i, x] of clients.entries()) {
          // dnsmasq writes its lease file after it has sent the ACK.
          await waitFor('the lease file', 3000, () => srv.leases().includes(` ${x.lease.address} `));
          const entry = srv.leases().split('\n').find((line) => line.includes(` ${x.lease.address} `));
          assert.equal(entry?.split(' ')[4], hexColon(clientID(`ctr-par${i}/dnet/eth0`)));
        }
      } finally {
        await Promise.all(clients.map((x) => x.release()));
      }
      for (const x of clients) await waitFor('releases', 3000, () => !srv.leases().includes(` ${x.lease.address} `));
    });

    it('resume of an expired stored lease asks for the same address again: "rebound"', async () => {
      const c = lab.client();
      const first = await DhcpClient.acquire(options(c.path, { clientID: clientID('ctr-resume/dnet/eth0') }));
      const stored = first.lease;
      await first.stop();
      const client = DhcpClient.resume(options(c.path, { clientID: clientID('ctr-resume/dnet/eth0') }), { ...stored, acquiredAt: Date.now() - 200_000 });
      try {
        const e = await nextEvent(client, 'rebound', 6000);
        assert.equal(e.type === 'rebound' && e.lease.address, stored.address);
        assert.equal(client.lease.address, stored.address);
      } finally {
        await client.release();
      }
    });
  });

  it('a lease that runs out with no server: "expired", link DOWN, worker ended', async () => {
    const c = lab.client();
    c.exec('ip', ['link', 'set', 'eth0', 'up']);
    const lease: Lease = {
      address: '10.123.0.77', prefixLength: 24, serverID: SERVER_IP, routers: [SERVER_IP], dns: [], search: [], staticRoutes: [],
      leaseTimeSec: 6, renewalSec: 3, rebindingSec: 5, acquiredAt: Date.now() - 4500,
    };
    const client = DhcpClient.resume(options(c.path), lease);
    const e = await nextEvent(client, 'expired', 5000);
    assert.deepEqual(e, { type: 'expired', reason: 'lease expired' });
    await client.stop();
    assert.ok(!linkOf(c)!.flags.includes('UP'), 'the link is set DOWN on expiry');
    assert.equal(dhcpSockets(c), 0);
  });

  it('no server: acquire rejects with "no more tries" after resendTimeout, no worker or socket left', async () => {
    const c = lab.client();
    const start = Date.now();
    await assert.rejects(DhcpClient.acquire(options(c.path, { timeoutMs: 400, resendTimeoutMs: 2500 })), { message: 'no more tries' });
    const took = Date.now() - start;
    assert.ok(took >= 2400 && took < 4000, `took ${took} ms`);
    assert.equal(dhcpSockets(c), 0);
  });

  it('a missing link or namespace: acquire rejects with the reference words', async () => {
    const c = lab.client();
    await assert.rejects(DhcpClient.acquire(options(c.path, { ifName: 'eth9' })), { message: 'error looking up "eth9": Link not found' });
    await assert.rejects(DhcpClient.acquire(options('/run/netns/tscni-dhcpc-missing')), {
      message: 'failed to Statfs "/run/netns/tscni-dhcpc-missing": no such file or directory',
    });
    assert.equal(dhcpSockets(c), 0);
  });
});
