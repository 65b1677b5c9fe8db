// "Download Client Profile": ros_local_gateway.ovpn from the gateway into the workspace, mode 0600,
// kept out of git. The file holds the client's private key, and the user is told so.
import { execFile } from 'child_process';
import { promises as fsp } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { CLIENT_PROFILE_NAME } from '../../core/topology/types';
import type { CommandSpec } from '../commands/registry';
import { reportError } from '../commands/ui';
import type { SshService } from '../ssh/sshService';
import type { TopologyStore } from '../workspace/topologyStore';

export const PROFILE_FILE = `${CLIENT_PROFILE_NAME}.ovpn`;

function git(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd }, (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: String(stdout) }));
  });
}

/** Adds the profile to the folder's .gitignore when the folder is in a git work tree; says what it did. */
export async function keepOutOfGit(folder: string): Promise<string> {
  const inside = await git(['rev-parse', '--is-inside-work-tree'], folder);
  if (inside.code !== 0 || inside.out.trim() !== 'true') return `This folder is not a git repository: keep ${PROFILE_FILE} out of any version control.`;
  if ((await git(['check-ignore', '-q', PROFILE_FILE], folder)).code === 0) return `${PROFILE_FILE} is already ignored by git.`;
  const ignore = path.join(folder, '.gitignore');
  let text = '';
  try {
    text = await fsp.readFile(ignore, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  await fsp.writeFile(ignore, `${text}${sep}# ROS VPN client profile: holds a private key\n/${PROFILE_FILE}\n`);
  return `Added ${PROFILE_FILE} to .gitignore.`;
}

/** Writes atomically with mode 0600 from the first byte (never readable by others, even briefly). */
export async function writePrivateFile(file: string, content: Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await fsp.writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
    await fsp.chmod(tmp, 0o600);
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

export function downloadProfileCommand(deps: { store: TopologyStore; ssh: SshService; log: vscode.LogOutputChannel }): CommandSpec {
  return {
    id: 'rosvpn.downloadClientProfile',
    run: async () => {
      try {
        const t = await deps.store.require();
        const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
        const file = path.join(folder, PROFILE_FILE);
        const exists = await fsp.stat(file).then(() => true, () => false);
        if (exists) {
          const replace = 'Replace';
          const choice = await vscode.window.showWarningMessage(`${PROFILE_FILE} already exists in the workspace.`, { modal: true, detail: 'Replace it with the profile on the gateway now?' }, replace);
          if (choice !== replace) return;
        }
        const { fetchClientProfile } = await import('../../core/provision/orchestrator');
        const { selectHosts } = await import('../../core/provision/endpoints');
        const profile = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `ROS VPN: Downloading ${PROFILE_FILE} from the gateway` },
          async () => fetchClientProfile(await deps.ssh.getPool(), selectHosts(t, { host: 'gateway' })[0]),
        );
        await writePrivateFile(file, profile);
        const gitNote = await keepOutOfGit(folder);
        deps.log.info(`wrote ${file} (mode 0600, ${profile.length} bytes). ${gitNote}`);
        const open = 'Open';
        const choice = await vscode.window.showInformationMessage(
          `ROS VPN: saved ${PROFILE_FILE} (mode 0600). It holds the client's private key: keep it secret. ${gitNote}`,
          open,
        );
        if (choice === open) await vscode.window.showTextDocument(vscode.Uri.file(file));
      } catch (e) {
        await reportError(deps.log, 'Download Client Profile', e);
      }
    },
  };
}
