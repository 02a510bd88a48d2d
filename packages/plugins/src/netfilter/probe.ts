/**
 * Which backends work here, like the reference's SupportsIPTables/SupportsNFTables: one cheap
 * tool run each, remembered per runner (a plugin process asks at most once per backend; the
 * server forgets between requests).
 */
import { defaultRunner, type CommandRunner } from './run.js';
import { dropListings, keepListing } from './table-prefetch.js';

const iptablesCache = new WeakMap<CommandRunner, boolean>();
const nftablesCache = new WeakMap<CommandRunner, boolean>();

/**
 * Whether iptables (IPv4) works, as the reference's SupportsIPTables asks. It lists the nat
 * table where the reference lists filter's INPUT chain: every caller goes on to read the nat
 * table, which then uses this listing (table-prefetch.ts) instead of running the tool again.
 *
 * @example if (!supportsIPTables() && supportsNFTables()) backend = 'nftables';
 */
export function supportsIPTables(runner: CommandRunner = defaultRunner()): boolean {
  let ok = iptablesCache.get(runner);
  if (ok === undefined) {
    const r = runner.run('iptables-save', ['-t', 'nat']);
    ok = r.status === 0 && !r.error;
    if (ok) keepListing(runner, 'ipv4', 'nat', r.stdout);
    iptablesCache.set(runner, ok);
  }
  return ok;
}

/**
 * Whether nftables works here: a dry run (`nft --check`) of adding a table, which needs the
 * kernel's nf_tables and CAP_NET_ADMIN, as knftables.New does.
 *
 * @example supportsNFTables(netnsRunner('tscni-nf-1a2b')) // true
 */
export function supportsNFTables(runner: CommandRunner = defaultRunner()): boolean {
  let ok = nftablesCache.get(runner);
  if (ok === undefined) {
    const probe = JSON.stringify({ nftables: [{ add: { table: { family: 'ip', name: 'supports_nftables_test' } } }] });
    const r = runner.run('nft', ['--check', '-j', '-f', '-'], probe);
    ok = r.status === 0 && !r.error;
    nftablesCache.set(runner, ok);
  }
  return ok;
}

/**
 * Forgets what the runner's probes found and the listings they kept: a long-running process
 * (tscni-server) asks again for each request, as a plugin process would, so that neither a
 * passing failure nor an old listing outlives the request that saw it.
 *
 * @example forgetProbes() // at the start of every request
 */
export function forgetProbes(runner: CommandRunner = defaultRunner()): void {
  iptablesCache.delete(runner);
  nftablesCache.delete(runner);
  dropListings(runner);
}

/** Backend names as plugin configs spell them. */
export type NetfilterBackend = 'iptables' | 'nftables';

/**
 * The reference's default choice: iptables, unless only nftables works.
 *
 * @example const backend = config.backend ?? defaultBackend();
 */
export function defaultBackend(runner: CommandRunner = defaultRunner()): NetfilterBackend {
  return !supportsIPTables(runner) && supportsNFTables(runner) ? 'nftables' : 'iptables';
}
