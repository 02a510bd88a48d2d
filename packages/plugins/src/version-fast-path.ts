/**
 * VERSION without the plugins. A runtime asks every plugin for VERSION before it uses it
 * (podman: VERSION, ADD, VERSION, DEL per container), and the answer depends only on the
 * plugin's name, so the build writes each name's exact reply into the launcher and the
 * launcher answers from that table without loading the plugins' bundle.
 */

/** The invoked plugin's name, as main.ts finds it: the file's name, else the first argument. */
export function invokedPlugin(argv: readonly string[], known: (name: string) => boolean, base: (path: string) => string): string | undefined {
  const invokedAs = base(argv[1] ?? '');
  if (known(invokedAs)) return invokedAs;
  const named = argv[2];
  return named !== undefined && known(named) ? named : undefined;
}

/**
 * The reply to print for this process when the fast path applies, else undefined (and the
 * plugins' bundle runs as usual). It applies only to a plain VERSION: CNI_COMMAND exactly
 * "VERSION" (the dispatcher needs nothing else for it, and reads no stdin), a known plugin
 * name, and no subcommand arguments.
 *
 * @example versionReply({ CNI_COMMAND: 'VERSION' }, ['node', '/opt/cni/bin/ptp'], replies, basename)
 *   // '{"cniVersion":"1.1.0","supportedVersions":[...]}\n'
 */
export function versionReply(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[],
  replies: Readonly<Record<string, string>>,
  base: (path: string) => string,
): string | undefined {
  if (env['CNI_COMMAND'] !== 'VERSION') return undefined;
  const has = (n: string): boolean => Object.prototype.hasOwnProperty.call(replies, n);
  const name = invokedPlugin(argv, has, base);
  if (name === undefined) return undefined;
  // `dhcp daemon ...` and the like are subcommands, not the CNI protocol.
  const rest = argv.slice(base(argv[1] ?? '') === name ? 2 : 3);
  if (rest.length > 0) return undefined;
  return replies[name];
}
