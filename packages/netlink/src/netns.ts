/**
 * Network namespaces: open one by path, run synchronous work inside it and always come back
 * (the "window"), compare namespaces.
 *
 * Node runs JavaScript on one thread, so the window switches that thread with setns and
 * switches it back before returning, like Go's locked-thread ns.Do. Two traps are guarded:
 * libuv's thread pool inherits the namespace of the thread that creates it (so it is created
 * in the host namespace before the first switch), and async work started inside the window
 * would resume outside it (so the window refuses a function that returns a promise).
 */
import { access, closeSync, openSync, statSync, statfsSync } from 'node:fs';
import { CLONE_NEWNET, libc } from './libc.js';
import { describeErrnoName } from './sys-error.js';

/** An open network namespace. Close it when done; the window never closes what it was given. */
export class NetNS {
  private open: boolean = true;

  private constructor(
    readonly path: string,
    readonly fd: number,
  ) {}

  /**
   * Opens a namespace by path (`/run/netns/x`, `/proc/PID/ns/net`). Throws NetNSPathError
   * (code ENOENT for a missing path, ENOTNETNS for a file that is no namespace).
   *
   * @example const ns = NetNS.open('/run/netns/c1'); try { ... } finally { ns.close(); }
   */
  static open(path: string): NetNS {
    assertNetNSPath(path);
    return new NetNS(path, openSync(path, 'r'));
  }

  get closed(): boolean {
    return !this.open;
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    closeSync(this.fd);
  }
}

const NSFS_MAGIC = 0x6e736673;
const PROC_SUPER_MAGIC = 0x9fa0;

/** A namespace reference error, named like the reference's NSPathNotExistErr / NSPathNotNSErr. */
export class NetNSPathError extends Error {
  constructor(
    message: string,
    /** ENOENT when the path does not exist (DEL treats that as "already gone"), ENOTNETNS otherwise. */
    readonly code: 'ENOENT' | 'ENOTNETNS' | string,
  ) {
    super(message);
    this.name = 'NetNSPathError';
  }
}

/** The reference's check: the path must live on nsfs (or procfs, for /proc/PID/ns/net). */
function assertNetNSPath(path: string): void {
  let type: number;
  try {
    type = statfsSync(path).type;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new NetNSPathError(`failed to Statfs "${path}": ${describeErrnoName(code)}`, code);
  }
  if (type !== NSFS_MAGIC && type !== PROC_SUPER_MAGIC) {
    throw new NetNSPathError(`unknown FS magic on "${path}": ${type.toString(16)}`, 'ENOTNETNS');
  }
}

let hostNS: NetNS | undefined;
/** The namespace each nested window returns to, innermost last. */
const stack: NetNS[] = [];
let poolWarm = false;
let broken: Error | undefined;

/**
 * The namespace this process's main thread was in when first asked: where windows return.
 *
 * @example hostNetNS().path // '/proc/1234/task/1234/ns/net'
 */
export function hostNetNS(): NetNS {
  hostNS ??= NetNS.open(`/proc/self/task/${libc().gettid()}/ns/net`);
  return hostNS;
}

let brokenHandler: ((e: Error) => void) | undefined;

/**
 * Calls `handler` the moment a window cannot switch back (this thread then stays in a
 * container's namespace). A long-running process ends there, before any other work (sockets,
 * tools, sysctl writes outside windows) acts in the wrong namespace.
 *
 * @example onNetnsBroken((e) => { log(e.message); process.exit(1); })
 */
export function onNetnsBroken(handler: (e: Error) => void): void {
  brokenHandler = handler;
}

/** Creates libuv's thread pool now, while this thread is in the host namespace. */
function warmThreadPool(): void {
  if (poolWarm) return;
  // The pool starts all its threads synchronously on the first queued request.
  access('/', () => {});
  poolWarm = true;
}

/** The path of the namespace the calling thread is in. */
export function currentNetNSPath(): string {
  return `/proc/self/task/${libc().gettid()}/ns/net`;
}

/**
 * Runs `fn` inside the namespace and returns to where it was, whatever happens. `fn` must be
 * synchronous: sockets it opens stay in the namespace, files under /proc/sys it opens and
 * processes it spawns (spawnSync) see the namespace.
 *
 * @example const index = withNetNS('/run/netns/c1', () => rt.linkByName('eth0').index);
 */
export function withNetNS<T>(ns: NetNS | string, fn: () => T): T {
  if (broken) throw broken;
  const host = hostNetNS();
  if (stack.length === 0) warmThreadPool();
  const target = typeof ns === 'string' ? NetNS.open(ns) : ns;
  const back = stack.at(-1) ?? host;
  try {
    libc().setns(target.fd, CLONE_NEWNET);
    stack.push(target);
    try {
      const result = fn();
      if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
        throw new Error('withNetNS: the function returned a promise; work inside a namespace must be synchronous');
      }
      return result;
    } finally {
      stack.pop();
      try {
        libc().setns(back.fd, CLONE_NEWNET);
      } catch (e) {
        // Carrying on in the wrong namespace would act on the wrong interfaces: refuse all
        // further namespace work, as Go lets the locked thread die.
        broken = new Error(`cannot return to the previous network namespace: ${(e as Error).message}`);
        brokenHandler?.(broken);
        throw broken;
      }
    }
  } finally {
    if (typeof ns === 'string') target.close();
  }
}

/**
 * Whether two paths name the same namespace (same nsfs inode).
 *
 * @example sameNetNS('/run/netns/c1', currentNetNSPath()) // false
 */
export function sameNetNS(a: string, b: string): boolean {
  const x = statSync(a);
  const y = statSync(b);
  return x.dev === y.dev && x.ino === y.ino;
}

/** Whether `path` exists and is a network namespace (DEL treats anything else as gone). */
export function netnsExists(path: string): boolean {
  try {
    NetNS.open(path).close();
    return true;
  } catch {
    return false;
  }
}

/** How many windows are open now (0 outside any); for tests and assertions. */
export function windowDepth(): number {
  return stack.length;
}
