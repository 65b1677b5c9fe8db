// "Download Client Profile": a profile from the gateway into the workspace, mode 0600, kept out of git — the
// desktop's (ros_local_gateway.ovpn) or a client's (NAME.ovpn). The file holds that machine's private key, and
// the user is told so. A profile is data: one holding anything but what the gateway writes is refused.
import { promises as fsp } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { ignoreInGit, writePrivateFile } from '../../core/provision/clientProfile';
import { CLIENT_PROFILE_NAME, TOPOLOGY_FILE, type ValidTopology } from '../../core/topology/types';
import { fetchClientProfile, profileProblems } from '../clients/coreApi';
import type { CommandSpec } from '../commands/registry';
import { isTreeNode } from '../commands/ui';
import { UserError } from '../commands/userError';
import type { SshService } from '../ssh/sshService';
import type { TopologyStore } from '../workspace/topologyStore';

export const PROFILE_FILE = `${CLIENT_PROFILE_NAME}.ovpn`;

/** Whose profile: the desktop's (no client) or a client's. */
export interface ProfileChoice {
  client?: string;
}

/** What happened to git's view of the profile, for the message. */
async function keepOutOfGit(file: string): Promise<string> {
  const name = path.basename(file);
  const r = await ignoreInGit(file);
  return r === 'added'
    ? `Added ${name} to .gitignore.`
    : r === 'already-ignored'
      ? `${name} is already ignored by git.`
      : `This folder is not a git repository: keep ${name} out of any version control.`;
}

/**
 * The profile a command acts on: a client's node, the gateway's or desktop's node (the desktop's profile), a
 * name (`desktop`, `ros_local_gateway` or a client), or a QuickPick of the desktop and the clients from the
 * palette. undefined = cancelled.
 */
export async function pickProfile(t: ValidTopology, arg: unknown): Promise<ProfileChoice | undefined> {
  if (isTreeNode(arg)) return arg.client ? { client: arg.client.name } : {};
  if (typeof arg === 'string' && arg) {
    if (arg === 'desktop' || arg === CLIENT_PROFILE_NAME) return {};
    if (t.clients.some((c) => c.name === arg)) return { client: arg };
    throw new UserError(`${arg} is not a client in ${TOPOLOGY_FILE}: add it with "ROS VPN: Add Client" first.`);
  }
  if (t.clients.length === 0) return {};
  const picked = await vscode.window.showQuickPick(
    [
      { label: 'desktop', description: `${PROFILE_FILE} · the desktop gateway`, choice: {} as ProfileChoice },
      ...t.clients.map((c) => ({ label: c.name, description: `${c.name}.ovpn · ${c.vpnIp}`, choice: { client: c.name } })),
    ],
    { title: 'ROS VPN: Download Client Profile', placeHolder: 'Whose profile?' },
  );
  return picked?.choice;
}

export function downloadProfileCommand(deps: { store: TopologyStore; ssh: SshService; log: vscode.LogOutputChannel }): CommandSpec {
  return {
    id: 'rosvpn.downloadClientProfile',
    needsTrust: true,
    run: async (arg?: unknown) => {
      const t = await deps.store.require();
      const choice = await pickProfile(t, arg);
      if (!choice) return;
      const name = choice.client ?? CLIENT_PROFILE_NAME;
      const fileName = `${name}.ovpn`;
      const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
      const file = path.join(folder, fileName);
      const exists = await fsp.stat(file).then(
        () => true,
        () => false,
      );
      if (exists) {
        const replace = 'Replace';
        const answer = await vscode.window.showWarningMessage(
          `${fileName} already exists in the workspace.`,
          { modal: true, detail: 'Replace it with the profile on the gateway now?' },
          replace,
        );
        if (answer !== replace) return;
      }
      const { selectHosts } = await import('../../core/provision/endpoints');
      const profile = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `ROS VPN: Downloading ${fileName} from the gateway` },
        async () => fetchClientProfile(await deps.ssh.getPool(), selectHosts(t, { host: 'gateway' })[0], choice.client),
      );
      const problems = profileProblems(profile.toString('utf8'));
      if (problems.length) {
        for (const p of problems) deps.log.error(`${fileName} from the gateway: ${p}`);
        throw new UserError(
          `${fileName} on the gateway is refused, it holds more than a profile may: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more, see the log)` : ''}. Provision the gateway again to rewrite it.`,
        );
      }
      await writePrivateFile(file, profile);
      const gitNote = await keepOutOfGit(file);
      deps.log.info(`wrote ${file} (mode 0600, ${profile.length} bytes). ${gitNote}`);
      const open = 'Open';
      const answer = await vscode.window.showInformationMessage(
        `ROS VPN: saved ${fileName} (mode 0600). It holds the private key of ${name}: keep it secret. ${gitNote}`,
        open,
      );
      if (answer === open) await vscode.window.showTextDocument(vscode.Uri.file(file));
    },
  };
}
