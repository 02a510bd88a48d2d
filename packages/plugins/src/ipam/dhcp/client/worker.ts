/**
 * The worker thread of one client: it moves its own OS thread into the container's network
 * namespace for good (setns, as the reference's locked goroutine), opens a UDP socket on port
 * 68 bound to the interface there, and runs the state machine on it. The main thread never
 * changes namespace for it.
 */
import { getRandomValues } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { parentPort } from 'node:worker_threads';
import { CLONE_NEWNET, libc } from '@tscni/netlink/libc';
import { NetNS } from '@tscni/netlink/netns';
import { listAddrs } from '@tscni/netlink/rtnl/addr';
import { isNotFound } from '@tscni/netlink/rtnl/errors';
import { getLink, setLinkDown, setLinkUp } from '@tscni/netlink/rtnl/link';
import { RtnlSocket } from '@tscni/netlink/rtnl/socket';
import { CLIENT_PORT, SERVER_PORT } from '../wire/codes.js';
import { ClientMachine, type ClientEvent, type Clock, type Transport } from './machine.js';
import type { FromWorker, ToWorker, WorkerInput, WorkerSettings } from './worker-messages.js';

const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;

const realClock: Clock = {
  now: () => Date.now(),
  after: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

function random(): number {
  return getRandomValues(new Uint32Array(1))[0]! / 0x100000000;
}

/** The socket's file descriptor: node keeps it on the handle in its internal state. */
function socketFd(socket: Socket): number {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const fd = state && (socket as unknown as Record<symbol, { handle?: { fd?: number } }>)[state]?.handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('cannot find the file descriptor of the DHCP client socket');
  return fd;
}

function bindSocket(ifName: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    socket.once('error', reject);
    socket.bind({ port: CLIENT_PORT, address: '0.0.0.0' }, () => {
      try {
        socket.setBroadcast(true);
        libc().setsockopt(socketFd(socket), SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(`${ifName}\0`));
        socket.off('error', reject);
        resolve(socket);
      } catch (e) {
        socket.close();
        reject(e);
      }
    });
  });
}

function macBytes(mac: string | undefined, ifName: string): Uint8Array {
  if (!mac) throw new Error(`link "${ifName}" has no hardware address`);
  return Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));
}

/** Everything the client holds in the namespace, opened in order and closed together. */
class Endpoint implements Transport {
  private sending = new Set<Promise<void>>();

  private constructor(
    private readonly ns: NetNS,
    private readonly rt: RtnlSocket,
    private readonly socket: Socket,
    private readonly ifName: string,
    readonly chaddr: Uint8Array,
    private readonly log: (line: string) => void,
  ) {}

  /** Enters the namespace (this thread stays there), checks the link, sets it UP, opens the socket. */
  static async open(s: WorkerSettings, log: (line: string) => void): Promise<Endpoint> {
    const ns = NetNS.open(s.netnsPath);
    let rt: RtnlSocket | undefined;
    try {
      libc().setns(ns.fd, CLONE_NEWNET);
      rt = RtnlSocket.open({ timeoutMs: 5000 });
      let link;
      try {
        link = getLink(rt, s.ifName);
      } catch (e) {
        throw new Error(isNotFound(e) ? `error looking up "${s.ifName}": Link not found` : `error looking up "${s.ifName}": ${(e as Error).message}`);
      }
      if (!link.flags.up) {
        // As the reference: the link is left UP afterwards.
        log(`Link "${s.ifName}" down. Attempting to set up`);
        setLinkUp(rt, s.ifName);
      }
      const chaddr = macBytes(link.mac, s.ifName);
      const socket = await bindSocket(s.ifName);
      return new Endpoint(ns, rt, socket, s.ifName, chaddr, log);
    } catch (e) {
      rt?.close();
      ns.close();
      throw e;
    }
  }

  onDatagram(fn: (bytes: Uint8Array) => void): void {
    this.socket.on('message', (msg) => fn(msg));
    this.socket.on('error', (e) => this.log(`socket error: ${e.message}`));
  }

  broadcast(bytes: Uint8Array): void {
    this.send(bytes, '255.255.255.255', (e) => this.log(`sending to 255.255.255.255 failed: ${e.message}`));
  }

  unicast(bytes: Uint8Array, server: string): void {
    // Without an IPv4 address on the link the kernel would send from 0.0.0.0 (servers drop
    // that): the address is not configured (yet, or any more), so broadcast instead.
    if (!this.hasIPv4Address()) {
      this.log(`no IPv4 address on "${this.ifName}"; broadcasting instead of sending to ${server}`);
      return this.broadcast(bytes);
    }
    this.send(bytes, server, (e) => {
      // No route to the server yet (the address is not configured): the reference broadcasts too.
      this.log(`sending to ${server} failed (${e.message}); broadcasting`);
      this.broadcast(bytes);
    });
  }

  linkExists(): boolean {
    try {
      getLink(this.rt, this.ifName);
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      this.log(`looking up "${this.ifName}": ${(e as Error).message}`);
      return true;
    }
  }

  private hasIPv4Address(): boolean {
    try {
      return listAddrs(this.rt, { link: this.ifName, family: 4 }).length > 0;
    } catch {
      return true;
    }
  }

  setLinkDown(): void {
    setLinkDown(this.rt, this.ifName);
  }

  /** Waits for the datagrams being sent, then closes the socket, the netlink socket and the namespace. */
  async close(): Promise<void> {
    while (this.sending.size > 0) await Promise.all([...this.sending]);
    this.socket.close();
    this.rt.close();
    this.ns.close();
  }

  private send(bytes: Uint8Array, to: string, failed: (e: Error) => void): void {
    const done = new Promise<void>((resolve) => {
      this.socket.send(bytes, SERVER_PORT, to, (e) => {
        if (e) failed(e);
        resolve();
      });
    });
    this.sending.add(done);
    void done.then(() => this.sending.delete(done));
  }
}

/**
 * The worker's task (see worker-task.ts): runs one client until released, stopped, expired
 * or its link is gone, talking to index.ts through parentPort.
 *
 * @example startWorkerTask('dhcp-client', { mode: 'acquire', settings })
 */
export async function runTask(data: unknown): Promise<void> {
  const input = data as WorkerInput;
  const port = parentPort!;
  const post = (m: FromWorker) => port.postMessage(m);
  const emit = (event: ClientEvent) => post({ type: 'event', event });
  const log = (line: string) => emit({ type: 'log', line });

  let endpoint: Endpoint;
  try {
    endpoint = await Endpoint.open(input.settings, log);
  } catch (e) {
    post({ type: 'failed', message: (e as Error).message });
    port.close();
    return;
  }

  let ending = false;
  const end = async (): Promise<void> => {
    if (ending) return;
    ending = true;
    machine.stop();
    await endpoint.close();
    post({ type: 'stopped' });
    port.close();
  };

  const { settings } = input;
  const machine = new ClientMachine(
    {
      identity: { chaddr: endpoint.chaddr, clientID: settings.clientID, provide: settings.provide, request: settings.request, broadcast: settings.broadcast },
      ifName: settings.ifName,
      timeoutMs: settings.timeoutMs,
      resendMaxMs: settings.resendMaxMs,
      resendTimeoutMs: settings.resendTimeoutMs,
      random,
    },
    endpoint,
    realClock,
    (event) => {
      emit(event);
      if (event.type === 'expired' || event.type === 'link-gone') void end();
    },
  );
  endpoint.onDatagram((bytes) => machine.receive(bytes));
  port.on('message', (m: ToWorker) => {
    if (m.type === 'release') machine.release();
    void end();
  });

  if (input.mode === 'resume') {
    machine.resume(input.lease);
    return;
  }
  try {
    post({ type: 'bound', lease: await machine.acquire() });
  } catch (e) {
    post({ type: 'failed', message: (e as Error).message });
    await end();
  }
}
