/**
 * The plugin's side of the protocol: one request to the daemon, its answer.
 */
import { connect } from 'node:net';
import type { DaemonRequest, DaemonResponse } from './protocol.js';

/** The daemon could not be reached at all (no socket, nobody listening). */
export class DaemonUnreachable extends Error {}

/** Go's wording for a failed unix dial, which the reference's messages carry. */
function dialError(socketPath: string, e: NodeJS.ErrnoException): string {
  const reason =
    e.code === 'ENOENT' ? 'no such file or directory' : e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'EACCES' ? 'permission denied' : e.message;
  return `dial unix ${socketPath}: connect: ${reason}`;
}

/**
 * Sends one request and resolves with the daemon's response; rejects with DaemonUnreachable
 * when nothing listens, and with an Error when the connection breaks before an answer.
 *
 * @example const r = await callDaemon('/run/cni/dhcp.sock', { method: 'status' });
 */
export function callDaemon(socketPath: string, request: DaemonRequest): Promise<DaemonResponse> {
  return new Promise((resolve, reject) => {
    let connected = false;
    let buffer = '';
    const socket = connect({ path: socketPath }, () => {
      connected = true;
      socket.write(`${JSON.stringify(request)}\n`);
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end < 0) return;
      socket.destroy();
      try {
        resolve(JSON.parse(buffer.slice(0, end)) as DaemonResponse);
      } catch (e) {
        reject(new Error(`unreadable answer from the DHCP daemon: ${(e as Error).message}`));
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      reject(connected ? new Error(`connection to the DHCP daemon failed: ${e.message}`) : new DaemonUnreachable(dialError(socketPath, e)));
    });
    socket.on('close', () => {
      if (connected) reject(new Error('the DHCP daemon closed the connection without an answer'));
    });
  });
}
