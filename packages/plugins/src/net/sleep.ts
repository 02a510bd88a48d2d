/**
 * A synchronous pause: namespace work is synchronous (see withNetNS), so waiting for the
 * kernel inside it cannot yield to the event loop.
 */
const cell = new Int32Array(new SharedArrayBuffer(4));

/** @example sleepSync(50) */
export function sleepSync(ms: number): void {
  Atomics.wait(cell, 0, 0, ms);
}
