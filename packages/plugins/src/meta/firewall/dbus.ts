/**
 * Method calls on the D-Bus system bus through `dbus-send` (Debian's dbus-bin), which honours
 * DBUS_SYSTEM_BUS_ADDRESS as the reference's godbus does. A call costs one short exec and
 * only the firewalld backend and its probe make calls, so the plugin carries no D-Bus library.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { EnvSource } from '@tscni/skel';

/** What a call answered: the reply's values as dbus-send prints them, or the D-Bus error. */
export type DBusReply =
  | { readonly ok: true; readonly values: readonly string[] }
  | {
      readonly ok: false;
      /** The D-Bus error name (`org.freedesktop.DBus.Error.ServiceUnknown`), or `''` when dbus-send did not run or could not connect. */
      readonly name: string;
      /** The error's message, as godbus's Error() prints it (its first string). */
      readonly message: string;
    };

/** One method call: destination, object, `interface.method`, and string arguments. */
export interface DBusCall {
  readonly dest: string;
  readonly path: string;
  readonly method: string;
  readonly args: readonly string[];
}

/** Where the system bus is when DBUS_SYSTEM_BUS_ADDRESS is unset (the D-Bus spec's default). */
const DEFAULT_SYSTEM_BUS_SOCKET = '/var/run/dbus/system_bus_socket';

/**
 * Whether a system bus may be there at all: a given address, or the default socket. Saves the
 * exec on the usual host without D-Bus.
 *
 * @example if (!systemBusMayExist(args.env)) return false;
 */
export function systemBusMayExist(env: EnvSource): boolean {
  return Boolean(env['DBUS_SYSTEM_BUS_ADDRESS']) || existsSync(DEFAULT_SYSTEM_BUS_SOCKET);
}

/**
 * Calls a method on the system bus and waits for the reply (25 s at most, dbus-send's default).
 *
 * @example systemBusCall({ dest: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', method: 'org.freedesktop.DBus.GetNameOwner', args: ['org.fedoraproject.FirewallD1'] }, process.env)
 */
export function systemBusCall(call: DBusCall, env: EnvSource): DBusReply {
  const argv = ['--system', '--print-reply=literal', `--dest=${call.dest}`, call.path, call.method, ...call.args.map((a) => `string:${a}`)];
  const r = spawnSync('dbus-send', argv, { encoding: 'utf8', env: { ...env, LC_ALL: 'C' } as NodeJS.ProcessEnv });
  if (r.error) return { ok: false, name: '', message: `dbus-send: ${r.error.message}` };
  if (r.status === 0) {
    const values = r.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    return { ok: true, values };
  }
  const text = (r.stderr || r.stdout).trim();
  // "Error <name>: <message>" for an error reply; anything else is a connection failure.
  const m = /^Error (\S+): ([^]*)$/.exec(text);
  return m ? { ok: false, name: m[1]!, message: m[2]! } : { ok: false, name: '', message: text || `dbus-send exited with status ${r.status}` };
}
