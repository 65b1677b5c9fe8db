// Wires the features together; each feature lives in its own folder. Activation does no SSH or EC2 work.
import * as vscode from 'vscode';
import { registerCommands } from './commands/registry';
import { validateTopologyCommand } from './topology/validateCommand';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('ROS VPN', { log: true });
  context.subscriptions.push(log);
  registerCommands(context, [validateTopologyCommand(log)]);
}

export function deactivate(): void {}
