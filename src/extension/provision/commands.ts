// Provision Gateway / Second Instance / Desktop / All, and Check Connectivity: the core's
// orchestrator in cancellable progress, every step line in the "ROS VPN" log, host status into the tree.
import * as vscode from 'vscode';
import type { CheckReport } from '../../core/provision/check';
import type { HostSelector, TopologyHost } from '../../core/provision/endpoints';
import type { SshPool } from '../../core/ssh/types';
import type { ProvisionEvent, ProvisionReport } from '../../core/provision/orchestrator';
import type { Role } from '../../core/topology/types';
import { describeError } from '../../core/errors';
import { SHOW_LOG, type CommandSpec } from '../commands/registry';
import { pickHost } from '../commands/ui';
import type { CaPassphrases } from '../clients/caPassphrase';
import type { SshService } from '../ssh/sshService';
import type { HostHealthStore } from '../status/hostHealth';
import type { DdsTestReport } from '../../core/provision/ddsTest';
import { guardViewsFromCheck, pairResultsFromCheck, statusesFromCheck, statusesFromProvision } from '../tree/model';
import type { TopologyStore } from '../workspace/topologyStore';

export interface ProvisionDeps {
  log: vscode.LogOutputChannel;
  store: TopologyStore;
  ssh: SshService;
  statuses: HostHealthStore;
  /** The CA passphrase, for every run that may issue, renew or revoke a certificate on the gateway. */
  ca: CaPassphrases;
  /** Called after every provisioning run (the clients' status follows a run of the gateway). */
  onProvisioned?(report: ProvisionReport): void;
}

export function logEvent(
  log: vscode.LogOutputChannel,
  e: ProvisionEvent,
  progress: vscode.Progress<{ message?: string }>,
  verb = 'provisioning',
): void {
  if (e.type === 'host-start') {
    log.info(`[${e.host}] ${verb}`);
    progress.report({ message: `${e.host}: connecting` });
  } else if (e.type === 'line') {
    const l = e.line;
    if (l.kind === 'step') {
      const text = `[${e.host}] ${l.name} ${l.status}${l.msg ? `: ${l.msg}` : ''}`;
      if (l.status === 'failed') log.error(text);
      else log.info(text);
      progress.report({ message: `${e.host}: ${l.name}` });
    } else if (l.kind === 'warn') log.warn(`[${e.host}] ${l.msg}`);
    else if (l.kind === 'text' && l.text.trim()) log.trace(`[${e.host}] ${l.text.trim()}`);
  } else if (e.type === 'host-done') {
    const r = e.report;
    const line = `[${e.host}] ${r.status}: ${r.changed} changed, ${r.ok} ok, ${r.skipped} skipped in ${(r.durationMs / 1000).toFixed(1)} s${r.error ? ` — ${r.error}` : ''}`;
    if (r.status === 'failed') log.error(line);
    else log.info(line);
  }
}

/** The failures after which the stored passphrase or sudo password may be the wrong one: forget them. */
export const FORGET_SECRETS_ON: ReadonlySet<string> = new Set(['AUTH_FAILED', 'SUDO_FAILED']);

/** What a run on hosts does inside the progress: the core's provision or unprovision. */
type HostsWork = (opts: { pool: SshPool; signal: AbortSignal; onEvent: (e: ProvisionEvent) => void }) => Promise<ProvisionReport>;

/**
 * A run on `hosts` in a cancellable progress: the hosts show "provisioning" meanwhile, every event goes to
 * the log, Cancel aborts the run, and no report (an error) leaves them "failed", never "provisioning". After
 * the run, the stored secrets of hosts whose login or sudo failed are forgotten. Errors propagate to the
 * command registry, which reports them.
 */
export async function runOnHosts(
  deps: ProvisionDeps,
  hosts: readonly TopologyHost[],
  title: string,
  verb: 'provisioning' | 'unprovisioning',
  work: HostsWork,
): Promise<ProvisionReport> {
  const { log, ssh, statuses } = deps;
  statuses.set(hosts.map((h) => [h.label, 'provisioning']));
  let report: ProvisionReport;
  try {
    report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `ROS VPN: ${title}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => {
          log.warn(`${title}: cancelled by the user`);
          abort.abort();
        });
        try {
          return await work({ pool: await ssh.getPool(), signal: abort.signal, onEvent: (e) => logEvent(log, e, progress, verb) });
        } finally {
          sub.dispose();
        }
      },
    );
  } catch (e) {
    statuses.set(hosts.map((h) => [h.label, 'failed']));
    throw e;
  }
  for (const h of report.hosts) {
    if (h.status === 'failed' && FORGET_SECRETS_ON.has(h.code ?? '')) await ssh.forgetFor(hosts.find((x) => x.label === h.label)!.endpoint);
  }
  return report;
}

/** Runs provisioning in a cancellable progress; errors propagate to the command registry, which reports them. */
export async function runProvision(deps: ProvisionDeps, select: HostSelector, title: string): Promise<ProvisionReport> {
  const { log, store, statuses } = deps;
  const t = await store.require();
  const { provision } = await import('../../core/provision/orchestrator');
  const { selectHosts } = await import('../../core/provision/endpoints');
  const hosts = selectHosts(t, select);
  log.info(`${title}: ${hosts.map((h) => h.label).join(', ')}`);
  // The gateway's run may issue or renew certificates, which needs the CA key's passphrase.
  const caPassphrase = deps.ca.sourceFor(t);
  const report = await runOnHosts(deps, hosts, title, 'provisioning', (o) => provision(t, { ...o, select, caPassphrase }));
  statuses.set(statusesFromProvision(report));
  deps.onProvisioned?.(report);
  statuses.connectedOnce ||= report.hosts.some((h) => h.status !== 'failed');
  const failed = report.hosts.filter((h) => h.status === 'failed');
  if (failed.length) {
    // A partial result, not a thrown error: the hosts that worked are reported too (in the log and the tree).
    const choice = await vscode.window.showErrorMessage(
      `ROS VPN: ${title} failed on ${failed.map((h) => `${h.label} (${h.error ?? 'see the log'})`).join('; ')}`,
      SHOW_LOG,
    );
    if (choice === SHOW_LOG) log.show(true);
  } else {
    const changed = report.hosts.reduce((n, h) => n + h.changed, 0);
    void vscode.window.showInformationMessage(
      `ROS VPN: ${title} done — ${report.hosts.map((h) => h.label).join(', ')} ${changed ? `(${changed} step(s) changed)` : '(already up to date)'}.`,
    );
  }
  return report;
}

/**
 * Checks the hosts; `quiet` is the periodic check of the status bar, which never opens a notification and
 * only logs its own errors (nobody asked for it). Otherwise errors propagate to the command registry.
 */
export async function runCheck(deps: ProvisionDeps, select: HostSelector | undefined, quiet: boolean): Promise<CheckReport | undefined> {
  if (quiet) {
    return checkNow(deps, select, true).catch((e) => {
      deps.log.warn(`periodic check: ${describeError(e)}`);
      return undefined;
    });
  }
  return checkNow(deps, select, false);
}

async function checkNow(deps: ProvisionDeps, select: HostSelector | undefined, quiet: boolean): Promise<CheckReport> {
  const { log, store, ssh, statuses } = deps;
  const t = await store.require();
  const { checkTopology } = await import('../../core/provision/check');
  const work = async (token?: vscode.CancellationToken) => {
    const abort = new AbortController();
    const sub = token?.onCancellationRequested(() => abort.abort());
    try {
      // The guard's figures are the change since the last check of this topology file (the CLI's too).
      const file = store.file?.fsPath;
      return await checkTopology(t, await ssh.getPool(), select, abort.signal, file ? { guardRecord: { topologyFile: file } } : {});
    } finally {
      sub?.dispose();
    }
  };
  // The periodic check looks only at hosts the user has reached before; the others stay "unknown". It runs
  // as the login user, never as root (bridge, tunnel, units and pings need no root; the certificates are
  // left to the checks the user starts), so no sudo password is ever used in the background.
  const background = async (): Promise<CheckReport> => {
    const pool = await ssh.getBackgroundPool();
    // One run for them all, so their multicast probes hear each other.
    // Not the hosts ROS VPN was removed from: their check would only fail.
    const hosts = [...statuses.all].filter(([, v]) => v !== 'not provisioned').map(([h]) => h);
    return checkTopology(t, pool, hosts, undefined, { root: false });
  };
  const report = quiet
    ? await background()
    : await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'ROS VPN: Checking connectivity', cancellable: true },
        (_p, token) => work(token),
      );
  statuses.lastCheck = new Date();
  statuses.set(statusesFromCheck(report));
  // Only a check that probed pairs (more than one host at once) replaces what the last one found.
  const probed = report.hosts.filter((h) => h.pairs?.some((p) => p.kind === 'mcast')).map((h) => h.label);
  statuses.setPairs(probed, pairResultsFromCheck(report, t.mtu));
  statuses.setGuards(guardViewsFromCheck(report));
  statuses.connectedOnce ||= report.hosts.some((h) => h.checks.some((c) => c.name === 'ssh' && c.status === 'pass'));
  for (const h of report.hosts) {
    log.info(`check ${h.label} (${h.role}): ${h.ok ? 'healthy' : 'PROBLEMS'}`);
    for (const c of h.checks) (c.status === 'pass' ? log.info : log.error).call(log, `  ${c.status}  ${c.name}: ${c.msg}`);
    for (const w of h.warnings ?? []) log.warn(`  warn  ${w}`);
  }
  if (!quiet) {
    if (report.ok)
      void vscode.window.showInformationMessage(`ROS VPN: every host healthy (${report.hosts.map((h) => h.label).join(', ')}).`);
    else {
      const bad = report.hosts.filter((h) => !h.ok);
      const first = (h: (typeof bad)[number]) => h.checks.find((c) => c.status === 'fail');
      const choice = await vscode.window.showErrorMessage(
        `ROS VPN: check failed on ${bad.map((h) => `${h.label} (${first(h)?.name}: ${first(h)?.msg})`).join('; ')}`,
        SHOW_LOG,
      );
      if (choice === SHOW_LOG) log.show(true);
    }
  }
  return report;
}

const PROVISION_TITLE: Record<Role, string> = {
  gateway: 'Provision Gateway',
  second: 'Provision Second Instance',
  desktop: 'Provision Desktop',
  client: 'Provision Client',
};

export function provisionCommands(deps: ProvisionDeps): CommandSpec[] {
  const byRole = (role: Role) => async (arg?: unknown) => {
    const t = await deps.store.require();
    const host = await pickHost(t, arg, [role], `Which ${role === 'second' ? 'second instance' : role} to provision?`);
    if (host) await runProvision(deps, { host: host.label }, `${PROVISION_TITLE[role]} (${host.label})`);
  };
  return [
    { id: 'rosvpn.provisionGateway', needsTrust: true, run: byRole('gateway') },
    { id: 'rosvpn.provisionSecond', needsTrust: true, run: byRole('second') },
    { id: 'rosvpn.provisionDesktop', needsTrust: true, run: byRole('desktop') },
    { id: 'rosvpn.provisionClient', needsTrust: true, run: byRole('client') },
    { id: 'rosvpn.provisionAll', needsTrust: true, run: () => runProvision(deps, { role: 'all' }, 'Provision All') },
    {
      id: 'rosvpn.checkConnectivity',
      needsTrust: true,
      run: async (arg?: unknown) => {
        const t = await deps.store.require();
        let select: HostSelector | undefined;
        if (arg !== undefined) {
          const host = await pickHost(t, arg, ['gateway', 'second', 'desktop'], 'Which host to check?');
          if (!host) return;
          select = { host: host.label };
        }
        await runCheck(deps, select, false);
      },
    },
    { id: 'rosvpn.runDdsTest', needsTrust: true, run: () => runDdsTest(deps) },
  ];
}

/** Run DDS Test: a talker on each second in turn, a listener on the desktop; samples and loss per second. */
async function runDdsTest(deps: ProvisionDeps): Promise<DdsTestReport> {
  const t = await deps.store.require();
  const { ddsTest } = await import('../../core/provision/ddsTest');
  const report = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: 'ROS VPN: DDS test (a talker on each second, a listener on the desktop)',
      cancellable: true,
    },
    async (_p, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      try {
        return await ddsTest(t, await deps.ssh.getPool(), { signal: abort.signal });
      } finally {
        sub.dispose();
      }
    },
  );
  for (const f of report.flows) (f.ok ? deps.log.info : deps.log.error).call(deps.log, `DDS test ${f.from} → ${f.to}: ${f.msg}`);
  const lines = report.flows.map((f) => `${f.from}: ${f.msg}`).join('; ');
  if (report.ok) void vscode.window.showInformationMessage(`ROS VPN: DDS test passed — ${lines}.`);
  else if ((await vscode.window.showErrorMessage(`ROS VPN: DDS test failed — ${lines}`, SHOW_LOG)) === SHOW_LOG) deps.log.show(true);
  return report;
}
