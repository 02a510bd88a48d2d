#!/usr/bin/env node
// The benchmark of issue #8: tscni's plugins against the Go reference plugins, driven by the
// same runtime, interleaved over fresh namespaces. `npm run bench` installs the benchmark's
// tools (bench/ensure-bench-deps.mjs), builds, and runs this; it builds the SEA (when
// package.json has `build:sea`) and the Go driver itself.
//
//   node bench/run.mjs [--rounds N] [--only SCENARIO[,SCENARIO]] [--no-sea] [--no-build] [--no-save]
//
// Scenarios: version, ptp, bridge, store, concurrent, rss. A full run (no --only) writes
// bench/results/latest.json and the README's "Speed" table; a partial run writes
// bench/results/partial.json (not committed). TSCNI_DIST picks the dist directory.
// tscni's plugins are measured twice when the build has the shim: with a tscni-server running
// in each driver's namespaces ("with tscni-server") and with every exec starting Node.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildRows, renderReport, replaceBetweenMarkers } from './harness/report.mjs';
import { Sandbox, removeLeftovers } from './harness/sandbox.mjs';
import { SCENARIOS } from './harness/scenarios.mjs';

const bench = dirname(fileURLToPath(import.meta.url));
const root = join(bench, '..');
const REFERENCE_DIR = '/usr/lib/cni';
const GOPATH_SYSTEM = '/usr/share/gocode';

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    only: { type: 'string' },
    'no-sea': { type: 'boolean', default: false },
    'no-save': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    reservations: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '64' },
  },
});

const rounds = Number(opts.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds: a positive integer, not ${opts.rounds}`);
const only = opts.only ? opts.only.split(',').map((s) => s.trim()) : undefined;
for (const s of only ?? []) if (!(s in SCENARIOS)) throw new Error(`--only: unknown scenario ${s} (${Object.keys(SCENARIOS).join(', ')})`);
const dist = process.env.TSCNI_DIST ? join(root, process.env.TSCNI_DIST) : join(root, 'dist');

function log(msg) {
  process.stderr.write(`bench: ${msg}\n`);
}

function run(cmd, args, env = {}) {
  // Builds report on stderr: stdout carries only the results.
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 2, 2], env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
}

/** The SEA build, when the project has one (`npm run build:sea`) or one is already built. */
function buildSea() {
  if (opts['no-sea']) return undefined;
  const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts ?? {};
  if (scripts['build:sea'] && !opts['no-build']) run('npm', ['run', '--silent', 'build:sea']);
  const dir = join(dist, 'sea');
  if (!existsSync(join(dir, 'bridge'))) {
    if (scripts['build:sea']) log(`no ${dir}/bridge after build:sea; measuring the bundle only`);
    return undefined;
  }
  return dir;
}

/** The Go driver, built offline against Debian's reference libcni (GOPATH mode). */
function buildGoDriver() {
  const cache = join(bench, '.cache');
  const out = join(cache, 'go-driver');
  mkdirSync(join(cache, 'gopath'), { recursive: true });
  run('go', ['build', '-o', out, './bench/go-driver'], {
    GO111MODULE: 'off',
    GOPROXY: 'off',
    GOFLAGS: '',
    GOPATH: `${join(cache, 'gopath')}:${GOPATH_SYSTEM}`,
    GOCACHE: join(cache, 'go-build'),
  });
  return out;
}

/** The commit measured, and whether the working tree had changes on top of it. */
function revision() {
  const git = (args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? '';
  return { commit: git(['rev-parse', '--short', 'HEAD']), dirty: git(['status', '--porcelain', '--untracked-files=no', '--', 'packages', 'scripts']) !== '' };
}

/** The Go reference plugins' upstream version, from Debian's package (undefined when unknown). */
function referenceVersion() {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'containernetworking-plugins'], { encoding: 'utf8' });
  const m = r.status === 0 ? /^(?:\d+:)?([\d.]+)/.exec(r.stdout.trim()) : null;
  return m?.[1];
}

function machine() {
  const cpu = cpus()[0]?.model?.trim() ?? 'unknown CPU';
  const uname = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
  return { cpu, cores: cpus().length, kernel: uname, node: process.version, loadBefore: loadavg().map((x) => x.toFixed(2)).join(' ') };
}

function progress(scenario, done, total) {
  if (done === total || done % 5 === 0) log(`${scenario}: ${done}/${total}`);
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('the benchmark needs root (network namespaces)');
  const removed = removeLeftovers();
  if (removed.length > 0) log(`removed leftovers of earlier runs: ${removed.join(' ')}`);
  const pluginDir = join(dist, 'plugins');
  if (!existsSync(join(pluginDir, 'bridge'))) throw new Error(`${pluginDir}/bridge is missing: run npm run build first`);
  const seaDir = buildSea();
  const goDriver = buildGoDriver();
  const m = machine();
  if (loadavg()[0] > 0.5 * m.cores) log(`the machine is busy (load ${m.loadBefore}, ${m.cores} cores): the numbers will be noisy`);

  // With the shim (a C compiler at build time), each plugin exec either reaches a running
  // tscni-server or starts Node: both are measured, the server first (the headline).
  const shim = existsSync(join(pluginDir, '.tscni-shim'));
  const oursSets = [];
  if (shim) oursSets.push({ key: 'server', dir: pluginDir, server: join(pluginDir, 'tscni-server') });
  oursSets.push({ key: 'ours', dir: pluginDir, env: shim ? { TSCNI_SERVER_SOCKET: 'off' } : {} });
  if (seaDir) oursSets.push({ key: 'sea', dir: seaDir, env: {} });
  const sets = [...oursSets, { key: 'ref', dir: REFERENCE_DIR }];
  const runtimes = [
    { key: 'go', argv: [goDriver] },
    { key: 'node', argv: [process.execPath, join(bench, 'node-driver.mjs')] },
  ];
  const scenarios = only ?? Object.keys(SCENARIOS);
  const sandbox = new Sandbox();
  const results = {};
  try {
    // The drivers run with a plain environment: nothing of the caller's (NODE_OPTIONS, say) leaks into the plugins.
    const env = { PATH: process.env.PATH };
    const combos = [];
    for (const runtime of runtimes) {
      for (const set of sets) {
        const key = `${runtime.key}-${set.key}`;
        // What the plugins must find in their environment (libcni passes the driver's on).
        const pluginEnv = set.server ? { TSCNI_SERVER_SOCKET: join(sandbox.dir, `${key}.sock`) } : (set.env ?? {});
        const driver = sandbox.driver(key, runtime.argv, { ...env, ...pluginEnv });
        const server = set.server ? await sandbox.server(driver, set.server, pluginEnv.TSCNI_SERVER_SOCKET) : undefined;
        combos.push({ key, runtime, set, driver, pluginEnv, server });
      }
    }
    const ctx = {
      sandbox,
      combos,
      oursSets,
      referenceDir: REFERENCE_DIR,
      execDriver: combos.find((c) => c.key === 'go-ref').driver,
      rounds,
      versionRounds: rounds * 2,
      concurrentRounds: Math.min(rounds, 5),
      rssRounds: Math.min(rounds, 5),
      reservations: Number(opts.reservations),
      concurrency: Number(opts.concurrency),
      progress,
    };
    for (const name of scenarios) {
      log(`${name}...`);
      results[name] = await SCENARIOS[name](ctx);
    }
    // The servers' own footprint: one process that ran every plugin of its combination.
    const servers = combos.filter((c) => c.server);
    if (results.rss && servers.length > 0) {
      results.rss.samples['tscni-server'] = { peak: servers.map((c) => c.server.peakRssMB()) };
    }
    m.loadAfter = loadavg().map((x) => x.toFixed(2)).join(' ');
    const meta = {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      revision: revision(),
      machine: m,
      rounds,
      versionRounds: ctx.versionRounds,
      concurrentRounds: ctx.concurrentRounds,
      rssRounds: ctx.rssRounds,
      reservations: ctx.reservations,
      concurrency: ctx.concurrency,
      oursSets: oursSets.map((s) => s.key),
      runtimes: runtimes.map((r) => r.key),
      referenceVersion: referenceVersion(),
      plugins: Object.fromEntries(sets.map((s) => [s.key, s.dir.startsWith(`${root}/`) ? relative(root, s.dir) : s.dir])),
      scenarios,
    };
    const rows = buildRows(results, meta);
    const report = renderReport(rows, meta);
    process.stdout.write(`${report}\n`);
    if (!opts['no-save']) save(meta, rows, results, report, only === undefined);
  } finally {
    await sandbox.cleanup();
  }
}

function save(meta, rows, results, report, full) {
  const dir = join(bench, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, full ? 'latest.json' : 'partial.json');
  // Microseconds are precision enough, and keep the file readable.
  const round = (_key, v) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v);
  writeFileSync(file, `${JSON.stringify({ meta, rows, raw: results }, round, 1)}\n`);
  log(`wrote ${file}`);
  if (!full) return;
  const readmePath = join(root, 'README.md');
  const updated = replaceBetweenMarkers(readFileSync(readmePath, 'utf8'), report);
  if (updated === undefined) log('README.md has no bench markers; the table is not copied there');
  else {
    writeFileSync(readmePath, updated);
    log('updated the Speed section of README.md');
  }
}

main().catch((e) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
