import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { addAddr, addrRequest, decodeAddress, deleteAddr, ipv4Broadcast, listAddrs, parseCidr, replaceAddr, type Address } from './addr.js';
import { AttrSet, asInput, parseAttrs } from './attrs.js';
import { encodeBody, ifAddrMsg } from './codec.js';
import { AF_UNSPEC, RTM_GETADDR, RT_SCOPE_HOST, RT_SCOPE_LINK, scopeName } from './constants.js';
import { isExists, isNotFound } from './errors.js';
import { createLink, getLink, setLinkUp } from './link.js';
import { ipJson, scratchRtnl, type ScratchRtnl } from './testing/scratch-rtnl.js';

const hex = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('hex'));

describe('address helpers and codec', () => {
  it('parseCidr splits and canonicalises; a bare address is a host prefix', () => {
    assert.deepEqual(parseCidr('10.0.0.2/24'), { address: '10.0.0.2', prefixLength: 24 });
    assert.deepEqual(parseCidr('FD00:0::2/64'), { address: 'fd00::2', prefixLength: 64 });
    assert.deepEqual(parseCidr('fd00::2'), { address: 'fd00::2', prefixLength: 128 });
    for (const bad of ['10.0.0.2/33', '10.0.0.2/x', 'fd00::/129', 'nope/1']) assert.throws(() => parseCidr(bad), TypeError, bad);
  });
  it("ipv4Broadcast computes what `ip ... brd +/-` does, nothing for /31 and /32", () => {
    assert.equal(ipv4Broadcast('10.1.2.3', 24), '10.1.2.255');
    assert.equal(ipv4Broadcast('10.1.2.3', 24, '-'), '10.1.2.0');
    assert.equal(ipv4Broadcast('10.1.2.3', 30), '10.1.2.3');
    assert.equal(ipv4Broadcast('10.1.2.3', 1), '127.255.255.255');
    assert.equal(ipv4Broadcast('200.1.2.3', 0), '255.255.255.255');
    assert.equal(ipv4Broadcast('10.1.2.3', 31), undefined);
    assert.equal(ipv4Broadcast('10.1.2.3', 32), undefined);
  });
  it('an IPv4 request carries local, address, computed broadcast and label', () => {
    const { header, attrs } = addrRequest(3, { address: '10.1.2.3', prefixLength: 24, label: 'eth0:1', scope: RT_SCOPE_LINK });
    assert.deepEqual(header, { family: 2, prefixLength: 24, flags: 0, scope: 253, index: 3 });
    const a = AttrSet.parse(encodeBody(ifAddrMsg, header, attrs).subarray(8));
    assert.deepEqual([a.ip(2), a.ip(1), a.ip(4), a.string(3), a.has(8)], ['10.1.2.3', '10.1.2.3', '10.1.2.255', 'eth0:1', false]);
    const none = AttrSet.parse(encodeBody(ifAddrMsg, header, addrRequest(3, { address: '10.1.2.3', prefixLength: 24, broadcast: false }).attrs).subarray(8));
    assert.equal(none.has(4), false);
  });
  it('an IPv6 request puts flags beyond 8 bits in IFA_FLAGS and lifetimes in IFA_CACHEINFO', () => {
    const { header, attrs } = addrRequest(3, { address: 'fd00::2', prefixLength: 64, flags: { nodad: true, noprefixroute: true }, validLifetime: 300, preferredLifetime: 100, broadcast: '1.2.3.4' });
    assert.deepEqual(header, { family: 10, prefixLength: 64, flags: 0x02, scope: 0, index: 3 });
    const payload = encodeBody(ifAddrMsg, header, attrs);
    const a = AttrSet.parse(payload.subarray(8));
    assert.equal(a.u32(8), 0x202);
    assert.equal(a.has(4), false);
    assert.equal(hex(a.get(6)), '64000000' + '2c010000' + '00000000' + '00000000');
    const back = decodeAddress(payload);
    assert.deepEqual(
      [back.address, back.prefixLength, back.family, back.flags.nodad, back.flags.noprefixroute, back.flags.tentative, back.validLifetime, back.preferredLifetime],
      ['fd00::2', 64, 6, true, true, false, 300, 100],
    );
  });
  it('a point-to-point address keeps its peer apart', () => {
    const { header, attrs } = addrRequest(3, { address: '10.9.0.1', prefixLength: 32, peer: '10.9.0.2' });
    const back = decodeAddress(encodeBody(ifAddrMsg, header, attrs));
    assert.deepEqual([back.address, back.peer, back.broadcast], ['10.9.0.1', '10.9.0.2', undefined]);
  });
  it('scope names are those `ip` prints', () => {
    assert.deepEqual([0, 200, 253, 254, 255, 7].map(scopeName), ['global', 'site', 'link', 'host', 'nowhere', '7']);
  });
});

interface IpAddrInfo {
  family: string;
  local: string;
  address?: string;
  prefixlen: number;
  broadcast?: string;
  scope: string;
  label?: string;
  nodad?: boolean;
  noprefixroute?: boolean;
  tentative?: boolean;
  dadfailed?: boolean;
  dynamic?: boolean;
  valid_life_time: number;
  preferred_life_time: number;
}
const ipAddrs = (ns: string, dev: string): IpAddrInfo[] => ipJson<{ addr_info: IpAddrInfo[] }[]>(ns, ['addr', 'show', 'dev', dev])[0]?.addr_info ?? [];

/** The fields `ip -json addr` and Address share, from `ip`'s side. */
const fromIp = (a: IpAddrInfo): unknown[] => [a.local, a.prefixlen, a.broadcast, a.scope, a.label, a.family === 'inet6' ? 6 : 4, !a.dynamic];
const fromOurs = (a: Address): unknown[] => [a.address, a.prefixLength, a.broadcast, scopeName(a.scope), a.label, a.family, a.flags.permanent];

describe('addresses against the kernel', () => {
  let s: ScratchRtnl;
  before(() => {
    s = scratchRtnl();
    createLink(s.rt, { name: 'a0', info: { kind: 'veth', peer: { name: 'a1' } } });
    createLink(s.rt, { name: 'b0', info: { kind: 'veth', peer: { name: 'b1' } } });
  });
  after(() => s?.remove());

  it('adds IPv4 addresses with broadcast, label and scope, listed as `ip` lists them', () => {
    addAddr(s.rt, 'a0', { address: '10.1.2.3', prefixLength: 24, label: 'a0:x' });
    addAddr(s.rt, 'a0', { address: '10.1.3.3', prefixLength: 24, broadcast: '-' });
    addAddr(s.rt, 'a0', { address: '10.1.4.1', prefixLength: 31 });
    addAddr(s.rt, 'a0', { address: '10.1.5.1', prefixLength: 24, broadcast: false, scope: RT_SCOPE_HOST });
    addAddr(s.rt, 'a0', { address: '10.1.6.1', prefixLength: 24, broadcast: '10.1.6.128', scope: RT_SCOPE_LINK });
    addAddr(s.rt, 'a0', { address: '10.9.0.1', prefixLength: 32, peer: '10.9.0.2' });
    const ours = listAddrs(s.rt, { link: 'a0', family: 4 });
    const theirs = ipAddrs(s.name, 'a0').filter((a) => a.family === 'inet');
    assert.deepEqual(ours.map(fromOurs), theirs.map(fromIp));
    const byAddr = new Map(ours.map((a) => [a.address, a]));
    assert.deepEqual(
      ['10.1.2.3', '10.1.3.3', '10.1.4.1', '10.1.5.1', '10.1.6.1'].map((a) => byAddr.get(a)?.broadcast),
      ['10.1.2.255', '10.1.3.0', undefined, undefined, '10.1.6.128'],
    );
    assert.equal(byAddr.get('10.9.0.1')?.peer, '10.9.0.2');
    assert.equal(theirs.find((a) => a.local === '10.9.0.1')?.address, '10.9.0.2');
    assert.equal(byAddr.get('10.1.2.3')?.index, getLink(s.rt, 'a0').index);
  });
  it('adds IPv6 addresses with nodad and noprefixroute, in canonical text', () => {
    addAddr(s.rt, 'a0', { address: 'FD00:0:0:0::2', prefixLength: 64, flags: { nodad: true, noprefixroute: true } });
    const ours = listAddrs(s.rt, { link: 'a0', family: 6 }).find((a) => a.address === 'fd00::2');
    const theirs = ipAddrs(s.name, 'a0').find((a) => a.local === 'fd00::2');
    assert.ok(ours && theirs);
    assert.deepEqual(fromOurs(ours), fromIp(theirs));
    assert.deepEqual([ours.flags.nodad, ours.flags.noprefixroute, ours.flags.tentative], [theirs.nodad ?? false, theirs.noprefixroute ?? false, false]);
    assert.deepEqual([ours.flags.nodad, ours.flags.noprefixroute], [true, true]);
  });
  it('refuses a duplicate with EEXIST; replace updates it', () => {
    assert.throws(() => addAddr(s.rt, 'a0', { address: '10.1.2.3', prefixLength: 24 }), (e: unknown) => isExists(e));
    replaceAddr(s.rt, 'a0', { address: 'fd00::2', prefixLength: 64, flags: { nodad: true }, validLifetime: 300, preferredLifetime: 100 });
    const ours = listAddrs(s.rt, { link: 'a0', family: 6 }).find((a) => a.address === 'fd00::2');
    const theirs = ipAddrs(s.name, 'a0').find((a) => a.local === 'fd00::2');
    assert.equal(ours?.flags.permanent, false);
    assert.equal(theirs?.dynamic, true);
    assert.ok(ours?.validLifetime !== undefined && ours.validLifetime <= 300 && ours.validLifetime > 250, String(ours?.validLifetime));
    assert.ok(ours?.preferredLifetime !== undefined && ours.preferredLifetime <= 100);
  });
  it('lists by link and by family', () => {
    addAddr(s.rt, 'b0', { address: '10.2.0.1', prefixLength: 16 });
    addAddr(s.rt, 'b0', { address: 'fd02::1', prefixLength: 64, flags: { nodad: true } });
    const b0 = getLink(s.rt, 'b0').index;
    assert.deepEqual(
      listAddrs(s.rt, { link: 'b0' }).map((a) => `${a.address}/${a.prefixLength}`),
      ['10.2.0.1/16', 'fd02::1/64'],
    );
    assert.deepEqual(listAddrs(s.rt, { link: b0, family: 6 }).map((a) => a.address), ['fd02::1']);
    const all = listAddrs(s.rt);
    assert.ok(all.some((a) => a.address === '10.1.2.3') && all.some((a) => a.address === 'fd02::1'));
    assert.ok(listAddrs(s.rt, { family: 4 }).every((a) => a.family === 4));
  });
  it('deletes IPv4 and IPv6 addresses; a missing one is not found', () => {
    deleteAddr(s.rt, 'b0', { address: '10.2.0.1', prefixLength: 16 });
    deleteAddr(s.rt, 'b0', { address: 'fd02::1', prefixLength: 64 });
    assert.deepEqual(listAddrs(s.rt, { link: 'b0' }), []);
    assert.deepEqual(ipAddrs(s.name, 'b0'), []);
    assert.throws(() => deleteAddr(s.rt, 'b0', { address: '10.2.0.1', prefixLength: 16 }), (e: unknown) => isNotFound(e));
    assert.throws(() => deleteAddr(s.rt, 'b0', { address: 'fd02::1', prefixLength: 64 }), (e: unknown) => isNotFound(e));
    assert.throws(() => addAddr(s.rt, 'nope0', { address: '10.2.0.1', prefixLength: 16 }), (e: unknown) => isNotFound(e));
  });
  it('decodes tentative while DAD runs and dadfailed for a duplicate, as `ip` reports them', async () => {
    setLinkUp(s.rt, 'b0');
    setLinkUp(s.rt, 'b1');
    addAddr(s.rt, 'b1', { address: 'fd03::1', prefixLength: 64, flags: { nodad: true } });
    addAddr(s.rt, 'b0', { address: 'fd03::1', prefixLength: 64 });
    addAddr(s.rt, 'b0', { address: 'fd03::9', prefixLength: 64 });
    const tentative = listAddrs(s.rt, { link: 'b0', family: 6 }).find((a) => a.address === 'fd03::9');
    assert.equal(tentative?.flags.tentative, true);
    let dup: Address | undefined;
    for (let i = 0; i < 60 && !dup?.flags.dadfailed; i++) {
      await sleep(100);
      dup = listAddrs(s.rt, { link: 'b0', family: 6 }).find((a) => a.address === 'fd03::1');
    }
    assert.equal(dup?.flags.dadfailed, true);
    const theirs = ipAddrs(s.name, 'b0').find((a) => a.local === 'fd03::1');
    assert.equal(theirs?.dadfailed, true);
    assert.equal(dup?.flags.tentative, theirs?.tentative ?? false);
  });
  it("re-encodes the kernel's own address messages byte for byte", () => {
    const msgs = s.rt.dump(RTM_GETADDR, ifAddrMsg.encode({ family: AF_UNSPEC, prefixLength: 0, index: 0 }));
    assert.ok(msgs.length >= 8);
    for (const m of msgs) {
      const header = ifAddrMsg.decode(m.payload.subarray(0, 8));
      assert.equal(hex(encodeBody(ifAddrMsg, header, asInput(parseAttrs(m.payload.subarray(8))))), hex(m.payload));
    }
  });
});
