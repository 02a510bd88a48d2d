/**
 * containerd 1.6 with `ctr run --cni` driving tscni's plugins, end to end. The test starts its
 * own containerd (private config, root, state and socket) inside a stage (test/e2e/harness.ts):
 * ctr reads its network from /etc/cni/net.d and its plugins from /usr/lib/cni only, so the
 * stage's mount namespace has the test's conflist directory and tscni's installed plugins
 * mounted there, and the machine's own stay untouched. The image is an OCI archive of a
 * busybox root file system, made here.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { busyboxRootfsTar, cniState, fetchFromNode, makeStage, nodeLinks, nodeRules, since, type Stage } from '../harness.js';

const IMAGE = 'docker.io/library/tscni-busybox:e2e';
const NETWORK = {
  cniVersion: '1.0.0',
  name: 'tscni-ctr',
  plugins: [
    { type: 'bridge', bridge: 'tsctr0', isGateway: true, ipMasq: true, ipam: { type: 'host-local', subnet: '10.92.0.0/24', routes: [{ dst: '0.0.0.0/0' }] } },
    { type: 'portmap', capabilities: { portMappings: true } },
  ],
};

/** An OCI image layout with one uncompressed layer, as a tar `ctr images import` reads. */
function ociArchive(dir: string, rootfsTar: string): string {
  const oci = join(dir, 'oci');
  mkdirSync(join(oci, 'blobs', 'sha256'), { recursive: true });
  const blob = (bytes: Buffer): { digest: string; size: number } => {
    const hex = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(oci, 'blobs', 'sha256', hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const layer = blob(readFileSync(rootfsTar));
  const config = blob(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] }, config: { Cmd: ['/bin/sh'] } })));
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    ),
  );
  const annotations = { 'io.containerd.image.name': IMAGE, 'org.opencontainers.image.ref.name': 'e2e' };
  writeFileSync(join(oci, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations }] }));
  writeFileSync(join(oci, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const tar = join(dir, 'image.tar');
  const r = spawnSync('tar', ['-C', oci, '-cf', tar, 'oci-layout', 'index.json', 'blobs'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar: ${r.stderr}`);
  return tar;
}

describe('containerd (ctr run --cni) with tscni plugins', { timeout: 300_000 }, () => {
  let stage: Stage;
  let socket: string;
  let containerd: ChildProcess;
  let log = '';

  const ctr = (args: readonly string[]) => stage.run(['ctr', '--address', socket, '--namespace', 'tscni', ...args]);
  const ok = (args: readonly string[]): string => {
    const r = ctr(args);
    assert.equal(r.status, 0, `ctr ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    stage = makeStage('containerd', ['/run', '/var/lib'], (dir, plugins) => {
      const netDir = join(dir, 'net.d');
      mkdirSync(netDir);
      writeFileSync(join(netDir, '10-tscni.conflist'), JSON.stringify(NETWORK));
      return { '/etc/cni/net.d': netDir, '/usr/lib/cni': plugins };
    });
    const d = stage.dir;
    socket = join(d, 'containerd.sock');
    const config = join(d, 'containerd.toml');
    writeFileSync(
      config,
      [
        'version = 2',
        `root = "${join(d, 'root')}"`,
        `state = "${join(d, 'state')}"`,
        // Only what ctr needs; the CRI plugin would read the machine's CNI setup.
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        '[grpc]',
        `  address = "${socket}"`,
        '[ttrpc]',
        `  address = "${socket}.ttrpc"`,
        '',
      ].join('\n'),
    );
    containerd = stage.start(['containerd', '--config', config]);
    containerd.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-8000)));
    for (let i = 0; i < 200 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(socket), `containerd did not start: ${log}`);
    ok(['images', 'import', '--snapshotter', 'native', ociArchive(d, busyboxRootfsTar(d))]);
  });

  after(() => {
    stage?.remove();
  });

  it('ctr run --cni --rm: an address of the bridge network, the gateway answers, nothing left after the container', (t) => {
    const linksBefore = nodeLinks(stage);
    const t0 = performance.now();
    const out = ok(['run', '--cni', '--rm', '--snapshotter', 'native', IMAGE, 'once', 'sh', '-c', 'ip -4 -o addr show eth0 && ping -c 1 -W 2 10.92.0.1']);
    t.diagnostic(`ctr run --cni --rm (start, ping, stop) took ${since(t0)}`);
    assert.match(out, /inet 10\.92\.0\.\d+\/24/);
    assert.match(out, /1 packets received/);
    assert.deepEqual(nodeLinks(stage), [...new Set([...linksBefore, 'tsctr0'])].sort());
    assert.deepEqual(cniState(stage), []);
    assert.doesNotMatch(nodeRules(stage), /10\.92\.0\.\d+\/32/);
  });

  it('a serving container answers from the node; when it is killed, ctr runs DEL and the address, cache and rules go', async (t) => {
    const t0 = performance.now();
    const run = stage.start(['ctr', '--address', socket, '--namespace', 'tscni', 'run', '--cni', '--rm', '--snapshotter', 'native', IMAGE, 'web', 'httpd', '-f', '-p', '80', '-h', '/www']);
    let out = '';
    run.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    run.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => run.on('close', resolve));
    let ip: string | undefined;
    for (let i = 0; i < 100 && ip === undefined; i++) {
      const r = ctr(['task', 'exec', '--exec-id', `ip${i}`, 'web', 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
      ip = /inet (10\.92\.0\.\d+)\//.exec(r.stdout)?.[1];
      if (ip === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    t.diagnostic(`ctr run --cni: container up with its address after ${since(t0)}`);
    assert.ok(ip, `no address: ${out}`);
    assert.equal(fetchFromNode(stage, ip), 'tscni e2e\n');
    assert.deepEqual(cniState(stage), ['/var/lib/cni/networks/tscni-ctr/' + ip, '/var/lib/cni/results/tscni-ctr-tscni-web-eth0']);
    assert.match(nodeRules(stage), new RegExp(`-s ${ip.replace(/\./g, '\\.')}/32`));
    ok(['task', 'kill', '-s', 'SIGKILL', 'web']);
    await exited;
    assert.deepEqual(cniState(stage), []);
    assert.doesNotMatch(nodeRules(stage), new RegExp(`${ip.replace(/\./g, '\\.')}/32`));
    assert.deepEqual(nodeLinks(stage).filter((l) => l.startsWith('veth')), []);
  });
});
