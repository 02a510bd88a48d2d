import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BOOTREPLY, FLAG_BROADCAST, MessageType, Option } from '../wire/codes.js';
import { ipv4Bytes } from '../wire/ipv4.js';
import { decodePacket, encodePacket, optionValue, type DhcpOption, type DhcpPacket } from '../wire/packet.js';
import { encodeClasslessRoutes } from '../wire/routes.js';
import { encodeDomainSearch } from '../wire/domain-search.js';
import { encodeAddresses, encodeUint32 } from '../wire/values.js';
import { nextRetransmitAt, retryDelayMs } from './backoff.js';
import { leaseFromAck, type Lease } from './lease.js';
import { ClientMachine, LinkGoneError, type ClientEvent, type Clock, type Transport } from './machine.js';

const MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x01);
const SERVER = '10.9.0.1';

/** A clock whose time moves only when the test says so. */
class FakeClock implements Clock {
  t = 1_000_000;
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;
  now(): number {
    return this.t;
  }
  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.t + ms, seq: this.seq++, fn };
    this.timers.push(timer);
    return () => void (this.timers = this.timers.filter((x) => x !== timer));
  }
  /** Runs every timer due within `ms`, in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}

interface Sent {
  at: number;
  to: string;
  p: DhcpPacket;
  type: number;
}

type Answer = (req: Sent) => DhcpPacket | undefined;

/** A transport that records what the client sends and lets a scripted server answer 1 ms later. */
class FakeNet implements Transport {
  sent: Sent[] = [];
  link = true;
  linkDown = false;
  server: Answer = () => undefined;
  machine!: ClientMachine;
  constructor(private readonly clock: FakeClock) {}
  broadcast(bytes: Uint8Array): void {
    this.deliver(bytes, 'broadcast');
  }
  unicast(bytes: Uint8Array, server: string): void {
    this.deliver(bytes, server);
  }
  linkExists(): boolean {
    return this.link;
  }
  setLinkDown(): void {
    this.linkDown = true;
  }
  private deliver(bytes: Uint8Array, to: string): void {
    const p = decodePacket(bytes);
    const s = { at: this.clock.now(), to, p, type: optionValue(p, Option.MessageType)![0]! };
    this.sent.push(s);
    const reply = this.server(s);
    if (reply) this.clock.after(1, () => this.machine.receive(encodePacket(reply)));
  }
  types(): string {
    return this.sent.map((s) => s.type).join(',');
  }
}

function reply(req: DhcpPacket, type: number, yiaddr: string, options: DhcpOption[] = []): DhcpPacket {
  return {
    ...req,
    op: BOOTREPLY,
    yiaddr,
    options: [{ code: Option.MessageType, value: Uint8Array.of(type) }, { code: Option.ServerIdentifier, value: ipv4Bytes(SERVER) }, ...options],
  };
}

const leaseOptions = (leaseSec = 100): DhcpOption[] => [
  { code: Option.SubnetMask, value: Uint8Array.of(255, 255, 255, 0) },
  { code: Option.Router, value: encodeAddresses([SERVER]) },
  { code: Option.IPAddressLeaseTime, value: encodeUint32(leaseSec) },
];

/** A server that offers and acknowledges `address`, answering renewals and rebinds while `up`. */
function goodServer(address = '10.9.0.50', opts = { up: true, unicastUp: true }, extra: DhcpOption[] = []): Answer {
  return (s) => {
    if (!opts.up) return undefined;
    if (s.type === MessageType.Discover) return reply(s.p, MessageType.Offer, address, leaseOptions());
    if (s.type !== MessageType.Request) return undefined;
    if (s.to !== 'broadcast' && !opts.unicastUp) return undefined;
    return reply(s.p, MessageType.Ack, address, [...leaseOptions(), ...extra]);
  };
}

function setup(settings: Partial<{ timeoutMs: number; resendMaxMs: number; resendTimeoutMs: number; broadcast: boolean }> = {}) {
  const clock = new FakeClock();
  const net = new FakeNet(clock);
  const events: ClientEvent[] = [];
  const machine = new ClientMachine(
    {
      identity: {
        chaddr: MAC,
        clientID: Uint8Array.from([0, ...Buffer.from('c1/net/eth0')]),
        provide: [{ code: Option.HostName, value: Buffer.from('pod1') }],
        request: [3, 1, 121],
        broadcast: settings.broadcast ?? true,
      },
      ifName: 'eth0',
      timeoutMs: settings.timeoutMs ?? 1000,
      resendMaxMs: settings.resendMaxMs ?? 62_000,
      resendTimeoutMs: settings.resendTimeoutMs ?? 30_000,
      random: () => 0.5, // no jitter: schedules are exact
    },
    net,
    clock,
    (e) => events.push(e),
  );
  net.machine = machine;
  return { clock, net, events, machine, nonLog: () => events.filter((e) => e.type !== 'log') };
}

/** Acquires with the fake server, the clock moving until the promise settles. */
async function acquire(t: ReturnType<typeof setup>): Promise<Lease> {
  const p = t.machine.acquire();
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 100_000 && !settled; i++) {
    t.clock.advance(100);
    await Promise.resolve();
  }
  return p;
}

describe('DHCP client state machine', () => {
  it('DISCOVER, OFFER, REQUEST, ACK: broadcast flag, options, lease, BOUND', async () => {
    const t = setup();
    t.net.server = goodServer();
    const lease = await acquire(t);
    assert.equal(t.machine.state, 'bound');
    assert.equal(t.net.types(), `${MessageType.Discover},${MessageType.Request}`);
    const [discover, request] = t.net.sent as [Sent, Sent];
    for (const s of [discover, request]) {
      assert.equal(s.to, 'broadcast');
      assert.equal(s.p.flags, FLAG_BROADCAST);
      assert.equal(s.p.ciaddr, '0.0.0.0');
      assert.deepEqual(s.p.chaddr, MAC);
      assert.equal(Buffer.from(optionValue(s.p, Option.ClientIdentifier)!).toString('latin1'), '\0c1/net/eth0');
      assert.equal(Buffer.from(optionValue(s.p, Option.HostName)!).toString(), 'pod1');
      assert.deepEqual([...optionValue(s.p, Option.ParameterRequestList)!], [3, 1, 121]);
    }
    assert.equal(request.p.xid, discover.p.xid);
    assert.deepEqual([...optionValue(request.p, Option.RequestedIPAddress)!], [10, 9, 0, 50]);
    assert.deepEqual([...optionValue(request.p, Option.ServerIdentifier)!], [10, 9, 0, 1]);
    assert.equal(optionValue(discover.p, Option.ServerIdentifier), undefined);
    assert.deepEqual(
      { ...lease, acquiredAt: 0 },
      { address: '10.9.0.50', prefixLength: 24, serverID: SERVER, routers: [SERVER], dns: [], search: [], staticRoutes: [], leaseTimeSec: 100, renewalSec: 50, rebindingSec: 87, acquiredAt: 0 },
    );
    assert.equal(lease.acquiredAt, 1_000_000 + 2);
    assert.deepEqual(t.nonLog(), []);
  });

  it('without the broadcast setting the flag stays clear', async () => {
    const t = setup({ broadcast: false });
    t.net.server = goodServer();
    await acquire(t);
    assert.equal(t.net.sent[0]!.p.flags, 0);
  });

  it("ignores replies with another xid, another chaddr, or a request's op", async () => {
    const t = setup();
    const good = goodServer();
    t.net.server = (s) => {
      const r = good(s);
      if (!r) return r;
      const wrong = [{ ...r, xid: r.xid + 1 }, { ...r, chaddr: Uint8Array.of(2, 0, 0, 0, 0, 2) }, { ...r, op: 1 }];
      for (const w of wrong) t.clock.after(0, () => t.machine.receive(encodePacket(w)));
      return r;
    };
    const lease = await acquire(t);
    assert.equal(lease.address, '10.9.0.50');
    t.machine.receive(new Uint8Array(10)); // garbage is dropped too
    assert.equal(t.machine.state, 'bound');
  });

  it('a DHCPNAK in REQUESTING goes back to INIT and tries again after the retry delay', async () => {
    const t = setup();
    let naks = 1;
    const good = goodServer();
    t.net.server = (s) => (s.type === MessageType.Request && naks-- > 0 ? reply(s.p, MessageType.Nak, '0.0.0.0', [{ code: Option.Message, value: Buffer.from('wrong network') }]) : good(s));
    await acquire(t);
    assert.equal(t.net.types(), '1,3,1,3');
    assert.equal(t.net.sent[2]!.at - t.net.sent[1]!.at, 1 + 2000);
    assert.ok(t.events.some((e) => e.type === 'log' && /DHCPNAK from 10\.9\.0\.1 \(wrong network\)/.test(e.line)));
  });

  it('lost packets: the reference schedule (2 s four times, then 4 s doubling), then "no more tries" at resendTimeout', async () => {
    const t = setup({ timeoutMs: 1000, resendTimeoutMs: 30_000 });
    const start = t.clock.now();
    await assert.rejects(acquire(t), { message: 'no more tries' });
    assert.deepEqual(
      t.net.sent.map((s) => s.at - start),
      [0, 3000, 6000, 9000, 12000, 17000, 26000],
    );
    assert.equal(t.clock.now() - start <= 30_000 + 100, true);
    assert.equal(t.machine.state, 'stopped');
    assert.ok(t.net.sent.every((s) => s.type === MessageType.Discover));
  });

  it('a lost ACK fails the attempt; the next one starts with a new DISCOVER', async () => {
    const t = setup();
    let drop = 1;
    const good = goodServer();
    t.net.server = (s) => (s.type === MessageType.Request && drop-- > 0 ? undefined : good(s));
    await acquire(t);
    assert.equal(t.net.types(), '1,3,1,3');
    assert.equal(t.net.sent[2]!.at - t.net.sent[1]!.at, 1000 + 2000);
  });

  it('rejects when the link is missing, without sending', async () => {
    const t = setup();
    t.net.link = false;
    await assert.rejects(acquire(t), (e: unknown) => e instanceof LinkGoneError && e.message === 'error looking up "eth0": Link not found');
    assert.equal(t.net.sent.length, 0);
  });

  it('an ACK without subnet mask rejects with the reference error and releases the address', async () => {
    const t = setup();
    t.net.server = (s) => (s.type === MessageType.Discover ? reply(s.p, MessageType.Offer, '10.9.0.50') : s.type === MessageType.Request ? reply(s.p, MessageType.Ack, '10.9.0.50') : undefined);
    await assert.rejects(acquire(t), { message: 'DHCP option Subnet Mask not found in DHCPACK' });
    const release = t.net.sent.at(-1)!;
    assert.equal(release.type, MessageType.Release);
    assert.equal(release.p.ciaddr, '10.9.0.50');
  });

  it('RENEWING at T1: unicast REQUEST with ciaddr, no 50/54; the ACK is "renewed"', async () => {
    const t = setup();
    t.net.server = goodServer();
    const lease = await acquire(t);
    t.net.sent = [];
    t.clock.advance(50_000 - (t.clock.now() - lease.acquiredAt) - 1);
    assert.equal(t.net.sent.length, 0);
    t.clock.advance(10);
    const renew = t.net.sent[0]!;
    assert.equal(renew.to, SERVER);
    assert.equal(renew.p.ciaddr, '10.9.0.50');
    assert.equal(renew.p.flags, 0);
    assert.equal(optionValue(renew.p, Option.RequestedIPAddress), undefined);
    assert.equal(optionValue(renew.p, Option.ServerIdentifier), undefined);
    const [e] = t.nonLog();
    assert.equal(e?.type, 'renewed');
    assert.equal(e.type === 'renewed' && e.lease.acquiredAt, renew.at + 1);
    assert.equal(t.machine.state, 'bound');
    assert.equal(t.machine.lease?.acquiredAt, renew.at + 1);
  });

  it('no answer to renewals: retransmits at half the time to T2 (floor scaled to the lease), then REBINDING broadcasts; its ACK is "rebound"', async () => {
    const t = setup();
    const opts = { up: true, unicastUp: false };
    t.net.server = goodServer('10.9.0.50', opts);
    const lease = await acquire(t);
    t.net.sent = [];
    t.clock.advance(87_500 + 5);
    const at = (s: Sent) => s.at - lease.acquiredAt;
    // lease 100 s: T1 50 s, T2 87 s (option 59 absent: 7/8 of 100, whole seconds), floor 100/16 s
    assert.deepEqual(t.net.sent.map(at), [50_000, 68_500, 77_750, 84_000, 87_000]);
    assert.deepEqual(t.net.sent.map((s) => s.to), [SERVER, SERVER, SERVER, SERVER, 'broadcast']);
    assert.equal(t.net.sent[4]!.p.ciaddr, '10.9.0.50');
    assert.deepEqual(t.nonLog().map((e) => e.type), ['rebound']);
    assert.equal(nextRetransmitAt(0, 100_000, 3_600_000), 60_000);
  });

  it('no answer at all: REBINDING until expiry, then "expired", link DOWN, stopped', async () => {
    const t = setup();
    const opts = { up: true, unicastUp: true };
    t.net.server = goodServer('10.9.0.50', opts);
    await acquire(t);
    opts.up = false;
    t.clock.advance(101_000);
    assert.deepEqual(t.nonLog(), [{ type: 'expired', reason: 'lease expired' }]);
    assert.equal(t.net.linkDown, true);
    assert.equal(t.machine.state, 'stopped');
    const n = t.net.sent.length;
    t.clock.advance(1_000_000);
    assert.equal(t.net.sent.length, n);
  });

  it('a DHCPNAK in RENEWING goes back to INIT; the new lease is "rebound"', async () => {
    const t = setup();
    const good = goodServer('10.9.0.77');
    t.net.server = goodServer();
    await acquire(t);
    t.net.server = (s) => (s.type === MessageType.Request && s.p.ciaddr !== '0.0.0.0' ? reply(s.p, MessageType.Nak, '0.0.0.0') : good(s));
    t.net.sent = [];
    t.clock.advance(60_000);
    assert.equal(t.net.types(), '3,1,3');
    const events = t.nonLog();
    assert.equal(events.length, 1);
    assert.equal(events[0]!.type === 'rebound' && events[0].lease.address, '10.9.0.77');
  });

  it('a DHCPNAK in RENEWING and no server after it: "expired" once resendTimeout has passed', async () => {
    const t = setup({ resendTimeoutMs: 10_000 });
    t.net.server = goodServer();
    await acquire(t);
    t.net.server = (s) => (s.type === MessageType.Request ? reply(s.p, MessageType.Nak, '0.0.0.0') : undefined);
    t.clock.advance(70_000);
    const events = t.nonLog();
    assert.deepEqual(events, [{ type: 'expired', reason: 'DHCPNAK from 10.9.0.1, then no more tries' }]);
    assert.equal(t.net.linkDown, true);
  });

  it('the link gone at T1: "link-gone", nothing sent, no release', async () => {
    const t = setup();
    t.net.server = goodServer();
    await acquire(t);
    t.net.sent = [];
    t.net.link = false;
    t.clock.advance(60_000);
    assert.deepEqual(t.nonLog(), [{ type: 'link-gone' }]);
    assert.equal(t.net.sent.length, 0);
    assert.equal(t.machine.state, 'stopped');
    t.machine.release();
    assert.equal(t.net.sent.length, 0);
  });

  it('release: DHCPRELEASE unicast to the server with ciaddr, 54 and 61, then stopped', async () => {
    const t = setup();
    t.net.server = goodServer();
    await acquire(t);
    t.machine.release();
    const r = t.net.sent.at(-1)!;
    assert.equal(r.type, MessageType.Release);
    assert.equal(r.to, SERVER);
    assert.equal(r.p.ciaddr, '10.9.0.50');
    assert.equal(r.p.flags, 0);
    assert.deepEqual([...optionValue(r.p, Option.ServerIdentifier)!], [10, 9, 0, 1]);
    assert.ok(optionValue(r.p, Option.ClientIdentifier));
    assert.equal(optionValue(r.p, Option.ParameterRequestList), undefined);
    assert.equal(t.machine.state, 'stopped');
    t.clock.advance(1_000_000);
    assert.equal(t.net.sent.at(-1), r);
  });

  const stored = (acquiredAt: number): Lease => ({
    address: '10.9.0.50', prefixLength: 24, serverID: SERVER, routers: [SERVER], dns: [], search: [], staticRoutes: [],
    leaseTimeSec: 100, renewalSec: 50, rebindingSec: 87, acquiredAt,
  });

  it('resume before T1 stays BOUND; after T1 renews at once; after T2 rebinds at once', () => {
    for (const [age, state, to] of [
      [10_000, 'bound', undefined],
      [60_000, 'renewing', SERVER],
      [90_000, 'rebinding', 'broadcast'],
    ] as const) {
      const t = setup();
      t.machine.resume(stored(t.clock.now() - age));
      assert.equal(t.machine.state, state);
      assert.equal(t.net.sent[0]?.to, to);
    }
  });

  it('resume of an expired lease asks for the same address (DISCOVER with option 50); success is "rebound"', () => {
    const t = setup();
    t.net.server = goodServer();
    t.machine.resume(stored(t.clock.now() - 200_000));
    t.clock.advance(10);
    assert.deepEqual([...optionValue(t.net.sent[0]!.p, Option.RequestedIPAddress)!], [10, 9, 0, 50]);
    assert.deepEqual(t.nonLog().map((e) => e.type), ['rebound']);
    assert.equal(t.machine.state, 'bound');
  });
});

describe('retry delays', () => {
  it('2 s four times, then 4 s doubling, capped at resendMax, +-1 s', () => {
    const mid = () => 0.5;
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => retryDelayMs(n, 62_000, mid)), [2000, 2000, 2000, 2000, 4000, 8000, 16000, 32000, 62000, 62000]);
    assert.equal(retryDelayMs(1, 62_000, () => 0), 1000);
    assert.equal(retryDelayMs(5, 62_000, () => 0.999999) > 4999, true);
    assert.equal(retryDelayMs(100, 62_000, mid), 62_000);
  });
});

describe('lease from a DHCPACK', () => {
  const ack = (options: DhcpOption[]): DhcpPacket =>
    decodePacket(encodePacket({ op: 2, htype: 1, hops: 0, xid: 1, secs: 0, flags: 0, ciaddr: '0.0.0.0', yiaddr: '10.1.0.5', siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr: MAC, sname: '', file: '', options }));
  const base = [
    { code: Option.SubnetMask, value: Uint8Array.of(255, 255, 0, 0) },
    { code: Option.ServerIdentifier, value: ipv4Bytes('10.1.0.1') },
  ];

  it('defaults: 1 h lease, T1 half, T2 7/8; no routers, DNS or routes', () => {
    const l = leaseFromAck(ack(base), 5);
    assert.deepEqual(l, { address: '10.1.0.5', prefixLength: 16, serverID: '10.1.0.1', routers: [], dns: [], search: [], staticRoutes: [], leaseTimeSec: 3600, renewalSec: 1800, rebindingSec: 3150, acquiredAt: 5 });
  });

  it('reads 3, 6, 15, 119, 121, 33, 51, 58, 59', () => {
    const l = leaseFromAck(
      ack([
        ...base,
        { code: Option.Router, value: encodeAddresses(['10.1.0.1', '10.1.0.2']) },
        { code: Option.DomainNameServer, value: encodeAddresses(['10.1.0.53', '10.1.0.54']) },
        { code: Option.DomainName, value: Buffer.from('example.test') },
        { code: Option.DomainSearch, value: encodeDomainSearch(['a.example.test', 'example.test']) },
        { code: Option.ClasslessStaticRoute, value: encodeClasslessRoutes([{ dst: '192.168.0.0/16', gw: '10.1.0.9' }, { dst: '10.2.0.0/24', gw: '0.0.0.0' }]) },
        { code: Option.StaticRoute, value: encodeAddresses(['172.16.0.0', '10.1.0.8']) },
        { code: Option.IPAddressLeaseTime, value: encodeUint32(600) },
        { code: Option.RenewalTime, value: encodeUint32(100) },
        { code: Option.RebindingTime, value: encodeUint32(500) },
      ]),
      0,
    );
    assert.deepEqual(l.routers, ['10.1.0.1', '10.1.0.2']);
    assert.deepEqual(l.dns, ['10.1.0.53', '10.1.0.54']);
    assert.equal(l.domain, 'example.test');
    assert.deepEqual(l.search, ['a.example.test', 'example.test']);
    assert.deepEqual(l.classlessRoutes, [
      { dst: '192.168.0.0/16', gw: '10.1.0.9' },
      { dst: '10.2.0.0/24', gw: '0.0.0.0' },
    ]);
    assert.deepEqual(l.staticRoutes, [{ dst: '172.16.0.0/16', gw: '10.1.0.8' }]);
    assert.deepEqual([l.leaseTimeSec, l.renewalSec, l.rebindingSec], [600, 100, 500]);
  });

  it('a malformed optional option is ignored with a warning; T1/T2 kept in order', () => {
    const warnings: string[] = [];
    const l = leaseFromAck(
      ack([...base, { code: Option.ClasslessStaticRoute, value: Uint8Array.of(24, 10) }, { code: Option.IPAddressLeaseTime, value: encodeUint32(100) }, { code: Option.RenewalTime, value: encodeUint32(500) }]),
      0,
      (w) => warnings.push(w),
    );
    assert.equal(l.classlessRoutes, undefined);
    assert.match(warnings[0]!, /option 121/);
    assert.deepEqual([l.leaseTimeSec, l.renewalSec, l.rebindingSec], [100, 87, 87]);
  });

  it('no subnet mask, or one with holes, is an error', () => {
    assert.throws(() => leaseFromAck(ack([base[1]!]), 0), { message: 'DHCP option Subnet Mask not found in DHCPACK' });
    assert.throws(() => leaseFromAck(ack([{ code: Option.SubnetMask, value: Uint8Array.of(255, 0, 255, 0) }, base[1]!]), 0), /not a valid netmask/);
  });
});
