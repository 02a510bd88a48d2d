/**
 * The client's state machine (RFC 2131 4.4, figure 5): INIT, SELECTING, REQUESTING, BOUND,
 * RENEWING, REBINDING. It owns no socket and no clock: a Transport sends, a Clock arms
 * timers, and `receive` is fed every datagram that arrives, so that it runs the same against
 * a real socket in a namespace (worker.ts) and against a scripted server in tests.
 *
 * Acquisition follows the reference: each attempt is one DISCOVER/OFFER/REQUEST/ACK exchange
 * whose steps wait `timeoutMs`; a failed attempt is retried after retryDelayMs until
 * `resendTimeoutMs` has passed since the start, then it fails with "no more tries".
 */
import { BOOTREPLY, MessageType, Option } from '../wire/codes.js';
import { decodePacket, optionValue, type DhcpPacket } from '../wire/packet.js';
import { decodeAddresses, decodeText } from '../wire/values.js';
import { nextRetransmitAt, retryDelayMs } from './backoff.js';
import { leaseFromAck, leaseTimes, type Lease, type LeaseTimes } from './lease.js';
import { encodeRequest, type Identity, type Request } from './messages.js';

export type ClientEvent =
  | { type: 'renewed'; lease: Lease }
  | { type: 'rebound'; lease: Lease }
  | { type: 'expired'; reason: string }
  | { type: 'link-gone' }
  | { type: 'log'; line: string };

export type ClientState = 'init' | 'selecting' | 'requesting' | 'bound' | 'renewing' | 'rebinding' | 'stopped';

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Runs `fn` after `ms`; the returned function cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export interface Transport {
  /** Sends to 255.255.255.255:67 on the client's interface. */
  broadcast(bytes: Uint8Array): void;
  /** Sends to `server`:67, or broadcasts when that cannot be sent. */
  unicast(bytes: Uint8Array, server: string): void;
  /** Whether the client's interface still exists. */
  linkExists(): boolean;
  /** Sets the client's interface DOWN (the reference does on expiry). */
  setLinkDown(): void;
}

export interface MachineSettings {
  identity: Identity;
  ifName: string;
  timeoutMs: number;
  resendMaxMs: number;
  resendTimeoutMs: number;
  /** In [0, 1): transaction ids and jitter. */
  random: () => number;
}

/** Acquisition failed because the interface is gone (the reference's LinkByName error). */
export class LinkGoneError extends Error {
  override name = 'LinkGoneError';
}

/** Node's timers overflow above this many ms; longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Acquisition {
  start: number;
  deadline: number;
  failures: number;
  requestedIP: string | undefined;
  offer?: { address: string; serverID: string };
  done: (r: Lease | Error) => void;
}

/**
 * One client on one interface.
 *
 * @example
 *   const m = new ClientMachine(settings, transport, clock, (e) => console.log(e));
 *   socket.on('message', (b) => m.receive(b));
 *   const lease = await m.acquire();
 */
export class ClientMachine {
  private current: ClientState = 'init';
  private held: Lease | undefined;
  private times: LeaseTimes | undefined;
  private xid = 0;
  private cancelTimer: (() => void) | undefined;
  private acq: Acquisition | undefined;

  constructor(
    private readonly s: MachineSettings,
    private readonly transport: Transport,
    private readonly clock: Clock,
    private readonly emit: (e: ClientEvent) => void,
  ) {}

  get state(): ClientState {
    return this.current;
  }

  /** The lease held, while BOUND, RENEWING or REBINDING. */
  get lease(): Lease | undefined {
    return this.held;
  }

  /**
   * INIT to BOUND; maintenance goes on from there. Rejects with "no more tries", a
   * LinkGoneError, or the ACK's fault (no subnet mask), and then the machine is stopped.
   */
  acquire(): Promise<Lease> {
    return new Promise((resolve, reject) => {
      this.startAcquisition(undefined, (r) => {
        if (r instanceof Error) {
          this.stop();
          reject(r);
        } else {
          this.enterBound(r);
          resolve(r);
        }
      });
    });
  }

  /** Continues from a stored lease: BOUND, RENEWING or REBINDING by the clock, or INIT (asking for the same address) when it expired. */
  resume(lease: Lease): void {
    this.held = lease;
    this.times = leaseTimes(lease, this.s.random);
    const now = this.clock.now();
    if (now < this.times.t1) this.enterBound(lease);
    else if (now < this.times.t2) this.enterRenewing();
    else if (now < this.times.expiry) this.enterRebinding();
    else {
      this.log(`the stored lease of ${lease.address} has expired; asking for it again`);
      this.held = undefined;
      this.reacquire(lease.address, 'the stored lease expired');
    }
  }

  /** Feeds a datagram that arrived on port 68; anything not for this client is ignored. */
  receive(bytes: Uint8Array): void {
    if (this.current === 'stopped') return;
    let p: DhcpPacket;
    try {
      p = decodePacket(bytes);
    } catch {
      return;
    }
    if (p.op !== BOOTREPLY || p.xid !== this.xid || !this.isOurs(p.chaddr)) return;
    const type = optionValue(p, Option.MessageType)?.[0];
    if (this.current === 'selecting' && type === MessageType.Offer) this.onOffer(p);
    else if (this.current === 'requesting' && type === MessageType.Ack) this.onAcquired(p);
    else if ((this.current === 'renewing' || this.current === 'rebinding') && type === MessageType.Ack) this.onExtended(p);
    else if (type === MessageType.Nak && (this.current === 'requesting' || this.current === 'renewing' || this.current === 'rebinding')) this.onNak(p);
  }

  /** Sends DHCPRELEASE for the lease held (unicast to its server) and stops. */
  release(): void {
    const lease = this.held;
    if (lease && (this.current === 'bound' || this.current === 'renewing' || this.current === 'rebinding')) {
      this.log(`releasing ${lease.address} to ${lease.serverID}`);
      this.xid = this.newXid();
      this.transport.unicast(encodeRequest(this.s.identity, { kind: 'release', address: lease.address, serverID: lease.serverID }, this.xid, 0), lease.serverID);
    }
    this.stop();
  }

  /** Stops every timer; nothing is sent. */
  stop(): void {
    this.current = 'stopped';
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.acq = undefined;
  }

  // --- acquisition: INIT, SELECTING, REQUESTING ---

  private startAcquisition(requestedIP: string | undefined, done: (r: Lease | Error) => void): void {
    const now = this.clock.now();
    this.acq = { start: now, deadline: now + this.s.resendTimeoutMs, failures: 0, requestedIP, done };
    this.attempt();
  }

  private attempt(): void {
    const acq = this.acq!;
    if (!this.transport.linkExists()) return this.finish(new LinkGoneError(`error looking up "${this.s.ifName}": Link not found`));
    delete acq.offer;
    this.current = 'selecting';
    this.xid = this.newXid();
    this.send({ kind: 'discover', ...(acq.requestedIP !== undefined ? { requestedIP: acq.requestedIP } : {}) }, 'broadcast');
    this.waitStep('no DHCPOFFER');
  }

  /** Arms the step timeout, cut short at the deadline. */
  private waitStep(what: string): void {
    const acq = this.acq!;
    const ms = Math.max(0, Math.min(this.s.timeoutMs, acq.deadline - this.clock.now()));
    this.setTimer(ms, () => this.attemptFailed(`${what} within ${ms / 1000}s`));
  }

  private onOffer(p: DhcpPacket): void {
    const serverID = this.serverOf(p);
    if (p.yiaddr === '0.0.0.0' || serverID === undefined) return;
    const acq = this.acq!;
    acq.offer = { address: p.yiaddr, serverID };
    this.log(`DHCPOFFER of ${p.yiaddr} from ${serverID}`);
    this.current = 'requesting';
    this.send({ kind: 'select', offered: p.yiaddr, serverID }, 'broadcast');
    this.waitStep('no DHCPACK');
  }

  private onAcquired(p: DhcpPacket): void {
    const now = this.clock.now();
    let lease: Lease;
    try {
      lease = leaseFromAck(p, now, (l) => this.log(l), this.acq?.offer?.serverID);
    } catch (e) {
      // A lease the client cannot use goes back at once rather than staying allocated.
      const serverID = this.serverOf(p) ?? this.acq?.offer?.serverID;
      if (serverID !== undefined && p.yiaddr !== '0.0.0.0') {
        this.transport.unicast(encodeRequest(this.s.identity, { kind: 'release', address: p.yiaddr, serverID }, this.newXid(), 0), serverID);
      }
      return this.finish(e as Error);
    }
    this.log(`DHCPACK of ${lease.address}/${lease.prefixLength} from ${lease.serverID}, lease ${lease.leaseTimeSec}s`);
    this.finish(lease);
  }

  private attemptFailed(reason: string): void {
    const acq = this.acq;
    if (!acq) return;
    acq.failures++;
    this.current = 'init';
    const now = this.clock.now();
    if (now >= acq.deadline) {
      this.log(reason);
      return this.finish(new Error('no more tries'));
    }
    const delay = Math.min(retryDelayMs(acq.failures, this.s.resendMaxMs, this.s.random), acq.deadline - now);
    this.log(`${reason}; retrying in ${(delay / 1000).toFixed(3)} seconds`);
    this.setTimer(delay, () => (this.clock.now() >= acq.deadline ? this.finish(new Error('no more tries')) : this.attempt()));
  }

  private finish(r: Lease | Error): void {
    const acq = this.acq;
    if (!acq) return;
    this.acq = undefined;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    acq.done(r);
  }

  // --- maintenance: BOUND, RENEWING, REBINDING ---

  private enterBound(lease: Lease, event?: 'renewed' | 'rebound'): void {
    this.held = lease;
    this.times = leaseTimes(lease, this.s.random);
    this.current = 'bound';
    if (event) this.emit({ type: event, lease });
    this.wakeAt(this.times.t1, () => this.enterRenewing());
  }

  private enterRenewing(): void {
    this.current = 'renewing';
    this.xid = this.newXid();
    this.log(`renewing ${this.held!.address} with ${this.held!.serverID}`);
    this.renewTick();
  }

  private renewTick(): void {
    if (!this.linkPresent()) return;
    const { t2 } = this.times!;
    if (this.clock.now() >= t2) return this.enterRebinding();
    this.send({ kind: 'renew', address: this.held!.address }, this.held!.serverID);
    this.wakeAt(nextRetransmitAt(this.clock.now(), t2, this.leaseMs()), () => this.renewTick());
  }

  private enterRebinding(): void {
    this.current = 'rebinding';
    this.xid = this.newXid();
    this.log(`rebinding ${this.held!.address}`);
    this.rebindTick();
  }

  private rebindTick(): void {
    if (!this.linkPresent()) return;
    const { expiry } = this.times!;
    if (this.clock.now() >= expiry) return this.expire('lease expired');
    this.send({ kind: 'rebind', address: this.held!.address }, 'broadcast');
    this.wakeAt(nextRetransmitAt(this.clock.now(), expiry, this.leaseMs()), () => this.rebindTick());
  }

  private onExtended(p: DhcpPacket): void {
    const was = this.current;
    let lease: Lease;
    try {
      lease = leaseFromAck(p, this.clock.now(), (l) => this.log(l), this.held!.serverID);
    } catch (e) {
      this.log(`ignoring a DHCPACK: ${(e as Error).message}`);
      return;
    }
    this.log(`DHCPACK of ${lease.address}/${lease.prefixLength} from ${lease.serverID}, lease ${lease.leaseTimeSec}s (${was})`);
    this.enterBound(lease, was === 'renewing' ? 'renewed' : 'rebound');
  }

  private onNak(p: DhcpPacket): void {
    const message = optionValue(p, Option.Message);
    const why = `DHCPNAK from ${this.serverOf(p) ?? 'the server'}${message ? ` (${decodeText(message)})` : ''}`;
    if (this.current === 'requesting') return this.attemptFailed(why);
    // The address is no longer ours (RFC 2131 4.4.5): back to INIT.
    this.log(`${why}; back to INIT`);
    this.held = undefined;
    this.reacquire(undefined, why);
  }

  /** INIT from maintenance: success is a new binding ('rebound'), failure is expiry. */
  private reacquire(requestedIP: string | undefined, why: string): void {
    this.cancelTimer?.();
    this.startAcquisition(requestedIP, (r) => {
      if (r instanceof LinkGoneError) this.linkGone();
      else if (r instanceof Error) this.expire(`${why}, then ${r.message}`);
      else this.enterBound(r, 'rebound');
    });
  }

  private linkPresent(): boolean {
    if (this.transport.linkExists()) return true;
    this.linkGone();
    return false;
  }

  private linkGone(): void {
    this.log(`link "${this.s.ifName}" is gone; stopping without release`);
    this.stop();
    this.emit({ type: 'link-gone' });
  }

  private expire(reason: string): void {
    this.log(`${reason}, bringing interface DOWN`);
    this.stop();
    this.held = undefined;
    try {
      this.transport.setLinkDown();
    } catch (e) {
      this.log(`could not set "${this.s.ifName}" down: ${(e as Error).message}`);
    }
    this.emit({ type: 'expired', reason });
  }

  // --- helpers ---

  private send(r: Request, to: 'broadcast' | string): void {
    const secs = this.acq ? (this.clock.now() - this.acq.start) / 1000 : 0;
    const bytes = encodeRequest(this.s.identity, r, this.xid, secs);
    if (to === 'broadcast') this.transport.broadcast(bytes);
    else this.transport.unicast(bytes, to);
  }

  private wakeAt(at: number, fn: () => void): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (at === Infinity) return;
    const step = () => {
      const left = at - this.clock.now();
      if (left <= 0) fn();
      else this.setTimer(Math.min(left, MAX_TIMER_MS), step);
    };
    this.setTimer(Math.min(Math.max(0, at - this.clock.now()), MAX_TIMER_MS), step);
  }

  private setTimer(ms: number, fn: () => void): void {
    this.cancelTimer?.();
    const cancel = this.clock.after(ms, () => {
      if (this.cancelTimer === cancel) this.cancelTimer = undefined;
      fn();
    });
    this.cancelTimer = cancel;
  }

  private leaseMs(): number {
    return this.held!.leaseTimeSec * 1000;
  }

  private serverOf(p: DhcpPacket): string | undefined {
    const v = optionValue(p, Option.ServerIdentifier);
    try {
      return v ? decodeAddresses(v, 'server identifier')[0] : undefined;
    } catch {
      return undefined;
    }
  }

  private isOurs(chaddr: Uint8Array): boolean {
    const mine = this.s.identity.chaddr;
    return chaddr.length >= mine.length && mine.every((b, i) => chaddr[i] === b);
  }

  private newXid(): number {
    return Math.floor(this.s.random() * 0x100000000) >>> 0;
  }

  private log(line: string): void {
    this.emit({ type: 'log', line });
  }
}

