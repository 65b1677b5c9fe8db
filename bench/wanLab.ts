// `npm run bench -- --only wan`: DDS over an emulated WAN (issue K item 7) in one lab with --nat and the WAN
// emulator (lab/wan.ts) at the uplink, between the desktop's NAT router and the internet. For each WAN cell
// (RTT × loss, mtu 1492, 2 ms jitter) and each of rosvpn's settings and the original guide's: the DDS round trip
// (64 B, full), and 64 KB samples at 20 Hz and 1 MB samples at 10 Hz robot <-> second both ways (delivered of
// sent, lost, delivered throughput). The emulator is restarted with the next cell's spec between cells (the lab,
// its hosts and their tunnel stay); the two settings are switched once each (OpenVPN restarted on both ends).
// Then the NAT rebinding recovery times (lab/rebind.ts). Every figure comes from this run.
import { controllerCli, ddsFlow, hostSide, labSeconds, loadLabTopology, robotSide, sshArgs, type DdsSide } from '../lab/demo';
import { Lab, labDown, type LabState } from '../lab/lab';
import { measureRebinding, pingUntilReply, type RebindResult } from '../lab/rebind';
import { missingTools } from '../lab/tools';
import { parseWanSpec, startWan, type Wan } from '../lab/wan';
import { openvpnSwitch, roundTrip } from './lab';
import type { BenchRow, BenchSection } from './types';

export type Settings = 'ours' | 'guide';
export type Direction = 'second->robot' | 'robot->second';

/** One WAN condition of the matrix. */
export interface WanCondition {
  rttMs: number;
  lossPct: number;
}

/** One flow at a steady rate over one condition. */
export interface FlowCell extends WanCondition {
  settings: Settings;
  dir: Direction;
  size: number;
  hz: number;
  seconds: number;
  delivered: number;
  lost: number;
}

export interface RttCell extends WanCondition {
  settings: Settings;
  /** Full DDS round trip, µs (undefined: no reply). */
  us?: number;
}

/** The sample sizes and their rates: 64 KB at 20 Hz (the demo's check), 1 MB at 10 Hz (issue K item 6). */
export const RATE_OF_SIZE: Record<number, number> = { 65536: 20, 1048576: 10 };
export const JITTER_MS = 2;
export const MTU = 1492;

/** The matrix: full = 20/80/200 ms × 0/1/3 %, 64 KB and 1 MB; quick = 80 ms × 0/1 %, 64 KB only. */
export function wanMatrix(quick: boolean): { conditions: WanCondition[]; sizes: number[]; seconds: number } {
  const rtts = quick ? [80] : [20, 80, 200];
  const losses = quick ? [0, 1] : [0, 1, 3];
  return {
    conditions: rtts.flatMap((rttMs) => losses.map((lossPct) => ({ rttMs, lossPct }))),
    sizes: quick ? [65536] : [65536, 1048576],
    seconds: quick ? 5 : 6,
  };
}

export function wanSpecText(c: WanCondition): string {
  return `rtt=${c.rttMs}ms,jitter=${JITTER_MS}ms,loss=${c.lossPct}%,mtu=${MTU}`;
}

const sizeLabel = (size: number) => (size >= 1 << 20 ? `${size / (1 << 20)} MB` : `${size / 1024} KB`);
const settingsLabel = (x: Settings) => (x === 'ours' ? 'rosvpn' : 'guide');
const where = (c: WanCondition) => `${c.rttMs} ms / ${c.lossPct} %`;
/** Samples the publisher offers in a flow: its rate × its duration. */
export const offered = (c: Pick<FlowCell, 'hz' | 'seconds'>) => c.hz * c.seconds;
/** Delivered payload, Mbit/s, over the flow's duration. */
export const deliveredMbps = (c: Pick<FlowCell, 'size' | 'delivered' | 'seconds'>) => (c.delivered * c.size * 8) / c.seconds / 1e6;

/** The rows of the section: per condition and settings the round trip, then per size and direction one flow row. */
export function wanRows(rtts: RttCell[], flows: FlowCell[]): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const r of rtts) {
    rows.push({
      metric: `${where(r)}, ${settingsLabel(r.settings)}: DDS round trip, 64 B`,
      value: r.us === undefined ? 0 : Math.round(r.us / 100) / 10,
      unit: 'ms',
      note: r.us === undefined ? 'no reply' : `full round trip; WAN adds ${r.rttMs} ms`,
    });
    for (const f of flows.filter((x) => x.rttMs === r.rttMs && x.lossPct === r.lossPct && x.settings === r.settings))
      rows.push({
        metric: `${where(f)}, ${settingsLabel(f.settings)}: ${sizeLabel(f.size)} @ ${f.hz} Hz ${f.dir}`,
        value: f.delivered,
        unit: `of ${offered(f)} delivered`,
        note: `lost ${f.lost}, ${Math.round(deliveredMbps(f) * 10) / 10} Mbit/s delivered`,
      });
  }
  return rows;
}

export function rebindRows(rs: RebindResult[], limit: number): BenchRow[] {
  return rs.map((r) => ({
    metric: `NAT rebinding (${r.what}), probe from the ${r.from}: tunnel back`,
    value: r.seconds ?? limit,
    unit: 's',
    note: `${r.seconds === undefined ? `NOT back within ${limit} s; ` : ''}runs ${r.runs.map((x) => (x === undefined ? 'never' : x.toFixed(1))).join(', ')} s; then DDS ${r.ddsOk ? 'ok' : 'FAILED'}`,
  }));
}

/**
 * The 1 MB figures that split the WAN's round trip from its loss (issue K item 6): 80 ms at 0 % against 1 %,
 * per settings and direction; empty when the matrix has no 1 MB rows.
 */
export function oneMbSplit(flows: FlowCell[]): string[] {
  const at = (lossPct: number, s: Settings, dir: Direction) =>
    flows.find((f) => f.size === 1 << 20 && f.rttMs === 80 && f.lossPct === lossPct && f.settings === s && f.dir === dir);
  const out: string[] = [];
  for (const s of ['ours', 'guide'] as const)
    for (const dir of ['second->robot', 'robot->second'] as const) {
      const [a, b] = [at(0, s, dir), at(1, s, dir)];
      if (a && b)
        out.push(`${settingsLabel(s)} ${dir}: ${a.delivered}/${offered(a)} at 80 ms / 0 %, ${b.delivered}/${offered(b)} at 80 ms / 1 %`);
    }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The CycloneDDS defaults with only the interface named (the guide's config), on a DDS side that used rosvpn's. */
function guideSide(side: DdsSide, iface: string): DdsSide {
  const uri = `CYCLONEDDS_URI=<CycloneDDS><Domain><General><Interfaces><NetworkInterface name="${iface}"/></Interfaces></General></Domain></CycloneDDS>`;
  return { label: side.label, argv: side.argv.map((a) => (a.startsWith('CYCLONEDDS_URI=') ? uri : a)) };
}

/** The tunnel carries a ping robot -> second again (after the emulator's restart), within `limitS`. */
function tunnelUp(s: LabState, ip: string, limitS: number): boolean {
  return pingUntilReply(['ip', 'netns', 'exec', s.robotNs], ip, Date.now(), limitS).seconds !== undefined;
}

export interface WanBenchOptions {
  quick?: boolean;
  log?: (line: string) => void;
  prefix?: string;
}

// long: one lab's whole run: up, provision, the matrix per settings, rebinding, rows and notes
export async function run(o: WanBenchOptions = {}): Promise<BenchSection> {
  if (process.getuid?.() !== 0) throw new Error('the WAN benchmark needs root (systemd-nspawn, network namespaces)');
  const missing = missingTools('demo');
  if (missing.length) throw new Error(missing.map((m) => m.message).join('\n'));
  const log = o.log ?? (() => undefined);
  const quick = !!o.quick;
  const { conditions, sizes, seconds } = wanMatrix(quick);
  const prefix = o.prefix ?? 'rvbw';
  const t = loadLabTopology(undefined, 1, () => undefined);
  if (!t) throw new Error('the starter topology is not valid for the lab');
  const lab = new Lab(prefix, log);
  const rtts: RttCell[] = [];
  const flows: FlowCell[] = [];
  let rebinds: RebindResult[] = [];
  const rebindLimit = 60;
  let left: string[];
  let wan: Wan | undefined;
  try {
    const s = lab.up(t, { nat: true, wan: parseWanSpec(wanSpecText(conditions[0])) });
    wan = await lab.startWan();
    const p = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
    if (p.status !== 0) throw new Error(`provision failed:\n${p.stdout}\n${p.stderr}`);
    const secondHost = s.hosts.find((h) => h.role === 'second')!;
    const secondIp = labSeconds(s)[0].vpnIp;
    const use = openvpnSwitch(s);
    const setWan = async (c: WanCondition) => {
      await wan!.stop();
      wan = await startWan(s.wan!.ns, { a: s.wan!.a, b: s.wan!.b, spec: wanSpecText(c) });
      s.wan!.pid = wan.pid;
      if (!tunnelUp(s, secondIp, 60)) throw new Error(`no ping robot -> second within 60 s after the WAN became ${wanSpecText(c)}`);
    };
    for (const settings of ['ours', 'guide'] as const) {
      await setWan(conditions[0]);
      await use(settings);
      const robot = settings === 'ours' ? robotSide(s) : guideSide(robotSide(s), s.robotIf);
      const second = settings === 'ours' ? hostSide(secondHost) : guideSide(hostSide(secondHost), 'rosbridge');
      for (const c of conditions) {
        const t0 = Date.now();
        await setWan(c);
        await sleep(1000);
        const rt = await roundTrip(robot, second, 64, 4);
        rtts.push({ ...c, settings, us: rt?.meanUs });
        for (const size of sizes)
          for (const dir of ['second->robot', 'robot->second'] as const) {
            const [from, to] = dir === 'second->robot' ? [second, robot] : [robot, second];
            const hz = RATE_OF_SIZE[size];
            const f = await ddsFlow(from, to, { seconds, size, rate: `${hz}Hz` });
            flows.push({ ...c, settings, dir, size, hz, seconds, delivered: f.samples, lost: f.lost });
          }
        const mine = flows.filter((f) => f.settings === settings && f.rttMs === c.rttMs && f.lossPct === c.lossPct);
        log(
          `bench: wan ${settingsLabel(settings)} ${where(c)}: rtt ${rt ? (rt.meanUs / 1000).toFixed(1) : 'none'} ms; ` +
            `${mine.map((f) => `${sizeLabel(f.size)} ${f.dir} ${f.delivered}/${offered(f)} lost ${f.lost}`).join('; ')} (${Math.round((Date.now() - t0) / 1000)} s)`,
        );
      }
      if (settings === 'ours') {
        // NAT rebinding over the demo's WAN (80 ms / 1 %), with rosvpn's settings.
        await setWan({ rttMs: 80, lossPct: 1 });
        rebinds = await measureRebinding(s, log, { limit: rebindLimit, repeat: quick ? 1 : 2 });
      }
    }
  } finally {
    await wan?.stop().catch(() => undefined);
    left = labDown(prefix);
  }
  if (left.length) throw new Error(`lab teardown left: ${left.join(', ')}`);
  const split = oneMbSplit(flows);
  return {
    id: 'wan',
    title: 'DDS over a WAN: robot <-> second behind NAT',
    rows: [...wanRows(rtts, flows), ...rebindRows(rebinds, rebindLimit)],
    notes: [
      `One lab (plain desktop behind the LAN router's NAT, 1 second); the emulated WAN (lab/wan.ts: seeded, user-space) between the NAT router and the internet: mtu ${MTU}, jitter ±${JITTER_MS} ms, the RTT and loss (each direction) of the row. The emulator is restarted with each row's spec; the lab and its tunnel stay.`,
      `Per row ${seconds} s of ddsperf (CycloneDDS 0.10.2, reliable): pub at the rate, sub counting what arrives ("delivered" of rate × ${seconds} s offered; discovery over the WAN takes the first round trips) and what it saw lost; delivered throughput = delivered × size / ${seconds} s. Round trip = ping 64 B at 20 Hz against pong, the full round trip (ddsperf prints half), median of its per-second means after the first.`,
      "rosvpn = the CycloneDDS config rosvpn installs on the second (/etc/rosvpn/cyclonedds.xml: MaxMessageSize 1344B, FragmentSize 1280B, WHC 4MB fixed) and recommends for the robot (`rosvpn robot-config`), with rosvpn's OpenVPN settings; guide = CycloneDDS defaults on both ends (only the interface named) with the original guide's OpenVPN settings (bench/lab.ts applyGuideOpenvpn).",
      ...(split.length ? [`1 MB at 10 Hz, the WAN's round trip against its loss: ${split.join('; ')}.`] : []),
      'NAT rebinding: the NAT router gets a new public address, or its conntrack table is flushed; the time until a ping crosses the tunnel again (the slowest of the runs), over 80 ms / 1 %.',
    ],
  };
}
