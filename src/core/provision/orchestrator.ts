// Provisioning over SSH: render, upload, run with sudo, stream the step lines, summarise per host.
// Order: the gateway and every second at once; the desktop gateway after the gateway, because it needs
// the client profile, which is copied from the gateway to the desktop through this machine. When the
// desktop already holds the gateway's current profile (a rerun), it runs alongside the gateway instead,
// and again afterwards only if the gateway's run produced a different profile.
import { renderTopology, type RenderedScript } from '../render';
import { errorCode, errorMessage } from '../errors';
import type { SshErrorCode, SshPool, SshSession } from '../ssh/types';
import { CLIENT_PROFILE_NAME, type ValidTopology } from '../topology/types';
import { type HostSelector, selectHosts, type TopologyHost } from './endpoints';
import { parseScriptLine, type ScriptLine, type StepStatus } from './events';
import { homePath, runUploadedScript } from './remote';

const PROFILE_FILE = `${CLIENT_PROFILE_NAME}.ovpn`;
export const REMOTE_PROFILE = `~/${PROFILE_FILE}`;

/** What a provisioning run did on one host (the extension's HostHealth is what it knows of a host now). */
export type ProvisionOutcome = 'changed' | 'ok' | 'failed' | 'skipped';

/**
 * Why a host failed, for callers to branch on: the SshError code of an SSH failure (AUTH_FAILED,
 * CONNECT_FAILED, SUDO_FAILED, ABORTED…), another error's own code, STEP_FAILED or SCRIPT_FAILED when the
 * script ran and failed, SKIPPED for a host not run, ERROR for an error without a code of its own.
 */
export type HostErrorCode = SshErrorCode | 'STEP_FAILED' | 'SCRIPT_FAILED' | 'SKIPPED' | 'ERROR' | (string & {});

export interface HostReport {
  label: string;
  role: TopologyHost['role'];
  status: ProvisionOutcome;
  changed: number;
  ok: number;
  skipped: number;
  failed: number;
  /** Why the host failed or was skipped. */
  error?: string;
  /** The same as a code; set whenever `error` is. */
  code?: HostErrorCode;
  warnings: string[];
  durationMs: number;
}

export type ProvisionEvent =
  | { type: 'host-start'; host: string }
  | { type: 'line'; host: string; line: ScriptLine; stream: 'stdout' | 'stderr' }
  | { type: 'host-done'; host: string; report: HostReport };

export interface ProvisionReport {
  hosts: HostReport[];
  ok: boolean;
}

export interface ProvisionOptions {
  pool: SshPool;
  select?: HostSelector;
  onEvent?(event: ProvisionEvent): void;
  signal?: AbortSignal;
  /** The scripts to run; default: rendered from the topology. Tests pass harmless ones. */
  scripts?: RenderedScript[];
}

async function runScript(
  host: TopologyHost,
  script: RenderedScript,
  opts: ProvisionOptions,
  beforeRun?: (session: SshSession) => Promise<string[]>,
): Promise<HostReport> {
  const started = Date.now();
  const report: HostReport = {
    label: host.label,
    role: host.role,
    status: 'failed',
    changed: 0,
    ok: 0,
    skipped: 0,
    failed: 0,
    warnings: [],
    durationMs: 0,
  };
  opts.onEvent?.({ type: 'host-start', host: host.label });
  let summarySeen = false;
  const onLine = (stream: 'stdout' | 'stderr') => (text: string) => {
    const line = stream === 'stdout' ? parseScriptLine(text) : ({ kind: 'text', text } as ScriptLine);
    if (line.kind === 'warn') report.warnings.push(line.msg);
    if (line.kind === 'step' && line.status === 'failed' && !report.error) {
      report.error = `step ${line.name} failed${line.msg ? `: ${line.msg}` : ''}`;
      report.code = line.code ?? 'STEP_FAILED';
    }
    if (line.kind === 'summary') {
      summarySeen = true;
      Object.assign(report, { changed: line.changed, ok: line.ok, skipped: line.skipped, failed: line.failed });
    }
    opts.onEvent?.({ type: 'line', host: host.label, line, stream });
  };
  try {
    const session = await opts.pool.session(host.endpoint);
    const args = beforeRun ? await beforeRun(session) : [];
    const r = await runUploadedScript(session, `rosvpn-${script.fileName}`, script.content, args, {
      signal: opts.signal,
      onStdout: onLine('stdout'),
      onStderr: onLine('stderr'),
    });
    if (r.code !== 0) {
      report.failed = Math.max(report.failed, 1);
      report.error ??= `${script.fileName} exited with ${r.code ?? `signal ${r.signal}`}${summarySeen ? '' : ' before its summary'}`;
      report.code ??= 'SCRIPT_FAILED';
    } else if (!summarySeen) {
      report.failed = 1;
      report.error = `${script.fileName} ended without a summary line`;
      report.code = 'SCRIPT_FAILED';
    }
  } catch (e) {
    report.failed = Math.max(report.failed, 1);
    report.error = errorMessage(e);
    report.code = errorCode(e) ?? 'ERROR';
  }
  report.status = report.failed > 0 ? 'failed' : report.changed > 0 ? 'changed' : 'ok';
  report.durationMs = Date.now() - started;
  opts.onEvent?.({ type: 'host-done', host: host.label, report });
  return report;
}

function skipped(host: TopologyHost, why: string, opts: ProvisionOptions): HostReport {
  const report: HostReport = {
    label: host.label,
    role: host.role,
    status: 'skipped',
    changed: 0,
    ok: 0,
    skipped: 0,
    failed: 0,
    warnings: [],
    durationMs: 0,
    error: why,
    code: 'SKIPPED',
  };
  opts.onEvent?.({ type: 'host-done', host: host.label, report });
  return report;
}

export async function provision(t: ValidTopology, opts: ProvisionOptions): Promise<ProvisionReport> {
  const scripts = opts.scripts ?? renderScriptsOrThrow(t);
  const byLabel = new Map(scripts.map((s) => [s.hostName, s]));
  const selected = selectHosts(t, opts.select);
  const gatewayHost = selectHosts(t, { host: 'gateway' })[0];
  const scriptOf = (h: TopologyHost) => {
    const s = byLabel.get(h.label);
    if (!s) throw new Error(`no script for ${h.label}`);
    return s;
  };

  const cloud = selected.filter((h) => h.role !== 'desktop');
  const desktop = selected.find((h) => h.role === 'desktop');
  const cloudRuns = cloud.map((h) => runScript(h, scriptOf(h), opts));
  const gatewayRun = cloud.find((h) => h.role === 'gateway') ? cloudRuns[cloud.findIndex((h) => h.role === 'gateway')] : undefined;

  let desktopRun: Promise<HostReport> | undefined;
  if (desktop) {
    // Copy the client profile gateway -> this machine -> desktop home (mode 0600), then pass its path.
    // The fetch runs inside runScript, so that a failure is this host's failure, reported like any other.
    const withProfile = (profile: () => Promise<Buffer>) =>
      runScript(desktop, scriptOf(desktop), opts, async (session) => {
        const remote = await homePath(session, PROFILE_FILE);
        await session.upload(remote, await profile(), 0o600);
        return [remote];
      });
    const fetchNow = () => fetchClientProfile(opts.pool, gatewayHost);
    desktopRun = (async () => {
      if (!gatewayRun) return withProfile(fetchNow);
      const held = await heldProfile(opts.pool, gatewayHost, desktop);
      if (!held) {
        const gw = await gatewayRun;
        if (gw.status === 'failed') return skipped(desktop, 'the gateway failed, and the desktop needs its client profile', opts);
        return withProfile(fetchNow);
      }
      // The desktop holds the gateway's current profile: run it now, with that profile, alongside the gateway.
      const early = await runScript(desktop, scriptOf(desktop), opts, async (session) => [await homePath(session, PROFILE_FILE)]);
      const gw = await gatewayRun;
      if (gw.status === 'failed' || early.status === 'failed') return early;
      const now = await fetchNow().catch(() => undefined);
      return now?.equals(held) ? early : withProfile(fetchNow);
    })();
  }
  const hosts = await Promise.all([...cloudRuns, ...(desktopRun ? [desktopRun] : [])]);
  return { hosts, ok: hosts.every((h) => h.status !== 'failed') };
}

function renderScriptsOrThrow(t: ValidTopology): RenderedScript[] {
  const r = renderTopology(t);
  const err = r.diagnostics.find((d) => d.severity === 'error');
  if (err) throw new Error(`${err.path}: ${err.message} — ${err.fix ?? ''}`);
  return r.scripts;
}

/** The profile in the desktop login's home when it equals the one on the gateway now; else undefined. */
async function heldProfile(pool: SshPool, gateway: TopologyHost, desktop: TopologyHost): Promise<Buffer | undefined> {
  try {
    const onGateway = await fetchClientProfile(pool, gateway);
    const session = await pool.session(desktop.endpoint);
    const onDesktop = await session.download(await homePath(session, PROFILE_FILE));
    return onGateway.equals(onDesktop) ? onGateway : undefined;
  } catch {
    return undefined;
  }
}

/** Downloads the client profile that gateway provisioning left in the login user's home. */
export async function fetchClientProfile(pool: SshPool, gateway: TopologyHost): Promise<Buffer> {
  const session = await pool.session(gateway.endpoint);
  const path = await homePath(session, PROFILE_FILE);
  try {
    return await session.download(path);
  } catch (e) {
    throw new Error(
      `cannot download ${path} from the gateway (${errorMessage(e)}); provision the gateway first: rosvpn provision --host gateway`,
      { cause: e },
    );
  }
}

/** Counts for a one-line verdict. */
export function statusCounts(report: ProvisionReport): Record<ProvisionOutcome, number> {
  const counts: Record<ProvisionOutcome, number> = { changed: 0, ok: 0, failed: 0, skipped: 0 };
  for (const h of report.hosts) counts[h.status]++;
  return counts;
}

export type { StepStatus };
