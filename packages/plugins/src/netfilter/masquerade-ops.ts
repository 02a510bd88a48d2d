/**
 * IP masquerade setup, GC and the presence check of CHECK (the reference's
 * SetupIPMasqForNetworks and GCIPMasqForNetwork; teardown is masquerade-teardown.ts). GC runs
 * for both backends, since an attachment may have been made by another version or
 * configuration, and a backend's failure counts only where that backend works.
 */
import { applyNetfilterBatch } from './apply.js';
import { IptablesBatch } from './iptables.js';
import { readIptablesTable } from './iptables-save.js';
import { MASQ_CHAIN, MASQ_TABLE, ipMasqBatch, ipMasqNftablesGcBatch, type MasqAttachment, type MasqSetup } from './masquerade.js';
import { formatChainName, formatComment, goQuote, masqComment } from './names.js';
import { applyNftBatch, findNftRules, listNftTable } from './nftables.js';
import { defaultBackend, supportsIPTables, supportsNFTables, type NetfilterBackend } from './probe.js';
import { defaultRunner, type CommandRunner } from './run.js';

/**
 * Installs the attachment's masquerade rules with `backend`, or with the reference's default
 * choice when it is undefined. Returns the backend used.
 *
 * @example setupIPMasq(undefined, { network: 'mynet', ifname: 'eth0', containerID: 'c1', addresses: ['10.22.0.2/16'] })
 */
export function setupIPMasq(backend: NetfilterBackend | undefined, setup: MasqSetup, runner: CommandRunner = defaultRunner()): NetfilterBackend {
  const chosen = backend ?? defaultBackend(runner);
  applyNetfilterBatch(ipMasqBatch(chosen, setup), { runner });
  return chosen;
}

/**
 * The iptables part of GC: every POSTROUTING jump of `network` whose comment belongs to no
 * container in `keep`, and the chain it jumps to. The reference has no iptables GC; the
 * comment names network and container, so stale chains can be found without addresses.
 *
 * @example applyIptablesBatch(ipMasqIptablesGcBatch('mynet', [{ ifname: 'eth0', containerID: 'c2' }]))
 */
export function ipMasqIptablesGcBatch(network: string, keep: readonly Omit<MasqAttachment, 'network'>[], runner: CommandRunner = defaultRunner()): IptablesBatch {
  const valid = new Set(keep.map((a) => formatComment(network, a.containerID)));
  const prefix = `name: ${goQuote(network)} id: `;
  const batch = new IptablesBatch();
  for (const family of ['ipv4', 'ipv6'] as const) {
    const stale = new Set<string>();
    for (const rule of readIptablesTable(family, 'nat', runner).findRules({ chain: 'POSTROUTING', commentPrefix: prefix })) {
      if (rule.target !== undefined && rule.target.startsWith('CNI-') && !valid.has(rule.comment ?? '')) stale.add(rule.target);
    }
    for (const chain of stale) batch.deleteRules(family, 'nat', { target: chain }).deleteChain(family, 'nat', chain);
  }
  return batch;
}

/**
 * Removes the masquerade rules of `network` that belong to none of the attachments in
 * `keep` (CNI GC's `cni.dev/valid-attachments`), in both backends.
 *
 * @example gcIPMasq('mynet', [{ containerID: 'c2', ifname: 'eth0' }])
 */
export function gcIPMasq(network: string, keep: readonly Omit<MasqAttachment, 'network'>[], runner: CommandRunner = defaultRunner()): void {
  const errors: string[] = [];
  try {
    applyNetfilterBatch({ backend: 'iptables', batch: ipMasqIptablesGcBatch(network, keep, runner) }, { runner });
  } catch (e) {
    if (supportsIPTables(runner)) errors.push((e as Error).message);
  }
  try {
    applyNftBatch(ipMasqNftablesGcBatch(network, keep), { runner });
  } catch (e) {
    if (supportsNFTables(runner)) errors.push((e as Error).message);
  }
  if (errors.length > 0) throw new Error(errors.join('\n'));
}

function hostOf(cidr: string): { family: 'ipv4' | 'ipv6'; host: string } {
  const host = cidr.slice(0, cidr.indexOf('/'));
  return { family: host.includes(':') ? 'ipv6' : 'ipv4', host };
}

/**
 * What CHECK looks for: the attachment's rules for every address, in the given backend (the
 * reference's default choice when undefined). Returns a description of the first missing
 * piece, or undefined when everything is there.
 *
 * @example missingIPMasq(undefined, { network: 'mynet', ifname: 'eth0', containerID: 'c1', addresses: ['10.22.0.2/16'] }) // undefined
 */
export function missingIPMasq(backend: NetfilterBackend | undefined, setup: MasqSetup, runner: CommandRunner = defaultRunner()): string | undefined {
  const chosen = backend ?? defaultBackend(runner);
  if (chosen === 'iptables') {
    const chain = formatChainName(setup.network, setup.containerID);
    const comment = formatComment(setup.network, setup.containerID);
    for (const cidr of setup.addresses) {
      const { family, host } = hostOf(cidr);
      const nat = readIptablesTable(family, 'nat', runner);
      if (!nat.hasChain(chain)) return `iptables chain ${chain} not found`;
      const bits = family === 'ipv4' ? 32 : 128;
      const jumps = nat.findRules({ chain: 'POSTROUTING', comment, target: chain });
      if (!jumps.some((r) => r.words.includes(`${host}/${bits}`))) return `no POSTROUTING rule from ${host} to ${chain}`;
    }
    return undefined;
  }
  const table = listNftTable('inet', MASQ_TABLE, runner);
  const rules = findNftRules(table, { chain: MASQ_CHAIN, comment: masqComment(setup.network, setup.ifname, setup.containerID) });
  for (const cidr of setup.addresses) {
    const { host } = hostOf(cidr);
    if (!rules.some((r) => JSON.stringify(r.expr).includes(JSON.stringify(host)))) return `no nftables masquerade rule for ${host} in ${MASQ_TABLE}`;
  }
  return undefined;
}
