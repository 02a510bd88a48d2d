import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { describe, it } from 'node:test';
import { currentNetNSPath, withNetNS } from '@tscni/netlink/netns';
import { listLinks } from '@tscni/netlink/rtnl/link';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import { openTempNetNS } from './temp-netns.js';

describe('openTempNetNS', () => {
  it('makes a new empty namespace and leaves the caller where it was', () => {
    const before = readlinkSync(currentNetNSPath());
    const tmp = openTempNetNS();
    try {
      assert.equal(readlinkSync(currentNetNSPath()), before);
      const inside = withNetNS(tmp, () => readlinkSync(currentNetNSPath()));
      assert.notEqual(inside, before);
      assert.deepEqual(
        withRtnlSocket({ netns: tmp }, (rt) => listLinks(rt).map((l) => l.name)),
        ['lo'],
      );
    } finally {
      tmp.close();
    }
  });
});
