/**
 * A private D-Bus system bus and a fake firewalld on it, for the firewalld backend's tests:
 * dbus-daemon with its own config on a socket in a temp directory, and a small python3-dbus
 * service that owns org.fedoraproject.FirewallD1, keeps zone sources like firewalld's runtime
 * config (with its ZONE_ALREADY_SET, UNKNOWN_SOURCE and INVALID_ZONE errors) and records every
 * call. The plugin reaches it through DBUS_SYSTEM_BUS_ADDRESS.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PYTHON = '/usr/bin/python3';

const BUS_CONFIG = (socket: string) => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>custom</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`;

// Zones: trusted, public, internal, and v4only, which refuses IPv6 sources (a failure on a
// later address of an ADD).
const FAKE_FIREWALLD = `
import json, sys
import dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib

IFACE = 'org.fedoraproject.FirewallD1.zone'
ZONES = ('trusted', 'public', 'internal', 'v4only')

class FirewallError(dbus.DBusException):
    _dbus_error_name = 'org.fedoraproject.FirewallD1.Exception'

class Zone(dbus.service.Object):
    def __init__(self, bus, log):
        super().__init__(bus, '/org/fedoraproject/FirewallD1')
        self.log = log
        self.sources = {}

    def record(self, method, zone, source):
        with open(self.log, 'a') as f:
            f.write(json.dumps([method, str(zone), str(source)]) + '\\n')

    def check(self, zone, source):
        if zone not in ZONES:
            raise FirewallError('INVALID_ZONE: ' + zone)
        if zone == 'v4only' and ':' in source:
            raise FirewallError('INVALID_ADDR: ' + source)

    @dbus.service.method(IFACE, in_signature='ss', out_signature='s')
    def addSource(self, zone, source):
        self.record('addSource', zone, source)
        self.check(zone, source)
        if str(source) in self.sources:
            raise FirewallError('ZONE_ALREADY_SET: ' + source)
        self.sources[str(source)] = str(zone)
        return zone

    @dbus.service.method(IFACE, in_signature='ss', out_signature='s')
    def removeSource(self, zone, source):
        self.record('removeSource', zone, source)
        self.check(zone, source)
        if self.sources.get(str(source)) != str(zone):
            raise FirewallError('UNKNOWN_SOURCE: ' + source)
        del self.sources[str(source)]
        return zone

    @dbus.service.method(IFACE, in_signature='ss', out_signature='b')
    def querySource(self, zone, source):
        self.record('querySource', zone, source)
        self.check(zone, source)
        return self.sources.get(str(source)) == str(zone)

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.bus.BusConnection(sys.argv[1])
zone = Zone(bus, sys.argv[2])
name = dbus.service.BusName('org.fedoraproject.FirewallD1', bus)
open(sys.argv[3], 'w').close()
GLib.MainLoop().run()
`;

/**
 * Why the fake cannot run here (no dbus-daemon, dbus-send or python3 with dbus and gi), or undefined.
 *
 * @example it('...', { skip: fakeFirewalldMissing() }, () => { ... })
 */
export function fakeFirewalldMissing(): string | undefined {
  for (const tool of ['/usr/bin/dbus-daemon', '/usr/bin/dbus-send', PYTHON]) if (!existsSync(tool)) return `${tool} is not installed`;
  const r = spawnSync(PYTHON, ['-c', 'import dbus, gi'], { stdio: 'ignore' });
  return r.status === 0 ? undefined : 'python3-dbus and python3-gi are not installed';
}

function waitFor(what: string, ready: () => boolean, child: ChildProcess, ms = 10_000): void {
  const end = Date.now() + ms;
  while (!ready()) {
    if (child.exitCode !== null) throw new Error(`${what} exited with status ${child.exitCode}`);
    if (Date.now() > end) throw new Error(`${what} did not start within ${ms} ms`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}

export interface PrivateBus {
  /** The value for DBUS_SYSTEM_BUS_ADDRESS. */
  readonly address: string;
  stop(): void;
}

/**
 * Starts a dbus-daemon listening on `<dir>/bus`.
 *
 * @example const bus = startPrivateBus(sb.dir); try { ... } finally { bus.stop(); }
 */
export function startPrivateBus(dir: string): PrivateBus {
  const socket = join(dir, 'bus');
  const config = join(dir, 'bus.conf');
  writeFileSync(config, BUS_CONFIG(socket));
  const child = spawn('/usr/bin/dbus-daemon', [`--config-file=${config}`, '--nofork', '--nopidfile'], { stdio: 'ignore' });
  const stop = () => void (child.exitCode === null && child.kill());
  try {
    waitFor('dbus-daemon', () => existsSync(socket), child);
  } catch (e) {
    stop();
    throw e;
  }
  return { address: `unix:path=${socket}`, stop };
}

export interface FakeFirewalld {
  /** Every call so far: `[method, zone, source]`. */
  calls(): [string, string, string][];
  /** Forgets the calls so far. */
  clearCalls(): void;
  stop(): void;
}

/**
 * Starts the fake firewalld on the bus; it records calls to `<dir>/firewalld-calls`.
 *
 * @example const fw = startFakeFirewalld(bus, sb.dir); ...; assert.deepEqual(fw.calls(), [['addSource', 'trusted', '10.88.1.2/32']])
 */
export function startFakeFirewalld(bus: PrivateBus, dir: string): FakeFirewalld {
  const script = join(dir, 'fake-firewalld.py');
  const log = join(dir, 'firewalld-calls');
  const ready = join(dir, 'firewalld-ready');
  writeFileSync(script, FAKE_FIREWALLD);
  writeFileSync(log, '');
  const child = spawn(PYTHON, [script, bus.address, log, ready], { stdio: 'ignore' });
  const stop = () => void (child.exitCode === null && child.kill());
  try {
    waitFor('the fake firewalld', () => existsSync(ready), child);
  } catch (e) {
    stop();
    throw e;
  }
  return {
    calls: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as [string, string, string]),
    clearCalls: () => writeFileSync(log, ''),
    stop,
  };
}
