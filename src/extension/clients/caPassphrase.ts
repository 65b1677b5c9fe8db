// The CA key's passphrase in VS Code (the CaPassphraseSource every provisioning and client command passes to
// the core). The CA key stays encrypted on the gateway and is unlocked only while a run issues, revokes or
// makes the CRL; the core uploads the passphrase to the gateway's RAM for that run. Here it is kept either in
// memory for this window ("This session only", the default) or in SecretStorage ("Remember on this machine"),
// one entry per deployment, and "Forget Stored Passwords" clears both. It is never logged.
import * as vscode from 'vscode';
import type { ValidTopology } from '../../core/topology/types';
import type { CaPassphraseSource } from './coreApi';

/** Secret keys this class stored, so that Forget finds them (SecretStorage cannot list its keys). */
const KNOWN_CA_SECRETS = 'rosvpn.caSecretKeys';
/** openssl refuses passphrases under 4 characters; a CA passphrase should be far longer. */
export const MIN_CA_PASSPHRASE = 8;

export const REMEMBER = 'Remember on this machine (SecretStorage)';
export const SESSION_ONLY = 'This session only';

/**
 * One entry per deployment: the EC2 deployment id when there is one (names repeat across teams: everyone's
 * starter is "demo"), else the name; with the gateway's SSH host, since a new gateway has a new CA.
 */
export function caSecretKey(t: Pick<ValidTopology, 'name' | 'deployment' | 'gateway'>): string {
  return `rosvpn.caPassphrase:${t.deployment ?? t.name}@${t.gateway.host}`;
}

/** The core's limits (one line, at most 1024 characters: openssl reads the file's first line) and ours for a new one. */
export function checkNewPassphrase(v: string): string | undefined {
  if (v.length < MIN_CA_PASSPHRASE) return `At least ${MIN_CA_PASSPHRASE} characters (a long phrase from a password manager is best).`;
  if (v.length > 1024) return 'At most 1024 characters.';
  if (v.trim() !== v) return 'No spaces at the start or end: they are easy to lose when typing it again.';
  return undefined;
}

export class CaPassphrases {
  /** "This session only": gone when the window closes. */
  private readonly session = new Map<string, string>();

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly state: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The source for this topology's CA, for one command. */
  sourceFor(t: Pick<ValidTopology, 'name' | 'deployment' | 'gateway'>): CaPassphraseSource {
    const key = caSecretKey(t);
    const where = `the CA of ${t.name} (gateway ${t.gateway.host})`;
    return {
      known: async () => this.session.get(key) ?? (await this.secrets.get(key)),
      ask: async (need, why) => {
        if (need === 'new') return this.askNew(key, where, why);
        // The last one opened nothing: forget it wherever it was, and keep the new answer in the same place.
        const wasStored = need === 'retry' && (await this.secrets.get(key)) !== undefined;
        if (need === 'retry') {
          this.session.delete(key);
          await this.secrets.delete(key);
          this.log.warn(`CA passphrase for ${where}: wrong, forgotten; asking again`);
        }
        const value = await vscode.window.showInputBox({
          title: `ROS VPN: CA passphrase${need === 'retry' ? ' (the last one was wrong)' : ''}`,
          prompt: `The passphrase of ${where}, to ${why}.`,
          password: true,
          ignoreFocusOut: true,
          validateInput: (v) => (v ? undefined : 'Type the passphrase you chose when the CA was made.'),
        });
        if (value === undefined) return undefined;
        if (wasStored) await this.remember(key, value);
        else this.session.set(key, value);
        return value;
      },
    };
  }

  private async askNew(key: string, where: string, why: string): Promise<string | undefined> {
    const first = await vscode.window.showInputBox({
      title: 'ROS VPN: New CA passphrase (1/2)',
      prompt: `Choose a passphrase for ${where} (to ${why}). The CA key is stored encrypted with it: keep it in a password manager, since without it no client can be added, revoked or renewed.`,
      password: true,
      ignoreFocusOut: true,
      validateInput: checkNewPassphrase,
    });
    if (first === undefined) return undefined;
    const second = await vscode.window.showInputBox({
      title: 'ROS VPN: New CA passphrase (2/2)',
      prompt: 'Type the same passphrase again.',
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (v === first ? undefined : 'Not the same as the first one.'),
    });
    if (second === undefined) return undefined;
    const picked = await vscode.window.showQuickPick(
      [
        { label: SESSION_ONLY, description: 'kept in memory until this window closes', remember: false },
        { label: REMEMBER, description: "VS Code's secret storage; Forget Stored Passwords clears it", remember: true },
      ],
      { title: 'ROS VPN: Keep the CA passphrase where?', placeHolder: SESSION_ONLY, ignoreFocusOut: true },
    );
    if (!picked) return undefined;
    if (picked.remember) await this.remember(key, second);
    else this.session.set(key, second);
    this.log.info(`CA passphrase for ${where}: chosen, kept ${picked.remember ? 'in SecretStorage' : 'for this session only'}`);
    return second;
  }

  private async remember(key: string, value: string): Promise<void> {
    this.session.delete(key);
    await this.secrets.store(key, value);
    const keys = new Set(this.state.get<string[]>(KNOWN_CA_SECRETS, []));
    keys.add(key);
    await this.state.update(KNOWN_CA_SECRETS, [...keys]);
  }

  /** Forgets every CA passphrase, remembered or for this session; returns how many there were. */
  async forgetAll(): Promise<number> {
    const keys = new Set([...this.state.get<string[]>(KNOWN_CA_SECRETS, []), ...this.session.keys()]);
    this.session.clear();
    for (const k of keys) await this.secrets.delete(k);
    await this.state.update(KNOWN_CA_SECRETS, []);
    return keys.size;
  }
}
