/**
 * `dhcp daemon`: the long-running process the dhcp plugin talks to. It listens on its unix
 * socket (or on the one a service manager passes with socket activation), resumes the leases
 * a previous run left on disk, writes its pidfile and tells systemd it is ready once it
 * answers, and on SIGINT/SIGTERM stops its clients without releasing their leases (a new
 * daemon renews them), then removes its socket and pidfile.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { connect, type Server } from 'node:net';
import { dirname } from 'node:path';
import { DEFAULT_SOCKET_PATH } from '../config.js';
import type { LeaseClientFactory } from './client-port.js';
import { parseDaemonFlags, USAGE, type DaemonFlags } from './flags.js';
import { LeaseStore } from './lease-store.js';
import { LeaseManager } from './leases.js';
import { notifyServiceManager } from './notify.js';
import { daemonServer } from './server.js';

/** The first fd a service manager passes (sd_listen_fds). */
const LISTEN_FDS_START = 3;

/** Go's log prefix: `2006/01/02 15:04:05`. */
function timestamp(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function log(line: string): void {
  process.stderr.write(`${timestamp()} ${line}\n`);
}

/** The socket a service manager passed, if any (`LISTEN_FDS`, for this process). */
function activatedFd(): number | undefined {
  const count = process.env['LISTEN_FDS'];
  if (count === undefined) return undefined;
  const pid = process.env['LISTEN_PID'];
  if (pid !== undefined && Number(pid) !== process.pid) return undefined;
  if (Number(count) === 0) return undefined;
  if (Number(count) !== 1) throw new Error(`the service manager passed ${count} sockets; the DHCP daemon listens on exactly one`);
  return LISTEN_FDS_START;
}

/** Whether something answers on the unix socket at `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

function listen(server: Server, target: { fd: number } | { path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(target, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Listens where the flags (or the service manager) say; resolves with what to remove on exit. */
async function listenOn(server: Server, flags: DaemonFlags): Promise<{ socketPath?: string; describe: string }> {
  const fd = activatedFd();
  if (fd !== undefined) {
    await listen(server, { fd });
    return { describe: `the socket passed by the service manager (fd ${fd})` };
  }
  const socketPath = flags.hostprefix + (flags.socketpath || DEFAULT_SOCKET_PATH);
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
  if (await answers(socketPath)) throw new Error(`another DHCP daemon is listening on ${socketPath}`);
  // A socket file nobody listens on is what a killed daemon leaves behind.
  rmSync(socketPath, { force: true });
  await listen(server, { path: socketPath });
  return { socketPath, describe: socketPath };
}

function writePidfile(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', 0o644);
  try {
    writeSync(fd, `${process.pid}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * Runs the daemon until SIGINT or SIGTERM; resolves with the exit code.
 *
 * @example process.exitCode = await runDaemon(['-socketpath', '/run/cni/dhcp.sock'], factory)
 */
export async function runDaemon(argv: readonly string[], factory: LeaseClientFactory): Promise<number> {
  let flags: DaemonFlags;
  try {
    flags = parseDaemonFlags(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const signal = untilSignal();
  const manager = new LeaseManager(
    new LeaseStore(flags.hostprefix + flags.statedir),
    factory,
    { hostPrefix: flags.hostprefix, timeoutMs: flags.timeoutMs, resendMaxMs: flags.resendMaxMs, resendTimeoutMs: flags.resendTimeoutMs },
    log,
  );
  const server = daemonServer(manager);
  let where: { socketPath?: string; describe: string };
  try {
    where = await listenOn(server, flags);
  } catch (e) {
    log(`cannot listen: ${(e as Error).message}`);
    return 1;
  }
  manager.restore();
  if (flags.pidfile) writePidfile(flags.pidfile);
  notifyServiceManager(`READY=1\nMAINPID=${process.pid}`);
  log(`DHCP daemon listening on ${where.describe}, ${manager.size} lease(s) resumed`);
  const got = await signal;
  log(`${got}: stopping; leases stay on disk for the next daemon`);
  server.close();
  await manager.shutdown();
  if (where.socketPath) rmSync(where.socketPath, { force: true });
  if (flags.pidfile) rmSync(flags.pidfile, { force: true });
  return 0;
}
