// The seconds provisioned from a topology file, remembered on this machine, so that a second deleted from
// rosvpn.json can still be unprovisioned: its SSH details are gone from the file, but not from here.
// One JSON file per topology file (by the sha256 of its absolute path) under $XDG_STATE_HOME/rosvpn/provisioned
// (default ~/.local/state), 0600 in a 0700 directory. No secrets: a host, a user, a port, a key's path.
// The record is data: every entry is validated again, as part of a topology, before it is used.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { SecondConfig, ValidTopology } from '../topology/types';
import { validateTopology } from '../topology/validate';

export interface TrackedSecond {
  second: SecondConfig;
  /** ISO time of the last successful provisioning. */
  provisionedAt: string;
}

interface TrackedFile {
  topologyFile: string;
  seconds: Record<string, TrackedSecond>;
}

type Env = Record<string, string | undefined>;

/** A record of `topologyFile` in this machine's state dir: $XDG_STATE_HOME/rosvpn/KIND/<sha256 of its path>.json. */
export function stateRecordPath(kind: string, topologyFile: string, env: Env = process.env): string {
  const base =
    env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(env.HOME || os.homedir(), '.local', 'state');
  const id = createHash('sha256').update(path.resolve(topologyFile)).digest('hex').slice(0, 32);
  return path.join(base, 'rosvpn', kind, `${id}.json`);
}

/** Where the record of `topologyFile` lives. */
export function trackedPath(topologyFile: string, env: Env = process.env): string {
  return stateRecordPath('provisioned', topologyFile, env);
}

function readFile(topologyFile: string, env: Env): TrackedFile {
  const empty: TrackedFile = { topologyFile: path.resolve(topologyFile), seconds: {} };
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(trackedPath(topologyFile, env), 'utf8'));
  } catch {
    return empty; // none yet, or unreadable: nothing is known (provisioning writes it anew)
  }
  const seconds = (raw as { seconds?: unknown })?.seconds;
  if (!seconds || typeof seconds !== 'object' || Array.isArray(seconds)) return empty;
  return { ...empty, seconds: seconds as Record<string, TrackedSecond> };
}

function writeFile(topologyFile: string, env: Env, data: TrackedFile): void {
  const file = trackedPath(topologyFile, env);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (!Object.keys(data.seconds).length) {
    fs.rmSync(file, { force: true });
    return;
  }
  // Atomic: a crash mid-write leaves the old record, never half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/**
 * The recorded second named `name`, validated as a second of `t` (the current topology's gateway, desktop and
 * defaults, with this second in place of the others): undefined when none, or when the record is not valid.
 */
function validRecord(t: ValidTopology, name: string, entry: unknown): TrackedSecond | undefined {
  const e = entry as Partial<TrackedSecond> | undefined;
  if (!e || typeof e !== 'object' || !e.second || typeof e.second !== 'object' || e.second.name !== name) return undefined;
  const doc = JSON.parse(JSON.stringify({ ...t, seconds: [e.second], clients: [] })) as unknown;
  const r = validateTopology(doc);
  const second = r.topology?.seconds[0];
  return second ? { second, provisionedAt: typeof e.provisionedAt === 'string' ? e.provisionedAt : '' } : undefined;
}

/** Remembers every second of `t` named in `names` (provisioned just now); forgets none. */
export function recordProvisioned(topologyFile: string, t: ValidTopology, names: readonly string[], env: Env = process.env): void {
  const seconds = t.seconds.filter((s) => names.includes(s.name));
  if (!seconds.length) return;
  const data = readFile(topologyFile, env);
  const at = new Date().toISOString();
  for (const s of seconds) data.seconds[s.name] = { second: s, provisionedAt: at };
  writeFile(topologyFile, env, data);
}

/** Forgets the named seconds (unprovisioned, or left alone on purpose). */
export function forgetTracked(topologyFile: string, names: readonly string[], env: Env = process.env): void {
  const data = readFile(topologyFile, env);
  if (!names.some((n) => n in data.seconds)) return;
  for (const n of names) delete data.seconds[n];
  writeFile(topologyFile, env, data);
}

/** The recorded second named `name` that `t` no longer holds; undefined if `t` holds it or none was recorded. */
export function trackedSecond(topologyFile: string, t: ValidTopology, name: string, env: Env = process.env): TrackedSecond | undefined {
  if (t.seconds.some((s) => s.name === name)) return undefined;
  return validRecord(t, name, readFile(topologyFile, env).seconds[name]);
}

/** Seconds provisioned from this file that it no longer declares (renamed ones included: a rename is remove + add). */
export function removedSeconds(topologyFile: string, t: ValidTopology, env: Env = process.env): TrackedSecond[] {
  const data = readFile(topologyFile, env);
  return Object.keys(data.seconds)
    .filter((n) => !t.seconds.some((s) => s.name === n))
    .map((n) => validRecord(t, n, data.seconds[n]))
    .filter((x): x is TrackedSecond => !!x);
}

/**
 * `t` with the removed second back in it, to unprovision that second alone: the script of a second depends
 * only on its name, and its endpoint on its SSH details plus the topology's defaults. Not validated as a
 * whole (the second may share its address with the one that replaced it); the entry itself was.
 */
export function withRemovedSecond(t: ValidTopology, removed: TrackedSecond): ValidTopology {
  return { ...t, seconds: [...t.seconds.filter((s) => s.name !== removed.second.name), removed.second] };
}
