// The pool: one connection per `user@host:port` (through its jump chain), shared by concurrent callers,
// reconnected transparently after an idle close or a loss, all closed by dispose().
import type { ParsedKey } from 'ssh2';
import { Connection, type PoolContext, target } from './connection';
import { type HostState, Session } from './session';
import { loadSshConfig, type ResolvedEndpoint, resolveEndpoint } from './sshConfig';
import { type SshCallbacks, type SshEndpoint, SshError, type SshPool, type SshSession } from './types';

export interface SshPoolOptions {
  callbacks: SshCallbacks;
  /** Default ~/.ssh/known_hosts. New host keys are recorded here. */
  knownHostsPath: string;
  /** Read-only known_hosts files also consulted (OpenSSH's GlobalKnownHostsFile); default /etc/ssh/ssh_known_hosts. */
  globalKnownHostsPaths: string[];
  /** Default ~/.ssh/config; a missing file is an empty config. */
  sshConfigPath: string;
  idleMs: number;
  keepaliveMs: number;
  /** Time allowed for TCP connect + SSH handshake (not counting the user's answers). */
  connectTimeoutMs: number;
  /** ssh-agent socket; null or '' disables the agent. */
  agentSocket: string | null;
  defaultIdentityFiles: string[];
  log: (line: string) => void;
}

export class Pool implements SshPool {
  private readonly conns = new Map<string, Promise<Connection>>();
  private readonly all = new Set<Connection>();
  private readonly hosts = new Map<string, HostState>();
  private readonly ctx: PoolContext;
  private disposed = false;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: SshPoolOptions) {
    this.ctx = {
      callbacks: o.callbacks,
      knownHostsPath: o.knownHostsPath,
      globalKnownHostsPaths: o.globalKnownHostsPaths,
      agentSocket: o.agentSocket || null,
      keepaliveMs: o.keepaliveMs,
      idleMs: o.idleMs,
      connectTimeoutMs: o.connectTimeoutMs,
      log: o.log,
      exclusive: <T>(fn: () => Promise<T>) => {
        const run = this.lock.then(fn, fn);
        this.lock = run.catch(() => undefined);
        return run;
      },
      decryptedKeys: new Map<string, ParsedKey>(),
    };
  }

  /** The endpoint as OpenSSH would resolve it (config, defaults, jump chain). */
  resolve(endpoint: SshEndpoint): ResolvedEndpoint {
    const config = loadSshConfig(this.o.sshConfigPath);
    return resolveEndpoint(endpoint, config, { configPath: this.o.sshConfigPath, defaultIdentityFiles: this.o.defaultIdentityFiles });
  }

  async session(endpoint: SshEndpoint): Promise<SshSession> {
    this.assertOpen();
    const r = this.resolve(endpoint);
    await this.connection(r);
    return new Session(
      {
        connection: (x) => this.connection(x),
        hostState: (key) => this.hostState(key),
        callbacks: this.o.callbacks,
        log: this.o.log,
      },
      r,
      endpoint,
    );
  }

  private hostState(key: string): HostState {
    let s = this.hosts.get(key);
    if (!s) this.hosts.set(key, (s = {}));
    return s;
  }

  private assertOpen(): void {
    if (this.disposed) throw new SshError('the SSH connection pool was disposed', 'CONNECT_FAILED');
  }

  /** The live connection for `r`, connecting (once, however many callers wait) when there is none. */
  async connection(r: ResolvedEndpoint): Promise<Connection> {
    this.assertOpen();
    const existing = this.conns.get(r.key);
    if (existing) {
      const c = await existing.catch(() => undefined);
      if (c?.alive) return c;
      if (this.conns.get(r.key) === existing) this.conns.delete(r.key);
      if (c === undefined) {
        // The shared attempt failed: report its error to every waiter rather than retrying behind its back.
        return existing;
      }
      return this.connection(r);
    }
    const p = this.open(r);
    this.conns.set(r.key, p);
    p.catch(() => {
      if (this.conns.get(r.key) === p) this.conns.delete(r.key);
    });
    return p;
  }

  private async open(r: ResolvedEndpoint): Promise<Connection> {
    let jump: Connection | undefined;
    let sock: Awaited<ReturnType<Connection['forwardOut']>> | undefined;
    if (r.jump) {
      jump = await this.connection(r.jump);
      jump.addDependent();
      try {
        sock = await jump.forwardOut(r.hostname, r.port);
      } catch (e) {
        jump.removeDependent();
        throw new SshError(
          `cannot connect to ${r.label} (${target(r)}): the jump host ${r.jump.label} (${r.jump.hostname}:${r.jump.port}) could not open a connection to ${r.hostname}:${r.port}: ${(e as Error).message}`,
          'CONNECT_FAILED',
        );
      }
    }
    if (this.disposed) {
      sock?.destroy();
      jump?.removeDependent();
      this.assertOpen();
    }
    const conn = new Connection(r, this.ctx, jump);
    this.all.add(conn);
    let released = false;
    conn.onClosed = () => {
      this.all.delete(conn);
      if (jump && !released) {
        released = true;
        jump.removeDependent();
      }
      if (sock) sock.destroy();
    };
    await conn.connect(sock);
    if (this.disposed) {
      await conn.close('the SSH connection pool was disposed');
      this.assertOpen();
    }
    return conn;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const conns = [...this.all];
    await Promise.all(conns.map((c) => c.close('the SSH connection pool was disposed')));
    this.conns.clear();
    this.hosts.clear();
    this.ctx.decryptedKeys.clear();
  }
}
