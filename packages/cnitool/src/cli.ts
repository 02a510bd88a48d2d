/**
 * The command line of cnitool: the reference's commands and environment, plus `version` and
 * `--json`. Parsing is separate from running so that both can be tested without a process.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { parseJsonObject } from '@tscni/spec/gojson';

export type NetworkCommand = 'add' | 'check' | 'del' | 'gc' | 'status';

export type Invocation =
  | { kind: 'help' }
  | { kind: 'network'; command: NetworkCommand; network: string; netns: string; ifName: string; json: boolean }
  | { kind: 'version'; plugin: string; json: boolean }
  | { kind: 'install'; dir: string; sea: boolean };

export const USAGE = `Usage: cnitool <command> [flags]

Commands:
  add     <network> <netns>   add the container in <netns> to <network>
  check   <network> <netns>   check the attachment of <netns> to <network>
  del     <network> <netns>   remove the container in <netns> from <network>
  gc      <network> <netns>   remove every cached attachment of <network> (netns unused)
  status  <network> <netns>   ask every plugin of <network> whether it is ready (netns unused)
  version <plugin>            print the CNI versions a plugin supports
  install [--sea] <dir>       install tscni's plugins into <dir> (e.g. /opt/cni/bin);
                              --sea: the single executable of npm run build:sea

Flags:
  -i, --ifname IFNAME   interface name (defaults to env var CNI_IFNAME or 'eth0')
  --json                print results and errors as JSON on stdout
  -h, --help            this text

Environment:
  NETCONFPATH   directory of network configurations (default /etc/cni/net.d)
  CNI_PATH      plugin directories, ':'-separated
  CAP_ARGS      capability arguments as a JSON object (e.g. {"portMappings":[...]})
  CNI_ARGS      extra arguments, K1=V1;K2=V2
  CNI_IFNAME    interface name when --ifname is not given
  CNI_CACHE_DIR result cache directory (default /var/lib/cni; a tscni extension)
`;

/** A usage error: printed with the usage text. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const NETWORK_COMMANDS: readonly string[] = ['add', 'check', 'del', 'gc', 'status'];

/**
 * Reads argv (without the node and script paths) and the environment.
 *
 * @example parseInvocation(['add', 'mynet', '/run/netns/c1'], {}) // { kind: 'network', ifName: 'eth0', ... }
 */
export function parseInvocation(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Invocation {
  const positional: string[] = [];
  let ifName: string | undefined;
  let json = false;
  let sea = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') return { kind: 'help' };
    if (a === '--json') json = true;
    else if (a === '--sea') sea = true;
    else if (a === '-i' || a === '--ifname') {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`flag needs an argument: ${a}`);
      ifName = v;
    } else if (a.startsWith('--ifname=')) ifName = a.slice('--ifname='.length);
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown flag: ${a}`);
    else positional.push(a);
  }
  const [command, ...rest] = positional;
  if (command === undefined || command === 'help') return { kind: 'help' };
  if (sea && command !== 'install') throw new UsageError('--sea only applies to install');
  if (command === 'version') {
    if (rest.length < 1) throw new UsageError('version requires a plugin name');
    return { kind: 'version', plugin: rest[0]!, json };
  }
  if (command === 'install') {
    if (rest.length < 1) throw new UsageError('install requires a target directory');
    return { kind: 'install', dir: rest[0]!, sea };
  }
  if (!NETWORK_COMMANDS.includes(command)) throw new UsageError(`unknown command "${command}"`);
  // Like the reference, gc and status also take (and ignore) a netns argument.
  if (rest.length < 2) throw new UsageError(`${command} requires a network name and a netns path`);
  return {
    kind: 'network',
    command: command as NetworkCommand,
    network: rest[0]!,
    netns: rest[1]!,
    ifName: ifName || env['CNI_IFNAME'] || 'eth0',
    json,
  };
}

/**
 * The container ID the reference cnitool derives from the netns path, so that both tools
 * address the same cache entries: "cnitool-" and 20 hex digits of sha512(abs(netns)).
 */
export function containerIDForNetns(netns: string): string {
  return `cnitool-${createHash('sha512').update(resolve(netns)).digest('hex').slice(0, 20)}`;
}

/** CNI_ARGS as cnitool reads it: every pair must have a non-empty key and value. */
export function parseCnitoolArgs(value: string | undefined): [string, string][] {
  if (!value) return [];
  return value.split(';').map((pair) => {
    const kv = pair.split('=');
    if (kv.length !== 2 || kv[0] === '' || kv[1] === '') throw new Error(`invalid CNI_ARGS pair "${pair}"`);
    return [kv[0]!, kv[1]!];
  });
}

/** CAP_ARGS: a JSON object of capability arguments; failures worded as the reference's json.Unmarshal. */
export function parseCapArgs(value: string | undefined): Record<string, unknown> | undefined {
  if (!value) return undefined;
  return parseJsonObject(value);
}
