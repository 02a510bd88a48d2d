/**
 * Masquerade setup, presence check and GC against the kernel, inside a throw-away namespace.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { gcIPMasq, ipMasqIptablesGcBatch, missingIPMasq, setupIPMasq } from './masquerade-ops.js';
import { teardownIPMasq } from './masquerade-teardown.js';
import { formatChainName } from './names.js';
import { netnsRunner, type CommandRunner } from './run.js';

describe('masquerade setup, check and GC', () => {
  let ns: ScratchNetns;
  let runner: CommandRunner;
  const network = 'tscnimasqgc';
  const setup = (containerID: string, addresses: string[]) => ({ network, ifname: 'eth0', containerID, addresses });
  const dump = () => ns.exec('iptables-save', ['-t', 'nat']) + ns.exec('ip6tables-save', ['-t', 'nat']) + ns.exec('nft', ['list', 'ruleset']);

  before(() => {
    ns = scratchNetns('tscni-masqops-');
    runner = netnsRunner(ns.name);
  });
  after(() => ns?.remove());

  for (const backend of ['iptables', 'nftables'] as const) {
    it(`${backend}: CHECK sees the rules; GC removes only the attachments not kept, in both families`, () => {
      assert.equal(setupIPMasq(backend, setup('c1', ['10.9.0.2/24', 'fd00:9::2/64']), runner), backend);
      setupIPMasq(backend, setup('c2', ['10.9.0.3/24']), runner);
      assert.equal(missingIPMasq(backend, setup('c1', ['10.9.0.2/24', 'fd00:9::2/64']), runner), undefined);
      assert.match(missingIPMasq(backend, setup('c1', ['10.9.0.7/24']), runner) ?? '', /10\.9\.0\.7/);
      assert.match(missingIPMasq(backend, setup('c3', ['10.9.0.4/24']), runner) ?? '', /not found|no /);

      gcIPMasq(network, [{ ifname: 'eth0', containerID: 'c2' }], runner);
      assert.match(missingIPMasq(backend, setup('c1', ['10.9.0.2/24']), runner) ?? '', /./, 'c1 collected');
      assert.equal(missingIPMasq(backend, setup('c2', ['10.9.0.3/24']), runner), undefined, 'c2 kept');
      assert.ok(!dump().includes('10.9.0.2') && !dump().includes('fd00:9::2'));

      gcIPMasq('othernet', [], runner);
      assert.equal(missingIPMasq(backend, setup('c2', ['10.9.0.3/24']), runner), undefined, 'another network GC leaves ours alone');
      teardownIPMasq({ network, ifname: 'eth0', containerID: 'c2' }, runner);
      assert.ok(!dump().includes('10.9.0.3'));
    });
  }

  it('the iptables GC batch names the stale chains only', () => {
    setupIPMasq('iptables', setup('c5', ['10.9.0.5/24']), runner);
    setupIPMasq('iptables', setup('c6', ['10.9.0.6/24']), runner);
    const batch = ipMasqIptablesGcBatch(network, [{ ifname: 'eth0', containerID: 'c6' }], runner);
    const chains = batch.ops.filter((op) => op.kind === 'deleteChain').map((op) => (op as { chain: string }).chain);
    assert.deepEqual(chains, [formatChainName(network, 'c5')]);
    gcIPMasq(network, [], runner);
    assert.ok(!dump().includes(formatChainName(network, 'c6')));
  });
});
