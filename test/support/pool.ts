// Pools for the SSH tests: isolated from the machine's ~/.ssh (own known_hosts, no config, no agent, no
// default keys unless a test asks), recording every callback and log line, disposed after each test.
import * as fs from 'fs';
import * as path from 'path';
import { createSshPool, type CreateSshPoolOptions } from '../../src/core/ssh';
import { type HostKeyInfo, type SshEndpoint, SshError, type SshPool } from '../../src/core/ssh/types';

export interface TestPool {
  pool: SshPool;
  logs: string[];
  asked: HostKeyInfo[];
  passphraseAsked: string[];
  sudoAsked: SshEndpoint[];
  knownHostsPath: string;
}

export interface TestPoolOptions extends Partial<Omit<CreateSshPoolOptions, 'callbacks'>> {
  /** Answer to unknown host keys; default: fail the test if asked. */
  trust?: boolean;
  passphrase?: string | undefined | (() => string | undefined);
  sudoPassword?: string | undefined | (() => string | undefined);
  /** Lines written to the known_hosts file first. */
  knownHosts?: string[];
}

export class PoolFactory {
  private readonly pools: SshPool[] = [];
  private n = 0;

  constructor(private readonly dir: string) {}

  make(o: TestPoolOptions = {}): TestPool {
    const knownHostsPath = o.knownHostsPath ?? path.join(this.dir, `known_hosts.${++this.n}`);
    if (o.knownHosts) fs.writeFileSync(knownHostsPath, o.knownHosts.map((l) => `${l}\n`).join(''), { mode: 0o600 });
    const t: TestPool = { pool: undefined as unknown as SshPool, logs: [], asked: [], passphraseAsked: [], sudoAsked: [], knownHostsPath };
    const value = <T>(v: T | (() => T)): T => (typeof v === 'function' ? (v as () => T)() : v);
    t.pool = createSshPool({
      knownHostsPath,
      sshConfigPath: o.sshConfigPath ?? path.join(this.dir, 'no-such-ssh-config'),
      agentSocket: o.agentSocket ?? null,
      defaultIdentityFiles: o.defaultIdentityFiles ?? [],
      globalKnownHostsPaths: o.globalKnownHostsPaths ?? [],
      idleMs: o.idleMs,
      keepaliveMs: o.keepaliveMs,
      connectTimeoutMs: o.connectTimeoutMs ?? 10000,
      log: (l) => t.logs.push(l),
      callbacks: {
        confirmUnknownHost: async (info) => {
          t.asked.push(info);
          if (o.trust === undefined) throw new Error(`unexpected unknown-host question for ${info.host}`);
          return o.trust;
        },
        passphrase: async (keyPath) => {
          t.passphraseAsked.push(keyPath);
          return value(o.passphrase);
        },
        sudoPassword: async (endpoint) => {
          t.sudoAsked.push(endpoint);
          return value(o.sudoPassword);
        },
      },
    });
    this.pools.push(t.pool);
    return t;
  }

  async disposeAll(): Promise<void> {
    await Promise.all(this.pools.splice(0).map((p) => p.dispose()));
  }
}

/** Runs `fn` and returns the SshError it rejects with; fails if it resolves or throws something else. */
export async function sshError(fn: () => Promise<unknown>): Promise<SshError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof SshError) return e;
    throw new Error(`expected an SshError, got: ${(e as Error).stack ?? e}`, { cause: e });
  }
  throw new Error('expected an SshError, but it succeeded');
}
