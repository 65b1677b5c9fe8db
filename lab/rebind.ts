// NAT rebinding (issue K item 3), on a lab made with `nat`: the LAN router's mapping of the desktop's OpenVPN
// socket changes mid-run, as when a home router gets a new public address from its ISP or reboots, and the
// tunnel must come back by itself. Two cases:
//   new public address   the router's WAN leg loses its address for another; masquerade drops the conntrack
//                        entries of the old one, so the desktop's next packet leaves from the new address
//   conntrack flushed    `conntrack -F` in the router: the next packet gets a new mapping (often the same port;
//                        another when a packet from the gateway came in first and holds the old one)
// Each is measured twice, once per direction of the probe, because who speaks first decides the recovery: a
// ping from the robot makes the desktop's OpenVPN client send at once (the gateway then floats to its new
// address: peer-id), while a ping from a second reaches only the gateway, which sends it to the old mapping,
// so nothing moves until the desktop's client sends something of its own: its keepalive ping.
import { labSeconds, ddsFlow, hostSide, robotSide } from './demo';
import { INET_PREFIX, Lab, type LabHost, type LabState } from './lab';
import { must, run } from './sh';
import { OPENVPN_CLIENT_UNIT, OPENVPN_SERVER_UNIT } from '../src/core/render/openvpn';

export interface RebindResult {
  what: 'new public address' | 'conntrack flushed';
  /** Who probed: the robot (desktop side speaks first) or the second (gateway side speaks first). */
  from: 'robot' | 'second';
  /** The slowest run: seconds from the change until the first ping reply (undefined: none within the limit). */
  seconds?: number;
  /** Every run's seconds (undefined: none within the limit). */
  runs: (number | undefined)[];
  /** DDS second -> robot after the recovery. */
  ddsOk: boolean;
}

/** The router's public addresses it alternates between (.3 is ROUTER_INET; .4 is free in the lab's plan). */
const PUBLIC = [`${INET_PREFIX}.3`, `${INET_PREFIX}.4`];

/**
 * Pings every 0.5 s until the first reply or `limit` s from `t0`; the seconds from `t0` to that reply, and how
 * often the ping ended early. A ping that ends without a reply before the limit is started again: `ping -c 1`
 * counts an error as the packet it waits for, and while the tunnel is down the prober's own neighbour entry for
 * the target fails (its ARP probes go into the dead tunnel: PROBE, INCOMPLETE, FAILED), so its kernel answers
 * "Destination Host Unreachable" some seconds in. That ended the measurement as NEVER while the tunnel was back
 * at that moment (the gateway logged its float within 0.3 s of ping giving up) — the NEVER of issue K item 3, in about
 * 1 of 5 "new public address" runs probed from the second, whenever the steady-state ping had left the second's
 * entry for the robot in DELAY or PROBE.
 */
export function pingUntilReply(argv: string[], ip: string, t0: number, limit: number): { seconds?: number; early: number } {
  for (let early = 0; ; early++) {
    const left = Math.ceil(limit - (Date.now() - t0) / 1000);
    if (left <= 0) return { early };
    const r = run(argv[0], [...argv.slice(1), 'ping', '-n', '-q', '-i', '0.5', '-W', '1', '-c', '1', '-w', String(left), ip]);
    if (r.status === 0) return { seconds: (Date.now() - t0) / 1000, early };
    // Not at once again: a ping that fails immediately (no route) would otherwise spin.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  }
}

/** Moves the router's WAN leg to the other public address (old one removed) and returns the new one. */
function newPublicAddress(s: LabState): string {
  const ns = s.router.ns;
  const old = s.router.publicIp!;
  const next = PUBLIC.find((a) => a !== old)!;
  // The routes of wan0 besides its subnet's (the /32 to a gateway public address outside the internet subnet):
  // the kernel flushes a device's routes when its last address goes, so they are put back after the change.
  const routes = run('ip', ['-n', ns, '-4', 'route', 'show', 'dev', 'wan0'])
    .stdout.split('\n')
    .filter((l) => l.trim() && !/proto kernel/.test(l));
  must('ip', ['-n', ns, 'addr', 'del', `${old}/24`, 'dev', 'wan0']);
  must('ip', ['-n', ns, 'addr', 'add', `${next}/24`, 'dev', 'wan0']);
  for (const r of routes) must('ip', ['-n', ns, 'route', 'replace', ...r.trim().split(/\s+/), 'dev', 'wan0']);
  s.router.publicIp = next;
  return next;
}

/** What the tunnel looks like when it does not answer: the router's UDP mappings and both OpenVPN ends' last lines. */
function tunnelState(s: LabState): string {
  const gw = s.hosts.find((h) => h.role === 'gateway')!;
  const desk = s.hosts.find((h) => h.role === 'desktop')!;
  const tail = (h: LabHost, unit: string) =>
    Lab.inHost(h, ['journalctl', '-u', unit, '-n', '15', '--no-pager', '-o', 'short-precise']).stdout;
  const conntrack = run('ip', ['netns', 'exec', s.router.ns, 'conntrack', '-L', '-p', 'udp']).stdout;
  return `router ${s.router.publicIp}, UDP conntrack:\n${conntrack}\ngateway:\n${tail(gw, OPENVPN_SERVER_UNIT)}\ndesktop:\n${tail(desk, OPENVPN_CLIENT_UNIT)}`;
}

function flushConntrack(s: LabState): void {
  must('ip', ['netns', 'exec', s.router.ns, 'conntrack', '-F']);
}

/**
 * Both cases, each probed from a second `repeat` times (where the client's keepalive phase matters) and from the
 * robot once; `limit` s per event. Prints one line per case and probe: the slowest run, then every run. The
 * tunnel must be up (DDS passed) before.
 */
// long: two cases x two probes, each with its steady state, change, probe and DDS check, printed in one place
export async function measureRebinding(
  s: LabState,
  print: (l: string) => void,
  opts: { limit?: number; repeat?: number } = {},
): Promise<RebindResult[]> {
  if (!s.nat) throw new Error('NAT rebinding needs a lab with --nat');
  const limit = opts.limit ?? 90;
  const first = labSeconds(s)[0];
  const host: LabHost = s.hosts.find((h) => h.name === first.name)!;
  const robotPing = ['ip', 'netns', 'exec', s.robotNs];
  const secondPing = ['nsenter', '-t', String(Lab.initPid(host)), '-n', '--'];
  const fmt = (x: number | undefined) => (x === undefined ? `NEVER (> ${limit})` : x.toFixed(1));
  const out: RebindResult[] = [];
  for (const what of ['new public address', 'conntrack flushed'] as const) {
    for (const from of ['second', 'robot'] as const) {
      const runs: (number | undefined)[] = [];
      let detail = '';
      let early = 0;
      for (let i = 0; i < (from === 'second' ? (opts.repeat ?? 1) : 1); i++) {
        // Steady state first: the robot's ping answered (the desktop's client just sent), so the change alone is measured.
        if (pingUntilReply(robotPing, first.vpnIp, Date.now(), 30).seconds === undefined)
          throw new Error(`no ping robot -> second before the change (${what}, probe from the ${from}, run ${i + 1})\n${tunnelState(s)}`);
        detail = what === 'new public address' ? `router now ${newPublicAddress(s)}` : (flushConntrack(s), 'router conntrack flushed');
        const t0 = Date.now();
        const p = from === 'robot' ? pingUntilReply(robotPing, first.vpnIp, t0, limit) : pingUntilReply(secondPing, s.robotIp, t0, limit);
        runs.push(p.seconds);
        early += p.early;
      }
      const seconds = runs.some((r) => r === undefined) ? undefined : Math.max(...(runs as number[]));
      const dds = await ddsFlow(hostSide(host), robotSide(s), { seconds: 2 });
      out.push({ what, from, seconds, runs, ddsOk: dds.ok });
      print(
        `NAT rebinding (${what}): tunnel back after ${fmt(seconds)} s   ` +
          `(probe: ping from the ${from === 'robot' ? 'robot, the desktop side speaks first' : `${first.name}, the gateway side speaks first`}` +
          `${runs.length > 1 ? `; slowest of ${runs.length}: ${runs.map(fmt).join(', ')} s` : ''}; ${detail}; ` +
          `${early ? `the probe's ping ended early ${early} time(s) (prober's neighbour entry failed; pinged on); ` : ''}` +
          `then DDS ${first.name}->robot ${dds.ok ? 'ok' : 'FAIL'} ${dds.samples}/${dds.lost} lost)`,
      );
    }
  }
  return out;
}
