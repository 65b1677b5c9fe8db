// One SSH pool for the window, created on first use: ssh2 and the provisioning code load only then, never
// during activation. Trust decisions go to modals. Passphrases and sudo passwords are kept in memory for this
// window's session; they go to SecretStorage only when the user picks "Remember" after typing one.
import * as vscode from 'vscode';
import { REMEMBER, SESSION_ONLY } from '../clients/caPassphrase';
import { loadSsh } from '../lazy';
import type { HostKeyInfo, SshCallbacks, SshEndpoint, SshPool } from '../../core/ssh/types';

const PASSPHRASE = (keyPath: string) => `rosvpn.passphrase:${keyPath}`;
const SUDO = (e: SshEndpoint) => `rosvpn.sudo:${e.user ?? ''}@${e.host}:${e.port ?? 22}`;
const KNOWN_SECRETS = 'rosvpn.secretKeys';

export class SshService implements vscode.Disposable {
  private pool: Promise<SshPool> | undefined;
  private backgroundPool: Promise<SshPool> | undefined;
  /** Secrets typed in this window (the default): gone when the window closes. */
  private readonly session = new Map<string, string>();

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
   * host key is refused and only known key passphrases are used, so such a host shows as unreachable until
   * the user connects to it once. No sudo password at all: the periodic check runs as the login user, and
   * sudo here could only be `sudo -n` (passwordless), never with a stored password.
   */
  getBackgroundPool(): Promise<SshPool> {
    this.backgroundPool ??= loadSsh().then(({ createSshPool }) =>
      createSshPool({
        callbacks: {
          confirmUnknownHost: async (info) => {
            this.log.info(`periodic check: ${info.host} has an unknown host key; run a command on it once to review and trust it`);
            return false;
          },
          passphrase: (keyPath) => this.known(PASSPHRASE(keyPath)),
        },
        log: (line) => this.log.trace(`ssh (background): ${line}`),
      }),
    );
    return this.backgroundPool;
  }

  /** After a failed login or sudo, forget what was stored so that the next attempt asks again. */
  async forgetFor(endpoint: SshEndpoint): Promise<void> {
    const keys = [SUDO(endpoint), ...(endpoint.identityFile ? [PASSPHRASE(endpoint.identityFile)] : [])];
    for (const k of keys) {
      this.session.delete(k);
      await this.secrets.delete(k);
    }
  }

  /** Forgets every stored secret and closes the connections they opened, so the next command asks again. */
  async forgetAll(): Promise<number> {
    const pools = [this.pool, this.backgroundPool];
    this.pool = this.backgroundPool = undefined;
    for (const p of pools) await p?.then((x) => x.dispose()).catch(() => undefined);
    // Counted: the secrets there were (a failed login may have forgotten a listed one already).
    let n = this.session.size;
    for (const k of this.state.get<string[]>(KNOWN_SECRETS, [])) {
      if (!this.session.has(k) && (await this.secrets.get(k)) !== undefined) n++;
      await this.secrets.delete(k);
    }
    this.session.clear();
    await this.state.update(KNOWN_SECRETS, []);
    return n;
  }

  private async remember(key: string, value: string): Promise<void> {
    this.session.delete(key);
    await this.secrets.store(key, value);
    const keys = new Set(this.state.get<string[]>(KNOWN_SECRETS, []));
    keys.add(key);
    await this.state.update(KNOWN_SECRETS, [...keys]);
  }

  /** A secret typed this session, else one the user chose to remember; undefined if neither. */
  private async known(key: string): Promise<string | undefined> {
    return this.session.get(key) ?? (await this.secrets.get(key));
  }

  /**
   * Asks for a secret, then where to keep it, as for the CA passphrase: this session only (the default, also
   * when the question is dismissed) or SecretStorage when the user picks "Remember".
   */
  private async askSecret(key: string, prompt: string, what: string): Promise<string | undefined> {
    const known = await this.known(key);
    if (known !== undefined) return known;
    const value = await vscode.window.showInputBox({ title: 'ROS VPN', prompt, password: true, ignoreFocusOut: true });
    if (value === undefined) return undefined;
    const picked = await vscode.window.showQuickPick(
      [
        { label: SESSION_ONLY, description: 'kept in memory until this window closes', remember: false },
        { label: REMEMBER, description: "VS Code's secret storage; Forget Stored Passwords clears it", remember: true },
      ],
      { title: `ROS VPN: Keep the ${what} where?`, placeHolder: SESSION_ONLY, ignoreFocusOut: true },
    );
    if (picked?.remember) await this.remember(key, value);
    else this.session.set(key, value);
    this.log.info(`${what}: kept ${picked?.remember ? 'in SecretStorage' : 'for this session only'}`);
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
        this.askSecret(PASSPHRASE(keyPath), `Passphrase for the SSH key ${keyPath} (kept for this session)`, `passphrase of ${keyPath}`),
      sudoPassword: (e) =>
        this.askSecret(
          SUDO(e),
          `sudo password for ${e.user ?? 'the SSH user'} on ${e.label} (${e.host}) (kept for this session)`,
          `sudo password for ${e.label}`,
        ),
    };
  }

  dispose(): void {
    for (const p of [this.pool, this.backgroundPool]) void p?.then((x) => x.dispose()).catch(() => undefined);
  }
}
