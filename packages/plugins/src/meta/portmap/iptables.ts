/**
 * portmap's iptables backend (reference portmap_iptables.go), table `nat` of each family:
 *
 *   PREROUTING, OUTPUT: -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
 *   CNI-HOSTPORT-DNAT:  -m comment --comment "dnat name: ..." -m multiport -p tcp --destination-ports 8080,8081 -j CNI-DN-<hash>
 *   CNI-DN-<hash>:      -p tcp --dport 8080 -s <container subnet> -j CNI-HOSTPORT-SETMARK   (hairpin)
 *                       -p tcp --dport 8080 -s 127.0.0.1 -j CNI-HOSTPORT-SETMARK            (localhost, IPv4)
 *                       -p tcp --dport 8080 -j DNAT --to-destination <container>:80
 *   CNI-HOSTPORT-SETMARK: -j MARK --set-xmark 0x2000/0x2000
 *   POSTROUTING (first): -j CNI-HOSTPORT-MASQ;  CNI-HOSTPORT-MASQ: -m mark --mark 0x2000/0x2000 -j MASQUERADE
 *
 * Names, words and comments are the reference's, so either implementation finds and removes
 * the other's rules. Unlike the reference, an ADD replaces the container's chain and entry
 * rules instead of adding to whatever an earlier ADD left there.
 */
import { ipFamily, parseIP, toIPv4 } from '@tscni/spec/ip';
import type { IPFamily } from '../../netfilter/addr.js';
import { IptablesBatch } from '../../netfilter/iptables.js';
import { missingIptablesRules } from '../../netfilter/iptables-check.js';
import { readIptablesTable } from '../../netfilter/iptables-save.js';
import { formatChainNameWithPrefix, truncateUtf8 } from '../../netfilter/names.js';
import type { CommandRunner } from '../../netfilter/run.js';
import type { ContainerNet, PortMapConf, PortMapping } from './config.js';

const NAT = 'nat';
export const TOP_LEVEL_DNAT_CHAIN = 'CNI-HOSTPORT-DNAT';
export const SETMARK_CHAIN = 'CNI-HOSTPORT-SETMARK';
export const MARK_MASQ_CHAIN = 'CNI-HOSTPORT-MASQ';
/** Older versions' per-container SNAT chains hung off this one; DEL still removes them. */
export const OLD_TOP_LEVEL_SNAT_CHAIN = 'CNI-HOSTPORT-SNAT';

const TOP_LEVEL_ENTRY = ['-m', 'addrtype', '--dst-type', 'LOCAL'];
const SETMARK_COMMENT = 'CNI portfwd masquerade mark';
const MASQ_ENTRY_COMMENT = 'CNI portfwd requiring masquerade';
/** multiport takes at most 15 ports per rule. */
const MULTIPORT_MAX = 15;

/**
 * The per-container chain: `CNI-DN-` + sha512(network + container ID), 28 characters.
 *
 * @example dnatChainName('ptpnet', 'p2') // 'CNI-DN-ee4b2e7c1655fdef64802'
 */
export function dnatChainName(network: string, containerID: string): string {
  return formatChainNameWithPrefix(network, containerID, 'DN-');
}

/**
 * The legacy per-container SNAT chain name, `CNI-SN-...`.
 *
 * @example oldSnatChainName('ptpnet', 'p2').startsWith('CNI-SN-') // true
 */
export function oldSnatChainName(network: string, containerID: string): string {
  return formatChainNameWithPrefix(network, containerID, 'SN-');
}

/**
 * The comment of the entry rules; unlike formatComment it is `%s`, not `%q`, and iptables'
 * limit of 255 bytes cuts it to 253 plus `...`.
 *
 * @example dnatComment('ptpnet', 'p2') // 'dnat name: "ptpnet" id: "p2"'
 */
export function dnatComment(network: string, containerID: string): string {
  const comment = `dnat name: "${network}" id: "${containerID}"`;
  return Buffer.byteLength(comment) <= 255 ? comment : truncateUtf8(comment, 253) + '...';
}

/**
 * Go's `%#x/%#x` of the mark bit.
 *
 * @example markDef(13) // '0x2000/0x2000'
 */
export function markDef(bit: number): string {
  const hex = '0x' + (2 ** bit).toString(16);
  return `${hex}/${hex}`;
}

function familyOf(net: ContainerNet): IPFamily {
  return net.family === 4 ? 'ipv4' : 'ipv6';
}

/** The family of a mapping's hostIP (checked to parse when the config was read). */
export function hostIPFamily(hostIP: string): 4 | 6 {
  const ip = parseIP(hostIP);
  return ip ? ipFamily(ip) : 6;
}

/** 0.0.0.0 or ::, which match every address and so add no `-d`. */
export function isUnspecified(hostIP: string): boolean {
  const ip = parseIP(hostIP);
  const v4 = ip && toIPv4(ip);
  return (v4 ?? ip ?? [1]).every((b) => b === 0);
}

/** The mappings the container's family serves: a hostIP of the other family is skipped. */
function mappingsFor(conf: PortMapConf, net: ContainerNet): PortMapping[] {
  return conf.portMappings.filter((pm) => pm.hostIP === '' || hostIPFamily(pm.hostIP) === net.family);
}

function ipPort(net: ContainerNet, port: number): string {
  return net.family === 6 ? `[${net.ip}]:${port}` : `${net.ip}:${port}`;
}

/**
 * The rules of the per-container chain, in the reference's order: per mapping the hairpin
 * and localhost marks (with snat), then the DNAT.
 *
 * @example dnatRules(conf, { family: 4, ip: '10.33.0.3', prefix: 24 })[2] // ['-p', 'tcp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '10.33.0.3:80']
 */
export function dnatRules(conf: PortMapConf, net: ContainerNet): string[][] {
  const setMark = conf.externalSetMarkChain ?? SETMARK_CHAIN;
  const rules: string[][] = [];
  for (const pm of mappingsFor(conf, net)) {
    const base = ['-p', pm.protocol, '--dport', String(pm.hostPort)];
    if (pm.hostIP !== '' && !isUnspecified(pm.hostIP)) base.push('-d', pm.hostIP);
    if (conf.snat) {
      const masqSource = conf.masqAll ? (net.family === 6 ? '::/0' : '0.0.0.0/0') : `${net.ip}/${net.prefix}`;
      rules.push([...base, '-s', masqSource, '-j', setMark]);
      if (net.family === 4 && !conf.masqAll) rules.push([...base, '-s', '127.0.0.1', '-j', setMark]);
    }
    rules.push([...base, '-j', 'DNAT', '--to-destination', ipPort(net, pm.containerPort)]);
  }
  return rules;
}

/**
 * The entry rules from CNI-HOSTPORT-DNAT into the container's chain: one per protocol (sorted)
 * and group of 15 ports. As in the reference, the ports are those of every mapping of the
 * protocol, whatever the family of its hostIP.
 *
 * @example dnatEntryRules(conf, net)[0] // ['-m', 'comment', '--comment', 'dnat name: "n" id: "c"', '-m', 'multiport', '-p', 'tcp', '--destination-ports', '8080', '-j', 'CNI-DN-...']
 */
export function dnatEntryRules(conf: PortMapConf, net: ContainerNet, containerID: string): string[][] {
  const chain = dnatChainName(conf.name, containerID);
  const comment = dnatComment(conf.name, containerID);
  const byProtocol = new Map<string, number[]>();
  for (const pm of conf.portMappings) byProtocol.set(pm.protocol, [...(byProtocol.get(pm.protocol) ?? []), pm.hostPort]);
  const conditions = (net.family === 6 ? conf.conditionsV6 : conf.conditionsV4) ?? [];
  const rules: string[][] = [];
  for (const protocol of [...byProtocol.keys()].sort()) {
    const ports = byProtocol.get(protocol)!;
    for (let i = 0; i < ports.length; i += MULTIPORT_MAX) {
      const list = ports.slice(i, i + MULTIPORT_MAX).join(',');
      rules.push(['-m', 'comment', '--comment', comment, '-m', 'multiport', '-p', protocol, '--destination-ports', list, ...conditions, '-j', chain]);
    }
  }
  return rules;
}

/**
 * Everything an ADD writes, for every container family, as one batch: the shared chains
 * (created once, their rules added once) and the container's chain and entry rules, replaced.
 *
 * @example applyIptablesBatch(portmapIptablesBatch(conf, 'ctr1'))
 */
export function portmapIptablesBatch(conf: PortMapConf, containerID: string): IptablesBatch {
  const batch = new IptablesBatch();
  const mark = markDef(conf.markMasqBit);
  for (const net of conf.containerNets) {
    const f = familyOf(net);
    // The DNAT rules jump to these chains, so they come first.
    if (conf.snat && conf.externalSetMarkChain === undefined) {
      batch
        .ensureChain(f, NAT, SETMARK_CHAIN)
        .append(f, NAT, SETMARK_CHAIN, ['-m', 'comment', '--comment', SETMARK_COMMENT, '-j', 'MARK', '--set-xmark', mark])
        .ensureChain(f, NAT, MARK_MASQ_CHAIN)
        .append(f, NAT, MARK_MASQ_CHAIN, ['-m', 'mark', '--mark', mark, '-j', 'MASQUERADE'])
        // First in POSTROUTING: the ptp and bridge masquerade rules would take the packet otherwise.
        .insert(f, NAT, 'POSTROUTING', ['-m', 'comment', '--comment', MASQ_ENTRY_COMMENT, '-j', MARK_MASQ_CHAIN]);
    }
    batch.ensureChain(f, NAT, TOP_LEVEL_DNAT_CHAIN);
    for (const entry of ['PREROUTING', 'OUTPUT']) batch.append(f, NAT, entry, [...TOP_LEVEL_ENTRY, '-j', TOP_LEVEL_DNAT_CHAIN]);
    const chain = dnatChainName(conf.name, containerID);
    batch.flushChain(f, NAT, chain);
    for (const rule of dnatRules(conf, net)) batch.append(f, NAT, chain, rule);
    batch.deleteRules(f, NAT, { chain: TOP_LEVEL_DNAT_CHAIN, target: chain });
    for (const rule of dnatEntryRules(conf, net, containerID)) batch.append(f, NAT, TOP_LEVEL_DNAT_CHAIN, rule);
  }
  return batch;
}

/**
 * What DEL removes in one family, found by name alone (no mappings or addresses needed):
 * every jump into the container's chain and the chain, and the same for the legacy SNAT chain.
 *
 * @example applyIptablesBatch(portmapIptablesTeardownBatch('ipv4', 'mynet', 'ctr1'))
 */
export function portmapIptablesTeardownBatch(family: IPFamily, network: string, containerID: string): IptablesBatch {
  const batch = new IptablesBatch();
  for (const chain of [dnatChainName(network, containerID), oldSnatChainName(network, containerID)]) {
    batch.deleteRules(family, NAT, { target: chain }).deleteChain(family, NAT, chain);
  }
  return batch;
}

/** Go's `%s` of a [][]string: `[[a b] [c d]]`. */
function goRules(rules: readonly (readonly string[])[]): string {
  return `[${rules.map((r) => `[${r.join(' ')}]`).join(' ')}]`;
}

/**
 * The reference's CHECK of one family: the container's chain exists and holds every expected
 * rule, and every entry rule is in CNI-HOSTPORT-DNAT. Returns the reference's message for the
 * first thing missing, or undefined.
 *
 * @example const problem = checkPortmapIptables(conf, net, 'ctr1', runner)
 */
export function checkPortmapIptables(conf: PortMapConf, net: ContainerNet, containerID: string, runner?: CommandRunner): string | undefined {
  const table = readIptablesTable(familyOf(net), NAT, runner);
  const chain = dnatChainName(conf.name, containerID);
  if (!table.hasChain(chain)) return `chain ${chain} not found in iptables table ${NAT}`;
  const rules = dnatRules(conf, net);
  if (missingIptablesRules(table, chain, rules).length > 0) return `rule ${goRules(rules)} in chain ${chain} not found in table ${NAT}`;
  const entries = dnatEntryRules(conf, net, containerID);
  if (missingIptablesRules(table, TOP_LEVEL_DNAT_CHAIN, entries).length > 0) {
    // The reference prints the entry rules without their jump.
    return `rule ${goRules(entries.map((r) => r.slice(0, -2)))} in chain ${TOP_LEVEL_DNAT_CHAIN} not found in table ${NAT}`;
  }
  return undefined;
}
