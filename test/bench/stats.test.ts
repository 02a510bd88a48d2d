/**
 * The benchmark's arithmetic and table (bench/harness/stats.mjs and report.mjs): order
 * statistics, lifecycles summed per round, verdicts against issue #8's targets, and the
 * README's marker replacement. The benchmark itself is run by `npm run bench`, not here.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/host.js';

interface Summary {
  median?: number | undefined;
  p90?: number | undefined;
  n: number;
  failures: number;
}
interface Target {
  maxRatio?: number;
  maxValue?: number;
  equals?: number;
  unit?: string;
}
interface Row {
  id: string;
  measure: string;
  runtime?: string;
  ours?: Summary;
  base?: Summary;
  ratio?: number | undefined;
  target?: Target | undefined;
  unit?: string;
  verdict?: string;
}
interface Stats {
  median(xs: readonly number[]): number | undefined;
  p90(xs: readonly number[]): number | undefined;
  summarize(xs: readonly number[], failures?: number): Summary;
  sumRounds(series: readonly (readonly (number | undefined)[])[]): number[];
  ratio(a: number | undefined, b: number | undefined): number | undefined;
  judge(row: Row): string;
  markdownTable(rows: readonly Row[]): string;
}
interface Report {
  replaceBetweenMarkers(readme: string, text: string): string | undefined;
  README_BEGIN: string;
  README_END: string;
}
interface Scenarios {
  duplicates(addresses: readonly string[]): number;
}

const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(join(repoRoot, 'bench', 'harness', file)).href)) as T;

describe('bench statistics', async () => {
  const stats = await load<Stats>('stats.mjs');

  it('takes medians of odd and even counts and nearest-rank p90', () => {
    assert.equal(stats.median([3, 1, 2]), 2);
    assert.equal(stats.median([4, 1, 3, 2]), 2.5);
    assert.equal(stats.median([]), undefined);
    assert.equal(stats.p90([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 9);
    assert.equal(stats.p90([5]), 5);
  });

  it('sums lifecycles per round and leaves out rounds where an operation failed', () => {
    assert.deepEqual(stats.sumRounds([[1, 2, 3], [10, undefined, 30], [100, 200, 300]]), [111, 333]);
    assert.deepEqual(stats.sumRounds([]), []);
  });

  it('judges ratios, absolute limits and counts, and fails a side that failed', () => {
    const s = (median: number, failures = 0): Summary => ({ median, n: 1, failures });
    assert.equal(stats.ratio(30, 20), 1.5);
    assert.equal(stats.ratio(30, 0), undefined);
    assert.equal(stats.judge({ id: '2', measure: 'x', ours: s(10), ratio: 1.5, target: { maxRatio: 1.5 } }), 'pass');
    assert.equal(stats.judge({ id: '2', measure: 'x', ours: s(10), ratio: 1.51, target: { maxRatio: 1.5 } }), 'FAIL');
    assert.equal(stats.judge({ id: '2', measure: 'x', ours: s(10, 1), ratio: 0.5, target: { maxRatio: 1.5 } }), 'FAIL');
    assert.equal(stats.judge({ id: '6', measure: 'x', ours: s(63.9), target: { maxValue: 64 } }), 'pass');
    assert.equal(stats.judge({ id: '5', measure: 'x', ours: s(1), target: { equals: 0 } }), 'FAIL');
    assert.equal(stats.judge({ id: '1', measure: 'x', ours: s(1), ratio: 9 }), 'info');
  });

  it('prints one Markdown table row per result, with failures and counts', () => {
    const table = stats.markdownTable([
      { id: '2', measure: 'ptp ADD', runtime: 'Go libcni', ours: stats.summarize([10, 12, 11]), base: stats.summarize([5, 6, 7]), ratio: 2, verdict: 'info' },
      { id: '3', measure: 'a | b CHECK', runtime: 'Go libcni', ours: stats.summarize([220]), base: stats.summarize([], 15), verdict: 'info' },
      { id: '5', measure: 'duplicates', ours: { median: 0, n: 5, failures: 0 }, base: { median: 0, n: 5, failures: 0 }, target: { equals: 0 }, unit: '', verdict: 'pass' },
    ]);
    const lines = table.split('\n');
    assert.equal(lines.length, 5);
    assert.equal(lines[2], '| 2 | ptp ADD | Go libcni | 11.0 ms | 6.0 ms | 2.00× |  | info |');
    assert.equal(lines[3], '| 3 | a \\| b CHECK | Go libcni | 220 ms | failed | – |  | info |');
    assert.equal(lines[4], '| 5 | duplicates |  | 0 | 0 | – | = 0 | pass |');
  });

  it('counts duplicate addresses', async () => {
    const scenarios = await load<Scenarios>('scenarios.mjs');
    assert.equal(scenarios.duplicates(['10.0.0.2', '10.0.0.3', '10.0.0.2', '10.0.0.2']), 2);
    assert.equal(scenarios.duplicates([]), 0);
  });

  it('replaces the README table between its markers only', async () => {
    const report = await load<Report>('report.mjs');
    const readme = `# x\n\n## Speed\n\n${report.README_BEGIN}\nold\n${report.README_END}\n\n## After\n`;
    assert.equal(report.replaceBetweenMarkers(readme, 'new'), `# x\n\n## Speed\n\n${report.README_BEGIN}\nnew\n${report.README_END}\n\n## After\n`);
    assert.equal(report.replaceBetweenMarkers('# no markers\n', 'new'), undefined);
  });
});
