/**
 * An iptables-save listing taken by a probe, handed to the next reader of the same table.
 * A plugin asks "does iptables work here?" (the reference's SupportsIPTables, portmap's
 * per-family usability check) right before it reads the table it will change; answering the
 * question with that very listing saves a tool run (a few milliseconds each, on every exec
 * that touches netfilter). A listing is given out once, and any iptables-restore through the
 * runner drops them all, so nothing reads state from before its own change.
 */
import type { IPFamily } from './addr.js';
import type { CommandRunner } from './run.js';

const listings = new WeakMap<CommandRunner, Map<string, string>>();

const key = (family: IPFamily, table: string): string => `${family}/${table}`;

/** Keeps `output` of `<family>-save -t <table>` for the next reader through `runner`. */
export function keepListing(runner: CommandRunner, family: IPFamily, table: string, output: string): void {
  let m = listings.get(runner);
  if (!m) listings.set(runner, (m = new Map()));
  m.set(key(family, table), output);
}

/** The kept listing of the table, if any, which is then gone. */
export function takeListing(runner: CommandRunner, family: IPFamily, table: string): string | undefined {
  const m = listings.get(runner);
  const out = m?.get(key(family, table));
  m?.delete(key(family, table));
  return out;
}

/** Forgets every kept listing of the runner: its tables are about to change. */
export function dropListings(runner: CommandRunner): void {
  listings.delete(runner);
}
