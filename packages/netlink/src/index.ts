/**
 * @tscni/netlink: the kernel layer of tscni: libc calls, network namespaces, sysctl and
 * rtnetlink, in TypeScript.
 */
export * from './sys-error.js';
export * from './libc.js';
export * from './netns.js';
export * from './sysctl.js';
export * from './tuntap.js';
export * from './rtnl/index.js';
