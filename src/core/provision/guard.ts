// The multicast guard as `rosvpn check` and the tree see it: the desktop's and the gateway's nftables guard
// (table bridge rosvpn_guard, rendered by render/guard.ts) counts, per direction, what it passed (ARP, unicast,
// DDS discovery, multicast/broadcast within the budget) and what it dropped (over the budget). The check script
// prints `::guard-state on|off|missing`, `::guard-load BOOT/HANDLE` and one `::guard <counter> packets=N bytes=N` line per counter; this
// module reads them as untrusted data (a known counter name, whole numbers, once each; anything else is
// ignored and reported), and turns them into the figures since the previous check of that host, kept on this
// machine (guardRecord.ts). A load id that differs from the previous check's, or counters that went down, mean
// the counters restarted (the host rebooted, or provisioning reloaded the guard): the figures are then the totals
// since, and say so.
import {
  GUARD_COUNTERS,
  GUARD_DIRECTIONS,
  GUARD_LOAD_RE,
  GUARD_PASSED_KINDS,
  GUARD_ROLES as ROLES,
  GUARD_STATE_RE,
  type GuardDirection,
  type GuardState,
} from '../render/guard';
import type { ValidTopology } from '../topology/types';

export type { GuardDirection };
/** Every counter of the guard, `<direction>_<kind>`: the names the check script prints (render/guard.ts). */
export const GUARD_COUNTER_NAMES: readonly string[] = GUARD_COUNTERS;
/** The roles whose hosts carry a guard (the two ends of the OpenVPN tap). */
export const GUARD_ROLES: readonly string[] = ROLES;

export interface Count {
  packets: number;
  bytes: number;
}

/** Counter name → its value. */
export type GuardCounters = Record<string, Count>;

/** What a host's check script said about its guard. */
export interface GuardReading {
  /**
   * on: the table is loaded; off (filter.enabled false) / missing: it is not; unreadable: the script had no
   * root to ask nft. Undefined: no (valid) state line.
   */
  state?: GuardState;
  /** What the counters count since: `<boot id>/<table handle>` (undefined: not said, or said twice differently). */
  load?: string;
  counters: GuardCounters;
  /** The `::guard…` lines that were not understood (at most 3 quoted samples) and how many there were. */
  rejected: { count: number; samples: string[] };
}

const COUNTER_LINE = /^::guard ([a-z_]{1,40}) packets=(\d{1,16}) bytes=(\d{1,16})$/;

/** A rejected line as it may be shown: printable ASCII only, at most 60 characters, quoted. */
function sample(line: string): string {
  // A remote host's control characters never reach a terminal.
  const clean = line.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(clean.length > 60 ? `${clean.slice(0, 60)}…` : clean);
}

/** The guard lines of a check script's output; every other line is not ours and is skipped. */
export function parseGuardLines(output: string): GuardReading {
  const reading: GuardReading = { counters: {}, rejected: { count: 0, samples: [] } };
  const reject = (line: string) => {
    reading.rejected.count++;
    if (reading.rejected.samples.length < 3) reading.rejected.samples.push(sample(line));
  };
  // One state and one load id are expected; a repeated one is reported, and two that differ are no answer.
  const seen = { state: 0, load: 0 };
  const once = (key: 'state' | 'load', value: string, line: string) => {
    if (++seen[key] === 1) (reading as Record<typeof key, string | undefined>)[key] = value;
    else {
      reject(line);
      if (reading[key] !== value) reading[key] = undefined;
    }
  };
  for (const line of output.split('\n')) {
    if (!line.startsWith('::guard')) continue;
    const s = GUARD_STATE_RE.exec(line);
    if (s) {
      once('state', s[1], line);
      continue;
    }
    const l = GUARD_LOAD_RE.exec(line);
    if (l) {
      once('load', l[1], line);
      continue;
    }
    const m = COUNTER_LINE.exec(line);
    const packets = m ? Number(m[2]) : NaN;
    const bytes = m ? Number(m[3]) : NaN;
    if (
      !m ||
      !GUARD_COUNTER_NAMES.includes(m[1]) ||
      m[1] in reading.counters ||
      !Number.isSafeInteger(packets) ||
      !Number.isSafeInteger(bytes)
    ) {
      reject(line);
      continue;
    }
    reading.counters[m[1]] = { packets, bytes };
  }
  return reading;
}

/** The guard's settings from the topology (filter, with its defaults when absent). */
export function guardSettings(t: ValidTopology): { enabled: boolean; budgetKbps: number } {
  return { enabled: t.filter.enabled, budgetKbps: t.filter.multicastBudgetKbps };
}

export interface GuardFlow {
  direction: GuardDirection;
  passed: Count;
  dropped: Count;
}

/** What the figures count: since the previous check (`ms` before this one), or since the guard was loaded. */
export type GuardSince = { kind: 'last-check'; at: string; ms: number } | { kind: 'loaded'; reason: 'first' | 'reset' };

/** One host's guard for the CLI, the JSON report and the tree (plain data). */
export interface GuardView {
  /**
   * on: loaded, with figures; off: filter.enabled is false and none is loaded; missing: expected, not loaded;
   * stray: loaded although filter.enabled is false; incomplete: loaded, without every counter;
   * unread: not read by this check (`note` says why).
   */
  state: 'on' | 'off' | 'missing' | 'stray' | 'incomplete' | 'unread';
  flows?: GuardFlow[];
  since?: GuardSince;
  budgetKbps: number;
  note?: string;
}

const ZERO: Count = { packets: 0, bytes: 0 };
const add = (a: Count, b: Count): Count => ({ packets: a.packets + b.packets, bytes: a.bytes + b.bytes });

/** The counters of `now` minus those of `before`; undefined when any went down (a reset) or is unknown. */
export function counterDelta(before: GuardCounters, now: GuardCounters): GuardCounters | undefined {
  const d: GuardCounters = {};
  for (const name of GUARD_COUNTER_NAMES) {
    const a = before[name];
    const b = now[name];
    if (!a || !b || b.packets < a.packets || b.bytes < a.bytes) return undefined;
    d[name] = { packets: b.packets - a.packets, bytes: b.bytes - a.bytes };
  }
  return d;
}

/** Passed (every pass rule) and dropped, per direction. */
export function flowsOf(c: GuardCounters): GuardFlow[] {
  return GUARD_DIRECTIONS.map((direction) => ({
    direction,
    passed: GUARD_PASSED_KINDS.map((k) => c[`${direction}_${k}`] ?? ZERO).reduce(add, ZERO),
    dropped: c[`${direction}_dropped`] ?? ZERO,
  }));
}

const ROOT_ONLY = 'read only by a check with root (nft needs it; the periodic check runs without)';

/** The previous reading of a host, as guardRecord.ts keeps it. */
export interface GuardPrevious {
  at: string;
  counters: GuardCounters;
  /** The load id the counters counted from (absent: a host or a record from before load ids). */
  load?: string;
}

/**
 * The view of a host's guard from what its check said (`reading`; undefined: not read) and the previous check's
 * counters. `next`: the counters to remember for the next check (undefined: none read; keep the previous ones).
 */
export function guardView(
  t: ValidTopology,
  reading: GuardReading | undefined,
  previous: GuardPrevious | undefined,
  now: Date,
  why = ROOT_ONLY,
): { view: GuardView; next?: GuardPrevious } {
  const { enabled, budgetKbps } = guardSettings(t);
  if (!reading) return { view: { state: 'unread', budgetKbps, note: why } };
  if (!reading.state) return { view: { state: 'unread', budgetKbps, note: 'the check script reported no guard state' } };
  if (reading.state === 'unreadable') return { view: { state: 'unread', budgetKbps, note: ROOT_ONLY } };
  if (reading.state !== 'on') return { view: { state: enabled ? 'missing' : 'off', budgetKbps } };
  if (!enabled) return { view: { state: 'stray', budgetKbps } };
  const absent = GUARD_COUNTER_NAMES.filter((n) => !(n in reading.counters));
  if (absent.length) return { view: { state: 'incomplete', budgetKbps, note: `no counter ${absent.join(', ')}` } };
  // Another load (a reboot, a reload) restarted the counters, even where each has since grown past its old value.
  const reloaded = previous?.load !== undefined && reading.load !== undefined && previous.load !== reading.load;
  const delta = previous && !reloaded ? counterDelta(previous.counters, reading.counters) : undefined;
  const since: GuardSince = delta
    ? { kind: 'last-check', at: previous!.at, ms: Math.max(0, now.getTime() - Date.parse(previous!.at)) }
    : { kind: 'loaded', reason: previous ? 'reset' : 'first' };
  return {
    view: { state: 'on', flows: flowsOf(delta ?? reading.counters), since, budgetKbps },
    next: { at: now.toISOString(), counters: reading.counters, ...(reading.load ? { load: reading.load } : {}) },
  };
}

/** 0, 512 B, 1.2 KB, 35 MB, 2.1 GB (powers of 1000). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`.replace(/^0 B$/, '0');
  const units = ['KB', 'MB', 'GB', 'TB', 'PB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** 1 frame, 12 frames, 4.1 k frames, 3.2 M frames. */
export function formatFrames(n: number): string {
  if (n === 1) return '1 frame';
  if (n < 1000) return `${n} frames`;
  const [v, unit] = n < 1e6 ? [n / 1e3, 'k'] : [n / 1e6, 'M'];
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${unit} frames`;
}

/** 45 s, 4 min, 2 h 5 min, 3 days. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  const h = Math.floor(min / 60);
  return h < 48 ? `${h} h ${min % 60} min` : `${Math.floor(h / 24)} days`;
}

export const DIRECTION_TEXT: Record<GuardDirection, string> = { to_lan: 'towards the robot LAN', to_cloud: 'towards the cloud' };

/** `1.2 MB (4.1 k frames)`, or `0`. */
export function formatCount(c: Count): string {
  return c.packets || c.bytes ? `${formatBytes(c.bytes)} (${formatFrames(c.packets)})` : '0';
}

/** `since the last check, 4 min ago` / `since the guard was loaded (…)`. */
export function sinceText(s: GuardSince): string {
  if (s.kind === 'last-check') return `in the ${formatDuration(s.ms)} since the last check`;
  return s.reason === 'first'
    ? 'since the guard was loaded (the first check from this machine)'
    : 'since the guard was loaded (its counters restarted: the host rebooted or was provisioned since the last check)';
}

/** The one-line summary: `towards the robot LAN passed …, dropped 0; towards the cloud passed …, dropped … — in the 4 min since the last check`. */
export function guardSummary(v: GuardView): string {
  switch (v.state) {
    case 'on':
      return `${(v.flows ?? [])
        .map((f) => `${DIRECTION_TEXT[f.direction]} passed ${formatCount(f.passed)}, dropped ${formatCount(f.dropped)}`)
        .join('; ')}${v.since ? ` — ${sinceText(v.since)}` : ''}`;
    case 'off':
      return 'off (filter.enabled is false)';
    case 'missing':
      return 'not loaded (no nftables table bridge rosvpn_guard), though filter.enabled is true';
    case 'stray':
      return 'still loaded, though filter.enabled is false';
    case 'incomplete':
      return `loaded, but not the current rules (${v.note ?? 'counters missing'})`;
    default:
      return `not read: ${v.note ?? 'unknown'}`;
  }
}

/** The warning of one direction when the budget was hit (something was dropped); undefined otherwise. */
export function flowWarning(label: string, v: GuardView, f: GuardFlow): string | undefined {
  if (!f.dropped.packets && !f.dropped.bytes) return undefined;
  const since = v.since ? ` ${sinceText(v.since)}` : '';
  return `the guard on ${label} dropped ${formatCount(f.dropped)} of multicast/broadcast ${DIRECTION_TEXT[f.direction]}${since} (budget ${v.budgetKbps} kbit/s: filter.multicastBudgetKbps)`;
}

/** The warnings of a view: a budget hit per direction; a guard left loaded though filter.enabled is false. */
export function guardWarnings(label: string, v: GuardView): string[] {
  if (v.state === 'stray')
    return [`the guard on ${label} is still loaded though filter.enabled is false: rosvpn provision --host ${label} removes it`];
  return (v.flows ?? []).map((f) => flowWarning(label, v, f)).filter((w): w is string => !!w);
}

/** The `guard` check item of a host: fails when the guard is expected but missing or not the current one. */
export function guardCheckItem(label: string, v: GuardView): { name: 'guard'; status: 'pass' | 'fail'; msg: string } | undefined {
  if (v.state === 'unread') return undefined;
  const fix = `: run rosvpn provision --host ${label}`;
  const fail = v.state === 'missing' || v.state === 'incomplete';
  return { name: 'guard', status: fail ? 'fail' : 'pass', msg: `${guardSummary(v)}${fail ? fix : ''}` };
}

/** A warning about lines that were not understood (a changed or hostile host), quoting a few. */
export function rejectedWarning(label: string, r: GuardReading): string | undefined {
  if (!r.rejected.count) return undefined;
  return `ignored ${r.rejected.count} malformed guard line(s) from ${label}: ${r.rejected.samples.join(', ')}`;
}
