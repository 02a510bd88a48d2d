import assert from 'node:assert/strict';
import { after, beforeEach, afterEach, describe, it } from 'node:test';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import type { Result100 } from '@tscni/spec/result-types';
import { configureIface } from './configure-iface.js';

interface IpAddr {
  ifname: string;
  flags: string[];
  addr_info: { family: string; local: string; prefixlen: number }[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  nexthops?: { gateway: string; dev: string }[];
}

describe('configureIface', () => {
  let host: ScratchNetns;
  let cont: ScratchNetns;

  beforeEach(() => {
    host = scratchNetns('tscni-cfg-h-');
    cont = scratchNetns('tscni-cfg-c-');
    cont.exec('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0', 'netns', host.name]);
    // Neighbour discovery is not under test: let IPv6 addresses be usable at once.
    cont.exec('sysctl', ['-qw', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.eth0.accept_dad=0']);
    host.exec('ip', ['link', 'set', 'peer0', 'up']);
  });
  afterEach(() => {
    host?.remove();
    cont?.remove();
  });
  after(() => {
    host?.remove();
    cont?.remove();
  });

  const addrs = (): IpAddr => (JSON.parse(cont.exec('ip', ['-j', 'addr', 'show', 'eth0'])) as IpAddr[])[0]!;
  const routes = (family: '-4' | '-6'): IpRoute[] => JSON.parse(cont.exec('ip', ['-j', family, 'route', 'show'])) as IpRoute[];

  it('adds the addresses of this interface, brings it up and adds every route with the family gateway', async () => {
    const result: Result100 = {
      cniVersion: '1.1.0',
      interfaces: [{ name: 'eth0', sandbox: cont.path }],
      ips: [
        { interface: 0, address: '10.22.0.5/16', gateway: '10.22.0.1' },
        { interface: 0, address: 'fd00:22::5/64', gateway: 'fd00:22::1' },
        { address: '10.99.0.9/24' }, // no interface index: not for this link
      ],
      routes: [
        { dst: '0.0.0.0/0' },
        { dst: '::/0' },
        { dst: '192.168.77.0/24', gw: '10.22.0.254', priority: 50 },
        { dst: 'fd09::/64', gw: 'fd00:22::2' },
        { dst: 'fd09::/64', gw: 'fd00:22::3' },
      ],
    };
    await configureIface(cont.path, 'eth0', result);
    const a = addrs();
    assert.ok(a.flags.includes('UP'));
    const have = a.addr_info.map((x) => `${x.local}/${x.prefixlen}`);
    assert.ok(have.includes('10.22.0.5/16'));
    assert.ok(have.includes('fd00:22::5/64'));
    assert.ok(!have.includes('10.99.0.9/24'));
    const v4 = routes('-4');
    assert.ok(v4.some((r) => r.dst === 'default' && r.gateway === '10.22.0.1' && r.dev === 'eth0'));
    assert.ok(v4.some((r) => r.dst === '192.168.77.0/24' && r.gateway === '10.22.0.254' && r.metric === 50));
    const v6 = routes('-6');
    assert.ok(v6.some((r) => r.dst === 'default' && r.gateway === 'fd00:22::1'));
    const ecmp = v6.find((r) => r.dst === 'fd09::/64');
    assert.deepEqual(ecmp?.nexthops?.map((h) => h.gateway).sort(), ['fd00:22::2', 'fd00:22::3'], 'the second route joined the first');
    assert.equal(cont.exec('cat', ['/proc/sys/net/ipv6/conf/eth0/keep_addr_on_down']).trim(), '1');
  });

  it('turns IPv6 back on for lo and the interface before adding an IPv6 address', async () => {
    cont.exec('sysctl', ['-qw', 'net.ipv6.conf.eth0.disable_ipv6=1', 'net.ipv6.conf.lo.disable_ipv6=1']);
    await configureIface(cont.path, 'eth0', { cniVersion: '1.1.0', interfaces: [{ name: 'eth0' }], ips: [{ interface: 0, address: 'fd00:23::5/64' }] });
    assert.equal(cont.exec('cat', ['/proc/sys/net/ipv6/conf/eth0/disable_ipv6']).trim(), '0');
    assert.equal(cont.exec('cat', ['/proc/sys/net/ipv6/conf/lo/disable_ipv6']).trim(), '0');
    assert.ok(addrs().addr_info.some((x) => x.local === 'fd00:23::5'));
  });

  it("fails with the reference's messages", async () => {
    await assert.rejects(configureIface(cont.path, 'eth0', { cniVersion: '1.1.0', ips: [{ interface: 0, address: '10.0.0.2/24' }] }), /^Error: no interfaces to configure$/);
    await assert.rejects(
      configureIface(cont.path, 'eth0', { cniVersion: '1.1.0', interfaces: [{ name: 'eth1' }], ips: [{ interface: 0, address: '10.0.0.2/24' }] }),
      /^Error: failed to add IP addr 10\.0\.0\.2\/24 to "eth0": invalid interface index$/,
    );
    await assert.rejects(
      configureIface(cont.path, 'eth0', { cniVersion: '1.1.0', interfaces: [{ name: 'eth0' }], ips: [{ interface: 3, address: '10.0.0.2/24' }] }),
      /invalid interface index/,
    );
    await assert.rejects(
      configureIface(cont.path, 'eth0', {
          cniVersion: '1.1.0',
          interfaces: [{ name: 'eth0' }],
          ips: [{ interface: 0, address: '10.0.0.2/24' }],
          routes: [{ dst: '192.168.0.0/16', gw: '172.16.0.1' }],
        }),
      /^Error: failed to add route '192\.168\.0\.0\/16 via 172\.16\.0\.1 dev eth0 metric 0 \(Scope: universe, Table: 0\)': /,
    );
  });
});
