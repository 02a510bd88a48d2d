/**
 * The config's `sysctl` map as the reference reads it for ADD and CHECK. JSON.parse keeps only
 * the last of two equal keys, but the reference refuses duplicates (`duplicated sysctl keys
 * are not allowed`), so the members are read from the text itself, in document order.
 *
 * Like Go's decoder, every top-level key spelled `sysctl` in any case fills the same map, the
 * entries of all of them are merged, and a `null` empties the map read so far.
 */
import { ConfigError } from '@tscni/skel';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { toText } from '@tscni/spec/gojson';

/** A JSON value with every object's members kept in order, duplicates included. */
type Node = { kind: 'object'; members: [string, Node][] } | { kind: 'other'; value: unknown };

function typeName(n: Node): string {
  if (n.kind === 'object') return 'object';
  const v = n.value;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Reads valid JSON (checked by the caller); objects keep their duplicate members. */
function parseOrdered(text: string): Node {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const stringEnd = (from: number): number => {
    let j = from + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    return j + 1;
  };
  // Skips any value that is not an object and returns it parsed.
  const scalar = (): unknown => {
    const start = i;
    let depth = 0;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        i = stringEnd(i);
        if (depth === 0) break;
        continue;
      }
      if (c === '[' || c === '{') depth++;
      else if (c === ']' || c === '}') {
        if (depth === 0) break;
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      } else if (c === ',' && depth === 0) break;
      i++;
    }
    return JSON.parse(text.slice(start, i).trim()) as unknown;
  };
  const value = (): Node => {
    ws();
    if (text[i] !== '{') return { kind: 'other', value: scalar() };
    i++;
    const members: [string, Node][] = [];
    ws();
    if (text[i] === '}') {
      i++;
      return { kind: 'object', members };
    }
    for (;;) {
      ws();
      const end = stringEnd(i);
      const key = JSON.parse(text.slice(i, end)) as string;
      i = end;
      ws();
      i++; // ':'
      members.push([key, value()]);
      ws();
      if (text[i++] === '}') return { kind: 'object', members };
    }
  };
  return value();
}

/**
 * The merged `sysctl` entries of a request config, in document order.
 *
 * @example sysctlEntries('{"sysctl":{"net.core.somaxconn":"512"}}') // [['net.core.somaxconn', '512']]
 * @example sysctlEntries('{"sysctl":{"a":"1","a":"2"}}') // throws code 7 "duplicated sysctl keys are not allowed"
 */
export function sysctlEntries(stdinData: Uint8Array | string): [string, string][] {
  const text = toText(stdinData);
  try {
    JSON.parse(text);
  } catch {
    return []; // Malformed JSON is reported by the config reader, in Go's words.
  }
  const root = parseOrdered(text);
  if (root.kind !== 'object') return [];
  const seen = new Set<string>();
  let entries: [string, string][] = [];
  for (const [key, node] of root.members) {
    if (key.toLowerCase() !== 'sysctl') continue;
    if (node.kind === 'other' && node.value === null) {
      entries = [];
      continue;
    }
    if (node.kind !== 'object') throw new ConfigError('sysctl', `expected an object, got ${typeName(node)}`);
    for (const [name, v] of node.members) {
      if (seen.has(name)) throw new CniError(ErrorCode.InvalidNetworkConfig, 'duplicated sysctl keys are not allowed');
      seen.add(name);
      if (v.kind !== 'other' || typeof v.value !== 'string') throw new ConfigError(`sysctl.${name}`, `expected a string, got ${typeName(v)}`);
      entries.push([name, v.value]);
    }
  }
  return entries;
}
