import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runChain, type ChainList } from './chain.js';
import { sandbox } from './sandbox.js';

test('runChain runs ADD in order with prevResult and capabilities, DEL in reverse', () => {
  const sb = sandbox('tscni-chain-');
  try {
    const list: ChainList = {
      name: 'chaintest',
      cniVersion: '1.0.0',
      plugins: [
        { type: 'ptp', ipam: { type: 'host-local', subnet: '10.251.7.0/24', dataDir: join(sb.dir, 'ipam') } },
        { type: 'tuning', capabilities: { mac: true }, dataDir: join(sb.dir, 'tuning'), sysctl: { 'net.ipv4.conf.eth0.arp_notify': '1' } },
      ],
    };
    const add = runChain(sb, list, { command: 'ADD', runtimeConfig: { mac: 'c2:11:22:33:44:55', portMappings: [] }, reference: ['tuning'] });
    assert.equal(add.ok, true, add.steps.at(-1)?.outcome.stdout);
    assert.deepEqual(add.steps.map((s) => s.type), ['ptp', 'tuning']);
    assert.equal(add.steps[1]!.config['prevResult'] !== undefined, true);
    assert.deepEqual(add.steps[1]!.config['runtimeConfig'], { mac: 'c2:11:22:33:44:55' });
    assert.equal(add.steps[0]!.config['runtimeConfig'], undefined);
    const mac = JSON.parse(sb.cont.exec('ip', ['-j', 'link', 'show', 'eth0'])) as { address: string }[];
    assert.equal(mac[0]!.address, 'c2:11:22:33:44:55');
    const check = runChain(sb, list, { command: 'CHECK', prevResult: add.result!, reference: ['tuning'] });
    assert.equal(check.ok, true, check.steps.at(-1)?.outcome.stdout);
    const del = runChain(sb, list, { command: 'DEL', prevResult: add.result!, reference: ['tuning'] });
    assert.equal(del.ok, true, del.steps.at(-1)?.outcome.stdout);
    assert.deepEqual(del.steps.map((s) => s.type), ['tuning', 'ptp']);
  } finally {
    sb.remove();
  }
});
