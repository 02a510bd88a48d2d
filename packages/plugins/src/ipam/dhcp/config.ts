/**
 * The dhcp IPAM plugin's configuration: where the daemon listens, and what the client sends
 * (`provide`) and asks for (`request`) on this attachment's behalf.
 */
import { ConfigError, ConfigReader, parseConfig } from '@tscni/skel';
import type { JsonObject } from '@tscni/spec/gojson';
import { CLIENT_IDENTIFIER, DEFAULT_REQUEST, parseOptionName } from './options.js';

export const DEFAULT_SOCKET_PATH = '/run/cni/dhcp.sock';

/** An option the client sends, its value as bytes. */
export interface ProvidedOption {
  code: number;
  value: Uint8Array;
}

export interface DhcpConfig {
  cniVersion: string;
  name: string;
  socketPath: string;
  provide: ProvidedOption[];
  request: number[];
  /** Metric set on every route of the result (HEAD's `priority`). */
  priority?: number;
}

/** The most an option can carry: its length is one byte. */
const MAX_OPTION_BYTES = 255;

/**
 * CNI_ARGS read as the reference's dhcp reads them for `fromArg`: pairs split on `;`, each at
 * its first `=`, with nothing validated, so a value may contain `=`.
 */
function looseArgs(args: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of args.split(';')) {
    const at = pair.indexOf('=');
    if (at > 0) out.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return out;
}

function entries(c: ConfigReader, path: string): JsonObject[] {
  const list = c.get(path);
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) c.fail(path, 'expected an array');
  return list.map((v, i) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) c.fail(`${path}.${i}`, 'expected an object');
    return v;
  });
}

function optionCode(path: string, option: string): number {
  try {
    return parseOptionName(option);
  } catch (e) {
    throw new ConfigError(path, (e as Error).message);
  }
}

function readProvide(c: ConfigReader, cniArgs: string): ProvidedOption[] {
  const args = looseArgs(cniArgs);
  const out: ProvidedOption[] = [];
  entries(c, 'ipam.provide').forEach((raw, i) => {
    const e = new ConfigReader(raw);
    const path = `ipam.provide.${i}`;
    const code = optionCode(`${path}.option`, e.string('option', ''));
    const values = [e.string('value', ''), args.get(e.string('fromArg', '')) ?? ''];
    if (e.string('fromArg', '') === '') values.pop();
    for (const value of values) {
      if (value === '') continue;
      const bytes = new TextEncoder().encode(value);
      if (bytes.length > MAX_OPTION_BYTES) throw new ConfigError(path, `value of option ${code} is ${bytes.length} bytes, at most ${MAX_OPTION_BYTES} fit`);
      out.push({ code, value: bytes });
    }
  });
  return out;
}

function readRequest(c: ConfigReader): number[] {
  const list = entries(c, 'ipam.request');
  const skipDefault = list.some((raw) => new ConfigReader(raw).boolean('skipDefault', false));
  const codes = skipDefault ? [] : [...DEFAULT_REQUEST];
  list.forEach((raw, i) => {
    const e = new ConfigReader(raw);
    if (!e.has('option')) return;
    const code = optionCode(`ipam.request.${i}.option`, e.string('option'));
    if (!codes.includes(code)) codes.push(code);
  });
  return codes;
}

/**
 * @example loadDhcpConfig('{"cniVersion":"1.0.0","name":"n","ipam":{"type":"dhcp"}}', '').socketPath // '/run/cni/dhcp.sock'
 */
export function loadDhcpConfig(stdinData: Uint8Array | string, cniArgs: string): DhcpConfig {
  return parseConfig(stdinData, (c) => {
    const priority = c.has('ipam.priority') ? c.integer('ipam.priority', { min: 0 }) : undefined;
    return {
      socketPath: c.string('ipam.daemonSocketPath', '') || DEFAULT_SOCKET_PATH,
      provide: readProvide(c, cniArgs),
      request: readRequest(c),
      ...(priority !== undefined ? { priority } : {}),
    };
  });
}

/**
 * The client identifier the reference derives for an attachment (`cid/net/if`, at most 254
 * bytes), as option 61 carries it: type 0 then the text.
 *
 * @example clientIdentifier('c1', 'net', 'eth0') // 00 63 31 2f ...
 */
export function clientIdentifier(containerID: string, netName: string, ifName: string): Uint8Array {
  const id = new TextEncoder().encode(`${containerID}/${netName}/${ifName}`).subarray(0, 254);
  const out = new Uint8Array(id.length + 1);
  out.set(id, 1);
  return out;
}

/** Whether `provide` replaces the client identifier. */
export function providesClientID(conf: DhcpConfig): boolean {
  return conf.provide.some((p) => p.code === CLIENT_IDENTIFIER);
}
