// Topology edits from the view and the palette: Add / Remove Second Instance, import the guide's
// environment variables, open rosvpn.json, refresh. Every write goes through the store, which validates
// and keeps the keys it does not know.
import * as vscode from 'vscode';
import { parseExportLines, suggestSecond } from '../../core/topology/edit';
import { ENV, topologyFromEnv } from '../../core/topology/init';
import { TOPOLOGY_FILE, type SecondConfig, type ValidTopology } from '../../core/topology/types';
import { formatDiagnostic, validateTopology } from '../../core/topology/validate';
import type { CommandSpec } from '../commands/registry';
import { isTreeNode } from '../commands/ui';
import { UserError, type TopologyStore } from '../workspace/topologyStore';

type Deps = {
  store: TopologyStore;
  log: vscode.LogOutputChannel;
  /** Refresh Topology View also reads the clients' status again (once the Clients node was read). */
  refreshClients?: () => Promise<void>;
  /** Removes ROS VPN from a host (Remove Second Instance offers it first); true when it succeeded. */
  unprovision?: (host: string) => Promise<boolean>;
};

/** The message of the first error the validator reports for `field` of the candidate, if any. */
function fieldError(candidate: unknown, field: string): string | undefined {
  const d = validateTopology(candidate).diagnostics.find(
    (x) => x.severity === 'error' && (x.path === field || x.path.startsWith(`${field}.`) || x.path.startsWith(`${field}[`)),
  );
  return d ? `${d.message}${d.fix ? ` — ${d.fix}` : ''}` : undefined;
}

async function addSecond(deps: Deps): Promise<void> {
  const t: ValidTopology = await deps.store.require();
  const s = suggestSecond(t);
  const index = t.seconds.length;
  const steps: { key: keyof SecondConfig; prompt: string }[] = [
    { key: 'name', prompt: 'Name of the new second instance (letters, digits, -)' },
    { key: 'cloudIp', prompt: 'Its private address in the VPC subnet (ROSVPN_SECOND_CLOUD_IP)' },
    { key: 'vpnIp', prompt: 'Its static address in the robot subnet, CIDR (ROSVPN_SECOND_VPN_IP)' },
    { key: 'host', prompt: 'How SSH reaches it: host name, address or ~/.ssh/config alias' },
  ];
  const second: SecondConfig = { ...s };
  for (const [i, step] of steps.entries()) {
    const field = `seconds[${index}].${step.key}`;
    const value = await vscode.window.showInputBox({
      title: `ROS VPN: Add Second Instance (${i + 1}/${steps.length})`,
      prompt: step.prompt,
      value: step.key === 'host' && s.host === s.cloudIp ? second.cloudIp : String(second[step.key] ?? ''),
      ignoreFocusOut: true,
      validateInput: (v) => fieldError({ ...t, seconds: [...t.seconds, { ...second, [step.key]: v }] }, field),
    });
    if (value === undefined) return;
    (second as unknown as Record<string, string>)[step.key] = value.trim();
  }
  await deps.store.edit({ seconds: [...t.seconds, second] });
  deps.log.info(`added second instance ${second.name} (cloud ${second.cloudIp}, VPN ${second.vpnIp}) to ${TOPOLOGY_FILE}`);
  void vscode.window.showInformationMessage(
    `ROS VPN: added ${second.name} to ${TOPOLOGY_FILE}. Provision it with "ROS VPN: Provision Second Instance"; re-provision the gateway so its tunnel includes the new instance.`,
  );
}

async function removeSecond(deps: Deps, arg: unknown): Promise<void> {
  const t = await deps.store.require();
  let name = isTreeNode(arg) && arg.kind === 'second' ? arg.host : undefined;
  if (!name) {
    if (!t.seconds.length) throw new UserError(`${TOPOLOGY_FILE} has no second instances.`);
    name = (
      await vscode.window.showQuickPick(
        t.seconds.map((s) => ({ label: s.name, description: `${s.cloudIp} · ${s.vpnIp}` })),
        { title: 'ROS VPN: Remove Second Instance' },
      )
    )?.label;
    if (!name) return;
  }
  // While the entry is still in the file its SSH details are known: the last chance to take ROS VPN off it.
  const first = `Remove ROS VPN from ${name} first`;
  const only = `Only remove from ${TOPOLOGY_FILE}`;
  const canReach = !!deps.unprovision && vscode.workspace.isTrusted;
  const choice = await vscode.window.showWarningMessage(
    `Remove ${name} from ${TOPOLOGY_FILE}?`,
    {
      modal: true,
      detail: canReach
        ? `${first}: its units, bridge, tunnel and files are removed over SSH while ${TOPOLOGY_FILE} still says how to reach it; then its entry. ${only}: the instance keeps ROS VPN (and its tunnel to the gateway) until you remove it yourself. Either way, re-provision the gateway and the other seconds afterwards so their tunnels drop it.`
        : 'Only the entry in the topology file is removed; the instance itself is not touched (removing ROS VPN from it over SSH needs a trusted folder). Re-provision the gateway and the other seconds afterwards so their tunnels drop it.',
    },
    ...(canReach ? [first, only] : [only]),
  );
  if (choice !== first && choice !== only) return;
  if (choice === first && !(await deps.unprovision!(name))) {
    deps.log.warn(`Remove Second Instance: ${name} kept in ${TOPOLOGY_FILE}, because removing ROS VPN from it did not succeed`);
    throw new UserError(
      `${name} is still in ${TOPOLOGY_FILE}: removing ROS VPN from it did not succeed (see the log). Fix it and try again, or choose "${only}".`,
    );
  }
  await deps.store.edit({ seconds: t.seconds.filter((s) => s.name !== name) });
  deps.log.info(`removed second instance ${name} from ${TOPOLOGY_FILE}`);
}

async function importEnv(deps: Deps): Promise<void> {
  if (deps.store.state.kind === 'valid' || deps.store.state.kind === 'invalid') {
    const replace = 'Replace';
    const choice = await vscode.window.showWarningMessage(
      `${TOPOLOGY_FILE} exists.`,
      { modal: true, detail: 'Importing the variables replaces its gateway and seconds (other keys are kept).' },
      replace,
    );
    if (choice !== replace) return;
  }
  const fromProcess = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('ROSVPN_')));
  let vars: Record<string, string | undefined> = fromProcess;
  if (!fromProcess[ENV.gatewayCloudIp]) {
    const text = await vscode.window.showInputBox({
      title: "ROS VPN: Import the guide's environment variables",
      prompt: `Paste the export lines (${ENV.gatewayCloudIp}, ${ENV.secondCloudIp}, ${ENV.gatewayVpnIp}, ${ENV.secondVpnIp})`,
      placeHolder: 'export ROSVPN_GATEWAY_CLOUD_IP=172.31.1.11; export ROSVPN_SECOND_CLOUD_IP=172.31.1.12; …',
      ignoreFocusOut: true,
    });
    if (text === undefined) return;
    vars = parseExportLines(text);
  }
  const r = topologyFromEnv(vars);
  if (!r.topology) {
    const lines = r.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d, 'environment'));
    for (const l of lines) deps.log.error(l);
    throw new UserError(`the variables are not usable: ${lines.join('; ')}`);
  }
  const file = await deps.store.edit({ ...r.topology });
  deps.log.info(`imported ${Object.keys(vars).join(', ')} into ${file.fsPath}`);
  await vscode.window.showTextDocument(file);
}

export function topologyCommands(deps: Deps): CommandSpec[] {
  return [
    { id: 'rosvpn.addSecond', run: () => addSecond(deps) },
    { id: 'rosvpn.removeSecond', run: (arg) => removeSecond(deps, arg) },
    { id: 'rosvpn.importEnv', run: () => importEnv(deps) },
    {
      id: 'rosvpn.openTopologyFile',
      run: async () => {
        const file = deps.store.file;
        if (!file) throw new UserError(`Open a folder first: ROS VPN keeps its topology in ${TOPOLOGY_FILE} at the folder's root.`);
        await vscode.window.showTextDocument(file);
      },
    },
    {
      id: 'rosvpn.refresh',
      run: async () => {
        await deps.store.reload();
        await deps.refreshClients?.();
      },
    },
  ];
}
