import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SysError } from '../sys-error.js';
import { LinkNotFoundError, RtnlError, isExists, isNotFound } from './errors.js';
import {
  createLink,
  deleteLink,
  getLink,
  linkIndex,
  listLinks,
  renameLink,
  setLink,
  setLinkAlias,
  setLinkAllmulti,
  setLinkDown,
  setLinkMac,
  setLinkMaster,
  setLinkMtu,
  setLinkNetns,
  setLinkNoMaster,
  setLinkPromisc,
  setLinkTxQueueLen,
  setLinkUp,
} from './link.js';
import { ipIn, ipJson, scratchRtnl, type ScratchRtnl } from './testing/scratch-rtnl.js';

interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  txqlen?: number;
  address?: string;
  operstate: string;
  master?: string;
  ifalias?: string;
  link?: string | null;
  link_index?: number;
  link_netnsid?: number;
  linkinfo?: { info_kind?: string; info_slave_kind?: string };
}

const show = (ns: string, name: string): IpLink => ipJson<IpLink[]>(ns, ['-d', 'link', 'show', 'dev', name])[0]!;

describe('links against the kernel', () => {
  let a: ScratchRtnl;
  let b: ScratchRtnl;
  before(() => {
    a = scratchRtnl();
    b = scratchRtnl();
  });
  after(() => {
    a?.remove();
    b?.remove();
  });

  it('gets lo by name and by index as `ip` shows it', () => {
    const lo = getLink(a.rt, 'lo');
    const ip = show(a.name, 'lo');
    assert.equal(lo.index, ip.ifindex);
    assert.equal(lo.name, 'lo');
    assert.equal(lo.mtu, ip.mtu);
    assert.equal(lo.mac, ip.address);
    assert.equal(lo.operState.toUpperCase(), ip.operstate);
    assert.equal(lo.flags.loopback, true);
    assert.equal(lo.hardwareType, 772);
    assert.equal(lo.kind, undefined);
    assert.deepEqual(getLink(a.rt, lo.index), lo);
    assert.equal(linkIndex(a.rt, 'lo'), lo.index);
    assert.equal(linkIndex(a.rt, 5), 5);
  });
  it('reports a missing link as LinkNotFoundError (isNotFound), by name and by index', () => {
    for (const ref of ['nope0', 424242]) {
      assert.throws(
        () => getLink(a.rt, ref),
        (e: unknown) => e instanceof LinkNotFoundError && e instanceof RtnlError && e instanceof SysError && isNotFound(e) && e.code === 'ENODEV' && e.link === ref,
      );
      assert.throws(() => deleteLink(a.rt, ref), (e: unknown) => isNotFound(e));
      assert.throws(() => setLinkUp(a.rt, ref), (e: unknown) => isNotFound(e));
    }
    assert.throws(() => getLink(a.rt, 'nope0'), { message: 'RTM_GETLINK: link "nope0" not found: no such device (ENODEV)' });
    assert.equal(isNotFound(new Error('x')), false);
  });
  it('creates a veth whose peer lands in another namespace by fd, with its own name, MAC and MTU', () => {
    createLink(a.rt, { name: 'eth0', mtu: 1400, mac: '02:00:00:00:0a:01', info: { kind: 'veth', peer: { name: 'vethpeer1', mac: '02:00:00:00:0b:01', mtu: 1400, netnsFd: b.ns.fd } } });
    const eth0 = getLink(a.rt, 'eth0');
    const peer = getLink(b.rt, 'vethpeer1');
    const ipEth0 = show(a.name, 'eth0');
    const ipPeer = show(b.name, 'vethpeer1');
    assert.equal(ipEth0.linkinfo?.info_kind, 'veth');
    assert.equal(ipEth0.mtu, 1400);
    assert.equal(ipEth0.address, '02:00:00:00:0a:01');
    assert.equal(ipPeer.mtu, 1400);
    assert.equal(ipPeer.address, '02:00:00:00:0b:01');
    assert.equal(eth0.kind, 'veth');
    assert.deepEqual(eth0.info, { kind: 'veth' });
    assert.equal(eth0.mac, '02:00:00:00:0a:01');
    assert.equal(eth0.parentIndex, peer.index);
    assert.equal(peer.parentIndex, eth0.index);
    assert.equal(eth0.linkNetnsId, ipEth0.link_netnsid);
    assert.notEqual(eth0.linkNetnsId, undefined);
  });
  it('refuses an existing name with EEXIST (isExists)', () => {
    assert.throws(() => createLink(a.rt, { name: 'eth0', info: { kind: 'veth', peer: { name: 'other0' } } }), (e: unknown) => isExists(e) && !isNotFound(e));
  });
  it('sets up and down', () => {
    setLinkUp(a.rt, 'eth0');
    assert.ok(show(a.name, 'eth0').flags.includes('UP'));
    assert.equal(getLink(a.rt, 'eth0').flags.up, true);
    setLinkDown(a.rt, 'eth0');
    assert.ok(!show(a.name, 'eth0').flags.includes('UP'));
    assert.equal(getLink(a.rt, 'eth0').flags.up, false);
  });
  it('renames, sets MTU, MAC, txqueuelen, promisc, allmulti and alias', () => {
    renameLink(a.rt, 'eth0', 'eth1');
    setLinkMtu(a.rt, 'eth1', 1280);
    setLinkMac(a.rt, 'eth1', '02:00:00:00:0a:02');
    setLinkTxQueueLen(a.rt, 'eth1', 123);
    setLinkPromisc(a.rt, 'eth1', true);
    setLinkAllmulti(a.rt, 'eth1', true);
    setLinkAlias(a.rt, 'eth1', 'container side');
    let ip = show(a.name, 'eth1');
    let link = getLink(a.rt, 'eth1');
    assert.equal(ip.mtu, 1280);
    assert.equal(ip.address, '02:00:00:00:0a:02');
    assert.equal(ip.txqlen, 123);
    assert.ok(ip.flags.includes('PROMISC') && ip.flags.includes('ALLMULTI'), ip.flags.join());
    assert.equal(ip.ifalias, 'container side');
    assert.deepEqual(
      [link.name, link.mtu, link.mac, link.txQueueLen, link.flags.promisc, link.flags.allMulti, link.alias],
      ['eth1', 1280, '02:00:00:00:0a:02', 123, true, true, 'container side'],
    );
    setLinkPromisc(a.rt, 'eth1', false);
    setLinkAllmulti(a.rt, 'eth1', false);
    setLinkAlias(a.rt, 'eth1', '');
    ip = show(a.name, 'eth1');
    link = getLink(a.rt, 'eth1');
    assert.ok(!ip.flags.includes('PROMISC') && !ip.flags.includes('ALLMULTI'));
    assert.equal(ip.ifalias, undefined);
    assert.equal(link.alias, undefined);
    assert.equal(link.flags.promisc, false);
  });
  it('applies several changes in one request', () => {
    setLink(a.rt, 'eth1', { name: 'eth2', mtu: 1300, up: true });
    const ip = show(a.name, 'eth2');
    assert.equal(ip.mtu, 1300);
    assert.ok(ip.flags.includes('UP'));
    setLinkDown(a.rt, 'eth2');
  });
  it('enslaves to a bridge and releases (master / nomaster)', () => {
    createLink(a.rt, { name: 'br0', info: { kind: 'bridge' } });
    setLinkMaster(a.rt, 'eth2', 'br0');
    assert.equal(show(a.name, 'eth2').master, 'br0');
    const port = getLink(a.rt, 'eth2');
    assert.equal(port.masterIndex, getLink(a.rt, 'br0').index);
    assert.equal(port.slaveKind, 'bridge');
    assert.equal(port.flags.slave, false);
    assert.equal(port.bridgePort?.learning, true);
    setLinkNoMaster(a.rt, 'eth2');
    assert.equal(show(a.name, 'eth2').master, undefined);
    assert.equal(getLink(a.rt, 'eth2').masterIndex, undefined);
  });
  it('lists every link, as `ip link show` does', () => {
    const ip = ipJson<IpLink[]>(a.name, ['link', 'show']);
    assert.deepEqual(
      listLinks(a.rt).map((l) => [l.index, l.name, l.mtu]),
      ip.map((l) => [l.ifindex, l.ifname, l.mtu]),
    );
  });
  it('moves a link to another namespace by fd', () => {
    setLinkNetns(a.rt, 'eth2', b.ns.fd);
    assert.throws(() => getLink(a.rt, 'eth2'), (e: unknown) => isNotFound(e));
    assert.equal(getLink(b.rt, 'eth2').kind, 'veth');
    assert.equal(show(b.name, 'eth2').ifname, 'eth2');
  });
  it('deletes by name and by index (a veth takes its peer along)', () => {
    deleteLink(b.rt, 'eth2');
    assert.throws(() => getLink(b.rt, 'vethpeer1'), (e: unknown) => isNotFound(e));
    deleteLink(a.rt, getLink(a.rt, 'br0').index);
    assert.deepEqual(
      listLinks(a.rt).map((l) => l.name),
      ['lo'],
    );
    assert.deepEqual(ipJson<IpLink[]>(b.name, ['link', 'show']).map((l) => l.ifname), ['lo']);
  });
  it('creates up, in another namespace, with a master', () => {
    createLink(a.rt, { name: 'br1', info: { kind: 'bridge' }, up: true });
    createLink(a.rt, { name: 'p0', up: true, masterIndex: getLink(a.rt, 'br1').index, info: { kind: 'veth', peer: { name: 'p1' } } });
    assert.equal(show(a.name, 'p0').master, 'br1');
    assert.ok(show(a.name, 'p0').flags.includes('UP'));
    assert.ok(show(a.name, 'br1').flags.includes('UP'));
    createLink(a.rt, { name: 'ifbx', netnsFd: b.ns.fd, info: { kind: 'ifb' } });
    assert.equal(getLink(b.rt, 'ifbx').kind, 'ifb');
    ipIn(a.name, ['link', 'del', 'p0']);
  });
});
