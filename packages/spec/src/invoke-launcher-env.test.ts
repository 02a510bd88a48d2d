/**
 * The plugins' launcher line (scripts/bundle.mjs) hides NODE_OPTIONS and NODE_EXTRA_CA_CERTS
 * from Node and parks them in TSCNI_OPTS / TSCNI_CACERTS; a delegated plugin gets the
 * runtime's variables back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { delegateEnv } from './invoke.js';

describe('delegateEnv and the launcher-parked variables', () => {
  it('puts parked values back under their own names and drops the parking names', () => {
    const base = { CNI_COMMAND: 'ADD', TSCNI_OPTS: '--require /x --max-old-space-size=64', TSCNI_CACERTS: '/etc/ca dir/x.pem' };
    assert.deepEqual(delegateEnv('DEL', base), {
      CNI_COMMAND: 'DEL',
      NODE_OPTIONS: '--require /x --max-old-space-size=64',
      NODE_EXTRA_CA_CERTS: '/etc/ca dir/x.pem',
    });
    assert.equal(base.TSCNI_OPTS, '--require /x --max-old-space-size=64', 'the given environment is not modified');
  });

  it('restores nothing that was not set (the launcher parks an unset variable as empty)', () => {
    assert.deepEqual(delegateEnv('ADD', { TSCNI_OPTS: '', TSCNI_CACERTS: '', PATH: '/bin' }), { CNI_COMMAND: 'ADD', PATH: '/bin' });
  });

  it('keeps a variable that is set (a plugin started without the launcher)', () => {
    assert.deepEqual(delegateEnv('ADD', { NODE_OPTIONS: '--a', TSCNI_OPTS: '--b' }), { CNI_COMMAND: 'ADD', NODE_OPTIONS: '--a' });
  });

  it('leaves an environment without parked variables as it is', () => {
    assert.deepEqual(delegateEnv('CHECK', { NODE_OPTIONS: '--a', NODE_EXTRA_CA_CERTS: '/c' }), {
      CNI_COMMAND: 'CHECK',
      NODE_OPTIONS: '--a',
      NODE_EXTRA_CA_CERTS: '/c',
    });
  });
});
