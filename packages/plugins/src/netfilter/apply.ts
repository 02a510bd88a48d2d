/**
 * One entry point for a batch of either backend, so a plugin chooses the backend once and
 * passes the batch on.
 */
import { applyIptablesBatch, type ApplyOptions, type IptablesBatch } from './iptables.js';
import { applyNftBatch, type NftBatch } from './nftables.js';

/** A batch for either backend. */
export type NetfilterBatch = { readonly backend: 'iptables'; readonly batch: IptablesBatch } | { readonly backend: 'nftables'; readonly batch: NftBatch };

/**
 * Applies a batch of either backend.
 *
 * @example applyNetfilterBatch(ipMasqBatch('nftables', setup), { runner: netnsRunner('tscni-nf-1') })
 */
export function applyNetfilterBatch(b: NetfilterBatch, options: ApplyOptions = {}): void {
  if (b.backend === 'iptables') applyIptablesBatch(b.batch, options);
  else applyNftBatch(b.batch, options);
}
