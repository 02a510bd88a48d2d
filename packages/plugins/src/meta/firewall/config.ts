/**
 * The firewall plugin's config (reference FirewallNetConf): backend, admin chain, firewalld
 * zone and ingress policy, with the reference's defaults. Everything is checked before the
 * plugin changes anything, so a bad value never leaves half a setup behind.
 */
import { parseConfig, type CmdArgs } from '@tscni/skel';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { DEFAULT_ADMIN_CHAIN, type IsolationPolicy } from '../../netfilter/firewall-rules.js';

/** `auto`: firewalld when it answers on the system bus, else iptables (any other value too). */
export type FirewallBackendName = 'iptables' | 'firewalld' | 'auto';

export interface FirewallConf {
  readonly cniVersion: string;
  readonly name: string;
  readonly backend: FirewallBackendName;
  readonly adminChain: string;
  readonly zone: string;
  /** undefined for "open" (and ""): no isolation rules. */
  readonly isolation: IsolationPolicy | undefined;
}

/** iptables chain names: at most 28 characters, one word, not an option. */
const CHAIN_NAME = /^[^\s"'\\!-][^\s"'\\]{0,27}$/;

/**
 * Reads and checks the config.
 *
 * @example loadFirewallConf(args).adminChain // 'CNI-ADMIN'
 */
export function loadFirewallConf(args: CmdArgs): FirewallConf {
  return parseConfig(args.stdinData, (c) => {
    const backend = c.string('backend', '');
    const adminChain = c.string('iptablesAdminChainName', '') || DEFAULT_ADMIN_CHAIN;
    if (!CHAIN_NAME.test(adminChain)) {
      c.fail('iptablesAdminChainName', `must be an iptables chain name (at most 28 characters, no spaces or quotes), got ${JSON.stringify(adminChain)}`);
    }
    const policy = c.string('ingressPolicy', '');
    if (!['', 'open', 'same-bridge', 'isolated'].includes(policy)) {
      // The reference's words; it fails only after its backend has added the rules.
      throw new CniError(ErrorCode.InvalidNetworkConfig, `unknown ingress policy: ${JSON.stringify(policy)}`);
    }
    return {
      backend: backend === 'iptables' || backend === 'firewalld' ? backend : ('auto' as const),
      adminChain,
      zone: c.string('firewalldZone', '') || 'trusted',
      isolation: policy === 'same-bridge' || policy === 'isolated' ? policy : undefined,
    };
  });
}
