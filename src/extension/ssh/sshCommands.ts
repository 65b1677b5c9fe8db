// "Open SSH Terminal" runs the user's own OpenSSH client (their config, agent and known_hosts apply), and
// "Forget Stored Passwords" clears what SecretStorage holds for ROS VPN.
import * as vscode from 'vscode';
import { opensshArgs } from '../../core/ssh/openssh';
import type { CommandSpec } from '../commands/registry';
import { pickHost, reportError } from '../commands/ui';
import type { TopologyStore } from '../workspace/topologyStore';
import type { SshService } from './sshService';

export function sshCommands(deps: { store: TopologyStore; ssh: SshService; log: vscode.LogOutputChannel }): CommandSpec[] {
  return [
    {
      id: 'rosvpn.openSshTerminal',
      run: async (arg?: unknown) => {
        try {
          const t = await deps.store.require();
          const host = await pickHost(t, arg, ['gateway', 'desktop', 'second'], 'Open an SSH terminal on which host?');
          if (!host) return;
          const args = opensshArgs(host.endpoint);
          deps.log.info(`ssh ${args.join(' ')}`);
          vscode.window.createTerminal({ name: `ROS VPN: ${host.label}`, shellPath: 'ssh', shellArgs: args, iconPath: new vscode.ThemeIcon('terminal') }).show();
        } catch (e) {
          await reportError(deps.log, 'Open SSH Terminal', e);
        }
      },
    },
    {
      id: 'rosvpn.forgetSecrets',
      run: async () => {
        const n = await deps.ssh.forgetAll();
        void vscode.window.showInformationMessage(`ROS VPN: forgot ${n} stored passphrase(s) and sudo password(s).`);
      },
    },
  ];
}
