/**
 * The daemon's leases: one client per attachment, started on the first ADD, kept renewed by
 * the client, written to disk on every change and released on DEL or GC. Requests for one
 * attachment run one at a time; different attachments proceed in parallel.
 */
import type { Attachment, Lease, WireOption } from '../protocol.js';
import { leaseKey } from '../protocol.js';
import type { LeaseClient, LeaseClientEvent, LeaseClientFactory, LeaseClientOptions } from './client-port.js';
import type { LeaseStore, StoredLease } from './lease-store.js';

export interface ClientSettings {
  /** Prepended to every netns path (the daemon runs in a container with the host's root there). */
  hostPrefix: string;
  timeoutMs: number;
  resendMaxMs: number;
  resendTimeoutMs: number;
}

interface Entry extends StoredLease {
  client?: LeaseClient;
}

const CLIENT_IDENTIFIER = 61;

/** A request the daemon refuses, with a reason for the plugin's error message. */
export class LeaseError extends Error {}

export class LeaseManager {
  private readonly entries = new Map<string, Entry>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: LeaseStore,
    private readonly factory: LeaseClientFactory,
    private readonly settings: ClientSettings,
    private readonly log: (line: string) => void,
  ) {}

  /** How many attachments hold a lease (bound or expired). */
  get size(): number {
    return this.entries.size;
  }

  /** Runs `fn` after every earlier request for the same attachment has finished. */
  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.queues.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return run;
  }

  private options(entry: StoredLease): LeaseClientOptions {
    const provided = entry.provide.map((p) => ({ code: p.code, value: new Uint8Array(Buffer.from(p.value, 'base64')) }));
    const ownID = provided.find((p) => p.code === CLIENT_IDENTIFIER);
    const keyBytes = new TextEncoder().encode(entry.key);
    const clientID = ownID ? ownID.value : Uint8Array.from([0, ...keyBytes]);
    return {
      netnsPath: this.settings.hostPrefix + entry.attachment.netns,
      ifName: entry.attachment.ifName,
      clientID,
      provide: provided.filter((p) => p.code !== CLIENT_IDENTIFIER),
      request: entry.request,
      timeoutMs: this.settings.timeoutMs,
      resendMaxMs: this.settings.resendMaxMs,
      resendTimeoutMs: this.settings.resendTimeoutMs,
      // The client hears replies on a UDP socket, which never sees a unicast reply to an
      // address not configured yet: servers must broadcast, whatever -broadcast says (HEAD
      // ignores that flag too).
      broadcast: true,
      log: (line) => this.log(`${entry.key}: ${line}`),
    };
  }

  private watch(entry: Entry, client: LeaseClient): void {
    entry.client = client;
    client.onEvent((e: LeaseClientEvent) => {
      if (this.entries.get(entry.key) !== entry || entry.client !== client) return;
      switch (e.type) {
        case 'renewed':
        case 'rebound':
          entry.lease = e.lease;
          this.persist(entry);
          this.log(`${entry.key}: lease of ${e.lease.address} ${e.type}, valid for ${e.lease.leaseTimeSec}s`);
          break;
        case 'expired':
          entry.state = 'expired';
          entry.reason = e.reason;
          delete entry.client;
          this.persist(entry);
          this.log(`${entry.key}: lease of ${entry.lease.address} expired and could not be renewed: ${e.reason}`);
          break;
        case 'link-gone':
          delete entry.client;
          this.entries.delete(entry.key);
          this.store.remove(entry.key);
          this.log(`${entry.key}: interface ${entry.attachment.ifName} is gone; lease of ${entry.lease.address} dropped`);
          break;
        case 'log':
          this.log(`${entry.key}: ${e.line}`);
          break;
      }
    });
  }

  private persist(entry: Entry): void {
    const { client: _client, ...record } = entry;
    try {
      this.store.save(record);
    } catch (e) {
      this.log(`${entry.key}: cannot write the lease to ${this.store.dir}: ${(e as Error).message}`);
    }
  }

  /**
   * Resumes the leases a previous daemon left on disk: bound ones are renewed from where they
   * are, expired ones stay reported.
   *
   * @example manager.restore()
   */
  restore(): void {
    for (const stored of this.store.load((file, reason) => this.log(`ignoring unreadable lease file ${file}: ${reason}`))) {
      const entry: Entry = { ...stored };
      this.entries.set(entry.key, entry);
      if (entry.state !== 'bound') continue;
      try {
        this.watch(entry, this.factory.resume(this.options(entry), entry.lease));
        this.log(`${entry.key}: resumed lease of ${entry.lease.address}`);
      } catch (e) {
        this.entries.delete(entry.key);
        this.store.remove(entry.key);
        this.log(`${entry.key}: cannot resume the lease of ${entry.lease.address}: ${(e as Error).message}`);
      }
    }
  }

  /**
   * The attachment's lease: the one it holds, or a new one from the server.
   *
   * @example await manager.allocate(attachment, [], [3, 1])
   */
  allocate(attachment: Attachment, provide: WireOption[], request: number[]): Promise<Lease> {
    const key = leaseKey(attachment);
    return this.serial(key, async () => {
      const held = this.entries.get(key);
      if (held?.state === 'bound') return held.lease;
      if (held) {
        this.entries.delete(key);
        this.store.remove(key);
      }
      const pending: StoredLease = { key, attachment, provide, request, lease: undefined as unknown as Lease, state: 'bound' };
      let client: LeaseClient;
      try {
        client = await this.factory.acquire(this.options(pending));
      } catch (e) {
        throw new LeaseError(`error acquiring a lease for ${key}: ${(e as Error).message}`);
      }
      const entry: Entry = { ...pending, lease: client.lease };
      this.entries.set(key, entry);
      this.watch(entry, client);
      this.persist(entry);
      this.log(`${key}: leased ${client.lease.address}/${client.lease.prefixLength} from ${client.lease.serverID} for ${client.lease.leaseTimeSec}s`);
      return client.lease;
    });
  }

  /**
   * The attachment's live lease, without acquiring one.
   *
   * @example manager.check(attachment)
   */
  check(attachment: Attachment): Promise<Lease> {
    const key = leaseKey(attachment);
    return this.serial(key, async () => {
      const entry = this.entries.get(key);
      if (!entry) throw new LeaseError(`no lease held for ${key}`);
      if (entry.state !== 'bound') throw new LeaseError(`the lease of ${entry.lease.address} for ${key} expired: ${entry.reason ?? 'not renewed'}`);
      return entry.lease;
    });
  }

  /**
   * Releases the attachment's lease (DHCPRELEASE); an unknown attachment is not an error.
   *
   * @example await manager.release(attachment)
   */
  release(attachment: Attachment): Promise<void> {
    return this.releaseKey(leaseKey(attachment));
  }

  private releaseKey(key: string): Promise<void> {
    return this.serial(key, async () => {
      const entry = this.entries.get(key);
      if (!entry) return;
      this.entries.delete(key);
      const client = entry.client;
      delete entry.client;
      if (client) {
        try {
          await client.release();
          this.log(`${key}: released ${entry.lease.address}`);
        } catch (e) {
          this.log(`${key}: release of ${entry.lease.address} failed (${(e as Error).message}); forgetting it anyway`);
        }
      }
      this.store.remove(key);
    });
  }

  /**
   * Releases the leases of `netName` whose attachment is not in `valid`.
   *
   * @example await manager.gc('net', [{ containerID: 'c1', ifName: 'eth0' }]) // keys released
   */
  async gc(netName: string, valid: readonly { containerID: string; ifName: string }[]): Promise<string[]> {
    const keep = new Set(valid.map((v) => leaseKey({ containerID: v.containerID, netName, ifName: v.ifName })));
    const stale = [...this.entries.values()].filter((e) => e.attachment.netName === netName && !keep.has(e.key)).map((e) => e.key);
    await Promise.all(stale.map((key) => this.releaseKey(key)));
    return stale;
  }

  /**
   * Stops every client without releasing, leaving the leases on disk for the next daemon.
   *
   * @example await manager.shutdown()
   */
  async shutdown(): Promise<void> {
    const clients = [...this.entries.values()].flatMap((e) => (e.client ? [e.client] : []));
    for (const e of this.entries.values()) delete e.client;
    await Promise.allSettled(clients.map((c) => c.stop()));
  }
}
