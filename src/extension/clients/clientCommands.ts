// Add Client, Revoke Client, Rotate Client Certificate, and the clients' status in the tree: thin layers over
// the core's client operations (./coreApi). rosvpn.json is the declared state: adding or removing a client is
// an edit of it, then the gateway's PKI step alone (pki.sh) issues, revokes and publishes the CRL, with the CA
// passphrase from ./caPassphrase.
import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import type { ProvisionReport } from '../../core/provision/orchestrator';
import { TOPOLOGY_FILE, type ValidTopology } from '../../core/topology/types';
import type { CommandSpec } from '../commands/registry';
import { isTreeNode } from '../commands/ui';
import { UserError } from '../commands/userError';
import { FORGET_SECRETS_ON, logEvent, runProvision, type ProvisionDeps } from '../provision/commands';
import type { TopologyStore } from '../workspace/topologyStore';
import type { ClientStateStore } from './clientState';
import { addClientToDocument, clientStatuses, removeClientFromDocument, runPki, type PkiOptions } from './coreApi';
import { clientChecker } from './validation';

export interface ClientDeps extends ProvisionDeps {
  clients: ClientStateStore;
}

let reading: Promise<void> | undefined;
/** When the status is read after a revocation: OpenVPN tells the client to restart and ends its session a few
 *  seconds later (client-kill's delayed exit), so one read at once would still list it as connected. */
const AFTER_REVOKE_MS = [3000, 4000, 5000, 8000, 10000];

/**
 * Reads the clients' certificates and connections from the gateway into the tree. `interactive` (a command
 * the user ran) may ask for a host key or a password; otherwise (expanding the node) only what is stored is
 * used and nothing pops up. Never throws: a failure is shown on the Clients node.
 */
export function readClientStatus(deps: ClientDeps, interactive: boolean): Promise<void> {
  if (!vscode.workspace.isTrusted) return Promise.resolve();
  const s = deps.store.state;
  if (s.kind !== 'valid') return Promise.resolve();
  reading ??= (async () => {
    deps.clients.reading();
    try {
      const pool = interactive ? await deps.ssh.getPool() : await deps.ssh.getBackgroundPool();
      const statuses = await clientStatuses(s.topology, pool);
      deps.clients.update(statuses);
      deps.log.info(`clients: ${statuses.map((c) => `${c.name} ${c.cert}${c.connected ? ' connected' : ''}`).join(', ') || 'none'}`);
    } catch (e) {
      const why = errorMessage(e);
      deps.log.warn(`clients: status not read: ${why}`);
      deps.clients.failed(interactive ? why : `${why} (Refresh Topology View connects, asking what it needs)`);
    } finally {
      reading = undefined;
    }
  })();
  return reading;
}

/** Reads the status after a revocation until the server no longer lists `name` as connected (or gives up). */
async function readUntilGone(deps: ClientDeps, name: string): Promise<void> {
  for (const ms of AFTER_REVOKE_MS) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    await readClientStatus(deps, true);
    if (!deps.clients.view.statuses?.some((s) => s.name === name && s.connected)) return;
  }
}

/** The gateway's PKI step only (pki.sh), in cancellable progress; a failure is thrown with what to do next. */
export async function runPkiStep(deps: ClientDeps, t: ValidTopology, title: string, extra: Pick<PkiOptions, 'rotate'> = {}) {
  const { log, ssh } = deps;
  log.info(`${title}: the gateway's PKI step`);
  const report: ProvisionReport = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `ROS VPN: ${title}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      try {
        return await runPki(t, await ssh.getPool(), {
          ...extra,
          caPassphrase: deps.ca.sourceFor(t),
          signal: abort.signal,
          onEvent: (e) => logEvent(log, e, progress),
        });
      } finally {
        sub.dispose();
      }
    },
  );
  const failed = report.hosts.find((h) => h.status === 'failed');
  if (failed) {
    if (FORGET_SECRETS_ON.has(failed.code ?? '')) {
      const { selectHosts } = await import('../../core/provision/endpoints');
      await ssh.forgetFor(selectHosts(t, { host: 'gateway' })[0].endpoint);
    }
    throw new Error(`the gateway's PKI step failed: ${failed.error ?? 'see the log'}`);
  }
  return report;
}

/** The client a command acts on: its tree node, a name, or one picked from rosvpn.json (and the gateway's last status). */
async function pickClient(
  deps: ClientDeps,
  t: ValidTopology,
  arg: unknown,
  title: string,
  undeclared: boolean,
): Promise<string | undefined> {
  if (isTreeNode(arg) && arg.client) return arg.client.name;
  if (typeof arg === 'string' && arg) return arg;
  const extra = undeclared ? (deps.clients.view.statuses ?? []).filter((s) => !s.declared && s.cert === 'valid') : [];
  const items = [
    ...t.clients.map((c) => ({ label: c.name, description: `${c.vpnIp}${c.host ? ` · ${c.host}` : ''}` })),
    ...extra.filter((s) => !t.clients.some((c) => c.name === s.name)).map((s) => ({ label: s.name, description: 'not in rosvpn.json' })),
  ];
  if (!items.length) {
    throw new UserError(`${TOPOLOGY_FILE} has no clients: add one with "ROS VPN: Add Client".`, {
      actions: [{ title: 'Add Client', run: () => vscode.commands.executeCommand('rosvpn.addClient') }],
    });
  }
  return (await vscode.window.showQuickPick(items, { title: `ROS VPN: ${title}`, placeHolder: 'Which client?' }))?.label;
}

/** An input box whose value is checked as the user types by the core's validator, on the new client's field. */
async function askField(
  title: string,
  prompt: string,
  check: (v: string) => string | undefined,
  opts: { placeHolder?: string; optional?: boolean } = {},
): Promise<string | undefined> {
  const v = await vscode.window.showInputBox({
    title,
    prompt,
    placeHolder: opts.placeHolder,
    ignoreFocusOut: true,
    validateInput: (x) => (opts.optional && x.trim() === '' ? undefined : check(x.trim())),
  });
  return v?.trim();
}

async function addClient(deps: ClientDeps): Promise<void> {
  const t = await deps.store.require();
  const check = clientChecker(deps.store.state.kind === 'valid' ? deps.store.state.raw : {});
  const title = (i: number) => `ROS VPN: Add Client (${i}/3)`;
  const name = await askField(
    title(1),
    'Name of the client: its certificate and profile name (lowercase letters, digits and -), e.g. alice-laptop',
    (v) => check({ name: v }, 'name'),
  );
  if (!name) return;
  const vpnIp = await askField(
    title(2),
    `Its address in the robot subnet ${t.robotSubnet}, CIDR; empty picks the first free one from the top of the subnet down`,
    (v) => check({ name, vpnIp: v }, 'vpnIp'),
    { optional: true, placeHolder: 'empty: chosen for you' },
  );
  if (vpnIp === undefined) return;
  const host = await askField(
    title(3),
    'Its SSH host, for Provision Client to set it up (OpenVPN client, profile, CycloneDDS); empty when you install its profile by hand',
    (v) => check({ name, vpnIp: vpnIp || undefined, host: v }, 'host'),
    { optional: true, placeHolder: 'empty: no SSH host' },
  );
  if (host === undefined) return;
  await deps.store.editText((text) => addClientToDocument(text, name, vpnIp || undefined, host ? { host } : {}));
  const t2 = await deps.store.require();
  const made = t2.clients.find((c) => c.name === name);
  deps.log.info(`added client ${name} (${made?.vpnIp ?? '?'}${host ? `, SSH host ${host}` : ''}) to ${TOPOLOGY_FILE}`);
  try {
    await runPkiStep(deps, t2, `Add Client (${name})`);
  } catch (e) {
    throw new UserError(
      `${name} is in ${TOPOLOGY_FILE}, but its certificate was not issued: ${errorMessage(e)}. Provision Gateway issues it.`,
      {
        cause: e,
        actions: [{ title: 'Provision Gateway', run: () => vscode.commands.executeCommand('rosvpn.provisionGateway') }],
      },
    );
  } finally {
    void readClientStatus(deps, true);
  }
  const next = made?.host ? 'Provision Client' : 'Download Client Profile';
  const choice = await vscode.window.showInformationMessage(
    `ROS VPN: added ${name} (${made?.vpnIp ?? ''}) and issued its certificate. ${made?.host ? 'Provision Client sets up its host.' : 'Download its profile and install it on the machine.'}`,
    next,
  );
  if (choice === next) await vscode.commands.executeCommand(made?.host ? 'rosvpn.provisionClient' : 'rosvpn.downloadClientProfile', name);
}

async function revokeClient(deps: ClientDeps, arg: unknown): Promise<void> {
  const t = await deps.store.require();
  const name = await pickClient(deps, t, arg, 'Revoke Client', true);
  if (!name) return;
  const declared = t.clients.some((c) => c.name === name);
  const button = `Revoke ${name}`;
  const choice = await vscode.window.showWarningMessage(
    `Revoke ${name}?`,
    {
      modal: true,
      detail: `Its certificate is revoked, it is disconnected now and cannot reconnect${declared ? `; it is removed from ${TOPOLOGY_FILE}` : ''}.`,
    },
    button,
  );
  if (choice !== button) return;
  if (declared) {
    await deps.store.editText((text) => removeClientFromDocument(text, name));
    deps.log.info(`removed client ${name} from ${TOPOLOGY_FILE}`);
  }
  // rosvpn.json no longer declares it: the PKI step revokes it, publishes the CRL and disconnects it.
  try {
    await runPkiStep(deps, await deps.store.require(), `Revoke Client (${name})`);
  } catch (e) {
    throw new UserError(
      `${name} is ${declared ? `removed from ${TOPOLOGY_FILE}` : 'not declared'} but not revoked yet: ${errorMessage(e)}. Provision Gateway revokes it.`,
      { cause: e, actions: [{ title: 'Provision Gateway', run: () => vscode.commands.executeCommand('rosvpn.provisionGateway') }] },
    );
  } finally {
    void readUntilGone(deps, name);
  }
  deps.log.info(`revoked client ${name}`);
  void vscode.window.showInformationMessage(`ROS VPN: revoked ${name}: its certificate is revoked and it was disconnected.`);
}

async function rotateClient(deps: ClientDeps, arg: unknown): Promise<void> {
  const t = await deps.store.require();
  const name = await pickClient(deps, t, arg, 'Rotate Client Certificate', false);
  if (!name) return;
  const client = t.clients.find((c) => c.name === name);
  if (!client) throw new UserError(`${name} is not a client in ${TOPOLOGY_FILE}; only declared clients get a new certificate.`);
  const button = 'Rotate';
  const choice = await vscode.window.showWarningMessage(
    `Rotate the certificate of ${name}?`,
    {
      modal: true,
      detail: `A new certificate is issued and the old one revoked: ${name} is disconnected until it has the new profile (${client.host ? 'Provision Client follows now' : 'download it with Download Client Profile and install it on the machine'}).`,
    },
    button,
  );
  if (choice !== button) return;
  try {
    await runPkiStep(deps, t, `Rotate Client Certificate (${name})`, { rotate: [name] });
  } finally {
    void readClientStatus(deps, true);
  }
  deps.log.info(`rotated the certificate of client ${name}`);
  if (client.host) {
    await runProvision(deps, { host: name }, `Provision Client (${name})`);
    return;
  }
  const download = 'Download Client Profile';
  const picked = await vscode.window.showInformationMessage(
    `ROS VPN: ${name} has a new certificate; the old one is revoked. Install its new profile on the machine.`,
    download,
  );
  if (picked === download) await vscode.commands.executeCommand('rosvpn.downloadClientProfile', name);
}

export function clientCommands(deps: ClientDeps): CommandSpec[] {
  return [
    { id: 'rosvpn.addClient', needsTrust: true, run: () => addClient(deps) },
    { id: 'rosvpn.revokeClient', needsTrust: true, run: (arg) => revokeClient(deps, arg) },
    { id: 'rosvpn.rotateClient', needsTrust: true, run: (arg) => rotateClient(deps, arg) },
  ];
}

/** For the store: the clients' status belongs to one gateway's CA. */
export function clientStatusKey(store: TopologyStore): string | undefined {
  const s = store.state;
  return s.kind === 'valid' ? `${s.topology.deployment ?? s.topology.name}@${s.topology.gateway.host}` : undefined;
}
