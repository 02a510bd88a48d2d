/**
 * Bridge CHECK: the reference's checks of the previous result (the bridge with its MAC and
 * promiscuous mode, the container veth with its MAC, the host veth that is its peer and a port
 * of the bridge, the container's addresses and routes), and beyond the reference what else ADD
 * made: the port's hairpin and isolation settings, the gateway addresses, the masquerade
 * rules and the MAC spoof check. A layer-2 network (no IPAM) is checked without calling an
 * IPAM plugin; the reference fails it with "no plugin name provided".
 */
import type { CmdArgs } from '@tscni/skel';
import { NetNS } from '@tscni/netlink/netns';
import { listAddrs } from '@tscni/netlink/rtnl/addr';
import { getLink, type Link } from '@tscni/netlink/rtnl/link';
import { withRtnlSocket, type RtnlSocket } from '@tscni/netlink/rtnl/socket';
import { canonicalIP, parseCIDR } from '@tscni/spec/ip';
import { toCurrentResult } from '@tscni/spec/result-convert';
import type { Interface, Result100 } from '@tscni/spec/result-types';
import { ipamCheck } from '../../ipam-exec.js';
import { validateExpectedInterfaceIPs, validateExpectedRoutes } from '../../net/validate.js';
import { missingIPMasq } from '../../netfilter/masquerade-ops.js';
import { loadBridgeConf, type BridgeConf } from './config.js';
import { missingSpoofCheck } from './spoofcheck.js';

/** The reference's validateInterface: the link by name, in or out of a sandbox as expected. */
function lookup(rt: RtnlSocket, intf: Interface | undefined, inSandbox: boolean): Link {
  if (!intf || intf.name === '') throw new Error('Interface name missing ');
  let link: Link;
  try {
    link = getLink(rt, intf.name);
  } catch {
    throw new Error(`Interface name ${intf.name} not found`);
  }
  const sandbox = intf.sandbox ?? '';
  if (inSandbox && sandbox === '') throw new Error(`Interface ${intf.name} is expected to be in a sandbox`);
  if (!inSandbox && sandbox !== '') throw new Error(`Interface ${intf.name} should not be in sandbox`);
  return link;
}

function checkBridge(rt: RtnlSocket, intf: Interface | undefined, conf: BridgeConf): Link {
  const link = lookup(rt, intf, false);
  if (link.kind !== 'bridge') throw new Error(`Interface ${link.name} does not have link type of bridge`);
  if (intf!.mac && intf!.mac !== link.mac) throw new Error(`Bridge interface ${link.name} Mac doesn't match: ${intf!.mac}`);
  const promisc = link.flags.promisc;
  if (promisc !== conf.promiscMode) {
    throw new Error(`Bridge interface ${link.name} configured Promisc Mode ${conf.promiscMode} doesn't match current state: ${promisc} `);
  }
  return link;
}

function checkContainerVeth(rt: RtnlSocket, intf: Interface | undefined): Link {
  const link = lookup(rt, intf, true);
  if (link.kind !== 'veth') throw new Error(`Error: Container interface ${link.name} not of type veth`);
  if (link.parentIndex === undefined) throw new Error(`Unable to obtain veth peer index for veth ${link.name}`);
  if (intf!.mac && intf!.mac !== link.mac) throw new Error(`Interface ${link.name} Mac ${intf!.mac} doesn't match container Mac: ${link.mac}`);
  return link;
}

/** The host veth among the other result interfaces: peer of the container's, port of the bridge. */
function findHostVeth(rt: RtnlSocket, result: Result100, skip: readonly string[], bridge: Link, cont: Link): Link | undefined {
  for (const intf of result.interfaces ?? []) {
    if (skip.includes(intf.name)) continue;
    const link = lookup(rt, intf, false);
    if (link.kind !== 'veth') continue; // not what ADD made
    if (link.parentIndex === undefined) throw new Error(`Unable to obtain veth peer index for veth ${link.name}`);
    if (link.index !== cont.parentIndex || cont.index !== link.parentIndex || link.masterIndex !== bridge.index) continue;
    if (intf.mac && intf.mac !== link.mac) throw new Error(`Interface ${intf.name} Mac doesn't match: ${intf.mac} not found`);
    return link;
  }
  return undefined;
}

function checkPort(port: Link, conf: BridgeConf): void {
  const p = port.bridgePort ?? {};
  if ((p.hairpin ?? false) !== conf.hairpinMode) throw new Error(`bridge port ${port.name} has hairpin mode ${p.hairpin ?? false}, configured ${conf.hairpinMode}`);
  if ((p.isolated ?? false) !== conf.portIsolation) throw new Error(`bridge port ${port.name} has isolation ${p.isolated ?? false}, configured ${conf.portIsolation}`);
}

/** With isGateway, every result gateway is on the bridge (or the VLAN interface) with its prefix. */
function checkGateways(rt: RtnlSocket, result: Result100, conf: BridgeConf): void {
  const holder = conf.vlan !== 0 ? `${conf.bridge}.${conf.vlan}` : conf.bridge;
  for (const ipc of result.ips ?? []) {
    if (ipc.gateway === undefined) continue;
    const c = parseCIDR(ipc.address);
    if (!c) continue;
    const prefix = c.ip.length === 16 && ipc.address.includes('.') ? c.prefix - 96 : c.prefix;
    const gw = canonicalIP(ipc.gateway);
    let addrs;
    try {
      addrs = listAddrs(rt, { link: holder });
    } catch {
      throw new Error(`gateway interface ${holder} not found`);
    }
    if (!addrs.some((a) => canonicalIP(a.address) === gw && a.prefixLength === prefix)) throw new Error(`gateway ${ipc.gateway}/${prefix} not found on ${holder}`);
  }
}

function checkMasquerade(result: Result100, conf: BridgeConf, args: CmdArgs): void {
  const attachment = { network: conf.name, ifname: args.ifName, containerID: args.containerID };
  const addresses = (result.ips ?? []).map((ip) => ip.address);
  const missing = missingIPMasq(conf.ipMasqBackend, { ...attachment, addresses });
  if (missing) throw new Error(`ipMasq: ${missing}`);
}

/**
 * The CHECK handler.
 *
 * @example await check(args)
 */
export async function check(args: CmdArgs): Promise<void> {
  const conf = loadBridgeConf(args.stdinData, args.args);
  let ns: NetNS;
  try {
    ns = NetNS.open(args.netns);
  } catch (e) {
    throw new Error(`failed to open netns "${args.netns}": ${(e as Error).message}`, { cause: e });
  }
  try {
    if (conf.ipamType !== '') await ipamCheck(args, conf.ipamType);
    const prev = args.prevResult;
    if (!prev) throw new Error('Required prevResult missing');
    const result = toCurrentResult(prev);
    const interfaces = result.interfaces ?? [];
    const brMap = interfaces.find((i) => i.name === conf.bridge);
    const contMap = interfaces.find((i) => i.name !== conf.bridge && i.name === args.ifName && i.sandbox === args.netns);

    const hostVeth = withRtnlSocket({}, (rt) => {
      const bridge = checkBridge(rt, brMap, conf);
      if (args.netns !== (contMap?.sandbox ?? '')) throw new Error(`Sandbox in prevResult ${contMap?.sandbox ?? ''} doesn't match configured netns: ${args.netns}`);
      const cont = withRtnlSocket({ netns: ns }, (crt) => checkContainerVeth(crt, contMap));
      const veth = findHostVeth(rt, result, [brMap!.name, contMap!.name], bridge, cont);
      if (!veth) throw new Error(`CNI veth created for bridge ${conf.bridge} was not found`);
      checkPort(veth, conf);
      if (conf.isGateway) checkGateways(rt, result, conf);
      return veth.name;
    });

    withRtnlSocket({ netns: ns }, (crt) => {
      validateExpectedInterfaceIPs(crt, args.ifName, result.ips ?? []);
      validateExpectedRoutes(crt, result.routes ?? []);
    });

    if (conf.ipamType !== '' && conf.ipMasq) checkMasquerade(result, conf, args);
    if (conf.macspoofchk) {
      const missing = missingSpoofCheck(hostVeth, contMap?.mac ?? '', args.containerID, args.ifName);
      if (missing) throw new Error(`macspoofchk: ${missing}`);
    }
  } finally {
    ns.close();
  }
}
