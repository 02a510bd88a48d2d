import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { asInput, attr, encodeAttrs } from './attrs.js';
import { decodeBody, encodeBody } from './codec.js';
import { AF_INET, AF_INET6, AF_UNSPEC, RTM_GETRULE, RTM_NEWRULE } from './constants.js';
import { isExists, isNotFound } from './errors.js';
import { RTPROT_KERNEL, RTPROT_STATIC, RT_TABLE_DEFAULT, RT_TABLE_LOCAL, RT_TABLE_MAIN, RT_TABLE_UNSPEC } from './route-consts.js';
import {
  FIB_RULE_INVERT,
  FRA_DST,
  FRA_FWMARK,
  FRA_FWMASK,
  FRA_GOTO,
  FRA_IIFNAME,
  FRA_L3MDEV,
  FRA_OIFNAME,
  FRA_PRIORITY,
  FRA_PROTOCOL,
  FRA_SRC,
  FRA_SUPPRESS_IFGROUP,
  FRA_SUPPRESS_PREFIXLEN,
  FRA_TABLE,
  addRule,
  decodeRule,
  deleteRule,
  encodeRule,
  fibRuleHdr,
  listRules,
  type Rule,
  type RuleSpec,
} from './rule.js';
import { ipIn, ipJson, scratchRtnl, type ScratchRtnl } from './testing/scratch-rtnl.js';

const roundTrip = (spec: RuleSpec, defaults: 'new' | 'delete' = 'new'): Rule => {
  const { header, attrs } = encodeRule(spec, defaults);
  return decodeRule(encodeBody(fibRuleHdr, header, attrs));
};

describe('rule codec', () => {
  it('lays fib_rule_hdr out as the kernel does and reads it back', () => {
    const h = { family: AF_INET6, dstLength: 64, srcLength: 128, tos: 0, table: 100, action: 1, flags: FIB_RULE_INVERT };
    const bytes = fibRuleHdr.encode(h);
    assert.deepEqual([...bytes], [10, 64, 128, 0, 100, 0, 0, 1, 2, 0, 0, 0]);
    assert.deepEqual(fibRuleHdr.decode(bytes), h);
  });
  it("encodes sbr's rule: from <ip>/32 lookup <table>, table and action in the header", () => {
    const { header, attrs } = encodeRule({ src: '10.1.0.5/32', table: 100 }, 'new');
    assert.deepEqual(header, { family: AF_INET, dstLength: 0, srcLength: 32, tos: 0, table: 100, action: 1, flags: 0 });
    assert.deepEqual(attrs, [attr.ip(FRA_SRC, '10.1.0.5')]);
  });
  it('puts tables above 255 in FRA_TABLE with the header table unspec', () => {
    const { header, attrs } = encodeRule({ family: 6, table: 40000, priority: 7 }, 'new');
    assert.equal(header.table, RT_TABLE_UNSPEC);
    assert.equal(header.family, AF_INET6);
    assert.deepEqual(attrs, [attr.u32(FRA_TABLE, 40000), attr.u32(FRA_PRIORITY, 7)]);
    assert.equal(roundTrip({ family: 6, table: 40000 }).table, 40000);
  });
  it('encodes every selector in Go netlink order', () => {
    const spec: RuleSpec = {
      dst: '10.2.0.0/16',
      src: '10.1.0.0/24',
      table: 300,
      fwmark: 0x10,
      fwmask: 0xff,
      priority: 5,
      suppressPrefixLength: 0,
      suppressIfgroup: 3,
      iif: 'lo',
      oif: 'va',
      protocol: RTPROT_STATIC,
    };
    assert.deepEqual(
      encodeRule(spec, 'new').attrs.map((a) => a.type),
      [FRA_DST, FRA_SRC, FRA_TABLE, FRA_FWMARK, FRA_FWMASK, FRA_PRIORITY, FRA_SUPPRESS_PREFIXLEN, FRA_SUPPRESS_IFGROUP, FRA_IIFNAME, FRA_OIFNAME, FRA_PROTOCOL],
    );
    assert.deepEqual(
      encodeRule({ family: 4, goto: 9, l3mdev: true }, 'new').attrs.map((a) => a.type),
      [FRA_GOTO, FRA_L3MDEV],
    );
  });
  it('defaults new rules to lookup main and deletions to match any action and table', () => {
    assert.deepEqual(encodeRule({ family: 4, priority: 9 }, 'new').header, { family: AF_INET, dstLength: 0, srcLength: 0, tos: 0, table: RT_TABLE_MAIN, action: 1, flags: 0 });
    assert.deepEqual(encodeRule({ family: 4, priority: 9 }, 'delete').header, { family: AF_INET, dstLength: 0, srcLength: 0, tos: 0, table: 0, action: 0, flags: 0 });
    assert.equal(encodeRule({ family: 4, goto: 12 }, 'new').header.action, 2);
    assert.equal(encodeRule({ family: 4, l3mdev: true }, 'new').header.table, RT_TABLE_UNSPEC);
  });
  it('takes the family from the prefixes and refuses a rule with none or a mismatch', () => {
    assert.equal(encodeRule({ dst: 'fd00::/8' }, 'new').header.family, AF_INET6);
    assert.throws(() => encodeRule({ table: 100 }, 'new'), TypeError);
    assert.throws(() => encodeRule({ family: 4, src: 'fd00::1' }, 'new'), TypeError);
  });
  it('round-trips every attribute it encodes', () => {
    const full: Rule = {
      family: 4,
      priority: 20001,
      table: 40000,
      action: 'toTable',
      flags: FIB_RULE_INVERT,
      invert: true,
      tos: 16,
      src: '10.1.0.0/24',
      dst: '10.2.0.0/16',
      iif: 'lo',
      oif: 'va',
      fwmark: 0x10,
      fwmask: 0xff,
      suppressPrefixLength: 0,
      suppressIfgroup: 2,
      protocol: RTPROT_STATIC,
    };
    assert.deepEqual(roundTrip(full), full);
    const jump: Rule = { family: 6, priority: 3, table: 0, action: 'goto', flags: 0, invert: false, tos: 0, goto: 7 };
    assert.deepEqual(roundTrip(jump), jump);
    const vrf: Rule = { family: 4, priority: 1000, table: 0, action: 'toTable', flags: 0, invert: false, tos: 0, l3mdev: true };
    assert.deepEqual(roundTrip(vrf), vrf);
    assert.equal(roundTrip({ family: 4, action: 'blackhole', priority: 4 }).action, 'blackhole');
  });
  it('reads a rule without FRA_PRIORITY (the local rule) as priority 0 and unset suppressors as absent', () => {
    const payload = encodeBody(fibRuleHdr, { family: AF_INET, dstLength: 0, srcLength: 0, tos: 0, table: RT_TABLE_LOCAL, action: 1, flags: 0 }, [
      attr.u32(FRA_TABLE, RT_TABLE_LOCAL),
      attr.u32(FRA_SUPPRESS_PREFIXLEN, 0xffffffff),
      attr.u8(FRA_PROTOCOL, RTPROT_KERNEL),
    ]);
    assert.deepEqual(decodeRule(payload), { family: 4, priority: 0, table: RT_TABLE_LOCAL, action: 'toTable', flags: 0, invert: false, tos: 0, protocol: RTPROT_KERNEL });
  });
});

/** What `ip -json rule` prints, as far as these tests read it. */
interface IpRule {
  priority: number;
  src: string;
  srclen?: number;
  dst?: string;
  dstlen?: number;
  not?: null;
  iif?: string;
  oif?: string;
  fwmark?: string;
  fwmask?: string;
  table?: string;
  goto?: number;
  action?: string;
  nop?: null;
  l3mdev?: null;
  suppress_prefixlen?: number;
  protocol?: string;
}

const TABLES: Readonly<Record<string, number>> = { main: RT_TABLE_MAIN, local: RT_TABLE_LOCAL, default: RT_TABLE_DEFAULT };

/** The fields both sides report, in one shape. */
type RuleView = Partial<Pick<Rule, 'priority' | 'table' | 'action' | 'invert' | 'src' | 'dst' | 'iif' | 'oif' | 'fwmark' | 'fwmask' | 'goto' | 'l3mdev' | 'suppressPrefixLength' | 'protocol'>>;

function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function viewOfIp(family: 4 | 6, r: IpRule): RuleView {
  const prefix = (address: string | undefined, length: number | undefined): string | undefined =>
    address === undefined || address === 'all' ? undefined : `${address}/${length ?? (family === 4 ? 32 : 128)}`;
  return clean<RuleView>({
    priority: r.priority,
    table: r.table === undefined ? undefined : (TABLES[r.table] ?? Number(r.table)),
    action: r.goto !== undefined ? 'goto' : r.nop !== undefined ? 'nop' : ((r.action as Rule['action'] | undefined) ?? 'toTable'),
    invert: r.not !== undefined,
    src: prefix(r.src, r.srclen),
    dst: prefix(r.dst, r.dstlen),
    iif: r.iif,
    oif: r.oif,
    fwmark: r.fwmark === undefined ? undefined : Number(r.fwmark),
    fwmask: r.fwmark === undefined ? undefined : r.fwmask === undefined ? 0xffffffff : Number(r.fwmask),
    goto: r.goto,
    l3mdev: r.l3mdev === undefined ? undefined : true,
    suppressPrefixLength: r.suppress_prefixlen,
    protocol: r.protocol === 'static' ? RTPROT_STATIC : r.protocol === undefined ? undefined : Number(r.protocol),
  });
}

function viewOfRule(r: Rule): RuleView {
  return clean<RuleView>({
    priority: r.priority,
    table: r.table === 0 ? undefined : r.table,
    action: r.action,
    invert: r.invert,
    src: r.src,
    dst: r.dst,
    iif: r.iif,
    oif: r.oif,
    fwmark: r.fwmark,
    fwmask: r.fwmask,
    goto: r.goto,
    l3mdev: r.l3mdev,
    suppressPrefixLength: r.suppressPrefixLength,
    // `ip` prints a protocol other than kernel's only.
    protocol: r.protocol === 0 || r.protocol === RTPROT_KERNEL ? undefined : r.protocol,
  });
}

describe('rules against the kernel', () => {
  let s: ScratchRtnl;
  const base = randomInt(10000, 30000);
  const tables = [randomInt(10000, 60000), randomInt(10000, 60000)];
  const ipView = (family: 4 | 6): RuleView[] => ipJson<IpRule[]>(s.name, [`-${family}`, 'rule', 'show']).map((r) => viewOfIp(family, r));
  const ours = (family: 4 | 6): RuleView[] => listRules(s.rt, { family }).map(viewOfRule);

  before(() => {
    s = scratchRtnl();
    ipIn(s.name, ['link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb']);
  });
  after(() => s?.remove());

  it("lists the kernel's default rules as `ip rule` does, both families", () => {
    const v4 = listRules(s.rt, { family: 4 });
    assert.deepEqual(
      v4.map((r) => [r.priority, r.table, r.action, r.src]),
      [
        [0, RT_TABLE_LOCAL, 'toTable', undefined],
        [32766, RT_TABLE_MAIN, 'toTable', undefined],
        [32767, RT_TABLE_DEFAULT, 'toTable', undefined],
      ],
    );
    assert.deepEqual(ours(4), ipView(4));
    assert.deepEqual(ours(6), ipView(6));
    assert.deepEqual(
      listRules(s.rt).map((r) => r.family),
      [4, 4, 4, 6, 6],
    );
  });
  it("adds sbr's `from <ip> lookup <table>` rules in both families, tables above 255 included", () => {
    addRule(s.rt, { src: '10.1.0.5/32', table: tables[0]!, priority: base });
    addRule(s.rt, { src: 'fd01::5/128', table: tables[1]!, priority: base });
    addRule(s.rt, { src: '10.1.0.6/32', table: 100, priority: base + 1 });
    assert.deepEqual(
      ipJson<IpRule[]>(s.name, ['-4', 'rule', 'show', 'pref', String(base)]),
      [{ priority: base, src: '10.1.0.5', table: String(tables[0]) }],
    );
    assert.deepEqual(
      listRules(s.rt, { family: 6, table: tables[1]! }).map((r) => [r.priority, r.src]),
      [[base, 'fd01::5/128']],
    );
    assert.deepEqual(ours(4), ipView(4));
    assert.deepEqual(ours(6), ipView(6));
  });
  it('refuses an identical rule with EEXIST', () => {
    assert.throws(() => addRule(s.rt, { src: '10.1.0.5/32', table: tables[0]!, priority: base }), (e: unknown) => isExists(e));
  });
  it('lets the kernel choose the priority when none is given', () => {
    addRule(s.rt, { src: '10.1.0.7/32', table: tables[0]! });
    const [r] = listRules(s.rt, { family: 4 }).filter((x) => x.src === '10.1.0.7/32');
    assert.ok(r && r.priority > 0 && r.priority < 32766, `priority ${r?.priority}`);
    deleteRule(s.rt, r);
  });
  it('adds rules with every selector and action sbr, vrf and the plugins use', () => {
    const p = base + 10;
    addRule(s.rt, { dst: '10.2.0.0/16', invert: true, iif: 'lo', oif: 'va', fwmark: 0x10, fwmask: 0xff, table: 100, priority: p });
    addRule(s.rt, { family: 4, goto: p + 3, priority: p + 1 });
    addRule(s.rt, { family: 4, action: 'blackhole', priority: p + 2 });
    addRule(s.rt, { family: 4, table: 101, suppressPrefixLength: 0, priority: p + 3 });
    addRule(s.rt, { family: 4, fwmark: 0x20, table: 102, priority: p + 4 });
    addRule(s.rt, { family: 4, l3mdev: true, priority: p + 5 });
    addRule(s.rt, { family: 6, src: 'fd01::/64', table: tables[1]!, protocol: RTPROT_STATIC, action: 'unreachable', priority: p });
    assert.deepEqual(ours(4), ipView(4));
    assert.deepEqual(ours(6), ipView(6));
    const got = listRules(s.rt, { family: 4 }).filter((r) => r.priority >= p && r.priority <= p + 5);
    assert.deepEqual(
      got.map((r) => r.action),
      ['toTable', 'goto', 'blackhole', 'toTable', 'toTable', 'toTable'],
    );
    assert.equal(got[4]?.fwmask, 0xffffffff);
    assert.equal(got[5]?.l3mdev, true);
  });
  it('filters by table and priority', () => {
    assert.deepEqual(
      listRules(s.rt, { table: 100 }).map((r) => r.priority),
      [base + 1, base + 10],
    );
    assert.deepEqual(
      listRules(s.rt, { priority: base }).map((r) => r.family),
      [4, 6],
    );
  });
  it('deletes rules by source the way sbr does, listed ones as they are, then reports ENOENT', () => {
    deleteRule(s.rt, { src: '10.1.0.6/32', table: 100 });
    assert.equal(listRules(s.rt, { family: 4 }).some((r) => r.src === '10.1.0.6/32'), false);
    for (const r of listRules(s.rt).filter((x) => x.priority >= base && x.priority <= base + 15)) deleteRule(s.rt, r);
    assert.deepEqual(
      listRules(s.rt).map((r) => r.priority),
      [0, 32766, 32767, 0, 32766],
    );
    assert.deepEqual(ours(4), ipView(4));
    assert.throws(() => deleteRule(s.rt, { src: '10.1.0.5/32', table: tables[0]!, priority: base }), (e: unknown) => isNotFound(e));
  });
  it('decodes a captured dump and re-encodes it: header and attributes byte for byte, rules unchanged', () => {
    addRule(s.rt, { src: '10.1.0.5/32', dst: '10.9.0.0/24', iif: 'lo', fwmark: 3, table: tables[0]!, priority: base });
    addRule(s.rt, { family: 6, goto: base + 2, priority: base + 1 });
    try {
      const messages = s.rt.dump(RTM_GETRULE, fibRuleHdr.encode({ family: AF_UNSPEC, dstLength: 0, srcLength: 0, tos: 0, table: 0, action: 0, flags: 0 }));
      const rules = messages.filter((m) => m.type === RTM_NEWRULE && (m.payload[0] === AF_INET || m.payload[0] === AF_INET6));
      assert.equal(rules.length, 7);
      for (const m of rules) {
        const { header, attrs } = decodeBody(fibRuleHdr, m.payload);
        assert.deepEqual(fibRuleHdr.encode(header), m.payload.subarray(0, 12));
        assert.deepEqual(encodeAttrs(asInput(attrs.list)), m.payload.subarray(12));
        const rule = decodeRule(m.payload);
        // State bits the kernel adds (an unresolved goto, a detached oif) are not sent back.
        const again = roundTrip(rule);
        assert.deepEqual({ ...again, flags: rule.flags }, rule);
      }
    } finally {
      for (const r of listRules(s.rt).filter((x) => x.priority === base || x.priority === base + 1)) deleteRule(s.rt, r);
    }
  });
});
