/**
 * What the client object (index.ts) and its worker thread (worker.ts) say to each other.
 */
import type { Lease } from './lease.js';
import type { ClientEvent } from './machine.js';

/** The client's options without the log function (it stays on the main thread). */
export interface WorkerSettings {
  netnsPath: string;
  ifName: string;
  clientID: Uint8Array;
  provide: { code: number; value: Uint8Array }[];
  request: number[];
  timeoutMs: number;
  resendMaxMs: number;
  resendTimeoutMs: number;
  broadcast: boolean;
}

export type WorkerInput = { settings: WorkerSettings } & ({ mode: 'acquire' } | { mode: 'resume'; lease: Lease });

export type ToWorker = { type: 'release' } | { type: 'stop' };

export type FromWorker =
  /** Acquisition ended in BOUND. */
  | { type: 'bound'; lease: Lease }
  /** Acquisition (or starting up) failed; the worker is ending. */
  | { type: 'failed'; message: string }
  | { type: 'event'; event: ClientEvent }
  /** The worker has closed everything and is ending. */
  | { type: 'stopped' };
