import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NetfilterError } from './errors.js';
import { nftExprsFromText } from './nft-text.js';

const PREROUTING = { type: 'nat', hook: 'prerouting', prio: -100 } as const;

describe('nftExprsFromText', () => {
  it('turns rule text into the expressions nft understood', () => {
    assert.deepEqual(nftExprsFromText('ip', ['iifname', '"eth0"', 'ip', 'saddr', '!=', '10.0.0.0/8'], PREROUTING), [
      { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'eth0' } },
      { match: { op: '!=', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '10.0.0.0', len: 8 } } } },
    ]);
    assert.deepEqual(nftExprsFromText('ip6', ['ip6 saddr { 2001:db8::1, 2001:db8::2 }']).length, 1);
    assert.deepEqual(nftExprsFromText('ip', []), []);
  });

  it('refuses what nft refuses, verdicts, and anything that ends the command', () => {
    assert.throws(() => nftExprsFromText('ip', ['ip', 'saddr', 'bogus-word']), (e: unknown) => e instanceof NetfilterError && /nft refused the rule text "ip saddr bogus-word"/.test(e.message));
    assert.throws(() => nftExprsFromText('ip', ['drop']), /Statement after terminal statement|is not a match/);
    assert.throws(() => nftExprsFromText('ip', ['accept;', 'flush', 'ruleset']), /must not contain/);
  });
});
