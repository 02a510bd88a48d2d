import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';

const NAME = 'tscnitap';

interface IpLink {
  ifname: string;
  address: string;
  mtu: number;
  flags: string[];
  master?: string;
  linkinfo?: { info_kind?: string; info_data?: { type?: string; vnet_hdr?: boolean; multi_queue?: boolean; user?: string | number; group?: string | number } };
}

function conf(sb: Sandbox, extra: Record<string, unknown> = {}, ipam: Record<string, unknown> | null = null): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: NAME,
    type: 'tap',
    ...(ipam === null ? {} : { ipam: { type: 'host-local', subnet: '10.78.0.0/24', routes: [{ dst: '0.0.0.0/0' }], dataDir: join(sb.dir, 'ipam'), ...ipam } }),
    ...extra,
  };
}

const reserved = (sb: Sandbox): string[] => {
  const d = join(sb.dir, 'ipam', NAME);
  return existsSync(d) ? readdirSync(d).filter((f) => /^[0-9a-f.:]+$/.test(f)) : [];
};
const links = (ns: { exec(c: string, a: readonly string[]): string }): IpLink[] => JSON.parse(ns.exec('ip', ['-json', '-d', 'link'])) as IpLink[];
const tap = (sb: Sandbox, name = 'eth0'): IpLink | undefined => links(sb.cont).find((l) => l.ifname === name);

describe('tap', () => {
  const sandboxes: Sandbox[] = [];
  const make = (): Sandbox => {
    const sb = sandbox('tscni-tap-');
    sandboxes.push(sb);
    return sb;
  };
  after(() => sandboxes.forEach((sb) => sb.remove()));

  it('ADD makes a configured tap in the container; CHECK; DEL twice; DEL without the namespace', () => {
    const sb = make();
    const config = conf(sb, { mtu: 1400, mac: '02:00:00:00:7a:01' }, {});
    const r = sb.run('tap', { command: 'ADD', config });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const t = tap(sb)!;
    assert.equal(t.linkinfo?.info_kind, 'tun');
    assert.equal(t.linkinfo?.info_data?.type, 'tap');
    assert.equal(t.mtu, 1400);
    assert.equal(t.address, '02:00:00:00:7a:01');
    assert.ok(t.flags.includes('UP'));
    assert.deepEqual(r.json, {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', mac: '02:00:00:00:7a:01', sandbox: sb.cont.path }],
      ips: [{ address: '10.78.0.2/24', gateway: '10.78.0.1', interface: 0 }],
      routes: [{ dst: '0.0.0.0/0' }],
    });
    assert.equal(sb.cont.exec('cat', ['/proc/sys/net/ipv4/conf/eth0/arp_notify']).trim(), '1');
    assert.ok(!links(sb.host).some((l) => /^veth/.test(l.ifname)) && !links(sb.cont).some((l) => /^veth/.test(l.ifname)));
    assert.equal(sb.run('tap', { command: 'CHECK', config: { ...config, prevResult: r.json } }).code, 0);
    assert.equal(sb.run('tap', { command: 'CHECK', config }).json?.['msg'], 'Required prevResult missing');
    for (let i = 0; i < 2; i++) assert.equal(sb.run('tap', { command: 'DEL', config }).code, 0);
    assert.deepEqual(links(sb.cont).map((l) => l.ifname), ['lo']);
    assert.deepEqual(reserved(sb), []);
    assert.equal(sb.run('tap', { command: 'ADD', config }).code, 0);
    sb.cont.remove();
    assert.equal(sb.run('tap', { command: 'DEL', config }).code, 0, 'DEL after the namespace is gone');
    assert.deepEqual(reserved(sb), []);
  });

  it('owner, group and multiQueue; the virtio-net header only with both owner and group, as the reference', () => {
    const sb = make();
    const cases: [Record<string, unknown>, boolean][] = [
      [{ owner: 1000, group: 100, multiQueue: true }, true],
      [{ owner: 1000 }, false],
      [{}, false],
    ];
    for (const [extra, vnet] of cases) {
      const config = conf(sb, extra);
      const r = sb.run('tap', { command: 'ADD', config });
      assert.equal(r.code, 0, r.stdout);
      const info = sb.cont.exec('ip', ['tuntap', 'show']);
      assert.equal(/vnet_hdr/.test(info), vnet, info);
      assert.equal(/multi_queue/.test(info), extra['multiQueue'] === true, info);
      if (extra['owner'] !== undefined) assert.match(info, / user 1000/);
      if (extra['group'] !== undefined) assert.match(info, / group 100/);
      assert.deepEqual(r.json, { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', mac: tap(sb)!.address, sandbox: sb.cont.path }] });
      assert.equal(sb.run('tap', { command: 'DEL', config }).code, 0);
    }
  });

  it('joins a bridge inside the container, and says which bridge is missing', () => {
    const sb = make();
    sb.cont.exec('ip', ['link', 'add', 'br0', 'type', 'bridge']);
    const config = conf(sb, { bridge: 'br0' });
    assert.equal(sb.run('tap', { command: 'ADD', config }).code, 0);
    assert.equal(tap(sb)?.master, 'br0');
    assert.equal(sb.run('tap', { command: 'DEL', config }).code, 0);
    const r = sb.run('tap', { command: 'ADD', config: conf(sb, { bridge: 'nobr0' }) });
    assert.match(String(r.json?.['msg']), /^failed to get bridge nobr0: /);
    assert.deepEqual(links(sb.cont).map((l) => l.ifname).sort(), ['br0', 'lo']);
  });

  it('takes the MAC from mac, then CNI_ARGS, then runtimeConfig', () => {
    const sb = make();
    const cases: [Record<string, unknown>, string, string][] = [
      [{ mac: '02:00:00:00:7a:01' }, 'IgnoreUnknown=1;MAC=02:00:00:00:7a:02;K8S_POD_NAME=x', '02:00:00:00:7a:02'],
      [{ mac: '02:00:00:00:7a:01', runtimeConfig: { mac: '02:00:00:00:7a:03' } }, 'MAC=02:00:00:00:7a:02', '02:00:00:00:7a:03'],
    ];
    for (const [extra, cniArgs, mac] of cases) {
      const config = conf(sb, extra);
      assert.equal(sb.run('tap', { command: 'ADD', config, args: cniArgs }).code, 0);
      assert.equal(tap(sb)?.address, mac);
      assert.equal(sb.run('tap', { command: 'DEL', config, args: cniArgs }).code, 0);
    }
  });

  it('ADD of an interface name that exists fails and leaves nothing behind; bad configs get their codes', () => {
    const sb = make();
    sb.cont.exec('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other0']);
    const r = sb.run('tap', { command: 'ADD', config: conf(sb, {}, {}) });
    assert.match(String(r.json?.['msg']), /^failed to rename tap to "eth0": /);
    assert.deepEqual(links(sb.cont).map((l) => l.ifname).sort(), ['eth0', 'lo', 'other0']);
    assert.deepEqual(reserved(sb), []);
    const cases: [Record<string, unknown>, string, number, RegExp][] = [
      [conf(sb, { mac: 'zz:00:00:00:00:01' }), '', 7, /^invalid args zz:00:00:00:00:01 for MAC addr/],
      [conf(sb), 'MAC=nonsense', 4, /^invalid args nonsense for MAC addr/],
      [conf(sb), 'POD=x', 4, /^ARGS: unknown args \["POD=x"\]$/],
      [conf(sb, { owner: -1 }), '', 7, /owner/],
      [conf(sb, { mtu: 'big' }), '', 7, /mtu: expected a number/],
      [conf(sb, { multiQueue: 'yes' }), '', 7, /multiQueue: expected a boolean/],
    ];
    for (const [config, cniArgs, code, msg] of cases) {
      const bad = sb.run('tap', { command: 'ADD', config, ifName: 'tap9', args: cniArgs });
      assert.equal(bad.json?.['code'], code, `${JSON.stringify(config)}: ${bad.stdout}`);
      assert.match(String(bad.json?.['msg']), msg);
    }
    assert.deepEqual(links(sb.cont).map((l) => l.ifname).sort(), ['eth0', 'lo', 'other0']);
  });
});
