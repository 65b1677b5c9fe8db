// `rosvpn check`: per host — reachable over SSH, bridge, tunnel, OpenVPN, and every other host's
// robot-subnet address reachable across the bridge, with MTU-sized don't-fragment frames; DDS discovery
// multicast between every pair of hosts checked together; on the gateway also every certificate (CA, server,
// the desktop's, each client's), with a warning 30 days before one expires. Read-only; all hosts at once.
import { expiryWarnings, readPkiStatus, type PkiStatus } from '../clients/status';
import { errorMessage } from '../errors';
import { renderCheckScript } from '../render/check';
import type { SshPool } from '../ssh/types';
import { CLIENT_PROFILE_NAME, type ValidTopology } from '../topology/types';
import { type HostSelector, selectHosts } from './endpoints';
import {
  GUARD_ROLES,
  guardCheckItem,
  guardView,
  guardWarnings,
  parseGuardLines,
  rejectedWarning,
  type GuardReading,
  type GuardView,
} from './guard';
import { readGuardRecord, writeGuardRecord } from './guardRecord';
import { runUploadedScript } from './remote';

export interface CheckItem {
  name: string;
  status: 'pass' | 'fail';
  msg: string;
}

/** One directed pair's result: `mcast` is reported by the receiver (`to`), `mtu` by the sender (`from`). */
export interface PairCheck {
  kind: 'mcast' | 'mtu';
  from: string;
  to: string;
  status: 'pass' | 'fail';
  msg: string;
}

export interface HostCheck {
  label: string;
  role: string;
  ok: boolean;
  checks: CheckItem[];
  /** The `mcast:<from>` and `mtu:<to>` checks of this host as pairs (for --json and the extension). */
  pairs?: PairCheck[];
  /** What needs attention soon without being a failure now (a certificate expiring within 30 days, a guard that dropped). */
  warnings?: string[];
  /** The desktop's and the gateway's multicast guard: what it passed and dropped since the last check. */
  guard?: GuardView;
}

export interface CheckReport {
  ok: boolean;
  hosts: HostCheck[];
}

const CHECK_LINE = /^::check name=(\S+) status=(pass|fail) msg="(.*)"$/;

export function parseCheckLines(output: string): CheckItem[] {
  const items: CheckItem[] = [];
  for (const line of output.split('\n')) {
    const m = CHECK_LINE.exec(line);
    if (m) items.push({ name: m[1], status: m[2] as 'pass' | 'fail', msg: m[3] });
  }
  return items;
}

/**
 * The gateway's certificates as a check: it fails when the CA or the server certificate is missing, revoked
 * or expired (no client can connect); it warns 30 days before any certificate expires, and about declared
 * clients (and the desktop) without a valid certificate, which the next provisioning of the gateway issues.
 */
export function certificateCheck(t: ValidTopology, pki: PkiStatus, now: Date = new Date()): { item: CheckItem; warnings: string[] } {
  const warnings = expiryWarnings(pki.certs, now).map((w) => w.message);
  const problems: string[] = [];
  for (const kind of ['ca', 'server'] as const) {
    const c = pki.certs.find((x) => x.kind === kind && x.status === 'valid') ?? pki.certs.find((x) => x.kind === kind);
    const what = kind === 'ca' ? 'the CA' : "the server's certificate";
    if (!c || c.status === 'missing') problems.push(`${what} is missing (provision the gateway: rosvpn provision --host gateway)`);
    else if (c.status === 'revoked') problems.push(`${what} is revoked (provision the gateway: rosvpn provision --host gateway)`);
    else if (c.notAfter && Date.parse(c.notAfter) <= now.getTime()) problems.push(`${what} expired on ${c.notAfter.slice(0, 10)}`);
  }
  const valid = (kind: string, name: string) => pki.certs.some((c) => c.kind === kind && c.name === name && c.status === 'valid');
  if (t.desktop && !valid('desktop', CLIENT_PROFILE_NAME)) {
    warnings.push(`the desktop has no valid certificate (${CLIENT_PROFILE_NAME}): rosvpn provision --host gateway issues it`);
  }
  for (const c of t.clients) {
    if (!valid('client', c.name)) warnings.push(`client ${c.name} has no valid certificate yet: rosvpn provision --host gateway issues it`);
  }
  const expiring = pki.certs
    .filter((c) => c.status === 'valid' && c.notAfter)
    .sort((a, b) => Date.parse(a.notAfter as string) - Date.parse(b.notAfter as string))[0];
  const count = pki.certs.filter((c) => c.status === 'valid').length;
  const item: CheckItem = problems.length
    ? { name: 'certificates', status: 'fail', msg: problems.join('; ') }
    : {
        name: 'certificates',
        status: 'pass',
        msg: `${count} valid${expiring?.notAfter ? `; the first to expire: ${expiring.name} on ${expiring.notAfter.slice(0, 10)}` : ''}`,
      };
  return { item, warnings };
}

export interface CheckOptions {
  /**
   * Run the check script with sudo (default). false: as the login user — what the periodic check in the
   * background does, so that nothing nobody asked for runs as root; the certificates (root-only) are left out.
   */
  root?: boolean;
  /**
   * The topology file whose record (in this machine's state dir) holds each guard's counters at the last
   * check, so that the figures are the change since; it is updated. Without it: the totals since the guard was loaded.
   */
  guardRecord?: { topologyFile: string; env?: Record<string, string | undefined> };
  /** The time of this check (tests). */
  now?: Date;
}

/**
 * The check items of a run as the login user. The gateway's OpenVPN status file (the connected clients) is
 * root-only: a running server whose clients could not be counted is not a failure then.
 */
export function withoutRoot(role: string, items: CheckItem[]): CheckItem[] {
  return items.map((c) =>
    role === 'gateway' && c.name === 'openvpn' && c.status === 'fail' && c.msg.startsWith('server running, no client connected')
      ? { name: c.name, status: 'pass', msg: 'server running (connected clients are counted only by a check with root)' }
      : c,
  );
}

const isLabels = (s: HostSelector | readonly string[] | undefined): s is readonly string[] => Array.isArray(s);

/** The pair checks among a host's check items. */
export function pairsOf(label: string, checks: readonly CheckItem[]): PairCheck[] {
  const pairs: PairCheck[] = [];
  for (const c of checks) {
    const m = /^(mcast|mtu):(.+)$/.exec(c.name);
    if (!m) continue;
    const kind = m[1] as PairCheck['kind'];
    pairs.push({ kind, from: kind === 'mcast' ? m[2] : label, to: kind === 'mcast' ? label : m[2], status: c.status, msg: c.msg });
  }
  return pairs;
}

/** `select`: a selector, or the labels of the hosts to check (the extension's periodic check: the hosts reached before). */
// long: the per-host check, with the session barrier that lets the hosts' multicast probes overlap
export async function checkTopology(
  t: ValidTopology,
  pool: SshPool,
  select?: HostSelector | readonly string[],
  signal?: AbortSignal,
  options: CheckOptions = {},
): Promise<CheckReport> {
  const root = options.root ?? true;
  const selected = isLabels(select) ? selectHosts(t).filter((h) => select.includes(h.label)) : selectHosts(t, select);
  // Every session first, then every script at once: each host's multicast receiver must be listening while
  // the others send, and connecting (a jump host, a slow key exchange) would skew the starts by seconds.
  const sessions = await Promise.all(
    selected.map((h) =>
      pool.session(h.endpoint).then(
        (s) => ({ s }),
        (e: unknown) => ({ e }),
      ),
    ),
  );
  const reached = selected.filter((_h, i) => 's' in sessions[i]).map((h) => h.label);
  const guardReadings = new Map<string, GuardReading>();
  const hosts = await Promise.all(
    selected.map(async (h, i): Promise<HostCheck> => {
      const checks: CheckItem[] = [];
      const warnings: string[] = [];
      try {
        const opened = sessions[i];
        if ('e' in opened) throw opened.e;
        const session = opened.s;
        checks.push({ name: 'ssh', status: 'pass', msg: `reachable as ${session.endpoint.user ?? 'default user'}` });
        const script = renderCheckScript(t, h.label, { mcastFrom: reached });
        const r = await runUploadedScript(session, 'rosvpn-check.sh', script, [], { signal, timeoutMs: 60000, sudo: root });
        const items = root ? parseCheckLines(r.stdout) : withoutRoot(h.role, parseCheckLines(r.stdout));
        if (!items.length)
          checks.push({ name: 'check-script', status: 'fail', msg: `no results (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}` });
        checks.push(...items);
        if (GUARD_ROLES.includes(h.role) && root && items.length) guardReadings.set(h.label, parseGuardLines(r.stdout));
        // The certificates only when the check script ran (else its failure already says why: sudo, SSH…).
        if (h.role === 'gateway' && items.length && root) {
          try {
            const certs = certificateCheck(t, await readPkiStatus(t, pool, { signal }));
            checks.push(certs.item);
            warnings.push(...certs.warnings);
          } catch (e) {
            checks.push({ name: 'certificates', status: 'fail', msg: errorMessage(e) });
          }
        }
      } catch (e) {
        checks.push({ name: 'ssh', status: 'fail', msg: (e as Error).message });
      }
      return {
        label: h.label,
        role: h.role,
        ok: checks.every((c) => c.status === 'pass'),
        checks,
        pairs: pairsOf(h.label, checks),
        ...(warnings.length ? { warnings } : {}),
      };
    }),
  );
  const withGuards = withGuardViews(t, hosts, guardReadings, options, Object.fromEntries(selected.map((h) => [h.label, h.endpoint.host])));
  return { ok: withGuards.every((h) => h.ok), hosts: withGuards };
}

/**
 * The hosts with a guard (reached) with its view, check item and warnings; the record of the counters updated
 * (read once and written once, however many hosts). A check without root reads no guard and changes no record.
 */
export function withGuardViews(
  t: ValidTopology,
  hosts: HostCheck[],
  readings: ReadonlyMap<string, GuardReading>,
  options: CheckOptions,
  endpoints: Record<string, string>,
): HostCheck[] {
  const now = options.now ?? new Date();
  const rec = options.guardRecord;
  const record = rec && readings.size ? readGuardRecord(rec.topologyFile, rec.env) : undefined;
  const out = hosts.map((h) => {
    if (!GUARD_ROLES.includes(h.role) || !h.checks.some((c) => c.name === 'ssh' && c.status === 'pass')) return h;
    const reading = readings.get(h.label);
    const prev = record?.hosts[h.label];
    const previous = prev && prev.host === endpoints[h.label] ? prev : undefined;
    const why = options.root === false ? undefined : 'the check script did not run to the end';
    const { view, next } = guardView(t, reading, previous, now, why);
    // Without counters now (missing, off), the last ones stay: the guard loaded again later counts from zero,
    // which the next check reports as a restart, as it is.
    if (record && next) record.hosts[h.label] = { ...next, host: endpoints[h.label] };
    const item = guardCheckItem(h.label, view);
    const checks = item ? [...h.checks, item] : h.checks;
    const warnings = [...(h.warnings ?? []), ...guardWarnings(h.label, view)];
    const bad = reading && rejectedWarning(h.label, reading);
    if (bad) warnings.push(bad);
    return { ...h, ok: checks.every((c) => c.status === 'pass'), checks, guard: view, ...(warnings.length ? { warnings } : {}) };
  });
  if (!rec || !record) return out;
  try {
    writeGuardRecord(rec.topologyFile, record, rec.env);
    return out;
  } catch (e) {
    // Not a failure of the hosts: the next check shows the totals since the guard was loaded instead.
    const note = `could not keep the guard counters on this machine (${errorMessage(e)}): the next check shows totals`;
    return out.map((h) => (readings.has(h.label) ? { ...h, warnings: [...(h.warnings ?? []), note] } : h));
  }
}
