// From raw samples to the rows of the results table, with issue #8's targets; and the
// README's "Speed" section. The headline rows put one runtime (the Go driver: what real
// runtimes link) in front of both plugin sets; the rest show the same with tscni's libcni
// and what the runtime library itself costs.
import { judge, markdownTable, ratio, sumRounds, summarize } from './stats.mjs';

const RUNTIME_LABEL = { go: 'Go libcni', node: 'tscni libcni' };

/** Issue #8's targets. */
export const TARGETS = {
  versionOverFloor: { maxRatio: 1.15 },
  ptpLifecycle: { maxRatio: 1.5 },
  bridgeLifecycle: { maxRatio: 1.0 },
  store: { maxRatio: 0.5 },
  concurrentAdd: { maxRatio: 1.0 },
  duplicates: { equals: 0 },
  rssMB: { maxValue: 64, unit: 'MB' },
};

function series(raw, combo, measure) {
  return raw?.samples?.[combo]?.[measure] ?? [];
}

function errorsOf(raw, combo, measure) {
  return raw?.errors?.[combo]?.[measure] ?? [];
}

/** A summary of one combination's measure; `values` overrides the samples (lifecycles). */
function side(raw, combo, measures, values) {
  const list = Array.isArray(measures) ? measures : [measures];
  const xs = values ?? series(raw, combo, list[0]);
  const errors = list.flatMap((m) => errorsOf(raw, combo, m));
  const s = summarize(xs.filter((x) => Number.isFinite(x)), errors.length);
  if (errors.length > 0) s.errors = [...new Set(errors)].slice(0, 3);
  return s;
}

function row(fields) {
  const r = { ...fields, ratio: ratio(fields.ours?.median, fields.base?.median) };
  r.verdict = judge(r);
  return r;
}

function setSuffix(set) {
  return set === 'sea' ? ', SEA' : set === 'server' ? ', with tscni-server' : '';
}

/** What each plugin set is, for the report's first paragraph. */
function setDescription(set, meta) {
  if (set === 'sea') return 'the SEA build';
  if (set === 'server') return 'the bundle with a tscni-server running ("with tscni-server")';
  return meta.oursSets.includes('server') ? 'the bundle with every exec starting Node' : 'the bundle';
}

/** The (runtime, set) pairs that were measured, headline first. */
function oursCombos(meta) {
  const out = [];
  for (const runtime of ['go', 'node']) for (const set of meta.oursSets) out.push({ runtime, set });
  return out;
}

function versionRows(raw, meta) {
  const rows = [];
  const floor = side(raw, 'floor', 'exec');
  const sets = meta.oursSets.filter((set) => set !== 'server');
  // The shim answers VERSION itself; the Node launcher behind it is measured on its own.
  if (meta.oursSets.includes('server')) sets.push('launcher');
  const label = (set) => (set === 'launcher' ? ', the Node launcher without the shim' : setSuffix(set));
  for (const set of sets) {
    rows.push(row({ id: '1', measure: `VERSION of bridge${label(set)}`, runtime: 'exec', ours: side(raw, set, 'exec'), base: floor, baseLabel: "(node -e '')", target: TARGETS.versionOverFloor }));
    rows.push(row({ id: '1', measure: `VERSION of bridge${label(set)}, NODE_OPTIONS and NODE_EXTRA_CA_CERTS set`, runtime: 'exec', ours: side(raw, `${set}+env`, 'exec'), base: floor, baseLabel: "(node -e '')", target: TARGETS.versionOverFloor }));
  }
  rows.push(row({ id: '1', measure: "node -e '' with NODE_OPTIONS and NODE_EXTRA_CA_CERTS (what they cost bare node)", runtime: 'exec', ours: side(raw, 'floor+env', 'exec'), base: floor, baseLabel: "(node -e '')" }));
  rows.push(row({ id: '1', measure: 'VERSION of bridge', runtime: 'exec', ours: side(raw, sets[0], 'exec'), base: side(raw, 'ref', 'exec'), baseLabel: '(Go)' }));
  return rows;
}

/** Rows of a lifecycle scenario: per operation (headline only), the lifecycle, the runtime's cost. */
function lifecycleRows(raw, meta, { id, title, ops, lifecycleOps, target }) {
  const rows = [];
  const lifecycle = (combo) => side(raw, combo, lifecycleOps, sumRounds(lifecycleOps.map((m) => series(raw, combo, m))));
  const lifeName = `${title} lifecycle (${lifecycleOps.join('+')})`;
  const [headline] = meta.oursSets;
  for (const op of ops) {
    rows.push(row({ id, measure: `${title} ${op}`, runtime: RUNTIME_LABEL.go, ours: side(raw, `go-${headline}`, op), base: side(raw, 'go-ref', op) }));
  }
  for (const { runtime, set } of oursCombos(meta)) {
    rows.push(row({
      id,
      measure: `${lifeName}${setSuffix(set)}`,
      runtime: RUNTIME_LABEL[runtime],
      ours: lifecycle(`${runtime}-${set}`),
      base: lifecycle(`${runtime}-ref`),
      target: runtime === 'go' ? target : undefined,
    }));
  }
  if (meta.runtimes.includes('node')) {
    rows.push(row({ id, measure: `${lifeName}, Go plugins: runtime cost`, runtime: 'tscni vs Go libcni', ours: lifecycle('node-ref'), base: lifecycle('go-ref'), baseLabel: '(Go libcni)' }));
  }
  return rows;
}

function storeRows(raw, meta) {
  const rows = [];
  for (const { runtime, set } of oursCombos(meta)) {
    for (const op of ['ADD', 'DEL']) {
      rows.push(row({
        id: '4',
        measure: `host-local, ${meta.reservations} reservations in a /16: ${op}${setSuffix(set)}`,
        runtime: RUNTIME_LABEL[runtime],
        ours: side(raw, `${runtime}-${set}`, op),
        base: side(raw, `${runtime}-ref`, op),
        target: runtime === 'go' ? TARGETS.store : undefined,
      }));
    }
  }
  return rows;
}

function concurrentRows(raw, meta) {
  const rows = [];
  const n = meta.concurrency;
  const sum = (combo, measure) => series(raw, combo, measure).filter((x) => Number.isFinite(x)).reduce((a, b) => a + b, 0);
  // Failed ADDs count against the duplicate check: what they would have got is unknown.
  const total = (combo) => ({ median: sum(combo, 'duplicates'), n: series(raw, combo, 'duplicates').length, failures: sum(combo, 'ADD failures') });
  for (const { runtime, set } of oursCombos(meta)) {
    const ours = `${runtime}-${set}`;
    const ref = `${runtime}-ref`;
    rows.push(row({ id: '5', measure: `${n} concurrent ADDs on one bridge, wall${setSuffix(set)}`, runtime: RUNTIME_LABEL[runtime], ours: side(raw, ours, 'ADD wall'), base: side(raw, ref, 'ADD wall'), target: runtime === 'go' ? TARGETS.concurrentAdd : undefined }));
    rows.push(row({ id: '5', measure: `${n} concurrent DELs, wall${setSuffix(set)}`, runtime: RUNTIME_LABEL[runtime], ours: side(raw, ours, 'DEL wall'), base: side(raw, ref, 'DEL wall') }));
    const dup = row({ id: '5', measure: `duplicate addresses in ${n} concurrent ADDs, all rounds${setSuffix(set)}`, runtime: RUNTIME_LABEL[runtime], ours: total(ours), base: total(ref), target: TARGETS.duplicates, unit: '' });
    dup.ratio = undefined;
    rows.push(dup);
  }
  return rows;
}

function rssRows(raw, meta) {
  const rows = [];
  for (const set of meta.oursSets) {
    // With a server the exec'd process is the shim; the plugin's work runs in the server.
    const what = set === 'server' ? ', the shim (the work runs in tscni-server)' : setSuffix(set);
    rows.push(row({ id: '6', measure: `peak RSS of a plugin process: bridge ADD${what}`, runtime: 'exec', ours: side(raw, set, 'ADD'), base: side(raw, 'ref', 'ADD'), target: TARGETS.rssMB, unit: 'MB' }));
    rows.push(row({ id: '6', measure: `peak RSS of a plugin process: bridge DEL${what}`, runtime: 'exec', ours: side(raw, set, 'DEL'), base: side(raw, 'ref', 'DEL'), unit: 'MB' }));
  }
  const server = series(raw, 'tscni-server', 'peak').filter((x) => Number.isFinite(x));
  if (server.length > 0) {
    rows.push(row({ id: '6', measure: 'peak RSS of tscni-server, one process that ran every plugin of its runtime in the whole run', runtime: 'server', ours: summarize([Math.max(...server)], 0), base: side(raw, 'ref', 'ADD'), unit: 'MB' }));
  }
  return rows;
}

/**
 * The table's rows from every scenario's raw samples.
 *
 * @example buildRows({ ptp: { samples, errors } }, { oursSets: ['ours'], runtimes: ['go', 'node'], ... })
 */
export function buildRows(results, meta) {
  const rows = [];
  if (results.version) rows.push(...versionRows(results.version, meta));
  if (results.ptp) rows.push(...lifecycleRows(results.ptp, meta, { id: '2', title: 'ptp + host-local', ops: ['ADD', 'CHECK', 'DEL'], lifecycleOps: ['ADD', 'CHECK', 'DEL'], target: TARGETS.ptpLifecycle }));
  // The reference's CHECK of this chain fails (its portmap looks for an IPv6 chain it never
  // made), so the lifecycle compared is ADD+DEL; CHECK is shown on its own.
  if (results.bridge) rows.push(...lifecycleRows(results.bridge, meta, { id: '3', title: 'bridge (ipMasq) + host-local, portmap, tuning', ops: ['ADD', 'CHECK', 'DEL'], lifecycleOps: ['ADD', 'DEL'], target: TARGETS.bridgeLifecycle }));
  if (results.store) rows.push(...storeRows(results.store, meta));
  if (results.concurrent) rows.push(...concurrentRows(results.concurrent, meta));
  if (results.rss) rows.push(...rssRows(results.rss, meta));
  return rows;
}

/** The text that stands for the results in the README and on the terminal. */
export function renderReport(rows, meta) {
  const m = meta.machine;
  const verdicts = rows.filter((r) => r.verdict !== 'info');
  const passed = verdicts.filter((r) => r.verdict === 'pass').length;
  const lines = [
    `Run of ${meta.date} on ${m.cpu} (${m.cores} cores), Linux ${m.kernel}, Node ${m.node}, ` +
      `${meta.revision?.commit ? `tscni at ${meta.revision.commit}${meta.revision.dirty ? ' with uncommitted changes' : ''}` : 'tscni'}; ` +
      `${meta.rounds} rounds (${meta.concurrentRounds} for the concurrent bursts, ${meta.versionRounds} for VERSION), ` +
      `load average ${m.loadBefore} at the start. Medians; ` +
      `"ours" is tscni's plugins (${meta.oursSets.map((s) => setDescription(s, meta)).join(', ')}), ` +
      `the baseline the Go reference plugins${meta.referenceVersion ? ` v${meta.referenceVersion}` : ''} unless the row says otherwise.`,
    '',
    markdownTable(rows),
    '',
    `Targets met: ${passed} of ${verdicts.length}.`,
  ];
  const failures = rows.filter((r) => r.ours?.errors || r.base?.errors);
  if (failures.length > 0) {
    lines.push('', 'Failures:');
    for (const r of failures) {
      for (const [who, s] of [['ours', r.ours], ['baseline', r.base]]) {
        if (s?.errors) lines.push(`- ${r.measure} (${r.runtime}), ${who}: ${s.errors[0]}`);
      }
    }
  }
  return lines.join('\n');
}

export const README_BEGIN = '<!-- bench:begin (written by npm run bench) -->';
export const README_END = '<!-- bench:end -->';

/**
 * The README with the text between the bench markers replaced; undefined when the markers
 * are missing.
 *
 * @example replaceBetweenMarkers(readme, table)
 */
export function replaceBetweenMarkers(readme, text) {
  const a = readme.indexOf(README_BEGIN);
  const b = readme.indexOf(README_END);
  if (a < 0 || b < a) return undefined;
  return `${readme.slice(0, a + README_BEGIN.length)}\n${text}\n${readme.slice(b)}`;
}
