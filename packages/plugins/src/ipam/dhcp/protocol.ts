/**
 * The plugin-daemon protocol, tscni's own: one JSON object per line over the daemon's unix
 * socket, one request and one response per connection. The plugin parses the network config
 * and builds the result; the daemon only holds the clients and their leases.
 */
import type { Lease } from './client/lease.js';

export type { Lease };

/** Who a lease belongs to: the reference keys leases by `containerID/netName/ifName`. */
export interface Attachment {
  containerID: string;
  netName: string;
  ifName: string;
  /** The container's netns path, absolute, as the runtime gave it. */
  netns: string;
}

/** An option the client sends, its value in base64. */
export interface WireOption {
  code: number;
  value: string;
}

export type DaemonRequest =
  | { method: 'allocate'; attachment: Attachment; provide: WireOption[]; request: number[] }
  | { method: 'check'; attachment: Attachment }
  | { method: 'release'; attachment: Attachment }
  | { method: 'gc'; netName: string; valid: { containerID: string; ifName: string }[] }
  | { method: 'status' };

export type DaemonResponse =
  | { ok: true; lease?: Lease; released?: string[]; leases?: number }
  | { ok: false; error: string };

/**
 * The reference's lease key for an attachment, at most 254 bytes.
 *
 * @example leaseKey({ containerID: 'c1', netName: 'net', ifName: 'eth0', netns: '/run/netns/x' }) // 'c1/net/eth0'
 */
export function leaseKey(a: Pick<Attachment, 'containerID' | 'netName' | 'ifName'>): string {
  const bytes = new TextEncoder().encode(`${a.containerID}/${a.netName}/${a.ifName}`);
  return new TextDecoder().decode(bytes.subarray(0, 254));
}
