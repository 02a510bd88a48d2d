/**
 * Reading the request config from whatever the dispatcher was given as stdin.
 */
import type { StdinSource } from './types.js';

const encoder = new TextEncoder();

function bytesOf(chunk: Uint8Array | string): Uint8Array {
  return typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * All of stdin as bytes; rejects with the source's own error when reading fails.
 *
 * @example await readAllStdin(process.stdin)
 */
export async function readAllStdin(source: StdinSource): Promise<Uint8Array> {
  if (typeof source === 'string' || source instanceof Uint8Array) return bytesOf(source);
  if (typeof source === 'function') return bytesOf(await source());
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(bytesOf(chunk));
  return concat(chunks);
}
