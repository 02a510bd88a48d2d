import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { UsageError, containerIDForNetns, parseCapArgs, parseCnitoolArgs, parseInvocation } from './cli.js';

describe('cnitool command line', () => {
  it('reads the reference commands with network and netns', () => {
    for (const command of ['add', 'check', 'del', 'gc', 'status'] as const) {
      assert.deepEqual(parseInvocation([command, 'net', '/run/netns/x'], {}), {
        kind: 'network',
        command,
        network: 'net',
        netns: '/run/netns/x',
        ifName: 'eth0',
        json: false,
      });
    }
  });

  it('takes the interface from --ifname, -i, then CNI_IFNAME, then eth0', () => {
    const inv = (argv: string[], env: Record<string, string>) => parseInvocation(argv, env);
    assert.equal((inv(['add', 'n', 'ns', '-i', 'net1'], { CNI_IFNAME: 'x' }) as { ifName: string }).ifName, 'net1');
    assert.equal((inv(['add', 'n', 'ns', '--ifname', 'net2'], {}) as { ifName: string }).ifName, 'net2');
    assert.equal((inv(['add', 'n', 'ns', '--ifname=net3'], {}) as { ifName: string }).ifName, 'net3');
    assert.equal((inv(['add', 'n', 'ns'], { CNI_IFNAME: 'net4' }) as { ifName: string }).ifName, 'net4');
    // Set but empty falls back to eth0, as the current reference does.
    assert.equal((inv(['add', 'n', 'ns'], { CNI_IFNAME: '' }) as { ifName: string }).ifName, 'eth0');
  });

  it('requires a netns argument for gc and status too, like the reference', () => {
    assert.throws(() => parseInvocation(['gc', 'net'], {}), UsageError);
    assert.throws(() => parseInvocation(['status', 'net'], {}), UsageError);
    assert.throws(() => parseInvocation(['frobnicate', 'net', 'ns'], {}), /unknown command "frobnicate"/);
    assert.throws(() => parseInvocation(['add', 'n', 'ns', '--bogus'], {}), /unknown flag: --bogus/);
    assert.throws(() => parseInvocation(['add', 'n', 'ns', '-i'], {}), /flag needs an argument: -i/);
  });

  it('has install <dir>', () => {
    assert.deepEqual(parseInvocation(['install', '/opt/cni/bin'], {}), { kind: 'install', dir: '/opt/cni/bin', sea: false });
    assert.throws(() => parseInvocation(['install'], {}), /install requires a target directory/);
  });

  it('has install --sea <dir>, and --sea nowhere else', () => {
    assert.deepEqual(parseInvocation(['install', '--sea', '/opt/cni/bin'], {}), { kind: 'install', dir: '/opt/cni/bin', sea: true });
    assert.deepEqual(parseInvocation(['install', '/opt/cni/bin', '--sea'], {}), { kind: 'install', dir: '/opt/cni/bin', sea: true });
    assert.throws(() => parseInvocation(['install', '--sea'], {}), /install requires a target directory/);
    assert.throws(() => parseInvocation(['add', 'n', 'ns', '--sea'], {}), /--sea only applies to install/);
  });

  it('has version <plugin>, --json and help', () => {
    assert.deepEqual(parseInvocation(['version', 'bridge', '--json'], {}), { kind: 'version', plugin: 'bridge', json: true });
    assert.deepEqual(parseInvocation([], {}), { kind: 'help' });
    assert.deepEqual(parseInvocation(['add', '--help'], {}), { kind: 'help' });
    assert.throws(() => parseInvocation(['version'], {}), /requires a plugin name/);
  });

  it('derives the container ID from the absolute netns path as the reference does', () => {
    const expected = `cnitool-${createHash('sha512').update('/run/netns/c1').digest('hex').slice(0, 20)}`;
    assert.equal(containerIDForNetns('/run/netns/c1'), expected);
    assert.equal(containerIDForNetns('/run/netns/../netns/c1'), expected);
    assert.match(containerIDForNetns('relative'), /^cnitool-[0-9a-f]{20}$/);
  });

  it('parses CNI_ARGS strictly: two non-empty parts per pair', () => {
    assert.deepEqual(parseCnitoolArgs('A=1;B=2'), [['A', '1'], ['B', '2']]);
    assert.deepEqual(parseCnitoolArgs(''), []);
    assert.throws(() => parseCnitoolArgs('A=1;B='), /^Error: invalid CNI_ARGS pair "B="$/);
    assert.throws(() => parseCnitoolArgs('A=1;'), /invalid CNI_ARGS pair ""/);
    assert.throws(() => parseCnitoolArgs('A=1=2'), /invalid CNI_ARGS pair "A=1=2"/);
  });

  it('parses CAP_ARGS as a JSON object', () => {
    assert.deepEqual(parseCapArgs('{"portMappings":[{"hostPort":8080}]}'), { portMappings: [{ hostPort: 8080 }] });
    assert.equal(parseCapArgs(undefined), undefined);
    // The reference returns json.Unmarshal's error as is.
    assert.throws(() => parseCapArgs('{'), { message: 'unexpected end of JSON input' });
    assert.throws(() => parseCapArgs('{x}'), { message: "invalid character 'x' looking for beginning of object key string" });
    assert.throws(() => parseCapArgs('[1]'), { message: 'json: cannot unmarshal array into Go value of type map[string]interface {}' });
  });
});
