// The workspace's rosvpn.json, loaded and validated by the core, watched for changes. Every feature reads
// the topology from here, so the tree, the form and the commands always agree on one parsed file.
import * as vscode from 'vscode';
import { applyTopologyEdit, loadTopology, writeTopologyFile, type TopologyEdit } from '../../core/topology/file';
import { TOPOLOGY_FILE, type Diagnostic, type ValidTopology } from '../../core/topology/types';
import { formatDiagnostic } from '../../core/topology/validate';
import { UserError } from '../commands/userError';

export type TopologyState =
  | { kind: 'noFolder' }
  | { kind: 'missing'; file: vscode.Uri }
  | { kind: 'invalid'; file: vscode.Uri; raw?: unknown; diagnostics: Diagnostic[] }
  | { kind: 'valid'; file: vscode.Uri; raw: Record<string, unknown>; topology: ValidTopology; diagnostics: Diagnostic[] };

// Its errors say what to do (open a folder, create or fix rosvpn.json); the class lives with the registry.
export { UserError };

export class TopologyStore implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TopologyState>();
  readonly onDidChange = this.emitter.event;
  private current: TopologyState = { kind: 'noFolder' };
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  private loading: Promise<TopologyState> | undefined;

  constructor() {
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${TOPOLOGY_FILE}`);
    const reload = () => void this.reload();
    watcher.onDidChange(reload);
    watcher.onDidCreate(reload);
    watcher.onDidDelete(reload);
    this.disposables.push(watcher, vscode.workspace.onDidChangeWorkspaceFolders(reload));
  }

  get state(): TopologyState {
    return this.current;
  }

  /** rosvpn.json at the root of the first workspace folder. */
  get file(): vscode.Uri | undefined {
    const folder = vscode.workspace.workspaceFolders?.[0];
    return folder ? vscode.Uri.joinPath(folder.uri, TOPOLOGY_FILE) : undefined;
  }

  reload(): Promise<TopologyState> {
    this.loading = this.load().then((s) => {
      this.current = s;
      void vscode.commands.executeCommand('setContext', 'rosvpn.topologyState', s.kind);
      this.emitter.fire(s);
      return s;
    });
    return this.loading;
  }

  private async load(): Promise<TopologyState> {
    const file = this.file;
    if (!file) return { kind: 'noFolder' };
    try {
      await vscode.workspace.fs.stat(file);
    } catch {
      return { kind: 'missing', file };
    }
    const loaded = await loadTopology(file.fsPath);
    const diagnostics = [...loaded.diagnostics, ...(loaded.result?.diagnostics ?? [])];
    if (loaded.result?.topology && loaded.raw && typeof loaded.raw === 'object' && !Array.isArray(loaded.raw)) {
      return { kind: 'valid', file, raw: loaded.raw as Record<string, unknown>, topology: loaded.result.topology, diagnostics };
    }
    return { kind: 'invalid', file, raw: loaded.raw, diagnostics };
  }

  /** The valid topology, or a UserError saying what to do (open a folder, create or fix rosvpn.json). */
  async require(): Promise<ValidTopology> {
    const s = this.loading ? await this.loading : await this.reload();
    switch (s.kind) {
      case 'valid':
        return s.topology;
      case 'noFolder':
        throw new UserError(`Open a folder first: ROS VPN keeps its topology in ${TOPOLOGY_FILE} at the folder's root.`);
      case 'missing':
        throw new UserError(`There is no ${TOPOLOGY_FILE} in this folder yet: run "ROS VPN: Open Setup Form" to create one.`, {
          actions: [{ title: 'Open Setup Form', run: () => vscode.commands.executeCommand('rosvpn.openSetupForm') }],
        });
      case 'invalid': {
        const first = s.diagnostics.find((d) => d.severity === 'error');
        const file = s.file;
        throw new UserError(`${TOPOLOGY_FILE} is not valid${first ? `: ${formatDiagnostic(first, TOPOLOGY_FILE)}` : ''}`, {
          actions: [{ title: `Open ${TOPOLOGY_FILE}`, run: () => vscode.window.showTextDocument(file) }],
        });
      }
    }
  }

  /**
   * Applies an edit of the known fields to the file (unknown keys and key order kept) and writes it
   * atomically; refuses an invalid result without touching the file.
   */
  async edit(edit: TopologyEdit): Promise<vscode.Uri> {
    const file = this.file;
    if (!file) throw new UserError(`Open a folder first: ROS VPN keeps its topology in ${TOPOLOGY_FILE} at the folder's root.`);
    const s = this.loading ? await this.loading : await this.reload();
    const base =
      (s.kind === 'valid' || s.kind === 'invalid') && s.raw && typeof s.raw === 'object' && !Array.isArray(s.raw)
        ? (s.raw as Record<string, unknown>)
        : {};
    if (s.kind === 'invalid' && s.raw === undefined) {
      throw new UserError(
        `${TOPOLOGY_FILE} cannot be parsed, so it is left as it is: fix its syntax first (${s.diagnostics.map((d) => formatDiagnostic(d, TOPOLOGY_FILE)).join('; ')})`,
      );
    }
    await writeTopologyFile(file.fsPath, applyTopologyEdit(base, edit));
    await this.reload();
    return file;
  }

  /**
   * Rewrites rosvpn.json through a text edit of the core (a client added or removed): `edit` gets the file's
   * text and returns the new one, which is validated and written atomically like every other edit.
   */
  async editText(edit: (text: string) => string): Promise<vscode.Uri> {
    const file = this.file;
    if (!file) throw new UserError(`Open a folder first: ROS VPN keeps its topology in ${TOPOLOGY_FILE} at the folder's root.`);
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
    await writeTopologyFile(file.fsPath, JSON.parse(edit(text)));
    await this.reload();
    return file;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
