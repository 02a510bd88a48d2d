import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LinkNotFoundError, RtnlError } from '@tscni/netlink/rtnl/errors';
import { RTM_GETLINK, RTM_NEWROUTE } from '@tscni/netlink/rtnl/constants';
import { kernelWords } from './kernel-words.js';

describe('kernelWords', () => {
  it('says what Go says for a kernel refusal, a missing link and anything else', () => {
    assert.equal(kernelWords(new RtnlError(RTM_NEWROUTE, 101, 'Nexthop has invalid gateway')), 'network is unreachable');
    assert.equal(kernelWords(new RtnlError(RTM_NEWROUTE, 17)), 'file exists');
    assert.equal(kernelWords(new LinkNotFoundError(RTM_GETLINK, 'eth9', 19)), 'Link not found');
    assert.equal(kernelWords(new Error('boom')), 'boom');
  });
});
