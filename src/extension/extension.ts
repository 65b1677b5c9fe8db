// Wires the features together; each feature lives in its own folder. Activation does no SSH or EC2 work:
// ssh2 and the provisioning code load on the first command that needs them (see ssh/sshService.ts), the
// AWS SDK on the first cloud command (see cloud/cloudCommands.ts).
import * as vscode from 'vscode';
import { CaPassphrases } from './clients/caPassphrase';
import { clientCommands, clientStatusKey, readClientStatus } from './clients/clientCommands';
import { ClientStateStore } from './clients/clientState';
import { cloudCommands } from './cloud/cloudCommands';
import { CloudStateStore } from './cloud/cloudState';
import { registerCommands } from './commands/registry';
import { downloadProfileCommand } from './profile/downloadProfile';
import { provisionCommands, runCheck } from './provision/commands';
import { runUnprovision, unprovisionCommands } from './provision/unprovisionCommand';
import { setupFormCommands } from './setupForm/panel';
import { sshCommands } from './ssh/sshCommands';
import { SshService } from './ssh/sshService';
import { HostHealthStore } from './status/hostHealth';
import { registerStatusBar } from './status/statusBar';
import { registerLogTasks } from './tasks/logTasks';
import { topologyCommands } from './topology/topologyCommands';
import { validateTopologyCommand } from './topology/validateCommand';
import { TopologyTreeProvider } from './tree/provider';
import { TopologyStore } from './workspace/topologyStore';

/** What the extension exports, for the in-host integration tests. */
export interface RosVpnApi {
  topologyState(): string;
  hostStatuses(): Record<string, string>;
  cloudStates(): Record<string, string>;
}

export function activate(context: vscode.ExtensionContext): RosVpnApi {
  const log = vscode.window.createOutputChannel('ROS VPN', { log: true });
  const store = new TopologyStore();
  const statuses = new HostHealthStore();
  const ssh = new SshService(log, context.secrets, context.globalState);
  const cloud = new CloudStateStore();
  const clients = new ClientStateStore();
  const ca = new CaPassphrases(context.secrets, context.globalState, log);
  const tree = new TopologyTreeProvider(store, statuses, cloud, clients);
  const view = vscode.window.createTreeView('rosvpn.topology', { treeDataProvider: tree, showCollapseAll: false });
  tree.showTrustIn(view);
  context.subscriptions.push(log, store, statuses, cloud, clients, ssh, tree, view);
  let clientsOf = clientStatusKey(store);
  store.onDidChange((s) => {
    if (s.kind === 'valid')
      statuses.retain(['gateway', 'desktop', ...s.topology.seconds.map((x) => x.name), ...s.topology.clients.map((x) => x.name)]);
    // What was read belongs to one gateway's CA: another deployment or gateway starts empty.
    const key = clientStatusKey(store);
    if (key !== undefined && key !== clientsOf) clients.clear();
    clientsOf = key ?? clientsOf;
  });

  const deps = {
    context,
    log,
    store,
    ssh,
    statuses,
    ca,
    clients,
    // A run of the gateway may issue, renew or revoke certificates: the Clients node follows, once it was read.
    onProvisioned: (r: { hosts: { label: string }[] }) => {
      if (clients.tried && r.hosts.some((h) => h.label === 'gateway')) void readClientStatus(deps, true);
    },
  };
  tree.watchClients(view, () => {
    if (!clients.tried) void readClientStatus(deps, false);
  });
  registerCommands(context, log, [
    validateTopologyCommand(log),
    ...provisionCommands(deps),
    ...unprovisionCommands(deps),
    ...setupFormCommands(deps),
    ...registerLogTasks(context, deps),
    downloadProfileCommand(deps),
    ...clientCommands(deps),
    ...sshCommands(deps),
    ...topologyCommands({
      ...deps,
      refreshClients: () => (clients.tried ? readClientStatus(deps, true) : Promise.resolve()),
      // Succeeded only when the host ran to the end: a cancelled (skipped) run keeps the entry too.
      unprovision: async (host) =>
        (await runUnprovision(deps, { host }, false, `Remove ROS VPN from ${host}`)).hosts.every(
          (h) => h.status === 'changed' || h.status === 'ok',
        ),
    }),
    ...cloudCommands({ context, log, store, cloud }),
  ]);
  registerStatusBar(context, { store, statuses, view, check: () => runCheck(deps, undefined, true) });
  void store.reload();
  return {
    topologyState: () => store.state.kind,
    hostStatuses: () => Object.fromEntries(statuses.all),
    cloudStates: () => Object.fromEntries([...cloud.all].map(([h, c]) => [h, c.state])),
  };
}

export function deactivate(): void {}
