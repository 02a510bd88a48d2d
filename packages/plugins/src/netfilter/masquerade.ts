/**
 * IP masquerade for bridge/ptp `ipMasq` (reference pkg/ip ipmasq_*), both backends, as batches.
 * Teardown needs only the network name, interface name and container ID: rules are found by
 * comment and chain name, so DEL still cleans up when the container namespace is gone (the
 * reference's iptables teardown needs the addresses and leaks in that case).
 */
import { familyOf, type IPFamily } from './addr.js';
import type { NetfilterBatch } from './apply.js';
import { IptablesBatch } from './iptables.js';
import { formatChainName, formatComment, masqComment, masqInstanceHash, masqNetworkHash } from './names.js';
import { nftAddress, nftGoto, nftMasquerade, nftMatch, nftPayload, nftVerdict } from './nft-expr.js';
import { NftBatch } from './nftables.js';
import type { NetfilterBackend } from './probe.js';

/** Whose masquerade rules these are. */
export interface MasqAttachment {
  /** The network name from the config. */
  readonly network: string;
  /** CNI_IFNAME; part of the nftables comment, ignored by the iptables backend as in the reference. */
  readonly ifname: string;
  readonly containerID: string;
}

/** An attachment and its addresses with prefix length, as in the result (`10.22.0.2/16`). */
export interface MasqSetup extends MasqAttachment {
  readonly addresses: readonly string[];
}

const NAT = 'nat';

function checkedFamily(cidr: string): IPFamily {
  const family = familyOf(cidr);
  if (!family || !cidr.includes('/')) throw new Error(`invalid IP address with prefix ${JSON.stringify(cidr)}`);
  return family;
}

/**
 * The reference's iptables ipMasq rules per address: a chain `CNI-<hash>` accepting the
 * address's own subnet and masquerading everything but multicast, and a POSTROUTING jump
 * from the address, each with the `name: "<net>" id: "<cid>"` comment.
 *
 * @example applyIptablesBatch(ipMasqIptablesBatch({ network: 'mynet', ifname: 'eth0', containerID: 'c1', addresses: ['10.22.0.2/16'] }))
 */
export function ipMasqIptablesBatch(setup: MasqSetup): IptablesBatch {
  const chain = formatChainName(setup.network, setup.containerID);
  const comment = formatComment(setup.network, setup.containerID);
  const batch = new IptablesBatch();
  for (const cidr of setup.addresses) {
    const family = checkedFamily(cidr);
    const multicast = family === 'ipv4' ? '224.0.0.0/4' : 'ff00::/8';
    const host = cidr.slice(0, cidr.indexOf('/'));
    batch
      .ensureChain(family, NAT, chain)
      .append(family, NAT, chain, ['-d', cidr, '-j', 'ACCEPT', '-m', 'comment', '--comment', comment])
      .append(family, NAT, chain, ['!', '-d', multicast, '-j', 'MASQUERADE', '-m', 'comment', '--comment', comment])
      .append(family, NAT, 'POSTROUTING', ['-s', host, '-j', chain, '-m', 'comment', '--comment', comment]);
  }
  return batch;
}

/**
 * Removes what {@link ipMasqIptablesBatch} added, in both families, without the addresses:
 * every rule jumping to the container's chain, then the chain.
 *
 * @example applyIptablesBatch(ipMasqIptablesTeardownBatch({ network: 'mynet', ifname: 'eth0', containerID: 'c1' }))
 */
export function ipMasqIptablesTeardownBatch(attachment: MasqAttachment): IptablesBatch {
  const chain = formatChainName(attachment.network, attachment.containerID);
  const batch = new IptablesBatch();
  for (const family of ['ipv4', 'ipv6'] as const) {
    batch.deleteRules(family, NAT, { target: chain }).deleteChain(family, NAT, chain);
  }
  return batch;
}

/** The reference's nftables names (pkg/ip ipmasq_nftables_linux.go). */
export const MASQ_TABLE = 'cni_plugins_masquerade';
export const MASQ_CHAIN = 'masq_checks';
const MASQ_TABLE_COMMENT = 'Masquerading for plugins from github.com/containernetworking/plugins';
const MASQ_CHAIN_COMMENT = 'Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet';

/**
 * The reference's nftables ipMasq transaction: table `inet cni_plugins_masquerade`, its
 * `postrouting` chain rebuilt (multicast returns, goto `masq_checks`), this attachment's stale
 * rules removed, and one `masquerade` rule per address with the instance-hash comment.
 *
 * @example applyNftBatch(ipMasqNftablesBatch({ network: 'mynet', ifname: 'eth0', containerID: 'c1', addresses: ['10.22.0.2/16'] }))
 */
export function ipMasqNftablesBatch(setup: MasqSetup): NftBatch {
  const T = MASQ_TABLE;
  const batch = new NftBatch()
    .addTable('inet', T, MASQ_TABLE_COMMENT)
    .addChain('inet', T, MASQ_CHAIN, { comment: MASQ_CHAIN_COMMENT })
    .addChain('inet', T, 'postrouting', { type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' })
    .flushChain('inet', T, 'postrouting')
    .addRule('inet', T, 'postrouting', [nftMatch(nftPayload('ip', 'daddr'), '==', nftAddress('224.0.0.0/4')), nftVerdict('return')])
    .addRule('inet', T, 'postrouting', [nftMatch(nftPayload('ip6', 'daddr'), '==', nftAddress('ff00::/8')), nftVerdict('return')])
    .addRule('inet', T, 'postrouting', [nftGoto(MASQ_CHAIN)])
    .deleteRules('inet', T, { chain: MASQ_CHAIN, commentPrefix: masqInstanceHash(setup.network, setup.ifname, setup.containerID) });
  const comment = masqComment(setup.network, setup.ifname, setup.containerID);
  for (const cidr of setup.addresses) {
    const ip = checkedFamily(cidr) === 'ipv4' ? 'ip' : 'ip6';
    const host = cidr.slice(0, cidr.indexOf('/'));
    batch.addRule(
      'inet',
      T,
      MASQ_CHAIN,
      [nftMatch(nftPayload(ip, 'saddr'), '==', nftAddress(host)), nftMatch(nftPayload(ip, 'daddr'), '!=', nftAddress(cidr)), nftMasquerade()],
      { comment },
    );
  }
  return batch;
}

/**
 * Removes the attachment's nftables masquerade rules, found by the instance-hash comment prefix.
 *
 * @example applyNftBatch(ipMasqNftablesTeardownBatch({ network: 'mynet', ifname: 'eth0', containerID: 'c1' }))
 */
export function ipMasqNftablesTeardownBatch(attachment: MasqAttachment): NftBatch {
  const prefix = masqInstanceHash(attachment.network, attachment.ifname, attachment.containerID);
  return new NftBatch().deleteRules('inet', MASQ_TABLE, { chain: MASQ_CHAIN, commentPrefix: prefix });
}

/**
 * Removes the network's nftables masquerade rules of attachments that are not in `keep` (the
 * reference's GC; its iptables backend has none).
 *
 * @example applyNftBatch(ipMasqNftablesGcBatch('mynet', [{ ifname: 'eth0', containerID: 'c2' }]))
 */
export function ipMasqNftablesGcBatch(network: string, keep: readonly Omit<MasqAttachment, 'network'>[]): NftBatch {
  const valid = new Set(keep.map((a) => masqComment(network, a.ifname, a.containerID)));
  return new NftBatch().deleteRules('inet', MASQ_TABLE, {
    chain: MASQ_CHAIN,
    commentPrefix: masqNetworkHash(network),
    where: (rule) => !valid.has(rule.comment ?? ''),
  });
}

/**
 * The masquerade setup for the chosen backend.
 *
 * @example applyNetfilterBatch(ipMasqBatch(defaultBackend(), { network, ifname, containerID, addresses }))
 */
export function ipMasqBatch(backend: NetfilterBackend, setup: MasqSetup): NetfilterBatch {
  return backend === 'iptables' ? { backend, batch: ipMasqIptablesBatch(setup) } : { backend, batch: ipMasqNftablesBatch(setup) };
}

/**
 * The masquerade teardown for one backend. DEL should run both (as the reference does), since
 * the attachment may have been set up by another version or configuration.
 *
 * @example for (const b of ['iptables', 'nftables'] as const) applyNetfilterBatch(ipMasqTeardownBatch(b, attachment))
 */
export function ipMasqTeardownBatch(backend: NetfilterBackend, attachment: MasqAttachment): NetfilterBatch {
  return backend === 'iptables'
    ? { backend, batch: ipMasqIptablesTeardownBatch(attachment) }
    : { backend, batch: ipMasqNftablesTeardownBatch(attachment) };
}
