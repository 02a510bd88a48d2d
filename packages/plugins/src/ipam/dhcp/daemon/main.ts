/**
 * `dhcp daemon`: the long-running process the dhcp plugin talks to. It listens on its unix
 * socket (or on the one a service manager passes with socket activation), resumes the leases
 * a previous run left on disk, writes its pidfile and tells systemd it is ready once it
 * answers, and on SIGINT/SIGTERM stops its clients without releasing their leases (a new
 * daemon renews them), then removes its socket and pidfile.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Server } from 'node:net';
import { dirname } from 'node:path';
import { DEFAULT_SOCKET_PATH } from '../config.js';
import type { LeaseClientFactory } from './client-port.js';
import { parseDaemonFlags, USAGE, type DaemonFlags } from './flags.js';
import { LeaseStore } from './lease-store.js';
import { LeaseManager } from './leases.js';
import { notifyServiceManager } from '../../../service/notify.js';
import { listenOn, timestamp, untilSignal } from '../../../service/listen.js';
import { daemonServer } from './server.js';

function log(line: string): void {
  process.stderr.write(`${timestamp()} ${line}\n`);
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
    where = await listenOn(server, flags.hostprefix + (flags.socketpath || DEFAULT_SOCKET_PATH), 'DHCP daemon');
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
