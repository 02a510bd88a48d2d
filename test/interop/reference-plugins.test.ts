/**
 * Interop with the real thing: our runtime library and cnitool drive the Go reference plugins
 * (Debian's containernetworking-plugins in /usr/lib/cni) for a bridge + host-local (ipMasq)
 * + portmap + tuning list in fresh namespaces. ADD, GC, DEL and VERSION work, the cache is
 * written in the reference's format and removed, and the namespaces and host are clean after.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CNIConfig, loadNetworkConf, type RuntimeConf } from '@tscni/libcni';
import { printResult, type Result100 } from '@tscni/spec';
import { containerIDForNetns } from '@tscni/cnitool';
import { addNetns, addresses, delLink, delNetns, hostLinks, iptablesRules, repoRoot, run, uniqueName } from '../helpers/host.js';

const REFERENCE_DIR = '/usr/lib/cni';
// Chains the reference portmap shares between all containers and never removes.
const SHARED_PORTMAP = /CNI-HOSTPORT-(DNAT|SETMARK|MASQ)|CNI portfwd/;

describe('tscni libcni and cnitool drive the Go reference plugins', () => {
  const nsA = uniqueName('tscni-it-a-', 24);
  const nsB = uniqueName('tscni-it-b-', 24);
  const bridge = uniqueName('tsbr');
  const network = uniqueName('tscni-interop-', 24);
  const subnet = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}.0/24`;
  const work = mkdtempSync(join(tmpdir(), 'tscni-interop-'));
  const confDir = join(work, 'net.d');
  const cacheDir = join(work, 'cache');
  const dataDir = join(work, 'ipam');
  const cni = new CNIConfig({ path: [REFERENCE_DIR], cacheDir });
  let rulesBefore: string[] = [];
  let linksBefore: string[] = [];
  let rtA: RuntimeConf;

  before(() => {
    rulesBefore = iptablesRules();
    linksBefore = hostLinks();
    run('mkdir', ['-p', confDir]);
    writeFileSync(
      join(confDir, '10-interop.conflist'),
      JSON.stringify({
        cniVersion: '1.0.0',
        name: network,
        plugins: [
          {
            type: 'bridge',
            bridge,
            isGateway: true,
            ipMasq: true,
            ipam: { type: 'host-local', dataDir, ranges: [[{ subnet }]], routes: [{ dst: '0.0.0.0/0' }] },
          },
          { type: 'portmap', capabilities: { portMappings: true }, snat: true },
          { type: 'tuning', sysctl: { 'net.ipv4.conf.eth0.arp_notify': '1' } },
        ],
      }),
    );
    rtA = {
      containerID: uniqueName('interop', 40),
      netNS: addNetns(nsA),
      ifName: 'eth0',
      args: [['IgnoreUnknown', '1']],
      capabilityArgs: { portMappings: [{ hostPort: 18080, containerPort: 80, protocol: 'tcp' }] },
    };
    addNetns(nsB);
  });

  after(() => {
    delNetns(nsA);
    delNetns(nsB);
    delLink(bridge);
    // Only what this run added: shared portmap chains that were absent before.
    for (const table of ['nat', 'filter']) {
      const rules = spawnSync('iptables-save', ['-t', table], { encoding: 'utf8' }).stdout.split('\n');
      for (const line of rules) {
        if (line.startsWith('-A ') && SHARED_PORTMAP.test(line) && !rulesBefore.includes(line)) {
          spawnSync('iptables', ['-t', table, ...splitRule(line.replace(/^-A /, '-D '))], { stdio: 'ignore' });
        }
      }
      for (const chain of ['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-SETMARK', 'CNI-HOSTPORT-MASQ']) {
        if (!rulesBefore.some((l) => l.startsWith(`:${chain} `))) {
          spawnSync('iptables', ['-t', table, '-F', chain], { stdio: 'ignore' });
          spawnSync('iptables', ['-t', table, '-X', chain], { stdio: 'ignore' });
        }
      }
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('answers VERSION for every plugin of the list', async () => {
    for (const plugin of ['bridge', 'host-local', 'portmap', 'tuning']) {
      const info = await cni.getVersionInfo(plugin);
      assert.ok(info.supportedVersions.includes('1.0.0'), `${plugin}: ${info.supportedVersions.join(',')}`);
    }
    const list = await loadNetworkConf(confDir, network);
    assert.deepEqual((await cni.validateNetworkList(list)).sort(), ['portMappings']);
    const r = spawnSync(join(repoRoot, 'dist', 'cnitool'), ['version', 'bridge', '--json'], {
      env: { ...process.env, CNI_PATH: REFERENCE_DIR },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.ok((JSON.parse(r.stdout) as { supportedVersions: string[] }).supportedVersions.includes('1.0.0'));
  });

  it('ADD through libcni configures the container and writes the cache', async () => {
    const list = await loadNetworkConf(confDir, network);
    const result = (await cni.addNetworkList(list, rtA)) as Result100;
    assert.equal(result.cniVersion, '1.0.0');
    const eth0 = result.interfaces?.findIndex((i) => i.name === 'eth0' && i.sandbox === rtA.netNS);
    assert.ok(eth0 !== undefined && eth0 >= 0, JSON.stringify(result.interfaces));
    const address = result.ips?.[0]?.address ?? '';
    assert.ok(address.startsWith(subnet.replace(/0\/24$/, '')), address);

    const inside = addresses(nsA).find((l) => l.ifname === 'eth0');
    assert.ok(inside?.addr_info?.some((a) => `${a.local}/${a.prefixlen}` === address), JSON.stringify(inside));

    const cacheFile = join(cacheDir, 'results', `${network}-${rtA.containerID}-eth0`);
    const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, unknown>;
    assert.equal(cached['kind'], 'cniCacheV1');
    assert.equal(cached['containerId'], rtA.containerID);
    assert.equal(cached['networkName'], network);
    assert.equal(cached['netns'], rtA.netNS);
    assert.deepEqual(cached['cniArgs'], [['IgnoreUnknown', '1']]);
    assert.equal(Buffer.from(cached['config'] as string, 'base64').toString(), readFileSync(join(confDir, '10-interop.conflist'), 'utf8'));
    const cachedResult = await cni.getNetworkListCachedResult(list, rtA);
    assert.ok(cachedResult);
    assert.equal(printResult(cachedResult), printResult(result));

    const rules = iptablesRules().join('\n');
    assert.match(rules, new RegExp(`name: \\\\?"${network}\\\\?" id: \\\\?"${rtA.containerID}\\\\?"`), 'bridge ipMasq rule');
    assert.match(rules, /--dport 18080/, 'portmap DNAT rule');
  });

  it('ADD through cnitool attaches a second container', () => {
    const r = spawnSync(join(repoRoot, 'dist', 'cnitool'), ['add', network, `/run/netns/${nsB}`], {
      env: { ...process.env, NETCONFPATH: confDir, CNI_PATH: REFERENCE_DIR, CNI_CACHE_DIR: cacheDir },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as Result100;
    assert.ok(result.ips?.[0]?.address);
    const cid = containerIDForNetns(`/run/netns/${nsB}`);
    assert.match(cid, /^cnitool-[0-9a-f]{20}$/);
    assert.ok(existsSync(join(cacheDir, 'results', `${network}-${cid}-eth0`)));
    assert.ok(addresses(nsB).some((l) => l.ifname === 'eth0'));
  });

  it('GC deletes the attachment that is no longer valid and keeps the valid one', async () => {
    const list = await loadNetworkConf(confDir, network);
    await cni.gcNetworkList(list, { validAttachments: [{ containerID: rtA.containerID, ifname: 'eth0' }] });
    const cidB = containerIDForNetns(`/run/netns/${nsB}`);
    assert.ok(!existsSync(join(cacheDir, 'results', `${network}-${cidB}-eth0`)), 'B cache removed');
    assert.ok(!addresses(nsB).some((l) => l.ifname === 'eth0'), 'B eth0 removed');
    assert.ok(existsSync(join(cacheDir, 'results', `${network}-${rtA.containerID}-eth0`)), 'A cache kept');
    assert.ok(addresses(nsA).some((l) => l.ifname === 'eth0'), 'A eth0 kept');
    const reservations = readdirSync(join(dataDir, network)).filter((f) => /^\d/.test(f));
    assert.equal(reservations.length, 1, reservations.join(','));
  });

  it('DEL removes the attachment, its reservation, rules and cache; a second DEL succeeds', async () => {
    const list = await loadNetworkConf(confDir, network);
    await cni.delNetworkList(list, rtA);
    assert.ok(!existsSync(join(cacheDir, 'results', `${network}-${rtA.containerID}-eth0`)));
    assert.ok(!addresses(nsA).some((l) => l.ifname === 'eth0'));
    assert.deepEqual(readdirSync(join(dataDir, network)).filter((f) => /^\d/.test(f)), []);
    await cni.delNetworkList(list, rtA);
    const rules = iptablesRules().join('\n');
    assert.doesNotMatch(rules, new RegExp(rtA.containerID));
    assert.doesNotMatch(rules, /--dport 18080/);
  });

  it('leaves the host as it found it (but for the bridge the reference keeps)', () => {
    assert.ok(hostLinks().includes(bridge));
    delLink(bridge);
    assert.deepEqual(hostLinks(), linksBefore);
    const added = iptablesRules().filter((l) => !rulesBefore.includes(l) && !SHARED_PORTMAP.test(l));
    assert.deepEqual(added, []);
  });
});

/** Splits an iptables-save rule into arguments, honouring double quotes. */
function splitRule(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] !== undefined ? m[1].replace(/\\"/g, '"') : m[2]!);
  return out;
}
