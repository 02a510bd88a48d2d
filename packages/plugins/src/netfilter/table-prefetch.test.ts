import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { iptablesUnusable } from './iptables-check.js';
import { readIptablesTable } from './iptables-save.js';
import { runRestore } from './iptables.js';
import { forgetProbes, supportsIPTables } from './probe.js';
import type { CommandResult, CommandRunner } from './run.js';

/** A runner that records every tool run and lists a nat table with one chain per listing. */
function recordingRunner(): CommandRunner & { runs: string[] } {
  const runs: string[] = [];
  let listings = 0;
  return {
    runs,
    run(file: string, args: readonly string[]): CommandResult {
      runs.push([file, ...args].join(' '));
      if (file.endsWith('-save')) {
        listings++;
        return { status: 0, stdout: `*nat\n:PREROUTING ACCEPT [0:0]\n:LISTING-${listings} - [0:0]\nCOMMIT\n`, stderr: '' };
      }
      return { status: 0, stdout: '', stderr: '' };
    },
  };
}

describe('iptables listings taken by a probe', () => {
  it("answer the probe and the next read of that table with one run; a restore drops them", () => {
    const r = recordingRunner();
    assert.equal(supportsIPTables(r), true);
    assert.ok(readIptablesTable('ipv4', 'nat', r).chains.has('LISTING-1'));
    assert.deepEqual(r.runs, ['iptables-save -t nat']);
    // Given out once: the next read lists again.
    assert.ok(readIptablesTable('ipv4', 'nat', r).chains.has('LISTING-2'));
    assert.equal(iptablesUnusable('ipv6', 'nat', 'OUTPUT', r), undefined);
    runRestore('ipv4', '*nat\nCOMMIT\n', r);
    // The kept IPv6 listing predates the restore: it is not used.
    assert.ok(readIptablesTable('ipv6', 'nat', r).chains.has('LISTING-4'));
    assert.deepEqual(r.runs, ['iptables-save -t nat', 'iptables-save -t nat', 'ip6tables-save -t nat', 'iptables-restore --noflush --wait', 'ip6tables-save -t nat']);
  });

  it('are forgotten with the probe results between requests of a long-running process (forgetProbes)', () => {
    const r = recordingRunner();
    assert.equal(supportsIPTables(r), true);
    assert.equal(supportsIPTables(r), true);
    assert.deepEqual(r.runs, ['iptables-save -t nat']);
    forgetProbes(r);
    // The kept listing is gone (the read lists again) and the probe asks again.
    assert.ok(readIptablesTable('ipv4', 'nat', r).chains.has('LISTING-2'));
    assert.equal(supportsIPTables(r), true);
    assert.deepEqual(r.runs, ['iptables-save -t nat', 'iptables-save -t nat', 'iptables-save -t nat']);
  });

  it('report a family whose tool fails as unusable, keeping nothing', () => {
    const runs: string[] = [];
    const failing: CommandRunner = {
      run: (file, args) => {
        runs.push([file, ...args].join(' '));
        return { status: 1, stdout: '', stderr: 'iptables-save: table nat missing' };
      },
    };
    assert.match(iptablesUnusable('ipv4', 'nat', 'OUTPUT', failing) ?? '', /^iptables-save -t nat \(for OUTPUT\): /);
    assert.throws(() => readIptablesTable('ipv4', 'nat', failing));
    assert.equal(runs.length, 2);
  });
});
