/**
 * What tscni's long-running programs (`dhcp daemon`, `tscni-server`) share to listen on a
 * unix socket: the socket a service manager passed (systemd socket activation), or their own
 * at a path nobody else answers on, and running until SIGINT or SIGTERM.
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { connect, type Server } from 'node:net';
import { dirname } from 'node:path';

/** The first fd a service manager passes (sd_listen_fds). */
const LISTEN_FDS_START = 3;

/** The socket a service manager passed, if any (`LISTEN_FDS`, for this process); `what` names the program in errors. */
export function activatedFd(what: string, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const count = env['LISTEN_FDS'];
  if (count === undefined) return undefined;
  const pid = env['LISTEN_PID'];
  if (pid !== undefined && Number(pid) !== process.pid) return undefined;
  if (Number(count) === 0) return undefined;
  if (Number(count) !== 1) throw new Error(`the service manager passed ${count} sockets; the ${what} listens on exactly one`);
  return LISTEN_FDS_START;
}

/** Whether something answers on the unix socket at `path`. */
export function answers(path: string): Promise<boolean> {
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

/**
 * Listens on the activated socket, else at `socketPath` (a directory it makes is 0700);
 * with `mode`, the socket is created with it (umask set while it binds, so there is no
 * moment with wider rights). Resolves with the path to remove on exit, if any.
 *
 * @example const where = await listenOn(server, '/run/tscni/server.sock', 'tscni server')
 */
export async function listenOn(server: Server, socketPath: string, what: string, mode?: number): Promise<{ socketPath?: string; describe: string }> {
  const fd = activatedFd(what);
  if (fd !== undefined) {
    await listen(server, { fd });
    return { describe: `the socket passed by the service manager (fd ${fd})` };
  }
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
  if (await answers(socketPath)) throw new Error(`another ${what} is listening on ${socketPath}`);
  // A socket file nobody listens on is what a killed process leaves behind.
  rmSync(socketPath, { force: true });
  const umask = mode === undefined ? undefined : process.umask(0o777 & ~mode);
  try {
    await listen(server, { path: socketPath });
  } finally {
    if (umask !== undefined) process.umask(umask);
  }
  if (mode !== undefined) chmodSync(socketPath, mode);
  return { socketPath, describe: socketPath };
}

/** Resolves with the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
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

/** Go's log prefix: `2006/01/02 15:04:05`. */
export function timestamp(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
