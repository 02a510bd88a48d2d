/**
 * pluginMain's own I/O: stdin and stdout are read and written with plain system calls, and a
 * descriptor that turns out to be non-blocking falls back to Node's streams.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const PLUGIN = fileURLToPath(new URL('./examples/dns-inject.js', import.meta.url));
const env = { PATH: process.env['PATH'] ?? '', CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: '/var/run/netns/nonexistent', CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin' };
const prevResult = { cniVersion: '1.1.0', ips: [{ address: '10.1.2.3/24', gateway: '10.1.2.1' }], dns: { nameservers: ['1.1.1.1'] } };
const conf = { cniVersion: '1.1.0', name: 'net', type: 'dns-inject', nameserver: '10.0.0.53', prevResult };
const expected = { ...prevResult, dns: { nameservers: ['1.1.1.1', '10.0.0.53'] } };

describe('pluginMain I/O', () => {
  it('reads a config larger than a pipe buffer from a blocking pipe', () => {
    const big = { ...conf, padding: 'x'.repeat(300_000) };
    const r = spawnSync(process.execPath, [PLUGIN], { input: JSON.stringify(big), env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), expected);
  });

  it('reads a non-blocking stdin whose data comes late, through the stream fallback', () => {
    // python3 hands the plugin the read end of a pipe set O_NONBLOCK and writes the config
    // only after a pause, so the plugin's first read finds nothing there (EAGAIN).
    const script = [
      'import os, subprocess, sys, time',
      'r, w = os.pipe()',
      'os.set_blocking(r, False)',
      'p = subprocess.Popen([sys.argv[1], sys.argv[2]], stdin=r)',
      'os.close(r)',
      'time.sleep(0.3)',
      'os.write(w, sys.argv[3].encode())',
      'os.close(w)',
      'sys.exit(p.wait())',
    ].join('\n');
    const r = spawnSync('python3', ['-c', script, process.execPath, PLUGIN, JSON.stringify(conf)], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), expected);
  });
});
