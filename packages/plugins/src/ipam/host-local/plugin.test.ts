/**
 * The built host-local plugin (dist/plugins, or TSCNI_DIST), run as a runtime would. It only
 * writes files, so no namespace is needed; every data directory is a temporary one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runPlugin, type PluginCall } from '../../testing/run-plugin.js';

const root = mkdtempSync(join(tmpdir(), `tscni-hl-plugin-${process.pid}-`));
after(() => rmSync(root, { recursive: true, force: true }));

const net = (cniVersion: string, ipam: object, extra: object = {}) => ({ cniVersion, name: 'hlnet', type: 'bridge', ipam: { type: 'host-local', dataDir: root, ...ipam }, ...extra });
const run = (command: PluginCall['command'], config: object, containerID = 'c1', args = '') => runPlugin('host-local', { command, config, containerID, ifName: 'eth0', netns: '/var/run/netns/unused', args });
const reservations = () => readdirSync(join(root, 'hlnet')).filter((n) => /^[0-9a-f.:]+$/.test(n) && n !== '.').sort();

describe('host-local plugin', () => {
  const conf = net('1.0.0', { ranges: [[{ subnet: '10.9.0.0/24' }], [{ subnet: 'fd09::/64' }]], routes: [{ dst: '0.0.0.0/0' }] });

  it('ADD, CHECK, DEL, DEL again, CHECK fails', () => {
    const added = run('ADD', conf);
    assert.equal(added.code, 0, added.stdout);
    assert.deepEqual(added.json, {
      cniVersion: '1.0.0',
      ips: [
        { address: '10.9.0.2/24', gateway: '10.9.0.1' },
        { address: 'fd09::2/64', gateway: 'fd09::1' },
      ],
      routes: [{ dst: '0.0.0.0/0' }],
    });
    assert.deepEqual(reservations(), ['10.9.0.2', 'fd09::2']);
    assert.equal(run('CHECK', conf).code, 0);
    assert.equal(run('DEL', conf).code, 0);
    assert.deepEqual(reservations(), []);
    assert.equal(run('DEL', conf).code, 0);
    const checked = run('CHECK', conf);
    assert.equal(checked.code, 1);
    assert.deepEqual(checked.json, { code: 999, msg: 'host-local: Failed to find address added by container c1' });
  });

  it('prints 0.2.0 results in the ip4/ip6 shape', () => {
    const r = run('ADD', net('0.2.0', { ranges: [[{ subnet: '10.9.0.0/24' }], [{ subnet: 'fd09::/64' }]] }), 'old1');
    assert.equal(r.code, 0, r.stdout);
    assert.equal((r.json!['ip4'] as { ip: string }).ip, '10.9.0.3/24');
    assert.equal((r.json!['ip6'] as { ip: string }).ip, 'fd09::3/64');
    assert.equal(run('DEL', net('0.2.0', { subnet: '10.9.0.0/24' }), 'old1').code, 0);
  });

  it('GC releases what the runtime no longer lists', () => {
    const v = net('1.1.0', { subnet: '10.9.0.0/24' });
    for (const id of ['g1', 'g2', 'g3']) assert.equal(run('ADD', v, id).code, 0);
    const gc = runPlugin('host-local', { command: 'GC', config: { ...v, 'cni.dev/valid-attachments': [{ containerID: 'g2', ifname: 'eth0' }] } });
    assert.equal(gc.code, 0, gc.stdout);
    assert.equal(run('CHECK', v, 'g1').code, 1);
    assert.equal(run('CHECK', v, 'g2').code, 0);
    assert.equal(run('CHECK', v, 'g3').code, 1);
    assert.equal(run('DEL', v, 'g2').code, 0);
    assert.deepEqual(reservations(), []);
  });

  it('fails bad configs with the reference\'s messages and codes, leaving nothing behind', () => {
    const cases: [object, string, number, string][] = [
      [net('1.0.0', { ranges: [[{ subnet: '10.9.0.0/24' }], [{ subnet: '10.9.0.0/25' }]] }), '', 999, 'range set 0 overlaps with 1'],
      [net('1.0.0', { subnet: '10.9.0.0/24' }), 'IP=10.8.0.1', 999, 'failed to allocate all requested IPs: 10.8.0.1'],
      [net('1.0.0', { ranges: [[{ subnet: '10.9.0.0/24' }], [{ subnet: 'fd09::/64', rangeStart: 'fd09::1', rangeEnd: 'fd09::1' }]] }), '', 999, 'failed to allocate for range 1: no IP addresses available in range set: fd09::1-fd09::1'],
      [net('1.0.0', { subnet: '10.9.0.0/24', resolvConf: join(root, 'missing') }), '', 999, `open ${join(root, 'missing')}: no such file or directory`],
      [net('1.0.0', { subnet: ['10.9.0.0/24'] }), '', 7, 'config field ipam.subnet: expected a string, got array'],
    ];
    for (const [config, args, code, msg] of cases) {
      const r = run('ADD', config, 'bad', args);
      assert.equal(r.code, 1, r.stdout);
      assert.deepEqual(r.json, { code, msg });
    }
    assert.deepEqual(reservations(), []);
  });
});
