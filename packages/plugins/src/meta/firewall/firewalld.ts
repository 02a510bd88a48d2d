/**
 * The firewalld backend (reference firewalld.go): each container address joins the zone as a
 * source (`addSource`), leaves it on DEL (`removeSource`), and CHECK asks `querySource`.
 * Detection is the reference's: firewalld runs when the bus names an owner for its name.
 */
import type { EnvSource } from '@tscni/skel';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { hostCidr } from '../../netfilter/firewall-rules.js';
import { systemBusCall, systemBusMayExist, type DBusReply } from './dbus.js';

const FIREWALLD = 'org.fedoraproject.FirewallD1';
const FIREWALLD_PATH = '/org/fedoraproject/FirewallD1';
const ZONE_INTERFACE = 'org.fedoraproject.FirewallD1.zone';

function zoneCall(method: string, zone: string, source: string, env: EnvSource): DBusReply {
  return systemBusCall({ dest: FIREWALLD, path: FIREWALLD_PATH, method: `${ZONE_INTERFACE}.${method}`, args: [zone, source] }, env);
}

/**
 * Why firewalld cannot be reached on the system bus, or undefined when it can.
 *
 * @example firewalldAbsence(process.env) // 'Could not get owner of name ...: no such name'
 */
export function firewalldAbsence(env: EnvSource): string | undefined {
  if (!systemBusMayExist(env)) return 'no system bus (DBUS_SYSTEM_BUS_ADDRESS is unset and /var/run/dbus/system_bus_socket does not exist)';
  const r = systemBusCall({ dest: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', method: 'org.freedesktop.DBus.GetNameOwner', args: [FIREWALLD] }, env);
  return r.ok ? undefined : r.message;
}

/**
 * Fails unless firewalld answers: the error a config that asks for the firewalld backend gets
 * where there is none (the reference fails later, on its first call, with the bus's words).
 *
 * @example requireFirewalld(args.env)
 */
export function requireFirewalld(env: EnvSource): void {
  const why = firewalldAbsence(env);
  if (why !== undefined) throw new CniError(ErrorCode.Internal, `firewalld backend requested but firewalld is not running on the system bus: ${why}`);
}

/**
 * Puts each address (as /32 or /128) into the zone; one already in a zone is left as it is.
 * If an address fails, those added before it are removed again.
 *
 * @example firewalldAdd('trusted', ['10.22.0.2/16'], args.env)
 */
export function firewalldAdd(zone: string, addresses: readonly string[], env: EnvSource): void {
  const added: string[] = [];
  for (const address of addresses) {
    const source = hostCidr(address);
    const r = zoneCall('addSource', zone, source, env);
    if (!r.ok && !r.message.includes('ZONE_ALREADY_SET')) {
      for (const done of added) zoneCall('removeSource', zone, done, env);
      throw new CniError(ErrorCode.Internal, `failed to add the address ${source} to ${zone} zone: ${r.message}`);
    }
    if (r.ok) added.push(source);
  }
}

/**
 * Takes each address out of the zone, ignoring errors as the reference does (an address that
 * is not there is the usual case of a repeated DEL).
 *
 * @example firewalldDel('trusted', ['10.22.0.2/16'], args.env)
 */
export function firewalldDel(zone: string, addresses: readonly string[], env: EnvSource): void {
  for (const address of addresses) zoneCall('removeSource', zone, hostCidr(address), env);
}

/**
 * Fails unless every address is a source of the zone. The reference only fails when the
 * call fails and ignores the answer; an address firewalld says is not in the zone fails here.
 *
 * @example firewalldCheck('trusted', ['10.22.0.2/16'], args.env)
 */
export function firewalldCheck(zone: string, addresses: readonly string[], env: EnvSource): void {
  for (const address of addresses) {
    const source = hostCidr(address);
    const r = zoneCall('querySource', zone, source, env);
    if (!r.ok || r.values[0] !== 'boolean true') throw new CniError(ErrorCode.Internal, `failed to find the address ${source} in ${zone} zone`);
  }
}
