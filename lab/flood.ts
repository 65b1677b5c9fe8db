// The flood guard's proof in the lab (`npm run demo -- --flood`, issue N item 4). A second floods multicast and
// broadcast onto its rosbridge (lab/flood.py, tens of Mbit/s for ~10 s: a non-discovery multicast group,
// broadcast, and DDS user data to 239.255.0.1 on each configured domain's user-data port), while DDS robot <->
// that second must keep passing; nft counters in the robot's namespace (netdev ingress on its NIC, matching the
// flood's source, destinations and ports: nothing else) say how much of it reached the robot. Then the reverse:
// the robot floods its LAN and a bridge-family counter in the second's namespace (frames entering its rosbridge)
// says how much reached the second. Each side may receive at most 1 % of what was flooded. The negative
// control provisions the topology with filter.enabled false, where the same flood must reach the other side
// (more than 50 %), then provisions it back on and floods once more. Floods run only inside lab hosts and the
// robot's namespace, never in this machine's own network namespace.
import * as fs from 'fs';
import * as path from 'path';
import { controllerCli, type DdsSide, ddsFlow, type FlowResult, hostSide, labSeconds, provisionAll, robotSide, sshArgs } from './demo';
import { Lab, type LabHost, type LabState } from './lab';
import { run, start } from './sh';

export const FLOOD_PY = path.resolve(__dirname, 'flood.py');
/** The flood: tens of Mbit/s for about 10 s, all targets together. */
export const FLOOD_MBIT = 30;
export const FLOOD_SECONDS = 10;
/** The guard holds when the other side receives at most this share of the flood… */
export const MAX_SHARE = 0.01;
/** …and the negative control (guard off) is valid only when more than this share arrives. */
export const OFF_MIN_SHARE = 0.5;
/** A multicast group no DDS uses, and the port of the broadcast flood. */
export const FLOOD_GROUP = '239.255.42.99';
export const FLOOD_PORT = 5001;
/** The flood's source port: with the source address, what tells its datagrams from DDS's own multicast. */
export const FLOOD_SPORT = 5999;
const TABLE = 'rvflood';

export interface FloodTarget {
  ip: string;
  port: number;
  what: string;
}

/** What the flood sends to: a non-discovery group, broadcast, and DDS user data (port 7401 + 250·d) of each domain. */
export function floodTargets(domains: readonly number[]): FloodTarget[] {
  return [
    { ip: FLOOD_GROUP, port: FLOOD_PORT, what: 'multicast group' },
    { ip: '255.255.255.255', port: FLOOD_PORT, what: 'broadcast' },
    ...domains.map((d) => ({ ip: '239.255.0.1', port: 7401 + 250 * d, what: `DDS user data, domain ${d}` })),
  ];
}

/**
 * The counting table: one named counter per target, for datagrams from `src` only. `netdev` counts at the
 * ingress of `dev` (the robot's NIC); `bridge` counts every frame entering any port of a bridge (the second's
 * rosbridge), before anything else sees it. Both count IP bytes (no Ethernet header), as flood.py reports them.
 * The leading `table …; delete table …` makes a rerun start from zero.
 */
export function counterRuleset(family: 'netdev' | 'bridge', src: string, targets: readonly FloodTarget[], dev?: string): string {
  const hook =
    family === 'netdev' ? `type filter hook ingress device "${dev}" priority -500;` : 'type filter hook prerouting priority -300;';
  return [
    `table ${family} ${TABLE}`,
    `delete table ${family} ${TABLE}`,
    `table ${family} ${TABLE} {`,
    ...targets.map((_, i) => `  counter t${i} {}`),
    '  chain count {',
    `    ${hook}`,
    ...targets.map((t, i) => `    ip saddr ${src} ip daddr ${t.ip} udp sport ${FLOOD_SPORT} udp dport ${t.port} counter name "t${i}"`),
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Per counter name, its bytes, from `nft -j list counters table …`. */
export function parseCounters(json: string): Map<string, number> {
  const doc = JSON.parse(json) as { nftables?: { counter?: { name: string; bytes: number } }[] };
  const out = new Map<string, number>();
  for (const e of doc.nftables ?? []) if (e.counter) out.set(e.counter.name, e.counter.bytes);
  return out;
}

export interface FloodReport {
  targets: { ip: string; port: number; packets: number; bytes: number }[];
  seconds: number;
  errors: number;
}

/** flood.py's final JSON line, validated: it is read from a lab host. */
export function parseFloodReport(out: string): FloodReport {
  const line = out
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (!line) throw new Error(`the flood sender printed no report: ${out.trim().split('\n').slice(-3).join(' | ') || 'no output'}`);
  const r = JSON.parse(line) as FloodReport;
  const n = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  if (!Array.isArray(r.targets) || !n(r.seconds) || !n(r.errors) || !r.targets.every((t) => n(t.packets) && n(t.bytes))) {
    throw new Error(`the flood sender's report is malformed: ${line.slice(0, 200)}`);
  }
  return r;
}

/** Where a flood runs and is counted: the robot's namespace, or a lab host (its own python3 and namespaces). */
interface Side {
  name: string;
  /** The argv prefix that runs a program in this side's network namespace (never empty: never this machine's own). */
  netns: string[];
  /** The argv prefix that runs the sender (a lab host: inside it, with its own python3). */
  sender: string[];
  dev: string;
  ip: string;
  family: 'netdev' | 'bridge';
}

function robotFloodSide(s: LabState): Side {
  if (!s.robotNs) throw new Error('the lab has no robot namespace');
  const netns = ['ip', 'netns', 'exec', s.robotNs];
  return { name: 'the robot', netns, sender: netns, dev: s.robotIf, ip: s.robotIp, family: 'netdev' };
}

function secondFloodSide(h: LabHost, vpnIp: string): Side {
  if (!h.ns) throw new Error(`${h.name} has no namespace`);
  const inside = ['nsenter', '-t', String(Lab.initPid(h)), '-m', '-u', '-i', '-n', '-p', '--'];
  return { name: h.name, netns: ['ip', 'netns', 'exec', h.ns], sender: inside, dev: 'rosbridge', ip: vpnIp, family: 'bridge' };
}

function nft(side: Side, args: string[], input?: string): string {
  const [cmd, ...rest] = [...side.netns, 'nft', ...args];
  const r = run(cmd, rest, { input });
  if (r.status !== 0) throw new Error(`nft ${args.join(' ')} in ${side.name}'s namespace exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FloodResult {
  from: string;
  to: string;
  /** IP bytes the sender's kernel accepted, and what the counters on the other side saw of them. */
  sent: number;
  received: number;
  mbit: number;
  dds: FlowResult[];
  ddsOk: boolean;
  perTarget: { what: string; sent: number; received: number }[];
}

/**
 * One flood from `from` to `to`'s side of the VPN for FLOOD_SECONDS, with DDS both ways between the robot and
 * `second` (on `domain`) meanwhile, counted on `to`.
 */
async function floodOnce(from: Side, to: Side, dds: { robot: DdsSide; second: DdsSide }, domains: readonly number[]): Promise<FloodResult> {
  const targets = floodTargets(domains);
  nft(to, ['-f', '-'], counterRuleset(to.family, from.ip, targets, to.dev));
  try {
    const code = fs.readFileSync(FLOOD_PY, 'utf8');
    const args = [
      '--dev',
      from.dev,
      '--src',
      from.ip,
      '--sport',
      String(FLOOD_SPORT),
      '--seconds',
      String(FLOOD_SECONDS),
      '--mbit',
      String(FLOOD_MBIT),
    ];
    const sender = start([...from.sender, 'python3', '-c', code, ...args, ...targets.map((t) => `${t.ip}:${t.port}`)]);
    sender.done.catch(() => undefined); // awaited below
    await sleep(500);
    // DDS both ways while the flood runs (each ~5 s: the flood covers both).
    const up = await ddsFlow(dds.second, dds.robot, { seconds: 3 });
    const down = await ddsFlow(dds.robot, dds.second, { seconds: 3 });
    const { status, out } = await sender.done;
    if (status !== 0) throw new Error(`the flood sender in ${from.name} exited ${status}: ${out.trim().split('\n').slice(-3).join(' | ')}`);
    const report = parseFloodReport(out);
    await sleep(1000); // what is still in the tunnel's queues arrives
    const got = parseCounters(nft(to, ['-j', 'list', 'counters', 'table', to.family, TABLE]));
    const perTarget = targets.map((t, i) => ({ what: t.what, sent: report.targets[i]?.bytes ?? 0, received: got.get(`t${i}`) ?? 0 }));
    const sent = perTarget.reduce((a, t) => a + t.sent, 0);
    return {
      from: from.name,
      to: to.name,
      sent,
      received: perTarget.reduce((a, t) => a + t.received, 0),
      mbit: (sent * 8) / 1e6 / Math.max(report.seconds, 0.001),
      dds: [up, down],
      ddsOk: up.ok && down.ok,
      perTarget,
    };
  } finally {
    run(to.netns[0], [...to.netns.slice(1), 'nft', 'delete', 'table', to.family, TABLE]);
  }
}

const kb = (b: number) => (b / 1000).toFixed(1);
const mb = (b: number) => (b / 1e6).toFixed(1);
const pct = (r: FloodResult) => (r.sent > 0 ? (100 * r.received) / r.sent : 0);

/** The detail under a result line: rate, share, per target, DDS samples. */
function detail(r: FloodResult): string {
  const targets = r.perTarget.map((t) => `${t.what} ${kb(t.received)}/${kb(t.sent)} KB`).join(', ');
  const dds = r.dds.map((f) => `${f.from}->${f.to} ${f.samples}/${f.lost} lost`).join(', ');
  return `    ${r.mbit.toFixed(1)} Mbit/s for ${FLOOD_SECONDS} s, ${pct(r).toFixed(2)} % received (${targets}); DDS ${dds}`;
}

/** The topology's filter as the lab's rosvpn.json has it now (defaults: on, domain 0). */
export function labFilter(s: LabState): { enabled: boolean; domains: number[]; budgetKbps: number } {
  const doc = JSON.parse(fs.readFileSync(s.topologyFile, 'utf8').replace(/^\ufeff/, '')) as {
    filter?: { enabled?: boolean; domains?: number[]; multicastBudgetKbps?: number };
  };
  return { enabled: doc.filter?.enabled ?? true, domains: doc.filter?.domains ?? [0], budgetKbps: doc.filter?.multicastBudgetKbps ?? 100 };
}

/** Both floods for one second; `expect` 'guarded' (<= 1 % and DDS passing) or 'open' (> 50 %). */
async function floodBothWays(
  s: LabState,
  second: { name: string; vpnIp: string },
  domains: readonly number[],
  expect: 'guarded' | 'open',
  print: (l: string) => void,
  directions: ('to-robot' | 'from-robot')[] = ['to-robot', 'from-robot'],
): Promise<number> {
  const host = s.hosts.find((h) => h.name === second.name);
  if (!host) throw new Error(`no lab host for the second ${second.name}`);
  const robot = robotFloodSide(s);
  const sec = secondFloodSide(host, second.vpnIp);
  // DDS meanwhile on the last configured domain (domain 0 unless the topology lists others).
  const domain = domains[domains.length - 1];
  const dds = { robot: withDomain(robotSide(s), domain), second: withDomain(hostSide(host), domain) };
  let failures = 0;
  for (const dir of directions) {
    const r = dir === 'to-robot' ? await floodOnce(sec, robot, dds, domains) : await floodOnce(robot, sec, dds, domains);
    const share = r.sent > 0 ? r.received / r.sent : 0;
    const dds_ = `DDS${domain === 0 ? '' : ` (domain ${domain})`} ${r.ddsOk ? 'PASS' : 'FAIL'}`;
    const what =
      dir === 'to-robot'
        ? `the robot received ${kb(r.received)} KB of the ${mb(r.sent)} MB flooded from ${second.name}`
        : `${second.name} received ${kb(r.received)} KB of the ${mb(r.sent)} MB flooded from the robot LAN`;
    let ok: boolean;
    if (expect === 'guarded') {
      ok = r.sent > 0 && share <= MAX_SHARE && r.ddsOk;
      print(`flood guard: ${what}; ${dds_}`);
      if (!ok)
        print(
          `    FAIL: ${r.sent === 0 ? 'nothing was flooded' : share > MAX_SHARE ? `more than ${MAX_SHARE * 100} % arrived` : 'DDS failed during the flood'}`,
        );
    } else {
      ok = share > OFF_MIN_SHARE;
      print(
        `flood guard OFF: ${what} (${ok ? 'ok' : 'FAIL'}: the negative control expects more than ${OFF_MIN_SHARE * 100} %; ${dds_}, not required)`,
      );
    }
    print(detail(r));
    if (!ok) failures++;
  }
  return failures;
}

export function withDomain(side: DdsSide, domain: number): DdsSide {
  return domain === 0 ? side : { label: side.label, argv: [...side.argv, '-i', String(domain)] };
}

/** Rewrites the lab's rosvpn.json with filter.enabled set, keeping every other field; returns the text before. */
function setFilterEnabled(s: LabState, enabled: boolean): string {
  const before = fs.readFileSync(s.topologyFile, 'utf8');
  const doc = JSON.parse(before.replace(/^\ufeff/, '')) as { filter?: Record<string, unknown> };
  doc.filter = { ...(doc.filter ?? {}), enabled };
  fs.writeFileSync(s.topologyFile, `${JSON.stringify(doc, null, 2)}\n`);
  return before;
}

/**
 * The whole proof, after the DDS checks passed: every second floods and is flooded with the guard on; then the
 * negative control on the first second (filter.enabled false, provisioned: the flood must get through both
 * ways), then the guard back on (provisioned again: the first second's flood stops again). The number of failures.
 */
export async function proveFloodGuard(s: LabState, print: (l: string) => void): Promise<number> {
  const { enabled, domains, budgetKbps } = labFilter(s);
  const seconds = labSeconds(s);
  let failures = 0;
  print(
    `\nFlood guard: each second floods its bridge for ${FLOOD_SECONDS} s at ${FLOOD_MBIT} Mbit/s (${floodTargets(domains)
      .map((t) => `${t.what} ${t.ip}:${t.port}`)
      .join(', ')}), then the robot floods its LAN; counted on the other side (nft, by source, destination and port)`,
  );
  if (!enabled) {
    print(
      'flood guard: the topology has filter.enabled false; give a topology with the guard on (the demo turns it off itself for the negative control)',
    );
    return 1;
  }
  // The budget passes by design, for the flood's 10 s plus a second of burst and the DDS checks' margins (about
  // 12.5 s of it in the lab): above 60 % of the 1 % limit the proof cannot hold.
  const limitKbps = MAX_SHARE * FLOOD_MBIT * 1000 * 0.6;
  if (budgetKbps > limitKbps) {
    print(
      `flood guard: filter.multicastBudgetKbps is ${budgetKbps}: the guard lets that much through by design, more than the demo's ${MAX_SHARE * 100} % of ${FLOOD_MBIT} Mbit/s allows; give at most ${limitKbps} for the demo`,
    );
    return 1;
  }
  checkGuard(s, undefined); // the record `rosvpn check` keeps: the next check shows what the floods did
  for (const sec of seconds) failures += await floodBothWays(s, sec, domains, 'guarded', print);
  failures += checkGuard(s, print);

  const first = seconds[0];
  print(`\nNegative control: filter.enabled false, provisioned; the same flood, ${first.name} <-> the robot LAN`);
  const original = setFilterEnabled(s, false);
  try {
    if (!provisionAll(s, quiet(print))) {
      print('FAIL: provisioning with filter.enabled false failed');
      return failures + 1;
    }
    failures += await floodBothWays(s, first, domains, 'open', print);
  } finally {
    fs.writeFileSync(s.topologyFile, original);
  }
  print(`\nGuard back on: the topology as given, provisioned; ${first.name} floods again`);
  if (!provisionAll(s, quiet(print))) {
    print('FAIL: provisioning with the guard back on failed');
    return failures + 1;
  }
  failures += await floodBothWays(s, first, domains, 'guarded', print, ['to-robot']);
  return failures;
}

/**
 * `rosvpn check` as a user runs it after the floods (issue N item 3): its guard lines must show the gateway dropping
 * towards the robot LAN (the seconds' floods) and the desktop dropping towards the cloud (the robot LAN's), with the
 * budget warning. Without `print`, only runs the check (the baseline the figures are counted from).
 */
function checkGuard(s: LabState, print: ((l: string) => void) | undefined): number {
  const r = controllerCli(s, ['check', s.topologyFile, ...sshArgs(s)]);
  if (!print) return 0;
  const lines = r.stdout.split('\n').filter((l) => /\bguard\b/.test(l));
  print('\n$ rosvpn check (its guard lines, after the floods)');
  for (const l of lines) print(`  ${l.trim()}`);
  const name = (role: string) => s.hosts.find((h) => h.role === role)?.name ?? role;
  const want: [string, string][] = [
    [name('gateway'), 'towards the robot LAN'],
    [name('desktop'), 'towards the cloud'],
  ];
  const missing = want.filter(([host, dir]) => !lines.some((l) => l.includes(`the guard on ${host} dropped`) && l.includes(dir)));
  for (const [host, dir] of missing) print(`    FAIL: rosvpn check shows no drop by the guard on ${host} ${dir}`);
  return missing.length;
}

/** Provisioning's output reduced to its summary lines (the demo printed the full one before). */
function quiet(print: (l: string) => void): (l: string) => void {
  return (text: string) => {
    for (const l of text.split('\n'))
      if (/^\$ |^host\s+role|^\S+\s+(gateway|second|desktop|client)\s|^provision:|failed|error/i.test(l)) print(`  ${l.trimEnd()}`);
  };
}
