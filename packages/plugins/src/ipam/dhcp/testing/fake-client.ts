/**
 * A DHCP client that talks to nobody, for the daemon's tests: leases come from a counter,
 * and the test fires the client's events itself.
 */
import type { LeaseClient, LeaseClientEvent, LeaseClientFactory, LeaseClientOptions } from '../daemon/client-port.js';
import type { Lease } from '../protocol.js';

export class FakeClient implements LeaseClient {
  private listeners: ((e: LeaseClientEvent) => void)[] = [];
  released = false;
  stopped = false;

  constructor(
    readonly options: LeaseClientOptions,
    public lease: Lease,
  ) {}

  onEvent(listener: (e: LeaseClientEvent) => void): void {
    this.listeners.push(listener);
  }

  emit(e: LeaseClientEvent): void {
    if (e.type === 'renewed' || e.type === 'rebound') this.lease = e.lease;
    for (const l of this.listeners) l(e);
  }

  release(): Promise<void> {
    this.released = true;
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
}

/** A lease as a server on 10.99.0.0/24 would give it. */
export function fakeLease(host: number, extra: Partial<Lease> = {}): Lease {
  return {
    address: `10.99.0.${host}`,
    prefixLength: 24,
    serverID: '10.99.0.1',
    routers: ['10.99.0.1'],
    dns: [],
    search: [],
    staticRoutes: [],
    leaseTimeSec: 3600,
    renewalSec: 1800,
    rebindingSec: 3150,
    acquiredAt: Date.now(),
    ...extra,
  };
}

export class FakeFactory implements LeaseClientFactory {
  readonly clients: FakeClient[] = [];
  private next = 50;
  /** When set, acquire rejects with it. */
  failWith?: Error;
  /** Milliseconds acquire takes. */
  delayMs = 0;

  async acquire(opts: LeaseClientOptions): Promise<FakeClient> {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failWith) throw this.failWith;
    const c = new FakeClient(opts, fakeLease(this.next++));
    this.clients.push(c);
    return c;
  }

  resume(opts: LeaseClientOptions, lease: Lease): FakeClient {
    if (this.failWith) throw this.failWith;
    const c = new FakeClient(opts, lease);
    this.clients.push(c);
    return c;
  }
}
