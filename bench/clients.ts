// Benchmark: a gateway with the desktop and N clients (default 10) connected at once, in the lab. From
// freshly booted hosts: `rosvpn provision` of the whole topology (each client host gets its own certificate,
// profile and OpenVPN client), then the time until DDS samples from the robot reach every client (one
// publisher on the robot, one subscriber per client pinned to its tap); then, with nothing sending, the
// gateway's OpenVPN server CPU over an idle window, per connected client. All traffic stays in the lab.
import * as os from 'os';
import type { ChildProcess } from 'child_process';
import { clientHosts, clientSide, tapAddresses } from '../lab/clients';
import { controllerCli, loadLabTopology, robotSide, sshArgs } from '../lab/demo';
import { Lab, labDown, type LabHost } from '../lab/lab';
import { start } from '../lab/sh';
import { missingTools } from '../lab/tools';
import { OPENVPN_SERVER_UNIT } from '../src/core/render/openvpn';
import type { BenchSection } from './types';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => Math.round(ms / 100) / 10;

export interface ClientsBenchOptions {
  quick?: boolean;
  /** Clients connected at once (default 10; --quick: 3). */
  clients?: number;
  /** Idle window for the CPU figure, seconds (default 60, for the 10 ms tick resolution; --quick: 10). */
  idleSeconds?: number;
  log?: (line: string) => void;
}

/** Per-host times from the `rosvpn provision` summary table. */
function hostTimes(stdout: string): Record<string, { role: string; seconds: number }> {
  const out: Record<string, { role: string; seconds: number }> = {};
  for (const m of stdout.matchAll(/^(\S+)\s+(gateway|second|desktop|client)\s+(\S+)\s+\d+\s+\d+\s+\d+\s+([\d.]+)s$/gm))
    out[m[1]] = { role: m[2], seconds: Number(m[4]) };
  return out;
}

/** Clock ticks per second of /proc/PID/stat's utime and stime (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/**
 * The gateway's OpenVPN server: its PID inside the host, its CPU time so far in clock ticks (user + system,
 * /proc/PID/stat; this kernel's /proc/PID/schedstat, finer, reads 0 for every process) and its RSS.
 */
function serverUsage(gw: LabHost): { pid: number; ticks: number; rssKiB: number } {
  const pid = Number(Lab.inHost(gw, ['systemctl', 'show', '-p', 'MainPID', '--value', OPENVPN_SERVER_UNIT]).stdout.trim());
  if (!pid) throw new Error('the gateway runs no OpenVPN server');
  const text = Lab.inHost(gw, ['cat', `/proc/${pid}/stat`, `/proc/${pid}/status`]).stdout;
  // Fields after the command name (in parentheses, which may hold spaces): utime and stime are the 12th and 13th.
  const after = text.slice(text.indexOf(') ') + 2).split(' ');
  const ticks = Number(after[11]) + Number(after[12]);
  const rssKiB = Number(/VmRSS:\s+(\d+) kB/.exec(text)?.[1]);
  if (!Number.isFinite(ticks)) throw new Error(`no CPU time for the gateway's OpenVPN (pid ${pid}): ${text.slice(0, 200)}`);
  return { pid, ticks, rssKiB };
}

/** A ddsperf in its own process group, stopped with SIGINT to the group (nsenter does not pass signals on). */
function startGroup(argv: string[]): { proc: ChildProcess; out: () => string; done: Promise<unknown>; stop: () => void } {
  const s = start(argv, { detached: true });
  const done = s.done.catch(() => undefined);
  return {
    proc: s.proc,
    out: s.out,
    done,
    stop: () => {
      try {
        process.kill(-s.proc.pid!, 'SIGINT');
      } catch {
        // already gone
      }
    },
  };
}

/**
 * One publisher on the robot, a subscriber on every client: ms from the start until each client's first
 * sample (undefined for a client that got none within the timeout). ddsperf sub reports once a second.
 */
async function firstSamples(
  robotArgv: string[],
  clients: { name: string; argv: string[] }[],
  timeoutS: number,
): Promise<Record<string, number | undefined>> {
  const t0 = Date.now();
  const subs = clients.map((c) => ({ name: c.name, p: startGroup([...c.argv, '-1', '-D', String(timeoutS), 'sub']) }));
  const pub = startGroup([...robotArgv, '-D', String(timeoutS), 'pub', '50Hz']);
  const first: Record<string, number | undefined> = {};
  try {
    while (Date.now() - t0 < timeoutS * 1000 && subs.some((s) => first[s.name] === undefined)) {
      for (const s of subs) {
        if (first[s.name] === undefined && [...s.p.out().matchAll(/total (\d+)/g)].some((m) => Number(m[1]) > 0))
          first[s.name] = Date.now() - t0;
      }
      if (pub.proc.exitCode !== null) throw new Error(`the robot's publisher ended: ${pub.out().trim().split('\n').slice(-3).join(' | ')}`);
      await sleep(100);
    }
  } finally {
    for (const s of subs) s.p.stop();
    pub.stop();
    await Promise.all([...subs.map((s) => s.p.done), pub.done]);
  }
  for (const s of subs) if (!(s.name in first)) first[s.name] = undefined;
  return first;
}

// long: one lab, measured phase by phase; splitting it would only pass the lab state around
export async function run(o: ClientsBenchOptions = {}): Promise<BenchSection> {
  if (process.getuid?.() !== 0) throw new Error('the clients benchmark needs root (systemd-nspawn, network namespaces)');
  const missing = missingTools('demo');
  if (missing.length) throw new Error(missing.map((m) => m.message).join('\n'));
  const log = o.log ?? (() => undefined);
  const n = o.clients ?? (o.quick ? 3 : 10);
  const idleS = o.idleSeconds ?? (o.quick ? 10 : 60);
  const t = loadLabTopology(undefined, 1, () => undefined, { clients: n });
  if (!t) throw new Error('the starter topology with clients is not valid for the lab');
  const section: BenchSection = { id: 'clients', title: `A gateway with the desktop and ${n} clients`, rows: [], notes: [] };
  const label = `desktop + ${n} clients`;
  const load0 = os.loadavg()[0];
  const lab = new Lab('rvbc', log);
  let left: string[];
  try {
    let t0 = Date.now();
    const s = lab.up(t);
    const boot = Date.now() - t0;
    log(`bench: ${label}: lab of ${s.hosts.length} hosts up in ${secs(boot)} s; provisioning`);
    t0 = Date.now();
    const p = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
    const provMs = Date.now() - t0;
    if (p.status !== 0) throw new Error(`provision failed:\n${p.stdout.slice(-4000)}\n${p.stderr.slice(-2000)}`);
    const times = hostTimes(p.stdout);
    const clientTimes = Object.values(times)
      .filter((h) => h.role === 'client')
      .map((h) => h.seconds);
    if (clientTimes.length !== n)
      throw new Error(`the provision summary lists ${clientTimes.length} clients, not ${n}:\n${p.stdout.slice(-3000)}`);
    const hosts = clientHosts(s);
    const unconnected = hosts.filter((h) => !tapAddresses(h)?.length).map((h) => h.name);
    if (unconnected.length) throw new Error(`after provisioning, rosvpn0 holds no address on ${unconnected.join(', ')}`);
    const first = await firstSamples(
      robotSide(s).argv,
      hosts.map((h) => ({ name: h.name, argv: clientSide(h).argv })),
      90,
    );
    const none = Object.entries(first).filter(([, v]) => v === undefined);
    if (none.length) throw new Error(`no DDS sample from the robot reached ${none.map(([k]) => k).join(', ')} within 90 s`);
    const flowMs = Math.max(...Object.values(first).map((v) => v!));

    // Idle: nothing sends but OpenVPN's keepalives (ping every 10 s per peer).
    await sleep(5000);
    const gw = s.hosts.find((h) => h.role === 'gateway')!;
    const a = serverUsage(gw);
    const loadIdle0 = os.loadavg()[0];
    await sleep(idleS * 1000);
    const b = serverUsage(gw);
    if (a.pid !== b.pid) throw new Error(`the gateway's OpenVPN restarted during the idle window (pid ${a.pid} -> ${b.pid})`);
    const peers = n + 1; // the clients and the desktop
    const ticks = b.ticks - a.ticks;
    const cpuPct = (ticks / USER_HZ / idleS) * 100;
    // One tick (10 ms) in the window is the resolution: 0 ticks means less than that, not nothing.
    const resolutionPct = (1 / USER_HZ / idleS) * 100;
    section.rows.push(
      { metric: `${label}: lab boot, ${s.hosts.length} hosts (not part of the figure)`, value: secs(boot), unit: 's' },
      { metric: `${label}: provision wall time (gateway, second, desktop, clients)`, value: secs(provMs), unit: 's' },
      {
        metric: `${label}: slowest client host`,
        value: Math.max(...clientTimes),
        unit: 's',
        note: `fastest ${Math.min(...clientTimes)} s`,
      },
      {
        metric: `${label}: then DDS robot -> every client`,
        value: secs(flowMs),
        unit: 's',
        note: 'the last client to receive its first sample; ddsperf sub reports once a second',
      },
      { metric: `${label}: fresh hosts to all connected and DDS flowing to each`, value: secs(provMs + flowMs), unit: 's' },
      {
        metric: `${label}: gateway OpenVPN CPU at idle, per connected client`,
        value: Math.round(((ticks * (1000 / USER_HZ)) / (idleS / 60) / peers) * 100) / 100,
        unit: 'ms of CPU per minute',
        note: `${ticks} ticks of 10 ms in ${idleS} s for ${peers} peers (${n} clients + the desktop) = ${Math.round((cpuPct / peers) * 10000) / 10000} % of a core each, ${Math.round(cpuPct * 1000) / 1000} % in all; resolution one tick, ${Math.round(resolutionPct * 1000) / 1000} % in all`,
      },
      { metric: `${label}: gateway OpenVPN memory (RSS)`, value: Math.round(b.rssKiB / 102.4) / 10, unit: 'MiB' },
    );
    section.notes.push(
      `One lab: the gateway, 1 second, the desktop and ${n} clients, each a systemd-nspawn host on this machine's ${os.cpus().length} CPUs (${Math.round(os.totalmem() / 2 ** 30)} GiB); every host booted from the lab base image, nothing provisioned. The clock starts when \`rosvpn provision\` of the whole topology starts in the controller namespace; "DDS flowing to each" is one ddsperf publisher on the robot (50 Hz) and one subscriber on every client, pinned to its tap rosvpn0, started after provisioning; the figure is the last client's first sample.`,
      `Idle CPU: the gateway's OpenVPN server process (one process serves every peer), its user + system time from /proc/PID/stat (clock ticks of 10 ms; this kernel reports no finer scheduler accounting) over ${idleS} s with no DDS running (only OpenVPN's keepalive pings, every 10 s per peer), divided by the ${peers} connected peers. 1-minute load average: ${load0.toFixed(2)} at the start, ${loadIdle0.toFixed(2)} at the idle window.`,
      'Reproduce this section alone with `npm run bench -- --only clients` (as root; about 2 minutes; the other sections of BENCHMARKS.md are kept as they were), or a shorter run with 3 clients with `--only clients --quick`.',
    );
  } finally {
    left = labDown('rvbc', log);
  }
  if (left.length) throw new Error(`lab teardown left: ${left.join(', ')}`);
  return section;
}
