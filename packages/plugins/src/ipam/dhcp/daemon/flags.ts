/**
 * The daemon's command line, read as Go's flag package reads the reference's: `-name value`,
 * `-name=value` or `--name`, booleans without a value, durations in Go's syntax (`10s`,
 * `1m30s`).
 */

export interface DaemonFlags {
  pidfile: string;
  hostprefix: string;
  socketpath: string;
  broadcast: boolean;
  timeoutMs: number;
  resendMaxMs: number;
  resendTimeoutMs: number;
  /** tscni: where leases are kept so that a restarted daemon renews them. */
  statedir: string;
}

export const DEFAULT_STATE_DIR = '/var/lib/cni/dhcp';

const DEFAULTS: DaemonFlags = {
  pidfile: '',
  hostprefix: '',
  socketpath: '',
  broadcast: false,
  timeoutMs: 10_000,
  resendMaxMs: 62_000,
  resendTimeoutMs: 208_000,
  statedir: DEFAULT_STATE_DIR,
};

export const USAGE = `Usage of daemon:
  -broadcast
    \tbroadcast DHCP leases (accepted; replies are always asked to be broadcast)
  -hostprefix string
    \toptional prefix to host root
  -pidfile string
    \toptional path to write daemon PID to (written once the socket listens)
  -resendmax duration
    \toptional dhcp client resend max duration (default 1m2s)
  -resendtimeout duration
    \toptional dhcp client resend timeout duration (default 3m28s)
  -socketpath string
    \toptional dhcp server socketpath (default /run/cni/dhcp.sock)
  -statedir string
    \twhere leases are kept across restarts (default ${DEFAULT_STATE_DIR})
  -timeout duration
    \toptional dhcp client timeout duration (default 10s)
`;

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A Go duration in milliseconds.
 *
 * @example parseGoDuration('1m30s') // 90000
 */
export function parseGoDuration(text: string): number {
  if (text === '0') return 0;
  const re = /([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new Error(`time: invalid duration ${JSON.stringify(text)}`);
    total += Number(m[1]) * UNITS[m[2]!]!;
    at = re.lastIndex;
  }
  if (text === '') throw new Error('time: invalid duration ""');
  return total;
}

type Setter = (flags: DaemonFlags, value: string) => void;

const STRING = (key: 'pidfile' | 'hostprefix' | 'socketpath' | 'statedir'): Setter => (f, v) => {
  f[key] = v;
};
const DURATION = (key: 'timeoutMs' | 'resendMaxMs' | 'resendTimeoutMs'): Setter => (f, v) => {
  f[key] = parseGoDuration(v);
};

const SETTERS: Record<string, Setter> = {
  pidfile: STRING('pidfile'),
  hostprefix: STRING('hostprefix'),
  socketpath: STRING('socketpath'),
  statedir: STRING('statedir'),
  timeout: DURATION('timeoutMs'),
  resendmax: DURATION('resendMaxMs'),
  resendtimeout: DURATION('resendTimeoutMs'),
};

function parseBool(v: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw new Error(`parse error`);
}

/**
 * @example parseDaemonFlags(['-socketpath', '/tmp/d.sock', '-timeout=2s']).timeoutMs // 2000
 */
export function parseDaemonFlags(argv: readonly string[]): DaemonFlags {
  const flags = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-') throw new Error(`unexpected argument ${JSON.stringify(arg)}`);
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    if (name === 'broadcast') {
      try {
        flags.broadcast = eq < 0 ? true : parseBool(body.slice(eq + 1));
      } catch {
        throw new Error(`invalid boolean value ${JSON.stringify(body.slice(eq + 1))} for -broadcast: parse error`);
      }
      continue;
    }
    const set = SETTERS[name];
    if (!set) throw new Error(`flag provided but not defined: -${name}`);
    let value: string | undefined = eq < 0 ? undefined : body.slice(eq + 1);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new Error(`flag needs an argument: -${name}`);
    }
    try {
      set(flags, value);
    } catch (e) {
      throw new Error(`invalid value ${JSON.stringify(value)} for flag -${name}: ${(e as Error).message}`);
    }
  }
  return flags;
}
