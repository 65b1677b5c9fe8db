// Remove ROS VPN from Host: the core's unprovision in cancellable progress, after a modal that says what will
// change on that host (units, bridge, files, the PKI backup or its deletion, the desktop's NIC handed back
// with its addressing). Also what Remove Second Instance runs first, while rosvpn.json still holds the
// second's SSH details.
import * as vscode from 'vscode';
// Static: inside the extension's one bundle a dynamic import would cost the same at load.
import { describeUnprovision, unprovision } from '../../core/provision/unprovision';
import { type HostSelector, selectHosts, type TopologyHost } from '../../core/provision/endpoints';
import type { ProvisionReport } from '../../core/provision/orchestrator';
import { SHOW_LOG, type CommandSpec } from '../commands/registry';
import { pickHost } from '../commands/ui';
import type { HostHealth } from '../tree/model';
import { type ProvisionDeps, runOnHosts } from './commands';

/** The button that removes ROS VPN; on the gateway a second one that deletes its PKI as well. */
export const removeButton = (label: string) => `Remove ROS VPN from ${label}`;
export const PURGE_BUTTON = 'Remove and Delete the PKI';

/**
 * Asks, in a modal naming the host and every change, whether to remove ROS VPN from it. undefined: cancelled;
 * else whether the gateway's PKI is deleted too.
 */
export async function confirmUnprovision(deps: Pick<ProvisionDeps, 'store'>, host: TopologyHost): Promise<{ purge: boolean } | undefined> {
  const t = await deps.store.require();
  const keep = describeUnprovision(t, host, false);
  const lines = keep.map((l) => `• ${l}`);
  if (host.role === 'gateway') lines.push(`\n${PURGE_BUTTON}: ${describeUnprovision(t, host, true).find((l) => l.includes('--purge'))}`);
  const buttons = host.role === 'gateway' ? [removeButton(host.label), PURGE_BUTTON] : [removeButton(host.label)];
  const choice = await vscode.window.showWarningMessage(
    `Remove ROS VPN from ${host.label} (${host.role}, ${host.endpoint.host})?`,
    { modal: true, detail: `This host returns to its state before provisioning:\n${lines.join('\n')}` },
    ...buttons,
  );
  if (choice === undefined || !buttons.includes(choice)) return undefined;
  return { purge: choice === PURGE_BUTTON };
}

/** Runs unprovision in a cancellable progress; the report, or an error for the registry to show. */
export async function runUnprovision(deps: ProvisionDeps, select: HostSelector, purge: boolean, title: string): Promise<ProvisionReport> {
  const { log, store, statuses } = deps;
  const t = await store.require();
  const hosts = selectHosts(t, select);
  log.info(`${title}: ${hosts.map((h) => h.label).join(', ')}${purge ? ' (deleting the PKI)' : ''}`);
  const report = await runOnHosts(deps, hosts, title, 'unprovisioning', (o) => unprovision(t, { ...o, select, purge }));
  // A host without ROS VPN is neither healthy nor failed: not provisioned, until it is provisioned again; the
  // pairs its last check probed and its guard's figures are gone with it.
  statuses.set(report.hosts.map((h): [string, HostHealth] => [h.label, h.status === 'failed' ? 'failed' : 'not provisioned']));
  const removed = report.hosts.filter((h) => h.status !== 'failed').map((h) => h.label);
  statuses.setPairs(removed, new Map());
  statuses.forgetGuards(removed);
  const failed = report.hosts.filter((h) => h.status === 'failed');
  const notRun = report.hosts.filter((h) => h.status === 'skipped');
  if (failed.length || notRun.length) {
    const why = [...failed, ...notRun].map((h) => `${h.label} (${h.error ?? 'see the log'})`).join('; ');
    const choice = await vscode.window.showErrorMessage(`ROS VPN: ${title} failed on ${why}`, SHOW_LOG);
    if (choice === SHOW_LOG) log.show(true);
  } else {
    void vscode.window.showInformationMessage(
      `ROS VPN: ROS VPN removed from ${report.hosts.map((h) => h.label).join(', ')}; provision again to bring it back.`,
    );
  }
  return report;
}

/** Remove ROS VPN from Host: from a host node of the tree, or from the palette with a QuickPick of hosts. */
export function unprovisionCommands(deps: ProvisionDeps): CommandSpec[] {
  return [
    {
      id: 'rosvpn.unprovisionHost',
      needsTrust: true,
      run: async (arg?: unknown) => {
        const t = await deps.store.require();
        const host = await pickHost(t, arg, ['gateway', 'second', 'desktop', 'client'], 'Which host to remove ROS VPN from?');
        if (!host) return;
        const answer = await confirmUnprovision(deps, host);
        if (!answer) return;
        await runUnprovision(deps, { host: host.label }, answer.purge, `Remove ROS VPN from ${host.label}`);
      },
    },
  ];
}
