import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDaemonFlags, parseGoDuration } from './flags.js';

describe('dhcp daemon flags', () => {
  it('reads the reference flags in every Go spelling', () => {
    const f = parseDaemonFlags(['-pidfile', '/run/d.pid', '--socketpath=/tmp/s.sock', '-broadcast', '-timeout', '2s', '-resendmax=1m2s', '-resendtimeout', '3m28s', '-hostprefix', '/host']);
    assert.equal(f.pidfile, '/run/d.pid');
    assert.equal(f.socketpath, '/tmp/s.sock');
    assert.equal(f.broadcast, true);
    assert.equal(f.timeoutMs, 2000);
    assert.equal(f.resendMaxMs, 62000);
    assert.equal(f.resendTimeoutMs, 208000);
    assert.equal(f.hostprefix, '/host');
    assert.equal(parseDaemonFlags(['-broadcast=false']).broadcast, false);
  });

  it('has the reference defaults', () => {
    const f = parseDaemonFlags([]);
    assert.deepEqual([f.socketpath, f.timeoutMs, f.resendMaxMs, f.resendTimeoutMs, f.broadcast, f.statedir], ['', 10000, 62000, 208000, false, '/var/lib/cni/dhcp']);
  });

  it('refuses what Go refuses, with its words', () => {
    assert.throws(() => parseDaemonFlags(['-nope']), /flag provided but not defined: -nope/);
    assert.throws(() => parseDaemonFlags(['-timeout']), /flag needs an argument: -timeout/);
    assert.throws(() => parseDaemonFlags(['-timeout', '10']), /invalid value "10" for flag -timeout: time: invalid duration "10"/);
  });

  it('parses Go durations', () => {
    assert.equal(parseGoDuration('1h2m3.5s'), 3723500);
    assert.equal(parseGoDuration('250ms'), 250);
    assert.throws(() => parseGoDuration('s'), /invalid duration/);
  });
});
