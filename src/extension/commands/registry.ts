// The one command registry: every command the extension contributes is registered here, and
// package.json declares each with category "ROS VPN" (a unit test checks the two agree).
import * as vscode from 'vscode';

export interface CommandSpec {
  id: string;
  /** Provisions, runs SSH or calls EC2: refused in Restricted Mode. package.json gives such a command
   *  `enablement: isWorkspaceTrusted`, but that only hides it from menus and the palette, while links,
   *  the status bar and other extensions invoke it directly. */
  needsTrust?: boolean;
  run: (...args: unknown[]) => unknown;
}

const MANAGE_TRUST = 'Manage Workspace Trust';

function refuseUntrusted(log: vscode.LogOutputChannel, title: string): void {
  log.warn(`${title}: not run, this folder is not trusted (Restricted Mode)`);
  void vscode.window
    .showWarningMessage(`${title} needs a trusted folder: provisioning, SSH and EC2 are off in Restricted Mode. Trust this folder with ${MANAGE_TRUST} to use them.`, MANAGE_TRUST)
    .then((choice) => choice === MANAGE_TRUST && vscode.commands.executeCommand('workbench.trust.manage'));
}

/** "ROS VPN: Provision Gateway" for each contributed command id, from the manifest VS Code already loaded. */
function fullTitles(context: vscode.ExtensionContext): Map<string, string> {
  const commands: { command: string; title: string; category?: string }[] = context.extension.packageJSON?.contributes?.commands ?? [];
  return new Map(commands.map((c) => [c.command, c.category ? `${c.category}: ${c.title}` : c.title]));
}

export function registerCommands(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, specs: CommandSpec[]): void {
  const titles = fullTitles(context);
  for (const spec of specs) {
    const title = titles.get(spec.id) ?? spec.id;
    const run = (...args: unknown[]): unknown => {
      // One line per run, whoever invoked it (palette, menu, link): the log then says which command ran.
      log.info(`command: ${title} (${spec.id})`);
      if (spec.needsTrust && !vscode.workspace.isTrusted) return refuseUntrusted(log, title);
      return spec.run(...args);
    };
    context.subscriptions.push(vscode.commands.registerCommand(spec.id, run));
  }
}
