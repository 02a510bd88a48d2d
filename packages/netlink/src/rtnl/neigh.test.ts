import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asInput, attr, encodeAttrs } from './attrs.js';
import { decodeBody, encodeBody } from './codec.js';
import { AF_INET, AF_INET6, AF_UNSPEC, RTM_GETNEIGH, RTM_NEWNEIGH } from './constants.js';
import { isExists, isNotFound } from './errors.js';
import {
  NDA_DST,
  NDA_LLADDR,
  NDA_PROBES,
  NTF_PROXY,
  NTF_ROUTER,
  NUD_NOARP,
  NUD_PERMANENT,
  NUD_REACHABLE,
  NUD_STALE,
  addNeigh,
  decodeNeighbour,
  deleteNeigh,
  encodeNeighbour,
  listNeighs,
  ndMsg,
  neighStateNames,
  replaceNeigh,
  type Neighbour,
  type NeighbourSpec,
} from './neigh.js';
import { ipIn, ipJson, scratchRtnl, type ScratchRtnl } from './testing/scratch-rtnl.js';

const roundTrip = (spec: NeighbourSpec): Neighbour => {
  const { header, attrs } = encodeNeighbour(spec);
  return decodeNeighbour(encodeBody(ndMsg, header, attrs));
};

describe('neighbour codec', () => {
  it('lays ndmsg out as the kernel does and reads it back', () => {
    const h = { family: AF_INET6, index: 7, state: NUD_REACHABLE, flags: NTF_ROUTER, type: 1 };
    const bytes = ndMsg.encode(h);
    assert.deepEqual([...bytes], [10, 0, 0, 0, 7, 0, 0, 0, 2, 0, 0x80, 1]);
    assert.deepEqual(ndMsg.decode(bytes), h);
  });
  it('encodes NDA_DST then NDA_LLADDR, permanent unless told otherwise', () => {
    const { header, attrs } = encodeNeighbour({ index: 3, address: '10.1.0.2', lladdr: '02:00:00:00:00:0a' });
    assert.deepEqual(header, { family: AF_INET, index: 3, state: NUD_PERMANENT, flags: 0, type: 0 });
    assert.deepEqual(attrs, [attr.ip(NDA_DST, '10.1.0.2'), attr.bytes(NDA_LLADDR, Uint8Array.of(2, 0, 0, 0, 0, 10))]);
  });
  it('round-trips both families, state, flags, type, and lladdrs of any length', () => {
    const v6: Neighbour = { family: 6, index: 4, address: 'fd01::9', lladdr: '02:00:00:00:00:0b', state: NUD_STALE, flags: NTF_ROUTER, type: 1 };
    assert.deepEqual(roundTrip(v6), v6);
    assert.deepEqual(roundTrip({ index: 1, address: 'FD01:0::1', lladdr: '0a:0b:0c:0d' }), {
      family: 6,
      index: 1,
      address: 'fd01::1',
      lladdr: '0a:0b:0c:0d',
      state: NUD_PERMANENT,
      flags: 0,
      type: 0,
    });
    assert.deepEqual(roundTrip({ index: 2, address: 'fd01::5', flags: NTF_PROXY, state: 0 }), { family: 6, index: 2, address: 'fd01::5', state: 0, flags: NTF_PROXY, type: 0 });
  });
  it('decodes NDA_PROBES', () => {
    const payload = encodeBody(ndMsg, { family: AF_INET, index: 2, state: NUD_STALE, flags: 0, type: 1 }, [attr.ip(NDA_DST, '10.1.0.3'), attr.u32(NDA_PROBES, 3)]);
    assert.equal(decodeNeighbour(payload).probes, 3);
  });
  it('refuses malformed link-layer addresses', () => {
    for (const bad of ['02:00:00:00:00:0g', '02-00-00-00-00-01', '', '02::01']) {
      assert.throws(() => encodeNeighbour({ index: 1, address: '10.1.0.1', lladdr: bad }), TypeError, bad);
    }
  });
  it("names states as `ip -json neigh` does", () => {
    assert.deepEqual(neighStateNames(NUD_PERMANENT), ['PERMANENT']);
    assert.deepEqual(neighStateNames(NUD_STALE | NUD_NOARP), ['STALE', 'NOARP']);
    assert.deepEqual(neighStateNames(0), ['NONE']);
  });
});

/** What `ip -json neigh` prints, as far as these tests read it. */
interface IpNeigh {
  dst: string;
  dev: string;
  lladdr?: string;
  state?: string[];
  router?: null;
  proxy?: null;
}

describe('neighbours against the kernel', () => {
  let s: ScratchRtnl;
  let va: number;
  let vc: number;
  const index = (dev: string): number => ipJson<{ ifindex: number }[]>(s.name, ['link', 'show', 'dev', dev])[0]!.ifindex;
  const ipNeighs = (args: readonly string[] = ['nud', 'all']): IpNeigh[] => ipJson<IpNeigh[]>(s.name, ['neigh', 'show', ...args]);
  /** Our entries in `ip`'s shape, for those `ip` lists. */
  const asIp = (n: Neighbour): IpNeigh => {
    const names = new Map(ipJson<{ ifindex: number; ifname: string }[]>(s.name, ['link', 'show']).map((l) => [l.ifindex, l.ifname]));
    const out: IpNeigh = { dst: n.address, dev: names.get(n.index) ?? String(n.index) };
    if (n.lladdr !== undefined) out.lladdr = n.lladdr;
    if (n.flags & NTF_ROUTER) out.router = null;
    if (n.flags & NTF_PROXY) out.proxy = null;
    return out;
  };
  const stateless = ({ state: _state, ...rest }: IpNeigh): IpNeigh => rest;

  before(() => {
    s = scratchRtnl();
    for (const args of [
      ['link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb'],
      ['link', 'add', 'vc', 'type', 'veth', 'peer', 'name', 'vd'],
      ['link', 'set', 'va', 'up'],
      ['link', 'set', 'vb', 'up'],
      ['link', 'set', 'vc', 'up'],
      ['link', 'set', 'vd', 'up'],
      ['addr', 'add', '10.1.0.1/24', 'dev', 'va'],
      ['addr', 'add', 'fd01::1/64', 'dev', 'va', 'nodad'],
    ]) {
      ipIn(s.name, args);
    }
    va = index('va');
    vc = index('vc');
  });
  after(() => s?.remove());

  it('adds permanent IPv4 and IPv6 entries that `ip neigh` shows', () => {
    addNeigh(s.rt, { index: va, address: '10.1.0.9', lladdr: '02:00:00:00:00:09' });
    addNeigh(s.rt, { index: va, address: 'fd01::9', lladdr: '02:00:00:00:00:0a', flags: NTF_ROUTER });
    const shown = ipNeighs(['dev', 'va']);
    assert.deepEqual(
      shown.filter((n) => n.dst.endsWith('9')),
      [
        { dst: '10.1.0.9', dev: 'va', lladdr: '02:00:00:00:00:09', state: ['PERMANENT'] },
        { dst: 'fd01::9', dev: 'va', lladdr: '02:00:00:00:00:0a', router: null, state: ['PERMANENT'] },
      ].map(({ dev: _dev, ...rest }) => rest as IpNeigh),
    );
    const [v4] = listNeighs(s.rt, { family: 4, index: va }).filter((n) => n.address === '10.1.0.9');
    assert.equal(v4?.state, NUD_PERMANENT);
    assert.equal(v4?.family, 4);
  });
  it('refuses a duplicate with EEXIST and replaces lladdr and state', () => {
    assert.throws(() => addNeigh(s.rt, { index: va, address: '10.1.0.9', lladdr: '02:00:00:00:00:09' }), (e: unknown) => isExists(e));
    replaceNeigh(s.rt, { index: va, address: '10.1.0.9', lladdr: '02:00:00:00:00:99', state: NUD_STALE });
    replaceNeigh(s.rt, { index: vc, address: '10.1.0.10', lladdr: '02:00:00:00:00:10', state: NUD_REACHABLE });
    const shown = ipNeighs().filter((n) => n.dst === '10.1.0.9' || n.dst === '10.1.0.10');
    assert.deepEqual(shown.sort((a, b) => a.dst.localeCompare(b.dst)), [
      { dst: '10.1.0.10', dev: 'vc', lladdr: '02:00:00:00:00:10', state: ['REACHABLE'] },
      { dst: '10.1.0.9', dev: 'va', lladdr: '02:00:00:00:00:99', state: ['STALE'] },
    ]);
  });
  it('lists what `ip neigh show nud all` shows, in the same order, with the same states', () => {
    const ours = listNeighs(s.rt);
    const theirs = ipNeighs();
    assert.deepEqual(ours.map(asIp), theirs.map(stateless));
    ours.forEach((n, i) => {
      if (theirs[i]!.state !== undefined) assert.deepEqual(neighStateNames(n.state), theirs[i]!.state);
    });
  });
  it('filters by family and link', () => {
    assert.ok(listNeighs(s.rt, { family: 6 }).every((n) => n.family === 6));
    assert.deepEqual(
      listNeighs(s.rt, { family: 4, index: vc }).map((n) => n.address),
      ['10.1.0.10'],
    );
    assert.deepEqual(listNeighs(s.rt, { index: vc }).map(asIp), ipNeighs(['nud', 'all', 'dev', 'vc']).map((n) => ({ ...stateless(n), dev: 'vc' })));
  });
  it('adds, lists and deletes proxy entries apart from ordinary ones', () => {
    addNeigh(s.rt, { index: va, address: 'fd01::5', flags: NTF_PROXY });
    addNeigh(s.rt, { index: va, address: '10.1.0.5', flags: NTF_PROXY });
    const proxies = listNeighs(s.rt, { proxy: true });
    assert.deepEqual(proxies.map(asIp), ipNeighs(['proxy']));
    assert.ok(proxies.every((n) => n.flags & NTF_PROXY));
    assert.equal(listNeighs(s.rt).some((n) => n.address === 'fd01::5'), false);
    for (const p of proxies) deleteNeigh(s.rt, p);
    assert.deepEqual(ipNeighs(['proxy']), []);
  });
  it('deletes entries, listed ones as they are, and reports a missing one as not found', () => {
    deleteNeigh(s.rt, { index: va, address: 'fd01::9' });
    const listed = listNeighs(s.rt, { family: 4 }).find((n) => n.address === '10.1.0.10');
    assert.ok(listed);
    deleteNeigh(s.rt, listed);
    assert.deepEqual(
      ipNeighs().filter((n) => n.dst === 'fd01::9' || n.dst === '10.1.0.10'),
      [],
    );
    assert.throws(() => deleteNeigh(s.rt, { index: va, address: 'fd01::9' }), (e: unknown) => isNotFound(e));
  });
  it('decodes a captured dump and re-encodes it: header and attributes byte for byte, entries unchanged', () => {
    const messages = s.rt.dump(RTM_GETNEIGH, ndMsg.encode({ family: AF_UNSPEC, index: 0, state: 0, flags: 0, type: 0 }));
    const entries = messages.filter((m) => m.type === RTM_NEWNEIGH && (m.payload[0] === AF_INET || m.payload[0] === AF_INET6));
    assert.ok(entries.length >= 2);
    for (const m of entries) {
      const { header, attrs } = decodeBody(ndMsg, m.payload);
      assert.deepEqual(ndMsg.encode(header), m.payload.subarray(0, 12));
      assert.deepEqual(encodeAttrs(asInput(attrs.list)), m.payload.subarray(12));
      const n = decodeNeighbour(m.payload);
      const { probes: _probes, ...rest } = n;
      assert.deepEqual(roundTrip(n), rest);
    }
  });
});
