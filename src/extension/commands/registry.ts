// The one command registry: every command the extension contributes is registered here, and
// package.json declares each with category "ROS VPN" (a unit test checks the two agree). The registry also
// handles every command's errors, once: a command throws, and the error is logged with its causes and
// codes and shown as "ROS VPN: <title> failed: <message>" with "Show Log"; a UserError is shown as it is,
// with its own buttons; a cancellation stays quiet. Feature code catches only to do something specific.
import * as vscode from 'vscode';
import { describeError, errorMessage, isCancellation } from '../../core/errors';
import { isUserError } from './userError';

export interface CommandSpec {
  id: string;
  /** Provisions, runs SSH or calls EC2: refused in Restricted Mode. package.json gives such a command
   *  `enablement: isWorkspaceTrusted`, but that only hides it from menus and the palette, while links,
   *  the status bar and other extensions invoke it directly. */
  needsTrust?: boolean;
  run: (...args: unknown[]) => unknown;
}

const MANAGE_TRUST = 'Manage Workspace Trust';
export const SHOW_LOG = 'Show Log';

function refuseUntrusted(log: vscode.LogOutputChannel, title: string): void {
  log.warn(`${title}: not run, this folder is not trusted (Restricted Mode)`);
  void vscode.window
    .showWarningMessage(
      `${title} needs a trusted folder: provisioning, SSH and EC2 are off in Restricted Mode. Trust this folder with ${MANAGE_TRUST} to use them.`,
      MANAGE_TRUST,
    )
    .then((choice) => choice === MANAGE_TRUST && vscode.commands.executeCommand('workbench.trust.manage'));
}

/** Each contributed command's title, from the manifest VS Code already loaded: the full one for the log
 *  and the Restricted Mode warning ("ROS VPN: Provision Gateway"), the short one for error messages. */
function titles(context: vscode.ExtensionContext): Map<string, { full: string; short: string }> {
  const commands: { command: string; title: string; category?: string }[] = context.extension.packageJSON?.contributes?.commands ?? [];
  return new Map(commands.map((c) => [c.command, { full: c.category ? `${c.category}: ${c.title}` : c.title, short: c.title }]));
}

/**
 * Logs a command's error and shows it; resolves once the user has answered the message (or at once for a
 * cancellation). `what` names the command ("Provision Gateway"). Exported for the few places that report
 * an error without throwing it (a save the user started from a QuickPick).
 */
export async function reportCommandError(log: vscode.LogOutputChannel, what: string, e: unknown): Promise<void> {
  if (isCancellation(e)) {
    log.info(`${what}: cancelled`);
    return;
  }
  log.error(`${what} failed: ${describeError(e)}`);
  const message = `ROS VPN: ${what} failed: ${errorMessage(e)}`;
  if (isUserError(e)) {
    const actions = e.actions ?? [];
    const choice = await vscode.window.showErrorMessage(message, ...actions.map((a) => a.title));
    try {
      await actions.find((a) => a.title === choice)?.run();
    } catch (err) {
      log.error(`${what}: ${choice}: ${describeError(err)}`);
    }
    return;
  }
  if ((await vscode.window.showErrorMessage(message, SHOW_LOG)) === SHOW_LOG) log.show(true);
}

export function registerCommands(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, specs: CommandSpec[]): void {
  const known = titles(context);
  for (const spec of specs) {
    const title = known.get(spec.id) ?? { full: spec.id, short: spec.id };
    const run = async (...args: unknown[]): Promise<unknown> => {
      // One line per run, whoever invoked it (palette, menu, link): the log then says which command ran.
      log.info(`command: ${title.full} (${spec.id})`);
      if (spec.needsTrust && !vscode.workspace.isTrusted) return refuseUntrusted(log, title.full);
      try {
        return await spec.run(...args);
      } catch (e) {
        // Not awaited: the command is over; a message the user leaves open must not keep its promise
        // (and a caller such as "Launch, then Provision All") waiting.
        void reportCommandError(log, title.short, e);
        return undefined;
      }
    };
    context.subscriptions.push(vscode.commands.registerCommand(spec.id, run));
  }
}
