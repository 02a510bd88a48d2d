/**
 * loopback: brings `lo` up in the container (ADD) and down (DEL), as the reference does.
 * CNI_IFNAME is ignored. The result names `lo` with its first IPv4 and IPv6 addresses,
 * unless a previous plugin's result is passed through.
 */
import type { CmdArgs, Handlers } from '@tscni/skel';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { NetNS, NetNSPathError } from '@tscni/netlink/netns';
import { listAddrs } from '@tscni/netlink/rtnl/addr';
import { getLink, setLinkDown, setLinkUp } from '@tscni/netlink/rtnl/link';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import type { Result, Result100 } from '@tscni/spec/result-types';

const LO = 'lo';

function isLoopbackAddress(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}

function add(args: CmdArgs): Result {
  const result = withRtnlSocket({ netns: args.netns }, (rt) => {
    setLinkUp(rt, LO);
    const addrs = listAddrs(rt, { link: LO });
    for (const a of addrs) {
      if (!isLoopbackAddress(a.address)) throw new CniError(ErrorCode.Internal, `loopback interface found with non-loopback address "${a.address}"`);
    }
    const v4 = addrs.find((a) => a.family === 4);
    const v6 = addrs.find((a) => a.family === 6);
    const r: Result100 = {
      cniVersion: args.cniVersion,
      interfaces: [{ name: LO, mac: '00:00:00:00:00:00', sandbox: args.netns }],
      ips: [],
    };
    if (v4) r.ips!.push({ interface: 0, address: `${v4.address}/${v4.prefixLength}` });
    if (v6) r.ips!.push({ interface: 0, address: `${v6.address}/${v6.prefixLength}` });
    return r;
  });
  // A chained loopback changes nothing the result describes.
  return args.prevResult ?? { ...result, cniVersion: '1.1.0' };
}

function del(args: CmdArgs): void {
  if (args.netns === '') return;
  let ns: NetNS;
  try {
    ns = NetNS.open(args.netns);
  } catch (e) {
    if (e instanceof NetNSPathError) return; // already gone: nothing to undo
    throw e;
  }
  try {
    withRtnlSocket({ netns: ns }, (rt) => setLinkDown(rt, LO));
  } finally {
    ns.close();
  }
}

function check(args: CmdArgs): void {
  const up = withRtnlSocket({ netns: args.netns }, (rt) => getLink(rt, LO).flags.up);
  if (!up) throw new CniError(ErrorCode.Internal, 'loopback interface is down');
}

export const handlers: Handlers = { add, del, check };
