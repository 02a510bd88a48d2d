import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatChainName,
  formatChainNameWithPrefix,
  formatComment,
  formatHashWithPrefix,
  goQuote,
  masqComment,
  masqInstanceHash,
  masqNetworkHash,
  truncateUtf8,
} from './names.js';

describe('chain names', () => {
  it('formats the reference examples', () => {
    assert.equal(formatChainName('test', '1234'), 'CNI-2bbe0c48b91a7d1b8a6753a8');
    assert.equal(formatChainName('ptpnet', 'p1'), 'CNI-548eaeb1b195abedcae6718f');
  });

  it('puts a sub-prefix after CNI- and keeps 28 characters (portmap CNI-DN- observed on 1.1.1)', () => {
    const name = formatChainNameWithPrefix('ptpnet', 'p2', 'DN-');
    assert.equal(name, 'CNI-DN-ee4b2e7c1655fdef64802');
    assert.equal(name.length, 28);
  });

  it('refuses what MustFormatHashWithPrefix panics on', () => {
    assert.throws(() => formatHashWithPrefix(4, 'CNI-', 'x'), RangeError);
    assert.throws(() => formatHashWithPrefix(129, '', 'x'), RangeError);
    assert.equal(formatHashWithPrefix(128, '', 'x').length, 128);
  });
});

describe('formatComment (Go %q)', () => {
  it('quotes names and IDs', () => {
    assert.equal(formatComment('mynet', 'ctr1'), 'name: "mynet" id: "ctr1"');
  });

  it('escapes quotes, backslashes and non-printable characters as Go does', () => {
    assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(goQuote('\x07\b\f\n\r\t\v'), '"\\a\\b\\f\\n\\r\\t\\v"');
    assert.equal(goQuote('\x00\x1b\x7f'), '"\\x00\\x1b\\x7f"');
    assert.equal(goQuote('\u00a0\u200b'), '"\\u00a0\\u200b"');
    assert.equal(goQuote('\u{e0001}'), '"\\U000e0001"');
    assert.equal(goQuote('héllo ✓ 🙂'), '"héllo ✓ 🙂"');
  });
});

describe('nftables masquerade comment', () => {
  it('matches the upstream unit test vectors', () => {
    assert.equal(masqNetworkHash('unit-test'), '6fd94d501e58f0aa');
    assert.equal(masqComment('unit-test', 'eth0', 'one'), '6fd94d501e58f0aa-287fc69eff0574a2, net: unit-test, if: eth0, id: one');
    assert.equal(masqComment('unit-test', 'eth0', 'two'), '6fd94d501e58f0aa-d750b2c8f0f25d5f, net: unit-test, if: eth0, id: two');
    assert.equal(masqComment('unit-test', 'eth0', 'three'), '6fd94d501e58f0aa-a4d4adb82b669cfe, net: unit-test, if: eth0, id: three');
    assert.equal(masqComment('alternate', 'net1', 'three'), '82783ef24bdc7036-acb19d111858e348, net: alternate, if: net1, id: three');
    assert.equal(masqInstanceHash('unit-test', 'eth0', 'four'), '6fd94d501e58f0aa-e766de567ef6c543');
  });

  it('strips double quotes and cuts to 128 bytes', () => {
    const c = masqComment('n"e"t', 'eth0', 'x'.repeat(200));
    assert.match(c, /, net: net, if: eth0, id: x+$/);
    assert.equal(Buffer.byteLength(c), 128);
  });

  it('never splits a character when cutting', () => {
    assert.equal(truncateUtf8('héllo', 2), 'h');
    assert.equal(truncateUtf8('héllo', 3), 'hé');
    assert.equal(truncateUtf8('abc', 10), 'abc');
  });
});
