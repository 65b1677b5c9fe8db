// SshSession on a pooled connection: exec with streamed lines, sudo, cancellation that really ends the
// remote process, atomic SFTP upload and download.
import { randomBytes } from 'crypto';
import { constants as osConstants } from 'os';
import * as posix from 'path/posix';
import { StringDecoder } from 'string_decoder';
import type { ClientChannel, SFTPWrapper } from 'ssh2';
import { type Connection, type Lease, where } from './connection';
import type { ResolvedEndpoint } from './sshConfig';
import { type ExecOptions, type ExecResult, type SshCallbacks, type SshEndpoint, SshError, type SshSession } from './types';

/**
 * Runs the command (`$1`) with the user's shell in a session of its own and watches stdin: when stdin reaches
 * end of file — the client ended or closed the channel, or the connection died — the command's whole
 * process group gets SIGTERM, then SIGKILL 2 s later. Runs under sudo too (as root, so it can kill what
 * sudo started). The exit status is passed on; death by a signal is re-raised so ssh reports the signal.
 * POSIX sh; uses setsid(1) (util-linux) when present, else signals only the command's own process.
 * Its last act writes the status to stderr as well (EXIT_MARK): OpenSSH may close a channel without its
 * exit-status when the command's pipes close before sshd has reaped it (seen: ~3 % of quick commands on a
 * busy machine), and a provisioning step must never read as "failed, status unknown" because of that race.
 */
const EXIT_MARK_TAG = 'ROSVPN-EXIT=';
export const EXEC_WRAPPER = [
  'exec 3<&0',
  'if command -v setsid >/dev/null 2>&1; then setsid "${SHELL:-/bin/sh}" -c "$1" </dev/null 3<&- &',
  'else "${SHELL:-/bin/sh}" -c "$1" </dev/null 3<&- & fi',
  'p=$!',
  '(while read -r _ <&3; do :; done; kill -TERM -"$p" || kill -TERM "$p"; sleep 2; kill -KILL -"$p" || kill -KILL "$p") >/dev/null 2>&1 &',
  'w=$!',
  'exec 3<&-',
  'wait "$p"; s=$?',
  'kill "$w" 2>/dev/null; wait "$w" 2>/dev/null',
  `printf "\\036${EXIT_MARK_TAG}%s\\036" "$s" >&2`,
  'if [ "$s" -gt 128 ] && [ "$s" -lt 193 ]; then kill -"$((s - 128))" $$; fi',
  'exit "$s"',
].join('\n');

/** What a command that is not wrapped (the sudo probes) appends so that its status arrives in-band too. */
export const EXIT_MARK_TAIL = `s=$?; printf "\\036${EXIT_MARK_TAG}%s\\036" "$s" >&2; exit "$s"`;

/** How long after ending stdin the channel may take to close before it is closed regardless. */
const KILL_GRACE_MS = 4000;
/** Collected stdout/stderr keep at most this many characters each (the tail). */
const MAX_COLLECT = 32 * 1024 * 1024;

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export type SudoMode = { password?: string };

/** The command line sent to sshd for `command`, wrapped, and under sudo when asked. Never holds a password. */
export function wrapCommand(command: string, sudo?: SudoMode): string {
  const inner = `/bin/sh -c ${shellQuote(EXEC_WRAPPER)} rosvpn-exec ${shellQuote(command)}`;
  if (!sudo) return `exec ${inner}`;
  if (sudo.password === undefined) return `exec sudo -n -- ${inner}`;
  return `exec sudo -S -k -p '' -- ${inner}`;
}

const RS = 0x1e;
const MARK_PREFIX = Buffer.from(`\x1e${EXIT_MARK_TAG}`);

/**
 * Takes the exit marker (RS ROSVPN-EXIT=<status> RS, written last by the wrapper) out of a stderr stream.
 * Only bytes from a record separator on are held back, and only while they can still be the marker, so
 * ordinary stderr lines stream as before.
 */
export class ExitMarkFilter {
  private held = Buffer.alloc(0);
  /** The status the marker carried, if one came. */
  status?: number;

  constructor(private readonly pass: (b: Buffer) => void) {}

  push(chunk: Buffer): void {
    let buf = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = Buffer.alloc(0);
    for (;;) {
      const i = buf.indexOf(RS);
      if (i < 0) return this.emit(buf);
      this.emit(buf.subarray(0, i));
      buf = buf.subarray(i);
      const n = Math.min(buf.length, MARK_PREFIX.length);
      if (!buf.subarray(0, n).equals(MARK_PREFIX.subarray(0, n))) {
        // a record separator that is not ours: pass it and go on
        this.emit(buf.subarray(0, 1));
        buf = buf.subarray(1);
        continue;
      }
      const end = buf.length > MARK_PREFIX.length ? buf.indexOf(RS, MARK_PREFIX.length) : -1;
      if (end < 0) {
        if (buf.length > MARK_PREFIX.length + 8) {
          this.emit(buf.subarray(0, 1)); // too long for a status: not the marker
          buf = buf.subarray(1);
          continue;
        }
        this.held = Buffer.from(buf); // may still become the marker
        return;
      }
      const value = buf.subarray(MARK_PREFIX.length, end).toString('latin1');
      if (/^\d{1,3}$/.test(value)) this.status = Number(value);
      else this.emit(buf.subarray(0, end + 1));
      buf = buf.subarray(end + 1);
    }
  }

  /** At end of stream: whatever was held back was not the marker. */
  end(): void {
    this.emit(this.held);
    this.held = Buffer.alloc(0);
  }

  private emit(b: Buffer): void {
    if (b.length) this.pass(b);
  }
}

/** Splits a byte stream into lines (UTF-8 safe across chunks) and collects the text. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  // The collected output, as chunks: appending to one string and slicing it at the cap copied the whole
  // 32 MiB on every chunk once a long follow passed it (throughput fell from ~60,000 to ~200 lines/s).
  private chunks: string[] = [];
  private size = 0;

  /** The output so far (its last MAX_COLLECT characters). */
  get text(): string {
    const t = this.chunks.join('');
    this.chunks = t ? [t] : [];
    return t.length > MAX_COLLECT ? t.slice(t.length - MAX_COLLECT) : t;
  }

  constructor(private readonly onLine?: (line: string) => void) {}

  push(chunk: Buffer): void {
    this.take(this.decoder.write(chunk));
  }

  end(): void {
    this.take(this.decoder.end());
    if (this.partial) {
      const l = this.partial;
      this.partial = '';
      this.emit(l);
    }
  }

  private take(s: string): void {
    if (!s) return;
    this.chunks.push(s);
    this.size += s.length;
    // Drop whole chunks from the front while what is left still holds MAX_COLLECT characters.
    while (this.chunks.length > 1 && this.size - this.chunks[0].length >= MAX_COLLECT) this.size -= this.chunks.shift()!.length;
    const parts = (this.partial + s).split('\n');
    this.partial = parts.pop()!;
    for (const l of parts) this.emit(l);
  }

  private emit(line: string): void {
    if (!this.onLine) return;
    try {
      this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
    } catch {
      // a throwing listener must not break the stream
    }
  }
}

interface RunOptions extends ExecOptions {
  /** Written to the channel first (a sudo password). */
  stdin?: string;
  /** End stdin right after `stdin` (probes); otherwise it stays open until the command ends or is cancelled. */
  endStdin?: boolean;
  /** Name used in messages, `label (host:port)`. */
  what: string;
}

/**
 * One command on an exec channel of a leased connection. Settles once: with the result when the channel has
 * closed and both streams have ended, or with the first error (aborted, timed out, connection lost, refused).
 * A cancellation ends stdin, which makes EXEC_WRAPPER kill the remote process group; the channel is closed
 * KILL_GRACE_MS later if sshd has not closed it by then.
 */
class ChannelRun {
  private readonly out: LineSplitter;
  private readonly err: LineSplitter;
  private readonly mark: ExitMarkFilter;
  private ch: ClientChannel | undefined;
  private free: (() => void) | undefined;
  private settled = false;
  private cancelled: SshError | undefined;
  private exitCode: number | null | undefined;
  private exitSignal: string | undefined;
  private timeout: NodeJS.Timeout | undefined;
  private grace: NodeJS.Timeout | undefined;
  private unsubscribe: () => void = () => undefined;
  private streamsOpen = 2;
  private closed = false;

  constructor(
    private readonly conn: Connection,
    private readonly lease: Lease,
    private readonly o: RunOptions,
    private readonly resolve: (r: ExecResult) => void,
    private readonly reject: (e: Error) => void,
  ) {
    this.out = new LineSplitter(o.onStdout);
    this.err = new LineSplitter(o.onStderr);
    this.mark = new ExitMarkFilter((b) => this.err.push(b));
  }

  start(command: string): void {
    const o = this.o;
    if (o.signal) {
      if (o.signal.aborted) {
        this.onAbort();
        this.finish(this.cancelled);
        return;
      }
      o.signal.addEventListener('abort', this.onAbort, { once: true });
    }
    if (o.timeoutMs !== undefined && o.timeoutMs > 0) {
      this.timeout = setTimeout(
        () => this.cancel(new SshError(`command on ${o.what} timed out after ${formatMs(o.timeoutMs!)} and was killed`, 'TIMEOUT')),
        o.timeoutMs,
      );
    }
    this.unsubscribe = this.lease.onLost((reason) =>
      this.finish(new SshError(`connection to ${o.what} was lost: ${reason}`, 'CONNECTION_LOST')),
    );
    this.conn.execChannel(command, this.lease).then(
      (opened) => this.opened(opened.channel, opened.free),
      (e: Error) => {
        if (this.settled) return;
        this.finish(
          this.conn.alive
            ? new SshError(`${o.what} refused to start a command: ${e.message}`, 'CONNECT_FAILED', { cause: e })
            : new SshError(`connection to ${o.what} was lost: ${e.message}`, 'CONNECTION_LOST', { cause: e }),
        );
      },
    );
  }

  private finish(e: Error | undefined, r?: ExecResult): void {
    if (this.settled) return;
    this.settled = true;
    this.unsubscribe();
    clearTimeout(this.timeout);
    clearTimeout(this.grace);
    this.o.signal?.removeEventListener('abort', this.onAbort);
    if (this.ch && e) closeQuietly(this.ch);
    this.free?.();
    if (e) this.reject(e);
    else this.resolve(r!);
  }

  private kill(): void {
    if (!this.ch) return;
    // End of stdin makes the wrapper kill the command's process group; then sshd closes the channel.
    try {
      this.ch.end();
    } catch {
      // gone
    }
    this.grace = setTimeout(() => this.finish(this.cancelled), KILL_GRACE_MS);
  }

  private cancel(e: SshError): void {
    if (this.settled || this.cancelled) return;
    this.cancelled = e;
    this.kill();
  }

  private readonly onAbort = (): void =>
    this.cancel(new SshError(`command on ${this.o.what} was aborted; the remote process was ended`, 'ABORTED'));

  private opened(ch: ClientChannel, free: () => void): void {
    this.ch = ch;
    this.free = free;
    if (this.settled) {
      closeQuietly(ch);
      free();
      return;
    }
    ch.on('data', (d: Buffer) => this.out.push(d));
    ch.stderr.on('data', (d: Buffer) => this.mark.push(d));
    ch.on('end', () => this.streamEnded());
    ch.stderr.on('end', () => this.streamEnded());
    ch.on('exit', (code: number | null, signal?: string) => {
      this.exitCode = code;
      this.exitSignal = signal ?? undefined;
    });
    ch.on('close', () => {
      this.closed = true;
      // Readables that never saw data may not emit 'end' until read: make sure they flow.
      ch.resume();
      ch.stderr.resume();
      this.maybeDone();
    });
    ch.on('error', () => undefined);
    if (this.o.stdin !== undefined) ch.write(this.o.stdin);
    if (this.o.endStdin) ch.end();
    if (this.cancelled) this.kill();
  }

  private streamEnded(): void {
    this.streamsOpen--;
    this.maybeDone();
  }

  private maybeDone(): void {
    if (!this.closed || this.streamsOpen > 0) return;
    this.mark.end();
    this.out.end();
    this.err.end();
    if (this.cancelled) return this.finish(this.cancelled);
    if (this.exitCode === undefined && this.exitSignal === undefined && this.mark.status !== undefined) {
      // The channel closed without its exit-status (OpenSSH's race, see EXEC_WRAPPER): use the marker.
      const st = this.mark.status;
      const sig = st > 128 && st < 193 ? Object.entries(osConstants.signals).find(([, n]) => n === st - 128)?.[0] : undefined;
      this.exitCode = sig ? null : st;
      this.exitSignal = sig;
    }
    this.finish(undefined, { code: this.exitCode ?? null, signal: this.exitSignal, stdout: this.out.text, stderr: this.err.text });
  }
}

function closeQuietly(ch: ClientChannel): void {
  try {
    ch.close();
  } catch {
    // gone
  }
}

/** Runs one command on an exec channel of a leased connection. */
function runChannel(conn: Connection, lease: Lease, command: string, o: RunOptions): Promise<ExecResult> {
  return new Promise<ExecResult>((resolve, reject) => new ChannelRun(conn, lease, o, resolve, reject).start(command));
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Per-host state the pool keeps across sessions and reconnects (cleared by dispose). */
export interface HostState {
  sudo?: Promise<SudoMode>;
}

export interface SessionDeps {
  connection(r: ResolvedEndpoint): Promise<Connection>;
  hostState(key: string): HostState;
  callbacks: SshCallbacks;
  log(line: string): void;
}

export class Session implements SshSession {
  readonly endpoint: SshEndpoint;

  constructor(
    private readonly deps: SessionDeps,
    private readonly r: ResolvedEndpoint,
    endpoint: SshEndpoint,
  ) {
    this.endpoint = { ...endpoint, user: r.user, port: r.port };
  }

  private get what(): string {
    return where(this.r);
  }

  /** Leases a live connection (reconnecting when the pooled one idled out or was lost) for `fn`. */
  private async withLease<T>(fn: (conn: Connection, lease: Lease) => Promise<T>): Promise<T> {
    let conn = await this.deps.connection(this.r);
    let lease: Lease;
    try {
      lease = conn.lease();
    } catch {
      // It idled out or was lost between the lookup and now: once more, with a fresh connection.
      conn = await this.deps.connection(this.r);
      try {
        lease = conn.lease();
      } catch (e) {
        throw new SshError(`connection to ${this.what} was lost: ${(e as Error).message}`, 'CONNECTION_LOST', { cause: e });
      }
    }
    try {
      return await fn(conn, lease);
    } finally {
      lease.release();
    }
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const aborted = () => new SshError(`command on ${this.what} was aborted before it started`, 'ABORTED');
    if (options.signal?.aborted) throw aborted();
    return this.withLease(async (conn, lease) => {
      let sudo: SudoMode | undefined;
      if (options.sudo) {
        sudo = await this.sudoMode(conn, lease);
        if (options.signal?.aborted) throw aborted();
      }
      return runChannel(conn, lease, wrapCommand(command, sudo), {
        ...options,
        stdin: sudo?.password !== undefined ? `${sudo.password}\n` : undefined,
        what: this.what,
      });
    });
  }

  /** Whether sudo works without a password here, else the password (asked once, checked, then cached). */
  private sudoMode(conn: Connection, lease: Lease): Promise<SudoMode> {
    const state = this.deps.hostState(this.r.key);
    if (!state.sudo) {
      const p = this.probeSudo(conn, lease);
      state.sudo = p;
      p.catch(() => {
        if (state.sudo === p) state.sudo = undefined;
      });
    }
    return state.sudo;
  }

  private async probeSudo(conn: Connection, lease: Lease): Promise<SudoMode> {
    const who = `${this.r.user} on ${this.what}`;
    const probe = (cmd: string, stdin?: string) =>
      runChannel(conn, lease, cmd, { what: this.what, timeoutMs: 30000, stdin, endStdin: true });
    const n = await probe(`env LC_ALL=C sudo -n -- true; ${EXIT_MARK_TAIL}`);
    if (n.code === 0) {
      this.deps.log(`ssh ${this.r.label}: sudo works without a password`);
      return {};
    }
    if (!/password is required/i.test(n.stderr)) {
      throw new SshError(`sudo does not work for ${who}: ${oneLine(n.stderr) || `exit status ${n.code}`}`, 'SUDO_FAILED');
    }
    if (!this.deps.callbacks.sudoPassword) {
      throw new SshError(
        `sudo on ${this.what} needs ${this.r.user}'s password and there is no way to ask for it; allow it without one (NOPASSWD in /etc/sudoers.d) or run interactively`,
        'SUDO_FAILED',
      );
    }
    const password = await this.deps.callbacks.sudoPassword(this.endpoint);
    if (password === undefined) throw new SshError(`sudo on ${this.what} was cancelled: no password given`, 'SUDO_FAILED');
    if (/[\r\n]/.test(password)) throw new SshError(`the sudo password for ${who} cannot contain a line break`, 'SUDO_FAILED');
    const s = await probe(`env LC_ALL=C sudo -S -k -p '' -- true; ${EXIT_MARK_TAIL}`, `${password}\n`);
    if (s.code === 0) {
      this.deps.log(`ssh ${this.r.label}: sudo password accepted`);
      return { password };
    }
    if (/incorrect password|sorry, try again|no password was provided/i.test(s.stderr)) {
      throw new SshError(
        `wrong sudo password for ${who}: sudo refused it. Nothing was run; try again with ${this.r.user}'s login password.`,
        'SUDO_FAILED',
      );
    }
    throw new SshError(`sudo refused ${who}: ${oneLine(s.stderr) || `exit status ${s.code}`}`, 'SUDO_FAILED');
  }

  async upload(remotePath: string, content: string | Buffer, mode: number): Promise<void> {
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    await this.withSftp(`upload to ${remotePath}`, async (sftp) => {
      const abs = await this.remoteAbsolute(sftp, remotePath);
      const dir = posix.dirname(abs);
      const tmp = posix.join(dir, `.${posix.basename(abs)}.rosvpn-${randomBytes(6).toString('hex')}.tmp`);
      try {
        await cb<void>((k) => sftp.writeFile(tmp, data, { mode, flag: 'wx' }, k));
        await cb<void>((k) => sftp.chmod(tmp, mode, k)); // the server's umask applied to the open
        await rename(sftp, tmp, abs);
      } catch (e) {
        await cb<void>((k) => sftp.unlink(tmp, k)).catch(() => undefined);
        throw e;
      }
    });
  }

  async download(remotePath: string): Promise<Buffer> {
    return this.withSftp(`download of ${remotePath}`, async (sftp) => {
      const abs = await this.remoteAbsolute(sftp, remotePath);
      return cb<Buffer>((k) => sftp.readFile(abs, k));
    });
  }

  private async withSftp<T>(what: string, fn: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    return this.withLease(async (conn, lease) => {
      let opened: { sftp: SFTPWrapper; free: () => void };
      try {
        opened = await conn.sftp(lease);
      } catch (e) {
        if (!conn.alive)
          throw new SshError(`connection to ${this.what} was lost: ${(e as Error).message}`, 'CONNECTION_LOST', { cause: e });
        throw new SshError(`SFTP ${what} on ${this.what} failed: cannot start SFTP: ${(e as Error).message}`, 'SFTP_FAILED', { cause: e });
      }
      try {
        return await Promise.race([fn(opened.sftp), lease.lost]);
      } catch (e) {
        if (e instanceof SshError) throw e;
        if (!conn.alive)
          throw new SshError(`connection to ${this.what} was lost during SFTP ${what}: ${(e as Error).message}`, 'CONNECTION_LOST', {
            cause: e,
          });
        throw new SshError(`SFTP ${what} on ${this.what} failed: ${sftpMessage(e as Error)}`, 'SFTP_FAILED', { cause: e });
      } finally {
        opened.free();
      }
    });
  }

  /** `~/x` and relative paths are in the login user's home (SFTP starts there); `~` alone is the home. */
  private async remoteAbsolute(sftp: SFTPWrapper, p: string): Promise<string> {
    if (p.startsWith('/')) return p;
    const home = await cb<string>((k) => sftp.realpath('.', k));
    if (p === '~' || p === '~/') return home;
    if (p.startsWith('~') && !p.startsWith('~/')) throw new Error(`only ~/ (the login user's home) is supported, not ${p}`);
    return posix.join(home, p.startsWith('~/') ? p.slice(2) : p);
  }
}

function cb<T>(fn: (k: (err: Error | null | undefined, v: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
}

async function rename(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    await cb<void>((k) => sftp.ext_openssh_rename(from, to, k));
    return;
  } catch (e) {
    if (!/not support/i.test((e as Error).message)) throw e;
  }
  // No posix-rename extension: SFTP v3 rename refuses to replace an existing file.
  await cb<void>((k) => sftp.unlink(to, k)).catch(() => undefined);
  await cb<void>((k) => sftp.rename(from, to, k));
}

function sftpMessage(e: Error): string {
  const code = (e as Error & { code?: number }).code;
  const names: Record<number, string> = { 2: 'no such file or directory', 3: 'permission denied', 4: 'failure' };
  return code !== undefined && names[code] && !e.message.toLowerCase().includes(names[code]) ? `${e.message} (${names[code]})` : e.message;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 300);
}
