// CLI commands that reach hosts over SSH: provision, unprovision, fetch-ovpn, logs, check (client: clients.ts).
// The SSH layer loads on first use so that `rosvpn validate` and `render` stay fast.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import type { CheckOptions, CheckReport } from '../core/provision/check';
import type { CaPassphraseSource, HostReport, ProvisionEvent, ProvisionReport } from '../core/provision/orchestrator';
import type { SshCallbacks, SshPool } from '../core/ssh/types';
import { CLIENT_PROFILE_NAME, type Role, type ValidTopology } from '../core/topology/types';
import { askHidden, askYesNo, canPrompt } from './prompt';
// Static: light (no SSH layer), and what the confirmation prints comes before any connection.
import { selectHosts } from '../core/provision/endpoints';
import { describeUnprovision, unprovision } from '../core/provision/unprovision';

export interface RemoteIo {
  out(line: string): void;
  err(line: string): void;
}

export interface SshFlags {
  acceptNew?: boolean;
  knownHosts?: string;
  sshConfig?: string;
}

export async function openPool(io: RemoteIo, flags: SshFlags): Promise<SshPool> {
  const callbacks: SshCallbacks = {
    async confirmUnknownHost(info) {
      const where = info.host;
      if (flags.acceptNew) {
        io.err(`recording the new host key of ${where}: ${info.keyType} ${info.fingerprint}`);
        return true;
      }
      if (canPrompt())
        return askYesNo(
          `The authenticity of ${where} can't be established.\n${info.keyType} key fingerprint is ${info.fingerprint}.\nTrust it and record it in known_hosts?`,
        );
      io.err(`unknown host key for ${where}: ${info.keyType} ${info.fingerprint} — verify it, then rerun with --accept-new to record it`);
      return false;
    },
    passphrase: (keyPath) => askHidden(`Passphrase for ${keyPath}: `),
    sudoPassword: (endpoint) => askHidden(`[sudo] password on ${endpoint.label} (${endpoint.host}): `),
  };
  const { createSshPool } = await import('../core/ssh');
  return createSshPool({ callbacks, knownHostsPath: flags.knownHosts, sshConfigPath: flags.sshConfig });
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** Streams a provisioning event as a line prefixed with its host; `verb` names the run (unprovisioning). */
export function printEvent(io: RemoteIo, e: ProvisionEvent, width: number, verb = 'provisioning'): void {
  const tag = `[${pad(e.host, width)}]`;
  if (e.type === 'host-start') io.out(`${tag} ${verb}`);
  else if (e.type === 'line') {
    const l = e.line;
    if (l.kind === 'step') io.out(`${tag} ${pad(l.name, 18)} ${l.status}${l.msg ? `: ${l.msg}` : ''}`);
    else if (l.kind === 'warn') io.out(`${tag} warning: ${l.msg}`);
    else if (l.kind === 'text' && l.text.trim()) (e.stream === 'stderr' ? io.err : io.out)(`${tag}   ${l.text.trim()}`);
  } else if (e.type === 'host-done' && e.report.status === 'skipped') {
    io.out(`${tag} skipped: ${e.report.error}`);
  }
}

export function summaryTable(hosts: HostReport[]): string[] {
  const w = Math.max(4, ...hosts.map((h) => h.label.length));
  const lines = [`${pad('host', w)}  role     result   changed  ok  skipped  time`];
  for (const h of hosts) {
    lines.push(
      `${pad(h.label, w)}  ${pad(h.role, 7)}  ${pad(h.status, 7)}  ${pad(String(h.changed), 7)}  ${pad(String(h.ok), 2)}  ${pad(String(h.skipped), 7)}  ${(h.durationMs / 1000).toFixed(1)}s`,
    );
    if (h.error) lines.push(`${' '.repeat(w)}  ${h.status === 'failed' ? 'error' : 'note'}: ${h.error}`);
  }
  return lines;
}

/** One host's step durations as the steps reported them (ms=), in order; a rerun (CA passphrase) starts afresh. */
export interface HostTimings {
  host: string;
  steps: { name: string; status: string; ms?: number }[];
  /** The host's wall time, from the report (connection, upload and waiting included). */
  totalMs?: number;
  /** CPU time of the host's script and what it ran, from its summary line. */
  cpuMs?: number;
}

/** Collects --timings from the provisioning events. */
export function timingsCollector(): { onEvent(e: ProvisionEvent): void; hosts(): HostTimings[] } {
  const byHost = new Map<string, HostTimings>();
  const of = (host: string) => byHost.get(host) ?? byHost.set(host, { host, steps: [] }).get(host)!;
  return {
    hosts: () => [...byHost.values()],
    onEvent(e) {
      if (e.type === 'host-start') byHost.set(e.host, { host: e.host, steps: [] });
      else if (e.type === 'line' && e.line.kind === 'step')
        of(e.host).steps.push({ name: e.line.name, status: e.line.status, ms: e.line.ms });
      else if (e.type === 'host-done') Object.assign(of(e.host), { totalMs: e.report.durationMs, cpuMs: e.report.cpuMs });
    },
  };
}

/** `--timings`: per host, each step's duration in the order the steps ran, their sum, and the host's wall time. */
export function timingsTable(hosts: HostTimings[]): string[] {
  const lines = ['Step timings (ms, as each host measured its steps):'];
  for (const h of hosts) {
    const w = Math.max(18, ...h.steps.map((s) => s.name.length));
    const sum = h.steps.reduce((a, s) => a + (s.ms ?? 0), 0);
    lines.push(`[${h.host}]`);
    for (const s of h.steps)
      lines.push(`  ${pad(s.name, w)}  ${pad(s.status, 7)}  ${s.ms === undefined ? '     -' : String(s.ms).padStart(6)}`);
    lines.push(`  ${pad('steps total', w)}  ${pad('', 7)}  ${String(sum).padStart(6)}`);
    if (h.totalMs !== undefined) lines.push(`  ${pad('host total (wall)', w)}  ${pad('', 7)}  ${String(h.totalMs).padStart(6)}`);
    if (h.cpuMs !== undefined) lines.push(`  ${pad('script CPU', w)}  ${pad('', 7)}  ${String(h.cpuMs).padStart(6)}`);
  }
  return lines;
}

// long: the whole provision command: the pool, Ctrl-C, the streamed events, the summary table, --timings.
export async function provisionCommand(
  io: RemoteIo,
  t: ValidTopology,
  sel: { host?: string; role?: Role | 'all' },
  flags: SshFlags,
  caPassphrase?: CaPassphraseSource,
  onReport?: (report: ProvisionReport) => void,
  opts: { timings?: boolean } = {},
): Promise<number> {
  const { provision } = await import('../core/provision/orchestrator');
  const width = Math.max(...selectHosts(t, sel).map((h) => h.label.length));
  const pool = await openPool(io, flags);
  const abort = new AbortController();
  const onInt = () => abort.abort();
  process.once('SIGINT', onInt);
  const timings = timingsCollector();
  try {
    const report = await provision(t, {
      pool,
      select: sel,
      signal: abort.signal,
      onEvent: (e) => {
        printEvent(io, e, width);
        timings.onEvent(e);
      },
      ...(caPassphrase ? { caPassphrase } : {}),
    });
    onReport?.(report);
    io.out('');
    if (opts.timings) {
      for (const line of timingsTable(timings.hosts())) io.out(line);
      io.out('');
    }
    for (const line of summaryTable(report.hosts)) io.out(line);
    const failed = report.hosts.filter((h) => h.status === 'failed').length;
    io.out(failed ? `provision: FAILED on ${failed} host(s)` : 'provision: done');
    return failed ? 1 : 0;
  } finally {
    process.removeListener('SIGINT', onInt);
    await pool.dispose();
  }
}

/** How `rosvpn unprovision` asks; tests pass their own. */
export interface ConfirmIo extends RemoteIo {
  confirm(question: string): Promise<boolean>;
  canPrompt(): boolean;
}

// long: the whole unprovision command: what will change per host, the confirmation (or --yes), the run with
// its streamed steps and Ctrl-C, and the summary table with its verdict.
export async function unprovisionCommand(
  io: ConfirmIo,
  t: ValidTopology,
  sel: { host?: string; role?: Role | 'all' },
  opts: { purge: boolean; yes: boolean; onReport?: (report: ProvisionReport) => void },
  flags: SshFlags,
  poolFor: (io: RemoteIo, flags: SshFlags) => Promise<SshPool> = openPool,
): Promise<number> {
  const hosts = selectHosts(t, sel);
  // Said before anything runs, per host, so that the answer below is an informed one.
  io.out(`rosvpn unprovision will remove ROS VPN from ${hosts.length} host(s)${opts.purge ? ' and DELETE the PKI (--purge)' : ''}:`);
  for (const h of hosts) {
    io.out(`  ${h.label} (${h.role}, ${h.endpoint.host}):`);
    for (const line of describeUnprovision(t, h, opts.purge)) io.out(`    - ${line}`);
  }
  if (!opts.yes) {
    if (!io.canPrompt()) {
      io.err('unprovision: refusing without confirmation (no terminal to ask on); rerun with --yes');
      return 2;
    }
    if (!(await io.confirm(`Remove ROS VPN from ${hosts.map((h) => h.label).join(', ')}?`))) {
      io.err('unprovision: cancelled; nothing changed');
      return 1;
    }
  }
  const width = Math.max(...hosts.map((h) => h.label.length));
  const pool = await poolFor(io, flags);
  const abort = new AbortController();
  const onInt = () => abort.abort();
  process.once('SIGINT', onInt);
  try {
    const report = await unprovision(t, {
      pool,
      select: sel,
      purge: opts.purge,
      signal: abort.signal,
      onEvent: (e) => printEvent(io, e, width, 'unprovisioning'),
    });
    opts.onReport?.(report);
    io.out('');
    for (const line of summaryTable(report.hosts)) io.out(line);
    const failed = report.hosts.filter((h) => h.status === 'failed').length;
    const skippedHosts = report.hosts.filter((h) => h.status === 'skipped').length;
    if (failed) io.out(`unprovision: FAILED on ${failed} host(s)`);
    else if (skippedHosts) io.out(`unprovision: ${skippedHosts} host(s) skipped`);
    else io.out(`unprovision: ${report.hosts.length} host(s) without ROS VPN`);
    return failed || skippedHosts ? 1 : 0;
  } finally {
    process.removeListener('SIGINT', onInt);
    await pool.dispose();
  }
}

/** Whether `file` is inside a git work tree and not ignored there (a private key must not be committed). */
export function unignoredInGit(file: string): boolean {
  const dir = path.dirname(file);
  const inside = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: dir, encoding: 'utf8' });
  if (inside.status !== 0 || inside.stdout.trim() !== 'true') return false;
  return spawnSync('git', ['check-ignore', '-q', path.basename(file)], { cwd: dir }).status !== 0;
}

export async function fetchOvpnCommand(
  io: RemoteIo,
  t: ValidTopology,
  out: string,
  force: boolean,
  flags: SshFlags,
  client?: string,
): Promise<number> {
  if (fs.existsSync(out) && !force) {
    io.err(`${out} already exists; nothing written (use --force to replace it)`);
    return 1;
  }
  const { fetchClientProfile } = await import('../core/provision/profile');
  const pool = await openPool(io, flags);
  try {
    // Downloaded and checked against the allow-list before anything is written here.
    const profile = await fetchClientProfile(pool, selectHosts(t, { host: 'gateway' })[0], client);
    const { ignoreInGit, writePrivateFile } = await import('../core/provision/clientProfile');
    await writePrivateFile(out, profile);
    io.out(`wrote ${out} (mode 0600). It holds the private key of ${client ?? CLIENT_PROFILE_NAME}: keep it secret.`);
    if (client !== undefined) {
      // A client's profile goes to another machine by hand; keep this copy out of git from the start.
      const git = await ignoreInGit(out);
      if (git === 'added') io.out(`added ${path.basename(out)} to .gitignore`);
      else if (git === 'not-a-repo')
        io.out(`${path.dirname(out)} is not in a git work tree: keep ${path.basename(out)} out of any version control`);
    } else if (unignoredInGit(out)) {
      io.err(`warning: ${out} is inside a git work tree and not ignored — add it to .gitignore so the private key is never committed`);
    }
    return 0;
  } catch (e) {
    io.err(`fetch-ovpn: ${(e as Error).message}`);
    return 1;
  } finally {
    await pool.dispose();
  }
}

export async function logsCommand(
  io: RemoteIo,
  t: ValidTopology,
  host: string,
  unit: string | undefined,
  follow: boolean,
  lines: number,
  flags: SshFlags,
): Promise<number> {
  const { defaultUnit, journalctlCommand } = await import('../core/provision/logs');
  const h = selectHosts(t, { host })[0];
  const command = journalctlCommand(unit ?? defaultUnit(h.role), follow, lines);
  const pool = await openPool(io, flags);
  const abort = new AbortController();
  const onInt = () => abort.abort();
  process.once('SIGINT', onInt);
  try {
    if (follow) {
      const { followJournal } = await import('../core/provision/follow');
      await followJournal({
        pool,
        endpoint: h.endpoint,
        unit: unit ?? defaultUnit(h.role),
        lines,
        signal: abort.signal,
        onLine: io.out,
        onStderr: io.err,
        onNotice: (n) => io.err(`logs: ${n}`),
      });
      return 0;
    }
    const session = await pool.session(h.endpoint);
    const r = await session.exec(command, { sudo: true, signal: abort.signal, onStdout: io.out, onStderr: io.err });
    return r.code === 0 ? 0 : 1;
  } catch (e) {
    if (abort.signal.aborted) return 0;
    io.err(`logs: ${(e as Error).message}`);
    return 1;
  } finally {
    process.removeListener('SIGINT', onInt);
    await pool.dispose();
  }
}

export function printCheck(io: RemoteIo, report: CheckReport): void {
  for (const h of report.hosts) {
    io.out(`${h.label} (${h.role}): ${h.ok ? 'healthy' : 'PROBLEMS'}`);
    for (const c of h.checks) io.out(`  ${c.status === 'pass' ? 'pass' : 'FAIL'}  ${pad(c.name, 18)} ${c.msg}`);
    for (const w of h.warnings ?? []) io.out(`  warn  ${w}`);
  }
  io.out(
    report.ok
      ? 'check: every host healthy'
      : `check: FAILED on ${report.hosts
          .filter((h) => !h.ok)
          .map((h) => h.label)
          .join(', ')}`,
  );
}

export async function checkCommand(
  io: RemoteIo,
  t: ValidTopology,
  host: string | undefined,
  json: boolean,
  flags: SshFlags,
  guardRecord?: CheckOptions['guardRecord'],
): Promise<number> {
  const { checkTopology } = await import('../core/provision/check');
  const pool = await openPool(json ? { out: () => undefined, err: io.err } : io, flags);
  try {
    const report = await checkTopology(t, pool, host ? { host } : undefined, undefined, guardRecord ? { guardRecord } : {});
    if (json) io.out(JSON.stringify(report, null, 2));
    else printCheck(io, report);
    return report.ok ? 0 : 1;
  } finally {
    await pool.dispose();
  }
}

/** `rosvpn dds-test`: a talker on each second, a listener on the desktop; samples and loss per second. */
export async function ddsTestCommand(io: RemoteIo, t: ValidTopology, seconds: number, json: boolean, flags: SshFlags): Promise<number> {
  const { ddsTest } = await import('../core/provision/ddsTest');
  const pool = await openPool(json ? { out: () => undefined, err: io.err } : io, flags);
  try {
    const report = await ddsTest(t, pool, { seconds });
    if (json) io.out(JSON.stringify(report, null, 2));
    else {
      for (const f of report.flows) io.out(`  ${f.ok ? 'pass' : 'FAIL'}  ${pad(`${f.from} → ${f.to}`, 24)} ${f.msg}`);
      io.out(report.ok ? 'dds-test: every second reaches the desktop over DDS' : 'dds-test: FAILED');
    }
    return report.ok ? 0 : 1;
  } finally {
    await pool.dispose();
  }
}
