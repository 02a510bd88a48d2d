import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asInput, attr, encodeAttrs, parseAttrs } from './attrs.js';
import { decodeBody, encodeBody } from './codec.js';
import { AF_INET, AF_INET6, AF_UNSPEC, RTM_GETROUTE, RTM_NEWROUTE, RT_SCOPE_HOST, RT_SCOPE_LINK } from './constants.js';
import { isExists, isNotFound } from './errors.js';
import { anyPrefix, formatPrefix, parsePrefix } from './ip-prefix.js';
import {
  RTAX,
  RTA_DST,
  RTA_GATEWAY,
  RTA_METRICS,
  RTA_MULTIPATH,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_SRC,
  RTA_TABLE,
  RTA_VIA,
  RTNH_F_ONLINK,
  RTPROT_BOOT,
  RTPROT_STATIC,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
} from './route-consts.js';
import { decodeMultipath, decodeRoute, encodeMultipath, encodeRoute, routeNextHops, routeTypeNumber, rtMsg, type Route, type RouteSpec } from './route-msg.js';
import { addRoute, addRouteEcmp, appendRoute, deleteRoute, listRoutes, replaceRoute } from './route.js';
import { ipIn, ipJson, scratchRtnl, type ScratchRtnl } from './testing/scratch-rtnl.js';

const roundTrip = (spec: RouteSpec, defaults: 'new' | 'delete' = 'new'): Route => {
  const { header, attrs } = encodeRoute(spec, defaults);
  return decodeRoute(encodeBody(rtMsg, header, attrs));
};

describe('IP prefixes', () => {
  it('parses prefixes and bare addresses to canonical text', () => {
    assert.deepEqual(parsePrefix('10.1.0.0/24'), { address: '10.1.0.0', length: 24, family: 4 });
    assert.deepEqual(parsePrefix('FD00:0::1/64'), { address: 'fd00::1', length: 64, family: 6 });
    assert.deepEqual(parsePrefix('10.1.0.7'), { address: '10.1.0.7', length: 32, family: 4 });
    assert.deepEqual(parsePrefix('::'), { address: '::', length: 128, family: 6 });
    assert.deepEqual(parsePrefix('0.0.0.0/0'), { address: '0.0.0.0', length: 0, family: 4 });
  });
  it('refuses bad lengths and addresses', () => {
    for (const bad of ['10.1.0.0/33', 'fd00::/129', '10.1.0.0/', '10.1.0.0/x', '10.1.0/24', 'default', '10.1.0.0/+8']) {
      assert.throws(() => parsePrefix(bad), TypeError, bad);
    }
  });
  it('formats bytes and the match-all prefix of each family', () => {
    assert.equal(formatPrefix(Uint8Array.of(10, 1, 0, 0), 24), '10.1.0.0/24');
    assert.equal(anyPrefix(4), '0.0.0.0/0');
    assert.equal(anyPrefix(6), '::/0');
  });
});

describe('route codec', () => {
  it('lays rtmsg out as the kernel does and reads it back', () => {
    const h = { family: AF_INET6, dstLength: 64, srcLength: 8, tos: 4, table: 200, protocol: 4, scope: 253, type: 7, flags: 0x1004 };
    const bytes = rtMsg.encode(h);
    assert.deepEqual([...bytes], [10, 64, 8, 4, 200, 4, 253, 7, 0x04, 0x10, 0, 0]);
    assert.deepEqual(rtMsg.decode(bytes), h);
  });
  it('encodes a full route in Go netlink order with the defaults of a new route', () => {
    const { header, attrs } = encodeRoute(
      { dst: '10.9.0.0/24', gateway: '10.1.0.2', oif: 3, priority: 50, prefsrc: '10.1.0.1', metrics: { advmss: 1300, mtu: 1400 } },
      'new',
    );
    assert.deepEqual(header, { family: AF_INET, dstLength: 24, srcLength: 0, tos: 0, table: RT_TABLE_MAIN, protocol: RTPROT_BOOT, scope: 0, type: 1, flags: 0 });
    assert.deepEqual(
      attrs.map((a) => a.type),
      [RTA_DST, RTA_PREFSRC, RTA_GATEWAY, RTA_PRIORITY, RTA_METRICS, RTA_OIF],
    );
    // Metrics go in RTAX order whatever order the object has.
    assert.deepEqual(attrs[4], attr.nested(RTA_METRICS, [attr.u32(RTAX.mtu, 1400), attr.u32(RTAX.advmss, 1300)]));
    assert.deepEqual(attrs[0], attr.ip(RTA_DST, '10.9.0.0'));
  });
  it('puts tables above 255 in RTA_TABLE with rtm_table unspec, smaller ones in the header only', () => {
    const big = encodeRoute({ dst: '10.9.0.0/24', table: 30000 }, 'new');
    assert.equal(big.header.table, RT_TABLE_UNSPEC);
    assert.deepEqual(big.attrs.find((a) => a.type === RTA_TABLE), attr.u32(RTA_TABLE, 30000));
    const small = encodeRoute({ dst: '10.9.0.0/24', table: 100 }, 'new');
    assert.equal(small.header.table, 100);
    assert.equal(small.attrs.find((a) => a.type === RTA_TABLE), undefined);
    assert.equal(roundTrip({ dst: '10.9.0.0/24', table: 30000 }).table, 30000);
    assert.equal(roundTrip({ dst: '10.9.0.0/24', table: 255 }).table, 255);
  });
  it('leaves RTA_DST out of default routes and decodes its absence as the match-all prefix', () => {
    for (const dst of ['0.0.0.0/0', '::/0']) {
      const { header, attrs } = encodeRoute({ dst, gateway: dst === '::/0' ? 'fd01::1' : '10.1.0.1' }, 'new');
      assert.equal(header.dstLength, 0);
      assert.equal(attrs.some((a) => a.type === RTA_DST), false);
      assert.equal(roundTrip({ dst }).dst, dst);
    }
  });
  it('takes a bare address as a host route', () => {
    assert.equal(roundTrip({ dst: '10.1.0.7' }).dst, '10.1.0.7/32');
    assert.equal(roundTrip({ dst: 'fd01::7' }).dst, 'fd01::7/128');
  });
  it('scopes new routes as the kernel requires for their type, deletions match any', () => {
    assert.equal(encodeRoute({ dst: '10.1.0.1', type: 'local' }, 'new').header.scope, RT_SCOPE_HOST);
    assert.equal(encodeRoute({ dst: '10.1.0.255', type: 'broadcast' }, 'new').header.scope, RT_SCOPE_LINK);
    assert.equal(encodeRoute({ dst: '10.1.0.0/24', type: 'blackhole' }, 'new').header.scope, 0);
    assert.equal(encodeRoute({ dst: '10.1.0.0/24', scope: RT_SCOPE_LINK }, 'new').header.scope, RT_SCOPE_LINK);
    const del = encodeRoute({ dst: '10.1.0.0/24' }, 'delete').header;
    assert.deepEqual({ scope: del.scope, protocol: del.protocol, type: del.type, table: del.table }, { scope: 255, protocol: 0, type: 0, table: RT_TABLE_MAIN });
  });
  it('round-trips every attribute it encodes', () => {
    const v4: Route = {
      family: 4,
      dst: '10.9.0.0/24',
      table: 30000,
      type: 'unicast',
      protocol: RTPROT_STATIC,
      scope: RT_SCOPE_LINK,
      tos: 8,
      flags: RTNH_F_ONLINK,
      oif: 3,
      gateway: '10.1.0.2',
      priority: 77,
      prefsrc: '10.1.0.1',
      metrics: { mtu: 1400, advmss: 1360, hoplimit: 9, initcwnd: 10, lock: 2, ccAlgo: 'cubic' },
    };
    assert.deepEqual(roundTrip(v4), v4);
    const v6: Route = { family: 6, dst: 'fd09::/64', from: 'fd0a::/48', table: 254, type: 'unreachable', protocol: 3, scope: 0, tos: 0, flags: 0, priority: 1024 };
    assert.deepEqual(roundTrip(v6), v6);
    const { attrs } = encodeRoute(v6, 'new');
    assert.deepEqual(attrs.find((a) => a.type === RTA_SRC), attr.ip(RTA_SRC, 'fd0a::'));
  });
  it('lays out RTA_MULTIPATH as rtnexthop records each followed by its gateway', () => {
    const bytes = encodeMultipath(4, [
      { gateway: '10.1.0.2', oif: 3 },
      { gateway: '10.2.0.2', oif: 5, weight: 3, flags: RTNH_F_ONLINK },
    ]);
    // len=16, flags, hops=weight-1, ifindex; then RTA_GATEWAY (len 8, type 5, address).
    assert.deepEqual(
      [...bytes],
      [16, 0, 0, 0, 3, 0, 0, 0, 8, 0, 5, 0, 10, 1, 0, 2, 16, 0, 4, 2, 5, 0, 0, 0, 8, 0, 5, 0, 10, 2, 0, 2],
    );
    assert.deepEqual(decodeMultipath(bytes), [
      { oif: 3, gateway: '10.1.0.2', weight: 1, flags: 0 },
      { oif: 5, gateway: '10.2.0.2', weight: 3, flags: RTNH_F_ONLINK },
    ]);
    assert.deepEqual(decodeMultipath(encodeMultipath(6, [{ oif: 2 }, { gateway: 'fd01::2', oif: 2, weight: 256 }])), [
      { oif: 2, weight: 1, flags: 0 },
      { oif: 2, gateway: 'fd01::2', weight: 256, flags: 0 },
    ]);
  });
  it('refuses weights outside 1..256 and malformed rtnexthop lengths', () => {
    assert.throws(() => encodeMultipath(4, [{ oif: 1, weight: 0 }]), RangeError);
    assert.throws(() => encodeMultipath(4, [{ oif: 1, weight: 257 }]), RangeError);
    assert.throws(() => decodeMultipath(Uint8Array.of(40, 0, 0, 0, 1, 0, 0, 0)), RangeError);
  });
  it('sends an IPv6 gateway of an IPv4 route as RTA_VIA (struct rtvia) and reads it back', () => {
    const { attrs } = encodeRoute({ dst: '10.5.0.0/24', gateway: 'fd01::2', oif: 3 }, 'new');
    const via = attrs.find((a) => a.type === RTA_VIA);
    assert.ok(via && 'value' in via);
    assert.deepEqual([...via.value.subarray(0, 2)], [AF_INET6, 0]);
    assert.equal(via.value.length, 18);
    assert.equal(roundTrip({ dst: '10.5.0.0/24', gateway: 'fd01::2' }).gateway, 'fd01::2');
    const hops = decodeMultipath(encodeMultipath(4, [{ gateway: 'fd01::2', oif: 3 }]));
    assert.deepEqual(hops, [{ oif: 3, gateway: 'fd01::2', weight: 1, flags: 0 }]);
  });
  it('gives the paths of single and multipath routes alike', () => {
    const single = roundTrip({ dst: '10.9.0.0/24', gateway: '10.1.0.2', oif: 3 });
    assert.deepEqual(routeNextHops(single), [{ oif: 3, gateway: '10.1.0.2', weight: 1, flags: 0 }]);
    const multi = roundTrip({ dst: 'fd09::/64', multipath: [{ gateway: 'fd01::2', oif: 3 }, { gateway: 'fd02::2', oif: 4 }] });
    assert.deepEqual(
      routeNextHops(multi).map((h) => h.gateway),
      ['fd01::2', 'fd02::2'],
    );
  });
  it('numbers route types as the kernel does', () => {
    assert.deepEqual(
      (['unicast', 'local', 'broadcast', 'blackhole', 'unreachable', 'prohibit', 'throw'] as const).map(routeTypeNumber),
      [1, 2, 3, 6, 7, 8, 9],
    );
  });
});

/** What `ip -json route` prints, as far as these tests read it. */
interface IpRoute {
  type?: string;
  dst: string;
  gateway?: string;
  via?: { family: string; host: string };
  dev?: string;
  table?: string;
  protocol?: string;
  scope?: string;
  metric?: number;
  prefsrc?: string;
  flags: string[];
  metrics?: { mtu?: number; advmss?: number }[];
  nexthops?: { gateway?: string; dev: string; weight: number; flags: string[] }[];
}

const TABLES: Readonly<Record<string, number>> = { main: 254, local: 255, default: 253 };
const PROTOCOLS: Readonly<Record<string, number>> = { redirect: 1, kernel: 2, boot: 3, static: 4, ra: 9, dhcp: 16 };
const SCOPES: Readonly<Record<string, number>> = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 };

/** The fields both sides report, in one shape. */
interface RouteView {
  family: 4 | 6;
  dst: string;
  table: number;
  type: string;
  protocol: number;
  scope: number;
  onlink: boolean;
  priority?: number;
  gateway?: string;
  oif?: number;
  prefsrc?: string;
  metrics?: { mtu?: number; advmss?: number };
  hops?: { gateway?: string; oif: number; weight: number }[];
}

function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** `table` is the one `ip` was asked for: it leaves that table's name out of its output. */
function viewOfIp(family: 4 | 6, r: IpRoute, index: (dev: string) => number, table: number): RouteView {
  const dst = r.dst === 'default' ? anyPrefix(family) : r.dst.includes('/') ? r.dst : `${r.dst}/${family === 4 ? 32 : 128}`;
  return clean<RouteView>({
    family,
    dst,
    table: r.table === undefined ? table : (TABLES[r.table] ?? Number(r.table)),
    type: r.type ?? 'unicast',
    protocol: r.protocol === undefined ? RTPROT_BOOT : (PROTOCOLS[r.protocol] ?? Number(r.protocol)),
    scope: r.scope === undefined ? 0 : (SCOPES[r.scope] ?? Number(r.scope)),
    onlink: r.flags.includes('onlink'),
    priority: r.metric,
    gateway: r.gateway ?? r.via?.host,
    oif: r.dev === undefined ? undefined : index(r.dev),
    prefsrc: r.prefsrc,
    metrics: r.metrics?.[0],
    hops: r.nexthops?.map((h) => clean({ gateway: h.gateway, oif: index(h.dev), weight: h.weight })),
  });
}

function viewOfRoute(r: Route): RouteView {
  return clean<RouteView>({
    family: r.family,
    dst: r.dst,
    table: r.table,
    type: r.type,
    protocol: r.protocol,
    scope: r.scope,
    onlink: (r.flags & RTNH_F_ONLINK) !== 0,
    priority: r.priority,
    gateway: r.gateway,
    oif: r.oif,
    prefsrc: r.prefsrc,
    metrics: r.metrics === undefined ? undefined : clean({ mtu: r.metrics.mtu, advmss: r.metrics.advmss }),
    hops: r.multipath?.map((h) => clean({ gateway: h.gateway, oif: h.oif, weight: h.weight })),
  });
}

describe('routes against the kernel', () => {
  let s: ScratchRtnl;
  let va: number;
  let vc: number;
  const index = (dev: string): number => ipJson<{ ifindex: number }[]>(s.name, ['link', 'show', 'dev', dev])[0]!.ifindex;
  /** `ip` and listRoutes agree on every route of the family in every table. */
  const ipView = (family: 4 | 6, args: readonly string[] = ['table', 'all']): RouteView[] => {
    const named = args[args.indexOf('table') + 1];
    const table = args.includes('table') && named !== 'all' ? Number(named) : RT_TABLE_MAIN;
    return ipJson<IpRoute[]>(s.name, [`-${family}`, 'route', 'show', ...args]).map((r) => viewOfIp(family, r, index, table));
  };
  const ours = (family: 4 | 6, dst: string, table = RT_TABLE_MAIN): RouteView[] => listRoutes(s.rt, { family, dst, table }).map(viewOfRoute);
  const theirs = (family: 4 | 6, dst: string, table: number | 'all' = RT_TABLE_MAIN): RouteView[] =>
    ipView(family, ['table', String(table), 'exact', dst === anyPrefix(family) ? 'default' : dst]);

  before(() => {
    s = scratchRtnl();
    for (const args of [
      ['link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb'],
      ['link', 'add', 'vc', 'type', 'veth', 'peer', 'name', 'vd'],
      ['link', 'set', 'lo', 'up'],
      ['link', 'set', 'va', 'up'],
      ['link', 'set', 'vb', 'up'],
      ['link', 'set', 'vc', 'up'],
      ['link', 'set', 'vd', 'up'],
      ['addr', 'add', '10.1.0.1/24', 'dev', 'va'],
      ['addr', 'add', '10.2.0.1/24', 'dev', 'vc'],
      ['addr', 'add', 'fd01::1/64', 'dev', 'va', 'nodad'],
      ['addr', 'add', 'fd02::1/64', 'dev', 'vc', 'nodad'],
    ]) {
      ipIn(s.name, args);
    }
    va = index('va');
    vc = index('vc');
  });
  after(() => s?.remove());

  it('lists what `ip route show table all` shows, both families, kernel routes included', () => {
    for (const family of [4, 6] as const) {
      const got = listRoutes(s.rt, { family, table: RT_TABLE_UNSPEC }).map(viewOfRoute);
      assert.deepEqual(got, ipView(family));
      assert.ok(got.some((r) => r.table === RT_TABLE_LOCAL && r.type === 'local'));
    }
  });
  it('lists the main table by default, both families when none is named', () => {
    const all = listRoutes(s.rt);
    assert.ok(all.every((r) => r.table === RT_TABLE_MAIN));
    assert.deepEqual(new Set(all.map((r) => r.family)), new Set([4, 6]));
    assert.deepEqual(all.map(viewOfRoute), [...ipView(4, []), ...ipView(6, [])]);
  });
  it('adds an IPv4 route with gateway, metric, table above 255, protocol, scope, prefsrc and metrics', () => {
    const spec: RouteSpec = { dst: '10.9.0.0/24', gateway: '10.1.0.2', oif: va, priority: 50, table: 30000, protocol: RTPROT_STATIC, prefsrc: '10.1.0.1', metrics: { mtu: 1400, advmss: 1300 } };
    addRoute(s.rt, spec);
    const [r, ...rest] = listRoutes(s.rt, { family: 4, table: 30000 });
    assert.deepEqual(rest, []);
    assert.deepEqual(r, { family: 4, dst: '10.9.0.0/24', table: 30000, type: 'unicast', protocol: RTPROT_STATIC, scope: 0, tos: 0, flags: 0, oif: va, gateway: '10.1.0.2', priority: 50, prefsrc: '10.1.0.1', metrics: { mtu: 1400, advmss: 1300 } });
    assert.deepEqual(ours(4, '10.9.0.0/24', 30000), theirs(4, '10.9.0.0/24', 30000));
    assert.equal(ipIn(s.name, ['route', 'show', 'table', '30000']).trim(), '10.9.0.0/24 via 10.1.0.2 dev va proto static src 10.1.0.1 metric 50 mtu 1400 advmss 1300');
  });
  it('refuses a duplicate with EEXIST, replaces, deletes, then reports ESRCH', () => {
    const spec: RouteSpec = { dst: '10.8.0.0/24', gateway: '10.1.0.2', oif: va };
    addRoute(s.rt, spec);
    assert.throws(() => addRoute(s.rt, spec), (e: unknown) => isExists(e));
    replaceRoute(s.rt, { dst: '10.8.0.0/24', gateway: '10.2.0.2', oif: vc });
    assert.deepEqual(
      theirs(4, '10.8.0.0/24').map((r) => [r.gateway, r.oif]),
      [['10.2.0.2', vc]],
    );
    assert.deepEqual(ours(4, '10.8.0.0/24'), theirs(4, '10.8.0.0/24'));
    deleteRoute(s.rt, { dst: '10.8.0.0/24' });
    assert.deepEqual(theirs(4, '10.8.0.0/24'), []);
    assert.throws(() => deleteRoute(s.rt, { dst: '10.8.0.0/24' }), (e: unknown) => isNotFound(e) && (e as { code: string }).code === 'ESRCH');
  });
  it('adds, replaces and deletes IPv6 routes', () => {
    addRoute(s.rt, { dst: 'fd07::/64', gateway: 'fd01::2', oif: va, priority: 300 });
    assert.throws(() => addRoute(s.rt, { dst: 'fd07::/64', gateway: 'fd01::2', oif: va, priority: 300 }), (e: unknown) => isExists(e));
    replaceRoute(s.rt, { dst: 'fd07::/64', gateway: 'fd02::2', oif: vc, priority: 300 });
    const view = theirs(6, 'fd07::/64');
    assert.deepEqual(
      view.map((r) => [r.gateway, r.oif, r.priority]),
      [['fd02::2', vc, 300]],
    );
    assert.deepEqual(ours(6, 'fd07::/64'), view);
    deleteRoute(s.rt, { dst: 'fd07::/64', priority: 300 });
    assert.deepEqual(theirs(6, 'fd07::/64'), []);
    assert.throws(() => deleteRoute(s.rt, { dst: 'fd07::/64' }), (e: unknown) => isNotFound(e));
  });
  it('adds default routes in both families (no RTA_DST) and lists them as the match-all prefix', () => {
    addRoute(s.rt, { dst: '0.0.0.0/0', gateway: '10.1.0.254', oif: va });
    addRoute(s.rt, { dst: '::/0', gateway: 'fd01::fe', oif: va });
    assert.deepEqual(
      ipJson<IpRoute[]>(s.name, ['-4', 'route', 'show', 'default']).map((r) => [r.dst, r.gateway]),
      [['default', '10.1.0.254']],
    );
    for (const family of [4, 6] as const) {
      const dst = anyPrefix(family);
      const got = listRoutes(s.rt, { family, dst });
      assert.equal(got.length, 1);
      assert.deepEqual(got.map(viewOfRoute), theirs(family, dst));
      deleteRoute(s.rt, got[0]!);
      assert.deepEqual(listRoutes(s.rt, { family, dst }), []);
    }
  });
  it('adds the ECMP way (Go RouteAddEcmp): IPv6 gateways join one multipath route, IPv4 routes go in front', () => {
    addRouteEcmp(s.rt, { dst: 'fd09::/64', gateway: 'fd01::2', oif: va });
    addRouteEcmp(s.rt, { dst: 'fd09::/64', gateway: 'fd02::2', oif: vc });
    assert.throws(() => addRouteEcmp(s.rt, { dst: 'fd09::/64', gateway: 'fd02::2', oif: vc }), (e: unknown) => isExists(e));
    const v6 = listRoutes(s.rt, { family: 6, dst: 'fd09::/64' });
    // One multipath message on current kernels, one message per path on old ones.
    assert.deepEqual(
      v6.flatMap(routeNextHops).map((h) => [h.gateway, h.oif]),
      [
        ['fd01::2', va],
        ['fd02::2', vc],
      ],
    );
    assert.deepEqual(v6.map(viewOfRoute), theirs(6, 'fd09::/64'));

    addRouteEcmp(s.rt, { dst: '10.7.0.0/24', gateway: '10.1.0.2', oif: va });
    addRouteEcmp(s.rt, { dst: '10.7.0.0/24', gateway: '10.2.0.2', oif: vc });
    const v4 = theirs(4, '10.7.0.0/24');
    assert.deepEqual(
      v4.map((r) => r.gateway),
      ['10.2.0.2', '10.1.0.2'],
    );
    assert.deepEqual(ours(4, '10.7.0.0/24'), v4);
    assert.throws(() => addRouteEcmp(s.rt, { dst: '10.7.0.0/24', gateway: '10.2.0.2', oif: vc }), (e: unknown) => isExists(e));
  });
  it('appends: IPv4 routes queue behind, IPv6 gateways join the multipath route', () => {
    addRoute(s.rt, { dst: '10.6.0.0/24', gateway: '10.1.0.2', oif: va });
    appendRoute(s.rt, { dst: '10.6.0.0/24', gateway: '10.2.0.2', oif: vc });
    assert.deepEqual(
      theirs(4, '10.6.0.0/24').map((r) => r.gateway),
      ['10.1.0.2', '10.2.0.2'],
    );
    assert.deepEqual(ours(4, '10.6.0.0/24'), theirs(4, '10.6.0.0/24'));
    addRoute(s.rt, { dst: 'fd06::/64', gateway: 'fd01::2', oif: va });
    appendRoute(s.rt, { dst: 'fd06::/64', gateway: 'fd02::2', oif: vc });
    const [r] = listRoutes(s.rt, { family: 6, dst: 'fd06::/64' });
    assert.deepEqual(
      routeNextHops(r!).map((h) => h.gateway),
      ['fd01::2', 'fd02::2'],
    );
    assert.deepEqual(ours(6, 'fd06::/64'), theirs(6, 'fd06::/64'));
    // A listed multipath route deletes itself whole.
    deleteRoute(s.rt, r!);
    assert.deepEqual(theirs(6, 'fd06::/64'), []);
  });
  it('adds explicit multipath routes with weights in both families', () => {
    addRoute(s.rt, { dst: '10.5.0.0/24', multipath: [{ gateway: '10.1.0.2', oif: va, weight: 2 }, { gateway: '10.2.0.2', oif: vc }] });
    addRoute(s.rt, { dst: 'fd05::/64', multipath: [{ gateway: 'fd01::2', oif: va }, { gateway: 'fd02::2', oif: vc, weight: 5 }] });
    const [v4] = listRoutes(s.rt, { family: 4, dst: '10.5.0.0/24' });
    assert.deepEqual(v4?.multipath, [
      { oif: va, gateway: '10.1.0.2', weight: 2, flags: 0 },
      { oif: vc, gateway: '10.2.0.2', weight: 1, flags: 0 },
    ]);
    assert.equal(v4?.oif, undefined);
    assert.deepEqual(ours(4, '10.5.0.0/24'), theirs(4, '10.5.0.0/24'));
    assert.deepEqual(ours(6, 'fd05::/64'), theirs(6, 'fd05::/64'));
    assert.deepEqual(
      listRoutes(s.rt, { family: 6, dst: 'fd05::/64' })[0]?.multipath?.map((h) => h.weight),
      [1, 5],
    );
  });
  it('sends an IPv6 gateway for an IPv4 route as RTA_VIA', () => {
    addRoute(s.rt, { dst: '10.4.0.0/24', gateway: 'fd01::2', oif: va });
    const [ip] = ipJson<IpRoute[]>(s.name, ['-4', 'route', 'show', 'exact', '10.4.0.0/24']);
    assert.deepEqual(ip?.via, { family: 'inet6', host: 'fd01::2' });
    assert.equal(listRoutes(s.rt, { family: 4, dst: '10.4.0.0/24' })[0]?.gateway, 'fd01::2');
  });
  it('adds blackhole, unreachable, prohibit, throw and local routes', () => {
    const table = 20000 + Math.floor(Math.random() * 10000);
    const types = ['blackhole', 'unreachable', 'prohibit', 'throw'] as const;
    types.forEach((type, i) => addRoute(s.rt, { dst: `10.3.${i}.0/24`, type, table }));
    addRoute(s.rt, { dst: 'fd03::/64', type: 'unreachable', table });
    addRoute(s.rt, { dst: '10.3.9.9', type: 'local', oif: va, table });
    const got = listRoutes(s.rt, { table, family: 4 });
    assert.deepEqual(
      got.map((r) => [r.dst, r.type]).sort(),
      [...types.map((t, i) => [`10.3.${i}.0/24`, t]), ['10.3.9.9/32', 'local']].sort(),
    );
    assert.equal(got.find((r) => r.type === 'local')?.scope, RT_SCOPE_HOST);
    assert.deepEqual(got.map(viewOfRoute), ipView(4, ['table', String(table)]));
    assert.deepEqual(listRoutes(s.rt, { table, family: 6 }).map(viewOfRoute), ipView(6, ['table', String(table)]));
  });
  it("adds ptp's container routes: a link-scope host route to the gateway with a source, the subnet via it", () => {
    const table = 100;
    addRoute(s.rt, { dst: '10.33.0.1/32', oif: va, scope: RT_SCOPE_LINK, prefsrc: '10.1.0.1', table });
    addRoute(s.rt, { dst: '10.33.0.0/24', gateway: '10.33.0.1', oif: va, prefsrc: '10.1.0.1', table });
    assert.equal(
      ipIn(s.name, ['route', 'show', 'table', String(table)]).trim(),
      '10.33.0.0/24 via 10.33.0.1 dev va src 10.1.0.1 \n10.33.0.1 dev va scope link src 10.1.0.1',
    );
    assert.deepEqual(listRoutes(s.rt, { family: 4, table }).map(viewOfRoute), ipView(4, ['table', String(table)]));
  });
  it('adds on-link gateways outside every subnet (RTNH_F_ONLINK) and drops kernel-state flags of listed routes', () => {
    addRoute(s.rt, { dst: '10.44.0.0/24', gateway: '192.0.2.1', oif: va, flags: RTNH_F_ONLINK });
    const [r] = listRoutes(s.rt, { family: 4, dst: '10.44.0.0/24' });
    assert.equal((r!.flags & RTNH_F_ONLINK) !== 0, true);
    assert.deepEqual([viewOfRoute(r!)], theirs(4, '10.44.0.0/24'));
    // A route listed while its link was down carries RTNH_F_LINKDOWN, which requests may not.
    replaceRoute(s.rt, { ...r!, flags: r!.flags | 0x10, priority: 9 });
    assert.deepEqual(
      theirs(4, '10.44.0.0/24').map((x) => x.priority),
      [undefined, 9],
    );
  });
  it('copies the routes of a link into another table the way sbr and vrf do, then deletes them', () => {
    const table = 10000 + Math.floor(Math.random() * 50000);
    const routes = listRoutes(s.rt, { oif: va }).filter((r) => r.family === 4);
    assert.ok(routes.length >= 2);
    for (const r of routes) replaceRoute(s.rt, { ...r, table });
    const copied = listRoutes(s.rt, { family: 4, table });
    assert.deepEqual(
      copied.map((r) => ({ ...r, table: RT_TABLE_MAIN })),
      routes,
    );
    assert.deepEqual(copied.map(viewOfRoute), ipView(4, ['table', String(table)]));
    for (const r of copied) deleteRoute(s.rt, r);
    assert.deepEqual(listRoutes(s.rt, { family: 4, table }), []);
  });
  it('filters by link, including next hops of multipath routes, and by destination', () => {
    const onVc = listRoutes(s.rt, { oif: vc, table: RT_TABLE_UNSPEC });
    assert.ok(onVc.length > 0);
    assert.ok(onVc.every((r) => r.oif === vc || r.multipath?.some((h) => h.oif === vc)));
    assert.ok(onVc.some((r) => r.dst === '10.5.0.0/24'));
    assert.deepEqual(
      listRoutes(s.rt, { dst: '10.2.0.0/24' }).map((r) => r.dst),
      ['10.2.0.0/24'],
    );
    assert.deepEqual(listRoutes(s.rt, { dst: '10.2.0.0/25' }), []);
  });
  it('decodes a captured dump and re-encodes it: header and attributes byte for byte, routes unchanged', () => {
    const messages = s.rt.dump(RTM_GETROUTE, rtMsg.encode({ family: AF_UNSPEC, dstLength: 0, srcLength: 0, tos: 0, table: 0, protocol: 0, scope: 0, type: 0, flags: 0 }));
    const routes = messages.filter((m) => m.type === RTM_NEWROUTE && (m.payload[0] === AF_INET || m.payload[0] === AF_INET6));
    assert.ok(routes.length > 20);
    let multipath = 0;
    for (const m of routes) {
      const { header, attrs } = decodeBody(rtMsg, m.payload);
      assert.deepEqual(rtMsg.encode(header), m.payload.subarray(0, 12));
      assert.deepEqual(encodeAttrs(asInput(attrs.list)), m.payload.subarray(12));
      const route = decodeRoute(m.payload);
      if (route.multipath) multipath++;
      assert.deepEqual(roundTrip(route), route);
      const mp = attrs.get(RTA_MULTIPATH);
      if (mp) assert.deepEqual(encodeMultipath(route.family, route.multipath ?? []), mp);
    }
    assert.ok(multipath >= 2, `${multipath} multipath routes in the dump`);
    assert.ok(parseAttrs(routes[0]!.payload.subarray(12)).length > 0);
  });
});
