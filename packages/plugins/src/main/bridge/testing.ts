/**
 * What the bridge plugin's kernel tests share: the network's config and readers of the
 * scratch namespaces' state through `ip -json` and friends.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import type { Sandbox } from '../../testing/sandbox.js';

export const NAME = 'tscnibr';
/** Unique per run, although it lives in a scratch namespace. */
export const BR = `tbr${randomBytes(3).toString('hex')}`;

export function conf(sb: Sandbox, extra: Record<string, unknown> = {}, ipam: Record<string, unknown> | null = {}): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: NAME,
    type: 'bridge',
    bridge: BR,
    ...(ipam === null ? {} : { ipam: { type: 'host-local', subnet: '10.88.0.0/24', dataDir: join(sb.dir, 'ipam'), ...ipam } }),
    ...extra,
  };
}

export interface IpLink {
  ifname: string;
  mtu: number;
  address: string;
  flags: string[];
  promiscuity?: number;
  operstate: string;
  master?: string;
  linkinfo?: { info_kind?: string; info_slave_data?: { hairpin?: boolean; isolated?: boolean } };
}
export const ipJson = <T>(ns: ScratchNetns, args: string[]): T => JSON.parse(ns.exec('ip', ['-json', ...args]) || '[]') as T;
export const link = (ns: ScratchNetns, name: string): IpLink | undefined => ipJson<IpLink[]>(ns, ['-d', 'link', 'show']).find((l) => l.ifname === name);
export const addrs = (ns: ScratchNetns, dev: string): string[] =>
  ipJson<{ addr_info: { local: string; prefixlen: number; scope: string }[] }[]>(ns, ['addr', 'show', 'dev', dev])
    .flatMap((a) => a.addr_info)
    .filter((i) => i.scope === 'global')
    .map((i) => `${i.local}/${i.prefixlen}`);
export const veths = (ns: ScratchNetns): string[] => ipJson<IpLink[]>(ns, ['link', 'show']).map((l) => l.ifname).filter((n) => /^veth[0-9a-f]{8}$/.test(n));
export const sysctl = (ns: ScratchNetns, key: string): string => ns.exec('cat', [`/proc/sys/${key}`]).trim();
export const reserved = (sb: Sandbox): string[] => {
  const d = join(sb.dir, 'ipam', NAME);
  return existsSync(d) ? readdirSync(d).filter((f) => /^[0-9a-f.:]+$/.test(f)) : [];
};
export const rules = (sb: Sandbox): string => sb.host.exec('iptables-save', ['-t', 'nat']) + sb.host.exec('ip6tables-save', ['-t', 'nat']) + sb.host.exec('nft', ['list', 'ruleset']);
export const ping = (from: ScratchNetns, to: string): boolean => {
  try {
    from.exec('ping', ['-c1', '-W1', to]);
    return true;
  } catch {
    return false;
  }
};
