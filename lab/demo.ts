// The demo flow on the lab: provision every host with the real CLI from the controller namespace, fetch
// the client profile as a user would, then prove DDS between the robot and every second (and between
// seconds) with CycloneDDS ddsperf: default multicast discovery on domain 0, no peer lists.
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { renderRobotCycloneDdsXml } from '../src/core/render/cyclonedds';
import { starterTopology, topologyFromEnv } from '../src/core/topology/init';
import type { ClientConfig, ValidTopology } from '../src/core/topology/types';
import { formatDiagnostic, validateTopology } from '../src/core/topology/validate';
import { Lab, type LabHost, type LabState } from './lab';
import { run, type RunResult, start } from './sh';
import type { WanCounters, WanStats } from './wan';

export const CLI = path.resolve(__dirname, '..', 'dist', 'cli.js');

/** Where the lab's topology comes from besides a file, and the clients added to it. */
export interface LabTopologyOptions {
  /** Add this many clients (laptop-1, laptop-2, …: names and robot-subnet addresses not yet taken). */
  clients?: number;
  /** Build it from the original guide's variables (ROSVPN_GATEWAY_CLOUD_IP, …) in this environment. */
  env?: Record<string, string | undefined>;
}

type RawTopology = {
  robotSubnet?: unknown;
  gateway: { cloudIp?: unknown; vpnIp?: unknown };
  seconds?: { name?: unknown; vpnIp?: unknown }[];
  desktop?: { address?: unknown };
  clients?: { name?: unknown; vpnIp?: unknown }[];
};

/** The names a client may not take (rosvpn's own identities and hosts), besides every second's and client's. */
const RESERVED_NAMES = ['gateway', 'desktop', 'server', 'ros_local_gateway', 'robot'];

/**
 * Adds `n` clients to a raw topology: names laptop-1, laptop-2, … skipping any name already used by a second or
 * client, addresses from the top of the robot subnet downward skipping every address a host already holds
 * (the lab's robot takes one at .83 or below, the DHCP desktop one from .10 up).
 */
export function addLabClients(raw: RawTopology, n: number): void {
  const clients = (raw.clients ??= []);
  const names = new Set([...RESERVED_NAMES, ...(raw.seconds ?? []).map((x) => x.name), ...clients.map((c) => c.name)]);
  const addr = (x: unknown) => (typeof x === 'string' ? x.split('/')[0] : '');
  const used = new Set(
    [raw.gateway.vpnIp, raw.desktop?.address, ...(raw.seconds ?? []).map((x) => x.vpnIp), ...clients.map((c) => c.vpnIp)].map(addr),
  );
  const [net, bits] = String(raw.robotSubnet).split('/');
  const base = net.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  let k = 1;
  let h = size - 2;
  for (let i = 0; i < n; i++) {
    while (names.has(`laptop-${k}`)) k++;
    let ip = '';
    for (; h > 0 && !ip; h--) {
      const v = base + h;
      const cand = [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
      if (!used.has(cand)) ip = cand;
    }
    if (!ip) throw new Error(`the robot subnet ${String(raw.robotSubnet)} has no free address for client ${i + 1} of ${n}`);
    const c: ClientConfig = { name: `laptop-${k}`, vpnIp: `${ip}/${bits}` };
    names.add(c.name);
    used.add(ip);
    clients.push(c);
  }
}

/**
 * The topology for the lab: a file, the guide's variables (`opts.env`), or the starter; `seconds` replaces the
 * seconds with N generated ones, `opts.clients` adds N clients.
 */
export function loadLabTopology(
  file?: string,
  seconds?: number,
  print: (l: string) => void = console.log,
  opts: LabTopologyOptions = {},
): ValidTopology | undefined {
  let raw: RawTopology;
  if (file) raw = JSON.parse(fs.readFileSync(path.resolve(file), 'utf8')) as RawTopology;
  else if (opts.env) {
    const r = topologyFromEnv(opts.env);
    // Its warnings come again from the validation below; only a topology that cannot be built stops here.
    if (!r.topology) {
      for (const d of r.diagnostics) print(formatDiagnostic(d, 'the environment'));
      return undefined;
    }
    raw = r.topology as RawTopology;
  } else raw = starterTopology() as RawTopology;
  if (seconds !== undefined) {
    const cloud = String(raw.gateway.cloudIp).split('.').map(Number);
    const [vpnAddr, bits] = String(raw.gateway.vpnIp).split('/');
    const vpn = vpnAddr.split('.').map(Number);
    raw.seconds = Array.from({ length: seconds }, (_, i) => ({
      name: i === 0 ? 'second' : `second-${i + 1}`,
      host: 'lab',
      cloudIp: [cloud[0], cloud[1], cloud[2], cloud[3] + 1 + i].join('.'),
      vpnIp: `${[vpn[0], vpn[1], vpn[2], vpn[3] + 1 + i].join('.')}/${bits}`,
    }));
  }
  if (opts.clients) addLabClients(raw, opts.clients);
  const r = validateTopology(raw);
  for (const d of r.diagnostics)
    print(formatDiagnostic(d, file ? path.basename(file) : opts.env ? 'the environment' : 'rosvpn.json (starter)'));
  if (r.topology && r.topology.tunnel !== 'vxlan') {
    print(
      `tunnel ${r.topology.tunnel}: this machine's kernel has no GRE support ("Unknown device type"), so the lab cannot run gretap; use "tunnel": "vxlan"`,
    );
    return undefined;
  }
  return r.topology;
}

/** The argv that runs the CLI in the controller namespace (no default route), with the lab's HOME. */
export function controllerArgv(s: LabState, args: string[], env: string[] = []): string[] {
  return ['ip', 'netns', 'exec', s.controllerNs, 'env', `HOME=${s.stateDir}`, 'SSH_AUTH_SOCK=', ...env, process.execPath, CLI, ...args];
}

/**
 * The CA passphrase of a lab: random, made when first asked for, and kept for the CLI in a 0600 file in the
 * lab's state directory (/run: tmpfs, RAM only; the directory is 0700 and goes with `lab down`), so that every
 * process working on the lab, and a user provisioning it by hand, uses the same one. Never on a command line.
 */
export function labCaPassphrase(s: LabState): { passphrase: string; file: string } {
  const file = path.join(s.stateDir, 'ca-passphrase');
  if (!fs.existsSync(file)) {
    try {
      fs.writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return { passphrase: fs.readFileSync(file, 'utf8'), file };
}

/** Runs the built CLI inside the controller namespace, exactly as a user would against cloud hosts, with the lab's CA passphrase file. */
export function controllerCli(s: LabState, args: string[]): RunResult {
  const [cmd, ...rest] = controllerArgv(s, args, [`ROSVPN_CA_PASSPHRASE_FILE=${labCaPassphrase(s).file}`]);
  return run(cmd, rest, { cwd: s.stateDir });
}

export function sshArgs(s: LabState): string[] {
  return ['--accept-new', '--known-hosts', s.knownHosts];
}

/** A DDS endpoint: the robot (its config names only its own NIC), or a lab host using the config
 * that provisioning installed there (/etc/rosvpn/cyclonedds.xml, pinned to rosbridge). */
export type DdsSide = { label: string; argv: string[] };

export function robotSide(s: LabState): DdsSide {
  // The config the README recommends for a robot (its NIC, the WAN tuning), on one line for CYCLONEDDS_URI.
  const uri = renderRobotCycloneDdsXml(s.robotIf)
    .replace(/<\?xml[^>]*\?>|<!--[\s\S]*?-->/g, '')
    .replace(/\s*\n\s*/g, '');
  return { label: 'robot', argv: ['ip', 'netns', 'exec', s.robotNs, 'env', `CYCLONEDDS_URI=${uri}`, 'ddsperf'] };
}

export function hostSide(h: LabHost): DdsSide {
  return {
    label: h.name,
    argv: [
      'nsenter',
      '-t',
      String(Lab.initPid(h)),
      '-m',
      '-u',
      '-i',
      '-n',
      '-p',
      '--',
      'env',
      'CYCLONEDDS_URI=file:///etc/rosvpn/cyclonedds.xml',
      'ddsperf',
    ],
  };
}

/**
 * Runs one ddsperf to its end and returns its output; a ddsperf that cannot start (missing, bad config, no
 * such interface) or fails is an error naming it, never an empty result that reads as "0 samples".
 */
async function ddsperf(side: DdsSide, args: string[]): Promise<string> {
  const { status, out } = await start([...side.argv, ...args]).done;
  if (status !== 0) {
    throw new Error(
      `ddsperf ${args.filter((a) => !/^-/.test(a) && !/^\d+$/.test(a)).join(' ')} on ${side.label} exited ${status}: ${out.trim().split('\n').slice(-3).join(' | ') || 'no output'}`,
    );
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FlowResult {
  from: string;
  to: string;
  size: number;
  samples: number;
  lost: number;
  ok: boolean;
}

/** `pub` on one side, `sub` on the other, for `seconds` s; ok when samples arrived and none were lost. */
export async function ddsFlow(
  from: DdsSide,
  to: DdsSide,
  opts: { seconds?: number; size?: number; rate?: string } = {},
): Promise<FlowResult> {
  const seconds = opts.seconds ?? 4;
  const size = opts.size ?? 64;
  const sub = ddsperf(to, ['-D', String(seconds + 2), 'sub']);
  sub.catch(() => undefined); // awaited below; a failure before the publisher ends must not go unhandled
  await sleep(300);
  await ddsperf(from, ['-D', String(seconds), 'pub', opts.rate ?? '100Hz', 'size', String(size)]);
  const out = await sub;
  let samples = 0;
  let lost = 0;
  for (const m of out.matchAll(/size \d+ total (\d+) lost (\d+)/g)) {
    samples = Number(m[1]);
    lost = Number(m[2]);
  }
  return { from: from.label, to: to.label, size, samples, lost, ok: samples > 0 && lost === 0 };
}

/**
 * ddsperf ping's per-second reports as full DDS round trips in microseconds, with their sample counts. ddsperf's
 * ping reports half the round trip (its one-way latency estimate: over the lab WAN at rtt=40ms it says 20.6 ms),
 * so each mean is doubled here; every round-trip figure (demo, bench) reads ping's output through this.
 */
export function pingRoundTrips(out: string): { us: number; count?: number }[] {
  return [...out.matchAll(/ mean ([\d.]+)us (?:.*? cnt (\d+))?/g)].map((m) => ({
    us: 2 * Number(m[1]),
    ...(m[2] === undefined ? {} : { count: Number(m[2]) }),
  }));
}

/**
 * ddsperf ping from `from` against pong on `to`: the mean DDS round trip (full, see pingRoundTrips) in microseconds,
 * over every per-second report but the first (discovery), weighted by its count. Not the last second alone: over a
 * WAN with jitter, one second's ~50 pings put the mean up to a millisecond either side of the WAN's RTT.
 */
export async function ddsRoundTrip(from: DdsSide, to: DdsSide, seconds = 4): Promise<number | undefined> {
  const pong = ddsperf(to, ['-D', String(seconds + 2), 'pong']);
  pong.catch(() => undefined);
  await sleep(300);
  const out = await ddsperf(from, ['-D', String(seconds), 'ping', '50Hz']);
  await pong;
  return meanRoundTrip(pingRoundTrips(out));
}

/** The count-weighted mean of ddsperf's per-second round trips, the first (discovery) left out unless it is the only one. */
export function meanRoundTrip(lines: { us: number; count?: number }[]): number | undefined {
  const use = lines.length > 1 ? lines.slice(1) : lines;
  if (use.length === 0) return undefined;
  const weight = (l: { count?: number }) => l.count ?? 1;
  const total = use.reduce((a, l) => a + weight(l), 0);
  return total > 0 ? use.reduce((a, l) => a + l.us * weight(l), 0) / total : undefined;
}

/** A don't-fragment ping with a 1472-byte payload (a full 1500-byte frame) from the robot. */
export function robotMtuPing(s: LabState, ip: string): boolean {
  return run('ip', ['netns', 'exec', s.robotNs, 'ping', '-c', '2', '-W', '2', '-M', 'do', '-s', '1472', ip]).status === 0;
}

/** `rosvpn provision` from the controller namespace, printed without the per-step detail lines; true when it exited 0. */
export function provisionAll(s: LabState, print: (l: string) => void): boolean {
  print(`\n$ rosvpn provision   (from ${s.controllerNs}, no default route)`);
  const prov = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
  print(
    prov.stdout
      .split('\n')
      .filter((l) => !/^\[.*\] {3}/.test(l))
      .join('\n'),
  );
  if (prov.status !== 0) {
    // What the failed host's steps said (hidden above when it passes).
    print(
      prov.stdout
        .split('\n')
        .filter((l) => /^\[.*\] {3}/.test(l))
        .slice(-15)
        .join('\n'),
    );
    print(prov.stderr);
  }
  return prov.status === 0;
}

/** The seconds of the lab's rosvpn.json as it is now: name and robot-subnet address (no prefix). */
export function labSeconds(s: LabState): { name: string; vpnIp: string }[] {
  const doc = JSON.parse(fs.readFileSync(s.topologyFile, 'utf8').replace(/^\ufeff/, '')) as { seconds?: { name: string; vpnIp: string }[] };
  return (doc.seconds ?? []).map((x) => ({ name: x.name, vpnIp: x.vpnIp.split('/')[0] }));
}

/**
 * DDS both ways between the robot and every second of the lab's rosvpn.json; `full` adds 64 KB samples, the
 * DDS round trip and 1500-byte don't-fragment frames, and flows between neighbouring seconds. One row per pair.
 */
/** 64 KB samples at 20 Hz for 4 s are 80: at least this many must arrive (discovery over a WAN takes a few round trips). */
const BIG_MIN_SAMPLES = 64;

export async function proveSeconds(
  s: LabState,
  opts: { full?: boolean; seconds?: number; minRttMs?: number } = {},
): Promise<{ rows: string[]; failures: number }> {
  const robot = robotSide(s);
  const seconds = labSeconds(s).map((x) => ({ ...x, host: s.hosts.find((h) => h.name === x.name)! }));
  const rows: string[] = [];
  let failures = 0;
  for (const { name, vpnIp, host } of seconds) {
    const second = hostSide(host);
    const up = await ddsFlow(second, robot, { seconds: opts.seconds });
    const down = await ddsFlow(robot, second, { seconds: opts.seconds });
    let ok = up.ok && down.ok;
    let extra = '';
    if (opts.full) {
      // 64 KB at 20 Hz both ways, and at that rate: a reliable flow that falls behind loses nothing, so "none
      // lost" alone would pass a link that carries a quarter of it (22 of 80 over 80 ms before the DDS tuning).
      const bigUp = await ddsFlow(second, robot, { size: 65536, rate: '20Hz' });
      const bigDown = await ddsFlow(robot, second, { size: 65536, rate: '20Hz' });
      const atRate = (f: FlowResult) => f.ok && f.samples >= BIG_MIN_SAMPLES;
      const rtt = await ddsRoundTrip(robot, second);
      const mtu = robotMtuPing(s, vpnIp);
      // Over an emulated WAN the DDS round trip crosses it twice (robot -> second -> robot): at least its RTT.
      const rttOk = rtt !== undefined && (opts.minRttMs === undefined || rtt / 1000 >= opts.minRttMs);
      ok = ok && atRate(bigUp) && atRate(bigDown) && rttOk && mtu;
      const wanNote = opts.minRttMs === undefined ? '' : ` (${rttOk ? '>=' : 'FAIL: below'} the WAN's ${opts.minRttMs} ms)`;
      extra = `   64KB@20Hz ${name}->robot ${bigUp.samples}/${bigUp.lost} lost, robot->${name} ${bigDown.samples}/${bigDown.lost} lost (>= ${BIG_MIN_SAMPLES} of 80 expected)   rtt ${rtt ? `${(rtt / 1000).toFixed(2)} ms` : 'none'}${wanNote}   1500-byte frames ${mtu ? 'ok' : 'DROPPED'}`;
    }
    if (!ok) failures++;
    rows.push(
      `  robot <-> ${name.padEnd(10)} ${ok ? 'PASS' : 'FAIL'}  ${name}->robot ${up.samples}/${up.lost} lost   robot->${name} ${down.samples}/${down.lost} lost${extra}`,
    );
  }
  for (let i = 0; opts.full && i + 1 < seconds.length; i++) {
    const f = await ddsFlow(hostSide(seconds[i].host), hostSide(seconds[i + 1].host));
    if (!f.ok) failures++;
    rows.push(`  ${f.from} -> ${f.to}  ${f.ok ? 'PASS' : 'FAIL'}  ${f.samples} samples, ${f.lost} lost`);
  }
  return { rows, failures };
}

/**
 * The real addresses (ip:port) the gateway's OpenVPN server saw its clients connect from, by common name: the
 * last "Peer Connection Initiated" line of each in its journal (the status file is written only once a minute).
 */
export function gatewayClientAddresses(s: LabState): Map<string, string> {
  const gw = s.hosts.find((h) => h.role === 'gateway')!;
  const out = new Map<string, string>();
  const r = Lab.inHost(gw, ['journalctl', '-q', '-o', 'cat', '-u', 'openvpn-server@*']);
  for (const m of r.stdout.matchAll(/^(\d+\.\d+\.\d+\.\d+:\d+) \[([^\]]+)\] Peer Connection Initiated/gm)) out.set(m[2], m[1]);
  return out;
}

/**
 * How the desktop's network is managed right now, one line: the manager's own view of its links (nmcli,
 * networkctl) or the DHCP clients running (plain), and every link with its IPv4 addresses.
 */
export function desktopNetState(s: LabState): string {
  const d = s.hosts.find((h) => h.role === 'desktop');
  if (!d) return 'no desktop';
  const cmd =
    s.desktopFlavour === 'networkmanager'
      ? 'nmcli -t -f DEVICE,STATE,CONNECTION device 2>&1 | grep -v "^lo:" | tr "\\n" " "'
      : s.desktopFlavour === 'networkd'
        ? 'networkctl list --no-legend 2>&1 | awk "{ printf \\"%s:%s/%s \\", \\$2, \\$4, \\$5 }"'
        : 'pgrep -a dhclient | sed "s/^[0-9]* //" | tr "\\n" ";"';
  const mgr = Lab.inHost(d, ['sh', '-c', cmd]).stdout.trim();
  const addrs = Lab.inHost(d, ['sh', '-c', 'ip -4 -o addr show scope global | awk "{ printf \\"%s=%s \\", \\$2, \\$4 }"']).stdout.trim();
  return `${s.desktopFlavour}: ${mgr || '(nothing)'} | addresses: ${addrs || 'none'}`;
}

/** One line of an emulated WAN's counters, both directions summed: frames, lost, fragmented, over-MTU, ICMP, drops. */
export function wanCounterLine(st: WanStats): string {
  const sum = (k: keyof WanCounters) => st.ab[k] + st.ba[k];
  return (
    `frames in ${sum('frames_in')} out ${sum('frames_out')}, lost ${sum('lost')}, fragmented ${sum('fragmented')} (into ${sum('fragments')}), ` +
    `over-MTU ${sum('over_mtu')} (ICMP sent ${sum('icmp_sent')}), reordered ${sum('reordered')}, queue/write/tap-dropped ` +
    `${sum('queue_dropped')}/${sum('write_dropped')}/${sum('tap_dropped')}`
  );
}
