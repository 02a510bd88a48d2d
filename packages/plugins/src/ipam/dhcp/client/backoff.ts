/**
 * How long the client waits between attempts, as the reference's backoffRetry: the first four
 * retries after 2 s, then 4 s doubling up to resendMax, each with +-1 s of jitter; and how
 * often a renewal or rebinding request is repeated (RFC 2131 4.4.5).
 */

const FAST_DELAY_MS = 2000;
const FAST_RETRIES = 4;
const BASE_DELAY_MS = 4000;
const JITTER_MS = 1000;

/**
 * The wait after the `failures`-th failed attempt (1-based), `random()` in [0, 1).
 *
 * @example retryDelayMs(1, 62_000, () => 0.5) // 2000
 * @example retryDelayMs(6, 62_000, () => 0.5) // 8000
 */
export function retryDelayMs(failures: number, resendMaxMs: number, random: () => number): number {
  const base = failures <= FAST_RETRIES ? FAST_DELAY_MS : Math.min(resendMaxMs, BASE_DELAY_MS * 2 ** Math.min(30, failures - FAST_RETRIES - 1));
  return Math.max(0, base + (random() * 2 - 1) * JITTER_MS);
}

/** The RFC's floor between two renewal (or rebinding) requests. */
const RFC_MIN_RETRANSMIT_MS = 60_000;

/**
 * When to repeat a RENEWING (REBINDING) request sent at `now`: half the time left until T2
 * (expiry), but not sooner than 60 s, that floor scaled down to a 16th of the lease for short
 * leases; never later than `until`.
 *
 * @example nextRetransmitAt(0, 100_000, 3_600_000) // 60000
 */
export function nextRetransmitAt(now: number, until: number, leaseMs: number): number {
  const floor = Math.min(RFC_MIN_RETRANSMIT_MS, leaseMs / 16);
  return Math.min(until, now + Math.max(floor, (until - now) / 2));
}
