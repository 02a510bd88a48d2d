/**
 * JSON the way the reference (Go's encoding/json) reads and writes it, where the bytes or the
 * messages are visible to users: syntax errors worded like Go's, compact output with sorted
 * keys and HTML-safe escapes (libcni's re-marshalled configs), and 4-space pretty output.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

// Keeps a byte order mark, which Go's decoder rejects as a syntax error.
const textDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Input bytes as text; a byte order mark is kept so that parsing rejects it as Go does.
 *
 * @example toText(new Uint8Array([123, 125])) // '{}'
 */
export function toText(input: string | Uint8Array): string {
  return typeof input === 'string' ? input : textDecoder.decode(input);
}

/** Go's quoteChar: how the scanner names an offending byte. */
function quoteChar(c: number): string {
  if (c === 0x27) return `'\\''`;
  if (c === 0x22) return `'"'`;
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 0x5c: '\\\\' };
  if (named[c] !== undefined) return `'${named[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  // Go quotes the byte as the rune of the same value; these are the unprintable ones.
  if ((c >= 0x80 && c <= 0xa0) || c === 0xad) return `'\\u${c.toString(16).padStart(4, '0')}'`;
  return `'${String.fromCharCode(c)}'`;
}

/**
 * The message Go's encoding/json gives for malformed input, or undefined when the input is
 * syntactically valid JSON. Scans bytes like Go's scanner does.
 *
 * @example goSyntaxError('{{{') // "invalid character '{' looking for beginning of object key string"
 */
export function goSyntaxError(input: string | Uint8Array): string | undefined {
  const b = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  let i = 0;
  const EOF = 'unexpected end of JSON input';
  const bad = (what: string): string => `invalid character ${quoteChar(b[i]!)} ${what}`;
  const ws = (): void => {
    while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
  };
  const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

  const literal = (word: string): string | undefined => {
    for (let k = 1; k < word.length; k++) {
      i++;
      if (i >= b.length) return EOF;
      if (b[i] !== word.charCodeAt(k)) return bad(`in literal ${word} (expecting '${word[k]}')`);
    }
    i++;
    return undefined;
  };

  const number = (): string | undefined => {
    if (b[i] === 0x2d) {
      i++;
      if (i >= b.length) return EOF;
      if (!isDigit(b[i])) return bad('in numeric literal');
    }
    if (b[i] === 0x30) i++;
    else while (isDigit(b[i])) i++;
    if (b[i] === 0x2e) {
      i++;
      if (i >= b.length) return EOF;
      if (!isDigit(b[i])) return bad('after decimal point in numeric literal');
      while (isDigit(b[i])) i++;
    }
    if (b[i] === 0x65 || b[i] === 0x45) {
      i++;
      if (b[i] === 0x2b || b[i] === 0x2d) i++;
      if (i >= b.length) return EOF;
      if (!isDigit(b[i])) return bad('in exponent of numeric literal');
      while (isDigit(b[i])) i++;
    }
    return undefined;
  };

  const string = (): string | undefined => {
    i++; // opening quote
    for (;;) {
      if (i >= b.length) return EOF;
      const c = b[i]!;
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c === 0x5c) {
        i++;
        if (i >= b.length) return EOF;
        const e = b[i]!;
        if (e === 0x75) {
          for (let k = 0; k < 4; k++) {
            i++;
            if (i >= b.length) return EOF;
            const h = b[i]!;
            const hex = (h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66);
            if (!hex) return bad('in \\u hexadecimal character escape');
          }
        } else if (!'bfnrt\\/"'.includes(String.fromCharCode(e))) {
          return bad('in string escape code');
        }
        i++;
        continue;
      }
      if (c < 0x20) return bad('in string literal');
      i++;
    }
  };

  const value = (): string | undefined => {
    ws();
    if (i >= b.length) return EOF;
    const c = b[i]!;
    if (c === 0x7b) return object();
    if (c === 0x5b) return array();
    if (c === 0x22) return string();
    if (c === 0x2d || isDigit(c)) return number();
    if (c === 0x74) return literal('true');
    if (c === 0x66) return literal('false');
    if (c === 0x6e) return literal('null');
    return bad('looking for beginning of value');
  };

  const object = (): string | undefined => {
    i++;
    ws();
    if (i >= b.length) return EOF;
    if (b[i] === 0x7d) {
      i++;
      return undefined;
    }
    for (;;) {
      ws();
      if (i >= b.length) return EOF;
      if (b[i] !== 0x22) return bad('looking for beginning of object key string');
      const e1 = string();
      if (e1) return e1;
      ws();
      if (i >= b.length) return EOF;
      if (b[i] !== 0x3a) return bad('after object key');
      i++;
      const e2 = value();
      if (e2) return e2;
      ws();
      if (i >= b.length) return EOF;
      if (b[i] === 0x2c) {
        i++;
        continue;
      }
      if (b[i] === 0x7d) {
        i++;
        return undefined;
      }
      return bad('after object key:value pair');
    }
  };

  const array = (): string | undefined => {
    i++;
    ws();
    if (i >= b.length) return EOF;
    if (b[i] === 0x5d) {
      i++;
      return undefined;
    }
    for (;;) {
      const e = value();
      if (e) return e;
      ws();
      if (i >= b.length) return EOF;
      if (b[i] === 0x2c) {
        i++;
        continue;
      }
      if (b[i] === 0x5d) {
        i++;
        return undefined;
      }
      return bad('after array element');
    }
  };

  const err = value();
  if (err) return err;
  ws();
  if (i < b.length) return bad('after top-level value');
  return undefined;
}

/**
 * Parses JSON, throwing an Error whose message is Go's wording for the same input.
 *
 * @example parseJson('[1,]') // throws "invalid character ']' looking for beginning of value"
 */
export function parseJson(input: string | Uint8Array): JsonValue {
  const text = toText(input);
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new Error(goSyntaxError(input) ?? 'unexpected end of JSON input');
  }
}

/**
 * The JSON type name Go uses in "cannot unmarshal X into ..." messages.
 *
 * @example jsonTypeName([]) // 'array'
 */
export function jsonTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/**
 * Parses a JSON object as Go does into map[string]interface{}: `null` gives an empty object,
 * any other non-object fails with Go's message.
 *
 * @example parseJsonObject('null') // {}
 */
export function parseJsonObject(input: string | Uint8Array): JsonObject {
  const v = parseJson(input);
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new Error(`json: cannot unmarshal ${jsonTypeName(v)} into Go value of type map[string]interface {}`);
  }
  return v;
}

/**
 * Go sorts map keys by bytes; for UTF-16 strings that differs only beyond the BMP.
 *
 * @example ['b', 'B', 'a'].sort(compareGoStrings) // ['B', 'a', 'b']
 */
export function compareGoStrings(a: string, b: string): number {
  const ea = Buffer.from(a, 'utf8');
  const eb = Buffer.from(b, 'utf8');
  return Buffer.compare(ea, eb);
}

function goEscape(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A value already serialized, written as is: like Go's json.RawMessage (or a value with its
 * own MarshalJSON), it keeps its own key order inside a map that is otherwise sorted.
 *
 * @example goMarshalSorted({ b: new RawJson('{"z":1,"a":2}'), a: 1 }) // '{"a":1,"b":{"z":1,"a":2}}'
 */
export class RawJson {
  constructor(readonly text: string) {}
}

/**
 * Writes JSON the way JSON.stringify does, except that keys can be sorted by bytes as Go
 * sorts map keys. JSON.stringify cannot be reused for that: JS objects always enumerate
 * integer-like keys ("9", "10") first in numeric order, where Go puts "10" before "9".
 */
function serialize(value: unknown, sort: boolean, indent: string, depth: number): string | undefined {
  if (value instanceof RawJson) return value.text;
  let v = value;
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    v = (v as { toJSON: () => unknown }).toJSON();
  }
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      break;
    default:
      return undefined;
  }
  const open = indent ? `\n${indent.repeat(depth + 1)}` : '';
  const close = indent ? `\n${indent.repeat(depth)}` : '';
  const sep = indent ? ': ' : ':';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    const items = v.map((x) => serialize(x, sort, indent, depth + 1) ?? 'null');
    return `[${open}${items.join(`,${open}`)}${close}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = sort ? Object.keys(o).sort(compareGoStrings) : Object.keys(o);
  const members: string[] = [];
  for (const k of keys) {
    const text = serialize(o[k], sort, indent, depth + 1);
    if (text !== undefined) members.push(`${JSON.stringify(k)}${sep}${text}`);
  }
  if (members.length === 0) return '{}';
  return `{${open}${members.join(`,${open}`)}${close}}`;
}

function marshal(value: unknown, sort: boolean, indent: string): string {
  return goEscape(serialize(value, sort, indent, 0) ?? 'null');
}

/**
 * JSON like Go's json.Marshal of a map: compact, keys sorted by bytes at every level,
 * `<`, `>`, `&`, U+2028 and U+2029 escaped.
 *
 * @example goMarshalSorted({ b: 1, a: '<' }) // '{"a":"\\u003c","b":1}'
 */
export function goMarshalSorted(value: unknown): string {
  return marshal(value, true, '');
}

/**
 * JSON like Go's json.MarshalIndent of a map: 4-space indent, keys sorted at every level.
 *
 * @example goMarshalIndentSorted({ b: 1, a: 2 }) // '{\n    "a": 2,\n    "b": 1\n}'
 */
export function goMarshalIndentSorted(value: unknown): string {
  return marshal(value, true, '    ');
}

/**
 * JSON like Go's json.MarshalIndent(v, "", "    "): keys in the order given, HTML-safe.
 *
 * @example goMarshalIndent({ a: 1 }) // '{\n    "a": 1\n}'
 */
export function goMarshalIndent(value: unknown): string {
  return marshal(value, false, '    ');
}

/**
 * JSON like Go's json.Marshal: compact, keys in the order given, HTML-safe.
 *
 * @example goMarshal({ b: 1, a: 2 }) // '{"b":1,"a":2}'
 */
export function goMarshal(value: unknown): string {
  return marshal(value, false, '');
}

/**
 * Go's %q of a string: double-quoted with Go's escapes.
 *
 * @example goQuote('a"b') // '"a\\"b"'
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\ufffd'; // A lone surrogate reaches Go as the replacement character.
    else if (GO_PRINTABLE.test(ch)) out += ch;
    else if (GO_SHORT_ESCAPES[ch] !== undefined) out += GO_SHORT_ESCAPES[ch];
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}

// Go's strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const GO_PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const GO_SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/**
 * Go's %q of a []string: `["a" "b"]`.
 *
 * @example goQuoteList(['1.2.3', '4.3.2']) // '["1.2.3" "4.3.2"]'
 */
export function goQuoteList(list: readonly string[]): string {
  return `[${list.map(goQuote).join(' ')}]`;
}
