/**
 * static: an IPAM plugin that allocates nothing. ADD returns the configured addresses,
 * routes and DNS as a result; DEL has nothing to release; CHECK compares the configured
 * addresses with the previous result.
 */
import type { CmdArgs, Handlers } from '@tscni/skel';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { formatCIDR, formatIP, parseCIDR, parseIP } from '@tscni/spec/ip';
import { toCurrentResult } from '@tscni/spec/result-convert';
import type { IPConfig, Result100 } from '@tscni/spec/result-types';
import { loadStaticConfig, type StaticConfig } from './config.js';

/**
 * The result of ADD, in the current version (the SDK prints it in the config's).
 *
 * @example staticResult({ cniVersion: '1.0.0', addresses: [], routes: [], dns: {} }) // { cniVersion: '1.1.0' }
 */
export function staticResult(conf: StaticConfig): Result100 {
  const result: Result100 = { cniVersion: '1.1.0' };
  if (conf.addresses.length > 0) {
    result.ips = conf.addresses.map((a): IPConfig => (a.gateway ? { address: formatCIDR(a.cidr), gateway: formatIP(a.gateway) } : { address: formatCIDR(a.cidr) }));
  }
  if (conf.routes.length > 0) result.routes = conf.routes;
  if (Object.keys(conf.dns).length > 0) result.dns = conf.dns;
  return result;
}

function add(args: CmdArgs): Result100 {
  return staticResult(loadStaticConfig(args.stdinData, args.args));
}

/** An address's IP in canonical text (IPv4-mapped addresses as IPv4), to compare as Go's IP.Equal. */
function ipOf(cidrText: string): string | undefined {
  const c = parseCIDR(cidrText);
  return c ? formatIP(c.ip) : undefined;
}

/**
 * Every configured address that the previous result holds must carry the configured
 * gateway, if one is configured; addresses missing from the previous result are not errors.
 */
function check(args: CmdArgs): void {
  const conf = loadStaticConfig(args.stdinData, args.args);
  const prev = args.prevResult;
  if (!prev) throw new CniError(ErrorCode.InvalidNetworkConfig, 'Required prevResult missing');
  const ips = toCurrentResult(prev).ips ?? [];
  for (const a of conf.addresses) {
    const ip = formatIP(a.cidr.ip);
    const found = ips.find((p) => ipOf(p.address) === ip);
    if (!found || !a.gateway) continue;
    const gw = found.gateway !== undefined ? parseIP(found.gateway) : undefined;
    if (!gw || formatIP(gw) !== formatIP(a.gateway)) {
      throw new CniError(ErrorCode.Internal, `static: Failed to match addr ${ip} on interface ${args.ifName}`);
    }
  }
}

/** Nothing was allocated, so nothing is released. */
function del(): void {}

export const handlers: Handlers = { add, check, del };
