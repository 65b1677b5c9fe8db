// Provisioning over SSH: render, upload, run with sudo, stream the step lines, summarise per host.
// Order: every host at once. The desktop gateway and the client hosts need a profile from the gateway, which
// is copied through this machine (validated on the way: a profile is data, never code) the moment the
// gateway's profile step reports done; until then only their OpenVPN client step waits for it (their
// network steps, the desktop's commit-confirmed move included, run meanwhile). When the gateway fails
// first, they fail at once, saying so. When one already holds the gateway's current profile (a rerun), it
// runs with it, and again after the gateway only if the gateway's run produced a different one.
// The CA key on the gateway is encrypted: its passphrase travels as a file in the gateway's /dev/shm (RAM),
// never on a command line; when the gateway's script says it needs one (CA_NEW, CA_LOCKED, CA_BAD_PASSPHRASE)
// the caller is asked and the gateway's script runs again.
import { randomBytes } from 'node:crypto';
import { renderTopology, type RenderedScript } from '../render';
import { WAIT_FOR_PROFILE_ARG } from '../render/openvpn';
import { PROFILE_STEP_NAME } from '../render/pki';
import { errorCode, errorMessage } from '../errors';
import type { SshErrorCode, SshPool, SshSession } from '../ssh/types';
import type { ValidTopology } from '../topology/types';
import { type HostSelector, selectHosts, type TopologyHost } from './endpoints';
import { parseScriptLine, type ScriptLine, type StepStatus } from './events';
import { assertValidProfile, fetchClientProfile, profileFileName } from './profile';
import { CA_PASS_FILE_ARG, homePath, runUploadedScript } from './remote';

export { CA_PASS_FILE_ARG, fetchClientProfile };

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
  /** CPU time of the host's script and what it ran (its summary line), when it reported one. */
  cpuMs?: number;
}

export type ProvisionEvent =
  | { type: 'host-start'; host: string }
  | { type: 'line'; host: string; line: ScriptLine; stream: 'stdout' | 'stderr' }
  | { type: 'host-done'; host: string; report: HostReport };

export interface ProvisionReport {
  hosts: HostReport[];
  ok: boolean;
}

/** Where the CA key's passphrase comes from (the CLI: a file, the environment or a prompt; VS Code: SecretStorage). */
export interface CaPassphraseSource {
  /** A passphrase known without asking (CLI file/env, SecretStorage, the lab); undefined if none. */
  known(): Promise<string | undefined>;
  /** Ask the user; `new` = choose one for a new CA (confirm it), `unlock` = the existing CA's, `retry` = the last was wrong. undefined cancels. */
  ask(need: CaPassphraseNeed, why: string): Promise<string | undefined>;
  /** Optional: the gateway's run with this passphrase got past the CA (a shell may store it now). */
  accepted?(passphrase: string): Promise<void> | void;
}

export type CaPassphraseNeed = 'new' | 'unlock' | 'retry';

/** The gateway script's failure codes that ask for the CA passphrase, and what to ask for. */
export const CA_PASSPHRASE_CODES: Readonly<Record<string, CaPassphraseNeed>> = {
  CA_NEW: 'new',
  CA_LOCKED: 'unlock',
  CA_BAD_PASSPHRASE: 'retry',
};
/** How many times the gateway's script runs again with an asked passphrase before its failure stands. */
export const MAX_CA_TRIES = 3;

export interface ProvisionOptions {
  pool: SshPool;
  select?: HostSelector;
  onEvent?(event: ProvisionEvent): void;
  signal?: AbortSignal;
  /** The scripts to run; default: rendered from the topology. Tests pass harmless ones. */
  scripts?: RenderedScript[];
  /** The CA key's passphrase, when the gateway is in the run; without it a run that needs the CA key fails (CA_LOCKED…). */
  caPassphrase?: CaPassphraseSource;
}

/** A host's report before anything counted: runScript fills it in, skipped() keeps it. */
function emptyReport(host: TopologyHost, status: ProvisionOutcome): HostReport {
  return { label: host.label, role: host.role, status, changed: 0, ok: 0, skipped: 0, failed: 0, warnings: [], durationMs: 0 };
}

/** What runs on a host's session before its script: the script's arguments, and what to undo afterwards. */
interface Prepared {
  args: string[];
  cleanup?(): Promise<void>;
}

// One host's run from start to report: the session, what runs before the script, the streamed lines
// and every way it can end (exit status, missing summary, a thrown error), with the cleanup in between.
// Exported for unprovision.ts (the same run and report for the undoing scripts).
export async function runScript(
  host: TopologyHost,
  script: RenderedScript,
  opts: Pick<ProvisionOptions, 'pool' | 'onEvent' | 'signal'>,
  prepare?: (session: SshSession) => Promise<Prepared>,
): Promise<HostReport> {
  const started = Date.now();
  const report = emptyReport(host, 'failed');
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
      if (line.cpuMs !== undefined) report.cpuMs = line.cpuMs;
    }
    opts.onEvent?.({ type: 'line', host: host.label, line, stream });
  };
  try {
    const session = await opts.pool.session(host.endpoint);
    let prepared: Prepared | undefined;
    let r;
    try {
      prepared = prepare ? await prepare(session) : { args: [] };
      r = await runUploadedScript(session, `rosvpn-${script.fileName}`, script.content, prepared.args, {
        signal: opts.signal,
        onStdout: onLine('stdout'),
        onStderr: onLine('stderr'),
      });
    } finally {
      await prepared?.cleanup?.();
    }
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

export function skipped(host: TopologyHost, why: string, opts: Pick<ProvisionOptions, 'onEvent'>): HostReport {
  const report: HostReport = { ...emptyReport(host, 'skipped'), error: why, code: 'SKIPPED' };
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
  // The desktop and the client hosts need a profile from the gateway; the gateway and the seconds do not.
  const needsProfile = (h: TopologyHost) => h.role === 'desktop' || h.role === 'client';
  const cloud = selected.filter((h) => !needsProfile(h));
  const gate = profileGate();
  const cloudRuns = cloud.map((h) =>
    h.role === 'gateway' ? gate.watch(runGateway(h, scriptOf(h), gate.listen(opts))) : runScript(h, scriptOf(h), opts),
  );
  const gatewayIndex = cloud.findIndex((h) => h.role === 'gateway');
  const gateway = gatewayIndex >= 0 ? { run: cloudRuns[gatewayIndex], profile: gate.ready } : undefined;
  const dependentRuns = selected
    .filter(needsProfile)
    .map((h) => runWithProfile(h, h.role === 'client' ? h.label : undefined, scriptOf(h), gatewayHost, gateway, opts));
  const hosts = await Promise.all([...cloudRuns, ...dependentRuns]);
  return { hosts, ok: hosts.every((h) => h.status !== 'failed') };
}

/** A passphrase the gateway's script can use: one line of text (openssl reads the file's first line). */
export function caPassphraseProblem(passphrase: string, need: CaPassphraseNeed): string | undefined {
  if (passphrase === '') return 'the CA passphrase is empty';
  if (/[\r\n\0]/.test(passphrase)) return 'the CA passphrase holds a line break or NUL; it must be one line';
  if (passphrase.length > 1024) return 'the CA passphrase is longer than 1024 characters';
  if (need === 'new' && passphrase.length < 8) return 'a new CA passphrase needs at least 8 characters';
  if (passphrase.length < 4) return 'the CA passphrase is shorter than 4 characters (openssl refuses it)';
  return undefined;
}

/**
 * Uploads the passphrase to the gateway's /dev/shm (RAM, never the disk) as the login user's file, mode
 * 0600 from its creation, under a random name; the script gets its path and removes it when it ends, and so
 * does the cleanup, whatever happened. The passphrase itself is never on a command line or in a log.
 */
function passphraseFile(passphrase: string): (session: SshSession) => Promise<Prepared> {
  return async (session) => {
    const file = `/dev/shm/rosvpn-ca.${randomBytes(8).toString('hex')}`;
    const cleanup = async () => {
      await session.exec(`rm -f -- '${file}'`).catch(() => undefined);
    };
    try {
      await session.upload(file, `${passphrase}\n`, 0o600);
    } catch (e) {
      await cleanup();
      throw e;
    }
    return { args: [CA_PASS_FILE_ARG, file], cleanup };
  };
}

/**
 * The gateway's run: with the known passphrase when there is one; when the script fails for want of the CA
 * passphrase (or with a wrong one), ask and run it again, at most MAX_CA_TRIES times. Each run is reported
 * as it happens (host-start … host-done); the last one is the gateway's report.
 */
async function runGateway(host: TopologyHost, script: RenderedScript, opts: ProvisionOptions): Promise<HostReport> {
  const source = opts.caPassphrase;
  let passphrase: string | undefined;
  let report = await runScript(host, script, opts, async (session) => {
    passphrase = source ? await source.known() : undefined;
    return passphrase !== undefined ? passphraseFile(passphrase)(session) : { args: [] };
  });
  for (let tries = 0; source && tries < MAX_CA_TRIES && !opts.signal?.aborted; tries++) {
    const need = report.code !== undefined ? CA_PASSPHRASE_CODES[report.code] : undefined;
    if (!need) break;
    const why = report.error ?? `the gateway needs the CA passphrase (${report.code})`;
    const asked = await source.ask(need, why);
    if (asked === undefined) {
      report.error = `${why} (no CA passphrase given)`;
      return report;
    }
    const problem = caPassphraseProblem(asked, need);
    if (problem) {
      report.error = `${why} (${problem})`;
      return report;
    }
    passphrase = asked;
    report = await runScript(host, script, opts, passphraseFile(asked));
  }
  const stillLocked = report.code !== undefined && CA_PASSPHRASE_CODES[report.code] !== undefined;
  if (passphrase !== undefined && !stillLocked && report.status !== 'failed') await source?.accepted?.(passphrase);
  return report;
}

/** Whether the gateway's profiles are there for this run: yes, or the gateway failed (why) before writing them. */
export type ProfileReady = { ok: true } | { ok: false; why: string };

/**
 * The gateway's profiles in this run: ready the moment its profile step reports done (on whichever of its
 * runs: a CA passphrase may be asked first), or when its run ends without failing (a script without that
 * step); failed when its run ends failed (or throws) before. Settled once: the first of these wins.
 */
function profileGate() {
  let settle: (r: ProfileReady) => void = () => undefined;
  const ready = new Promise<ProfileReady>((resolve) => (settle = resolve));
  return {
    ready,
    /** The gateway's options, with its step lines watched for the profile step. */
    listen(opts: ProvisionOptions): ProvisionOptions {
      return {
        ...opts,
        onEvent(e) {
          opts.onEvent?.(e);
          const l = e.type === 'line' ? e.line : undefined;
          if (l?.kind === 'step' && l.name === PROFILE_STEP_NAME && (l.status === 'ok' || l.status === 'changed')) settle({ ok: true });
        },
      };
    },
    /** The gateway's whole run (every try): its end settles the gate if the profile step did not. */
    watch(run: Promise<HostReport>): Promise<HostReport> {
      return run.then(
        (r) => {
          settle(r.status === 'failed' ? { ok: false, why: r.error ?? `its run failed (${r.code ?? 'ERROR'})` } : { ok: true });
          return r;
        },
        (e: unknown) => {
          settle({ ok: false, why: errorMessage(e) });
          throw e;
        },
      );
    },
  };
}

/** The gateway's run in this provisioning, and its profiles' readiness (profileGate). */
interface GatewayInRun {
  run: Promise<HostReport>;
  profile: Promise<ProfileReady>;
}

/**
 * A host that needs a profile from the gateway (the desktop: ros_local_gateway.ovpn; client NAME: NAME.ovpn
 * from ~/rosvpn-clients/): the profile is downloaded, validated, uploaded to the host's login home (mode 0600)
 * and passed to its script. The fetch runs inside runScript, so that a failure is this host's failure. With
 * the gateway in the run, the host runs at once (runAlongsideGateway), or with the profile it holds (a rerun).
 */
function runWithProfile(
  host: TopologyHost,
  client: string | undefined,
  script: RenderedScript,
  gatewayHost: TopologyHost,
  gateway: GatewayInRun | undefined,
  opts: ProvisionOptions,
): Promise<HostReport> {
  const file = profileFileName(client);
  const withProfile = (profile: () => Promise<Buffer>) =>
    runScript(host, script, opts, async (session) => {
      const content = await profile();
      assertValidProfile(content, `${file} from the gateway`);
      const remote = await homePath(session, file);
      await session.upload(remote, content, 0o600);
      return { args: [remote] };
    });
  const fetchNow = () => fetchClientProfile(opts.pool, gatewayHost, client);
  return (async () => {
    if (!gateway) return withProfile(fetchNow);
    const held = await heldProfile(opts.pool, gatewayHost, host, client);
    if (!held) return runAlongsideGateway(host, script, file, gateway.profile, fetchNow, opts);
    // The host holds the gateway's current profile: run it now, with that profile, alongside the gateway.
    const early = await runScript(host, script, opts, async (session) => ({ args: [await homePath(session, file)] }));
    const gw = await gateway.run;
    if (gw.status === 'failed' || early.status === 'failed') return early;
    const now = await fetchNow().catch(() => undefined);
    return now?.equals(held) ? early : withProfile(fetchNow);
  })();
}

/**
 * A host without the gateway's current profile, run at once alongside the gateway: its script gets the path
 * the profile will have (WAIT_FOR_PROFILE_ARG PATH; a profile or marker left there by an earlier run is
 * removed first) and runs its other steps meanwhile; its OpenVPN client step waits for the file. The profile
 * is downloaded the moment the gateway's profile step reports done, validated, and uploaded (atomically:
 * written aside, then renamed). When the gateway fails first, or its profile cannot be copied, PATH.failed
 * says why and the script fails at once. Nothing is copied after the host's run has ended.
 */
function runAlongsideGateway(
  host: TopologyHost,
  script: RenderedScript,
  file: string,
  profileReady: Promise<ProfileReady>,
  fetch: () => Promise<Buffer>,
  opts: ProvisionOptions,
): Promise<HostReport> {
  return runScript(host, script, opts, async (session) => {
    const remote = await homePath(session, file);
    const marker = `${remote}.failed`;
    const rm = await session.exec(`rm -f -- '${remote}' '${marker}'`);
    if (rm.code !== 0) throw new Error(`cannot remove the previous ${remote} on ${host.label}: ${rm.stderr.trim().slice(0, 300)}`);
    let ended = false;
    let markerWritten = false;
    let copying: Promise<void> = Promise.resolve();
    const copy = async (ready: ProfileReady) => {
      let why = ready.ok ? '' : `the gateway failed: ${ready.why}`;
      if (ready.ok) {
        try {
          const content = await fetch();
          assertValidProfile(content, `${file} from the gateway`);
          await session.upload(remote, content, 0o600);
          return;
        } catch (e) {
          why = `the profile from the gateway could not be copied to ${host.label}: ${errorMessage(e)}`;
        }
      }
      markerWritten = true;
      await session.upload(marker, `${why.replace(/[\r\n]+/g, ' ').slice(0, 600)}\n`, 0o600).catch(() => undefined);
    };
    void profileReady.then((ready) => {
      if (!ended) copying = copy(ready);
    });
    const cleanup = async () => {
      ended = true;
      await copying;
      if (markerWritten) await session.exec(`rm -f -- '${marker}'`).catch(() => undefined);
    };
    return { args: [WAIT_FOR_PROFILE_ARG, remote], cleanup };
  });
}

function renderScriptsOrThrow(t: ValidTopology): RenderedScript[] {
  const r = renderTopology(t);
  const err = r.diagnostics.find((d) => d.severity === 'error');
  if (err) throw new Error(`${err.path}: ${err.message} — ${err.fix ?? ''}`);
  return r.scripts;
}

/** The profile in the host login's home when it equals the (valid) one on the gateway now; else undefined. */
async function heldProfile(
  pool: SshPool,
  gateway: TopologyHost,
  host: TopologyHost,
  client: string | undefined,
): Promise<Buffer | undefined> {
  try {
    const onGateway = await fetchClientProfile(pool, gateway, client);
    const session = await pool.session(host.endpoint);
    const onHost = await session.download(await homePath(session, profileFileName(client)));
    return onGateway.equals(onHost) ? onGateway : undefined;
  } catch {
    return undefined;
  }
}

/** Counts for a one-line verdict. */
export function statusCounts(report: ProvisionReport): Record<ProvisionOutcome, number> {
  const counts: Record<ProvisionOutcome, number> = { changed: 0, ok: 0, failed: 0, skipped: 0 };
  for (const h of report.hosts) counts[h.status]++;
  return counts;
}

export type { StepStatus };
