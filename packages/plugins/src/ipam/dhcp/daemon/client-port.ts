/**
 * What the daemon needs of a DHCP client: the client module's DhcpClient fits it, and the
 * daemon's tests drive fakes through it.
 */
import type { Lease } from '../protocol.js';

export interface LeaseClientOptions {
  netnsPath: string;
  ifName: string;
  clientID: Uint8Array;
  provide: { code: number; value: Uint8Array }[];
  request: number[];
  timeoutMs: number;
  resendMaxMs: number;
  resendTimeoutMs: number;
  broadcast: boolean;
  log?: (line: string) => void;
}

export type LeaseClientEvent =
  | { type: 'renewed'; lease: Lease }
  | { type: 'rebound'; lease: Lease }
  | { type: 'expired'; reason: string }
  | { type: 'link-gone' }
  | { type: 'log'; line: string };

export interface LeaseClient {
  readonly lease: Lease;
  onEvent(listener: (e: LeaseClientEvent) => void): void;
  release(): Promise<void>;
  stop(): Promise<void>;
}

export interface LeaseClientFactory {
  acquire(opts: LeaseClientOptions): Promise<LeaseClient>;
  resume(opts: LeaseClientOptions, lease: Lease): LeaseClient;
}
