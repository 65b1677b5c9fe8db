// The SSH layer's contract. The orchestrator, the CLI and the extension depend only on these types;
// src/core/ssh/ implements them on ssh2. Never imports `vscode`.

/** Where and how to reach one host. Built from the topology (see endpointsFor) and ~/.ssh/config. */
export interface SshEndpoint {
  /** Name for messages and pooling: `gateway`, `desktop` or a second's name. */
  label: string;
  /** Hostname, IP address or ~/.ssh/config alias. */
  host: string;
  /** Explicit settings (from rosvpn.json) win over ~/.ssh/config, as command-line options do in OpenSSH. */
  user?: string;
  port?: number;
  identityFile?: string;
  /** Reach this host through another one (ProxyJump). */
  jump?: SshEndpoint;
}

export interface HostKeyInfo {
  /** Host as written in known_hosts: `host` or `[host]:port`. */
  host: string;
  port: number;
  keyType: string;
  /** `SHA256:...` as OpenSSH prints it. */
  fingerprint: string;
}

/** Decisions the user makes; the CLI answers from flags and prompts, the extension from modals. */
export interface SshCallbacks {
  /** Unknown host key: true trusts it and records it in known_hosts. */
  confirmUnknownHost(info: HostKeyInfo): Promise<boolean>;
  /** Passphrase for an encrypted private key; undefined cancels. */
  passphrase?(keyPath: string): Promise<string | undefined>;
  /** sudo password when `sudo -n` is refused; undefined cancels. Never logged or put on a command line. */
  sudoPassword?(endpoint: SshEndpoint): Promise<string | undefined>;
}

export interface ExecOptions {
  /** Called once per complete output line (without the newline), as it arrives. */
  onStdout?(line: string): void;
  onStderr?(line: string): void;
  /** Run through sudo (`sudo -n`, then with the password from SshCallbacks.sudoPassword). */
  sudo?: boolean;
  /** Kill the remote command and reject with SshError('TIMEOUT') after this long. */
  timeoutMs?: number;
  /**
   * Aborting ends the remote process and rejects with SshError('ABORTED'). The command runs in a process
   * group of its own under a small sh watchdog that kills the group (TERM, then KILL after 2 s) when the
   * channel's stdin ends: on abort, timeout, channel close or a lost connection; under sudo too.
   */
  signal?: AbortSignal;
}

export interface ExecResult {
  /** Exit status; null when the remote process was killed by a signal. */
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

/** One authenticated connection to one host. */
export interface SshSession {
  readonly endpoint: SshEndpoint;
  /** Runs `command` with the remote user's shell. Resolves with the exit status (non-zero is not an error). */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Writes a file over SFTP with the given mode, atomically (temp name + rename). `~/` is the remote home. */
  upload(remotePath: string, content: string | Buffer, mode: number): Promise<void>;
  /** Reads a file over SFTP. */
  download(remotePath: string): Promise<Buffer>;
}

/** One connection per host, reused across operations; idle connections close by themselves. */
export interface SshPool {
  session(endpoint: SshEndpoint): Promise<SshSession>;
  /** Closes every connection. */
  dispose(): Promise<void>;
}

export type SshErrorCode =
  | 'HOST_KEY_CHANGED'
  | 'HOST_KEY_REJECTED'
  | 'AUTH_FAILED'
  | 'CONNECT_FAILED'
  | 'CONNECTION_LOST'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'SUDO_FAILED'
  | 'SFTP_FAILED'
  | 'CONFIG';

/**
 * Errors with a message a user can act on; `code` lets callers branch without parsing text. Recognise one
 * with isSshError (src/core/errors.ts): the lazily loaded SSH bundle has its own copy of this class.
 */
export class SshError extends Error {
  constructor(
    message: string,
    readonly code: SshErrorCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SshError';
  }
}
