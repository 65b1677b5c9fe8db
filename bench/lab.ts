// Benchmarks in the lab of issue C (systemd-nspawn hosts, real OpenVPN, CycloneDDS ddsperf): provisioning
// from freshly booted hosts to DDS flowing for 1/4/8 seconds and the no-op rerun; then the data plane,
// robot <-> second through the whole VPN path, against the direct robot LAN and against the same path with
// the original guide's OpenVPN settings. Every figure is measured in this run; all traffic stays inside
// the lab's namespaces (the CLI runs in the controller namespace, which has no default route).
import { spawn, type ChildProcess } from 'child_process';
import { hostSide, controllerCli, loadLabTopology, robotSide, sshArgs, type DdsSide } from '../src/lab/demo';
import { Lab, labDown, type LabHost, type LabState } from '../src/lab/lab';
import { OPENVPN_CLIENT_UNIT, OPENVPN_SERVER_CONF, OPENVPN_SERVER_UNIT } from '../src/core/render/openvpn';
import { CLIENT_PROFILE_NAME } from '../src/core/topology/types';
import type { BenchRow, BenchSection } from './types';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const secs = (ms: number) => Math.round(ms / 100) / 10;

export interface LabBenchOptions {
  quick?: boolean;
  /** Second counts for the provisioning runs (default 1, 4, 8). */
  seconds?: number[];
  log?: (line: string) => void;
}

/** Per-host times from the `rosvpn provision` summary table (label role status changed ok skipped time). */
function hostTimes(stdout: string): Record<string, { role: string; status: string; seconds: number }> {
  const out: Record<string, { role: string; status: string; seconds: number }> = {};
  for (const m of stdout.matchAll(/^(\S+)\s+(gateway|second|desktop)\s+(\S+)\s+\d+\s+\d+\s+\d+\s+([\d.]+)s$/gm)) out[m[1]] = { role: m[2], status: m[3], seconds: Number(m[4]) };
  return out;
}

function startProc(argv: string[]): { proc: ChildProcess; out: () => string; done: Promise<string> } {
  const proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const done = new Promise<string>((resolve) => proc.on('close', () => resolve(out)));
  return { proc, out: () => out, done };
}

/** Time until the first DDS sample from `from` reaches `to` (ddsperf sub prints once a second: ±1 s). */
async function timeToFirstSample(from: DdsSide, to: DdsSide, timeoutS = 90): Promise<number | undefined> {
  const t0 = Date.now();
  const sub = startProc([...to.argv, '-1', '-D', String(timeoutS), 'sub']);
  const pub = startProc([...from.argv, '-D', String(timeoutS), 'pub', '100Hz']);
  try {
    while (Date.now() - t0 < timeoutS * 1000) {
      if ([...sub.out().matchAll(/total (\d+)/g)].some((m) => Number(m[1]) > 0)) return Date.now() - t0;
      await sleep(100);
    }
    return undefined;
  } finally {
    sub.proc.kill('SIGINT');
    pub.proc.kill('SIGINT');
    await Promise.all([sub.done, pub.done]);
  }
}

/** ddsperf ping/pong: round-trip times in µs (the median of ping's per-second means). */
async function roundTrip(from: DdsSide, to: DdsSide, size: number, seconds: number): Promise<{ meanUs: number; samples: number } | undefined> {
  const pong = startProc([...to.argv, '-D', String(seconds + 3), 'pong']);
  await sleep(500);
  const ping = startProc([...from.argv, '-D', String(seconds), 'ping', '20Hz', 'size', String(size)]);
  const out = await ping.done;
  pong.proc.kill('SIGINT');
  await pong.done;
  // Skip the first report: it includes discovery.
  const means = [...out.matchAll(/ mean ([\d.]+)us .* cnt (\d+)/g)].slice(1);
  if (!means.length) return undefined;
  return { meanUs: median(means.map((m) => Number(m[1]))), samples: means.reduce((n, m) => n + Number(m[2]), 0) };
}

/** Unthrottled `pub` of `size`-byte samples, reliable: throughput (Mbit/s, median per second) and loss at `sub`. */
async function throughput(from: DdsSide, to: DdsSide, size: number, seconds: number): Promise<{ mbps: number; samples: number; lost: number }> {
  const sub = startProc([...to.argv, '-1', '-D', String(seconds + 3), 'sub']);
  await sleep(500);
  await startProc([...from.argv, '-D', String(seconds), 'pub', 'size', String(size)]).done;
  const out = await sub.done;
  const rates = [...out.matchAll(/rate ([\d.]+) ?([kM]?)S\/s ([\d.]+) Mb\/s/g)].map((m) => Number(m[3])).filter((x) => x > 0);
  let samples = 0;
  let lost = 0;
  for (const m of out.matchAll(/total (\d+) lost (\d+)/g)) {
    samples = Number(m[1]);
    lost = Number(m[2]);
  }
  return { mbps: rates.length ? median(rates) : 0, samples, lost };
}

/** 64 KB samples at a steady 20 Hz (the demo's check): how many of them were lost. */
async function bigSampleLoss(from: DdsSide, to: DdsSide, seconds: number): Promise<{ samples: number; lost: number }> {
  const sub = startProc([...to.argv, '-D', String(seconds + 3), 'sub']);
  await sleep(500);
  await startProc([...from.argv, '-D', String(seconds), 'pub', '20Hz', 'size', '65536']).done;
  const out = await sub.done;
  let samples = 0;
  let lost = 0;
  for (const m of out.matchAll(/size \d+ total (\d+) lost (\d+)/g)) {
    samples = Number(m[1]);
    lost = Number(m[2]);
  }
  return { samples, lost };
}

interface PathFigures {
  rtt64: number;
  rtt64k: number;
  mbps: number;
  bigSamples: number;
  bigLost: number;
}

async function measurePath(from: DdsSide, to: DdsSide, reps: number, seconds: number): Promise<PathFigures> {
  const r64: number[] = [];
  const r64k: number[] = [];
  const tp: number[] = [];
  let bigSamples = 0;
  let bigLost = 0;
  for (let i = 0; i < reps; i++) {
    const a = await roundTrip(to, from, 64, seconds);
    const b = await roundTrip(to, from, 65536, seconds);
    const c = await throughput(from, to, 65536, seconds);
    const d = await bigSampleLoss(from, to, seconds);
    if (a) r64.push(a.meanUs);
    if (b) r64k.push(b.meanUs);
    tp.push(c.mbps);
    bigSamples += d.samples;
    bigLost += d.lost;
  }
  return { rtt64: median(r64), rtt64k: median(r64k), mbps: median(tp), bigSamples, bigLost };
}

/** The original guide's OpenVPN settings on the lab's gateway and desktop (same PKI, same bridge). */
export function applyGuideOpenvpn(s: LabState): void {
  const gw = s.hosts.find((h) => h.role === 'gateway')!;
  const desk = s.hosts.find((h) => h.role === 'desktop')!;
  // Server: tls-auth instead of tls-crypt, comp-lzo no (pushed), OpenVPN's default ciphers and MTU, the
  // unused address pool with ifconfig-noexec. dh stays "none": it only shapes the handshake, and a dh.pem
  // takes minutes to generate. multihome stays: the lab's gateway answers on a second (public) address.
  const server = `sed -i -e 's/^tls-crypt \\(.*\\)$/tls-auth \\1 0/' -e '/^data-ciphers /d' -e '/^allow-compression /d' -e '/^tun-mtu /d' -e '/^tls-version-min /d' -e '/^client-to-client/d' ${OPENVPN_SERVER_CONF} && printf '%s\\n' 'server 192.168.255.0 255.255.255.0' 'ifconfig-noexec' 'comp-lzo no' 'push "comp-lzo no"' >> ${OPENVPN_SERVER_CONF} && systemctl restart ${OPENVPN_SERVER_UNIT}`;
  // Client: the installed profile (the client config includes it): inline <tls-auth> with key-direction 1
  // before it, comp-lzo no, no cipher/MTU lines.
  const profile = `/etc/openvpn/client/${CLIENT_PROFILE_NAME}.ovpn`;
  const client = `sed -i -e 's/<tls-crypt>/<tls-auth>/' -e 's#</tls-crypt>#</tls-auth>#' -e '/^data-ciphers /d' -e '/^allow-compression /d' -e '/^tun-mtu /d' -e '/^tls-version-min /d' -e '/^verify-x509-name /d' -e '1i key-direction 1' -e '1i comp-lzo no' ${profile} && systemctl restart ${OPENVPN_CLIENT_UNIT}`;
  for (const [h, cmd] of [[gw, server], [desk, client]] as [LabHost, string][]) {
    const r = Lab.inHost(h, ['sh', '-c', cmd]);
    if (r.status !== 0) throw new Error(`guide OpenVPN settings on ${h.name}: ${r.stderr || r.stdout}`);
  }
}

export async function run(o: LabBenchOptions = {}): Promise<BenchSection[]> {
  if (process.getuid?.() !== 0) throw new Error('the lab benchmarks need root (systemd-nspawn, network namespaces)');
  const log = o.log ?? (() => undefined);
  const counts = o.seconds ?? (o.quick ? [1] : [1, 4, 8]);
  const prov: BenchSection = { id: 'provisioning', title: 'Provisioning in the lab', rows: [], notes: [] };
  const data: BenchSection = { id: 'dataplane', title: 'Data plane: robot <-> second', rows: [], notes: [] };
  const totals: Record<number, number> = {};
  for (const n of counts) {
    const t = loadLabTopology(undefined, n, () => undefined);
    if (!t) throw new Error('the starter topology is not valid for the lab');
    const prefix = `rvb${n}`;
    const lab = new Lab(prefix, log);
    try {
      let t0 = Date.now();
      const s = lab.up(t);
      const boot = Date.now() - t0;
      log(`bench: ${n} second(s): lab up in ${secs(boot)} s; provisioning`);
      t0 = Date.now();
      const p = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
      const provMs = Date.now() - t0;
      if (p.status !== 0) throw new Error(`provision failed:\n${p.stdout}\n${p.stderr}`);
      const hosts = hostTimes(p.stdout);
      const seconds = s.hosts.filter((h) => h.role === 'second');
      const far = seconds[seconds.length - 1];
      const flowing = await timeToFirstSample(hostSide(far), robotSide(s));
      if (flowing === undefined) throw new Error(`no DDS sample from ${far.name} reached the robot within 90 s`);
      totals[n] = provMs + flowing;
      t0 = Date.now();
      const again = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
      const rerunMs = Date.now() - t0;
      if (again.status !== 0) throw new Error(`rerun failed:\n${again.stdout}`);
      const cloudMax = Math.max(...Object.values(hosts).filter((h) => h.role !== 'desktop').map((h) => h.seconds));
      const label = `gateway + desktop + ${n} second${n === 1 ? '' : 's'}`;
      prov.rows.push(
        { metric: `${label}: lab boot (not part of the target)`, value: secs(boot), unit: 's' },
        { metric: `${label}: cloud hosts in parallel (slowest)`, value: cloudMax, unit: 's' },
        { metric: `${label}: desktop (after the gateway, profile copied)`, value: hosts.desktop?.seconds ?? NaN, unit: 's' },
        { metric: `${label}: provision wall time`, value: secs(provMs), unit: 's' },
        { metric: `${label}: then first DDS sample ${far.name} -> robot`, value: secs(flowing), unit: 's', note: 'ddsperf sub reports once a second' },
        {
          metric: `${label}: fresh hosts to DDS flowing`,
          value: secs(totals[n]),
          unit: 's',
          ...(n === 1 ? { target: '≤ 30 s', pass: totals[n] <= 30_000 } : {}),
          ...(n === 8 && totals[1] ? { target: `≤ 1.5 × the 1-second run (${secs(totals[1] * 1.5)} s)`, pass: totals[n] <= totals[1] * 1.5 } : {}),
        },
        { metric: `${label}: no-op rerun of the whole topology`, value: secs(rerunMs), unit: 's', target: '≤ 5 s', pass: rerunMs <= 5000 },
      );

      if (n === counts[0]) {
        const robot = robotSide(s);
        const second = hostSide(seconds[0]);
        const desktop = hostSide(s.hosts.find((h) => h.role === 'desktop')!);
        const reps = o.quick ? 1 : 3;
        const dur = o.quick ? 3 : 5;
        log('bench: data plane, direct robot LAN (robot <-> desktop bridge)');
        const direct = await measurePath(desktop, robot, reps, dur);
        log('bench: data plane, full VPN path (robot <-> second)');
        const vpn = await measurePath(second, robot, reps, dur);
        log("bench: data plane, the guide's OpenVPN settings");
        applyGuideOpenvpn(s);
        if ((await timeToFirstSample(second, robot)) === undefined) throw new Error("with the guide's OpenVPN settings no DDS sample arrived");
        const guide = await measurePath(second, robot, reps, dur);
        const row = (metric: string, value: number, unit: string, extra: Partial<BenchRow> = {}): BenchRow => ({ metric, value: Math.round(value * 100) / 100, unit, ...extra });
        data.rows.push(
          row('round trip, 64 B, direct LAN', direct.rtt64, 'µs'),
          row('round trip, 64 B, through the VPN', vpn.rtt64, 'µs'),
          row('round trip, 64 B, VPN / direct LAN', vpn.rtt64 / direct.rtt64, '×', { target: '≤ 3×', pass: vpn.rtt64 / direct.rtt64 <= 3 }),
          row('round trip, 64 KB, direct LAN', direct.rtt64k, 'µs'),
          row('round trip, 64 KB, through the VPN', vpn.rtt64k, 'µs'),
          row('round trip, 64 KB, VPN / direct LAN', vpn.rtt64k / direct.rtt64k, '×'),
          row('64 KB samples at 20 Hz through the VPN: lost', vpn.bigLost, 'samples', { target: 'none lost', pass: vpn.bigLost === 0 && vpn.bigSamples > 0, note: `of ${vpn.bigSamples} received` }),
          row('throughput, 64 KB samples, direct LAN', direct.mbps, 'Mbit/s'),
          row('throughput, 64 KB samples, through the VPN', vpn.mbps, 'Mbit/s'),
          row("throughput, 64 KB samples, the guide's OpenVPN settings", guide.mbps, 'Mbit/s'),
          row("throughput, VPN / the guide's settings", vpn.mbps / guide.mbps, '×', { target: '≥ 1', pass: vpn.mbps >= guide.mbps }),
          row("round trip, 64 B, the guide's OpenVPN settings", guide.rtt64, 'µs'),
          row("64 KB samples at 20 Hz, the guide's settings: lost", guide.bigLost, 'samples', { note: `of ${guide.bigSamples} received` }),
        );
        data.notes.push(
          `Each figure is the median of ${reps} run(s) of ${dur} s, all in this one lab: direct LAN = robot <-> the desktop's rosbridge (one veth + the bridge, the limit on this machine); VPN = robot -> desktop bridge -> OpenVPN tap -> gateway bridge -> VXLAN -> second; the guide's settings = the same path after rewriting the gateway's and desktop's OpenVPN configs as the guide had them (tls-auth, comp-lzo no, OpenVPN's default ciphers and MTU) and restarting both.`,
          'ddsperf (CycloneDDS 0.10.2), reliable, topic KS; round trip = ping at 20 Hz against pong; throughput = unthrottled pub of 64 KB samples, sub reporting once a second.',
        );
      }
    } finally {
      const left = labDown(prefix);
      if (left.length) throw new Error(`lab teardown left: ${left.join(', ')}`);
    }
  }
  prov.notes.push(
    'Fresh hosts: every host booted from the lab base image (packages already installed: openvpn, easy-rsa, cyclonedds-tools), nothing provisioned; the clock starts when `rosvpn provision` starts in the controller namespace and stops at the first DDS sample from the farthest second at the robot. Lab boot is shown but not counted.',
    'The no-op rerun is `rosvpn provision` of the whole topology again: every step reports ok, nothing changes.',
  );
  return [prov, data];
}
