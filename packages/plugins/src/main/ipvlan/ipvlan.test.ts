import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CniError } from '@tscni/spec/errors';
import { ipvlanMissing } from '../../testing/kernel-probe.js';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';
import { chainedAddresses, chainedMaster, loadIpvlanConf } from './config.js';

const NAME = 'tscniipvlan';
const MASTER = 'ivmaster0';

const base = { cniVersion: '1.0.0', name: NAME, type: 'ipvlan' };
const text = (o: object): string => JSON.stringify(o);
const codeOf = (f: () => unknown): [number, string] => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof CniError, String(e));
    return [e.code, e.msg];
  }
  assert.fail('no error');
};

describe('ipvlan config', () => {
  it('reads master, mode, mtu, linkInContainer and IPAM, with the defaults of the reference', () => {
    assert.deepEqual(loadIpvlanConf(text({ ...base, ipam: { type: 'host-local' } })), {
      name: NAME,
      master: '',
      mode: 'l2',
      mtu: 0,
      linkInContainer: false,
      ipamType: 'host-local',
      dns: {},
    });
    const c = loadIpvlanConf(text({ ...base, Master: 'eth1', MODE: 'l3s', mtu: 1400, linkInContainer: true, dns: { nameservers: ['10.0.0.53'] } }));
    assert.deepEqual([c.master, c.mode, c.mtu, c.linkInContainer, c.dns], ['eth1', 'l3s', 1400, true, { nameservers: ['10.0.0.53'] }]);
    assert.equal(loadIpvlanConf(text({ ...base, mode: 'l3' })).mode, 'l3');
    assert.equal(loadIpvlanConf(text({ ...base, flags: 'private' })).flag, 'private');
    assert.equal(loadIpvlanConf(text({ ...base, Flags: 'vepa' })).flag, 'vepa');
  });

  it('refuses bad values with code 7 naming them', () => {
    assert.deepEqual(codeOf(() => loadIpvlanConf(text({ ...base, mode: 'bridge' }))), [7, 'unknown ipvlan mode: "bridge"']);
    assert.deepEqual(codeOf(() => loadIpvlanConf(text({ ...base, mtu: -5 }))), [7, 'config field mtu: must be at least 0, got -5']);
    assert.deepEqual(codeOf(() => loadIpvlanConf(text({ ...base, flags: 'loose' }))), [7, 'unknown ipvlan flags: "loose" (bridge, private or vepa)']);
    assert.deepEqual(codeOf(() => loadIpvlanConf(text({ ...base, master: 3 }))), [7, 'config field master: expected a string, got number']);
    assert.equal(codeOf(() => loadIpvlanConf('{"name":'))[0], 6);
  });

  it('chained: the master is the previous result\'s only interface, its addresses replace IPAM', () => {
    const conf = loadIpvlanConf(text(base));
    const prev = { cniVersion: '1.0.0', interfaces: [{ name: 'eth1' }], ips: [{ address: '10.1.0.5/24', interface: 0 }] };
    assert.equal(chainedMaster(conf, prev), 'eth1');
    assert.equal(chainedMaster({ ...conf, master: 'eth2' }, prev), undefined, 'a configured master wins');
    assert.equal(chainedMaster(conf, undefined), undefined, 'not chained: the default route decides');
    assert.deepEqual(codeOf(() => chainedMaster(conf, { cniVersion: '1.0.0', interfaces: [{ name: 'a' }, { name: 'b' }] })), [
      7,
      'chained master failure. PrevResult lacks a single named interface',
    ]);
    assert.deepEqual(chainedAddresses(conf, prev)?.ips, prev.ips);
    assert.equal(chainedAddresses({ ...conf, ipamType: 'host-local' }, prev), undefined, 'IPAM configured: IPAM is asked');
    assert.equal(codeOf(() => chainedAddresses(conf, { cniVersion: '1.0.0', interfaces: [{ name: 'eth1' }] }))[0], 7);
    assert.equal(codeOf(() => chainedAddresses(conf, undefined))[0], 7);
  });
});

describe('ipvlan plugin', () => {
  const missing = ipvlanMissing();
  const sandboxes: Sandbox[] = [];
  after(() => sandboxes.forEach((sb) => sb.remove()));
  const make = (): Sandbox => {
    const sb = sandbox('tscni-iv-');
    sandboxes.push(sb);
    sb.host.exec('ip', ['link', 'add', MASTER, 'type', 'veth', 'peer', 'name', 'ivpeer0']);
    sb.host.exec('ip', ['link', 'set', MASTER, 'up']);
    return sb;
  };
  const conf = (sb: Sandbox, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    ...base,
    master: MASTER,
    ipam: { type: 'host-local', subnet: '10.81.0.0/24', routes: [{ dst: '0.0.0.0/0' }], dataDir: join(sb.dir, 'ipam') },
    ...extra,
  });
  const reserved = (sb: Sandbox): string[] => {
    const d = join(sb.dir, 'ipam', NAME);
    return existsSync(d) ? readdirSync(d).filter((f) => /^[0-9a-f.:]+$/.test(f)) : [];
  };
  const links = (sb: Sandbox): { ifname: string; address: string; linkinfo?: { info_kind?: string; info_data?: { mode?: string } } }[] =>
    JSON.parse(sb.cont.exec('ip', ['-json', '-d', 'link'])) as never;

  it('refuses bad configs before making anything, whatever the kernel', () => {
    const sb = make();
    const cases: [Record<string, unknown>, RegExp][] = [
      [conf(sb, { mode: 'vepa' }), /^unknown ipvlan mode: "vepa"$/],
      [conf(sb, { ipam: undefined }), /needs ipam\.type, or a prevResult with addresses/],
      [conf(sb, { master: undefined, ipam: undefined, prevResult: { cniVersion: '1.0.0', interfaces: [{ name: 'a' }, { name: 'b' }] } }), /^chained master failure/],
    ];
    for (const [config, msg] of cases) {
      const r = sb.run('ipvlan', { command: 'ADD', config });
      assert.equal(r.json?.['code'], 7, r.stdout);
      assert.match(String(r.json?.['msg']), msg);
    }
    const noMaster = sb.run('ipvlan', { command: 'ADD', config: conf(sb, { master: 'nosuch0' }) });
    assert.match(String(noMaster.json?.['msg']), /^failed to lookup master "nosuch0": /);
    assert.deepEqual(links(sb).map((l) => l.ifname), ['lo']);
    assert.deepEqual(reserved(sb), []);
    // DEL needs neither the kernel kind nor a master.
    assert.equal(sb.run('ipvlan', { command: 'DEL', config: conf(sb, { master: undefined }) }).code, 0);
  });

  it('on a kernel without ipvlan, ADD fails saying so and leaves nothing behind', { skip: missing === undefined ? 'the kernel has ipvlan' : false }, () => {
    const sb = make();
    const r = sb.run('ipvlan', { command: 'ADD', config: conf(sb) });
    assert.equal(r.json?.['code'], 999);
    assert.match(String(r.json?.['msg']), /^failed to create ipvlan: .*operation not supported/);
    assert.deepEqual(links(sb).map((l) => l.ifname), ['lo']);
    assert.deepEqual(reserved(sb), []);
  });

  it('ADD in l3 mode, CHECK, DEL twice, DEL after the namespace is gone', { skip: missing }, () => {
    const sb = make();
    const config = conf(sb, { mode: 'l3' });
    const r = sb.run('ipvlan', { command: 'ADD', config });
    assert.equal(r.code, 0, r.stdout);
    const eth0 = links(sb).find((l) => l.ifname === 'eth0')!;
    assert.equal(eth0.linkinfo?.info_kind, 'ipvlan');
    assert.equal(eth0.linkinfo?.info_data?.mode, 'l3');
    assert.deepEqual(r.json, {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', mac: eth0.address, sandbox: sb.cont.path }],
      ips: [{ address: '10.81.0.2/24', gateway: '10.81.0.1', interface: 0 }],
      routes: [{ dst: '0.0.0.0/0' }],
    });
    assert.equal(sb.run('ipvlan', { command: 'CHECK', config: { ...config, prevResult: r.json } }).code, 0);
    const wrong = sb.run('ipvlan', { command: 'CHECK', config: { ...config, mode: 'l2', prevResult: r.json } });
    assert.equal(wrong.json?.['msg'], 'Container IPVlan mode l3 does not match expected value: l2');
    for (let i = 0; i < 2; i++) assert.equal(sb.run('ipvlan', { command: 'DEL', config }).code, 0);
    assert.deepEqual(reserved(sb), []);
    assert.equal(sb.run('ipvlan', { command: 'ADD', config }).code, 0);
    sb.cont.remove();
    assert.equal(sb.run('ipvlan', { command: 'DEL', config }).code, 0);
    assert.deepEqual(reserved(sb), []);
  });

  it('chained without IPAM takes the previous result\'s addresses and interface as master', { skip: missing }, () => {
    const sb = make();
    const prevResult = { cniVersion: '1.0.0', interfaces: [{ name: MASTER }], ips: [{ address: '10.82.0.7/24', gateway: '10.82.0.1', interface: 0 }] };
    const config = { ...base, prevResult };
    const r = sb.run('ipvlan', { command: 'ADD', config });
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual((r.json as { ips: unknown[] }).ips, [{ address: '10.82.0.7/24', gateway: '10.82.0.1', interface: 0 }]);
    assert.match(sb.cont.exec('ip', ['addr', 'show', 'eth0']), /inet 10\.82\.0\.7\/24/);
    assert.equal(sb.run('ipvlan', { command: 'DEL', config }).code, 0);
  });

  it('flags (a tscni key) set the kernel flag; l3s mode; the master inside the container (linkInContainer)', { skip: missing }, () => {
    const sb = make();
    const flagged = conf(sb, { mode: 'l3s', flags: 'private' });
    const r = sb.run('ipvlan', { command: 'ADD', config: flagged });
    assert.equal(r.code, 0, r.stdout);
    const data = (JSON.parse(sb.cont.exec('ip', ['-json', '-d', 'link', 'show', 'eth0'])) as { linkinfo?: { info_data?: { mode?: string; flags?: string[] | string } } }[])[0]!.linkinfo?.info_data;
    assert.equal(data?.mode, 'l3s');
    assert.match(JSON.stringify(data?.flags ?? sb.cont.exec('ip', ['-d', 'link', 'show', 'eth0'])), /private/);
    assert.equal(sb.run('ipvlan', { command: 'CHECK', config: { ...flagged, prevResult: r.json } }).code, 0);
    assert.equal(sb.run('ipvlan', { command: 'DEL', config: flagged }).code, 0);

    // linkInContainer: the master lives in the container, and so does the new link.
    sb.host.exec('ip', ['link', 'set', 'ivpeer0', 'netns', sb.cont.name]);
    sb.cont.exec('ip', ['link', 'set', 'ivpeer0', 'up']);
    const inside = conf(sb, { master: 'ivpeer0', linkInContainer: true });
    const r2 = sb.run('ipvlan', { command: 'ADD', config: inside });
    assert.equal(r2.code, 0, r2.stdout);
    const eth0 = links(sb).find((l) => l.ifname === 'eth0');
    assert.equal(eth0?.linkinfo?.info_kind, 'ipvlan');
    assert.equal(sb.run('ipvlan', { command: 'CHECK', config: { ...inside, prevResult: r2.json } }).code, 0);
    for (let i = 0; i < 2; i++) assert.equal(sb.run('ipvlan', { command: 'DEL', config: inside }).code, 0);
    assert.equal(links(sb).find((l) => l.ifname === 'eth0'), undefined);
  });

  it('ADD of an interface name that exists fails and leaves nothing behind', { skip: missing }, () => {
    const sb = make();
    sb.cont.exec('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other0']);
    const r = sb.run('ipvlan', { command: 'ADD', config: conf(sb) });
    assert.match(String(r.json?.['msg']), /^failed to rename ipvlan to "eth0": /);
    assert.deepEqual(links(sb).map((l) => l.ifname).sort(), ['eth0', 'lo', 'other0']);
    assert.deepEqual(reserved(sb), []);
  });
});
