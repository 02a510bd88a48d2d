import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { PLUGIN_DIR } from './testing/run-plugin.js';
import { startWorkerTask, WORKER_MARK } from './worker-task.js';

const missing = '/run/netns/tscni-worker-task-missing';
const input = {
  mode: 'acquire',
  settings: { netnsPath: missing, ifName: 'eth0', clientID: Uint8Array.of(0), provide: [], request: [], timeoutMs: 100, resendMaxMs: 100, resendTimeoutMs: 100, broadcast: true },
};

/** The first message of a worker, and its exit code. */
function firstMessage(w: Worker): Promise<{ message: unknown; code: number }> {
  return new Promise((resolve, reject) => {
    let message: unknown;
    w.once('message', (m) => (message = m));
    w.once('error', reject);
    w.once('exit', (code) => resolve({ message, code }));
  });
}

describe('worker tasks', () => {
  it('a worker started from lib/ runs main.js, which hands it its task (the DHCP client, failing on a missing netns)', async () => {
    const { message, code } = await firstMessage(startWorkerTask('dhcp-client', input));
    assert.deepEqual(message, { type: 'failed', message: `failed to Statfs "${missing}": no such file or directory` });
    assert.equal(code, 0);
  });

  // In the bundle, a worker runs the core behind the launcher (scripts/bundle.mjs).
  const core = existsSync(PLUGIN_DIR) ? readdirSync(PLUGIN_DIR).find((n) => /^\.tscni-core-.*\.cjs$/.test(n)) : undefined;
  it('the bundle started as a worker does the same', { skip: core ? false : `no bundle in ${PLUGIN_DIR} (npm run build)` }, async () => {
    const { message, code } = await firstMessage(new Worker(join(PLUGIN_DIR, core!), { argv: [WORKER_MARK], workerData: { tscniWorkerTask: 'dhcp-client', data: input } }));
    assert.deepEqual(message, { type: 'failed', message: `failed to Statfs "${missing}": no such file or directory` });
    assert.equal(code, 0);
  });

  it('a worker naming no known task fails', async () => {
    const w = new Worker(new URL('./main.js', import.meta.url), { argv: [WORKER_MARK], workerData: { tscniWorkerTask: 'nope' } });
    await assert.rejects(firstMessage(w), /names no known task \(nope\)/);
  });
});
