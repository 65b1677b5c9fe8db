// The lifecycle demo on the lab (`npm run demo -- --lifecycle`, and the CI e2e test/integration/lab/unprovision):
// every lab host's state is snapshotted before provisioning; provision; DDS robot <-> every second; the last
// second is unprovisioned, cut out of rosvpn.json and everything provisioned again, after which no remaining
// host may carry a trace of it and it must equal its snapshot; `rosvpn check --json` passes every multicast and
// 1500-byte pair, and fails exactly the pairs across the tunnel while the desktop's OpenVPN client is stopped
// (the negative control); finally every host is unprovisioned and must equal its snapshot again. Everything
// through the real CLI from the controller namespace, as the demo does.
import * as fs from 'fs';
import { OPENVPN_CLIENT_UNIT } from '../src/core/render/openvpn';
import { removeSecondFromDocument } from '../src/core/topology/document';
import { controllerCli, labSeconds, proveSeconds, provisionAll, robotMtuPing, sshArgs } from './demo';
import { Lab, type LabHost, type LabState, waitFor } from './lab';

/** What a host's state is made of, one `kind name` key to its value; see SNAPSHOT_SCRIPT. */
export type Snapshot = Map<string, string>;

/** Where ROS VPN writes files (and what it may leave behind); each entry: path, mode, owner, type, sha256 or target. */
export const SNAPSHOT_PATHS = [
  '/etc/openvpn',
  '/etc/rosvpn',
  '/usr/local/lib/rosvpn',
  '/etc/sysctl.d',
  '/etc/NetworkManager/conf.d',
  '/etc/systemd/network',
  '/etc/environment',
  '/etc/systemd/system',
];

/**
 * net.* kernel values that change by themselves (counters, per-boot keys): never part of a snapshot. A lab
 * host has its own network namespace but shares the kernel, so `sysctl -a` in it shows its namespace's net.*
 * values (net.ipv4.conf.*, net.ipv6.*, most of net.ipv4.*) and the kernel-wide ones (net.core.rmem_max,
 * which ROS VPN raises where it may) alike; both count.
 */
const VOLATILE_SYSCTL = /^net\.netfilter\.nf_conntrack_count$|stable_secret$|^net\.ipv4\.tcp_fastopen_key$/;

/** Prints `kind key<TAB>value` lines: links, addresses, routes, bridge FDB, enabled units, net.* sysctls, files. */
const SNAPSHOT_SCRIPT = `
ip -o link show | sed -E 's/^[0-9]+: ([^:@ ]+)(@[^: ]+)?: /link \\1\\t/'
ip -o addr show | awk '{ print "addr " $2 " " $4 "\\t" $3 }'
ip -4 route show table all | sed 's/^/route4 /; s/$/\\t/'
ip -6 route show table main | sed -E 's/ expires [0-9]+sec//; s/^/route6 /; s/$/\\t/'
bridge fdb show | sed 's/^/fdb /; s/$/\\t/'
systemctl list-unit-files --state=enabled --no-legend 2>/dev/null | awk '{ print "unit " $1 "\\t" $2 }'
sysctl -a 2>/dev/null | grep '^net\\.' | sed 's/^/sysctl /; s/ = /\\t/'
find ${SNAPSHOT_PATHS.join(' ')} -printf '%p\\t%m %u:%g %y\\n' 2>/dev/null | while IFS=$'\\t' read -r p meta; do
  case "$meta" in
    *' f') h=$(sha256sum <"$p" | cut -c1-16) ;;
    *' l') h=$(readlink "$p") ;;
    *) h='' ;;
  esac
  printf 'file %s\\t%s %s\\n' "$p" "$meta" "$h"
done
`;

export function snapshot(h: LabHost): Snapshot {
  const r = Lab.inHost(h, ['bash', '-c', SNAPSHOT_SCRIPT]);
  const snap: Snapshot = new Map();
  for (const line of r.stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const key = line.slice(0, tab);
    if (key.startsWith('sysctl ') && VOLATILE_SYSCTL.test(key.slice(7))) continue;
    snap.set(key, line.slice(tab + 1).trim());
  }
  if (snap.size === 0) throw new Error(`snapshot of ${h.name} is empty: ${r.stderr.trim().slice(0, 200)}`);
  return snap;
}

/** Every key whose value differs: `key: before -> after` (`-` where absent). */
export function diffSnapshots(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  const show = (v: string | undefined) => (v === undefined ? '-' : v === '' ? '(present)' : v);
  for (const k of new Set([...before.keys(), ...after.keys()])) {
    if (before.get(k) !== after.get(k)) out.push(`${k}: ${show(before.get(k))} -> ${show(after.get(k))}`);
  }
  return out.sort();
}

export interface LifecycleHooks {
  /** Runs while every remaining host is provisioned, just before the final unprovision (the e2e test's refusal). */
  beforeUnprovisionAll?: (s: LabState) => void | Promise<void>;
}

export interface LifecycleResult {
  ok: boolean;
  failures: string[];
  /** The second that was removed midway. */
  removed: string;
  /** The output of the final `rosvpn unprovision --yes`. */
  unprovisionOutput: string;
}

type Pair = { kind: string; from: string; to: string; status: string; msg: string };

/** `rosvpn check FILE --json`: every pair of every host (undefined when there is no JSON report). */
function checkPairs(s: LabState): Pair[] | undefined {
  const r = controllerCli(s, ['check', s.topologyFile, '--json', ...sshArgs(s)]);
  try {
    const report = JSON.parse(r.stdout) as { hosts: { pairs?: Pair[] }[] };
    return report.hosts.flatMap((h) => h.pairs ?? []);
  } catch {
    return undefined;
  }
}

const count = (pairs: Pair[], status: string) => pairs.filter((p) => p.status === status).length;

/** What of the removed second a remaining host still holds: flood/FDB entries, neighbours, tunnel devices, files naming it. */
function tracesOf(h: LabHost, gone: { name: string; cloudIp: string; vpnIp: string }): string[] {
  const q = (x: string) => x.replace(/\./g, '\\.');
  const ips = `(^|[^0-9.])(${q(gone.cloudIp)}|${q(gone.vpnIp)})([^0-9.]|$)`;
  const script = `
bridge fdb show | grep -E '${ips}' | sed 's/^/fdb: /'
ip neigh show | grep -E '${ips}' | sed 's/^/neighbour: /'
ip -d link show | grep -E '${ips}' | sed 's/^/link: /'
ip -o link show | awk -F': ' '{ print $2 }' | grep -F -- '${gone.name}' | sed 's/^/device: /'
grep -rlE -- '${ips}|(^|[^A-Za-z0-9_-])${q(gone.name)}([^A-Za-z0-9_-]|$)' /etc/rosvpn /usr/local/lib/rosvpn 2>/dev/null | sed 's/^/file: /'
true`;
  return Lab.inHost(h, ['bash', '-c', script])
    .stdout.split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * The whole lifecycle on a lab that is up and not yet provisioned (needs >= 2 seconds). Prints as it goes;
 * never throws for a failed check (it is in `failures`), only for a lab that cannot be driven at all.
 */
// long: the five steps of the lifecycle in order, each printing its result; split, they would only pass state around
export async function runLifecycle(s: LabState, print: (l: string) => void, hooks: LifecycleHooks = {}): Promise<LifecycleResult> {
  const failures: string[] = [];
  const fail = (what: string) => {
    failures.push(what);
    print(`FAIL ${what}`);
  };
  const t0 = Date.now();
  const took = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
  const topo = JSON.parse(fs.readFileSync(s.topologyFile, 'utf8')) as {
    gateway: { vpnIp: string };
    seconds: { name: string; cloudIp: string; vpnIp: string }[];
  };
  if (topo.seconds.length < 2) throw new Error(`the lifecycle needs at least 2 seconds; the topology has ${topo.seconds.length}`);
  const victim = topo.seconds[topo.seconds.length - 1];
  const gone = { name: victim.name, cloudIp: victim.cloudIp, vpnIp: victim.vpnIp.split('/')[0] };
  const provisioned = s.hosts.filter((h) => h.role !== 'client');

  // 1. Snapshots before provisioning.
  const before = new Map(provisioned.map((h) => [h.name, snapshot(h)]));
  print(`\n[1] snapshot before provisioning: ${provisioned.map((h) => `${h.name} ${before.get(h.name)!.size} keys`).join(', ')}`);

  // 2. Provision; the snapshots must differ (the comparison can fail); DDS both ways robot <-> every second.
  if (!provisionAll(s, print)) throw new Error('rosvpn provision failed');
  const changed = provisioned.map((h) => ({ h, n: diffSnapshots(before.get(h.name)!, snapshot(h)).length }));
  print(`[2] snapshot differs after provisioning: ${changed.map((c) => `${c.h.name} ${c.n} keys`).join(', ')}   (${took()})`);
  for (const c of changed.filter((x) => x.n === 0)) fail(`${c.h.name}: provisioning changed nothing in its snapshot`);
  let dds = await proveSeconds(s, { seconds: 3 });
  print('DDS (ddsperf, samples received / lost):');
  for (const r of dds.rows) print(r);
  if (dds.failures) fail(`DDS robot <-> seconds: ${dds.failures} pair(s) failed`);

  // 3. Remove the last second: unprovision it, cut it out of rosvpn.json, provision again; no trace of it left.
  print(`\n[3] $ rosvpn unprovision rosvpn.json --host ${gone.name} --yes`);
  const un1 = controllerCli(s, ['unprovision', s.topologyFile, '--host', gone.name, '--yes', ...sshArgs(s)]);
  if (un1.status !== 0)
    fail(`unprovision --host ${gone.name} exited ${un1.status}: ${(un1.stdout + un1.stderr).trim().split('\n').slice(-5).join(' | ')}`);
  fs.writeFileSync(s.topologyFile, removeSecondFromDocument(fs.readFileSync(s.topologyFile, 'utf8'), gone.name));
  print(
    `removed ${gone.name} from rosvpn.json (seconds now: ${labSeconds(s)
      .map((x) => x.name)
      .join(', ')})`,
  );
  if (!provisionAll(s, print)) throw new Error('rosvpn provision (after removing a second) failed');
  const remaining = provisioned.filter((h) => h.name !== gone.name);
  const left = remaining.flatMap((h) => tracesOf(h, gone).map((x) => `${h.name}: ${x}`));
  const victimHost = provisioned.find((h) => h.name === gone.name)!;
  const victimDiff = diffSnapshots(before.get(gone.name)!, snapshot(victimHost));
  if (left.length === 0 && victimDiff.length === 0)
    print(
      `removed second ${gone.name}: no trace left on ${remaining.map((h) => h.name).join(', ')}; ${gone.name} is back to its state before provisioning   (${took()})`,
    );
  else {
    for (const l of left) print(`  left: ${l}`);
    for (const d of victimDiff.slice(0, 20)) print(`  ${gone.name} differs: ${d}`);
    fail(
      `removed second ${gone.name}: ${left.length} trace(s) left on the remaining hosts, ${victimDiff.length} difference(s) on ${gone.name}`,
    );
  }
  dds = await proveSeconds(s, { seconds: 3 });
  for (const r of dds.rows) print(r);
  if (dds.failures) fail(`DDS robot <-> remaining seconds: ${dds.failures} pair(s) failed`);

  // 4. rosvpn check --json: every pair passes; with the desktop's OpenVPN client stopped, exactly the pairs across the tunnel fail.
  print(`\n[4] $ rosvpn check rosvpn.json --json`);
  const pairs = checkPairs(s);
  if (!pairs?.length) fail('rosvpn check --json gave no pairs');
  else {
    print(`check: ${count(pairs, 'pass')}/${pairs.length} pairs pass (multicast 239.255.0.1 and 1500-byte DF frames)`);
    for (const p of pairs.filter((x) => x.status !== 'pass')) fail(`check ${p.kind} ${p.from} -> ${p.to}: ${p.msg}`);
  }
  const desktop = provisioned.find((h) => h.role === 'desktop');
  if (desktop) {
    print(`negative control: systemctl stop ${OPENVPN_CLIENT_UNIT} on desktop`);
    Lab.inHost(desktop, ['systemctl', 'stop', OPENVPN_CLIENT_UNIT]);
    const cut = checkPairs(s) ?? [];
    const across = cut.filter((p) => p.from === 'desktop' || p.to === 'desktop');
    const cloud = cut.filter((p) => p.from !== 'desktop' && p.to !== 'desktop');
    print(
      `check with the tunnel down: across the tunnel ${count(across, 'fail')}/${across.length} pairs fail, cloud side ${count(cloud, 'pass')}/${cloud.length} pairs pass`,
    );
    if (!across.length || count(across, 'pass'))
      fail(`negative control: ${count(across, 'pass')} pair(s) across the stopped tunnel still pass`);
    if (!cloud.length || count(cloud, 'fail'))
      fail(`negative control: ${count(cloud, 'fail')} cloud-side pair(s) fail with only the desktop's tunnel down`);
    Lab.inHost(desktop, ['systemctl', 'start', OPENVPN_CLIENT_UNIT]);
    const gwIp = topo.gateway.vpnIp.split('/')[0];
    if (waitFor(() => robotMtuPing(s, gwIp), 90000, 1000))
      print(`${OPENVPN_CLIENT_UNIT} started again: the robot reaches the gateway   (${took()})`);
    else {
      // What was seen, to tell a slow reconnect from a tunnel that is up but does not carry the robot's frames.
      const why = Lab.inHost(desktop, [
        'sh',
        '-c',
        `systemctl is-active ${OPENVPN_CLIENT_UNIT}; journalctl -u ${OPENVPN_CLIENT_UNIT} -n 8 --no-pager -o cat; bridge link; ip -br addr`,
      ]);
      for (const l of why.stdout.trim().split('\n')) print(`  desktop: ${l}`);
      fail(`the desktop's tunnel did not come back within 90 s of starting ${OPENVPN_CLIENT_UNIT}`);
    }
  }

  // 5. Unprovision every host: each one (the removed second included) equals its snapshot again.
  await hooks.beforeUnprovisionAll?.(s);
  print(`\n[5] $ rosvpn unprovision rosvpn.json --yes`);
  const un = controllerCli(s, ['unprovision', s.topologyFile, '--yes', ...sshArgs(s)]);
  const unprovisionOutput = un.stdout + un.stderr;
  if (un.status !== 0) fail(`unprovision exited ${un.status}: ${unprovisionOutput.trim().split('\n').slice(-5).join(' | ')}`);
  const diffs = provisioned.map((h) => ({ h, d: diffSnapshots(before.get(h.name)!, snapshot(h)) }));
  const back = diffs.filter((x) => x.d.length === 0).length;
  if (back === provisioned.length) print(`unprovision: ${back} hosts back to their state before provisioning   (${took()})`);
  else {
    for (const x of diffs.filter((y) => y.d.length)) {
      print(`  ${x.h.name}: ${x.d.length} difference(s)`);
      for (const d of x.d.slice(0, 15)) print(`    ${d}`);
    }
    fail(`unprovision: ${back}/${provisioned.length} hosts back to their state before provisioning`);
  }
  return { ok: failures.length === 0, failures, removed: gone.name, unprovisionOutput };
}
