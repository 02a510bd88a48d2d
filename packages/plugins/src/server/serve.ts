/**
 * The tscni server: runs plugins for the shim (packages/plugins/shim/shim.c) in one warm Node
 * process, so that an ADD or DEL costs the plugin's work and not a Node start. Requests run
 * concurrently on the event loop as libcni's execs would run side by side; namespace work is
 * synchronous inside each request (the netns window refuses anything else), so interleaving
 * never happens inside another container's namespace.
 *
 * It refuses (and the shim then execs the plugin as usual) whatever it would not run exactly
 * as the shim's own process would: another build of the plugins (core hash), another network,
 * mount, pid or user namespace, another umask, relative paths in CNI_NETNS or CNI_PATH.
 */
import { statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { forgetProbes } from '../netfilter/probe.js';
import { runOwnPlugin } from '../in-process-exec.js';
import { PLUGINS } from '../registry.js';
import { RequestReader, encodeReply, type Namespaces, type ServerRequest } from './protocol.js';

/** What a request must match to be run here. */
export interface ServerIdentity {
  /** The hash in this core's file name; undefined when running from source (any shim is served). */
  coreHash: string | undefined;
  namespaces: Namespaces;
  umask: number;
}

export interface ServerOptions {
  log: (line: string) => void;
  /** Log every request (plugin, command, container, exit code, time taken). */
  verbose?: boolean;
  /** Requests running at once beyond which new ones are refused (the shim runs them itself). */
  maxInFlight?: number;
}

function nsInode(kind: string): bigint {
  try {
    return statSync(`/proc/self/ns/${kind}`, { bigint: true }).ino;
  } catch {
    return 0n;
  }
}

/**
 * This process's identity, as a shim reports its own.
 *
 * @example const id = ownIdentity('3f2a9c0d1b2e')
 */
export function ownIdentity(coreHash: string | undefined): ServerIdentity {
  const umask = process.umask();
  return { coreHash, namespaces: { net: nsInode('net'), mnt: nsInode('mnt'), pid: nsInode('pid'), user: nsInode('user') }, umask };
}

/** The core hash in a core file's name (`.tscni-core-<hash>.cjs`), if it is one. */
export function coreHashOf(file: string | undefined): string | undefined {
  return /\.tscni-core-([0-9a-f]+)\.cjs$/.exec(file ?? '')?.[1];
}

/**
 * Why the request is not run here, or undefined when it is.
 *
 * @example refusal(req, ownIdentity(hash)) // 'another network namespace'
 */
export function refusal(req: ServerRequest, id: ServerIdentity): string | undefined {
  if (!Object.prototype.hasOwnProperty.call(PLUGINS, req.plugin)) return `no plugin named ${req.plugin}`;
  if (id.coreHash !== undefined && req.coreHash !== id.coreHash) return `another build of the plugins (core ${req.coreHash}, this server runs ${id.coreHash})`;
  for (const kind of ['net', 'mnt', 'pid', 'user'] as const) {
    if (req.namespaces[kind] === 0n || req.namespaces[kind] !== id.namespaces[kind]) return `another ${kind} namespace`;
  }
  if (req.umask !== id.umask) return `another umask (${req.umask.toString(8)}, this server has ${id.umask.toString(8)})`;
  const netns = req.env['CNI_NETNS'];
  if (netns && !netns.startsWith('/')) return 'a relative CNI_NETNS';
  const path = req.env['CNI_PATH'];
  if (path && path.split(':').some((p) => p !== '' && !p.startsWith('/'))) return 'a relative CNI_PATH entry';
  return undefined;
}

/**
 * A server (not yet listening) that runs plugin requests.
 *
 * @example const s = pluginServer(ownIdentity(hash), { log: console.error }); s.listen('/run/tscni/server.sock')
 */
export function pluginServer(id: ServerIdentity, options: ServerOptions): Server {
  const maxInFlight = options.maxInFlight ?? 256;
  let inFlight = 0;
  const refusedBefore = new Set<string>();
  const refuse = (socket: Socket, why: string): void => {
    // Once per reason: a shim of another build or namespace asks on every exec.
    if (!refusedBefore.has(why)) {
      refusedBefore.add(why);
      options.log(`running a request's plugin in its own process: ${why}`);
    }
    socket.destroy();
  };

  const run = async (socket: Socket, req: ServerRequest): Promise<void> => {
    const entry = PLUGINS[req.plugin]!;
    const started = performance.now();
    // What a plugin process would find out afresh: which netfilter backends work.
    forgetProbes();
    let reply: Buffer;
    let code: number;
    try {
      const run = await runOwnPlugin(entry, req.env, req.stdin);
      code = run.code;
      reply = encodeReply(code, run.out, run.err);
    } catch (e) {
      // Only a programming error gets here; an exec'd plugin would exit 2 with it on stderr.
      code = 2;
      reply = encodeReply(code, '', `${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    }
    socket.end(reply);
    if (options.verbose) {
      const e = req.env;
      options.log(`${req.plugin} ${e['CNI_COMMAND'] ?? ''} ${e['CNI_CONTAINERID'] ?? '-'} ${e['CNI_IFNAME'] ?? '-'}: exit ${code} in ${(performance.now() - started).toFixed(1)} ms`);
    }
  };

  return createServer({ allowHalfOpen: false }, (socket) => {
    const reader = new RequestReader();
    let request: ServerRequest | undefined;
    let started = false;
    socket.on('error', () => socket.destroy());
    // A peer that connects and never sends its request (or its go-ahead) holds nothing up.
    socket.setTimeout(15_000, () => {
      if (!started) socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => {
      if (request) {
        // The shim's go-ahead; nothing else may follow.
        if (started || chunk.length !== 1 || chunk[0] !== 0x47) return void socket.destroy();
        started = true;
        socket.setTimeout(0);
        void run(socket, request).finally(() => inFlight--);
        return;
      }
      try {
        request = reader.push(chunk);
      } catch (e) {
        return refuse(socket, (e as Error).message);
      }
      if (!request) return;
      const why = inFlight >= maxInFlight ? `more than ${maxInFlight} requests at once` : refusal(request, id);
      if (why) return refuse(socket, why);
      // Counted from acceptance: a shim that never says go still holds its place until it goes.
      inFlight++;
      socket.once('close', () => {
        if (!started) inFlight--;
      });
      socket.write('A');
    });
  });
}
