// "ROS VPN: Validate Topology": runs the core validator on the workspace's rosvpn.json and reports
// every problem, with its field path and fix, in the "ROS VPN" log.
import * as vscode from 'vscode';
import { loadTopology } from '../../core/topology/file';
import { TOPOLOGY_FILE } from '../../core/topology/types';
import { formatDiagnostic } from '../../core/topology/validate';
import { SHOW_LOG, type CommandSpec } from '../commands/registry';

export function validateTopologyCommand(log: vscode.LogOutputChannel): CommandSpec {
  return {
    id: 'rosvpn.validateTopology',
    run: async () => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      if (!folder) {
        void vscode.window.showErrorMessage(`ROS VPN: open a folder that holds ${TOPOLOGY_FILE} first.`);
        return;
      }
      const file = vscode.Uri.joinPath(folder.uri, TOPOLOGY_FILE).fsPath;
      const loaded = await loadTopology(file);
      const diagnostics = [...loaded.diagnostics, ...(loaded.result?.diagnostics ?? [])];
      for (const d of diagnostics) {
        const line = formatDiagnostic(d, TOPOLOGY_FILE);
        if (d.severity === 'error') log.error(line);
        else log.warn(line);
      }
      if (loaded.result?.topology) {
        void vscode.window.showInformationMessage(`ROS VPN: ${TOPOLOGY_FILE} is valid.`);
      } else {
        const choice = await vscode.window.showErrorMessage(
          `ROS VPN: ${TOPOLOGY_FILE} has ${diagnostics.filter((d) => d.severity === 'error').length} error(s).`,
          SHOW_LOG,
        );
        if (choice === SHOW_LOG) log.show();
      }
    },
  };
}
