/**
 * podman 4.3 with its CNI backend driving tscni's plugins, end to end: containers from a
 * busybox image imported locally, podman configured only through a private CONTAINERS_CONF
 * and storage.conf (plugin dir = tscni's installed plugins, network config dir = the stage's),
 * inside a stage (test/e2e/harness.ts) so nothing of the machine changes. A tscni-server runs
 * in the stage, so podman's plugin execs go through the shim to it (the containerd test
 * covers the plugins each in their own process).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { busyboxRootfsTar, cniState, fetchFromNode, makeStage, nodeLinks, nodeRules, since, type Stage } from '../harness.js';

const IMAGE = 'localhost/tscni-busybox:e2e';

/** podman's own default network (the conflist it ships as 87-podman-bridge.conflist). */
const DEFAULT_NETWORK = {
  cniVersion: '0.4.0',
  name: 'podman',
  plugins: [
    {
      type: 'bridge',
      bridge: 'cni-podman0',
      isGateway: true,
      ipMasq: true,
      hairpinMode: true,
      ipam: { type: 'host-local', routes: [{ dst: '0.0.0.0/0' }], ranges: [[{ subnet: '10.88.0.0/16', gateway: '10.88.0.1' }]] },
    },
    { type: 'portmap', capabilities: { portMappings: true } },
    { type: 'firewall' },
    { type: 'tuning' },
  ],
};

describe('podman with tscni plugins (through tscni-server)', { timeout: 900_000 }, () => {
  let stage: Stage;
  let netDir: string;
  let env: Record<string, string>;
  let server: ChildProcess;
  let serverLog = '';

  const podman = (args: readonly string[], timeoutMs?: number) => {
    const r = stage.run(['podman', ...args], { env, ...(timeoutMs ? { timeoutMs } : {}) });
    return { ...r, out: r.stdout.trim() };
  };
  const ok = (args: readonly string[]): string => {
    const r = podman(args);
    assert.equal(r.status, 0, `podman ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.out;
  };
  const ipOf = (name: string, network: string): string => ok(['inspect', name, '--format', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`]);
  /** The server's log once `re` matches `count` times (its lines arrive after the answers). */
  const serverLogged = async (re: RegExp, count = 1): Promise<number> => {
    const g = new RegExp(re.source, 'g');
    const n = (): number => serverLog.match(g)?.length ?? 0;
    for (let i = 0; i < 100 && n() < count; i++) await new Promise((r) => setTimeout(r, 20));
    return n();
  };
  const startTimed = (t: { diagnostic: (m: string) => void }, label: string, args: readonly string[]): string => {
    const t0 = performance.now();
    const id = ok(['run', '-d', ...args]);
    t.diagnostic(`${label}: podman run -d took ${since(t0)}`);
    return id;
  };

  before(async () => {
    // /run holds podman's, runc's and the container namespaces' state; /var/lib host-local's
    // store and the result cache (/var/lib/cni) and podman's cache (/var/lib/containers; its
    // storage goes to the stage, storage.conf); /dev/shm podman's locks.
    stage = makeStage('podman', ['/run', '/var/lib', '/dev/shm']);
    netDir = join(stage.dir, 'net.d');
    mkdirSync(netDir);
    writeFileSync(join(netDir, '87-podman-bridge.conflist'), JSON.stringify(DEFAULT_NETWORK, null, 2));
    const conf = join(stage.dir, 'containers.conf');
    writeFileSync(
      conf,
      [
        '[containers]',
        'default_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]',
        '[network]',
        'network_backend = "cni"',
        `cni_plugin_dirs = ["${stage.pluginDir}"]`,
        `network_config_dir = "${netDir}"`,
        '[engine]',
        'runtime = "runc"',
        'cgroup_manager = "cgroupfs"',
        'events_logger = "file"',
        `tmp_dir = "${join(stage.dir, 'libpod-tmp')}"`,
        '',
      ].join('\n'),
    );
    const storage = join(stage.dir, 'storage.conf');
    writeFileSync(storage, ['[storage]', 'driver = "vfs"', `runroot = "${join(stage.dir, 'runroot')}"`, `graphroot = "${join(stage.dir, 'graphroot')}"`, ''].join('\n'));
    env = { CONTAINERS_CONF: conf, CONTAINERS_STORAGE_CONF: storage, HOME: stage.dir };
    // tscni-server in the stage's namespaces, at its default socket (the stage's own /run):
    // podman's plugin execs reach it as on a node that runs it.
    server = stage.start([join(stage.pluginDir, 'tscni-server'), '-verbose']);
    server.stderr!.on('data', (c: Buffer) => (serverLog += c.toString()));
    for (let i = 0; i < 200 && !serverLog.includes('listening on'); i++) await new Promise((r) => setTimeout(r, 25));
    assert.match(serverLog, /listening on \/run\/tscni\/server\.sock/);
    const tar = busyboxRootfsTar(stage.dir);
    ok(['import', '--change', 'CMD ["/bin/sh"]', tar, IMAGE]);
  });

  after(() => {
    if (!stage) return;
    podman(['rm', '-af', '-t', '0']);
    stage.remove();
  });

  it("1. podman's default network (bridge + portmap + firewall + tuning): an address, -p reaches httpd from the node, containers reach each other, rm leaves nothing", async (t) => {
    const linksBefore = nodeLinks(stage);
    const id = startTimed(t, 'web', ['--name', 'web', '-p', '18080:80', IMAGE, 'httpd', '-f', '-p', '80', '-h', '/www']);
    const ip = ipOf('web', 'podman');
    assert.match(ip, /^10\.88\.\d+\.\d+$/);
    // From the node, through portmap's DNAT on a local address (the bridge's).
    assert.equal(fetchFromNode(stage, '10.88.0.1', 18080), 'tscni e2e\n');
    // Another container reaches it by its address.
    const t0 = performance.now();
    // busybox's nc (its static wget crashes on this host, as on the node).
    const peer = podman(['run', '--rm', IMAGE, 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${ip} 80 | sed '1,/^\\r$/d'`]);
    t.diagnostic(`peer: podman run --rm (start, fetch, stop) took ${since(t0)}`);
    assert.equal(peer.status, 0, peer.stderr);
    assert.equal(peer.stdout, 'tscni e2e\n');
    assert.match(nodeRules(stage), /CNI-HOSTPORT-DNAT/);
    // The plugins ran in tscni-server, not each in its own process.
    assert.equal(await serverLogged(new RegExp(`bridge ADD ${id} eth0: exit 0`)), 1, serverLog);
    ok(['rm', '-f', '-t', '0', 'web']);
    assert.deepEqual(nodeLinks(stage), linksBefore.includes('cni-podman0') ? linksBefore : [...linksBefore, 'cni-podman0'].sort());
    assert.deepEqual(cniState(stage), []);
    // Neither portmap's DNAT nor bridge's masquerade nor firewall's rules for it are left.
    assert.doesNotMatch(nodeRules(stage), new RegExp(`CNI-DN-|dport 18080|10\\.88\\.\\d+\\.\\d+/32|${id}`));
  });

  it('2. a ptp network and a macvlan network on a veth of the test', () => {
    writeFileSync(join(netDir, 'tscni-ptp.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'tscni-ptp', plugins: [{ type: 'ptp', ipMasq: true, ipam: { type: 'host-local', subnet: '10.89.0.0/24', routes: [{ dst: '0.0.0.0/0' }] } }] }));
    const ptp = podman(['run', '--rm', '--network', 'tscni-ptp', IMAGE, 'sh', '-c', 'ip -4 -o addr show eth0 && ping -c 1 -W 2 10.89.0.1']);
    assert.equal(ptp.status, 0, ptp.stdout + ptp.stderr);
    assert.match(ptp.stdout, /inet 10\.89\.0\.\d+\/24/);
    assert.match(ptp.stdout, /1 packets received/);

    // macvlan's master: one end of a veth in the node namespace; the other end, with an
    // address, in the node too, answers the container's ping.
    const veth = stage.onNode(['sh', '-c', 'ip link add tsmv0 type veth peer name tsmv1 && ip addr add 10.90.0.254/24 dev tsmv1 && ip link set tsmv0 up && ip link set tsmv1 up']);
    assert.equal(veth.status, 0, veth.stderr);
    writeFileSync(join(netDir, 'tscni-macvlan.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'tscni-macvlan', plugins: [{ type: 'macvlan', master: 'tsmv0', mode: 'bridge', ipam: { type: 'host-local', subnet: '10.90.0.0/24', rangeStart: '10.90.0.10', rangeEnd: '10.90.0.20' } }] }));
    const mv = podman(['run', '--rm', '--network', 'tscni-macvlan', IMAGE, 'sh', '-c', 'ip -4 -o addr show eth0 && ping -c 1 -W 2 10.90.0.254']);
    assert.equal(mv.status, 0, mv.stdout + mv.stderr);
    assert.match(mv.stdout, /inet 10\.90\.0\.(1\d|20)\/24/);
    assert.match(mv.stdout, /1 packets received/);
    assert.deepEqual(cniState(stage), []);
  });

  it('3. podman network create and rm write and remove a conflist of tscni plugins', () => {
    ok(['network', 'create', '--subnet', '10.91.0.0/24', 'tscni-made']);
    const file = readdirSync(netDir).find((f) => f.startsWith('tscni-made'));
    assert.ok(file, readdirSync(netDir).join(','));
    const conf = JSON.parse(readFileSync(join(netDir, file), 'utf8')) as { plugins: { type: string }[] };
    assert.deepEqual(conf.plugins.map((p) => p.type).slice(0, 2), ['bridge', 'portmap']);
    const r = podman(['run', '--rm', '--network', 'tscni-made', IMAGE, 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /inet 10\.91\.0\.\d+\/24/);
    ok(['network', 'rm', 'tscni-made']);
    assert.equal(readdirSync(netDir).find((f) => f.startsWith('tscni-made')), undefined);
  });

  it('4. 20 containers started at once get 20 distinct addresses and all answer', async (t) => {
    const names = Array.from({ length: 20 }, (_, i) => `burst${i}`);
    const t0 = performance.now();
    const started = await Promise.all(
      names.map(
        (n) =>
          new Promise<{ code: number | null; err: string; ms: number }>((resolve) => {
            const s0 = performance.now();
            const c = stage.start(['podman', 'run', '-d', '--name', n, IMAGE, 'httpd', '-f', '-p', '80', '-h', '/www'], env);
            let err = '';
            c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
            c.on('close', (code) => resolve({ code, err, ms: performance.now() - s0 }));
          }),
      ),
    );
    t.diagnostic(`20 x podman run -d at once: ${since(t0)} in all; each ${started.map((s) => Math.round(s.ms)).join(', ')} ms`);
    for (const s of started) assert.equal(s.code, 0, s.err);
    const ips = names.map((n) => ipOf(n, 'podman'));
    assert.equal(new Set(ips).size, 20, ips.join(' '));
    for (const ip of ips) assert.equal(fetchFromNode(stage, ip), 'tscni e2e\n', ip);
    // Test 1's container and the peer came first: 20 more.
    assert.ok((await serverLogged(/bridge ADD [0-9a-f]{64} eth0: exit 0/, 22)) >= 22, serverLog.slice(-2000));
    ok(['rm', '-f', '-t', '0', ...names]);
    assert.deepEqual(cniState(stage), []);
    assert.deepEqual(nodeLinks(stage).filter((l) => l.startsWith('veth')), []);
  });
});
