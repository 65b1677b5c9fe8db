// One SSH pool for the window, created on first use: ssh2 and the provisioning code load only then, never
// during activation. Trust decisions go to modals; passphrases and sudo passwords live in SecretStorage.
import * as vscode from 'vscode';
import { loadSsh } from '../lazy';
import type { HostKeyInfo, SshCallbacks, SshEndpoint, SshPool } from '../../core/ssh/types';

const PASSPHRASE = (keyPath: string) => `rosvpn.passphrase:${keyPath}`;
const SUDO = (e: SshEndpoint) => `rosvpn.sudo:${e.user ?? ''}@${e.host}:${e.port ?? 22}`;
const KNOWN_SECRETS = 'rosvpn.secretKeys';

export class SshService implements vscode.Disposable {
  private pool: Promise<SshPool> | undefined;
  private backgroundPool: Promise<SshPool> | undefined;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly secrets: vscode.SecretStorage,
    private readonly state: vscode.Memento,
  ) {}

  /** The shared pool; connections are reused across commands and close by themselves when idle. */
  getPool(): Promise<SshPool> {
    this.pool ??= loadSsh().then(({ createSshPool }) =>
      createSshPool({ callbacks: this.callbacks(), log: (line) => this.log.debug(`ssh: ${line}`) }),
    );
    return this.pool;
  }

  /**
   * For work nobody asked for just now (the periodic check): never opens a modal or an input box. An unknown
   * host key is refused and only stored secrets are used, so such a host shows as unreachable until the
   * user connects to it once.
   */
  getBackgroundPool(): Promise<SshPool> {
    this.backgroundPool ??= loadSsh().then(({ createSshPool }) =>
      createSshPool({
        callbacks: {
          confirmUnknownHost: async (info) => {
            this.log.info(`periodic check: ${info.host} has an unknown host key; run a command on it once to review and trust it`);
            return false;
          },
          passphrase: async (keyPath) => this.secrets.get(PASSPHRASE(keyPath)),
          sudoPassword: async (e) => this.secrets.get(SUDO(e)),
        },
        log: (line) => this.log.trace(`ssh (background): ${line}`),
      }),
    );
    return this.backgroundPool;
  }

  /** After a failed login or sudo, forget what was stored so that the next attempt asks again. */
  async forgetFor(endpoint: SshEndpoint): Promise<void> {
    await this.secrets.delete(SUDO(endpoint));
    if (endpoint.identityFile) await this.secrets.delete(PASSPHRASE(endpoint.identityFile));
  }

  /** Forgets every stored secret and closes the connections they opened, so the next command asks again. */
  async forgetAll(): Promise<number> {
    const pools = [this.pool, this.backgroundPool];
    this.pool = this.backgroundPool = undefined;
    for (const p of pools) await p?.then((x) => x.dispose()).catch(() => undefined);
    const keys = this.state.get<string[]>(KNOWN_SECRETS, []);
    for (const k of keys) await this.secrets.delete(k);
    await this.state.update(KNOWN_SECRETS, []);
    return keys.length;
  }

  private async remember(key: string, value: string): Promise<void> {
    await this.secrets.store(key, value);
    const keys = new Set(this.state.get<string[]>(KNOWN_SECRETS, []));
    keys.add(key);
    await this.state.update(KNOWN_SECRETS, [...keys]);
  }

  private async askSecret(key: string, prompt: string): Promise<string | undefined> {
    const stored = await this.secrets.get(key);
    if (stored !== undefined) return stored;
    const value = await vscode.window.showInputBox({ title: 'ROS VPN', prompt, password: true, ignoreFocusOut: true });
    if (value !== undefined) await this.remember(key, value);
    return value;
  }

  private callbacks(): SshCallbacks {
    return {
      confirmUnknownHost: async (info: HostKeyInfo) => {
        const trust = 'Trust and Connect';
        const choice = await vscode.window.showWarningMessage(
          `The authenticity of host ${info.host} can't be established.`,
          {
            modal: true,
            detail: `${info.keyType} key fingerprint is ${info.fingerprint}.\n\nCompare it with the fingerprint the host prints (ssh-keygen -lf /etc/ssh/ssh_host_${info.keyType.replace(/^ssh-|-.*$/g, '')}_key.pub). Trust it and record it in known_hosts?`,
          },
          trust,
        );
        this.log.info(`host key of ${info.host}: ${info.keyType} ${info.fingerprint} ${choice === trust ? 'trusted' : 'rejected'}`);
        return choice === trust;
      },
      passphrase: (keyPath) =>
        this.askSecret(PASSPHRASE(keyPath), `Passphrase for the SSH key ${keyPath} (kept in VS Code's secret storage)`),
      sudoPassword: (e) =>
        this.askSecret(
          SUDO(e),
          `sudo password for ${e.user ?? 'the SSH user'} on ${e.label} (${e.host}) (kept in VS Code's secret storage)`,
        ),
    };
  }

  dispose(): void {
    for (const p of [this.pool, this.backgroundPool]) void p?.then((x) => x.dispose()).catch(() => undefined);
  }
}
