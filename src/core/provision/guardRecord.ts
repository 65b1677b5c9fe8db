// The guard counters of the last check, per topology file and host, so that the next check shows what
// changed since: $XDG_STATE_HOME/rosvpn/guard/<sha256 of the topology file's path>.json (default
// ~/.local/state), 0600 in a 0700 directory, written atomically. No secrets: counters, a time, a host name.
// The record is data: every entry is validated on read, and one that is not valid counts as no previous check.
import * as fs from 'fs';
import * as path from 'path';
import { GUARD_LOAD_ID_RE } from '../render/guard';
import { GUARD_COUNTER_NAMES, GUARD_ROLES, type GuardCounters, type GuardPrevious } from './guard';
import { stateRecordPath } from './tracked';

type Env = Record<string, string | undefined>;

/** One host's entry: the SSH host it was read from (another machine under the same label starts afresh). */
export interface GuardRecordEntry extends GuardPrevious {
  host: string;
}

export interface GuardRecord {
  topologyFile: string;
  hosts: Record<string, GuardRecordEntry>;
}

export function guardRecordPath(topologyFile: string, env: Env = process.env): string {
  return stateRecordPath('guard', topologyFile, env);
}

const isCount = (v: unknown): boolean =>
  !!v &&
  typeof v === 'object' &&
  Object.keys(v).length === 2 &&
  [(v as { packets?: unknown }).packets, (v as { bytes?: unknown }).bytes].every((n) => Number.isSafeInteger(n) && (n as number) >= 0);

/** The entry when it is a valid one (every counter, whole non-negative numbers, a time, a host, a load id if any), else undefined. */
export function validEntry(v: unknown): GuardRecordEntry | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const e = v as { at?: unknown; host?: unknown; counters?: unknown; load?: unknown };
  if (typeof e.at !== 'string' || !/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(e.at) || !Number.isFinite(Date.parse(e.at))) return undefined;
  if (typeof e.host !== 'string' || !e.host || e.host.length > 255) return undefined;
  if (e.load !== undefined && (typeof e.load !== 'string' || !GUARD_LOAD_ID_RE.test(e.load))) return undefined;
  const c = e.counters as Record<string, unknown> | undefined;
  if (!c || typeof c !== 'object' || Array.isArray(c)) return undefined;
  const keys = Object.keys(c);
  if (keys.length !== GUARD_COUNTER_NAMES.length || !GUARD_COUNTER_NAMES.every((n) => keys.includes(n) && isCount(c[n]))) return undefined;
  const counters: GuardCounters = {};
  for (const n of GUARD_COUNTER_NAMES) {
    const x = c[n] as { packets: number; bytes: number };
    counters[n] = { packets: x.packets, bytes: x.bytes };
  }
  return { at: e.at, host: e.host, counters, ...(e.load !== undefined ? { load: e.load as string } : {}) };
}

/** The record of `topologyFile`: only its valid entries of hosts with a guard; empty when none or unreadable. */
export function readGuardRecord(topologyFile: string, env: Env = process.env): GuardRecord {
  const record: GuardRecord = { topologyFile: path.resolve(topologyFile), hosts: {} };
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(guardRecordPath(topologyFile, env), 'utf8'));
  } catch {
    return record; // none yet, or unreadable: every host's next figures are its totals
  }
  const hosts = (raw as { hosts?: unknown } | null)?.hosts;
  if (!hosts || typeof hosts !== 'object' || Array.isArray(hosts)) return record;
  for (const label of GUARD_ROLES) {
    const e = Object.prototype.hasOwnProperty.call(hosts, label) ? validEntry((hosts as Record<string, unknown>)[label]) : undefined;
    if (e) record.hosts[label] = e;
  }
  return record;
}

export function writeGuardRecord(topologyFile: string, record: GuardRecord, env: Env = process.env): void {
  const file = guardRecordPath(topologyFile, env);
  if (!Object.keys(record.hosts).length) {
    fs.rmSync(file, { force: true });
    return;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Atomic: a crash mid-write leaves the old record, never half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}
