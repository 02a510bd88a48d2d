import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkNetNS, netnsCheckOverridden } from './netns-check.js';

describe('checkNetNS', { skip: process.platform !== 'linux' }, () => {
  it("refuses the plugin's own netns", () => {
    assert.deepEqual(checkNetNS('/proc/self/ns/net')?.toJSON(), { code: 8, msg: "plugin's netns and netns from CNI_NETNS should not be the same" });
  });
  it('ignores paths that cannot be reached', () => {
    assert.equal(checkNetNS(''), undefined);
    assert.equal(checkNetNS('/nonexistent/netns'), undefined);
  });
  it('accepts another file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skel-netns-'));
    try {
      writeFileSync(join(dir, 'ns'), '');
      assert.equal(checkNetNS(join(dir, 'ns')), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it("fails with code 8 when the plugin's own netns cannot be read", () => {
    assert.deepEqual(checkNetNS('/proc/self/ns/net', '/nonexistent/own')?.toJSON(), { code: 8, msg: "get plugin's netns failed" });
  });
});

describe('netnsCheckOverridden', () => {
  it('accepts TRUE in any case and 1, nothing else', () => {
    assert.deepEqual(['TRUE', 'true', 'tRuE', '1', '', '0', 'yes', ' true'].map(netnsCheckOverridden), [true, true, true, true, false, false, false, false]);
  });
});
