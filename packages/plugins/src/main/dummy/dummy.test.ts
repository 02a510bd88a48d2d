import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLink } from '@tscni/netlink/rtnl/link';
import { lacks, probeKernel } from '@tscni/netlink/rtnl/testing/scratch-rtnl';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';

const NAME = 'tscnidummy';

const hasDummy = probeKernel((s) => createLink(s.rt, { name: 'probe', info: { kind: 'dummy' } }));
const laneOnly = hasDummy ? false : lacks('dummy');

interface IpLink {
  ifname: string;
  address: string;
  flags: string[];
  linkinfo?: { info_kind?: string };
}
const links = (ns: { exec(c: string, a: readonly string[]): string }): IpLink[] => JSON.parse(ns.exec('ip', ['-json', '-d', 'link'])) as IpLink[];
const names = (ns: { exec(c: string, a: readonly string[]): string }): string[] => links(ns).map((l) => l.ifname).sort();

function conf(sb: Sandbox, extra: Record<string, unknown> = {}, ipam: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: NAME,
    type: 'dummy',
    ipam: { type: 'host-local', subnet: '10.84.0.0/24', routes: [{ dst: '10.85.0.0/16' }], dataDir: join(sb.dir, 'ipam'), ...ipam },
    ...extra,
  };
}

const reserved = (sb: Sandbox): string[] => {
  const d = join(sb.dir, 'ipam', NAME);
  return existsSync(d) ? readdirSync(d).filter((f) => /^[0-9a-f.:]+$/.test(f)) : [];
};

describe('dummy plugin', () => {
  const sandboxes: Sandbox[] = [];
  after(() => sandboxes.forEach((sb) => sb.remove()));
  const make = (): Sandbox => {
    const sb = sandbox('tscni-dm-');
    sandboxes.push(sb);
    return sb;
  };

  it('refuses a config without IPAM or with bad JSON before making anything, whatever the kernel', () => {
    const sb = make();
    for (const command of ['ADD', 'CHECK'] as const) {
      const r = sb.run('dummy', { command, config: conf(sb, { ipam: undefined }) });
      assert.deepEqual([r.json?.['code'], r.json?.['msg']], [7, 'dummy interface requires an IPAM configuration'], command);
    }
    const bad = sb.run('dummy', { command: 'ADD', config: '{"cniVersion":"1.0.0","name":' });
    assert.equal(bad.json?.['code'], 6, bad.stdout);
    const badType = sb.run('dummy', { command: 'ADD', config: conf(sb, { ipam: { type: 7 } }) });
    assert.equal(badType.json?.['code'], 7, badType.stdout);
    assert.deepEqual(names(sb.cont), ['lo']);
    // DEL never needs the kernel kind, nor IPAM (the reference's DEL without IPAM fails).
    assert.equal(sb.run('dummy', { command: 'DEL', config: conf(sb, { ipam: undefined }) }).code, 0);
    assert.equal(sb.run('dummy', { command: 'DEL', config: conf(sb) }).code, 0);
  });

  it('on a kernel without dummy, ADD fails saying so and leaves nothing behind', { skip: hasDummy ? 'the kernel has dummy' : false }, () => {
    const sb = make();
    const r = sb.run('dummy', { command: 'ADD', config: conf(sb) });
    assert.equal(r.json?.['code'], 999, r.stdout);
    assert.match(String(r.json?.['msg']), /^failed to create dummy: .*not supported/);
    assert.deepEqual(names(sb.cont), ['lo']);
    assert.deepEqual(reserved(sb), []);
  });

  it('ADD makes the dummy in the container and configures it; CHECK; DEL twice; DEL after the namespace is gone', { skip: laneOnly }, () => {
    const sb = make();
    const config = conf(sb);
    const r = sb.run('dummy', { command: 'ADD', config });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const eth0 = links(sb.cont).find((l) => l.ifname === 'eth0')!;
    assert.equal(eth0.linkinfo?.info_kind, 'dummy');
    assert.ok(eth0.flags.includes('UP'));
    assert.deepEqual(r.json, {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', mac: eth0.address, sandbox: sb.cont.path }],
      ips: [{ address: '10.84.0.2/24', gateway: '10.84.0.1', interface: 0 }],
      routes: [{ dst: '10.85.0.0/16' }],
    });
    assert.match(sb.cont.exec('ip', ['addr', 'show', 'eth0']), /inet 10\.84\.0\.2\/24/);
    assert.match(sb.cont.exec('ip', ['route', 'show']), /10\.85\.0\.0\/16 via 10\.84\.0\.1 dev eth0/);
    assert.deepEqual(names(sb.host), ['lo'], 'nothing on the host side');

    assert.equal(sb.run('dummy', { command: 'CHECK', config: { ...config, prevResult: r.json } }).code, 0);
    assert.equal(sb.run('dummy', { command: 'CHECK', config }).json?.['msg'], 'dummy: Required prevResult missing');
    sb.cont.exec('ip', ['link', 'set', 'eth0', 'down']);
    assert.equal(sb.run('dummy', { command: 'CHECK', config: { ...config, prevResult: r.json } }).json?.['msg'], 'Interface eth0 is down');
    sb.cont.exec('ip', ['link', 'set', 'eth0', 'up']);
    const wrongMac = { ...r.json, interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:99', sandbox: sb.cont.path }] };
    assert.equal(
      sb.run('dummy', { command: 'CHECK', config: { ...config, prevResult: wrongMac } }).json?.['msg'],
      `dummy: Interface eth0 Mac 02:00:00:00:00:99 doesn't match container Mac: ${eth0.address}`,
    );

    for (let i = 0; i < 2; i++) assert.equal(sb.run('dummy', { command: 'DEL', config }).code, 0);
    assert.deepEqual(names(sb.cont), ['lo']);
    assert.deepEqual(reserved(sb), []);

    assert.equal(sb.run('dummy', { command: 'ADD', config }).code, 0);
    sb.cont.remove();
    assert.equal(sb.run('dummy', { command: 'DEL', config }).code, 0, 'DEL after the namespace is gone');
    assert.deepEqual(reserved(sb), []);
  });

  it('keeps IPAM\'s DNS in the result (unlike vlan and macvlan)', { skip: laneOnly }, () => {
    const sb = make();
    const config = conf(sb, { cniVersion: '0.4.0' }, {
      type: 'static',
      subnet: undefined,
      routes: undefined,
      dataDir: undefined,
      addresses: [{ address: '10.84.1.5/24', gateway: '10.84.1.1' }],
      dns: { nameservers: ['10.84.1.53'], domain: 'example.org' },
    });
    const r = sb.run('dummy', { command: 'ADD', config });
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(r.json?.['dns'], { nameservers: ['10.84.1.53'], domain: 'example.org' });
    assert.deepEqual(r.json?.['ips'], [{ version: '4', address: '10.84.1.5/24', gateway: '10.84.1.1', interface: 0 }]);
    assert.equal(sb.run('dummy', { command: 'CHECK', config: { ...config, prevResult: r.json } }).code, 0);
    assert.equal(sb.run('dummy', { command: 'DEL', config }).code, 0);
    assert.deepEqual(names(sb.cont), ['lo']);
  });

  it('the name only has to be free in the container: one taken on the host is fine', { skip: laneOnly }, () => {
    const sb = make();
    sb.host.exec('ip', ['link', 'add', 'eth0', 'type', 'dummy']);
    const config = conf(sb);
    assert.equal(sb.run('dummy', { command: 'ADD', config }).code, 0);
    assert.deepEqual(names(sb.host), ['eth0', 'lo']);
    assert.equal(sb.run('dummy', { command: 'DEL', config }).code, 0);
    assert.deepEqual(names(sb.host), ['eth0', 'lo'], 'the host\'s link is left alone');
  });

  it('ADD of an interface name that exists in the container fails and leaves it and the addresses alone', { skip: laneOnly }, () => {
    const sb = make();
    sb.cont.exec('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other0']);
    const r = sb.run('dummy', { command: 'ADD', config: conf(sb) });
    assert.equal(r.code, 1);
    assert.match(String(r.json?.['msg']), /^failed to create dummy: .*exists/i);
    assert.equal(links(sb.cont).find((l) => l.ifname === 'eth0')?.linkinfo?.info_kind, 'veth');
    assert.deepEqual(names(sb.cont), ['eth0', 'lo', 'other0']);
    assert.deepEqual(reserved(sb), []);
  });

  it('a failing IPAM leaves no link behind', { skip: laneOnly }, () => {
    const sb = make();
    const config = conf(sb, {}, { subnet: '10.84.0.0/30', rangeStart: '10.84.0.2', rangeEnd: '10.84.0.2' });
    assert.equal(sb.run('dummy', { command: 'ADD', config, containerID: 'first' }).code, 0);
    const r = sb.run('dummy', { command: 'ADD', config, containerID: 'second', ifName: 'eth1' });
    assert.equal(r.code, 1, r.stdout);
    assert.deepEqual(names(sb.cont), ['eth0', 'lo']);
    assert.equal(sb.run('dummy', { command: 'DEL', config, containerID: 'first' }).code, 0);
  });
});
