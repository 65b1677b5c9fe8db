// A tiny extension that exercises each kind of UI the harness drives (a view container with a custom tree,
// inline and context-menu actions, a modal dialog, notifications with buttons, a quick pick and input box,
// a webview that talks back, a Pseudoterminal), so the harness's own test checks every helper against a
// real VS Code independently of what ROS VPN implements so far. Packed into a .vsix with vsce.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from './vsix';

const manifest = {
  name: 'uiprobe',
  displayName: 'UI Probe',
  publisher: 'rosvpntest',
  version: '0.0.1',
  license: 'UNLICENSED',
  engines: { vscode: '^1.90.0' },
  main: './extension.js',
  activationEvents: ['onStartupFinished'],
  contributes: {
    viewsContainers: { activitybar: [{ id: 'uiprobe', title: 'UI Probe', icon: 'probe.svg' }] },
    views: {
      uiprobe: [
        { id: 'uiprobe.tree', name: 'Probe Tree' },
        { id: 'uiprobe.empty', name: 'Probe Empty' },
      ],
    },
    viewsWelcome: [{ view: 'uiprobe.empty', contents: 'Nothing to show yet.\n[Say Hello](command:uiprobe.hello)' }],
    commands: [
      { command: 'uiprobe.hello', title: 'Say Hello', category: 'Probe', icon: '$(play)' },
      { command: 'uiprobe.ask', title: 'Ask', category: 'Probe' },
      { command: 'uiprobe.pick', title: 'Pick', category: 'Probe' },
      { command: 'uiprobe.webview', title: 'Open Webview', category: 'Probe' },
      { command: 'uiprobe.pty', title: 'Open Pseudoterminal', category: 'Probe' },
    ],
    menus: {
      'view/title': [{ command: 'uiprobe.hello', when: 'view == uiprobe.tree', group: 'navigation' }],
      'view/item/context': [
        { command: 'uiprobe.hello', when: 'view == uiprobe.tree && viewItem == host', group: 'inline' },
        { command: 'uiprobe.hello', when: 'view == uiprobe.tree && viewItem == host', group: 'a@1' },
        { command: 'uiprobe.ask', when: 'view == uiprobe.tree && viewItem == host', group: 'a@2' },
      ],
    },
  },
};

const extensionJs = `
const vscode = require('vscode');
exports.activate = (context) => {
  const items = {
    alpha: { label: 'Alpha', description: '10.0.0.1', tooltip: 'Alpha tooltip', contextValue: 'host', children: ['alpha-child'] },
    'alpha-child': { label: 'Alpha child', description: 'child', children: [] },
    beta: { label: 'Beta', description: '10.0.0.2', contextValue: 'host', children: [] },
  };
  context.subscriptions.push(vscode.window.createTreeView('uiprobe.tree', { treeDataProvider: {
    getChildren: (id) => (id ? items[id].children : ['alpha', 'beta']),
    getTreeItem: (id) => {
      const i = items[id];
      const t = new vscode.TreeItem(i.label, i.children.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
      t.id = id; t.description = i.description; t.tooltip = i.tooltip; t.contextValue = i.contextValue;
      return t;
    },
  } }));
  context.subscriptions.push(vscode.window.createTreeView('uiprobe.empty', { treeDataProvider: { getChildren: () => [], getTreeItem: (x) => x } }));
  const status = vscode.window.createStatusBarItem('uiprobe.status', vscode.StatusBarAlignment.Left);
  status.text = '$(plug) Probe: up';
  status.tooltip = 'Probe status';
  status.show();
  context.subscriptions.push(status);
  const reg = (id, fn) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  reg('uiprobe.hello', async (id) => {
    const choice = await vscode.window.showInformationMessage('Hello ' + (typeof id === 'string' && items[id] ? items[id].label : 'palette'), 'Again', 'Done');
    if (choice) void vscode.window.showInformationMessage('Clicked ' + choice);
  });
  reg('uiprobe.ask', async (id) => {
    const a = await vscode.window.showWarningMessage('Really remove ' + (typeof id === 'string' && items[id] ? items[id].label : '?') + '?', { modal: true, detail: 'This cannot be undone.' }, 'Remove');
    void vscode.window.showInformationMessage('Answer: ' + (a ?? 'cancelled'));
  });
  reg('uiprobe.pick', async () => {
    const p = await vscode.window.showQuickPick(['one', 'two', 'three'], { placeHolder: 'Pick a number' });
    const v = await vscode.window.showInputBox({ prompt: 'An address', validateInput: (s) => (/^\\d+\\.\\d+\\.\\d+\\.\\d+$/.test(s) ? null : 'not an IPv4 address') });
    void vscode.window.showInformationMessage('Picked ' + p + ' and ' + v);
  });
  reg('uiprobe.webview', () => {
    const panel = vscode.window.createWebviewPanel('uiprobe.form', 'Probe Form', vscode.ViewColumn.One, { enableScripts: true });
    panel.webview.html = '<!DOCTYPE html><html><body><h1 id="h">Probe form</h1>'
      + '<label for="addr">Address</label><input id="addr"><button id="save">Save</button><p id="out"></p>'
      + '<script>const vscode = acquireVsCodeApi();'
      + 'document.getElementById("save").onclick = () => vscode.postMessage(document.getElementById("addr").value);'
      + 'window.addEventListener("message", (e) => { document.getElementById("out").textContent = e.data; });</script></body></html>';
    panel.webview.onDidReceiveMessage((m) => {
      void vscode.window.showInformationMessage('Webview said ' + m);
      void panel.webview.postMessage('saved ' + m);
    });
  });
  reg('uiprobe.pty', () => {
    const emitter = new vscode.EventEmitter();
    let n = 0, timer;
    const pty = {
      onDidWrite: emitter.event,
      open: () => { timer = setInterval(() => emitter.fire('probe line ' + (++n) + '\\r\\n'), 200); },
      close: () => clearInterval(timer),
    };
    vscode.window.createTerminal({ name: 'Probe Log', pty }).show();
  });
};
exports.deactivate = () => {};
`;

const iconSvg =
  '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24"><circle cx="12" cy="12" r="8" fill="none" stroke="currentColor" stroke-width="2"/></svg>';

/** Builds the probe .vsix in a temp dir; returns its path and a remove function. */
export function buildProbeVsix(): { vsix: string; remove: () => void } {
  return packExtension('uiprobe', {
    'package.json': JSON.stringify(manifest, null, 2),
    'extension.js': extensionJs,
    'probe.svg': iconSvg,
    'README.md': '# UI Probe\n\nTest fixture of the ROS VPN browser tests.\n',
  });
}

/** Packs a test extension from its files (package.json, extension.js, ...) with vsce in a temp dir;
 *  returns the .vsix path and a remove function. */
export function packExtension(name: string, files: Record<string, string>): { vsix: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `rosvpn-ui-${name}-`));
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const src = path.join(dir, 'src');
    fs.mkdirSync(src);
    for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(src, file), text);
    const vsix = path.join(dir, `${name}.vsix`);
    const vsce = path.join(REPO_ROOT, 'node_modules/.bin/vsce');
    const r = spawnSync(vsce, ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', vsix], {
      cwd: src,
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (r.status !== 0 || !fs.existsSync(vsix)) throw new Error(`vsce package of ${name} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return { vsix, remove };
  } catch (err) {
    remove();
    throw err;
  }
}
