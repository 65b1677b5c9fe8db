// One authenticated ssh2 connection: host key verification against known_hosts before authentication,
// authentication with ssh-agent then identity files, channel accounting, idle close, loss detection.
import * as fs from 'fs';
import type { Duplex } from 'stream';
import {
  type AnyAuthMethod,
  Client,
  type ClientChannel,
  type ConnectConfig,
  OpenSSHAgent,
  type ParsedKey,
  type SFTPWrapper,
  utils,
} from 'ssh2';
import {
  appendKnownHost,
  checkHostKey,
  fileUsesHashing,
  fingerprint,
  type KnownHostEntry,
  knownHostName,
  knownKeyTypes,
  keyTypeOf,
  preferredHostKeyAlgorithms,
  readKnownHosts,
} from './knownHosts';
import type { ResolvedEndpoint } from './sshConfig';
import { type SshCallbacks, SshError } from './types';

/** What the pool shares with its connections. */
export interface PoolContext {
  callbacks: SshCallbacks;
  knownHostsPath: string;
  /** Read-only extra files (OpenSSH's GlobalKnownHostsFile). */
  globalKnownHostsPaths: string[];
  /** undefined/null: no agent. */
  agentSocket?: string | null;
  keepaliveMs: number;
  idleMs: number;
  connectTimeoutMs: number;
  log(line: string): void;
  /** Serializes unknown-host questions so that two connections never ask about the same key at once. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Keys decrypted with a passphrase, so the user is asked once per key for the pool's life. */
  decryptedKeys: Map<string, ParsedKey>;
}

/** `label (host:port)`, how connections are named in messages. */
export function where(r: ResolvedEndpoint): string {
  return `${r.label} (${r.hostname}:${r.port})`;
}

/** `user@host:port`, optionally ` via` the jump chain. */
export function target(r: ResolvedEndpoint): string {
  return `${r.user}@${r.hostname}:${r.port}${r.jump ? ` via ${r.jump.user}@${r.jump.hostname}:${r.jump.port}` : ''}`;
}

/** A hold on a connection for the duration of one operation: keeps it from idling out, learns of its loss. */
export interface Lease {
  /** Rejects (with the reason as a plain Error) when the connection is lost while the lease is held. */
  readonly lost: Promise<never>;
  /** Calls `fn` synchronously when the connection is lost (before ssh2 closes its channels); returns an unsubscribe. */
  onLost(fn: (reason: string) => void): () => void;
  release(): void;
}

const MAX_SESSION_CHANNELS = 6; // sshd's MaxSessions defaults to 10; it frees a slot a moment after the close

type KeyNote = { what: string; note: string };
type AuthAttempt = { kind: 'agent'; what: string; agent: OpenSSHAgent } | { kind: 'key'; file: string };

/** What authentication has tried so far, for the failure message: shared by authHandler and handshake. */
interface AuthProgress {
  /** Finished attempts and unusable keys. */
  notes: KeyNote[];
  /** The attempt the server is judging now (it becomes a note when the next one starts). */
  current?: KeyNote;
  /** The methods the server last said it accepts. */
  methodsOffered?: string[];
  /** The attempt that authenticated, once ready. */
  succeeded?: string;
  /** The server has asked for authentication (a failure from here on is an authentication failure). */
  started: boolean;
}

function asParsed(k: ParsedKey | ParsedKey[] | Error): ParsedKey | Error {
  return Array.isArray(k) ? k[0] : k;
}

export class Connection {
  readonly client = new Client();
  state: 'connecting' | 'ready' | 'closing' | 'closed' = 'connecting';
  /** Set by the pool: called once when the connection is gone. */
  onClosed?: () => void;
  private readonly leases = new Set<(reason: string) => void>();
  private dependents = 0;
  private idleTimer?: NodeJS.Timeout;
  private closingReason?: string;
  private lastError?: string;
  private channels = 0;
  private readonly channelWaiters: { go: () => void; fail: (reason: string) => void; cancelled: boolean }[] = [];
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;
  private failure?: SshError;
  private pauseConnectTimer?: () => void;
  private resumeConnectTimer?: () => void;
  private started = false;

  constructor(
    readonly r: ResolvedEndpoint,
    private readonly ctx: PoolContext,
    private readonly jump?: Connection,
  ) {
    this.closedPromise = new Promise((res) => (this.resolveClosed = res));
    this.client.on('error', (e: Error) => {
      if (this.state !== 'connecting') this.lastError = e.message;
    });
    this.client.on('end', () => this.gone());
    this.client.on('close', () => this.gone());
  }

  get alive(): boolean {
    return this.state === 'ready';
  }

  private log(msg: string): void {
    this.ctx.log(`ssh ${this.r.label}: ${msg}`);
  }

  // ---------------------------------------------------------------------------------------------------------
  // connect

  async connect(sock?: Duplex): Promise<void> {
    const r = this.r;
    this.log(`connecting to ${target(r)}`);
    const name = knownHostName(r.hostname, r.port, r.hostKeyAlias);
    const known = readKnownHosts(this.knownHostsFiles());
    const plan = await this.authPlan();
    if (this.state !== 'connecting')
      throw new SshError(`cannot connect to ${r.label} (${target(r)}): ${this.closingReason ?? 'closed'}`, 'CONNECT_FAILED');
    this.started = true;
    const auth: AuthProgress = { notes: plan.notes, started: false };

    const cfg: ConnectConfig = {
      username: r.user,
      hostVerifier: this.hostVerifier(name),
      authHandler: this.authHandler(plan.attempts, auth) as unknown as ConnectConfig['authHandler'],
      algorithms: {
        serverHostKey: hostKeyAlgorithms(knownKeyTypes(known, name)) as NonNullable<ConnectConfig['algorithms']>['serverHostKey'],
      },
      keepaliveInterval: this.ctx.keepaliveMs,
      keepaliveCountMax: 3,
      readyTimeout: 0, // our own timer (handshake), paused while the user answers a question
    };
    if (sock) cfg.sock = sock as unknown as ConnectConfig['sock'];
    else {
      cfg.host = r.hostname;
      cfg.port = r.port;
    }
    await this.handshake(cfg, !sock, auth);
  }

  /**
   * Starts ssh2 on `cfg` and settles when it is authenticated (ready) or has failed, within the connect
   * timeout (paused while a question is open). Failures name their cause from `auth`'s record of what was tried.
   */
  private handshake(cfg: ConnectConfig, tcp: boolean, auth: AuthProgress): Promise<void> {
    const r = this.r;
    return new Promise<void>((resolve, reject) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          fail(
            new SshError(
              `cannot connect to ${r.label} (${target(r)}): no SSH handshake within ${Math.round(this.ctx.connectTimeoutMs / 1000)} s — is the host up and port ${r.port} open to you?`,
              'CONNECT_FAILED',
            ),
          );
        }, this.ctx.connectTimeoutMs);
        timer.unref?.();
      };
      this.pauseConnectTimer = () => clearTimeout(timer);
      this.resumeConnectTimer = () => {
        if (!done) arm();
      };
      const cleanup = () => {
        done = true;
        clearTimeout(timer);
        this.client.removeListener('error', onError);
        this.client.removeListener('ready', onReady);
        this.client.removeListener('close', onClose);
      };
      const fail = (e: SshError) => {
        if (done) return;
        cleanup();
        this.closingReason = e.message;
        this.client.destroy();
        this.gone(); // also when no socket was ever made
        reject(e);
      };
      const onReady = () => {
        if (done) return;
        cleanup();
        this.state = 'ready';
        this.log(`authenticated as ${r.user} with ${auth.succeeded ?? 'no key'}`);
        this.armIdle();
        resolve();
      };
      const onError = (e: Error & { level?: string; code?: string }) => {
        if (this.failure) return fail(this.failure);
        if (e.level === 'agent') return; // ssh2 goes on with the next method
        if (e.level === 'client-authentication' && !/all configured authentication methods failed/i.test(e.message)) return;
        if (e.level === 'client-authentication') return fail(authFailure(r, auth.notes, auth.current, auth.methodsOffered));
        // The server hung up while keys were being tried (e.g. "Too many authentication failures").
        if (auth.started && e.level !== 'client-timeout' && e.level !== 'client-socket')
          return fail(authFailure(r, auth.notes, auth.current, auth.methodsOffered, e.message));
        fail(connectFailure(r, e));
      };
      const onClose = () => {
        if (this.failure) return fail(this.failure);
        if (auth.started)
          return fail(authFailure(r, auth.notes, auth.current, auth.methodsOffered, this.lastError ?? 'the server closed the connection'));
        fail(
          new SshError(
            `cannot connect to ${r.label} (${target(r)}): the connection was closed during the SSH handshake${this.lastError ? ` (${this.lastError})` : ''}`,
            'CONNECT_FAILED',
          ),
        );
      };
      this.client.on('error', onError);
      this.client.on('ready', onReady);
      this.client.on('close', onClose);
      arm();
      try {
        this.client.connect(cfg);
        // Small request/response packets: without this, Nagle + delayed ACK add ~40 ms to every command.
        if (tcp) this.client.setNoDelay(true);
      } catch (e) {
        fail(new SshError(`cannot connect to ${r.label} (${target(r)}): ${(e as Error).message}`, 'CONNECT_FAILED', { cause: e }));
      }
    });
  }

  /**
   * ssh2's authHandler: public keys only, the agent first, then each identity file (loaded, and decrypted
   * when asked, only when its turn comes). Records in `auth` what was tried and how it went.
   */
  private authHandler(attempts: AuthAttempt[], auth: AuthProgress) {
    const queue = [...attempts];
    const user = this.r.user;
    return (methodsLeft: string[] | null, _partial: boolean | null, next: (m: AnyAuthMethod | false) => void) => {
      auth.started = true;
      if (auth.current) {
        auth.notes.push({ what: auth.current.what, note: auth.current.note });
        auth.current = undefined;
      }
      if (methodsLeft) auth.methodsOffered = methodsLeft;
      if (methodsLeft && !methodsLeft.includes('publickey')) {
        next(false);
        return;
      }
      (async (): Promise<AnyAuthMethod | false> => {
        while (queue.length) {
          const a = queue.shift()!;
          if (a.kind === 'agent') {
            auth.current = { what: a.what, note: 'rejected' };
            auth.succeeded = a.what;
            return { type: 'agent', username: user, agent: a.agent };
          }
          const key = await this.loadKey(a.file, auth.notes);
          if (key) {
            auth.current = { what: a.file, note: 'rejected' };
            auth.succeeded = `key ${a.file}`;
            return { type: 'publickey', username: user, key };
          }
        }
        return false;
      })().then(next, () => next(false));
    };
  }

  /**
   * A private key from `file`, asking for its passphrase (once per pool) when it is encrypted. Why a file
   * cannot be used goes into `notes` (and undefined is returned).
   */
  private async loadKey(file: string, notes: KeyNote[]): Promise<ParsedKey | undefined> {
    const note = (n: string) => {
      notes.push({ what: file, note: n });
      return undefined;
    };
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch (e) {
      return note((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `unreadable: ${(e as Error).message}`);
    }
    let key = asParsed(utils.parseKey(data));
    if (key instanceof Error && /no passphrase given/i.test(key.message)) {
      const cached = this.ctx.decryptedKeys.get(file);
      if (cached) return cached;
      if (!this.ctx.callbacks.passphrase) return note('encrypted, and there is no way to ask for its passphrase');
      this.pauseConnectTimer?.();
      let pass: string | undefined;
      try {
        pass = await this.ctx.callbacks.passphrase(file);
      } finally {
        this.resumeConnectTimer?.();
      }
      if (pass === undefined) return note('encrypted; passphrase not given');
      key = asParsed(utils.parseKey(data, pass));
      if (key instanceof Error) {
        return note(/passphrase|integrity|decrypt/i.test(key.message) ? 'wrong passphrase' : `unusable: ${key.message}`);
      }
      this.ctx.decryptedKeys.set(file, key);
    }
    if (key instanceof Error) return note(`not a usable private key: ${key.message}`);
    if (!key.isPrivateKey()) return note('not a private key (a .pub file?)');
    return key;
  }

  /**
   * ssh2's hostVerifier: the first key the host offers is checked against known_hosts (verifyHost, which may
   * ask the user); a re-key must offer the same key. A refusal is kept in `failure` for the handshake to report.
   */
  private hostVerifier(name: string): (blob: Buffer, verify: (ok: boolean) => void) => void {
    let verifiedBlob: Buffer | undefined;
    return (blob, verify) => {
      if (verifiedBlob) {
        verify(verifiedBlob.equals(blob)); // re-key: the same key or nothing
        return;
      }
      this.verifyHost(name, blob).then(
        () => {
          verifiedBlob = blob;
          verify(true);
        },
        (e: unknown) => {
          this.failure = e instanceof SshError ? e : new SshError((e as Error).message, 'CONNECT_FAILED', { cause: e });
          verify(false);
        },
      );
    };
  }

  private knownHostsFiles(): string[] {
    return [this.ctx.knownHostsPath, ...this.ctx.globalKnownHostsPaths];
  }

  private async verifyHost(name: string, blob: Buffer): Promise<void> {
    const r = this.r;
    const keyType = keyTypeOf(blob);
    const fp = fingerprint(blob);
    const decide = (entries: KnownHostEntry[]): 'known' | 'unknown' => {
      const st = checkHostKey(entries, name, blob);
      if (st.status === 'known') {
        this.log(`host key ${keyType} ${fp} matches ${st.entry.file}:${st.entry.line}`);
        return 'known';
      }
      if (st.status === 'revoked') {
        throw new SshError(
          `host key of ${r.label} (${name}) is REVOKED: ${keyType} ${fp} is marked @revoked in ${st.entry.file}:${st.entry.line}. ` +
            `The connection was refused before authentication. Find out why the host still uses a revoked key.`,
          'HOST_KEY_REJECTED',
        );
      }
      if (st.status === 'changed') {
        const recorded = st.recorded.map((e) => `${e.keyType} ${fingerprint(e.blob)} (${e.file}:${e.line})`).join(', ');
        const quoted = /^[A-Za-z0-9._:[\]-]+$/.test(name) ? (name.includes('[') ? `'${name}'` : name) : `'${name.replace(/'/g, `'\\''`)}'`;
        throw new SshError(
          `HOST KEY CHANGED for ${r.label} (${name}): the host offered ${keyType} ${fp}, but known_hosts records ${recorded}. ` +
            `Someone may be intercepting the connection (man-in-the-middle), or the host was reinstalled or replaced. ` +
            `Nothing was sent to it: the connection was closed before authentication. ` +
            `If you have verified the new key (e.g. from the EC2 console's system log), remove the old entry with ` +
            `\`ssh-keygen -R ${quoted} -f ${this.ctx.knownHostsPath}\` and connect again.`,
          'HOST_KEY_CHANGED',
        );
      }
      return 'unknown';
    };
    if (decide(readKnownHosts(this.knownHostsFiles())) === 'known') return;
    await this.ctx.exclusive(async () => {
      // Another connection may have recorded it while this one waited.
      if (decide(readKnownHosts(this.knownHostsFiles())) === 'known') return;
      this.pauseConnectTimer?.();
      let ok: boolean;
      try {
        ok = await this.ctx.callbacks.confirmUnknownHost({ host: name, port: r.port, keyType, fingerprint: fp });
      } finally {
        this.resumeConnectTimer?.();
      }
      if (!ok) {
        throw new SshError(
          `host key of ${r.label} (${name}) is unknown and was not trusted: ${keyType} ${fp}. Nothing was recorded and no login was attempted. ` +
            `Compare the fingerprint with the host's own (\`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub\` run on it, or the EC2 console's system log), then accept it.`,
          'HOST_KEY_REJECTED',
        );
      }
      const hashed = r.hashKnownHosts ?? fileUsesHashing(this.ctx.knownHostsPath);
      try {
        appendKnownHost(this.ctx.knownHostsPath, name, blob, hashed);
      } catch (e) {
        throw new SshError(`cannot record the host key of ${r.label} in ${this.ctx.knownHostsPath}: ${(e as Error).message}`, 'CONFIG', {
          cause: e,
        });
      }
      this.log(`recorded host key ${keyType} ${fp} for ${name} in ${this.ctx.knownHostsPath}${hashed ? ' (hashed)' : ''}`);
    });
  }

  private async authPlan(): Promise<{ attempts: AuthAttempt[]; notes: KeyNote[] }> {
    const notes: KeyNote[] = [];
    const attempts: AuthAttempt[] = [];
    const socket = this.r.identityAgent === null ? null : (this.r.identityAgent ?? this.ctx.agentSocket);
    if (socket) {
      const agent = new OpenSSHAgent(socket);
      const count = await new Promise<number | string>((resolve) => {
        const t = setTimeout(() => resolve('no answer'), 3000);
        agent.getIdentities((err, keys) => {
          clearTimeout(t);
          resolve(err ? err.message : (keys ?? []).length);
        });
      });
      const what = `ssh-agent (${socket})`;
      if (typeof count === 'string') notes.push({ what, note: `unreachable: ${count}` });
      else if (count === 0) notes.push({ what, note: 'holds no keys' });
      else attempts.push({ kind: 'agent', what: `ssh-agent (${socket}, ${count} key${count === 1 ? '' : 's'})`, agent });
    }
    for (const file of this.r.identityFiles) attempts.push({ kind: 'key', file });
    return { attempts, notes };
  }

  // ---------------------------------------------------------------------------------------------------------
  // use

  /** Holds the connection for one operation. Throws when it is not usable. */
  lease(): Lease {
    if (this.state !== 'ready') throw new Error('connection not ready');
    let reject!: (e: Error) => void;
    const lost = new Promise<never>((_res, rej) => (reject = rej));
    lost.catch(() => undefined);
    const listeners = new Set<(reason: string) => void>();
    const fail = (reason: string) => {
      for (const l of [...listeners]) {
        try {
          l(reason);
        } catch {
          // a listener's failure must not stop the others
        }
      }
      reject(new Error(reason));
    };
    this.leases.add(fail);
    this.disarmIdle();
    let released = false;
    return {
      lost,
      onLost: (fn) => {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
      release: () => {
        if (released) return;
        released = true;
        this.leases.delete(fail);
        this.armIdle();
      },
    };
  }

  addDependent(): void {
    this.dependents++;
    this.disarmIdle();
  }

  removeDependent(): void {
    this.dependents = Math.max(0, this.dependents - 1);
    this.armIdle();
  }

  private armIdle(): void {
    this.disarmIdle();
    if (this.state !== 'ready' || this.leases.size || this.dependents) return;
    this.idleTimer = setTimeout(() => {
      this.log(`closing after ${Math.round(this.ctx.idleMs / 1000)} s idle`);
      void this.close(`it was closed after ${Math.round(this.ctx.idleMs / 1000)} s idle`);
    }, this.ctx.idleMs);
    this.idleTimer.unref?.();
  }

  private disarmIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private async channelSlot(lease: Lease): Promise<() => void> {
    if (this.channels >= MAX_SESSION_CHANNELS) {
      // Wait for a slot to be handed over by free() below.
      const waiter = { go: () => undefined as void, fail: (_reason: string) => undefined as void, cancelled: false };
      try {
        await Promise.race([
          new Promise<void>((go, fail) => {
            waiter.go = go;
            waiter.fail = (reason) => fail(new Error(reason));
            this.channelWaiters.push(waiter);
          }),
          lease.lost,
        ]);
      } catch (e) {
        waiter.cancelled = true;
        throw e;
      }
    } else {
      this.channels++;
    }
    let freed = false;
    return () => {
      if (freed) return;
      freed = true;
      for (let w = this.channelWaiters.shift(); w; w = this.channelWaiters.shift()) {
        if (w.cancelled) continue;
        w.go(); // the slot passes to the waiter
        return;
      }
      this.channels--;
    };
  }

  /**
   * Opens a session channel. sshd frees a closed session's slot a moment after the close, so under load an
   * open can fail with "open failed" (MaxSessions) although fewer are in use: retried for a while.
   */
  private async openChannel<T>(lease: Lease, open: (cb: (err: Error | undefined, ch: T) => void) => void): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await Promise.race([new Promise<T>((resolve, reject) => open((err, ch) => (err ? reject(err) : resolve(ch)))), lease.lost]);
      } catch (e) {
        const retryable = /open failed|channel open failure/i.test((e as Error).message);
        if (!retryable || !this.alive || attempt >= (this.channels > 1 ? 40 : 4)) throw e;
        await new Promise((r) => setTimeout(r, Math.min(25 * attempt, 200)));
      }
    }
  }

  /** Opens an exec channel; the returned release frees its slot (call it when the channel has closed). */
  async execChannel(command: string, lease: Lease): Promise<{ channel: ClientChannel; free: () => void }> {
    const free = await this.channelSlot(lease);
    try {
      const channel = await this.openChannel<ClientChannel>(lease, (cb) => this.client.exec(command, cb));
      return { channel, free };
    } catch (e) {
      free();
      throw e;
    }
  }

  async sftp(lease: Lease): Promise<{ sftp: SFTPWrapper; free: () => void }> {
    const free = await this.channelSlot(lease);
    try {
      const sftp = await this.openChannel<SFTPWrapper>(lease, (cb) => this.client.sftp(cb));
      return {
        sftp,
        free: () => {
          try {
            sftp.end();
          } catch {
            // already closed
          }
          free();
        },
      };
    } catch (e) {
      free();
      throw e;
    }
  }

  /** A TCP stream to host:port opened by this (jump) host. */
  forwardOut(host: string, port: number): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, host, port, (err, ch) => (err ? reject(err) : resolve(ch)));
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // end

  private gone(): void {
    if (this.state === 'closed') return;
    const wasReady = this.state === 'ready' || this.state === 'closing';
    this.state = 'closed';
    this.disarmIdle();
    const reason = this.closingReason ?? (this.lastError ? this.lastError : 'the server closed the connection');
    if (wasReady && !this.closingReason) this.log(`connection lost: ${reason}`);
    for (const fail of [...this.leases]) fail(reason);
    this.leases.clear();
    for (const w of this.channelWaiters.splice(0)) w.fail(reason);
    this.resolveClosed();
    this.onClosed?.();
  }

  /** Closes the connection (in-flight operations fail with `reason`); resolves once it is closed. */
  async close(reason: string): Promise<void> {
    if (this.state === 'closed') return;
    this.closingReason ??= reason;
    if (!this.started) {
      this.gone();
      return;
    }
    if (this.state === 'ready') this.state = 'closing'; // no new leases from now on
    try {
      this.client.end();
    } catch {
      // ignore
    }
    const t = setTimeout(() => this.client.destroy(), 2000);
    t.unref?.();
    if (this.state === 'connecting') {
      this.client.destroy();
    }
    await this.closedPromise;
    clearTimeout(t);
  }

  get closed(): Promise<void> {
    return this.closedPromise;
  }

  get jumpConnection(): Connection | undefined {
    return this.jump;
  }
}

function hostKeyAlgorithms(knownTypes: string[]): string[] {
  let supported: string[] | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    supported = require('ssh2/lib/protocol/constants.js').SUPPORTED_SERVER_HOST_KEY as string[];
  } catch {
    supported = undefined;
  }
  const list = preferredHostKeyAlgorithms(knownTypes);
  return supported ? list.filter((a) => supported!.includes(a)) : list;
}

function connectFailure(r: ResolvedEndpoint, e: Error & { level?: string; code?: string }): SshError {
  const code = e.code ?? '';
  let why = e.message;
  if (code === 'ECONNREFUSED') why = `connection refused — is sshd running and listening on port ${r.port}?`;
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    why = `host name ${r.hostname} not found — check the host or HostName in ~/.ssh/config`;
  else if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    why = `${code}: the host is unreachable — check the address, security group or firewall for port ${r.port}`;
  else if (e.level === 'handshake' || e.level === 'protocol') why = `SSH handshake failed: ${e.message}`;
  return new SshError(`cannot connect to ${r.label} (${target(r)}): ${why}`, 'CONNECT_FAILED');
}

function authFailure(
  r: ResolvedEndpoint,
  notes: KeyNote[],
  current: KeyNote | undefined,
  methods: string[] | undefined,
  serverSaid?: string,
): SshError {
  const all = current ? [...notes, current] : notes;
  const tried = all.length
    ? all.map((n) => `${n.what}: ${n.note}`).join('; ')
    : 'nothing — no ssh-agent (SSH_AUTH_SOCK is not set) and no identity file (none given, none in ~/.ssh/config, no ~/.ssh/id_ed25519, id_ecdsa or id_rsa)';
  const wrongPass = all.filter((n) => n.note === 'wrong passphrase').map((n) => n.what);
  const noPk = methods && !methods.includes('publickey');
  const hostArg = `${r.port !== 22 ? `-p ${r.port} ` : ''}${r.user}@${r.hostname}`;
  let fix: string;
  if (wrongPass.length)
    fix = `the passphrase for ${wrongPass.join(', ')} was wrong — try again with the right one (check it with \`ssh-keygen -y -f ${wrongPass[0]}\`)`;
  else if (noPk)
    fix = `the server does not accept public keys for ${r.user} (it offers: ${methods!.join(', ')}) — enable PubkeyAuthentication in its sshd_config`;
  else
    fix =
      `put the right key in the endpoint's identityFile (or IdentityFile in ~/.ssh/config, or load it with ssh-add), ` +
      `or install your public key on the host: \`ssh-copy-id -i KEY.pub ${hostArg}\`; also check that the user ${r.user} is right`;
  const said = serverSaid ? ` The server ended the connection: ${serverSaid}.` : '';
  return new SshError(
    `authentication failed for ${r.user}@${r.hostname}:${r.port} (${r.label}). Tried: ${tried}.${said} Fix: ${fix}.`,
    'AUTH_FAILED',
  );
}
