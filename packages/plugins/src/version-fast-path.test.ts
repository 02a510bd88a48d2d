import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { versionReply } from './version-fast-path.js';

const replies = { ptp: 'PTP\n', 'host-local': 'HL\n', dhcp: 'DHCP\n' };

describe('the launcher answers VERSION from its table', () => {
  it('answers a plain VERSION for the invoked name or the named plugin', () => {
    assert.equal(versionReply({ CNI_COMMAND: 'VERSION' }, ['node', '/opt/cni/bin/ptp'], '/usr/bin/node', replies, basename), 'PTP\n');
    assert.equal(versionReply({ CNI_COMMAND: 'VERSION' }, ['node', '/x/.tscni', 'host-local'], '/usr/bin/node', replies, basename), 'HL\n');
  });
  it('in a single executable, finds the name in the executable it was started through, as main.ts does', () => {
    assert.equal(versionReply({ CNI_COMMAND: 'VERSION' }, ['bridge', 'bridge'], '/opt/cni/bin/dhcp', replies, basename), 'DHCP\n');
    assert.equal(versionReply({ CNI_COMMAND: 'VERSION' }, ['x', 'x', 'ptp'], '/opt/cni/bin/.tscni', replies, basename), 'PTP\n');
    assert.equal(versionReply({ CNI_COMMAND: 'VERSION' }, ['x', 'x', 'daemon'], '/opt/cni/bin/dhcp', replies, basename), undefined);
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
      assert.equal(versionReply(env, argv, '/usr/bin/node', replies, basename), undefined, `${JSON.stringify(env)} ${argv.join(' ')}`);
    }
  });
});
