/**
 * tuning's config (reference-plugins.md 4.3): the link attributes to set and where their
 * original values are saved. Every source of a value is read with the reference's
 * precedence, lowest first: the config's own keys, CNI_ARGS `MAC`, `runtimeConfig.mac` (the
 * `mac` capability), then `args.cni.*`.
 */
import { parseConfig, type ConfigReader } from '@tscni/skel';
import { loadArgs } from '@tscni/spec/args';
import { CniError, ErrorCode } from '@tscni/spec/errors';

/** Where the original values are saved unless `dataDir` says otherwise (the reference's). */
export const DEFAULT_DATA_DIR = '/run/cni/tuning';

/** The MAC asked for, as written (the result carries it so), and where it came from. */
export interface RequestedMac {
  text: string;
  /** The CNI error code for a malformed value: 4 from CNI_ARGS, 7 from the config. */
  code: number;
}

export interface TuningConf {
  cniVersion: string;
  name: string;
  dataDir: string;
  /** `args.cni.sysctl`, merged by ADD and CHECK into the `sysctl` entries read from the text. */
  argsSysctl: [string, string][];
  mac?: RequestedMac;
  /** Only `true` changes anything: the reference never turns promiscuous mode off. */
  promisc: boolean;
  /** 0 leaves the MTU alone. */
  mtu: number;
  allmulti?: boolean;
  txQLen?: number;
}

function optionalCount(c: ConfigReader, path: string): number | undefined {
  return c.has(path) ? c.integer(path, { min: 0 }) : undefined;
}

function stringMap(c: ConfigReader, path: string): [string, string][] {
  const o = c.optionalObject(path);
  if (!o) return [];
  return Object.keys(o).map((k) => {
    const v = o[k];
    if (typeof v !== 'string') c.fail(`${path}.${k}`, `expected a string, got ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}`);
    return [k, v];
  });
}

function cniArgsMac(cniArgs: string): string {
  try {
    return loadArgs(cniArgs, { MAC: (v: string) => v }).MAC ?? '';
  } catch (e) {
    throw new CniError(ErrorCode.InvalidEnvironmentVariables, (e as Error).message, 'CNI_ARGS');
  }
}

/**
 * Reads the request config and CNI_ARGS. Types are checked for every command, as the
 * reference's decoder does; values (the MAC's form, the sysctl keys) are checked by ADD.
 *
 * @example readTuningConf(args).mtu // 1400 for {"mtu": 1400}
 */
export function readTuningConf(args: { stdinData: Uint8Array | string; args: string }): TuningConf {
  return parseConfig(args.stdinData, (c) => {
    let mac: RequestedMac | undefined;
    const set = (text: string, code: number): void => {
      mac = text === '' ? undefined : { text, code };
    };
    set(c.string('mac', ''), ErrorCode.InvalidNetworkConfig);
    const fromArgs = args.args === '' ? '' : cniArgsMac(args.args);
    if (fromArgs !== '') set(fromArgs, ErrorCode.InvalidEnvironmentVariables);
    const fromRuntime = c.string('runtimeConfig.mac', '');
    if (fromRuntime !== '') set(fromRuntime, ErrorCode.InvalidNetworkConfig);
    // args.cni values replace whatever came before when present, even an empty MAC.
    const argsMac = c.optionalString('args.cni.mac');
    if (argsMac !== undefined) set(argsMac, ErrorCode.InvalidNetworkConfig);

    const mtu = optionalCount(c, 'args.cni.mtu') ?? (c.has('mtu') ? c.integer('mtu', { min: 0 }) : 0);
    const allmulti = c.optionalBoolean('args.cni.allmulti') ?? c.optionalBoolean('allmulti');
    const txQLen = optionalCount(c, 'args.cni.txQLen') ?? optionalCount(c, 'txQLen');
    return {
      dataDir: c.string('dataDir', '') || DEFAULT_DATA_DIR,
      argsSysctl: stringMap(c, 'args.cni.sysctl'),
      ...(mac ? { mac } : {}),
      promisc: c.optionalBoolean('args.cni.promisc') ?? c.boolean('promisc', false),
      mtu,
      ...(allmulti !== undefined ? { allmulti } : {}),
      ...(txQLen !== undefined ? { txQLen } : {}),
    };
  });
}

/**
 * The `sysctl` entries with `args.cni.sysctl` merged over them (a key given in both takes the
 * args value). The reference panics when only `args.cni.sysctl` is given; here it simply applies.
 *
 * @example mergedSysctls([['net.core.somaxconn', '512']], [['net.core.somaxconn', '1024']]) // [['net.core.somaxconn', '1024']]
 */
export function mergedSysctls(fromConfig: readonly [string, string][], fromArgs: readonly [string, string][]): [string, string][] {
  const merged = new Map(fromConfig);
  for (const [k, v] of fromArgs) merged.set(k, v);
  return [...merged];
}

// Go's net.ParseMAC forms of a 6-byte address: colon or hyphen pairs, or dotted quads.
const MAC_FORMS = [/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i, /^[0-9a-f]{2}(-[0-9a-f]{2}){5}$/i, /^[0-9a-f]{4}(\.[0-9a-f]{4}){2}$/i];

/**
 * The MAC in the kernel's form (lower-case, colons), or a CniError with the reference's words.
 *
 * @example kernelMac({ text: '0A-58-0A-F4-00-05', code: 7 }) // '0a:58:0a:f4:00:05'
 */
export function kernelMac(mac: RequestedMac): string {
  if (!MAC_FORMS.some((re) => re.test(mac.text))) {
    throw new CniError(mac.code, `invalid args ${mac.text} for MAC addr: address ${mac.text}: invalid MAC address`);
  }
  const hex = mac.text.replace(/[:.-]/g, '').toLowerCase();
  return hex.match(/../g)!.join(':');
}
