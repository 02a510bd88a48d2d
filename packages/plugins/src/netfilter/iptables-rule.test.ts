import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalCidr, formatAddress, parseCidr } from './addr.js';
import { canonicalRuleWords, joinRuleWords, quoteRuleWord, ruleKey, splitRuleWords } from './iptables-rule.js';

describe('rule words', () => {
  it('splits as iptables-restore does and quotes back as iptables-save does', () => {
    const line = '-A POSTROUTING -s 10.22.0.2/32 -m comment --comment "name: \\"mynet\\" id: \\"c\\\\1\\"" -j CNI-x';
    const words = splitRuleWords(line);
    assert.deepEqual(words, ['-A', 'POSTROUTING', '-s', '10.22.0.2/32', '-m', 'comment', '--comment', 'name: "mynet" id: "c\\1"', '-j', 'CNI-x']);
    assert.equal(joinRuleWords(words), line);
    assert.equal(quoteRuleWord(''), '""');
    assert.equal(quoteRuleWord("it's"), '"it\\\'s"');
    assert.deepEqual(splitRuleWords(`--comment ${quoteRuleWord("it's \"x\"")}`), ['--comment', 'it\'s "x"']);
    assert.throws(() => quoteRuleWord('a\nb'), /line break/);
  });
});

describe('canonical rules (the reference -C check)', () => {
  const same = (written: string[], saved: string) => assert.equal(ruleKey(written), ruleKey(splitRuleWords(saved)), `${written.join(' ')} vs ${saved}`);

  it('equates the ipMasq rules as the reference writes them with iptables-save output', () => {
    const c = 'name: "mynet" id: "ctr1"';
    same(['-d', '10.22.0.2/16', '-j', 'ACCEPT', '-m', 'comment', '--comment', c], '-d 10.22.0.0/16 -m comment --comment "name: \\"mynet\\" id: \\"ctr1\\"" -j ACCEPT');
    same(['!', '-d', '224.0.0.0/4', '-j', 'MASQUERADE', '-m', 'comment', '--comment', c], '! -d 224.0.0.0/4 -m comment --comment "name: \\"mynet\\" id: \\"ctr1\\"" -j MASQUERADE');
    same(['-s', '10.22.0.2', '-j', 'CNI-x', '-m', 'comment', '--comment', c], '-s 10.22.0.2/32 -m comment --comment "name: \\"mynet\\" id: \\"ctr1\\"" -j CNI-x');
    same(['-s', 'fd00:0:0::2', '-j', 'CNI-x'], '-s fd00::2/128 -j CNI-x');
  });

  it('equates the portmap and firewall rules with their observed saved forms', () => {
    same(
      ['-m', 'comment', '--comment', 'dnat name: "ptpnet" id: "p2"', '-m', 'multiport', '-p', 'tcp', '--destination-ports', '8080', '-j', 'CNI-DN-ee4b2e7c1655fdef64802'],
      '-p tcp -m comment --comment "dnat name: \\"ptpnet\\" id: \\"p2\\"" -m multiport --dports 8080 -j CNI-DN-ee4b2e7c1655fdef64802',
    );
    same(['-p', 'tcp', '--dport', '8080', '-s', '10.33.0.3/24', '-j', 'CNI-HOSTPORT-SETMARK'], '-s 10.33.0.0/24 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK');
    same(['-p', 'udp', '--dport', '9090', '-d', '127.0.0.1', '-j', 'DNAT', '--to-destination', '10.33.0.3:90'], '-d 127.0.0.1/32 -p udp -m udp --dport 9090 -j DNAT --to-destination 10.33.0.3:90');
    same(['-d', '10.33.0.3/32', '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'], '-d 10.33.0.3/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
    same(['-j', 'MARK', '--set-xmark', '0x2000/0x2000', '-m', 'comment', '--comment', 'CNI portfwd masquerade mark'], '-m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000');
  });

  it('tells different rules apart', () => {
    assert.notEqual(ruleKey(['-s', '10.0.0.2', '-j', 'X']), ruleKey(['-s', '10.0.0.3', '-j', 'X']));
    assert.notEqual(ruleKey(['-d', '10.0.0.0/24', '-j', 'X']), ruleKey(['!', '-d', '10.0.0.0/24', '-j', 'X']));
    assert.notEqual(ruleKey(['-j', 'X', '-m', 'comment', '--comment', 'a']), ruleKey(['-j', 'X', '-m', 'comment', '--comment', 'b']));
    assert.deepEqual(canonicalRuleWords(['-j', 'DNAT', '--to-destination', '[fd00::2]:80', '-p', 'tcp', '--dport', '80']), [
      '-p', 'tcp', '-m', 'tcp', '--dport', '80', '-j', 'DNAT', '--to-destination', '[fd00::2]:80',
    ]);
  });
});

describe('addresses as the tools print them', () => {
  it('masks networks and adds host prefixes', () => {
    assert.equal(canonicalCidr('10.22.0.2/16'), '10.22.0.0/16');
    assert.equal(canonicalCidr('10.22.0.2'), '10.22.0.2/32');
    assert.equal(canonicalCidr('FD00:22:0:0::2/64'), 'fd00:22::/64');
    assert.equal(canonicalCidr('fd00::2'), 'fd00::2/128');
    assert.equal(canonicalCidr('example.com'), undefined);
    assert.equal(canonicalCidr('10.0.0.1/33'), undefined);
  });

  it('compresses IPv6 like inet_ntop', () => {
    const f = (s: string) => formatAddress(parseCidr(s)!.bytes);
    assert.equal(f('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
    assert.equal(f('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
    assert.equal(f('::'), '::');
    assert.equal(f('::1'), '::1');
    assert.equal(f('ff00::'), 'ff00::');
    assert.equal(f('::ffff:10.1.2.3'), '::ffff:10.1.2.3');
    assert.equal(f('fe80::1:2'), 'fe80::1:2');
  });
});
