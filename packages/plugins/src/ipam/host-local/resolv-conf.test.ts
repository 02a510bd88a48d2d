import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CniError } from '@tscni/spec/errors';
import { parseResolvConfText, readResolvConf } from './resolv-conf.js';

describe('host-local resolvConf', () => {
  it('reads nameservers, the last domain, every search and option field; skips comments and short lines', () => {
    const text = '# c\n; c\nnameserver 192.0.2.1 ignored\r\n  nameserver   2001:db8::53\ndomain a.org\ndomain b.org\nsearch x.org y.org\nsearch z.org\noptions ndots:5\nsortlist\n';
    assert.deepEqual(parseResolvConfText(text), { nameservers: ['192.0.2.1', '2001:db8::53'], domain: 'b.org', search: ['x.org', 'y.org', 'z.org'], options: ['ndots:5'] });
    assert.deepEqual(parseResolvConfText(''), {});
  });

  it('fails on a missing file with Go\'s message, code 999', () => {
    assert.throws(() => readResolvConf('/nonexistent/tscni-resolv.conf'), (e: unknown) => e instanceof CniError && e.code === 999 && e.msg === 'open /nonexistent/tscni-resolv.conf: no such file or directory');
  });
});
