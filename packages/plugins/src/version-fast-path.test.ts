import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { versionReply } from './version-fast-path.js';

const replies = { ptp: 'PTP\n', 'host-local': 'HL\n', dhcp: 'DHCP\n' };

describe('the launcher answers VERSION from its table', () => {
  it('answers a plain VERSION for the invoked name or the named plugin', () => {
    assert.equal(versionReply({ CNI_COMMAND: 'VERSION' }, ['node', '/opt/cni/bin/ptp'], replies, basename), 'PTP\n');
    assert.equal(versionReply({ CNI_COMMAND: 'VERSION' }, ['node', '/x/.tscni', 'host-local'], replies, basename), 'HL\n');
  });
  it('leaves everything else to the plugins: other commands, unknown names, subcommands, other spellings', () => {
    for (const [env, argv] of [
      [{ CNI_COMMAND: 'ADD' }, ['node', '/opt/cni/bin/ptp']],
      [{}, ['node', '/opt/cni/bin/ptp']],
      [{ CNI_COMMAND: 'version' }, ['node', '/opt/cni/bin/ptp']],
      [{ CNI_COMMAND: 'VERSION ' }, ['node', '/opt/cni/bin/ptp']],
      [{ CNI_COMMAND: 'VERSION' }, ['node', '/opt/cni/bin/nosuch']],
      [{ CNI_COMMAND: 'VERSION' }, ['node', '/opt/cni/bin/dhcp', 'daemon']],
      [{ CNI_COMMAND: 'VERSION' }, ['node', '/x/.tscni', 'dhcp', 'daemon']],
    ] as const) {
      assert.equal(versionReply(env, argv, replies, basename), undefined, `${JSON.stringify(env)} ${argv.join(' ')}`);
    }
  });
});
