/**
 * The tscni server's wire protocol, spoken with the plugin shim (packages/plugins/shim/shim.c)
 * over a unix stream socket:
 *
 *   shim:   TSCNI1 <core hash> <netns> <mntns> <pidns> <userns> <umask, octal> <env count> <stdin length> <plugin>\n
 *           <env count> entries `NAME=value\0`, then <stdin length> bytes of stdin
 *   server: `A` (accepted; nothing else means "run it yourself")
 *   shim:   `G` (still waiting: go)
 *   server: <exit code> <stdout length> <stderr length>\n, then stdout, then stderr
 *
 * The namespaces are the inode numbers of /proc/self/ns/*, so that the server only runs what
 * it would run the same way as the shim's own process.
 */

/** A request as the shim sent it. */
export interface ServerRequest {
  coreHash: string;
  namespaces: Namespaces;
  umask: number;
  plugin: string;
  env: Record<string, string>;
  stdin: Uint8Array;
}

/** Inode numbers of the namespaces a process is in (0: unknown). */
export interface Namespaces {
  net: bigint;
  mnt: bigint;
  pid: bigint;
  user: bigint;
}

export const MAGIC = 'TSCNI1';
/** Bigger than any header a shim sends: a peer sending more is not a shim. */
const MAX_HEAD = 4096;
/** Environments and configurations beyond this are refused (the shim then runs the plugin itself). */
const MAX_BODY = 64 * 1024 * 1024;

const NL = 0x0a;
const NUL = 0x00;

/** Parses the header line (without its newline). */
export function parseHead(line: string): Omit<ServerRequest, 'env' | 'stdin'> & { envCount: number; stdinLength: number } {
  const f = line.split(' ');
  if (f.length !== 10 || f[0] !== MAGIC) throw new Error(`not a tscni shim request: ${JSON.stringify(line.slice(0, 80))}`);
  const num = (s: string, what: string, radix = 10): number => {
    const n = parseInt(s, radix);
    if (!/^[0-9]+$/.test(s) || !Number.isSafeInteger(n)) throw new Error(`bad ${what} in request: ${JSON.stringify(s)}`);
    return n;
  };
  const ino = (s: string, what: string): bigint => {
    if (!/^[0-9]+$/.test(s)) throw new Error(`bad ${what} in request: ${JSON.stringify(s)}`);
    return BigInt(s);
  };
  return {
    coreHash: f[1]!,
    namespaces: { net: ino(f[2]!, 'netns'), mnt: ino(f[3]!, 'mntns'), pid: ino(f[4]!, 'pidns'), user: ino(f[5]!, 'userns') },
    umask: num(f[6]!, 'umask', 8),
    envCount: num(f[7]!, 'env count'),
    stdinLength: num(f[8]!, 'stdin length'),
    plugin: f[9]!,
  };
}

/**
 * Collects one request from the chunks a connection receives.
 *
 * @example const r = new RequestReader(); socket.on('data', (c) => { const req = r.push(c); if (req) serve(req); });
 */
export class RequestReader {
  private buf = Buffer.alloc(0);
  private len = 0;
  /** Where parsing goes on: after the header, then after each environment entry. */
  private at = 0;
  private head: ReturnType<typeof parseHead> | undefined;
  private readonly env: Record<string, string> = {};
  private envSeen = 0;
  private done = false;

  /** Adds received bytes; the request once complete (then never again), else undefined. Throws on garbage. */
  push(chunk: Buffer): ServerRequest | undefined {
    if (this.done) throw new Error('data after the request');
    this.append(chunk);
    const all = this.buf.subarray(0, this.len);
    if (!this.head) {
      const nl = all.indexOf(NL);
      if (nl < 0) {
        if (all.length > MAX_HEAD) throw new Error('request header too long');
        return undefined;
      }
      this.head = parseHead(all.subarray(0, nl).toString('utf8'));
      this.at = nl + 1;
    }
    const head = this.head;
    if (this.len > MAX_HEAD + MAX_BODY) throw new Error('request too large');
    // The environment: envCount NUL-terminated entries, each parsed once.
    while (this.envSeen < head.envCount) {
      const end = all.indexOf(NUL, this.at);
      if (end < 0) return undefined;
      const entry = all.subarray(this.at, end).toString('utf8');
      const eq = entry.indexOf('=');
      // As Go's os.Environ readers do: an entry without '=' names nothing.
      if (eq > 0) this.env[entry.slice(0, eq)] = entry.slice(eq + 1);
      this.at = end + 1;
      this.envSeen++;
    }
    if (all.length - this.at < head.stdinLength) return undefined;
    if (all.length - this.at > head.stdinLength) throw new Error('data after the request');
    this.done = true;
    const { envCount: _e, stdinLength: _s, ...rest } = head;
    return { ...rest, env: this.env, stdin: new Uint8Array(all.subarray(this.at, this.at + head.stdinLength)) };
  }

  /** Appends with room to spare, so that many small chunks are not copied over and over. */
  private append(chunk: Buffer): void {
    if (this.len + chunk.length > this.buf.length) {
      const grown = Buffer.alloc(Math.max(this.len + chunk.length, this.buf.length * 2, 4096));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    chunk.copy(this.buf, this.len);
    this.len += chunk.length;
  }
}

/** The server's answer after the plugin ran. */
export function encodeReply(code: number, stdout: string, stderr: string): Buffer {
  const out = Buffer.from(stdout, 'utf8');
  const err = Buffer.from(stderr, 'utf8');
  return Buffer.concat([Buffer.from(`${code} ${out.length} ${err.length}\n`, 'latin1'), out, err]);
}
