/**
 * Netfilter mechanism for the plugins: reference-exact names and comments, atomic idempotent
 * batches for iptables (iptables-restore) and nftables (nft -j), state reading, backend probes,
 * and the IP-masquerade rule sets built on them.
 */
export * from './addr.js';
export * from './apply.js';
export * from './errors.js';
export * from './firewall-rules.js';
export * from './iptables.js';
export * from './iptables-rule.js';
export * from './iptables-save.js';
export * from './masquerade.js';
export * from './names.js';
export * from './nft-expr.js';
export * from './nftables.js';
export * from './probe.js';
export * from './run.js';
