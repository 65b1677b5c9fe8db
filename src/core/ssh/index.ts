// The SSH layer of the core: createSshPool implements the contract of ./types on ssh2 (pure JS).
import * as os from 'os';
import * as path from 'path';
import { Pool } from './pool';
import { defaultIdentityFiles } from './sshConfig';
import type { SshCallbacks, SshPool } from './types';

export * from './types';
export { fingerprint, keyTypeOf, knownHostName } from './knownHosts';

export interface CreateSshPoolOptions {
  callbacks: SshCallbacks;
  /** Default ~/.ssh/known_hosts; new host keys are appended here. */
  knownHostsPath?: string;
  /** Read-only known_hosts files also consulted; default [/etc/ssh/ssh_known_hosts]. */
  globalKnownHostsPaths?: string[];
  /** Default ~/.ssh/config. */
  sshConfigPath?: string;
  /** Idle connections close after this long; default 30000. */
  idleMs?: number;
  /** SSH keepalive interval; the connection is dropped after 3 unanswered; default 10000. */
  keepaliveMs?: number;
  /** TCP connect + SSH handshake limit, not counting time spent in callbacks; default 20000. */
  connectTimeoutMs?: number;
  /** ssh-agent socket; default $SSH_AUTH_SOCK; null or '' for no agent. */
  agentSocket?: string | null;
  /** Tried when neither the endpoint nor ~/.ssh/config names an identity file; default the existing
   * ~/.ssh/id_ed25519, id_ecdsa, id_rsa. */
  defaultIdentityFiles?: string[];
  /** Connection events, one line each; never passwords or passphrases. */
  log?: (line: string) => void;
}

export function createSshPool(options: CreateSshPoolOptions): SshPool {
  const sshDir = path.join(os.homedir(), '.ssh');
  return new Pool({
    callbacks: options.callbacks,
    knownHostsPath: options.knownHostsPath ?? path.join(sshDir, 'known_hosts'),
    globalKnownHostsPaths: options.globalKnownHostsPaths ?? ['/etc/ssh/ssh_known_hosts'],
    sshConfigPath: options.sshConfigPath ?? path.join(sshDir, 'config'),
    idleMs: options.idleMs ?? 30000,
    keepaliveMs: options.keepaliveMs ?? 10000,
    connectTimeoutMs: options.connectTimeoutMs ?? 20000,
    agentSocket: options.agentSocket === undefined ? (process.env.SSH_AUTH_SOCK ?? null) : options.agentSocket,
    defaultIdentityFiles: options.defaultIdentityFiles ?? defaultIdentityFiles(),
    log: options.log ?? (() => undefined),
  });
}
