import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firewallForwardBatch, firewallForwardTeardownBatch, hostCidr, isolationBatch } from './firewall-rules.js';
import { IptablesBatch, renderIptablesRestore } from './iptables.js';
import { parseIptablesSave, type IptablesTable } from './iptables-save.js';

const EMPTY_FILTER = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
`;

// What the reference v1.1.1 leaves after ADD of 10.33.0.3 (observed form), next to another
// container's rules and a rule of other software in FORWARD.
const REFERENCE_FILTER = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:CNI-ADMIN - [0:0]
:CNI-FORWARD - [0:0]
-A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD
-A FORWARD -i other0 -j ACCEPT
-A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN
-A CNI-FORWARD -d 10.33.0.3/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A CNI-FORWARD -s 10.33.0.3/32 -j ACCEPT
-A CNI-FORWARD -d 10.33.0.4/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A CNI-FORWARD -s 10.33.0.4/32 -j ACCEPT
COMMIT
`;

// What v1.1.1 leaves for ingressPolicy same-bridge on cni0 (observed: one comment everywhere).
const V111_ISOLATION = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:CNI-ISOLATION-STAGE-1 - [0:0]
:CNI-ISOLATION-STAGE-2 - [0:0]
-A FORWARD -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge)" -j CNI-ISOLATION-STAGE-1
-A CNI-ISOLATION-STAGE-1 -i cni0 ! -o cni0 -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge)" -j CNI-ISOLATION-STAGE-2
-A CNI-ISOLATION-STAGE-1 -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge)" -j RETURN
-A CNI-ISOLATION-STAGE-2 -o cni0 -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge)" -j DROP
-A CNI-ISOLATION-STAGE-2 -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge)" -j RETURN
COMMIT
`;

const filter = (text: string, family: 'ipv4' | 'ipv6' = 'ipv4') => new Map<string, IptablesTable>([['filter', parseIptablesSave(text, family, 'filter')]]);
const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('firewall rules', () => {
  it('hostCidr keeps the address and makes it a host network', () => {
    assert.equal(hostCidr('10.22.0.2/16'), '10.22.0.2/32');
    assert.equal(hostCidr('fd00:1::2/64'), 'fd00:1::2/128');
    assert.throws(() => hostCidr('nonsense'), /invalid IP address "nonsense"/);
  });

  it('ADD on an empty filter table: chains, both jumps first, the address rules', () => {
    const batch = firewallForwardBatch({ adminChain: 'CNI-ADMIN', addresses: ['10.33.0.3/16'] });
    assert.deepEqual(batch.families(), ['ipv4']);
    assert.deepEqual(lines(renderIptablesRestore(batch, 'ipv4', filter(EMPTY_FILTER)).text), [
      '*filter',
      '-N CNI-FORWARD',
      '-N CNI-ADMIN',
      '-I FORWARD 1 -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD',
      '-I CNI-FORWARD 1 -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN',
      '-A CNI-FORWARD -d 10.33.0.3/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A CNI-FORWARD -s 10.33.0.3/32 -j ACCEPT',
      'COMMIT',
    ]);
  });

  it('ADD where the reference already made the chains changes nothing of others and is idempotent', () => {
    const again = firewallForwardBatch({ adminChain: 'CNI-ADMIN', addresses: ['10.33.0.3/16'] });
    assert.equal(renderIptablesRestore(again, 'ipv4', filter(REFERENCE_FILTER)).changes, 0);
    const other = firewallForwardBatch({ adminChain: 'CNI-ADMIN', addresses: ['10.33.0.5/16'] });
    assert.deepEqual(lines(renderIptablesRestore(other, 'ipv4', filter(REFERENCE_FILTER)).text), [
      '*filter',
      '-A CNI-FORWARD -d 10.33.0.5/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A CNI-FORWARD -s 10.33.0.5/32 -j ACCEPT',
      'COMMIT',
    ]);
  });

  it('a custom admin chain is created and jumped to; IPv6 addresses go to ip6tables as /128', () => {
    const batch = firewallForwardBatch({ adminChain: 'MY-ADMIN', addresses: ['10.33.0.3/16', 'fd00:33::3/64'] });
    assert.deepEqual(batch.families(), ['ipv4', 'ipv6']);
    const v6 = lines(renderIptablesRestore(batch, 'ipv6', filter(EMPTY_FILTER, 'ipv6')).text);
    assert.ok(v6.includes('-N MY-ADMIN'));
    assert.ok(v6.includes('-I CNI-FORWARD 1 -m comment --comment "CNI firewall plugin admin overrides" -j MY-ADMIN'));
    assert.ok(v6.includes('-A CNI-FORWARD -s fd00:33::3/128 -j ACCEPT'));
    assert.ok(!v6.some((l) => l.includes('10.33.0.3')));
  });

  it('DEL removes only the address rules; chains, jumps and other containers stay', () => {
    const plan = renderIptablesRestore(firewallForwardTeardownBatch(['10.33.0.3/16']), 'ipv4', filter(REFERENCE_FILTER));
    assert.deepEqual(lines(plan.text), [
      '*filter',
      '-D CNI-FORWARD -d 10.33.0.3/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-D CNI-FORWARD -s 10.33.0.3/32 -j ACCEPT',
      'COMMIT',
    ]);
    assert.equal(renderIptablesRestore(firewallForwardTeardownBatch(['10.33.0.9/16']), 'ipv4', filter(REFERENCE_FILTER)).changes, 0);
  });

  it('same-bridge on an empty table: the reference HEAD rules in its order', () => {
    const plan = renderIptablesRestore(isolationBatch('cni0', 'same-bridge', ['ipv4']), 'ipv4', filter(EMPTY_FILTER));
    const shared = '"CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)"';
    assert.deepEqual(lines(plan.text), [
      '*filter',
      '-N CNI-ISOLATION-STAGE-1',
      '-N CNI-ISOLATION-STAGE-2',
      `-I FORWARD 1 -j CNI-ISOLATION-STAGE-1 -m comment --comment ${shared}`,
      '-I CNI-ISOLATION-STAGE-1 1 -i cni0 ! -o cni0 -j CNI-ISOLATION-STAGE-2 -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge)"',
      `-A CNI-ISOLATION-STAGE-1 -j RETURN -m comment --comment ${shared}`,
      `-I CNI-ISOLATION-STAGE-2 1 -o cni0 -j DROP -m comment --comment ${shared}`,
      `-A CNI-ISOLATION-STAGE-2 -j RETURN -m comment --comment ${shared}`,
      'COMMIT',
    ]);
  });

  it('isolated adds the in-bridge DROP before the stage-2 jump', () => {
    const text = lines(renderIptablesRestore(isolationBatch('br9', 'isolated', ['ipv4']), 'ipv4', filter(EMPTY_FILTER)).text);
    const drop = text.indexOf('-I CNI-ISOLATION-STAGE-1 1 -i br9 -o br9 -j DROP -m comment --comment "CNI firewall plugin rules (ingressPolicy: isolated)"');
    const stage2 = text.indexOf('-I CNI-ISOLATION-STAGE-1 1 -i br9 ! -o br9 -j CNI-ISOLATION-STAGE-2 -m comment --comment "CNI firewall plugin rules (ingressPolicy: isolated)"');
    assert.ok(stage2 > 0 && drop > stage2, text.join('\n'));
  });

  it('the shared rules v1.1.1 wrote with its same-bridge comment count as present (HEAD doubles them)', () => {
    assert.equal(renderIptablesRestore(isolationBatch('cni0', 'same-bridge', ['ipv4']), 'ipv4', filter(V111_ISOLATION)).changes, 0);
    // A second bridge needs only its own two rules.
    assert.deepEqual(lines(renderIptablesRestore(isolationBatch('cni1', 'same-bridge', ['ipv4']), 'ipv4', filter(V111_ISOLATION)).text), [
      '*filter',
      '-I CNI-ISOLATION-STAGE-1 1 -i cni1 ! -o cni1 -j CNI-ISOLATION-STAGE-2 -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge)"',
      '-I CNI-ISOLATION-STAGE-2 1 -o cni1 -j DROP -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)"',
      'COMMIT',
    ]);
  });

  it('include puts both rule sets into one transaction per family', () => {
    const batch = firewallForwardBatch({ adminChain: 'CNI-ADMIN', addresses: ['10.33.0.3/16'] }).include(isolationBatch('cni0', 'same-bridge', ['ipv4']));
    const text = lines(renderIptablesRestore(batch, 'ipv4', filter(EMPTY_FILTER)).text);
    assert.equal(text.filter((l) => l === 'COMMIT').length, 1);
    // STAGE-1 is inserted last at the top of FORWARD, so it comes before CNI-FORWARD, as in the reference.
    assert.ok(text.indexOf('-I FORWARD 1 -j CNI-ISOLATION-STAGE-1 -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)"') > text.indexOf('-I FORWARD 1 -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD'));
  });

  it('sameAs does not apply to non-unique rules', () => {
    const b = new IptablesBatch().append('ipv4', 'filter', 'FORWARD', ['-j', 'ACCEPT'], { unique: false, sameAs: [['-j', 'ACCEPT']] });
    assert.equal(renderIptablesRestore(b, 'ipv4', filter(`*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -j ACCEPT\nCOMMIT\n`)).changes, 1);
  });
});
