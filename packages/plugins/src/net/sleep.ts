/**
 * A synchronous pause: namespace work is synchronous (see withNetNS), so waiting for the
 * kernel inside it cannot yield to the event loop.
 */
const cell = new Int32Array(new SharedArrayBuffer(4));

/** @example sleepSync(50) */
export function sleepSync(ms: number): void {
  Atomics.wait(cell, 0, 0, ms);
}

/** The pause outside a window, without blocking the event loop. @example await sleep(50) */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
