/**
 * The DHCPv4 client the daemon runs, one per attachment: each lives in its own worker thread
 * inside the container's network namespace (worker.ts) and drives the RFC 2131 state machine
 * (machine.ts). This object is its handle on the daemon's side.
 */
import { access } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { startWorkerTask } from '../../../worker-task.js';
import type { Lease } from './lease.js';
import type { ClientEvent } from './machine.js';
import type { FromWorker, ToWorker, WorkerInput, WorkerSettings } from './worker-messages.js';

export type { Lease } from './lease.js';
export type { ClientEvent } from './machine.js';

export interface ClientOptions {
  /** Absolute netns path (the daemon prepends its hostprefix). */
  netnsPath: string;
  ifName: string;
  /** Option 61 value as sent (the daemon builds 0x00 + "cid/net/if"). */
  clientID: Uint8Array;
  /** Extra options sent (host-name 12, ...). */
  provide: { code: number; value: Uint8Array }[];
  /** Option 55 list, in order. */
  request: number[];
  /** Per-request timeout (reference -timeout, 10 s). */
  timeoutMs: number;
  /** Backoff cap (reference -resendmax, 62 s). */
  resendMaxMs: number;
  /** The whole acquisition gives up after this (reference -resendtimeout, 208 s): "no more tries". */
  resendTimeoutMs: number;
  /** BOOTP broadcast flag on requests while unbound. */
  broadcast: boolean;
  log?: (line: string) => void;
}

/** How long release/stop wait for the worker to finish before terminating it. */
const STOP_GRACE_MS = 5000;

function settingsOf(o: ClientOptions): WorkerSettings {
  return {
    netnsPath: o.netnsPath,
    ifName: o.ifName,
    clientID: o.clientID,
    provide: o.provide,
    request: o.request,
    timeoutMs: o.timeoutMs,
    resendMaxMs: o.resendMaxMs,
    resendTimeoutMs: o.resendTimeoutMs,
    broadcast: o.broadcast,
  };
}

/**
 * libuv's thread pool is process-wide and its threads take the namespace of the thread that
 * creates them: create it now, from the host namespace, before a worker enters a container.
 */
function warmThreadPool(): void {
  access('/', () => {});
}

function start(input: WorkerInput): { worker: Worker; exited: Promise<void> } {
  warmThreadPool();
  const worker = startWorkerTask('dhcp-client', input);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return { worker, exited };
}

/**
 * A DHCP client holding a lease and keeping it (renew, rebind) until released or stopped.
 *
 * @example
 *   const client = await DhcpClient.acquire({ netnsPath: '/run/netns/c1', ifName: 'eth0', clientID, provide: [], request: [3, 1],
 *     timeoutMs: 10_000, resendMaxMs: 62_000, resendTimeoutMs: 208_000, broadcast: true });
 *   client.onEvent((e) => { if (e.type === 'renewed') store(e.lease); });
 *   await client.release();
 */
export class DhcpClient {
  private current: Lease;
  private listeners: ((e: ClientEvent) => void)[] = [];
  /** Events (but log lines) that came before anyone listened. */
  private pending: ClientEvent[] = [];
  private ended = false;

  private constructor(
    private readonly worker: Worker,
    private readonly exited: Promise<void>,
    lease: Lease,
    private readonly opts: ClientOptions,
  ) {
    this.current = lease;
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'event') this.dispatch(m.event);
      else if (m.type === 'failed') {
        // Only a resumed client gets here: its namespace or link is gone.
        this.dispatch({ type: 'log', line: m.message });
        this.finish({ type: 'link-gone' });
      } else if (m.type === 'stopped') this.ended = true;
    });
    worker.on('error', (e) => this.finish({ type: 'expired', reason: `the DHCP client failed: ${e.message}` }));
    void exited.then(() => this.finish({ type: 'expired', reason: 'the DHCP client ended' }));
  }

  /**
   * INIT to BOUND on `opts.ifName` in `opts.netnsPath`. Rejects with "no more tries", a missing
   * link or namespace, or an unusable ACK; no worker is left running then.
   *
   * @example const client = await DhcpClient.acquire(opts); client.lease.address // '10.123.0.53'
   */
  static acquire(opts: ClientOptions): Promise<DhcpClient> {
    const { worker, exited } = start({ mode: 'acquire', settings: settingsOf(opts) });
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (message: string) => {
        if (settled) return;
        settled = true;
        worker.off('message', onMessage);
        // The worker ends by itself after 'failed'; terminate covers a stuck or crashed one.
        const timer = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(message));
        });
      };
      const onMessage = (m: FromWorker) => {
        if (m.type === 'event') {
          if (m.event.type === 'log') opts.log?.(m.event.line);
        } else if (m.type === 'bound') {
          settled = true;
          worker.off('message', onMessage);
          worker.off('error', onError);
          resolve(new DhcpClient(worker, exited, m.lease, opts));
        } else if (m.type === 'failed') fail(m.message);
      };
      const onError = (e: Error) => fail(`the DHCP client failed: ${e.message}`);
      worker.on('message', onMessage);
      worker.once('error', onError);
      void exited.then(() => fail('the DHCP client ended before it got a lease'));
    });
  }

  /**
   * Continues BOUND maintenance of a stored lease after a daemon restart: renews at once when
   * T1 has passed, rebinds when T2 has, asks for the address again when it expired.
   *
   * @example const client = DhcpClient.resume(opts, storedLease);
   */
  static resume(opts: ClientOptions, lease: Lease): DhcpClient {
    const { worker, exited } = start({ mode: 'resume', settings: settingsOf(opts), lease });
    return new DhcpClient(worker, exited, lease, opts);
  }

  /** The current lease, updated on renew and rebind. */
  get lease(): Lease {
    return this.current;
  }

  /** Listens to renewals, rebinds, expiry, the link going away and log lines. */
  onEvent(listener: (e: ClientEvent) => void): void {
    this.listeners.push(listener);
    const queued = this.pending;
    this.pending = [];
    for (const e of queued) listener(e);
  }

  /** Sends DHCPRELEASE (unicast to the server) and ends the client. */
  release(): Promise<void> {
    return this.end({ type: 'release' });
  }

  /** Ends the client without releasing (daemon shutdown: the lease stays with the server). */
  stop(): Promise<void> {
    return this.end({ type: 'stop' });
  }

  private async end(command: ToWorker): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      this.worker.postMessage(command);
    }
    const timer = setTimeout(() => void this.worker.terminate(), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** A last event, unless the client was already ending. */
  private finish(e: ClientEvent): void {
    if (this.ended) return;
    this.ended = true;
    this.dispatch(e);
  }

  private dispatch(e: ClientEvent): void {
    if (e.type === 'renewed' || e.type === 'rebound') this.current = e.lease;
    if (e.type === 'log') this.opts.log?.(e.line);
    if (e.type === 'expired' || e.type === 'link-gone') this.ended = true;
    if (this.listeners.length === 0 && e.type !== 'log') this.pending.push(e);
    for (const l of this.listeners) l(e);
  }
}
