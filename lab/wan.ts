// An emulated WAN for the lab (this kernel has no netem): a transparent layer-2 device inside a namespace the
// caller owns. startWan() puts each of two given links (veth ends already in that namespace) on a bridge of its
// own together with a tap, and starts lab/wan/wan.py, which reads every frame from one tap, delays, drops or
// fragments it (seeded, deterministic: see the header of wan.py) and writes it to the other tap.
// The spec is the demo's `--wan` string, parsed and validated here; the Python process gets plain numbers.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { must, run, start, type Started } from './sh';

export const WAN_PY = path.resolve(__dirname, 'wan', 'wan.py');

export interface WanSpec {
  /** Round trip added by the WAN, ms (each direction gets half). */
  rttMs: number;
  /** Each direction's delay varies uniformly by ± this, ms. */
  jitterMs: number;
  /** Bernoulli loss per direction, percent. */
  lossPct: number;
  /** Percent of frames per direction sent at once, overtaking the queue. */
  reorderPct: number;
  /** Path MTU (IPv4 packet bytes). */
  mtu: number;
  /** Link rate, bit/s; 0 = unlimited. */
  rateBps: number;
  seed: number;
}

export const WAN_SPEC_EXAMPLE = 'rtt=80ms,jitter=5ms,loss=1%,mtu=1492[,reorder=0.5%][,seed=N][,rate=100mbit]';
const DEFAULTS: WanSpec = { rttMs: 0, jitterMs: 0, lossPct: 0, reorderPct: 0, mtu: 1500, rateBps: 0, seed: 1 };

export class WanSpecError extends Error {
  constructor(msg: string) {
    super(`WAN spec: ${msg} (format: ${WAN_SPEC_EXAMPLE})`);
    this.name = 'WanSpecError';
  }
}

function duration(field: string, v: string, max: number): number {
  const m = /^(\d+(?:\.\d+)?)(us|ms|s)$/.exec(v);
  if (!m) throw new WanSpecError(`${field}=${v} is not a duration: write it with a unit, e.g. ${field}=80ms`);
  const ms = Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2] as 'us' | 'ms' | 's'];
  if (ms > max) throw new WanSpecError(`${field}=${v} is more than ${max} ms: use a smaller ${field}`);
  return ms;
}

function percent(field: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(v);
  if (!m) throw new WanSpecError(`${field}=${v} is not a percentage: write it with %, e.g. ${field}=1%`);
  const p = Number(m[1]);
  if (p > 100) throw new WanSpecError(`${field}=${v} is more than 100%: give 0% to 100%`);
  return p;
}

function integer(field: string, v: string, min: number, max: number, hint: string): number {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new WanSpecError(`${field}=${v} must be a whole number from ${min} to ${max}${hint}`);
  return Number(v);
}

function rate(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit)$/i.exec(v);
  if (!m) throw new WanSpecError(`rate=${v} is not a bit rate: write it with a unit, e.g. rate=100mbit`);
  const bps = Number(m[1]) * { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 }[m[2].toLowerCase() as 'bit' | 'kbit' | 'mbit' | 'gbit'];
  if (bps < 8000) throw new WanSpecError(`rate=${v} is below 8kbit: give a faster rate or leave rate out`);
  return bps;
}

/** Parses `rtt=80ms,jitter=5ms,loss=1%,mtu=1492[,reorder=0.5%][,seed=N][,rate=100mbit]`; fields left out keep their defaults. */
export function parseWanSpec(text: string): WanSpec {
  const spec = { ...DEFAULTS };
  const seen = new Set<string>();
  if (!text.trim()) throw new WanSpecError('empty: give at least one field');
  for (const part of text.split(',')) {
    const m = /^\s*([a-z]+)=(\S+?)\s*$/.exec(part);
    if (!m) throw new WanSpecError(`"${part}" is not field=value`);
    const [, field, v] = m;
    if (seen.has(field)) throw new WanSpecError(`${field} is given twice: keep one`);
    seen.add(field);
    if (field === 'rtt') spec.rttMs = duration(field, v, 10_000);
    else if (field === 'jitter') spec.jitterMs = duration(field, v, 5_000);
    else if (field === 'loss') spec.lossPct = percent(field, v);
    else if (field === 'reorder') spec.reorderPct = percent(field, v);
    else if (field === 'mtu') spec.mtu = integer(field, v, 576, 9000, ' (1492 for PPPoE, 1500 for Ethernet)');
    else if (field === 'seed') spec.seed = integer(field, v, 0, 2 ** 31 - 1, '');
    else if (field === 'rate') spec.rateBps = rate(v);
    else throw new WanSpecError(`unknown field "${field}": the fields are rtt, jitter, loss, mtu, reorder, seed, rate`);
  }
  if (spec.jitterMs > spec.rttMs / 2)
    throw new WanSpecError(
      `jitter=${spec.jitterMs}ms is more than half the rtt (${spec.rttMs / 2}ms), the one-way delay it varies: lower jitter or raise rtt`,
    );
  return spec;
}

/** The spec in the canonical form parseWanSpec reads back. */
export function formatWanSpec(s: WanSpec): string {
  const parts = [`rtt=${s.rttMs}ms`, `jitter=${s.jitterMs}ms`, `loss=${s.lossPct}%`, `mtu=${s.mtu}`];
  if (s.reorderPct) parts.push(`reorder=${s.reorderPct}%`);
  if (s.rateBps) parts.push(`rate=${s.rateBps}bit`);
  return [...parts, `seed=${s.seed}`].join(',');
}

/** The arguments wan.py takes for a spec (seconds, fractions, bit/s). */
export function wanArgs(s: WanSpec): string[] {
  return [
    ...['--rtt', String(s.rttMs / 1000), '--jitter', String(s.jitterMs / 1000), '--loss', String(s.lossPct / 100)],
    ...['--reorder', String(s.reorderPct / 100), '--mtu', String(s.mtu), '--rate', String(s.rateBps), '--seed', String(s.seed)],
  ];
}

/** The first n loss decisions of one direction (true = lost), from the same code the running emulator uses. */
export function lossPattern(n: number, loss: number, seed: number, dir: 'ab' | 'ba'): boolean[] {
  const out = must('python3', [WAN_PY, '--pattern', String(n), '--loss', String(loss), '--seed', String(seed), '--dir', dir]);
  return out
    .trim()
    .split('\n')
    .map((l) => l === 'lost');
}

export interface WanCounters {
  frames_in: number;
  bytes_in: number;
  frames_out: number;
  bytes_out: number;
  lost: number;
  over_mtu: number;
  fragmented: number;
  fragments: number;
  icmp_sent: number;
  reordered: number;
  queue_dropped: number;
  write_dropped: number;
  /** Frames the kernel dropped because wan.py fell behind reading its tap (not a decision of the emulator). */
  tap_dropped: number;
}

/** Counters per direction: ab = from link a to link b, ba = back. */
export interface WanStats {
  ab: WanCounters;
  ba: WanCounters;
}

export interface Wan {
  spec: WanSpec;
  pid: number;
  /** Resolves with the process's exit status when it ends (stop(), its namespace deleted, or its parent gone). */
  exited: Promise<number>;
  /** Counters as of now (the process rewrites them on SIGUSR1; this waits for that). */
  stats(): Promise<WanStats>;
  /** Stops the process and removes the bridges and taps (the links stay); returns the final counters. Idempotent. */
  stop(): Promise<WanStats>;
}

export interface WanOptions {
  /** Link towards one side, already in the namespace (e.g. the NAT router's veth end). */
  a: string;
  /** Link towards the other side (e.g. the internet switch's veth end). */
  b: string;
  spec: string | WanSpec;
  /** Short tag for the devices this makes (max 6 characters), so two WANs can share a namespace. */
  tag?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readStats(file: string): WanStats {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as WanStats;
}

/** Makes the bridges and taps of a WAN in `ns` (down: wan.py turns their IPv6 off first); returns what to bring up and how to undo. */
function wanDevices(ns: string, a: string, b: string, tag: string): { quiet: string[]; remove(): void } {
  const dev = (s: string) => `${tag}-${s}`;
  const remove = () => {
    for (const d of ['bra', 'brb', 'tapa', 'tapb']) run('ip', ['-n', ns, 'link', 'del', dev(d)]);
  };
  const ipn = (...args: string[]) => must('ip', ['-n', ns, ...args]);
  try {
    for (const [side, link] of [
      ['a', a],
      ['b', b],
    ]) {
      ipn('link', 'add', dev(`br${side}`), 'type', 'bridge', 'mcast_snooping', '0');
      ipn('tuntap', 'add', 'dev', dev(`tap${side}`), 'mode', 'tap');
      // a deep tap queue absorbs a burst (a 1 MB sample is ~700 frames) while wan.py catches up
      ipn('link', 'set', 'dev', dev(`tap${side}`), 'mtu', '9216', 'txqueuelen', '10000', 'master', dev(`br${side}`));
      ipn('link', 'set', 'dev', link, 'master', dev(`br${side}`));
    }
  } catch (e) {
    remove();
    throw e;
  }
  // The WAN must add no frames of its own to the path: wan.py turns IPv6 off on these before they come up, and
  // the bridges do no multicast snooping (a snooping bridge joins 224.0.0.106 and reports it through its ports).
  return { quiet: [dev('bra'), dev('tapa'), a, dev('brb'), dev('tapb'), b], remove };
}

/** Starts wan.py and waits for its "ready" (both taps open); kills it and rejects when it exits or hangs first. */
async function startEmulator(ns: string, argv: string[]): Promise<{ p: Started; exited: Promise<{ status: number; out: string }> }> {
  const p = start(['ip', 'netns', 'exec', ns, 'python3', WAN_PY, ...argv]);
  const exited = p.done.then(
    (r) => r,
    (e: Error) => ({ status: -1, out: e.message }),
  );
  for (let waited = 0; !/^ready$/m.test(p.out()); waited += 20) {
    const early = await Promise.race([exited, sleep(20).then(() => undefined)]);
    if (early || waited > 10_000) {
      p.proc.kill('SIGKILL');
      throw new Error(`the WAN emulator in ${ns} did not start: ${early ? `exited ${early.status}: ${early.out}` : 'no "ready" in 10 s'}`);
    }
  }
  return { p, exited };
}

/**
 * Puts `a` and `b` of namespace `ns` on either side of an emulated WAN; resolves once the emulator has both taps
 * open. (A veth whose carrier has just come up drops what it is given until the kernel activates its queue, up to
 * a second later: a measurement should wait until the far ends' `ip link` no longer says `qdisc noop`.)
 */
export async function startWan(ns: string, opts: WanOptions): Promise<Wan> {
  const spec = typeof opts.spec === 'string' ? parseWanSpec(opts.spec) : opts.spec;
  const tag = opts.tag ?? 'wan';
  if (!/^[a-z0-9]{1,6}$/.test(tag)) throw new Error(`WAN tag "${tag}": 1 to 6 lower-case letters or digits`);
  const devices = wanDevices(ns, opts.a, opts.b, tag);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-wan-'));
  const statsFile = path.join(dir, 'stats.json');
  const argv = [
    '--tap-a',
    `${tag}-tapa`,
    '--tap-b',
    `${tag}-tapb`,
    '--netns',
    ns,
    '--stats',
    statsFile,
    '--no-ipv6',
    devices.quiet.join(','),
  ];
  let started: Awaited<ReturnType<typeof startEmulator>>;
  try {
    started = await startEmulator(ns, [...argv, ...wanArgs(spec)]);
    for (const d of devices.quiet) must('ip', ['-n', ns, 'link', 'set', 'dev', d, 'up']);
  } catch (e) {
    devices.remove();
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const { p, exited } = started;
  const stats = async (): Promise<WanStats> => {
    const before = fs.statSync(statsFile).mtimeMs;
    p.proc.kill('SIGUSR1');
    for (let i = 0; i < 50 && fs.statSync(statsFile).mtimeMs === before; i++) await sleep(10);
    return readStats(statsFile);
  };
  let stopped: Promise<WanStats> | undefined;
  const stop = (): Promise<WanStats> =>
    (stopped ??= (async () => {
      p.proc.kill('SIGTERM');
      if (!(await Promise.race([exited, sleep(5000).then(() => undefined)]))) {
        p.proc.kill('SIGKILL');
        await exited;
      }
      devices.remove();
      const final = readStats(statsFile);
      fs.rmSync(dir, { recursive: true, force: true });
      return final;
    })());
  return { spec, pid: p.proc.pid ?? -1, exited: exited.then((r) => r.status), stats, stop };
}
