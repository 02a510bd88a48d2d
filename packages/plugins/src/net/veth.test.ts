import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NetNS } from '@tscni/netlink/netns';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { randomVethName, setupVeth } from './veth.js';

interface IpLink {
  ifname: string;
  mtu: number;
  address: string;
  operstate: string;
  flags: string[];
  link_netnsid?: number;
  linkinfo?: { info_kind: string };
}

const links = (ns: ScratchNetns): IpLink[] => JSON.parse(ns.exec('ip', ['-j', '-d', 'link', 'show'])) as IpLink[];

describe('setupVeth', () => {
  let host: ScratchNetns;
  let cont: ScratchNetns;
  let hostNS: NetNS;
  let contNS: NetNS;

  before(() => {
    host = scratchNetns('tscni-veth-h-');
    cont = scratchNetns('tscni-veth-c-');
    hostNS = NetNS.open(host.path);
    contNS = NetNS.open(cont.path);
  });
  after(() => {
    hostNS?.close();
    contNS?.close();
    host?.remove();
    cont?.remove();
  });

  it('names host ends veth + 8 hex', () => {
    assert.match(randomVethName(), /^veth[0-9a-f]{8}$/);
    assert.notEqual(randomVethName(), randomVethName());
  });

  it('creates both ends directly in their namespaces, host end up with accept_ra off', () => {
    const pair = setupVeth({ containerNS: contNS, containerIfName: 'eth0', hostNS, mtu: 1400, containerMac: '0a:58:0a:16:00:02' });
    assert.match(pair.host.name, /^veth[0-9a-f]{8}$/);
    assert.equal(pair.container.name, 'eth0');
    assert.equal(pair.container.mac, '0a:58:0a:16:00:02');
    const h = links(host).find((l) => l.ifname === pair.host.name);
    const c = links(cont).find((l) => l.ifname === 'eth0');
    assert.equal(h?.linkinfo?.info_kind, 'veth');
    assert.equal(h?.mtu, 1400);
    assert.equal(c?.mtu, 1400);
    assert.equal(c?.address, '0a:58:0a:16:00:02');
    assert.ok(h?.flags.includes('UP'), 'the host end is set up (it runs once the container end is up too)');
    assert.ok(!c?.flags.includes('UP'), 'the container end waits for its addresses');
    assert.equal(host.exec('cat', [`/proc/sys/net/ipv6/conf/${pair.host.name}/accept_ra`]).trim(), '0');
    assert.ok(!links(host).some((l) => l.ifname === 'eth0'), 'nothing named eth0 on the host side');
  });

  it("refuses a container name that exists, with the reference's message", () => {
    assert.throws(() => setupVeth({ containerNS: contNS, containerIfName: 'eth0', hostNS }), /^Error: container veth name \("eth0"\) peer provided \("veth[0-9a-f]{8}"\) already exists$/);
  });

  it('uses a fixed host name when given one, and refuses it when taken', () => {
    const pair = setupVeth({ containerNS: contNS, containerIfName: 'eth1', hostNS, hostVethName: 'tscnivh0' });
    assert.equal(pair.host.name, 'tscnivh0');
    assert.throws(() => setupVeth({ containerNS: contNS, containerIfName: 'eth2', hostNS, hostVethName: 'tscnivh0' }), /container veth name \("eth2"\) peer provided \("tscnivh0"\) already exists/);
    assert.ok(!links(cont).some((l) => l.ifname === 'eth2'), 'no half-made container end');
  });
});
