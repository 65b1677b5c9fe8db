// The one command registry: every command the extension contributes is registered here, and
// package.json declares each with category "ROS VPN" (a unit test checks the two agree).
import * as vscode from 'vscode';

export interface CommandSpec {
  id: string;
  run: (...args: unknown[]) => unknown;
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
      return spec.run(...args);
    };
    context.subscriptions.push(vscode.commands.registerCommand(spec.id, run));
  }
}
