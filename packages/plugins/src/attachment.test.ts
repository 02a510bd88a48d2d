import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { invokeHandler } from '@tscni/skel';
import { ipamStatusIfAny } from './attachment.js';

describe('ipamStatusIfAny', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tscni-status-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const ipam = join(dir, 'fake-ipam');
  writeFileSync(ipam, '#!/bin/sh\n[ -e "$0.down" ] && { printf \'{"code":50,"msg":"pool exhausted"}\'; exit 1; }\nexit 0\n');
  chmodSync(ipam, 0o755);
  const status = (config: object) =>
    invokeHandler('STATUS', { status: ipamStatusIfAny }, { stdinData: JSON.stringify(config), env: { ...process.env, CNI_PATH: dir } });

  it('asks the configured IPAM plugin and passes its answer on', async () => {
    const config = { cniVersion: '1.1.0', name: 'n', type: 'tap', ipam: { type: 'fake-ipam' } };
    assert.equal((await status(config)).error, undefined);
    writeFileSync(`${ipam}.down`, '');
    try {
      const { error } = await status(config);
      assert.deepEqual([error?.code, error?.msg], [50, 'pool exhausted']);
    } finally {
      rmSync(`${ipam}.down`);
    }
  });

  it('is ready without IPAM', async () => {
    assert.equal((await status({ cniVersion: '1.1.0', name: 'n', type: 'tap' })).error, undefined);
  });
});
