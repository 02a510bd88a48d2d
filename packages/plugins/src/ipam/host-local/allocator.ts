/**
 * Choosing an address in a range set, as the reference's IPAllocator: a requested address if
 * one was asked for, else round-robin from the address after the range set's last reserved
 * one, skipping every range's gateway, until an address can be reserved or the set has been
 * gone round once.
 */
import type { IPConfig } from '@tscni/spec/result-types';
import { formatAddr, nextAddr, sameAddr, type Addr } from './addr.js';
import { rangeContains, rangeFor, rangeSetText, type Range, type RangeSet } from './range.js';
import type { StoreTx } from './store.js';

/** The reference's RangeIter: candidates in allocation order, each with its range. */
export class RangeIter {
  private rangeIdx = 0;
  private cur: Addr | undefined;
  private startIP: Addr | undefined;

  /**
   * @example new RangeIter(set, lastReserved).next()?.ip
   */
  constructor(
    private readonly set: RangeSet,
    lastReserved?: Addr,
  ) {
    const idx = lastReserved ? set.findIndex((r) => rangeContains(r, lastReserved)) : -1;
    if (idx >= 0) {
      this.rangeIdx = idx;
      // Every next() advances first, so the first candidate is the one after it.
      this.cur = lastReserved;
    } else {
      this.startIP = set[0]!.rangeStart;
    }
  }

  /** The next candidate, or undefined once the set has been gone round. @example iter.next() */
  next(): { ip: Addr; range: Range } | undefined {
    for (;;) {
      let r = this.set[this.rangeIdx]!;
      if (this.cur === undefined) {
        this.cur = r.rangeStart;
        this.startIP = this.cur;
      } else {
        if (sameAddr(this.cur, r.rangeEnd)) {
          this.rangeIdx = (this.rangeIdx + 1) % this.set.length;
          r = this.set[this.rangeIdx]!;
          this.cur = r.rangeStart;
        } else {
          this.cur = nextAddr(this.cur);
        }
        if (this.startIP === undefined) this.startIP = this.cur;
        else if (sameAddr(this.cur, this.startIP)) return undefined;
      }
      if (!sameAddr(this.cur, r.gateway)) return { ip: this.cur, range: r };
    }
  }
}

/** A reserved address and the result entry it makes. */
export interface Allocation {
  ip: Addr;
  config: IPConfig;
}

function allocation(ip: Addr, r: Range): Allocation {
  return { ip, config: { address: `${formatAddr(ip)}/${r.subnet.prefix}`, gateway: formatAddr(r.gateway) } };
}

/**
 * Reserves an address of range set `rangeID` for the attachment, holding the store's lock.
 * Errors carry the reference's messages.
 *
 * @example allocate(tx, set, 0, 'c1', 'eth0') // { ip, config: { address: '10.0.0.2/24', gateway: '10.0.0.1' } }
 */
export function allocate(tx: StoreTx, set: RangeSet, rangeID: number, containerID: string, ifName: string, requested?: Addr): Allocation {
  if (requested) {
    const r = rangeFor(set, requested);
    if (!r) throw new Error(`${formatAddr(requested)} not in range set ${rangeSetText(set)}`);
    if (sameAddr(requested, r.gateway)) throw new Error(`requested ip ${formatAddr(requested)} is subnet's gateway`);
    if (!tx.reserve(containerID, ifName, requested, rangeID)) {
      throw new Error(`requested IP address ${formatAddr(requested)} is not available in range set ${rangeSetText(set)}`);
    }
    return allocation(requested, r);
  }
  for (const held of tx.getByID(containerID, ifName)) {
    if (rangeFor(set, held)) throw new Error(`${formatAddr(held)} has been allocated to ${containerID}, duplicate allocation is not allowed`);
  }
  const iter = new RangeIter(set, tx.lastReservedIP(rangeID));
  for (let c = iter.next(); c; c = iter.next()) {
    // The index knows the taken addresses; O_EXCL in reserve() stays the final word.
    if (tx.isReserved(c.ip)) continue;
    if (tx.reserve(containerID, ifName, c.ip, rangeID)) return allocation(c.ip, c.range);
  }
  throw new Error(`no IP addresses available in range set: ${rangeSetText(set)}`);
}
