// "Open SSH Terminal" runs the user's own OpenSSH client (their config, agent and known_hosts apply), and
// "Forget Stored Passwords" clears what SecretStorage holds for ROS VPN (the CA passphrase too).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { opensshArgs, type OpensshFiles } from '../../core/ssh/openssh';
import type { CaPassphrases } from '../clients/caPassphrase';
import type { CommandSpec } from '../commands/registry';
import { pickHost } from '../commands/ui';
import type { TopologyStore } from '../workspace/topologyStore';
import type { SshService } from './sshService';

/**
 * OpenSSH reads ~/.ssh of the account's home from the password database, while the extension (like every
 * Node program) uses $HOME. Where the two differ (containers, remote servers started with another HOME),
 * point ssh at the files the extension reads and records host keys into, so a key trusted in the modal is
 * trusted in the terminal too.
 */
function sameFilesAsExtension(): OpensshFiles {
  const home = os.homedir();
  let accountHome: string | undefined;
  try {
    accountHome = os.userInfo().homedir;
  } catch {
    accountHome = undefined;
  }
  if (!accountHome || path.resolve(accountHome) === path.resolve(home)) return {};
  const config = path.join(home, '.ssh', 'config');
  return { knownHostsFile: path.join(home, '.ssh', 'known_hosts'), configFile: fs.existsSync(config) ? config : undefined };
}

export function sshCommands(deps: {
  store: TopologyStore;
  ssh: SshService;
  log: vscode.LogOutputChannel;
  ca: CaPassphrases;
}): CommandSpec[] {
  return [
    {
      id: 'rosvpn.openSshTerminal',
      needsTrust: true,
      run: async (arg?: unknown) => {
        const t = await deps.store.require();
        const host = await pickHost(t, arg, ['gateway', 'desktop', 'second', 'client'], 'Open an SSH terminal on which host?');
        if (!host) return;
        const args = opensshArgs(host.endpoint, sameFilesAsExtension());
        deps.log.info(`ssh ${args.join(' ')}`);
        vscode.window
          .createTerminal({ name: `ROS VPN: ${host.label}`, shellPath: 'ssh', shellArgs: args, iconPath: new vscode.ThemeIcon('terminal') })
          .show();
      },
    },
    {
      id: 'rosvpn.forgetSecrets',
      run: async () => {
        const n = await deps.ssh.forgetAll();
        const ca = await deps.ca.forgetAll();
        void vscode.window.showInformationMessage(
          `ROS VPN: forgot ${n} stored passphrase(s) and sudo password(s)${ca ? ` and ${ca} CA passphrase(s)` : ''}.`,
        );
      },
    },
  ];
}
