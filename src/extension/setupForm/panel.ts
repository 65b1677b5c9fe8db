// "ROS VPN: Open Setup Form" (a webview) and "ROS VPN: Set Up Topology Step by Step" (the same inputs as QuickPicks).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { CommandSpec } from '../commands/registry';
import { coerceForm } from './formModel';
import type { ToWebview } from './protocol';
import { quickSetup } from './quickSetup';
import { formSource, saveForm, type SetupFormDeps } from './save';

export function setupFormCommands(deps: SetupFormDeps): CommandSpec[] {
  let panel: vscode.WebviewPanel | undefined;
  deps.context.subscriptions.push({ dispose: () => panel?.dispose() });
  return [
    {
      id: 'rosvpn.openSetupForm',
      run: () => {
        // One form at a time: a second one could save over the first one's edits.
        if (panel) panel.reveal();
        else panel = openPanel(deps, () => (panel = undefined));
      },
    },
    { id: 'rosvpn.quickSetup', run: () => quickSetup(deps) },
  ];
}

function openPanel(deps: SetupFormDeps, onDispose: () => void): vscode.WebviewPanel {
  const root = deps.context.extensionUri;
  const panel = vscode.window.createWebviewPanel('rosvpn.setupForm', 'ROS VPN Setup', vscode.ViewColumn.Active, {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(root, 'dist', 'webview'), vscode.Uri.joinPath(root, 'media')],
  });
  panel.iconPath = vscode.Uri.joinPath(root, 'media', 'rosvpn.svg');
  panel.webview.html = html(panel.webview, root);

  // Messages posted before the script listens are lost, and a hidden webview is torn down (its state
  // lives in getState), so talk only between a 'ready' and the panel being hidden.
  let ready = false;
  const post = (m: ToWebview): void => {
    if (ready) void panel.webview.postMessage(m);
  };
  const load = (): void => post({ type: 'load', ...formSource(deps.store) });
  const subscriptions: vscode.Disposable[] = [
    panel.onDidChangeViewState((e) => {
      if (!e.webviewPanel.visible) ready = false;
    }),
    deps.store.onDidChange(load),
    panel.webview.onDidReceiveMessage(async (m: unknown) => {
      if (typeof m !== 'object' || m === null) return;
      const msg = m as { type?: unknown; form?: unknown };
      if (msg.type === 'ready') {
        ready = true;
        load();
      } else if (msg.type === 'save') {
        const r = await saveForm(deps, coerceForm(msg.form), 'Setup form');
        post(r.ok ? { type: 'saved', file: r.file } : { type: 'saveError', message: r.message, diagnostics: r.diagnostics });
      }
    }),
  ];
  panel.onDidDispose(() => {
    for (const s of subscriptions) s.dispose();
    onDispose();
  });
  return panel;
}

function html(webview: vscode.Webview, root: vscode.Uri): string {
  const nonce = randomBytes(18).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(root, 'dist', 'webview', 'setupForm.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(root, 'media', 'setupForm.css'));
  const csp = `default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${nonce}'; img-src ${webview.cspSource} data:`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>ROS VPN Setup</title>
</head>
<body>
<main id="app" aria-busy="true"><p>Loading the setup form…</p></main>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}
