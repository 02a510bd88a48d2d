/**
 * Removing an attachment's masquerade rules on DEL the reference's way: from both backends,
 * since the attachment may have been set up by another version or configuration, and a
 * failure counts only where that backend works at all (a host without nft must not fail DEL).
 */
import { applyNetfilterBatch } from './apply.js';
import { ipMasqTeardownBatch, type MasqAttachment } from './masquerade.js';
import { supportsIPTables, supportsNFTables, type NetfilterBackend } from './probe.js';
import { defaultRunner, type CommandRunner } from './run.js';

/**
 * Tears down both backends' rules of the attachment; throws the failures of working backends,
 * one per line.
 *
 * @example teardownIPMasq({ network: 'mynet', ifname: 'eth0', containerID: 'c1' })
 */
export function teardownIPMasq(attachment: MasqAttachment, runner: CommandRunner = defaultRunner()): void {
  const failures: string[] = [];
  const supported: Record<NetfilterBackend, () => boolean> = { iptables: () => supportsIPTables(runner), nftables: () => supportsNFTables(runner) };
  for (const backend of ['iptables', 'nftables'] as const) {
    try {
      applyNetfilterBatch(ipMasqTeardownBatch(backend, attachment), { runner });
    } catch (e) {
      if (supported[backend]()) failures.push((e as Error).message);
    }
  }
  if (failures.length > 0) throw new Error(failures.join('\n'));
}
