/**
 * What the end-to-end tests with real container runtimes share: a stage that keeps the
 * machine untouched. The runtime runs in a network namespace of the test's that stands for
 * the node (bridges, veths and netfilter rules live there) and in a private mount namespace
 * held by a `sleep` process, where the test mounts empty file systems (and its own directories)
 * over the paths the runtime and the plugins insist on (/run, /etc/cni/net.d, /var/lib/cni,
 * /usr/lib/cni), so nothing under the machine's /etc, /usr, /var or /run changes. tscni's plugins are
 * installed with `cnitool install` into a directory of the stage.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addNetns, delNetns, repoRoot, uniqueName } from '../helpers/host.js';

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface Stage {
  /** Scratch directory of the stage (removed at the end). */
  dir: string;
  /** tscni's plugins, installed. */
  pluginDir: string;
  /** The node's network namespace (name and path). */
  node: { name: string; path: string };
  /** Runs a command inside the stage's mount and network namespaces. */
  run(argv: readonly string[], options?: { env?: Record<string, string>; input?: string; timeoutMs?: number }): SpawnSyncReturns<string>;
  /** Starts a long-running command inside the stage. */
  start(argv: readonly string[], env?: Record<string, string>): ChildProcess;
  /** Runs a command in the node namespace only (the "host" side, as a person on the node would). */
  onNode(argv: readonly string[]): SpawnSyncReturns<string>;
  /** Removes everything: processes, mounts (with the namespace), the network namespace, files. */
  remove(): void;
}

function must(r: SpawnSyncReturns<string>, what: string): SpawnSyncReturns<string> {
  if (r.status !== 0) throw new Error(`${what} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stdout}${r.stderr}`);
  return r;
}

/**
 * Makes a stage: the node namespace (loopback up), tscni's plugins installed, the mount
 * namespace with an empty tmpfs over each of `masks` and the directories `bindsOf` names
 * (target path: directory, e.g. the installed plugins over /usr/lib/cni) bind-mounted.
 *
 * @example const stage = makeStage('podman', ['/run', '/etc/cni/net.d', '/var/lib/cni']);
 */
export function makeStage(tag: string, masks: readonly string[], bindsOf: (stageDir: string, pluginDir: string) => Record<string, string> = () => ({})): Stage {
  const dir = mkdtempSync(join(tmpdir(), `tscni-e2e-${tag}-`));
  const name = uniqueName(`tscni-e2e-${tag.slice(0, 4)}-`, 28);
  const children: ChildProcess[] = [];
  let holder: ChildProcess | undefined;
  const remove = (): void => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    holder?.kill('SIGKILL');
    delNetns(name);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const node = { name, path: addNetns(name) };
    must(spawnSync('ip', ['-n', name, 'link', 'set', 'lo', 'up'], { encoding: 'utf8' }), 'lo up');
    const pluginDir = join(dir, 'plugins');
    must(spawnSync(join(repoRoot, 'dist', 'cnitool'), ['install', pluginDir], { encoding: 'utf8' }), 'cnitool install');
    const binds = bindsOf(dir, pluginDir);

    // The mount namespace lives as long as this sleep; every command enters it.
    holder = spawn('unshare', ['--mount', '--propagation', 'private', 'sleep', 'infinity'], { stdio: 'ignore' });
    const pid = holder.pid;
    if (pid === undefined) throw new Error('cannot start the mount namespace holder');
    const enter = ['nsenter', '-t', String(pid), '-m', `--net=${node.path}`, '--'];
    // Until unshare has made the namespace and become sleep.
    for (let i = 0; i < 200; i++) {
      const comm = spawnSync('cat', [`/proc/${pid}/comm`], { encoding: 'utf8' }).stdout.trim();
      if (comm === 'sleep') break;
      spawnSync('sleep', ['0.01']);
    }
    const inStage = (argv: string[], what: string): void => void must(spawnSync('nsenter', ['-t', String(pid), '-m', '--', ...argv], { encoding: 'utf8' }), what);
    // An empty tmpfs over each path. A path the machine lacks may only be made inside an
    // earlier one, or the mkdir would land on the machine's own file system.
    const mounted: string[] = [];
    for (const path of [...masks, ...Object.keys(binds)]) {
      if (!existsSync(path)) {
        if (!mounted.some((m) => path.startsWith(`${m}/`))) throw new Error(`${path} does not exist on this machine and is not inside an earlier mask`);
        inStage(['mkdir', '-p', path], `mkdir ${path}`);
      }
      if (path in binds) inStage(['mount', '--bind', binds[path]!, path], `bind ${binds[path]} over ${path}`);
      else inStage(['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'tscni-e2e', path], `tmpfs over ${path}`);
      mounted.push(path);
    }
    const stage: Stage = {
      dir,
      pluginDir,
      node,
      run: (argv, options = {}) =>
        spawnSync(enter[0]!, [...enter.slice(1), ...argv], {
          encoding: 'utf8',
          input: options.input,
          timeout: options.timeoutMs ?? 120_000,
          env: { PATH, ...options.env },
        }),
      start: (argv, env = {}) => {
        const c = spawn(enter[0]!, [...enter.slice(1), ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH, ...env } });
        children.push(c);
        return c;
      },
      onNode: (argv) => spawnSync('ip', ['netns', 'exec', name, ...argv], { encoding: 'utf8', timeout: 30_000 }),
      remove,
    };
    return stage;
  } catch (e) {
    remove();
    throw e;
  }
}

/**
 * A root filesystem with busybox-static and its applets, as a tar for `podman import`.
 *
 * @example busyboxRootfsTar('/tmp/x') // '/tmp/x/busybox-rootfs.tar'
 */
export function busyboxRootfsTar(dir: string): string {
  const root = join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'www', 'root']) mkdirSync(join(root, d), { recursive: true });
  must(spawnSync('cp', ['/bin/busybox', join(root, 'bin', 'busybox')], { encoding: 'utf8' }), 'copy busybox');
  const applets = spawnSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter((a) => a && a !== 'busybox');
  for (const a of applets) symlinkSync('busybox', join(root, 'bin', a));
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\n');
  writeFileSync(join(root, 'www', 'index.html'), 'tscni e2e\n');
  chmodSync(join(root, 'tmp'), 0o1777);
  const tar = join(dir, 'busybox-rootfs.tar');
  must(spawnSync('tar', ['-C', root, '-cf', tar, ...readdirSync(root)], { encoding: 'utf8' }), 'tar rootfs');
  rmSync(root, { recursive: true, force: true });
  return tar;
}

/**
 * The body of GET / from the node namespace, retried while the server is starting (bash's
 * /dev/tcp: busybox's static wget crashes on this host).
 *
 * @example fetchFromNode(stage, '10.88.0.1', 18080) // 'tscni e2e\n'
 */
export function fetchFromNode(stage: Stage, host: string, port = 80): string {
  let why = '';
  for (let i = 0; i < 20; i++) {
    const r = stage.onNode(['timeout', '5', 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port} && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3`]);
    const body = r.stdout.split('\r\n\r\n')[1];
    if (body !== undefined) return body;
    why = r.stderr.trim() || `exit ${r.status}`;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  }
  return `(no answer: ${why})`;
}

/** Links of the node namespace but lo, sorted: veths and bridges left behind show here. */
export function nodeLinks(stage: Stage): string[] {
  return (JSON.parse(stage.onNode(['ip', '-j', 'link']).stdout) as { ifname: string }[]).map((l) => l.ifname).filter((n) => n !== 'lo').sort();
}

/** The node namespace's iptables rules, without counters and comment lines. */
export function nodeRules(stage: Stage): string {
  return stage.onNode(['iptables-save']).stdout.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/, '')).join('\n');
}

/**
 * What host-local's stores and the result cache hold in the stage's /var/lib/cni: addresses
 * and cached results (host-local's lock and last-reserved files and tscni's index stay, as the
 * reference's do).
 */
export function cniState(stage: Stage): string[] {
  const r = stage.run(['find', '/var/lib/cni', '-type', 'f']);
  return r.stdout.split('\n').filter((l) => l && !/\/(lock|last_reserved_ip\.\d+|\.tscni-index)$/.test(l)).sort();
}

/** Milliseconds since `t0` (performance.now()), rounded for the log. */
export function since(t0: number): string {
  return `${Math.round(performance.now() - t0)} ms`;
}
