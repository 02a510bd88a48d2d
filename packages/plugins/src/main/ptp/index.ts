/**
 * ptp: a veth pair per container, routed point to point through the host (reference §2.4).
 * The container end gets the IPAM addresses, but its subnet is reached through the gateway
 * (`<net> via <gw>`, `<gw> dev eth0 scope link`), so every packet goes to the host; the host
 * end carries each gateway as a /32 (/128) and a host route to the container address. With
 * `ipMasq`, traffic from the container to outside its subnet is masqueraded.
 */
import { parseConfig, type CmdArgs, type Handlers } from '@tscni/skel';
import type { NetNS } from '@tscni/netlink/netns';
import { addAddr } from '@tscni/netlink/rtnl/addr';
import { isExists, isNotFound } from '@tscni/netlink/rtnl/errors';
import { getLink } from '@tscni/netlink/rtnl/link';
import { addRoute, deleteRoute } from '@tscni/netlink/rtnl/route';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import { formatIP, ipFamily, parseCIDR } from '@tscni/spec/ip';
import { toCurrentResult } from '@tscni/spec/result-convert';
import type { Result, Result100 } from '@tscni/spec/result-types';
import { readConfigDNS } from '../../conf/dns.js';
import { ipamAdd, ipamCheck, ipamDel, ipamStatus } from '../../ipam-exec.js';
import { configureIface } from '../../net/configure-iface.js';
import { removeContainerLink } from '../../net/container-link.js';
import { enableIPForward, familiesOf } from '../../net/forward.js';
import { validateExpectedInterfaceIPs, validateExpectedRoutes, networkOf } from '../../net/validate.js';
import { setupVeth } from '../../net/veth.js';
import { applyNetfilterBatch } from '../../netfilter/apply.js';
import { ipMasqBatch, type MasqAttachment } from '../../netfilter/masquerade.js';
import { teardownIPMasq } from '../../netfilter/masquerade-teardown.js';
import { defaultBackend } from '../../netfilter/probe.js';
import { openNetns } from '../../net/container-netns.js';

const RT_SCOPE_LINK = 253;
const RT_SCOPE_HOST = 254;

function loadConf(args: CmdArgs) {
  return parseConfig(args.stdinData, (c) => ({
    ipMasq: c.boolean('ipMasq', false),
    ipMasqBackend: c.has('ipMasqBackend') ? c.oneOf('ipMasqBackend', ['iptables', 'nftables'] as const) : undefined,
    mtu: c.integer('mtu', { min: 0 }, 0),
    // ptp has no L2 mode: without IPAM there is nothing to route.
    ipamType: c.string('ipam.type'),
    configDNS: readConfigDNS(c),
  }));
}

/** The host-bits-free address and the host prefix length of an IPAM address. */
function hostOf(address: string): { ip: string; bits: 32 | 128 } {
  const c = parseCIDR(address);
  if (!c) throw new Error(`invalid IP address from IPAM: ${address}`);
  return { ip: formatIP(c.ip), bits: ipFamily(c.ip) === 4 ? 32 : 128 };
}

/**
 * In the container, after configureIface: the kernel's `<net> dev eth0` route is replaced by
 * one through the gateway, and the gateway itself is made reachable on the link.
 */
function routeThroughGateway(ns: NetNS, ifName: string, result: Result100): void {
  withRtnlSocket({ netns: ns }, (rt) => {
    const oif = getLink(rt, ifName).index;
    for (const ipc of result.ips ?? []) {
      const { ip, bits } = hostOf(ipc.address);
      if (ipc.gateway === undefined) throw new Error(`IPAM returned no gateway for ${ipc.address}; ptp routes through it`);
      const net = networkOf(ipc.address);
      try {
        deleteRoute(rt, { dst: net, oif });
      } catch (e) {
        throw new Error(`failed to delete route ${net} dev ${ifName}: ${(e as Error).message}`, { cause: e });
      }
      const routes = [
        { dst: `${ipc.gateway}/${bits}`, oif, scope: RT_SCOPE_LINK, prefsrc: ip },
        { dst: net, oif, gateway: ipc.gateway, prefsrc: ip },
      ];
      for (const r of routes) {
        try {
          addRoute(rt, r);
        } catch (e) {
          const via = r.gateway ? ` via ${r.gateway}` : '';
          throw new Error(`failed to add route ${r.dst}${via} dev ${ifName} src ${ip}: ${(e as Error).message}`, { cause: e });
        }
      }
    }
  });
}

/** On the host end: each gateway as a host address, and a host route to each container address. */
function setupHostVeth(hostVeth: string, result: Result100): void {
  withRtnlSocket({}, (rt) => {
    let index: number;
    try {
      index = getLink(rt, hostVeth).index;
    } catch (e) {
      throw new Error(`failed to lookup ${JSON.stringify(hostVeth)}: ${(e as Error).message}`, { cause: e });
    }
    for (const ipc of result.ips ?? []) {
      const { ip, bits } = hostOf(ipc.address);
      try {
        addAddr(rt, index, { address: ipc.gateway!, prefixLength: bits });
      } catch (e) {
        throw new Error(`failed to add IP addr ${ipc.gateway}/${bits} to veth: ${(e as Error).message}`, { cause: e });
      }
      try {
        addRoute(rt, { dst: `${ip}/${bits}`, oif: index, scope: RT_SCOPE_HOST });
      } catch (e) {
        if (!isExists(e)) throw new Error(`failed to add route on host: ${(e as Error).message}`, { cause: e });
      }
    }
  });
}

async function add(args: CmdArgs): Promise<Result> {
  const conf = loadConf(args);
  const ns = openNetns(args.netns);
  const attachment: MasqAttachment = { network: conf.name, ifname: args.ifName, containerID: args.containerID };
  let vethMade = false;
  let masqMade = false;
  try {
    const result = await ipamAdd(args, conf.ipamType);
    try {
      if ((result.ips ?? []).length === 0) throw new Error('IPAM plugin returned missing IP config');
      const addresses = result.ips!.map((ipc) => ipc.address);
      try {
        enableIPForward(familiesOf(addresses));
      } catch (e) {
        throw new Error(`Could not enable IP forwarding: ${(e as Error).message}`, { cause: e });
      }
      const veth = setupVeth({ containerNS: ns, containerIfName: args.ifName, ...(conf.mtu > 0 ? { mtu: conf.mtu } : {}) });
      vethMade = true;
      const out: Result100 = {
        ...result,
        cniVersion: '1.1.0',
        interfaces: [
          { name: veth.host.name, mac: veth.host.mac ?? '' },
          { name: veth.container.name, mac: veth.container.mac ?? '', sandbox: args.netns },
        ],
        ips: result.ips!.map((ipc) => ({ ...ipc, interface: 1 })),
      };
      await configureIface(ns, args.ifName, out);
      routeThroughGateway(ns, args.ifName, out);
      setupHostVeth(veth.host.name, out);
      if (conf.ipMasq) {
        masqMade = true;
        applyNetfilterBatch(ipMasqBatch(conf.ipMasqBackend ?? defaultBackend(), { ...attachment, addresses }));
      }
      if (conf.configDNS.set) out.dns = conf.configDNS.dns;
      return out;
    } catch (e) {
      // Undo in reverse, keeping the first error: the addresses go back to the pool last.
      if (masqMade) ignoreFailure(() => teardownIPMasq(attachment));
      if (vethMade) ignoreFailure(() => removeContainerLink(args.netns, args.ifName));
      await ipamDel(args, conf.ipamType).catch(() => undefined);
      throw e;
    }
  } finally {
    ns.close();
  }
}

function ignoreFailure(undo: () => unknown): void {
  try {
    undo();
  } catch {
    // The error that made us undo is the one worth reporting.
  }
}

async function del(args: CmdArgs): Promise<void> {
  const conf = loadConf(args);
  await ipamDel(args, conf.ipamType);
  if (args.netns !== '') removeContainerLink(args.netns, args.ifName);
  // The rules are found by name and comment, not by the link's addresses, so they go even when
  // the namespace went first (the reference leaks them then).
  if (conf.ipMasq) teardownIPMasq({ network: conf.name, ifname: args.ifName, containerID: args.containerID });
}

async function check(args: CmdArgs): Promise<void> {
  const conf = loadConf(args);
  const ns = openNetns(args.netns);
  try {
    await ipamCheck(args, conf.ipamType);
    const prev = args.prevResult;
    if (prev === undefined) throw new Error('ptp: Required prevResult missing');
    const result = toCurrentResult(prev);
    const cont = (result.interfaces ?? []).find((i) => i.name === args.ifName && i.sandbox === args.netns);
    if (cont === undefined) throw new Error(`Sandbox in prevResult  doesn't match configured netns: ${args.netns}`);
    withRtnlSocket({ netns: ns }, (rt) => {
      let link;
      try {
        link = getLink(rt, cont.name);
      } catch (e) {
        if (isNotFound(e)) throw new Error(`ptp: Container Interface name in prevResult: ${cont.name} not found`);
        throw e;
      }
      if (link.kind !== 'veth') throw new Error(`Error: Container interface ${link.name} not of type veth/p2p`);
      if (cont.mac && cont.mac !== link.mac) {
        throw new Error(`ptp: Interface ${cont.name} Mac ${cont.mac} doesn't match container Mac: ${link.mac ?? ''}`);
      }
      validateExpectedInterfaceIPs(rt, args.ifName, result.ips ?? []);
      validateExpectedRoutes(rt, result.routes ?? []);
    });
  } finally {
    ns.close();
  }
}

async function status(args: CmdArgs): Promise<void> {
  await ipamStatus(args, loadConf(args).ipamType);
}

export const handlers: Handlers = { add, del, check, status };
