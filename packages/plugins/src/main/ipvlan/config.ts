/**
 * The ipvlan plugin's config (reference §2.3): master, mode, flags, mtu, linkInContainer, IPAM or,
 * chained, the previous result's addresses. Reading it needs no kernel; only the default
 * route lookup for a missing master does, and that is left to the caller.
 */
import { parseConfig } from '@tscni/skel';
import type { IpvlanFlag, IpvlanMode } from '@tscni/netlink/rtnl/link-kinds';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { toCurrentResult } from '@tscni/spec/result-convert';
import type { DNS, Result, Result100 } from '@tscni/spec/result-types';
import { readConfigDNS } from '../../conf/dns.js';

const MODES: Readonly<Record<string, IpvlanMode>> = { '': 'l2', l2: 'l2', l3: 'l3', l3s: 'l3s' };
const FLAGS: Readonly<Record<string, IpvlanFlag>> = { bridge: 'bridge', private: 'private', vepa: 'vepa' };

export interface IpvlanConf {
  name: string;
  /** As configured; '' means "the chained interface, else the default route's". */
  master: string;
  mode: IpvlanMode;
  /**
   * The kernel's ipvlan flag (`ip link ... type ipvlan mode l2 private`): how slaves of one
   * master reach each other. Not a key of the reference plugin, which always leaves the
   * kernel default (bridge); absent means the same here.
   */
  flag?: IpvlanFlag;
  /** 0: the master's. */
  mtu: number;
  linkInContainer: boolean;
  /** '' when the config has no IPAM (chained mode). */
  ipamType: string;
  dns: DNS;
}

function invalid(msg: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg);
}

/**
 * @example loadIpvlanConf('{"cniVersion":"1.0.0","name":"n","type":"ipvlan","master":"eth0","mode":"l3"}').mode // 'l3'
 */
export function loadIpvlanConf(stdinData: Uint8Array | string): IpvlanConf {
  const conf = parseConfig(stdinData, (c) => {
    const mode = MODES[c.string('mode', '')];
    if (mode === undefined) throw invalid(`unknown ipvlan mode: ${JSON.stringify(c.string('mode'))}`);
    const flagName = c.string('flags', '');
    const flag = flagName === '' ? undefined : FLAGS[flagName];
    if (flagName !== '' && flag === undefined) throw invalid(`unknown ipvlan flags: ${JSON.stringify(flagName)} (bridge, private or vepa)`);
    return {
      master: c.string('master', ''),
      mode,
      flag,
      mtu: c.integer('mtu', { min: 0 }, 0),
      linkInContainer: c.boolean('linkInContainer', false),
      ipamType: c.string('ipam.type', ''),
      dns: readConfigDNS(c).dns,
    };
  });
  return {
    name: conf.name,
    master: conf.master,
    mode: conf.mode,
    ...(conf.flag !== undefined ? { flag: conf.flag } : {}),
    mtu: conf.mtu,
    linkInContainer: conf.linkInContainer,
    ipamType: conf.ipamType,
    dns: conf.dns,
  };
}

/**
 * The master a chained ipvlan sits on: the only interface of the previous result. Undefined
 * when the master is configured or nothing is chained (the default route's interface then).
 *
 * @example chainedMaster({ ...conf, master: '' }, { cniVersion: '1.0.0', interfaces: [{ name: 'eth0' }] }) // 'eth0'
 */
export function chainedMaster(conf: IpvlanConf, prevResult: Result | undefined): string | undefined {
  if (conf.master !== '' || prevResult === undefined) return undefined;
  const interfaces = toCurrentResult(prevResult).interfaces ?? [];
  if (interfaces.length !== 1 || interfaces[0]!.name === '') throw invalid('chained master failure. PrevResult lacks a single named interface');
  return interfaces[0]!.name;
}

/**
 * The previous result whose addresses a chained ipvlan takes instead of calling IPAM (no
 * `ipam.type` and a prevResult with addresses); undefined when IPAM is to be called, which
 * then must be configured.
 *
 * @example chainedAddresses(conf, args.prevResult)?.ips
 */
export function chainedAddresses(conf: IpvlanConf, prevResult: Result | undefined): Result100 | undefined {
  if (conf.ipamType === '' && prevResult !== undefined) {
    const prev = toCurrentResult(prevResult);
    if ((prev.ips ?? []).length > 0) return prev;
  }
  if (conf.ipamType === '') throw invalid('ipvlan needs ipam.type, or a prevResult with addresses to take over');
  return undefined;
}
