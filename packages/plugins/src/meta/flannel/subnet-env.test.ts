import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CniError } from '@tscni/spec/errors';
import { loadSubnetEnv, parseSubnetEnv } from './subnet-env.js';

// The subnet.env files of the reference's flannel_linux_test.go.
const IPV4 = '\nFLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n';
const IPV6 = '\nFLANNEL_IPV6_NETWORK=fc00::/48\nFLANNEL_IPV6_SUBNET=fc00::1/64\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n';
const DUAL = '\nFLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_IPV6_NETWORK=fc00::/48\nFLANNEL_IPV6_SUBNET=fc00::1/64\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n';

describe('flannel subnet.env', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tscni-flannel-env-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('reads the reference test files: subnets masked, MTU, IPMASQ', () => {
    assert.deepEqual(parseSubnetEnv(IPV4), { networks: ['10.1.0.0/16'], subnet: '10.1.17.0/24', ip6Networks: [], mtu: 1472, ipMasq: true });
    assert.deepEqual(parseSubnetEnv(IPV6), { networks: [], ip6Networks: ['fc00::/48'], ip6Subnet: 'fc00::/64', mtu: 1472, ipMasq: true });
    assert.deepEqual(parseSubnetEnv(DUAL), { networks: ['10.1.0.0/16'], subnet: '10.1.17.0/24', ip6Networks: ['fc00::/48'], ip6Subnet: 'fc00::/64', mtu: 1472, ipMasq: true });
  });

  it('several networks, duplicates dropped; IPMASQ only when exactly true; CRLF, unknown keys and comments ignored', () => {
    const env = parseSubnetEnv('# flannel\r\nFLANNEL_NETWORK=10.1.0.0/16,192.168.0.0/16,10.1.2.3/16\r\nFLANNEL_SUBNET=10.1.17.1/24\r\nFLANNEL_MTU=01450\r\nFLANNEL_IPMASQ=True\r\nFLANNEL_OTHER\r\nFOO=bar');
    assert.deepEqual(env.networks, ['10.1.0.0/16', '192.168.0.0/16']);
    assert.equal(env.mtu, 1450);
    assert.equal(env.ipMasq, false);
  });

  it('a later line of the same key wins', () => {
    const env = parseSubnetEnv(`${IPV4}FLANNEL_SUBNET=10.1.18.1/24\nFLANNEL_NETWORK=10.2.0.0/16\n`);
    assert.equal(env.subnet, '10.1.18.0/24');
    assert.deepEqual(env.networks, ['10.2.0.0/16']);
  });

  it('missing keys: the reference message (its test "foo=bar")', () => {
    const p = file('foo.env', 'foo=bar');
    assert.throws(
      () => loadSubnetEnv(p),
      (e: unknown) => {
        assert.ok(e instanceof CniError);
        assert.equal(e.code, 7);
        assert.equal(
          e.msg,
          `failed to load flannel 'subnet.env' file: ${p} is missing FLANNEL_NETWORK, FLANNEL_IPV6_NETWORK, FLANNEL_SUBNET, FLANNEL_IPV6_SUBNET, FLANNEL_MTU, FLANNEL_IPMASQ. Check the flannel pod log for this node.`,
        );
        return true;
      },
    );
    assert.throws(() => parseSubnetEnv('FLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_MTU=1472\n'), /missing FLANNEL_IPMASQ$/);
  });

  // Deliberate difference: the reference panics on a known key without "=" (index out of
  // range) and reports a bad CIDR or MTU without naming the file or the line.
  it('a malformed line is code 7 naming the file and the line', () => {
    const cases: [string, string][] = [
      ['\nFLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_MTU\n', ':3: FLANNEL_MTU has no "=" and no value'],
      ['FLANNEL_NETWORK=10.1.0.0/16,10.2.0.0\n', ':1: FLANNEL_NETWORK: invalid CIDR address: 10.2.0.0'],
      ['FLANNEL_NETWORK=\n', ':1: FLANNEL_NETWORK: invalid CIDR address: '],
      ['FLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET= 10.1.17.1/24\n', ':2: FLANNEL_SUBNET: invalid CIDR address:  10.1.17.1/24'],
      ['FLANNEL_IPV6_SUBNET=fc00::1/129\n', ':1: FLANNEL_IPV6_SUBNET: invalid CIDR address: fc00::1/129'],
      ['FLANNEL_MTU=abc\n', ':1: FLANNEL_MTU: strconv.ParseUint: parsing "abc": invalid syntax'],
      ['FLANNEL_MTU=-1\n', ':1: FLANNEL_MTU: strconv.ParseUint: parsing "-1": invalid syntax'],
      ['FLANNEL_MTU=4294967296\n', ':1: FLANNEL_MTU: strconv.ParseUint: parsing "4294967296": value out of range'],
    ];
    cases.forEach(([text, where], i) => {
      const p = file(`bad${i}.env`, text);
      assert.throws(
        () => loadSubnetEnv(p),
        (e: unknown) => {
          assert.ok(e instanceof CniError);
          assert.equal(e.code, 7);
          assert.equal(e.msg, `failed to load flannel 'subnet.env' file: ${p}${where}. Check the flannel pod log for this node.`);
          return true;
        },
      );
    });
    assert.equal(parseSubnetEnv('FLANNEL_NETWORK=10.0.0.0/8\nFLANNEL_SUBNET=10.0.0.1/24\nFLANNEL_MTU=4294967295\nFLANNEL_IPMASQ=false').mtu, 4294967295);
  });

  it('an unreadable file is the reference error (code 999)', () => {
    const p = join(dir, 'absent.env');
    assert.throws(
      () => loadSubnetEnv(p),
      (e: unknown) => e instanceof CniError && e.code === 999 && e.msg === `failed to load flannel 'subnet.env' file: open ${p}: no such file or directory. Check the flannel pod log for this node.`,
    );
  });
});
