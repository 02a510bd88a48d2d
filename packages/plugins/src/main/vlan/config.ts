/**
 * The vlan plugin's config (reference §2.7): master (required), vlanId, mtu, linkInContainer
 * and IPAM (required). Reading it needs no kernel; the master's existence and MTU bound are
 * checked by the caller, where the master lives.
 */
import { parseConfig } from '@tscni/skel';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import type { DNS } from '@tscni/spec/result-types';
import { readConfigDNS } from '../../conf/dns.js';

export interface VlanConf {
  name: string;
  master: string;
  vlanId: number;
  /** 0: the master's. */
  mtu: number;
  linkInContainer: boolean;
  /** '' when the config has no IPAM; ADD, CHECK and STATUS then refuse it. */
  ipamType: string;
  dns: DNS;
}

function invalid(msg: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg);
}

/**
 * @example loadVlanConf('{"cniVersion":"1.0.0","name":"n","type":"vlan","master":"eth0","vlanId":10,"ipam":{"type":"host-local"}}').vlanId // 10
 */
export function loadVlanConf(stdinData: Uint8Array | string): VlanConf {
  const conf = parseConfig(stdinData, (c) => {
    const master = c.string('master', '');
    if (master === '') throw invalid('"master" field is required. It specifies the host interface name to create the VLAN for');
    const vlanId = c.integer('vlanId', {}, 0);
    // The reference's message says 4095 while it refuses it (4095 is reserved by 802.1Q).
    if (vlanId < 0 || vlanId > 4094) throw invalid(`invalid VLAN ID ${vlanId} (must be between 0 and 4095 inclusive)`);
    return {
      master,
      vlanId,
      mtu: c.integer('mtu', {}, 0),
      linkInContainer: c.boolean('linkInContainer', false),
      ipamType: c.string('ipam.type', ''),
      dns: readConfigDNS(c).dns,
    };
  });
  return { name: conf.name, master: conf.master, vlanId: conf.vlanId, mtu: conf.mtu, linkInContainer: conf.linkInContainer, ipamType: conf.ipamType, dns: conf.dns };
}

/**
 * The IPAM type, which ADD, CHECK and STATUS need: the reference creates the link first and
 * then fails in the IPAM call (leaving the link behind); this refuses before anything is made.
 *
 * @example requiredIpam(conf) // 'host-local'
 */
export function requiredIpam(conf: VlanConf): string {
  if (conf.ipamType === '') throw invalid('vlan interface requires an IPAM configuration (ipam.type)');
  return conf.ipamType;
}

/**
 * Refuses an MTU above the master's, with the reference's message.
 *
 * @example checkMtu(conf, 1500)
 */
export function checkMtu(conf: VlanConf, masterMtu: number): void {
  if (conf.mtu < 0 || conf.mtu > masterMtu) throw invalid(`invalid MTU ${conf.mtu}, must be [0, master MTU(${masterMtu})]`);
}
