/**
 * The daemon's socket: each connection carries one JSON request line and gets one JSON
 * response line (protocol.ts).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { DaemonRequest, DaemonResponse } from '../protocol.js';
import type { LeaseManager } from './leases.js';

/** Requests longer than this are not ours. */
const MAX_REQUEST_BYTES = 1 << 20;

function isRequest(v: unknown): v is DaemonRequest {
  if (v === null || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  const att = r['attachment'] as Record<string, unknown> | undefined;
  const attachmentOk = att !== null && typeof att === 'object' && ['containerID', 'netName', 'ifName', 'netns'].every((k) => typeof att[k] === 'string');
  switch (r['method']) {
    case 'status':
      return true;
    case 'check':
    case 'release':
      return attachmentOk;
    case 'allocate':
      return attachmentOk && Array.isArray(r['provide']) && Array.isArray(r['request']);
    case 'gc':
      return typeof r['netName'] === 'string' && Array.isArray(r['valid']);
    default:
      return false;
  }
}

/**
 * The answer to one request.
 *
 * @example await answer(manager, { method: 'status' }) // { ok: true, leases: 0 }
 */
export async function answer(manager: LeaseManager, request: DaemonRequest): Promise<DaemonResponse> {
  try {
    switch (request.method) {
      case 'status':
        return { ok: true, leases: manager.size };
      case 'allocate':
        return { ok: true, lease: await manager.allocate(request.attachment, request.provide, request.request) };
      case 'check':
        return { ok: true, lease: await manager.check(request.attachment) };
      case 'release':
        await manager.release(request.attachment);
        return { ok: true };
      case 'gc':
        return { ok: true, released: await manager.gc(request.netName, request.valid) };
    }
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

function serve(manager: LeaseManager, socket: Socket): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    if (buffer.length > MAX_REQUEST_BYTES) {
      socket.end(`${JSON.stringify({ ok: false, error: 'request too long' })}\n`);
      return;
    }
    const end = buffer.indexOf('\n');
    if (end < 0) return;
    socket.pause();
    let request: unknown;
    try {
      request = JSON.parse(buffer.slice(0, end));
    } catch (e) {
      socket.end(`${JSON.stringify({ ok: false, error: `unreadable request: ${(e as Error).message}` })}\n`);
      return;
    }
    if (!isRequest(request)) {
      socket.end(`${JSON.stringify({ ok: false, error: 'not a tscni DHCP daemon request' })}\n`);
      return;
    }
    void answer(manager, request).then((response) => {
      if (!socket.destroyed) socket.end(`${JSON.stringify(response)}\n`);
    });
  });
}

/**
 * A server answering requests with `manager`; the caller makes it listen.
 *
 * @example daemonServer(manager).listen('/run/cni/dhcp.sock')
 */
export function daemonServer(manager: LeaseManager): Server {
  return createServer((socket) => serve(manager, socket));
}
