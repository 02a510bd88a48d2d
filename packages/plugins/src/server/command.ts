/**
 * `tscni-server [-socket PATH]`: the warm process that runs plugins for the shim (serve.ts).
 * Listens on /run/tscni/server.sock (0600 in a 0700 directory: root only) or on the socket a
 * service manager passes, says READY through sd_notify, and on SIGINT/SIGTERM stops taking
 * requests, finishes the ones running, removes its socket and exits. Plugins keep working
 * without it: the shim then runs each one in its own process.
 */
import { rmSync } from 'node:fs';
import type { Server } from 'node:net';
import { onNetnsBroken } from '@tscni/netlink/netns';
import { notifyServiceManager } from '../service/notify.js';
import { listenOn, timestamp, untilSignal } from '../service/listen.js';
import { coreHashOf, ownIdentity, pluginServer } from './serve.js';

/** Where the shim looks unless TSCNI_SERVER_SOCKET says otherwise (shim.c's DEFAULT_SOCKET). */
export const DEFAULT_SERVER_SOCKET = '/run/tscni/server.sock';

export const USAGE = `Usage: tscni-server [-socket PATH] [-verbose]
  -socket PATH   the unix socket to listen on (default ${DEFAULT_SERVER_SOCKET}; plugins find
                 another one through TSCNI_SERVER_SOCKET in their environment)
  -verbose       log every request: plugin, command, container, interface, exit code, time
`;

export interface ServerFlags {
  socket: string;
  verbose: boolean;
}

function log(line: string): void {
  process.stderr.write(`${timestamp()} tscni-server: ${line}\n`);
}

/**
 * Parses the flags (Go's flag syntax: -socket PATH, -socket=PATH, also with --).
 *
 * @example parseServerFlags(['-socket', '/tmp/s.sock']) // { socket: '/tmp/s.sock', verbose: false }
 */
export function parseServerFlags(argv: readonly string[]): ServerFlags {
  let socket = DEFAULT_SERVER_SOCKET;
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?socket(?:=(.*))?$/.exec(arg);
    if (/^--?verbose$/.test(arg)) {
      verbose = true;
    } else if (m) {
      const value = m[1] ?? argv[++i];
      if (value === undefined || value === '') throw new Error(`flag needs an argument: ${arg}`);
      socket = value;
    } else if (arg === '-h' || arg === '--help' || arg === '-help') {
      throw new Error('');
    } else {
      throw new Error(`flag provided but not defined: ${arg}`);
    }
  }
  return { socket, verbose };
}

function closed(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Runs the server until SIGINT or SIGTERM; resolves with the exit code.
 *
 * @example process.exitCode = await run(['-socket', '/run/tscni/server.sock'])
 */
export async function run(argv: readonly string[]): Promise<number> {
  let flags: ServerFlags;
  try {
    flags = parseServerFlags(argv);
  } catch (e) {
    const msg = (e as Error).message;
    process.stderr.write(`${msg ? `${msg}\n` : ''}${USAGE}`);
    return msg ? 2 : 0;
  }
  // The core's file name carries the hash the shims of the same build send.
  const coreHash = coreHashOf(typeof __filename === 'string' ? __filename : undefined);
  // Stuck in a container's namespace: any further work could act on the wrong interfaces
  // and rules, so the server ends at once (the shims of running requests report it).
  onNetnsBroken((e) => {
    log(`exiting: ${e.message}`);
    process.exit(1);
  });
  // A plugin's stray promise must not end every other request (a plugin process would exit
  // with it; its own request still gets its answer or error through the dispatcher).
  process.on('unhandledRejection', (e) => log(`unhandled rejection in a plugin: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  const id = ownIdentity(coreHash);
  const stop = untilSignal();
  const server = pluginServer(id, { log, verbose: flags.verbose });
  let where: { socketPath?: string; describe: string };
  try {
    where = await listenOn(server, flags.socket, 'tscni server', 0o600);
  } catch (e) {
    log(`cannot listen: ${(e as Error).message}`);
    return 1;
  }
  notifyServiceManager(`READY=1\nMAINPID=${process.pid}`);
  log(`listening on ${where.describe}${coreHash ? ` for plugins of core ${coreHash}` : ' (running from source: shims of any build are served)'}`);
  const why = await stop;
  log(`${why}: stopping once the running requests are done`);
  const done = closed(server);
  if (where.socketPath) rmSync(where.socketPath, { force: true });
  await done;
  return 0;
}
