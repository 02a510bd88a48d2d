/**
 * A separate process for the concurrency test: `node fixture-worker.js <netns> <iptables|nftables>
 * <id> <rounds>`. Each round adds this worker's rule number N to a chain shared with the other
 * worker and deletes its rule N-1 in the same batch, so at the end each worker has exactly one
 * rule there unless batches interfered.
 */
import { applyIptablesBatch, IptablesBatch } from './iptables.js';
import { applyNftBatch, NftBatch } from './nftables.js';
import { nftVerdict } from './nft-expr.js';
import { netnsRunner } from './run.js';

const [ns, backend, id, roundsText] = process.argv.slice(2);
if (!ns || !id || (backend !== 'iptables' && backend !== 'nftables')) {
  process.stderr.write('usage: fixture-worker.js <netns> <iptables|nftables> <id> <rounds>\n');
  process.exit(2);
}
const runner = netnsRunner(ns);
const rounds = Number(roundsText ?? '20');
const comment = (n: number) => `tscni-w${id}-${n}`;

for (let n = 0; n < rounds; n++) {
  if (backend === 'iptables') {
    const batch = new IptablesBatch()
      .ensureChain('ipv4', 'filter', 'TSCNI-SHARED')
      .ensureChain('ipv4', 'filter', `TSCNI-W${id}`)
      .append('ipv4', 'filter', 'TSCNI-SHARED', ['-m', 'comment', '--comment', comment(n), '-j', `TSCNI-W${id}`])
      .deleteRules('ipv4', 'filter', { chain: 'TSCNI-SHARED', comment: comment(n - 1) });
    applyIptablesBatch(batch, { runner, attempts: 10 });
  } else {
    const batch = new NftBatch()
      .addTable('inet', 'tscni_shared')
      .addChain('inet', 'tscni_shared', 'shared')
      .addRule('inet', 'tscni_shared', 'shared', [nftVerdict('accept')], { comment: comment(n) })
      .deleteRules('inet', 'tscni_shared', { chain: 'shared', comment: comment(n - 1) });
    applyNftBatch(batch, { runner, attempts: 10 });
  }
}
