// The capture on the desktop's OpenVPN tap (issue N item 1): while DDS flows both ways robot <-> a second, an
// nftables netdev table inside the desktop host counts, on its tap, every IPv4 UDP datagram to the DDS group
// 239.255.0.1 in both directions (ingress: from the gateway, before the desktop's bridge guard; egress: to the
// gateway, after it), split into discovery (port 7400 + 250·d of filter.domains) and anything else (user data
// sent to a multicast locator: must be 0), and the unicast UDP between the robot and the second (the user data:
// must be > 0). The discovery count (> 0) proves the counter sees the tap's multicast at all. The negative
// control runs the same capture with CycloneDDS allowed (and preferring) multicast on both ends of a ddsperf pair,
// so that user data goes to the multicast locator: the counter must then see it. No packet capture tool: the
// kernel's counters, read with nft in the lab host (the lab image has no tcpdump).
import { type DdsSide, ddsFlow, type FlowResult, hostSide, labSeconds, robotSide } from './demo';
import { labFilter, withDomain } from './flood';
import { Lab, type LabHost, type LabState } from './lab';

const TABLE = 'rvcapture';
/** The DDS SPDP group (and, with multicast allowed, the group user data goes to). */
const DDS_GROUP = '239.255.0.1';
const COUNTERS = ['user_mc', 'discovery', 'unicast'] as const;
type CounterName = (typeof COUNTERS)[number];
const DIRS = ['in', 'out'] as const;

/**
 * The counting table on `tap`: per direction (in = ingress, out = egress) three named counters, for frames
 * between the robot and the second (unicast) and to the DDS group (discovery ports or any other port). The
 * leading `table …; delete table …` makes a rerun start from zero.
 */
export function captureRuleset(tap: string, domains: readonly number[], a: string, b: string): string {
  const ports = [...new Set(domains)].sort((x, y) => x - y).map((d) => 7400 + 250 * d);
  const chain = (dir: (typeof DIRS)[number]) => [
    `  chain ${dir} {`,
    `    type filter hook ${dir === 'in' ? 'ingress' : 'egress'} device "${tap}" priority -500; policy accept;`,
    `    ip daddr ${DDS_GROUP} udp dport { ${ports.join(', ')} } counter name "${dir}_discovery"`,
    `    ip daddr ${DDS_GROUP} udp dport != { ${ports.join(', ')} } counter name "${dir}_user_mc"`,
    `    ip saddr { ${a}, ${b} } ip daddr { ${a}, ${b} } meta l4proto udp counter name "${dir}_unicast"`,
    '  }',
  ];
  return [
    `table netdev ${TABLE}`,
    `delete table netdev ${TABLE}`,
    `table netdev ${TABLE} {`,
    ...DIRS.flatMap((d) => COUNTERS.map((c) => `  counter ${d}_${c} {}`)),
    ...chain('in'),
    ...chain('out'),
    '}',
    '',
  ].join('\n');
}

export type CaptureCounts = Record<`${(typeof DIRS)[number]}_${CounterName}`, number>;

/** Per counter, its packets, from `nft -j list counters table netdev rvcapture` (read from a lab host: validated). */
export function parseCaptureCounters(json: string): CaptureCounts {
  const doc = JSON.parse(json) as { nftables?: { counter?: { name?: unknown; packets?: unknown } }[] };
  const out: Partial<CaptureCounts> = {};
  for (const e of doc.nftables ?? []) {
    const name = e.counter?.name;
    const packets = e.counter?.packets;
    if (typeof name !== 'string' || typeof packets !== 'number' || !Number.isInteger(packets) || packets < 0) continue;
    out[name as keyof CaptureCounts] = packets;
  }
  for (const d of DIRS)
    for (const c of COUNTERS) if (out[`${d}_${c}`] === undefined) throw new Error(`the capture table has no counter ${d}_${c}`);
  return out as CaptureCounts;
}

/** The desktop's OpenVPN tap: the port of its rosbridge whose name starts with tap (tap0). */
function desktopTap(desktop: LabHost): string {
  const r = Lab.inHost(desktop, ['ip', '-o', 'link', 'show', 'master', 'rosbridge']);
  const taps = [...r.stdout.matchAll(/^\d+: (tap[A-Za-z0-9_.-]*)[@:]/gm)].map((m) => m[1]);
  if (taps.length !== 1)
    throw new Error(`the desktop's rosbridge has ${taps.length} tap ports (${taps.join(', ') || 'none'}); expected one`);
  return taps[0];
}

function nftIn(desktop: LabHost, args: string[], input?: string): string {
  const r = Lab.inHost(desktop, ['nft', ...args], input);
  if (r.status !== 0) throw new Error(`nft ${args.join(' ')} in the desktop exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

interface Capture {
  counts: CaptureCounts;
  flows: FlowResult[];
}

/** Loads the table, runs DDS both ways between `robot` and `second`, reads the counters, removes the table. */
async function captureWhile(desktop: LabHost, ruleset: string, robot: DdsSide, second: DdsSide): Promise<Capture> {
  nftIn(desktop, ['-f', '-'], ruleset);
  try {
    const up = await ddsFlow(second, robot, { seconds: 3 });
    const down = await ddsFlow(robot, second, { seconds: 3 });
    return { counts: parseCaptureCounters(nftIn(desktop, ['-j', 'list', 'counters', 'table', 'netdev', TABLE])), flows: [up, down] };
  } finally {
    Lab.inHost(desktop, ['nft', 'delete', 'table', 'netdev', TABLE]);
  }
}

/** A CycloneDDS config's text with user data allowed onto multicast and multicast preferred (a single reader). */
export function allowUserMulticast(xml: string): string {
  const out = xml
    .replace(/<AllowMulticast>spdp<\/AllowMulticast>/, '<AllowMulticast>true</AllowMulticast>')
    .replace(/<NetworkInterface name="([^"]+)"\s*\/>/, '<NetworkInterface name="$1" prefer_multicast="true"/>');
  if (!/<AllowMulticast>true</.test(out) || !/prefer_multicast="true"/.test(out))
    throw new Error('the CycloneDDS config has no <AllowMulticast>spdp</AllowMulticast> or no <NetworkInterface name=…/> to change');
  return out;
}

const TMP_XML = '/run/rvcapture-cyclonedds.xml';

const sum = (c: CaptureCounts, k: CounterName) => c[`in_${k}`] + c[`out_${k}`];
const flowsText = (f: FlowResult[]) => f.map((x) => `${x.from}->${x.to} ${x.samples}/${x.lost} lost`).join(', ');
const countsText = (c: CaptureCounts) =>
  `in/out: user-data multicast ${c.in_user_mc}/${c.out_user_mc}, discovery ${c.in_discovery}/${c.out_discovery}, unicast ${c.in_unicast}/${c.out_unicast}`;

/**
 * The capture for every second of the lab (rosvpn's configs: no user-data multicast may cross the tap), then the
 * negative control on the first second (multicast allowed and preferred on both ends: some must). Failures.
 */
export async function proveTapCapture(s: LabState, print: (l: string) => void): Promise<number> {
  const desktop = s.hosts.find((h) => h.role === 'desktop');
  if (!desktop) throw new Error('the lab has no desktop');
  const tap = desktopTap(desktop);
  const { domains } = labFilter(s);
  const domain = domains.includes(0) ? 0 : domains[0];
  const seconds = labSeconds(s);
  let failures = 0;
  print(
    `\nTap capture: nft netdev counters on the desktop's ${tap} (ingress and egress), DDS both ways robot <-> each second (domain ${domain}); UDP to ${DDS_GROUP}: discovery port(s) ${domains.map((d) => 7400 + 250 * d).join(', ')} or user data (any other port)`,
  );
  for (const sec of seconds) {
    const host = s.hosts.find((h) => h.name === sec.name);
    if (!host) throw new Error(`no lab host for the second ${sec.name}`);
    const rules = captureRuleset(tap, domains, s.robotIp, sec.vpnIp);
    const c = await captureWhile(desktop, rules, withDomain(robotSide(s), domain), withDomain(hostSide(host), domain));
    const ddsOk = c.flows.every((f) => f.ok);
    const [mc, disc, uni] = [sum(c.counts, 'user_mc'), sum(c.counts, 'discovery'), sum(c.counts, 'unicast')];
    const ok = ddsOk && mc === 0 && disc > 0 && uni > 0;
    print(
      `tap capture: DDS user data robot <-> ${sec.name} crossed the tap as unicast only: ${mc} multicast user-data frames, ${disc} discovery multicast frames, ${uni} unicast frames; DDS ${ddsOk ? 'PASS' : 'FAIL'}`,
    );
    print(`    ${countsText(c.counts)}; DDS ${flowsText(c.flows)}`);
    if (!ok) {
      failures++;
      const why = [
        mc > 0 ? 'user data crossed the tap by multicast' : '',
        disc === 0 ? 'no discovery multicast counted (the counter does not see the tap)' : '',
        uni === 0 ? 'no unicast counted' : '',
        ddsOk ? '' : 'DDS failed',
      ];
      print(`    FAIL: ${why.filter(Boolean).join('; ')}`);
    }
  }

  // Negative control: the first second and the robot with user data on multicast (a temporary config for these
  // ddsperf runs only: rosvpn's own, AllowMulticast true and prefer_multicast on its interface).
  const first = seconds[0];
  const host = s.hosts.find((h) => h.name === first.name)!;
  const xml = allowUserMulticast(Lab.inHost(host, ['cat', '/etc/rosvpn/cyclonedds.xml']).stdout);
  const w = Lab.inHost(host, ['sh', '-c', `umask 022; cat > ${TMP_XML}`], xml);
  if (w.status !== 0) throw new Error(`writing ${TMP_XML} in ${first.name} failed: ${w.stderr.trim()}`);
  try {
    const robot = robotSide(s);
    const mcRobot: DdsSide = {
      label: robot.label,
      argv: robot.argv.map((a) => (a.startsWith('CYCLONEDDS_URI=') ? `CYCLONEDDS_URI=${allowUserMulticast(a.slice(15))}` : a)),
    };
    const sec = hostSide(host);
    const mcSecond: DdsSide = {
      label: sec.label,
      argv: sec.argv.map((a) => (a.startsWith('CYCLONEDDS_URI=') ? `CYCLONEDDS_URI=file://${TMP_XML}` : a)),
    };
    const rules = captureRuleset(tap, domains, s.robotIp, first.vpnIp);
    const c = await captureWhile(desktop, rules, withDomain(mcRobot, domain), withDomain(mcSecond, domain));
    const mc = sum(c.counts, 'user_mc');
    const ok = mc > 0;
    print(
      `tap capture, negative control (AllowMulticast true, prefer_multicast, on both ends): ${mc} multicast user-data frames robot <-> ${first.name} crossed the tap (${ok ? 'ok' : 'FAIL'}: expects more than 0), ${sum(c.counts, 'discovery')} discovery, ${sum(c.counts, 'unicast')} unicast`,
    );
    print(`    ${countsText(c.counts)}; DDS ${flowsText(c.flows)} (not required: the guard holds multicast user data to its budget)`);
    if (!ok) failures++;
  } finally {
    Lab.inHost(host, ['rm', '-f', TMP_XML]);
  }
  return failures;
}
