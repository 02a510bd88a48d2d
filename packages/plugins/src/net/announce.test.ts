import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { libc } from '@tscni/netlink/libc';
import { withNetNS } from '@tscni/netlink/netns';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { sleepSync } from './sleep.js';
import { enableNeighborNotify, gratuitousArpPacket, sendGratuitousArp, sendUnsolicitedNA, unsolicitedNAPacket } from './announce.js';

const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;

/** Opens a receiving socket inside `ns`, runs `send`, and returns the first packet `accept` takes. */
function receive(ns: string, socketArgs: [number, number, number], send: () => void, accept: (p: Uint8Array) => boolean): Uint8Array | undefined {
  const fd = withNetNS(ns, () => libc().socket(...socketArgs));
  try {
    const tv = new Uint8Array(16);
    new DataView(tv.buffer).setBigInt64(8, 200_000n, true); // 200 ms
    libc().setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv);
    send();
    const buf = new Uint8Array(2048);
    for (let i = 0; i < 20; i++) {
      let n: number;
      try {
        n = libc().recv(fd, buf, 0);
      } catch {
        return undefined;
      }
      const p = buf.slice(0, n);
      if (accept(p)) return p;
    }
    return undefined;
  } finally {
    libc().close(fd);
  }
}

describe('neighbour announcements', () => {
  let a: ScratchNetns;
  let b: ScratchNetns;
  let index = 0;
  let mac = '';

  before(() => {
    a = scratchNetns('tscni-garp-a-');
    b = scratchNetns('tscni-garp-b-');
    a.exec('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0', 'netns', b.name]);
    a.exec('sysctl', ['-qw', 'net.ipv6.conf.eth0.accept_dad=0']);
    b.exec('sysctl', ['-qw', 'net.ipv6.conf.peer0.accept_dad=0']);
    a.exec('ip', ['link', 'set', 'eth0', 'up']);
    b.exec('ip', ['link', 'set', 'peer0', 'up']);
    // The peer joins the all-nodes group once IPv6 is configured on it: wait for that.
    for (let i = 0; i < 60 && !b.exec('ip', ['-6', 'addr', 'show', 'dev', 'peer0']).includes('fe80::'); i++) sleepSync(50);
    sleepSync(100);
    const link = (JSON.parse(a.exec('ip', ['-j', 'link', 'show', 'eth0'])) as { ifindex: number; address: string }[])[0]!;
    index = link.ifindex;
    mac = link.address;
  });
  after(() => {
    a?.remove();
    b?.remove();
  });

  it('builds the ARP and NA packets byte by byte', () => {
    assert.deepEqual(
      Array.from(gratuitousArpPacket('02:00:00:00:00:01', '10.9.8.7')),
      [0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 9, 8, 7, 255, 255, 255, 255, 255, 255, 10, 9, 8, 7],
    );
    const na = unsolicitedNAPacket('02:00:00:00:00:01', 'fd00::5');
    assert.equal(na[0], 136);
    assert.equal(na[4], 0x20);
    assert.deepEqual(Array.from(na.subarray(24)), [2, 1, 2, 0, 0, 0, 0, 1]);
    assert.throws(() => gratuitousArpPacket(mac, 'fd00::1'), /needs an IPv4 address/);
    assert.throws(() => unsolicitedNAPacket(mac, '10.0.0.1'), /needs an IPv6 address/);
  });

  it('sends a gratuitous ARP that the peer sees', () => {
    const ETH_P_ARP_BE = 0x0608;
    const got = receive(b.path, [17, 2, ETH_P_ARP_BE], () => sendGratuitousArp(a.path, index, mac, '10.9.8.7'), (p) => p.length >= 28 && p[24] === 10 && p[25] === 9);
    assert.ok(got, 'an ARP packet for 10.9.8.7 arrived');
    assert.deepEqual(Array.from(got.subarray(14, 18)), [10, 9, 8, 7]);
  });

  it('sends an unsolicited neighbour advertisement that the peer sees', () => {
    const got = receive(b.path, [10, 3, 58], () => sendUnsolicitedNA(a.path, index, mac, 'fd00::5'), (p) => p[0] === 136);
    assert.ok(got, 'a neighbour advertisement arrived');
    assert.equal(got[4], 0x20);
  });

  it('turns on arp_notify and ndisc_notify in the namespace', () => {
    withNetNS(a.path, () => enableNeighborNotify('eth0'));
    assert.equal(a.exec('cat', ['/proc/sys/net/ipv4/conf/eth0/arp_notify']).trim(), '1');
    assert.equal(a.exec('cat', ['/proc/sys/net/ipv6/conf/eth0/ndisc_notify']).trim(), '1');
  });
});
