import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goMarshal, goMarshalIndent, goMarshalIndentSorted, goMarshalSorted, goQuote, goQuoteList, goSyntaxError, parseJson, parseJsonObject } from './gojson.js';

describe('goSyntaxError', () => {
  const cases: [string, string][] = [
    ['', 'unexpected end of JSON input'],
    ['   ', 'unexpected end of JSON input'],
    ['{', 'unexpected end of JSON input'],
    ['{"a":', 'unexpected end of JSON input'],
    ['{"a":"b', 'unexpected end of JSON input'],
    ['tru', 'unexpected end of JSON input'],
    ['{{{', "invalid character '{' looking for beginning of object key string"],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ['[1,]', "invalid character ']' looking for beginning of value"],
    ['asdf', "invalid character 'a' looking for beginning of value"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', 'invalid character \'"\' after object key:value pair'],
    ['[1 2]', "invalid character '2' after array element"],
    ['{"a":1}x', "invalid character 'x' after top-level value"],
    ['01', "invalid character '1' after top-level value"],
    ['-a', "invalid character 'a' in numeric literal"],
    ['1.a', "invalid character 'a' after decimal point in numeric literal"],
    ['1ea', "invalid character 'a' in exponent of numeric literal"],
    ['trux', "invalid character 'x' in literal true (expecting 'e')"],
    ['nul!', "invalid character '!' in literal null (expecting 'l')"],
    ['"a\nb"', "invalid character '\\n' in string literal"],
    ['"\\x"', "invalid character 'x' in string escape code"],
    ['"\\u12G4"', "invalid character 'G' in \\u hexadecimal character escape"],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
    ['{"a":\u00e9}', "invalid character 'Ã' looking for beginning of value"],
  ];
  for (const [input, message] of cases) {
    it(`words ${JSON.stringify(input)} as Go does`, () => {
      assert.equal(goSyntaxError(input), message);
      assert.throws(() => parseJson(input), { message });
    });
  }

  it('is undefined for valid JSON', () => {
    for (const ok of ['{}', ' [1, -2.5e+3, "x\\u00e9", true, false, null] ', '"s"', '0']) assert.equal(goSyntaxError(ok), undefined, ok);
  });

  it('rejects a byte order mark, which Go does not skip', () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]);
    assert.throws(() => parseJson(bom), { message: "invalid character 'ï' looking for beginning of value" });
  });

  it('quotes unprintable bytes as runes', () => {
    assert.equal(goSyntaxError(new Uint8Array([0x85])), "invalid character '\\u0085' looking for beginning of value");
    assert.equal(goSyntaxError(new Uint8Array([0x01])), "invalid character '\\x01' looking for beginning of value");
  });
});

describe('parseJsonObject', () => {
  it('reads null as an empty object and refuses other non-objects', () => {
    assert.deepEqual(parseJsonObject('null'), {});
    assert.throws(() => parseJsonObject('[1]'), { message: 'json: cannot unmarshal array into Go value of type map[string]interface {}' });
    assert.throws(() => parseJsonObject('"x"'), { message: 'json: cannot unmarshal string into Go value of type map[string]interface {}' });
  });
});

describe('Go marshalling', () => {
  it('sorts keys at every level, compact, HTML-safe', () => {
    assert.equal(goMarshalSorted({ b: 1, a: { d: [{ z: 1, y: 2 }], c: '<&>' } }), '{"a":{"c":"\\u003c\\u0026\\u003e","d":[{"y":2,"z":1}]},"b":1}');
    assert.equal(goMarshalSorted({ B: 1, a: 2, _: 3 }), '{"B":1,"_":3,"a":2}');
    // JS enumerates integer-like keys first and numerically; Go sorts them as bytes.
    assert.equal(goMarshalSorted({ a: 1, 9: 2, 10: 3 }), '{"10":3,"9":2,"a":1}');
    assert.equal(goMarshalIndentSorted({ b: [1, { 10: true, 2: null }], a: {} }), '{\n    "a": {},\n    "b": [\n        1,\n        {\n            "10": true,\n            "2": null\n        }\n    ]\n}');
    assert.equal(goMarshal({ b: undefined, a: [undefined, 1] }), '{"a":[null,1]}');
    assert.equal(goMarshal({ s: '\u2028\u2029' }), '{"s":"\\u2028\\u2029"}');
  });

  it('indents with 4 spaces and no trailing newline', () => {
    assert.equal(goMarshalIndent({ a: [1], b: {} }), '{\n    "a": [\n        1\n    ],\n    "b": {}\n}');
  });

  it('quotes like %q', () => {
    assert.equal(goQuote('a"b\\c\n\t\u0001'), '"a\\"b\\\\c\\n\\t\\x01"');
    assert.equal(goQuoteList(['1.2.3', '4.3.2']), '["1.2.3" "4.3.2"]');
    assert.equal(goQuoteList([]), '[]');
  });
});
