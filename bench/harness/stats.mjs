// The benchmark's arithmetic and presentation, free of I/O so that it can be unit tested
// (test/bench/stats.test.ts): order statistics of samples, ratios against a target, and the
// Markdown table of the results.

/**
 * The q-quantile of samples by the nearest-rank method (q = 0.5 for the median, the mean of
 * the two middle values when the count is even); undefined for no samples.
 *
 * @example quantile([3, 1, 2], 0.5) // 2
 */
export function quantile(samples, q) {
  const xs = samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  if (q === 0.5) {
    const mid = xs.length >> 1;
    return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  }
  const rank = Math.ceil(q * xs.length);
  return xs[Math.min(xs.length, Math.max(1, rank)) - 1];
}

/** @example median([4, 1, 3, 2]) // 2.5 */
export function median(samples) {
  return quantile(samples, 0.5);
}

/** @example p90([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) // 9 */
export function p90(samples) {
  return quantile(samples, 0.9);
}

/**
 * What the table and the JSON file say about one side of a comparison.
 *
 * @example summarize([10, 12, 11], 0) // { median: 11, p90: 12, n: 3, failures: 0 }
 */
export function summarize(samples, failures = 0) {
  return { median: median(samples), p90: p90(samples), n: samples.length, failures };
}

/**
 * Per-round sums of several operations' samples (a lifecycle): rounds where any of the
 * operations has no sample (it failed) are left out.
 *
 * @example sumRounds([[1, 2], [10, undefined]]) // [11]
 */
export function sumRounds(series) {
  const rounds = Math.max(0, ...series.map((s) => s.length));
  const sums = [];
  for (let i = 0; i < rounds; i++) {
    const parts = series.map((s) => s[i]);
    if (parts.every((x) => Number.isFinite(x))) sums.push(parts.reduce((a, b) => a + b, 0));
  }
  return sums;
}

/** ours / base, undefined when either is missing or base is 0. @example ratio(30, 20) // 1.5 */
export function ratio(ours, base) {
  if (!Number.isFinite(ours) || !Number.isFinite(base) || base === 0) return undefined;
  return ours / base;
}

/**
 * The verdict of a row against its target: `pass`, `FAIL`, or `info` for rows without a
 * target. Targets are `{ maxRatio }` (ours/base), `{ maxValue }` (ours alone, e.g. MB) or
 * `{ equals }` (a count). A side that failed to run fails a row that has a target.
 *
 * @example judge({ ours: { median: 10, failures: 0 }, ratio: 0.9, target: { maxRatio: 1 } }) // 'pass'
 */
export function judge(row) {
  const t = row.target;
  if (!t) return 'info';
  if ((row.ours?.failures ?? 0) > 0) return 'FAIL';
  if ('maxRatio' in t) return row.ratio !== undefined && row.ratio <= t.maxRatio ? 'pass' : 'FAIL';
  if ('maxValue' in t) return row.ours?.median !== undefined && row.ours.median <= t.maxValue ? 'pass' : 'FAIL';
  if ('equals' in t) return row.ours?.median === t.equals ? 'pass' : 'FAIL';
  return 'info';
}

/** The target as the table writes it. @example targetText({ maxRatio: 1.5 }) // '≤ 1.50×' */
export function targetText(target) {
  if (!target) return '';
  if ('maxRatio' in target) return `≤ ${target.maxRatio.toFixed(2)}×`;
  if ('maxValue' in target) return `≤ ${target.maxValue}${target.unit ? ` ${target.unit}` : ''}`;
  if ('equals' in target) return `= ${target.equals}`;
  return '';
}

/** A number for the table: one decimal below 100, none above. @example num(12.345) // '12.3' */
export function num(x) {
  if (x === undefined || x === null || !Number.isFinite(x)) return '–';
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1);
}

function side(s, unit) {
  if (!s) return '–';
  if (s.median === undefined) return s.failures > 0 ? 'failed' : '–';
  const failed = s.failures > 0 ? ` (${s.failures} failed)` : '';
  // A count (unit '') is printed as it is; times and sizes with their unit.
  return unit === '' ? `${s.median}${failed}` : `${num(s.median)} ${unit}${failed}`;
}

/**
 * The results as one Markdown table: medians of ours and of the baseline, their ratio, the
 * target and the verdict.
 *
 * @example markdownTable([{ id: '2', measure: 'ptp ADD', runtime: 'Go libcni', ours: ..., base: ..., ratio: 1.2 }])
 */
export function markdownTable(rows) {
  const head = ['#', 'measure', 'runtime', 'ours', 'baseline', 'ours/baseline', 'target', 'result'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`];
  for (const r of rows) {
    const unit = r.unit ?? 'ms';
    const cells = [
      r.id,
      r.measure,
      r.runtime ?? '',
      `${side(r.ours, unit)}${r.oursLabel ? ` ${r.oursLabel}` : ''}`,
      `${side(r.base, unit)}${r.baseLabel ? ` ${r.baseLabel}` : ''}`,
      r.ratio === undefined ? '–' : `${r.ratio.toFixed(2)}×`,
      targetText(r.target),
      r.verdict ?? judge(r),
    ];
    lines.push(`| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`);
  }
  return lines.join('\n');
}
