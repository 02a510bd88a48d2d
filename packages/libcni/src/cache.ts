/**
 * The result cache: what a successful ADD leaves in `<cacheDir>/results/<net>-<cid>-<if>`
 * for CHECK, DEL and GC to find, in the reference's `cniCacheV1` format (Go struct key
 * order, `config` in base64, directory 0700, file 0600).
 *
 * Unlike the reference, which writes in place and leaves empty files behind after a crash
 * (issue #1055), a record is written to a temporary file, synced and renamed over.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { compareGoStrings, goMarshal, goMarshalSorted, goQuote, jsonTypeName, parseJson, type JsonObject, type JsonValue } from '@tscni/spec/gojson';
import { convertResult } from '@tscni/spec/result-convert';
import { resultFromBytes } from '@tscni/spec/result-decode';
import { resultToJSON } from '@tscni/spec/result-print';
import type { Result } from '@tscni/spec/result-types';
import { goPathErrorText, isNotExist } from './fs-errors.js';
import type { CachedConfig, NetworkAttachment, RuntimeConf } from './runtime-conf.js';

/** The `kind` of a cache record; files without it are legacy bare results. */
export const CNI_CACHE_V1 = 'cniCacheV1';

/** Where the cache lives unless told otherwise. */
export const DEFAULT_CACHE_DIR = '/var/lib/cni';

/** Temporary files of in-flight writes; never read as records. */
const TMP_PREFIX = '.tmp-';

/** One cache record, field for field the reference's cachedInfo. */
export interface CacheRecord {
  kind: string;
  containerId: string;
  config: Uint8Array;
  ifName: string;
  networkName: string;
  netns?: string;
  cniArgs?: [string, string][];
  capabilityArgs?: Record<string, unknown>;
  result?: JsonObject;
}

/**
 * A record in the reference's bytes: compact, fields in struct order, empty optional
 * fields omitted, maps with sorted keys.
 *
 * @example encodeCacheRecord(record) // '{"kind":"cniCacheV1","containerId":"c1","config":"eyJ...","ifName":"eth0",...}'
 */
export function encodeCacheRecord(r: CacheRecord): string {
  const parts = [
    `"kind":${goMarshal(r.kind)}`,
    `"containerId":${goMarshal(r.containerId)}`,
    `"config":${goMarshal(Buffer.from(r.config).toString('base64'))}`,
    `"ifName":${goMarshal(r.ifName)}`,
    `"networkName":${goMarshal(r.networkName)}`,
  ];
  if (r.netns) parts.push(`"netns":${goMarshal(r.netns)}`);
  if (r.cniArgs && r.cniArgs.length > 0) parts.push(`"cniArgs":${goMarshal(r.cniArgs)}`);
  if (r.capabilityArgs && Object.keys(r.capabilityArgs).length > 0) parts.push(`"capabilityArgs":${goMarshalSorted(r.capabilityArgs)}`);
  if (r.result && Object.keys(r.result).length > 0) parts.push(`"result":${goMarshalSorted(r.result)}`);
  return `{${parts.join(',')}}`;
}

function fieldTypeError(v: JsonValue, field: string, goType: string): Error {
  return new Error(`json: cannot unmarshal ${jsonTypeName(v)} into Go struct field cachedInfo.${field} of type ${goType}`);
}

/** Go's base64.StdEncoding.DecodeString, strict about the alphabet and padding. */
function decodeBase64(s: string): Uint8Array {
  const text = s.replace(/[\r\n]/g, '');
  const bad = text.search(/[^A-Za-z0-9+/=]/);
  if (bad >= 0) throw new Error(`illegal base64 data at input byte ${bad}`);
  const pad = text.indexOf('=');
  if (text.length % 4 !== 0 || (pad >= 0 && (pad < text.length - 2 || /[^=]/.test(text.slice(pad))))) {
    throw new Error(`illegal base64 data at input byte ${pad >= 0 ? pad : text.length - (text.length % 4)}`);
  }
  return Buffer.from(text, 'base64');
}

const FIELDS = ['kind', 'containerId', 'config', 'ifName', 'networkName', 'netns', 'cniArgs', 'capabilityArgs', 'result'] as const;

/**
 * Reads a cache file as Go's json.Unmarshal into cachedInfo would (keys matched without
 * regard to case); throws with Go's wording when that would fail.
 *
 * @example decodeCacheRecord(await readFile(path)).kind // 'cniCacheV1'
 */
export function decodeCacheRecord(bytes: Uint8Array): CacheRecord {
  const raw = parseJson(bytes);
  const r: CacheRecord = { kind: '', containerId: '', config: new Uint8Array(), ifName: '', networkName: '' };
  if (raw === null) return r;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`json: cannot unmarshal ${jsonTypeName(raw)} into Go value of type libcni.cachedInfo`);
  let firstError: Error | undefined;
  for (const [key, v] of Object.entries(raw)) {
    const field = FIELDS.find((f) => f.toLowerCase() === key.toLowerCase());
    if (!field || v === null) continue;
    try {
      switch (field) {
        case 'config':
          if (typeof v !== 'string') throw fieldTypeError(v, field, '[]uint8');
          r.config = decodeBase64(v);
          break;
        case 'cniArgs':
          if (!Array.isArray(v)) throw fieldTypeError(v, field, '[][2]string');
          r.cniArgs = v.map((pair) => {
            if (!Array.isArray(pair)) throw fieldTypeError(pair, field, '[2]string');
            const [k = '', val = ''] = pair.map((x) => {
              if (x !== null && typeof x !== 'string') throw fieldTypeError(x, field, 'string');
              return x ?? '';
            });
            return [k, val];
          });
          break;
        case 'capabilityArgs':
        case 'result':
          if (typeof v !== 'object' || Array.isArray(v)) throw fieldTypeError(v, field, 'map[string]interface {}');
          r[field] = v;
          break;
        default:
          if (typeof v !== 'string') throw fieldTypeError(v, field, 'string');
          r[field] = v;
      }
    } catch (e) {
      // Go keeps decoding after a type error and reports the first one.
      firstError ??= e as Error;
    }
  }
  if (firstError) throw firstError;
  return r;
}

async function mkdirAll(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    // Go's MkdirAll reports an existing non-directory as ENOTDIR on that path.
    const existing = await stat(dir).catch(() => undefined);
    if (existing && !existing.isDirectory()) throw new Error(`mkdir ${dir}: not a directory`, { cause: e });
    throw new Error(goPathErrorText(e, dir), { cause: e });
  }
}

async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = join(dirname(path), `${TMP_PREFIX}${basename(path)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    // Name the record, not the temporary file, as the reference's message would.
    const text = goPathErrorText(e, path).replace(tmp, path);
    throw new Error(text, { cause: e });
  }
}

/**
 * The cache of one CNIConfig, rooted at `dir`.
 *
 * @example const cache = new ResultCache('/var/lib/cni');
 */
/** A file's bytes, or undefined when it cannot be read: the reference treats both alike. */
async function readIfPresent(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(path);
  } catch {
    return undefined;
  }
}

export class ResultCache {
  constructor(readonly dir: string = DEFAULT_CACHE_DIR) {}

  /**
   * The record's path; all three names are required.
   *
   * @example cache.filePath('mynet', rt) // '/var/lib/cni/results/mynet-c1-eth0'
   */
  filePath(netName: string, rt: Pick<RuntimeConf, 'containerID' | 'ifName'>): string {
    if (netName === '' || rt.containerID === '' || rt.ifName === '') {
      throw new Error(
        `cache file path requires network name (${goQuote(netName)}), container ID (${goQuote(rt.containerID)}), and interface name (${goQuote(rt.ifName)})`,
      );
    }
    // Only ADD validates these names, so a DEL or CHECK could otherwise reach outside
    // results/ (the reference does not guard against it).
    for (const [what, name] of [['network name', netName], ['container ID', rt.containerID], ['interface name', rt.ifName]] as const) {
      if (name.includes('/') || name.includes('\0')) throw new Error(`cache file path: ${what} ${goQuote(name)} contains '/' or NUL`);
    }
    return join(this.dir, 'results', `${netName}-${rt.containerID}-${rt.ifName}`);
  }

  /**
   * Records a successful ADD: its final result, the config bytes and the runtime conf.
   *
   * @example await cache.add(result, list.bytes, list.name, rt);
   */
  async add(result: Result | undefined, config: Uint8Array, netName: string, rt: RuntimeConf): Promise<void> {
    const record: CacheRecord = {
      kind: CNI_CACHE_V1,
      containerId: rt.containerID,
      config,
      ifName: rt.ifName,
      networkName: netName,
    };
    if (rt.netNS) record.netns = rt.netNS;
    if (rt.args) record.cniArgs = rt.args;
    if (rt.capabilityArgs) record.capabilityArgs = rt.capabilityArgs;
    if (result) record.result = JSON.parse(JSON.stringify(resultToJSON(result))) as JsonObject;
    const fname = this.filePath(netName, rt);
    await mkdirAll(dirname(fname));
    await writeFileAtomic(fname, encodeCacheRecord(record));
  }

  /**
   * Forgets an attachment; a missing record or incomplete names are not errors.
   *
   * @example await cache.del('mynet', rt);
   */
  async del(netName: string, rt: RuntimeConf): Promise<void> {
    let fname: string;
    try {
      fname = this.filePath(netName, rt);
    } catch {
      return;
    }
    await rm(fname, { force: true });
  }

  /**
   * The cached result converted to `cniVersion`, or undefined when there is no readable
   * record. Legacy files (a bare result) are understood.
   *
   * @example const prev = await cache.getResult(list.name, list.cniVersion, rt);
   */
  async getResult(netName: string, cniVersion: string, rt: RuntimeConf): Promise<Result | undefined> {
    const data = await readIfPresent(this.filePath(netName, rt));
    if (!data) return undefined;
    let resultBytes: string | Uint8Array = data;
    try {
      const record = decodeCacheRecord(data);
      if (record.kind === CNI_CACHE_V1) resultBytes = goMarshalSorted(record.result ?? null);
    } catch {
      // Not a v1 record: the whole file is a bare result.
    }
    const result = resultFromBytes(resultBytes);
    try {
      return convertResult(result, cniVersion);
    } catch (e) {
      throw new Error(`failed to convert cached result to config version ${goQuote(cniVersion)}: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * The config bytes and runtime conf an attachment was added with, or undefined when not
   * cached.
   *
   * @example const cached = await cache.getConfig('mynet', rt); cached?.rt.capabilityArgs
   */
  async getConfig(netName: string, rt: RuntimeConf): Promise<CachedConfig | undefined> {
    const data = await readIfPresent(this.filePath(netName, rt));
    if (!data) return undefined;
    let record: CacheRecord;
    try {
      record = decodeCacheRecord(data);
    } catch (e) {
      throw new Error(`failed to unmarshal cached network ${goQuote(netName)} config: ${(e as Error).message}`, { cause: e });
    }
    if (record.kind !== CNI_CACHE_V1) throw new Error(`read cached network ${goQuote(netName)} config has wrong kind: ${record.kind}`);
    const newRt: RuntimeConf = { ...rt };
    if (record.cniArgs) newRt.args = record.cniArgs;
    if (record.capabilityArgs) newRt.capabilityArgs = record.capabilityArgs;
    else delete newRt.capabilityArgs;
    return { config: record.config, rt: newRt };
  }

  /**
   * Every attachment in the cache (those of `containerID` only, when given), by file name;
   * unreadable or foreign files are skipped.
   *
   * @example for (const a of await cache.attachments('')) console.log(a.network, a.containerID, a.ifName);
   */
  async attachments(containerID = ''): Promise<NetworkAttachment[]> {
    const dirPath = join(this.dir, 'results');
    let names: string[];
    try {
      names = await readdir(dirPath);
    } catch (e) {
      if (isNotExist(e)) return [];
      throw new Error(goPathErrorText(e, dirPath), { cause: e });
    }
    const out: NetworkAttachment[] = [];
    for (const fname of names.sort(compareGoStrings)) {
      if (fname.startsWith(TMP_PREFIX)) continue;
      if (containerID !== '') {
        const part = `-${containerID}-`;
        const pos = fname.indexOf(part);
        if (pos <= 0 || pos + part.length >= fname.length) continue;
      }
      let record: CacheRecord;
      try {
        record = decodeCacheRecord(await readFile(join(dirPath, fname)));
      } catch {
        continue;
      }
      if (record.kind !== CNI_CACHE_V1) continue;
      if (containerID !== '' && record.containerId !== containerID) continue;
      if (record.ifName === '' || record.networkName === '') continue;
      const a: NetworkAttachment = { containerID: record.containerId, network: record.networkName, ifName: record.ifName, config: record.config };
      if (record.netns) a.netNS = record.netns;
      if (record.cniArgs) a.cniArgs = record.cniArgs;
      if (record.capabilityArgs) a.capabilityArgs = record.capabilityArgs;
      out.push(a);
    }
    return out;
  }
}
