// "Download Client Profile": ros_local_gateway.ovpn from the gateway into the workspace, mode 0600,
// kept out of git. The file holds the client's private key, and the user is told so.
import { promises as fsp } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { ignoreInGit, writePrivateFile } from '../../core/provision/clientProfile';
import { CLIENT_PROFILE_NAME } from '../../core/topology/types';
import type { CommandSpec } from '../commands/registry';
import type { SshService } from '../ssh/sshService';
import type { TopologyStore } from '../workspace/topologyStore';

export const PROFILE_FILE = `${CLIENT_PROFILE_NAME}.ovpn`;

/** What happened to git's view of the profile, for the message. */
async function keepOutOfGit(file: string): Promise<string> {
  const r = await ignoreInGit(file);
  return r === 'added'
    ? `Added ${PROFILE_FILE} to .gitignore.`
    : r === 'already-ignored'
      ? `${PROFILE_FILE} is already ignored by git.`
      : `This folder is not a git repository: keep ${PROFILE_FILE} out of any version control.`;
}

export function downloadProfileCommand(deps: { store: TopologyStore; ssh: SshService; log: vscode.LogOutputChannel }): CommandSpec {
  return {
    id: 'rosvpn.downloadClientProfile',
    needsTrust: true,
    run: async () => {
      const t = await deps.store.require();
      const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
      const file = path.join(folder, PROFILE_FILE);
      const exists = await fsp.stat(file).then(
        () => true,
        () => false,
      );
      if (exists) {
        const replace = 'Replace';
        const choice = await vscode.window.showWarningMessage(
          `${PROFILE_FILE} already exists in the workspace.`,
          { modal: true, detail: 'Replace it with the profile on the gateway now?' },
          replace,
        );
        if (choice !== replace) return;
      }
      const { fetchClientProfile } = await import('../../core/provision/orchestrator');
      const { selectHosts } = await import('../../core/provision/endpoints');
      const profile = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `ROS VPN: Downloading ${PROFILE_FILE} from the gateway` },
        async () => fetchClientProfile(await deps.ssh.getPool(), selectHosts(t, { host: 'gateway' })[0]),
      );
      await writePrivateFile(file, profile);
      const gitNote = await keepOutOfGit(file);
      deps.log.info(`wrote ${file} (mode 0600, ${profile.length} bytes). ${gitNote}`);
      const open = 'Open';
      const choice = await vscode.window.showInformationMessage(
        `ROS VPN: saved ${PROFILE_FILE} (mode 0600). It holds the client's private key: keep it secret. ${gitNote}`,
        open,
      );
      if (choice === open) await vscode.window.showTextDocument(vscode.Uri.file(file));
    },
  };
}
