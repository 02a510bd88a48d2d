/**
 * sbr's config (reference §4.5): `table` (only add `from <ip> lookup <table>` rules),
 * `gateways` (one static IPv4 and one IPv6 gateway instead of the prevResult's) and
 * `addSourceHints` (keep the subnet routes in main with a `src` hint), and the addresses of
 * the prevResult it routes by source.
 */
import { parseConfig, type CmdArgs, type ConfigReader } from '@tscni/skel';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { formatIP, ipFamily, parseCIDR, parseIP } from '@tscni/spec/ip';
import { toCurrentResult } from '@tscni/spec/result-convert';
import type { Result100 } from '@tscni/spec/result-types';

/** The largest routing table id (a u32). */
const MAX_TABLE = 0xffffffff;

export interface SbrConf {
  /** Set: add the rules to this table and leave routes alone. */
  table?: number;
  /** The static gateways by family; read only without `table`, as the reference uses them. */
  gateways: { 4?: string; 6?: string };
  addSourceHints: boolean;
}

/** An address of the prevResult that sbr routes by source. */
export interface SourceAddress {
  /** The address without its prefix (`10.1.0.5`). */
  ip: string;
  family: 4 | 6;
  /** The address with its prefix, host bits kept (`10.1.0.5/24`). */
  cidr: string;
  gateway?: string;
}

/**
 * The static gateways, checked as the reference checks them (at most two, each an IP, one
 * per family) with its messages, as config errors (code 7).
 *
 * @example staticGateways(['10.1.0.254', 'fd00::1']) // { 4: '10.1.0.254', 6: 'fd00::1' }
 */
export function staticGateways(list: readonly string[]): SbrConf['gateways'] {
  if (list.length > 2) throw new CniError(ErrorCode.InvalidNetworkConfig, 'gateways list cannot contain more than 2 entries (one IPv4, one IPv6)');
  const out: SbrConf['gateways'] = {};
  for (const gw of list) {
    const ip = parseIP(gw);
    if (!ip) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid static gateway IP address: ${gw}`);
    const family = ipFamily(ip);
    const seen = out[family];
    if (seen !== undefined) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `gateways list contains multiple IPv${family} addresses: ${seen} and ${gw}`);
    }
    out[family] = formatIP(ip);
  }
  return out;
}

function readTable(c: ConfigReader): number | undefined {
  return c.has('table') ? c.integer('table', { min: 0, max: MAX_TABLE }) : undefined;
}

/**
 * The whole config, for ADD.
 *
 * @example loadSbrConf(args).table // undefined unless the config names one
 */
export function loadSbrConf(args: CmdArgs): SbrConf {
  const conf = parseConfig(args.stdinData, (c) => {
    const table = readTable(c);
    return {
      table,
      // The reference reads the gateways only when it picks the tables itself.
      gatewayList: table === undefined ? c.stringArray('gateways', []) : [],
      addSourceHints: c.boolean('addSourceHints', false),
    };
  });
  return {
    ...(conf.table !== undefined ? { table: conf.table } : {}),
    gateways: staticGateways(conf.gatewayList),
    addSourceHints: conf.addSourceHints,
  };
}

/**
 * The table alone, for DEL: like the reference, DEL reads nothing else of the config.
 *
 * @example loadSbrTable(args) // 5000 with `"table": 5000`
 */
export function loadSbrTable(args: CmdArgs): number | undefined {
  return parseConfig(args.stdinData, (c) => ({ table: readTable(c) })).table;
}

/**
 * The prevResult's addresses on `ifName` (or on no interface in particular), as the
 * reference's getIPCfgs picks them; none at all is its config error.
 *
 * @example sourceAddresses('eth0', prev) // [{ ip: '10.1.0.5', family: 4, cidr: '10.1.0.5/24', gateway: '10.1.0.1' }]
 */
export function sourceAddresses(ifName: string, prev: Result100): SourceAddress[] {
  const ips = prev.ips ?? [];
  if (ips.length === 0) throw new CniError(ErrorCode.InvalidNetworkConfig, `No IP addresses supplied on interface: ${ifName}`);
  const interfaces = prev.interfaces ?? [];
  const out: SourceAddress[] = [];
  for (const ipc of ips) {
    const idx = ipc.interface;
    // An index outside the list names no interface, so it counts as a match, as in the reference.
    if (idx !== undefined && idx >= 0 && idx < interfaces.length && interfaces[idx]!.name !== ifName) continue;
    const c = parseCIDR(ipc.address);
    if (!c) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid address in prevResult: ${ipc.address}`);
    out.push({
      ip: formatIP(c.ip),
      family: ipFamily(c.ip),
      cidr: ipc.address,
      ...(ipc.gateway !== undefined ? { gateway: ipc.gateway } : {}),
    });
  }
  return out;
}

/**
 * The prevResult in the current shape; without one sbr has nothing to route (code 7, the
 * reference's message).
 *
 * @example chainedResult(args).ips
 */
export function chainedResult(args: CmdArgs): Result100 {
  const prev = args.prevResult;
  if (prev === undefined) throw new CniError(ErrorCode.InvalidNetworkConfig, 'This plugin must be called as chained plugin');
  return toCurrentResult(prev);
}
