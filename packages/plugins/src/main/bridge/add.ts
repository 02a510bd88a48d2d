/**
 * Bridge ADD, in the reference's order: bridge, veth pair with the host end as a port, MAC
 * spoof check, IPAM, container addresses and routes, gateways on the bridge with forwarding,
 * masquerade, then the wait for the port and the result. A failure undoes what this ADD made
 * (IPAM lease, rules, veth, a bridge it created and nobody uses); shared state (gateway
 * addresses, forwarding, the `<bridge>.<vlan>` interface) stays, as it may serve others.
 */
import type { CmdArgs } from '@tscni/skel';
import { NetNS, withNetNS } from '@tscni/netlink/netns';
import { isNotFound } from '@tscni/netlink/rtnl/errors';
import { deleteLink, getLink, setLinkUp, type Link } from '@tscni/netlink/rtnl/link';
import { RtnlSocket, withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import { writeSysctl } from '@tscni/netlink/sysctl';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import type { Interface, Result100 } from '@tscni/spec/result-types';
import { ipamAdd, ipamDel } from '../../ipam-exec.js';
import { configureIface } from '../../net/configure-iface.js';
import { enableIPForward } from '../../net/forward.js';
import { setupVeth } from '../../net/veth.js';
import { setupIPMasq } from '../../netfilter/masquerade-ops.js';
import { teardownIPMasq } from '../../netfilter/masquerade-teardown.js';
import { applyNftBatch } from '../../netfilter/nftables.js';
import { loadBridgeConf, validateForAdd, type BridgeConf } from './config.js';
import { calcGateways } from './gateways.js';
import { attachPort, bridgePinMac, ensureAddr, ensureBridge, ensureVlanInterface, removeBridgeIfUnused, waitPortUp } from './host-side.js';
import { spoofCheckSetupBatch, spoofCheckTeardownBatch } from './spoofcheck.js';

/** Steps that undo this ADD's work, run newest first when a later step fails. */
type Undo = () => Promise<void> | void;

/** For best-effort steps: sysctls the reference ignores too, and undo after a failure. */
function ignoreErrors(fn: () => void): void {
  try {
    fn();
  } catch {
    // Nothing to add to the error being reported.
  }
}

function containerSysctls(conf: BridgeConf, ifName: string): void {
  if (conf.enabledad) {
    ignoreErrors(() => writeSysctl(`net/ipv6/conf/${ifName}/enhanced_dad`, '1'));
    ignoreErrors(() => writeSysctl(`net/ipv6/conf/${ifName}/accept_dad`, '1'));
  } else {
    // DAD on a fresh veth only delays the container; the reference turns it off.
    ignoreErrors(() => writeSysctl(`net/ipv6/conf/${ifName}/accept_dad`, '0'));
  }
  ignoreErrors(() => writeSysctl(`net/ipv4/conf/${ifName}/arp_notify`, '1'));
}

/** The gateways of both families onto the bridge (or the VLAN interface), with forwarding. */
function setupGateways(rt: RtnlSocket, conf: BridgeConf, bridge: Link, result: Result100, gateways: ReturnType<typeof calcGateways>): void {
  let vlanIface: Interface | undefined;
  for (const fam of gateways) {
    for (const gw of fam.gateways) {
      if (conf.vlan !== 0) {
        let link: Link;
        try {
          link = ensureVlanInterface(rt, bridge, conf.vlan, conf.preserveDefaultVlan);
        } catch (e) {
          throw new Error(`failed to create vlan interface: ${(e as Error).message}`, { cause: e });
        }
        if (!vlanIface) {
          vlanIface = { name: link.name, ...(link.mac ? { mac: link.mac } : {}) };
          result.interfaces!.push(vlanIface);
        }
        try {
          ensureAddr(rt, link, fam.family, gw.ip, gw.prefix, conf.forceAddress, link.mac);
        } catch (e) {
          throw new Error(`failed to set vlan interface for bridge with addr: ${(e as Error).message}`, { cause: e });
        }
      } else {
        try {
          ensureAddr(rt, bridge, fam.family, gw.ip, gw.prefix, conf.forceAddress, bridgePinMac(rt, bridge));
        } catch (e) {
          throw new Error(`failed to set bridge addr: ${(e as Error).message}`, { cause: e });
        }
      }
    }
    if (fam.gateways.length > 0) {
      try {
        enableIPForward([fam.family]);
      } catch (e) {
        throw new Error(`failed to enable forwarding: ${(e as Error).message}`, { cause: e });
      }
    }
  }
}

async function addWithUndo(args: CmdArgs, conf: BridgeConf, containerNS: NetNS, rt: RtnlSocket, undo: Undo[]): Promise<Result100> {
  const layer3 = conf.ipamType !== '';
  const br = ensureBridge(rt, { name: conf.bridge, mtu: conf.mtu, promisc: conf.promiscMode, vlanFiltering: conf.vlan !== 0 || conf.vlanTrunkGiven });
  if (br.created) undo.push(() => removeBridgeIfUnused(rt, conf.bridge));

  const pair = setupVeth({ containerNS, containerIfName: args.ifName, ...(conf.mtu ? { mtu: conf.mtu } : {}), ...(conf.mac ? { containerMac: conf.mac } : {}) });
  undo.push(() => withRtnlSocket({ netns: containerNS }, (crt) => ignoreErrors(() => deleteLink(crt, args.ifName))));
  attachPort(rt, pair.host.name, br.link, {
    hairpin: conf.hairpinMode,
    isolated: conf.portIsolation,
    vlan: conf.vlan,
    trunk: conf.trunkVlans,
    preserveDefaultVlan: conf.preserveDefaultVlan,
  });

  const hostIface: Interface = { name: pair.host.name, mac: getLink(rt, pair.host.name).mac ?? '' };
  const contIface: Interface = { name: pair.container.name, mac: pair.container.mac ?? '', sandbox: args.netns };
  const bridgeIface: Interface = { name: br.link.name, mac: br.link.mac ?? '' };
  const result: Result100 = { cniVersion: '1.1.0', interfaces: [bridgeIface, hostIface, contIface] };

  if (conf.macspoofchk) {
    try {
      applyNftBatch(spoofCheckSetupBatch(hostIface.name, contIface.mac!, args.containerID, args.ifName));
    } finally {
      // Registered even when the setup failed half-way: teardown removes whatever is there.
      undo.push(() => ignoreErrors(() => applyNftBatch(spoofCheckTeardownBatch(args.containerID, args.ifName))));
    }
  }

  if (layer3) {
    const ipam = await ipamAdd(args, conf.ipamType);
    undo.push(async () => {
      try {
        await ipamDel(args, conf.ipamType);
      } catch {
        // The lease is the IPAM plugin's to expire; the ADD error is what matters.
      }
    });
    result.ips = ipam.ips ?? [];
    result.routes = ipam.routes ?? [];
    if (ipam.dns) result.dns = ipam.dns;
    if (result.ips.length === 0) throw new Error('IPAM plugin returned missing IP config');
    const gateways = calcGateways(result, conf);

    withNetNS(containerNS, () => containerSysctls(conf, args.ifName));
    await configureIface(containerNS, args.ifName, result);

    if (conf.isGateway) setupGateways(rt, conf, br.link, result, gateways);

    if (conf.ipMasq) {
      const attachment = { network: conf.name, ifname: args.ifName, containerID: args.containerID };
      undo.push(() => ignoreErrors(() => teardownIPMasq(attachment)));
      setupIPMasq(conf.ipMasqBackend, { ...attachment, addresses: result.ips.map((ip) => ip.address) });
    }
  } else if (!conf.disableContainerInterface) {
    withRtnlSocket({ netns: containerNS }, (crt) => {
      let link: Link;
      try {
        link = getLink(crt, args.ifName);
      } catch (e) {
        throw new Error(`failed to retrieve link: ${(e as Error).message}`, { cause: e });
      }
      try {
        // Without addresses nothing else brings the container end up.
        setLinkUp(crt, link.index);
      } catch (e) {
        throw new Error(`failed to set "${args.ifName}" up: ${(e as Error).message}`, { cause: e });
      }
    });
  }

  const hostVeth = conf.disableContainerInterface ? getLink(rt, hostIface.name) : await waitPortUp(rt, hostIface.name);
  hostIface.mac = hostVeth.mac ?? hostIface.mac;
  bridgeIface.mac = getLink(rt, conf.bridge).mac ?? bridgeIface.mac;

  if (conf.dnsSet) result.dns = conf.dns;
  return result;
}

/**
 * The ADD handler.
 *
 * @example const result = await add(args) // { cniVersion: '1.1.0', interfaces: [cni0, vethXXXXXXXX, eth0], ips: [...] }
 */
export async function add(args: CmdArgs): Promise<Result100> {
  const conf = loadBridgeConf(args.stdinData, args.args);
  validateForAdd(conf);
  let containerNS: NetNS;
  try {
    containerNS = NetNS.open(args.netns);
  } catch (e) {
    throw new CniError(ErrorCode.Internal, `failed to open netns "${args.netns}": ${(e as Error).message}`);
  }
  let rt: RtnlSocket;
  try {
    rt = RtnlSocket.open({});
  } catch (e) {
    containerNS.close();
    throw e;
  }
  const undo: Undo[] = [];
  try {
    return await addWithUndo(args, conf, containerNS, rt, undo);
  } catch (e) {
    for (const step of undo.reverse()) {
      try {
        await step();
      } catch (u) {
        if (!isNotFound(u)) process.stderr.write(`bridge: undo after failed ADD: ${(u as Error).message}\n`);
      }
    }
    throw e;
  } finally {
    rt.close();
    containerNS.close();
  }
}
