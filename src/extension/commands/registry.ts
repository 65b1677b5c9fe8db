// The one command registry: every command the extension contributes is registered here, and
// package.json declares each with category "ROS VPN" (a unit test checks the two agree).
import * as vscode from 'vscode';

export interface CommandSpec {
  id: string;
  run: (...args: unknown[]) => unknown;
}

export function registerCommands(context: vscode.ExtensionContext, specs: CommandSpec[]): void {
  for (const spec of specs) {
    context.subscriptions.push(vscode.commands.registerCommand(spec.id, spec.run));
  }
}
