/**
 * VERSION without the plugins. A runtime asks every plugin for VERSION before it uses it
 * (podman: VERSION, ADD, VERSION, DEL per container), and the answer depends only on the
 * plugin's name, so the build writes each name's exact reply into the launchers (the plain
 * bundle's and the single executable's) and they answer from that table without loading the
 * plugins' core. How an invocation names its plugin lives here too, shared with main.ts.
 */
import { writeSync } from 'node:fs';

/**
 * The plugin an invocation names and the arguments after that name, for main.ts and the
 * launchers alike: the invoked file (argv[1], also in a single executable), else the
 * executable itself (a single executable started through a link with another argv[0]), else
 * the first argument (`.tscni bridge`, `node main.js bridge`). `name` is unchecked in the
 * last case, so that an error can repeat it.
 *
 * @example invocation(['node', '/opt/cni/bin/dhcp', 'daemon'], '/usr/bin/node', known, basename) // { name: 'dhcp', rest: ['daemon'] }
 */
export function invocation(
  argv: readonly string[],
  execPath: string,
  known: (name: string) => boolean,
  base: (path: string) => string,
): { name: string | undefined; rest: string[] } {
  const invokedAs = [argv[1], execPath].map((p) => base(p ?? '')).find(known);
  return { name: invokedAs ?? argv[2], rest: argv.slice(invokedAs !== undefined ? 2 : 3) };
}

/**
 * The reply to print for this process when the fast path applies, else undefined (and the
 * plugins' core runs as usual). It applies only to a plain VERSION: CNI_COMMAND exactly
 * "VERSION" (the dispatcher needs nothing else for it, and reads no stdin), a known plugin
 * name found as main.ts finds it (the invoked file, the executable, or the first argument),
 * and no further arguments.
 *
 * @example versionReply({ CNI_COMMAND: 'VERSION' }, ['node', '/opt/cni/bin/ptp'], '/usr/bin/node', replies, basename)
 *   // '{"cniVersion":"1.1.0","supportedVersions":[...]}\n'
 */
export function versionReply(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[],
  execPath: string,
  replies: Readonly<Record<string, string>>,
  base: (path: string) => string,
): string | undefined {
  if (env['CNI_COMMAND'] !== 'VERSION') return undefined;
  const known = (n: string): boolean => Object.prototype.hasOwnProperty.call(replies, n);
  const { name, rest } = invocation(argv, execPath, known, base);
  // `dhcp daemon ...` and the like are subcommands, not the CNI protocol.
  if (name === undefined || !known(name) || rest.length > 0) return undefined;
  return replies[name];
}

/**
 * Prints this process's VERSION reply when the fast path applies; whether it did. A failed
 * write is left to the plugins' dispatcher, which reports it the way the reference does.
 *
 * @example if (!answerVersion(TABLE, basename)) runCore();
 */
export function answerVersion(replies: Readonly<Record<string, string>>, base: (path: string) => string): boolean {
  const reply = versionReply(process.env, process.argv, process.execPath, replies, base);
  if (reply === undefined) return false;
  try {
    writeSync(1, reply);
    return true;
  } catch {
    return false;
  }
}
