// The "Topology" tree of the ROS VPN view: maps the plain nodes of ./model to TreeItems. Empty when there is
// no valid rosvpn.json, so that the view's welcome content (package.json viewsWelcome) shows instead. In
// Restricted Mode it shows the same rows read-only (package.json hides their actions), says why above the
// tree and leads with Manage Workspace Trust; granting trust updates it in place.
import * as vscode from 'vscode';
import type { ClientStateStore } from '../clients/clientState';
import type { CloudStateStore } from '../cloud/cloudState';
import type { HostHealthStore } from '../status/hostHealth';
import type { TopologyStore } from '../workspace/topologyStore';
import { buildTopologyTree, RESTRICTED_MESSAGE, type ClientState, type HostHealth, type NodeKind, type TreeNode } from './model';

const KIND_ICON: Record<NodeKind, string> = {
  restricted: 'workspace-untrusted',
  robotNetwork: 'radio-tower',
  desktop: 'device-desktop',
  gateway: 'cloud',
  seconds: 'server-environment',
  second: 'server',
  clients: 'organization',
  client: 'vm',
  guard: 'shield',
};

const CLIENT_ICON: Record<ClientState, vscode.ThemeIcon> = {
  unknown: new vscode.ThemeIcon('vm'),
  connected: new vscode.ThemeIcon('vm-active', new vscode.ThemeColor('testing.iconPassed')),
  offline: new vscode.ThemeIcon('vm-outline'),
  revoked: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground')),
  'not issued': new vscode.ThemeIcon('vm-outline', new vscode.ThemeColor('list.warningForeground')),
};

function iconOf(n: TreeNode): vscode.ThemeIcon {
  // A guard that dropped (the budget was hit) or is not loaded as expected.
  if (n.kind === 'guard')
    return n.warning ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')) : new vscode.ThemeIcon('shield');
  // A client's provisioning (spinning) and failures show like a host's; otherwise its certificate and connection.
  if (n.client && (n.status === undefined || n.status === 'unknown' || n.status === 'healthy')) return CLIENT_ICON[n.client.state];
  return statusIcon(n.kind, n.status);
}

function statusIcon(kind: NodeKind, status: HostHealth | undefined): vscode.ThemeIcon {
  switch (status) {
    case 'provisioning':
      return new vscode.ThemeIcon('sync~spin');
    case 'healthy':
      return new vscode.ThemeIcon(KIND_ICON[kind], new vscode.ThemeColor('testing.iconPassed'));
    case 'failed':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'unreachable':
      return new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('testing.iconFailed'));
    default:
      return new vscode.ThemeIcon(KIND_ICON[kind]);
  }
}

export class TopologyTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[];
  private roots: TreeNode[] = [];
  private readonly parents = new Map<string, TreeNode>();

  constructor(
    private readonly store: TopologyStore,
    private readonly statuses: HostHealthStore,
    private readonly cloud?: CloudStateStore,
    private readonly clients?: ClientStateStore,
  ) {
    this.subscriptions = [
      store.onDidChange(() => this.refresh()),
      statuses.onDidChange(() => this.refresh()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.refresh()),
    ];
    if (cloud) this.subscriptions.push(cloud.onDidChange(() => this.refresh()));
    if (clients) this.subscriptions.push(clients.onDidChange(() => this.refresh()));
    this.rebuild();
  }

  refresh(): void {
    this.rebuild();
    this.emitter.fire(undefined);
  }

  private rebuild(): void {
    const s = this.store.state;
    this.roots =
      s.kind === 'valid'
        ? buildTopologyTree(s.topology, this.statuses.all, this.cloud?.all, {
            trusted: vscode.workspace.isTrusted,
            clients: this.clients?.view,
            pairs: this.statuses.pairs,
            guards: this.statuses.guards,
          })
        : [];
    this.parents.clear();
    for (const r of this.roots) for (const c of r.children ?? []) this.parents.set(c.id, r);
  }

  /** The node of a host by its label (`gateway`, `desktop`, a second's name). */
  hostNode(host: string): TreeNode | undefined {
    const all = this.roots.flatMap((r) => [r, ...(r.children ?? [])]);
    return all.find((n) => n.host === host);
  }

  getChildren(element?: TreeNode): TreeNode[] {
    return element ? (element.children ?? []) : this.roots;
  }

  getParent(element: TreeNode): TreeNode | undefined {
    return this.parents.get(element.id);
  }

  getTreeItem(n: TreeNode): vscode.TreeItem {
    // Clients start collapsed: expanding them is what reads their status from the gateway (see watchClients).
    const collapsible =
      n.kind === 'clients'
        ? vscode.TreeItemCollapsibleState.Collapsed
        : n.children
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(n.label, collapsible);
    item.id = n.id;
    item.description = n.description;
    item.tooltip = n.tooltip;
    item.contextValue = n.contextValue;
    item.iconPath = iconOf(n);
    if (n.command) item.command = { command: n.command, title: n.label };
    // Screen readers (and the browser tests) read the status from here; sighted users from the icon colour.
    item.accessibilityInformation = { label: `${n.label}, ${n.description ?? ''}${n.status ? `, ${n.status}` : ''}` };
    return item;
  }

  /** The view's message: why it is read-only, while the folder is not trusted. */
  showTrustIn(view: vscode.TreeView<TreeNode>): void {
    const update = () => (view.message = vscode.workspace.isTrusted ? undefined : RESTRICTED_MESSAGE);
    update();
    this.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(update));
  }

  /** Runs `read` when the user expands the Clients node: the clients' status is read then, not at activation. */
  watchClients(view: vscode.TreeView<TreeNode>, read: () => void): void {
    this.subscriptions.push(view.onDidExpandElement((e) => e.element.kind === 'clients' && read()));
  }

  dispose(): void {
    this.emitter.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}
