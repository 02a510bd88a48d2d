// The scenarios of issue #8. Each one drives every combination of runtime (Go libcni,
// tscni libcni) and plugin set (tscni's bundle with and without a tscni-server, tscni's SEA,
// the Go reference) the same
// way, interleaved: round r runs every combination once, starting from a different one
// each round, over namespaces made fresh for that round. Each returns raw samples:
// samples[combo][measure] = one number per round (undefined where the operation failed),
// errors[combo][measure] = the failures' messages.
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';

const CNI_VERSION = '1.0.0';

/** The combinations in the order round r runs them (a rotation, so none always goes first). */
function rotation(combos, r) {
  const k = r % combos.length;
  return [...combos.slice(k), ...combos.slice(0, k)];
}

/** One untimed call per item (round -1), then `rounds` interleaved rounds, with progress. */
async function interleave(ctx, scenario, items, rounds, once) {
  for (const item of items) await once(item, -1);
  for (let r = 0; r < rounds; r++) {
    for (const item of rotation(items, r)) await once(item, r);
    ctx.progress(scenario, r + 1, rounds);
  }
}

class Samples {
  constructor() {
    this.samples = {};
    this.errors = {};
  }

  record(combo, measure, round, value, error) {
    const s = (this.samples[combo] ??= {});
    (s[measure] ??= [])[round] = value;
    if (error !== undefined) ((this.errors[combo] ??= {})[measure] ??= []).push(error);
  }

  /** A driver answer: its time, or its error. */
  answer(combo, measure, round, resp) {
    if (resp.ok) this.record(combo, measure, round, resp.ms);
    else this.record(combo, measure, round, undefined, resp.error ?? 'failed');
  }

  toJSON() {
    return { samples: this.samples, errors: this.errors };
  }
}

function hostLocal(dataDir, subnet) {
  return { type: 'host-local', dataDir, ranges: [[{ subnet }]], routes: [{ dst: '0.0.0.0/0' }] };
}

/** Each combination's own directories under the run's temporary directory. */
function dirs(ctx, combo, scenario) {
  const base = join(ctx.sandbox.dir, combo.key, scenario);
  mkdirSync(base, { recursive: true });
  return { base, cacheDir: join(base, 'cache'), dataDir: join(base, 'ipam') };
}

function operationRequest(combo, d, conflist, op, rt) {
  return { op, path: [combo.set.dir], cacheDir: d.cacheDir, conflist, rt };
}

/**
 * ADD, CHECK and DEL of one attachment in a fresh container namespace, per combination and
 * round, after one untimed lifecycle (that creates the bridge and warms the page cache, as
 * on a node that already runs containers). DEL runs even when ADD or CHECK failed.
 */
async function lifecycle(ctx, scenario, conflistFor, rtExtra = {}) {
  const out = new Samples();
  const state = new Map();
  ctx.combos.forEach((combo, i) => {
    const d = dirs(ctx, combo, scenario);
    state.set(combo.key, { d, conflist: conflistFor(d, i, combo) });
  });
  const once = async (combo, round) => {
    const { d, conflist } = state.get(combo.key);
    const ns = ctx.sandbox.netns('c');
    const rt = { containerID: `bench-${scenario}-${round}-${randomBytes(4).toString('hex')}`, netNS: ns.path, ifName: 'eth0', ...rtExtra };
    try {
      const add = await combo.driver.request(operationRequest(combo, d, conflist, 'add', rt));
      const check = add.ok ? await combo.driver.request(operationRequest(combo, d, conflist, 'check', rt)) : undefined;
      const del = await combo.driver.request(operationRequest(combo, d, conflist, 'del', rt));
      if (round >= 0) {
        out.answer(combo.key, 'ADD', round, add);
        if (check) out.answer(combo.key, 'CHECK', round, check);
        else out.record(combo.key, 'CHECK', round, undefined, 'not run: ADD failed');
        out.answer(combo.key, 'DEL', round, del);
      }
    } finally {
      ctx.sandbox.delNetns(ns.name);
    }
  };
  await interleave(ctx, scenario, ctx.combos, ctx.rounds, once);
  return out.toJSON();
}

/** 2. ptp + host-local: ADD, CHECK, DEL. */
export function ptp(ctx) {
  return lifecycle(ctx, 'ptp', (d, i) => ({
    cniVersion: CNI_VERSION,
    name: 'bench-ptp',
    plugins: [{ type: 'ptp', ipam: hostLocal(d.dataDir, `10.201.${i}.0/24`) }],
  }));
}

/** 3. bridge (ipMasq) + host-local, portmap, tuning: ADD, CHECK, DEL. */
export function bridgeChain(ctx) {
  return lifecycle(
    ctx,
    'bridge',
    (d, i) => ({
      cniVersion: CNI_VERSION,
      name: 'bench-bridge',
      plugins: [
        { type: 'bridge', bridge: `tsbb3-${i}`, isGateway: true, ipMasq: true, ipam: hostLocal(d.dataDir, `10.202.${i}.0/24`) },
        { type: 'portmap', capabilities: { portMappings: true }, snat: true },
        { type: 'tuning', sysctl: { 'net.ipv4.conf.eth0.arp_notify': '1' }, dataDir: join(d.base, 'tuning') },
      ],
    }),
    { capabilityArgs: { portMappings: [{ hostPort: 18080, containerPort: 80, protocol: 'tcp' }] } },
  );
}

const STORE_SUBNET = '10.203.0.0/16';
const STORE_NET = 'bench-hl';

/** n distinct addresses of 10.203.0.0/16 (not the network, gateway or broadcast), shuffled. */
function randomAddresses(n) {
  const picked = new Set();
  while (picked.size < n) {
    const v = 2 + Math.floor(Math.random() * (65536 - 3));
    picked.add(v);
  }
  return [...picked].map((v) => `10.203.${v >> 8}.${v & 255}`);
}

/**
 * A host-local store in the reference's on-disk format with `count` live reservations
 * scattered over the /16, as a long-running node's store looks: one file per address
 * holding `<container ID>\r\n<ifname>`, and `last_reserved_ip.0`.
 */
function writeStore(dir, count) {
  const net = join(dir, STORE_NET);
  mkdirSync(net, { recursive: true });
  const addresses = randomAddresses(count);
  for (const a of addresses) writeFileSync(join(net, a), `${randomBytes(32).toString('hex')}\r\neth0`, { mode: 0o644 });
  writeFileSync(join(net, 'last_reserved_ip.0'), addresses[addresses.length - 1], { mode: 0o644 });
}

/**
 * 4. host-local with 5,000 live reservations in a /16: ADD and DEL of one more, each
 * combination on its own copy of the same store. One untimed ADD+DEL first: it lets tscni's
 * host-local build its index, as it would have long since on a node (and warms the page
 * cache for every implementation alike).
 */
export async function hostLocalStore(ctx) {
  const out = new Samples();
  const template = join(ctx.sandbox.dir, 'store-template');
  writeStore(template, ctx.reservations);
  const state = new Map();
  for (const combo of ctx.combos) {
    const d = dirs(ctx, combo, 'store');
    cpSync(template, d.dataDir, { recursive: true });
    const ns = ctx.sandbox.netns('c');
    const conflist = {
      cniVersion: CNI_VERSION,
      name: STORE_NET,
      plugins: [{ type: 'host-local', ipam: { type: 'host-local', dataDir: d.dataDir, ranges: [[{ subnet: STORE_SUBNET }]] } }],
    };
    state.set(combo.key, { d, ns, conflist });
  }
  const once = async (combo, round) => {
    const { d, ns, conflist } = state.get(combo.key);
    const rt = { containerID: randomBytes(32).toString('hex'), netNS: ns.path, ifName: 'eth0' };
    const add = await combo.driver.request(operationRequest(combo, d, conflist, 'add', rt));
    const del = await combo.driver.request(operationRequest(combo, d, conflist, 'del', rt));
    if (round >= 0) {
      out.answer(combo.key, 'ADD', round, add);
      out.answer(combo.key, 'DEL', round, del);
    } else if (!add.ok || !del.ok) {
      out.record(combo.key, 'warm-up', 0, undefined, add.error ?? del.error);
    }
  };
  try {
    await interleave(ctx, 'store', ctx.combos, ctx.rounds, once);
  } finally {
    for (const { ns } of state.values()) ctx.sandbox.delNetns(ns.name);
  }
  return out.toJSON();
}

/** The addresses of an ADD result (1.0.0: ips[].address), without the prefix length. */
function resultAddresses(result) {
  const ips = result && Array.isArray(result.ips) ? result.ips : [];
  return ips.map((ip) => String(ip.address).split('/')[0]);
}

/** How many addresses were handed out more than once. @example duplicates(['a', 'b', 'a']) // 1 */
export function duplicates(addresses) {
  const seen = new Set();
  let dups = 0;
  for (const a of addresses) {
    if (seen.has(a)) dups++;
    else seen.add(a);
  }
  return dups;
}

/**
 * 5. `ctx.concurrency` (64) concurrent ADDs, then as many concurrent DELs, on one bridge
 * network: wall time of each burst, failures, and duplicate addresses among the results.
 */
export async function concurrent(ctx) {
  const out = new Samples();
  const state = new Map();
  ctx.combos.forEach((combo, i) => {
    const d = dirs(ctx, combo, 'concurrent');
    state.set(combo.key, {
      d,
      conflist: {
        cniVersion: CNI_VERSION,
        name: 'bench-burst',
        plugins: [{ type: 'bridge', bridge: `tsbb5-${i}`, isGateway: true, ipMasq: true, ipam: hostLocal(d.dataDir, `10.204.${i}.0/24`) }],
      },
    });
  });
  const once = async (combo, round) => {
    const { d, conflist } = state.get(combo.key);
    const namespaces = [];
    try {
      for (let k = 0; k < ctx.concurrency; k++) namespaces.push(ctx.sandbox.netns('c'));
      const rts = namespaces.map((ns, k) => ({ containerID: `bench-burst-${round}-${k}-${randomBytes(3).toString('hex')}`, netNS: ns.path, ifName: 'eth0' }));
      const base = { path: [combo.set.dir], cacheDir: d.cacheDir, conflist };
      const add = await combo.driver.request({ ...base, op: 'addMany', rts });
      const del = await combo.driver.request({ ...base, op: 'delMany', rts });
      if (round < 0) return;
      // An ADD that "succeeds" without an address would make the duplicate count vacuous.
      const addFailures = (add.outcomes ?? []).flatMap((o) =>
        !o.ok ? [o] : resultAddresses(o.result).length === 0 ? [{ ok: false, error: 'ADD result without an address' }] : [],
      );
      const delFailures = (del.outcomes ?? []).filter((o) => !o.ok);
      const addresses = (add.outcomes ?? []).filter((o) => o.ok).flatMap((o) => resultAddresses(o.result));
      out.record(combo.key, 'addresses', round, addresses.length);
      out.record(combo.key, 'ADD wall', round, add.ok && addFailures.length === 0 ? add.ms : undefined, addFailures[0]?.error ?? (add.ok ? undefined : add.error));
      out.record(combo.key, 'DEL wall', round, del.ok && delFailures.length === 0 ? del.ms : undefined, delFailures[0]?.error ?? (del.ok ? undefined : del.error));
      out.record(combo.key, 'ADD failures', round, addFailures.length);
      out.record(combo.key, 'duplicates', round, duplicates(addresses));
    } finally {
      for (const ns of namespaces) ctx.sandbox.delNetns(ns.name);
    }
  };
  await interleave(ctx, 'concurrent', ctx.combos, ctx.concurrentRounds, once);
  return out.toJSON();
}

/** The environment of a plugin exec'd directly, as a runtime would (PATH plus CNI_*). */
function pluginEnv(extra) {
  return [`PATH=${process.env.PATH}`, ...Object.entries(extra).map(([k, v]) => `${k}=${v}`)];
}

/** What runtimes pass on in their environment and what costs a bare `node` start. */
export const NODE_ENV_NOISE = { NODE_OPTIONS: '--max-old-space-size=4096', NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt' };

/**
 * 1. VERSION of one plugin exec'd directly (by the Go driver: fork+exec+wait, nothing else),
 * next to `node -e ''`, the floor of any Node process, both with and without NODE_OPTIONS
 * and NODE_EXTRA_CA_CERTS in the environment; and the Go reference's VERSION.
 */
export async function version(ctx) {
  const out = new Samples();
  const exec = ctx.execDriver;
  const plain = { CNI_COMMAND: 'VERSION' };
  const noisy = { ...plain, ...NODE_ENV_NOISE };
  // The node our bundle's `#!/usr/bin/env node` finds, so that the floor is the same binary.
  const node = spawnSync('sh', ['-c', 'command -v node'], { encoding: 'utf8' }).stdout.trim() || process.execPath;
  const variants = [
    { key: 'floor', argv: [node, '-e', ''], env: plain },
    { key: 'floor+env', argv: [node, '-e', ''], env: noisy },
    { key: 'ref', argv: [join(ctx.referenceDir, 'bridge')], env: plain },
  ];
  for (const set of ctx.oursSets) {
    // The shim answers VERSION itself whether a server runs or not: one measurement does.
    if (set.server) continue;
    variants.push({ key: set.key, argv: [join(set.dir, 'bridge')], env: plain });
    variants.push({ key: `${set.key}+env`, argv: [join(set.dir, 'bridge')], env: noisy });
  }
  // The Node launcher behind the shim (what runs where the build had no C compiler).
  const launcher = join(ctx.oursSets.find((s) => s.key === 'ours').dir, '.tscni');
  if (ctx.oursSets.some((s) => s.server)) {
    variants.push({ key: 'launcher', argv: [launcher, 'bridge'], env: plain });
    variants.push({ key: 'launcher+env', argv: [launcher, 'bridge'], env: noisy });
  }
  const once = async (v, round) => {
    const resp = await exec.request({ op: 'exec', argv: v.argv, env: pluginEnv(v.env), stdin: `{"cniVersion":"${CNI_VERSION}"}` });
    if (round >= 0) out.answer(v.key, 'exec', round, resp);
  };
  await interleave(ctx, 'version', variants, ctx.versionRounds, once);
  return out.toJSON();
}

/**
 * 6. Peak RSS of a plugin process: bridge ADD (and its DEL) exec'd directly by the Go
 * driver, whose wait4 reports the child's ru_maxrss (the reference's host-local child
 * included, as a waited-for grandchild).
 */
export async function rss(ctx) {
  const out = new Samples();
  const sets = [...ctx.oursSets, { key: 'ref', dir: ctx.referenceDir }];
  const state = new Map();
  sets.forEach((set, i) => {
    const combo = ctx.combos.find((c) => c.runtime.key === 'go' && c.set.key === set.key);
    const d = dirs(ctx, combo, 'rss');
    const conf = {
      cniVersion: CNI_VERSION,
      name: 'bench-rss',
      type: 'bridge',
      bridge: `tsbb6-${i}`,
      isGateway: true,
      ipMasq: true,
      ipam: hostLocal(d.dataDir, `10.205.${i}.0/24`),
    };
    state.set(set.key, { set, combo, conf });
  });
  const once = async (key, round) => {
    const { set, combo, conf } = state.get(key);
    const ns = ctx.sandbox.netns('c');
    try {
      const env = { ...combo.pluginEnv, CNI_CONTAINERID: `bench-rss-${round}-${randomBytes(3).toString('hex')}`, CNI_NETNS: ns.path, CNI_IFNAME: 'eth0', CNI_PATH: set.dir };
      const call = (command) =>
        combo.driver.request({ op: 'exec', argv: [join(set.dir, 'bridge')], env: pluginEnv({ ...env, CNI_COMMAND: command }), stdin: JSON.stringify(conf) });
      const add = await call('ADD');
      const del = await call('DEL');
      if (round < 0) return;
      const mb = (resp) => (resp.ok ? resp.maxRssKB / 1024 : undefined);
      out.record(key, 'ADD', round, mb(add), add.ok ? undefined : `${add.error}: ${add.stdout}${add.stderr}`);
      out.record(key, 'DEL', round, mb(del), del.ok ? undefined : `${del.error}: ${del.stdout}${del.stderr}`);
    } finally {
      ctx.sandbox.delNetns(ns.name);
    }
  };
  await interleave(ctx, 'rss', [...state.keys()], ctx.rssRounds, once);
  return out.toJSON();
}

export const SCENARIOS = { version, ptp, bridge: bridgeChain, store: hostLocalStore, concurrent, rss };
