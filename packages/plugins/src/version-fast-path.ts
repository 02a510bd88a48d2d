/**
 * VERSION without the plugins. A runtime asks every plugin for VERSION before it uses it
 * (podman: VERSION, ADD, VERSION, DEL per container), and the answer depends only on the
 * plugin's name, so the build writes each name's exact reply into the launchers (the plain
 * bundle's and the single executable's) and they answer from that table without loading the
 * plugins' core.
 */
import { writeSync } from 'node:fs';

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
  const has = (n: string | undefined): n is string => n !== undefined && Object.prototype.hasOwnProperty.call(replies, n);
  const invokedAs = [argv[1], execPath].map((p) => base(p ?? '')).find(has);
  const name = invokedAs ?? argv[2];
  if (!has(name)) return undefined;
  // `dhcp daemon ...` and the like are subcommands, not the CNI protocol.
  if (argv.length > (invokedAs !== undefined ? 2 : 3)) return undefined;
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
