// The EC2 commands: Show Cloud Plan, Launch Cloud Instances (the plan, then a confirmation), Refresh Cloud
// Status, Start/Stop Instance and Tear Down Cloud Resources (after a confirmation). The same core as
// `rosvpn cloud`; the AWS SDK loads on the first of these commands, never on activation.
import * as vscode from 'vscode';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { requireSshCidr, resolveCloudSettings, resolveSshCidr, settingName, type CloudSettingKey } from '../../core/ec2/settings';
import { publicIpv4 } from '../../core/ec2/checkip';
import { cloudForget, cloudWriteBack, deploymentWriteBack, newDeploymentId, type WriteBack } from '../../core/ec2/writeBack';
import type { CloudSettings } from '../../core/ec2/model';
import type { ValidTopology } from '../../core/topology/types';
import { describeError, isCloudSettingsError } from '../../core/errors';
import { SHOW_LOG, type CommandSpec } from '../commands/registry';
import { isTreeNode } from '../commands/ui';
import { UserError } from '../commands/userError';
import { loadEc2 } from '../lazy';
import type { TopologyStore } from '../workspace/topologyStore';
import type { CloudStateStore } from './cloudState';

export interface CloudDeps {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  store: TopologyStore;
  cloud: CloudStateStore;
}

const KEYS: CloudSettingKey[] = ['region', 'profile', 'instanceType', 'keyName', 'amiId', 'subnetId', 'sshCidr', 'openvpnCidr'];

function cloudSettings(): CloudSettings {
  const cfg = vscode.workspace.getConfiguration('rosvpn.aws');
  const raw = Object.fromEntries(KEYS.map((k) => [k, cfg.get<string>(k)]));
  return resolveCloudSettings(raw, settingName, process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION);
}

/** A bad cloud setting becomes a UserError whose "Open Settings" opens the setting it names; any other
 *  error goes on to the command registry as it is. */
const withSettingsButton =
  (fn: (arg?: unknown) => Promise<void>) =>
  async (arg?: unknown): Promise<void> => {
    try {
      await fn(arg);
    } catch (e) {
      // By name (isCloudSettingsError): the lazily loaded EC2 bundle has its own copy of the class.
      if (!isCloudSettingsError(e)) throw e;
      const key = e.key as CloudSettingKey;
      throw new UserError(e.message, {
        cause: e,
        actions: [{ title: 'Open Settings', run: () => vscode.commands.executeCommand('workbench.action.openSettings', settingName(key)) }],
      });
    }
  };

/** The SDK-backed core modules: their own bundle, loaded on the first cloud command. */
type Ec2 = Awaited<ReturnType<typeof loadEc2>>;

/** Runs `fn` with a client for the configured region/profile in a progress notification. */
async function withEc2<T>(
  deps: CloudDeps,
  title: string,
  fn: (x: { t: ValidTopology; s: CloudSettings; client: EC2Client; m: Ec2; progress: (m: string) => void }) => Promise<T>,
): Promise<T> {
  const t = await deps.store.require();
  const s = cloudSettings();
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `ROS VPN: ${title}` }, async (p) => {
    p.report({ message: `connecting to EC2 in ${s.region}${s.profile ? ` (profile ${s.profile})` : ''}` });
    const m = await loadEc2();
    const client = m.createEc2Client(s);
    try {
      return await fn({ t, s, client, m, progress: (message) => p.report({ message }) });
    } finally {
      client.destroy();
    }
  });
}

async function refreshStatus(deps: CloudDeps, x: { t: ValidTopology; s: CloudSettings; client: EC2Client; m: Ec2 }) {
  const st = await x.m.cloudStatus(x.client, x.t, x.s);
  deps.cloud.update(x.t, st);
  return st;
}

async function applyWriteBack(deps: CloudDeps, w: WriteBack): Promise<void> {
  if (w.changes.length) {
    await deps.store.edit(w.edit);
    for (const c of w.changes) deps.log.info(`rosvpn.json: ${c}`);
  }
  for (const n of w.notes) deps.log.warn(n);
}

// Plans open as read-only documents (no "save changes?" when closed): rosvpn-plan:/<topology>.plan?<n>.
const PLAN_SCHEME = 'rosvpn-plan';
const plans = new Map<string, string>();

/** `auto` becomes this machine's public address (a /32) before a plan or a launch uses it. */
async function withSshCidr(deps: CloudDeps, s: CloudSettings): Promise<CloudSettings> {
  const r = await resolveSshCidr(s, () => publicIpv4());
  if (r !== s) deps.log.info(`rosvpn.aws.sshCidr auto: this machine's public address is ${r.sshCidr}`);
  return r;
}

async function showPlan(deps: CloudDeps): Promise<void> {
  const t = await deps.store.require();
  const lines = await withEc2(deps, 'Cloud Plan', async ({ t, s: raw, client, m }) => {
    const s = await withSshCidr(deps, raw);
    const d = await m.discover(client, t, s);
    return m.planLines(t, s, m.planCloud(t, s, d), d);
  });
  for (const l of lines) deps.log.info(l);
  const uri = vscode.Uri.from({ scheme: PLAN_SCHEME, path: `/${t.name} cloud plan`, query: String(plans.size + 1) });
  plans.set(uri.toString(), `${lines.join('\n')}\n`);
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true });
}

async function launch(deps: CloudDeps): Promise<void> {
  // Before any EC2 call: nothing is world-open by default, so up needs to know who may reach SSH.
  requireSshCidr(cloudSettings());
  const planned = await withEc2(deps, 'Launch Cloud Instances', async ({ t, s: raw, client, m }) => {
    const s = await withSshCidr(deps, raw);
    const d = await m.discover(client, t, s);
    // Before the confirmation: a launch without a key pair would fail after it.
    m.checkKeyPair(s, m.hostsToLaunch(t, d));
    const plan = m.planCloud(t, s, d);
    return { lines: m.planLines(t, s, plan, d), changes: m.planChanges(plan), region: s.region, s };
  });
  for (const l of planned.lines) deps.log.info(l);
  if (planned.changes) {
    const go = 'Launch';
    const choice = await vscode.window.showWarningMessage(
      `Make ${planned.changes} change(s) in ${planned.region}? AWS bills the instances and the Elastic IP until "Tear Down Cloud Resources".`,
      {
        modal: true,
        detail: planned.lines
          .slice(1, -1)
          .map((l) => l.trim())
          .join('\n'),
      },
      go,
    );
    if (choice !== go) {
      deps.log.info('Launch Cloud Instances: not confirmed; nothing was created');
      return;
    }
  }
  // The first launch gives the topology its deployment id, in rosvpn.json before anything is created.
  const before = await deps.store.require();
  if (!before.deployment) await applyWriteBack(deps, deploymentWriteBack(before, newDeploymentId()));
  const result = await withEc2(deps, 'Launch Cloud Instances', async (x) => {
    // The SSH CIDR the plan showed (auto resolved once), not a second lookup.
    x = { ...x, s: planned.s };
    const r = await x.m.cloudUp(x.client, x.t, x.s, {
      onEvent: (line) => {
        deps.log.info(`cloud up: ${line}`);
        x.progress(line);
      },
      waitRunning: x.m.waitRunning,
      waitSsh: (address) => x.m.waitSsh(address),
    });
    const w = cloudWriteBack(x.t, r);
    await applyWriteBack(deps, w);
    // The file changed: status against the topology as written.
    await refreshStatus(deps, { ...x, t: await deps.store.require() });
    return { r, w };
  });
  const next = 'Provision All';
  const choice = await vscode.window.showInformationMessage(
    `ROS VPN: cloud up — gateway ${result.r.instances.gateway} at ${result.r.publicIp}, ${Object.keys(result.r.instances).length} instance(s); rosvpn.json ${result.w.changes.length ? 'updated' : 'already up to date'}.${result.w.notes.length ? ` Note: ${result.w.notes.join(' ')}` : ''}`,
    next,
  );
  if (choice === next) await vscode.commands.executeCommand('rosvpn.provisionAll');
}

async function status(deps: CloudDeps): Promise<void> {
  const st = await withEc2(deps, 'Cloud Status', (x) => refreshStatus(deps, x));
  for (const i of st.instances)
    deps.log.info(`cloud status: ${i.host} ${i.id} ${i.state}${i.privateIp ? ` ${i.privateIp}` : ''}${i.publicIp ? ` ${i.publicIp}` : ''}`);
  const summary = st.instances.length ? st.instances.map((i) => `${i.host} ${i.state}`).join(', ') : 'no instances';
  void vscode.window.showInformationMessage(
    `ROS VPN: EC2 — ${summary}${st.address ? `; Elastic IP ${st.address.publicIp}${st.address.instanceId ? '' : ' (not associated, still billed)'}` : ''}.`,
  );
}

async function power(deps: CloudDeps, action: 'start' | 'stop', arg: unknown): Promise<void> {
  const t = await deps.store.require();
  let host = isTreeNode(arg) && (arg.kind === 'gateway' || arg.kind === 'second') ? arg.host : undefined;
  if (!host) {
    const picked = await vscode.window.showQuickPick(
      ['gateway', ...t.seconds.map((s) => s.name)].map((h) => ({ label: h, description: deps.cloud.all.get(h)?.state })),
      {
        title: `ROS VPN: ${action === 'start' ? 'Start' : 'Stop'} Instance`,
        placeHolder: 'Which cloud host?',
      },
    );
    host = picked?.label;
    if (!host) return;
  }
  const target = host;
  const r = await withEc2(deps, `${action === 'start' ? 'Start' : 'Stop'} Instance`, async (x) => {
    const res = await x.m.setPower(x.client, x.t, action, x.s, [target]);
    await refreshStatus(deps, x);
    return res;
  });
  for (const c of r.changed) deps.log.info(`${action === 'start' ? 'starting' : 'stopping'} ${c.host} (${c.id}, was ${c.from})`);
  const text = r.changed.length
    ? `${action === 'start' ? 'Starting' : 'Stopping'} ${target} (${r.changed[0].id}).${action === 'stop' ? ' Its disk and the Elastic IP stay billed until "Tear Down Cloud Resources".' : ''}`
    : `${target} is already ${r.unchanged[0]?.state ?? 'in that state'}.`;
  void vscode.window.showInformationMessage(`ROS VPN: ${text}`);
}

async function teardown(deps: CloudDeps): Promise<void> {
  const st = await withEc2(deps, 'Tear Down Cloud Resources', (x) => refreshStatus(deps, x));
  const t = await deps.store.require();
  // Plain functions of the status, from the lazily loaded module only when there is something to show.
  const m = await loadEc2();
  if (!m.hasOwned(st)) {
    const lines = m.nothingOursLines(t, st, cloudSettings().region);
    for (const l of lines) deps.log.info(`cloud down: ${l}`);
    void vscode.window.showInformationMessage(
      `ROS VPN: ${lines[0]}; nothing to tear down.${lines.length > 1 ? ` ${lines.length - 1} resource(s) with the same topology name are not ours and stay (see the log).` : ''}`,
    );
    return;
  }
  // Every id that will be deleted, and then exactly these: the list is not looked up again.
  const items = m.teardownItems(st);
  const others = m.foreignLines(t, st.foreign, st.vpcId);
  for (const l of [...items.map((i) => `will delete ${i}`), ...others]) deps.log.info(`cloud down: ${l}`);
  const go = 'Terminate and Delete';
  const choice = await vscode.window.showWarningMessage(
    `Terminate and delete these ${items.length} resource(s) of topology ${t.name} (deployment ${st.deployment})?`,
    {
      modal: true,
      detail: `This cannot be undone; the instances' disks are deleted.\n${items.join('\n')}${others.length ? `\n\nLeft alone (same name, not ours):\n${others.join('\n')}` : ''}`,
    },
    go,
  );
  if (choice !== go) {
    deps.log.info('Tear Down Cloud Resources: not confirmed; nothing was changed');
    return;
  }
  const r = await withEc2(deps, 'Tear Down Cloud Resources', async (x) => {
    const res = await x.m.cloudDown(x.client, st, x.s.region, {
      onEvent: (line) => {
        deps.log.info(`cloud down: ${line}`);
        x.progress(line);
      },
      waitTerminated: x.m.waitTerminated,
    });
    if (res.ok) await applyWriteBack(deps, cloudForget(x.t));
    await refreshStatus(deps, { ...x, t: await deps.store.require() }).catch((e) =>
      deps.log.warn(`cloud status after teardown: ${describeError(e)}`),
    );
    return res;
  });
  if (r.ok) {
    void vscode.window.showInformationMessage(
      `ROS VPN: torn down — nothing of topology ${t.name} (deployment ${st.deployment}) is left in EC2.`,
    );
    return;
  }
  deps.log.error(`cloud down failed: ${r.error}`);
  for (const x of r.remaining) deps.log.error(`still there: ${x}`);
  // A partial result, not a thrown error: what was deleted and what is left are both part of the message.
  const pick = await vscode.window.showErrorMessage(
    `ROS VPN: Tear Down Cloud Resources failed: ${r.error}. ${r.done.length ? '' : 'Nothing was deleted. '}Still there: ${r.remaining.join('; ')}`,
    SHOW_LOG,
  );
  if (pick === SHOW_LOG) deps.log.show(true);
}

export function cloudCommands(deps: CloudDeps): CommandSpec[] {
  deps.context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(PLAN_SCHEME, {
      provideTextDocumentContent: (uri) => plans.get(uri.toString()) ?? '',
    }),
  );
  return [
    { id: 'rosvpn.cloudPlan', needsTrust: true, run: withSettingsButton(() => showPlan(deps)) },
    { id: 'rosvpn.cloudUp', needsTrust: true, run: withSettingsButton(() => launch(deps)) },
    { id: 'rosvpn.cloudStatus', needsTrust: true, run: withSettingsButton(() => status(deps)) },
    { id: 'rosvpn.cloudStart', needsTrust: true, run: withSettingsButton((arg) => power(deps, 'start', arg)) },
    { id: 'rosvpn.cloudStop', needsTrust: true, run: withSettingsButton((arg) => power(deps, 'stop', arg)) },
    { id: 'rosvpn.cloudDown', needsTrust: true, run: withSettingsButton(() => teardown(deps)) },
  ];
}
