/**
 * Test helpers for real namespaces and host state, following the platform notes' rules:
 * names unique to the run, cleanup even on failure, the host's own objects never touched.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (test files run from test/lib/...). */
export const repoRoot: string = process.env['TSCNI_ROOT'] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** A name unique to this run; `prefix` + hex, at most `max` characters (15 fits a link name). */
export function uniqueName(prefix: string, max = 15): string {
  return (prefix + randomBytes(8).toString('hex')).slice(0, max);
}

export function run(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Creates a named network namespace; returns its path under /run/netns. */
export function addNetns(name: string): string {
  run('ip', ['netns', 'add', name]);
  return `/run/netns/${name}`;
}

/** Deletes a namespace if it exists; never throws (used in cleanup). */
export function delNetns(name: string): void {
  if (existsSync(`/run/netns/${name}`)) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
}

/** Deletes a host link made by the test if it exists; never throws. */
export function delLink(name: string): void {
  spawnSync('ip', ['link', 'del', name], { stdio: 'ignore' });
}

export interface LinkInfo {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** `ip -j addr` in a namespace (or the host when ns is undefined). */
export function addresses(ns?: string): LinkInfo[] {
  const args = ns ? ['-n', ns, '-j', 'addr'] : ['-j', 'addr'];
  return JSON.parse(run('ip', args)) as LinkInfo[];
}

/** Names of the host's links. */
export function hostLinks(): string[] {
  return (JSON.parse(run('ip', ['-j', 'link'])) as LinkInfo[]).map((l) => l.ifname).sort();
}

/** iptables-save of every table without counters and comment lines, for before/after diffs. */
export function iptablesRules(): string[] {
  return run('iptables-save', [])
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
    // Table headers and built-in chain policies appear when a table is first used.
    .filter((l) => !/^\*|^COMMIT$|^:(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) /.test(l));
}
