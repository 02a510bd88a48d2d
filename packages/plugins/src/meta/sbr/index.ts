/**
 * sbr: source-based routing for an interface the previous plugin set up (reference §4.5).
 * ADD gives each of the interface's addresses a `from <ip> lookup <table>` rule and moves the
 * interface's routes into that table, or with `table` adds only the rules; DEL removes the
 * rules of the addresses the interface still has; CHECK has nothing to verify. The result is
 * the prevResult.
 *
 * As the reference does, the work holds an flock on the namespace's file, so that two sbr
 * runs in one namespace do not pick the same table. Unlike the reference, the lock never
 * creates that file: a DEL whose namespace is gone succeeds instead of leaving a stray file
 * at the path and failing.
 */
import type { CmdArgs, Handlers } from '@tscni/skel';
import { NetNS, NetNSPathError } from '@tscni/netlink/netns';
import { LOCK_EX, libc } from '@tscni/netlink/libc';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import type { RtnlSocket } from '@tscni/netlink/rtnl/socket';
import type { Result } from '@tscni/spec/result-types';
import { chainedResult, loadSbrConf, loadSbrTable, sourceAddresses } from './config.js';
import { routeBySource, rulesIntoTable, tidyRules } from './routing.js';

/**
 * Runs `fn` with a socket in the namespace at `path`, holding the namespace file's flock (the
 * reference's lock, so it also keeps the Go plugin out). Closing the namespace releases it.
 */
function withLockedNetns<T>(ns: NetNS, fn: (rt: RtnlSocket) => T): T {
  libc().flock(ns.fd, LOCK_EX);
  return withRtnlSocket({ netns: ns }, fn);
}

/** The namespace, or the reference's message (`failed to Statfs "<path>": ...`) when it cannot be opened. */
function openContainerNetns(path: string): NetNS {
  try {
    return NetNS.open(path);
  } catch (e) {
    if (e instanceof NetNSPathError) throw new Error(e.message, { cause: e });
    throw e;
  }
}

function add(args: CmdArgs): Result {
  const conf = loadSbrConf(args);
  const prev = chainedResult(args);
  const addresses = sourceAddresses(args.ifName, prev);
  const ns = openContainerNetns(args.netns);
  try {
    withLockedNetns(ns, (rt) => {
      if (conf.table !== undefined) rulesIntoTable(rt, addresses, conf.table);
      else routeBySource(rt, args.ifName, addresses, conf, (m) => process.stderr.write(`${m}\n`));
    });
  } finally {
    ns.close();
  }
  return args.prevResult!;
}

function del(args: CmdArgs): void {
  const table = loadSbrTable(args);
  // Nothing is left to tidy once the namespace is gone: the rules went with it.
  if (args.netns === '') return;
  let ns: NetNS;
  try {
    ns = NetNS.open(args.netns);
  } catch (e) {
    if (e instanceof NetNSPathError && e.code === 'ENOENT') return;
    throw e instanceof NetNSPathError ? new Error(e.message, { cause: e }) : e;
  }
  try {
    withLockedNetns(ns, (rt) => tidyRules(rt, args.ifName, table));
  } finally {
    ns.close();
  }
}

export const handlers: Handlers = {
  add,
  del,
  // The reference checks nothing: the routes it moved are no longer where CHECK of the main plugin looks.
  check: () => undefined,
};
