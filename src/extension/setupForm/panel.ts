// "ROS VPN: Open Setup Form" (a webview) and "ROS VPN: Set Up Topology Step by Step" (the same inputs as QuickPicks).
// The form survives a window reload: VS Code keeps the webview's getState (the form, and whether it holds
// unsaved edits) and hands the restored panel to the serializer below, which wires it up again; the script
// rebuilds the form from that state, and rosvpn.json is loaded again unless there were unsaved edits.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { CommandSpec } from '../commands/registry';
import { coerceForm } from './formModel';
import type { ToWebview } from './protocol';
import { quickSetup } from './quickSetup';
import { formSource, saveForm, type SetupFormDeps } from './save';

/** The panel's view type; package.json activates the extension on `onWebviewPanel:` it to restore a form. */
export const SETUP_FORM_VIEW_TYPE = 'rosvpn.setupForm';

export function setupFormCommands(deps: SetupFormDeps): CommandSpec[] {
  let panel: vscode.WebviewPanel | undefined;
  const adopt = (p: vscode.WebviewPanel): vscode.WebviewPanel => {
    panel = p;
    wirePanel(deps, p, () => {
      if (panel === p) panel = undefined;
    });
    return p;
  };
  deps.context.subscriptions.push(
    { dispose: () => panel?.dispose() },
    vscode.window.registerWebviewPanelSerializer(SETUP_FORM_VIEW_TYPE, {
      // After a reload: the webview's own state comes back through its getState, so it is not used here.
      deserializeWebviewPanel: async (restored) => {
        // One form at a time, even if the window restored two.
        if (panel) restored.dispose();
        else adopt(restored);
      },
    }),
  );
  return [
    {
      id: 'rosvpn.openSetupForm',
      run: () => {
        // One form at a time: a second one could save over the first one's edits.
        if (panel) panel.reveal();
        else adopt(vscode.window.createWebviewPanel(SETUP_FORM_VIEW_TYPE, 'ROS VPN Setup', vscode.ViewColumn.Active, webviewOptions(deps)));
      },
    },
    { id: 'rosvpn.quickSetup', run: () => quickSetup(deps) },
  ];
}

function webviewOptions(deps: SetupFormDeps): vscode.WebviewOptions {
  const root = deps.context.extensionUri;
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(root, 'dist', 'webview'), vscode.Uri.joinPath(root, 'media')] };
}

/** Content and messages of a panel, new or restored after a reload. */
function wirePanel(deps: SetupFormDeps, panel: vscode.WebviewPanel, onDispose: () => void): void {
  const root = deps.context.extensionUri;
  // A restored panel has the options it was created with; set them anyway, so both paths are the same.
  panel.webview.options = webviewOptions(deps);
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
