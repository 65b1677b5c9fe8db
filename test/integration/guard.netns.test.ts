// The bridge guard's ruleset (guard.ts, exactly the file the scripts install) on this kernel, in network
// namespaces of the test's own: a guarded host (standing in for the desktop) whose bridge rosbridge has a port
// named like OpenVPN's tap (tap0, a veth to the "cloud" namespace) and a LAN port (to the "robot" namespace).
// Proves: DDS discovery (SPDP, 239.255.0.1:7400 + 250·domain) crosses both ways; user-data multicast (7401)
// and broadcast floods reach the other side only up to the budget, both ways and from the host itself; unicast
// and ARP pass untouched; the check script's guard part reads the counters, which count what happened.
// Negative control: without the table the same flood crosses. Needs root (ip netns), nft and python3.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FILE_LIB, libBody, STEP_LIB } from '../../src/core/render/bash';
import checkGuardSh from '../../src/core/render/lib/check-guard.sh';
import { budgetRate, GUARD_TABLE, guardStep, renderGuardNft, spdpPort } from '../../src/core/render/guard';
import { parseGuardLines, type GuardReading } from '../../src/core/provision/guard';
import { must, requireTool, run, start } from '../../lab/sh';
import { UDP_SENDER } from '../support/udpSender';

/** Counts UDP datagrams per port for a while: joins 239.255.0.1 on ADDR, binds every port on all addresses. */
const RECEIVER = `
import json, select, socket, struct, sys, time
addr, secs, ports = sys.argv[1], float(sys.argv[2]), [int(p) for p in sys.argv[3:]]
socks = {}
for p in ports:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(('', p))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack('4s4s', socket.inet_aton('239.255.0.1'), socket.inet_aton(addr)))
    socks[s] = p
got = {p: [0, 0] for p in ports}
print('ready', flush=True)
end = time.time() + secs
while time.time() < end:
    r, _, _ = select.select(list(socks), [], [], 0.05)
    for s in r:
        n = len(s.recv(65535))
        got[socks[s]][0] += 1
        got[socks[s]][1] += n
print(json.dumps(got), flush=True)
`;

const GROUP = '239.255.0.1';
const FLOOD_COUNT = 1500;
const FLOOD_SIZE = 1000;
const FLOOD_BYTES = FLOOD_COUNT * FLOOD_SIZE;
const USER_DATA = 7401;
const BROADCAST_PORT = 9999;
const UNICAST_PORT = 5001;
const FILTER = { enabled: true, domains: [0, 1], multicastBudgetKbps: 100 };
const SPDP = FILTER.domains.map(spdpPort); // 7400, 7650
const PORTS = [...SPDP, USER_DATA, BROADCAST_PORT, UNICAST_PORT];

describe('the bridge guard (nftables, bridge family) on a tap port, in network namespaces', function () {
  this.timeout(120_000);
  const id = process.pid % 1000;
  const ns = { host: `rvguard${id}h`, cloud: `rvguard${id}c`, robot: `rvguard${id}r` };
  const addr = { host: '10.93.0.1', cloud: '10.93.0.2', robot: '10.93.0.3' };
  type Side = keyof typeof ns;
  const ip = (...args: string[]) => must('ip', args);
  const nft = (...args: string[]) => run('ip', ['netns', 'exec', ns.host, 'nft', ...args]);

  function loadGuard(): void {
    const r = run('ip', ['netns', 'exec', ns.host, 'nft', '-f', '-'], { input: renderGuardNft('desktop', FILTER) });
    assert.equal(r.status, 0, `nft -f failed: ${r.stderr}`);
  }

  /** The check script's guard part, run in the host namespace (as root), parsed as rosvpn check parses it. */
  function guardReport(): GuardReading {
    const script = `GUARD_WANTED='1'\nGUARD_TABLE='${GUARD_TABLE}'\n${libBody('check-guard.sh', checkGuardSh)}`;
    const r = run('ip', ['netns', 'exec', ns.host, 'bash', '-c', script]);
    assert.equal(r.status, 0, r.stderr);
    const report = parseGuardLines(r.stdout);
    assert.ok(report.state, `no ::guard-state line in: ${r.stdout}`);
    return report;
  }
  const count = (r: GuardReading, name: string) => r.counters[name] ?? { packets: 0, bytes: 0 };

  /** `to` listens on every port while `from` sends each [dst, port, count, size]; what `to` received, per port. */
  async function traffic(from: Side, to: Side, sends: [string, number, number, number][]): Promise<Record<number, [number, number]>> {
    const rx = start(['ip', 'netns', 'exec', ns[to], 'python3', '-c', RECEIVER, addr[to], '4', ...PORTS.map(String)]);
    for (let i = 0; i < 100 && !rx.out().includes('ready'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(rx.out().includes('ready'), `receiver in ${to} did not start: ${rx.out()}`);
    for (const [dst, port, n, size] of sends) {
      const tx = await start([
        'ip',
        'netns',
        'exec',
        ns[from],
        'python3',
        '-c',
        UDP_SENDER,
        addr[from],
        dst,
        String(port),
        String(n),
        String(size),
      ]).done;
      assert.equal(tx.status, 0, tx.out);
    }
    const done = await rx.done;
    assert.equal(done.status, 0, done.out);
    return JSON.parse(done.out.trim().split('\n').pop()!) as Record<number, [number, number]>;
  }

  /** What the budget lets through in the few seconds a phase lasts: nft's bucket (rate + burst), then the rate × 4 s. */
  const { kbytesPerSecond, burstKbytes } = budgetRate(FILTER.multicastBudgetKbps);
  const budgetBytes = (kbytesPerSecond + burstKbytes + kbytesPerSecond * 4) * 1024;

  before(function () {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (ip netns); CI runs as root');
    for (const tool of ['ip', 'nft', 'python3', 'bash']) requireTool(tool);
    for (const n of Object.values(ns)) ip('netns', 'add', n);
    for (const n of Object.values(ns)) ip('-n', n, 'link', 'set', 'lo', 'up');
    ip('-n', ns.host, 'link', 'add', 'rosbridge', 'type', 'bridge', 'stp_state', '0', 'mcast_snooping', '0');
    // The port named like OpenVPN's tap (dev tap -> tap0), and the robot LAN's port.
    ip('-n', ns.host, 'link', 'add', 'tap0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.cloud);
    ip('-n', ns.host, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.robot);
    for (const port of ['tap0', 'lan0']) {
      ip('-n', ns.host, 'link', 'set', port, 'master', 'rosbridge');
      ip('-n', ns.host, 'link', 'set', port, 'up');
    }
    ip('-n', ns.host, 'addr', 'add', `${addr.host}/24`, 'dev', 'rosbridge');
    ip('-n', ns.host, 'link', 'set', 'rosbridge', 'up');
    for (const side of ['cloud', 'robot'] as const) {
      ip('-n', ns[side], 'addr', 'add', `${addr[side]}/24`, 'dev', 'eth0');
      ip('-n', ns[side], 'link', 'set', 'eth0', 'up');
    }
    loadGuard();
  });

  after(() => {
    for (const n of Object.values(ns)) run('ip', ['netns', 'del', n]);
    const left = run('ip', ['netns', 'list']).stdout;
    assert.ok(!Object.values(ns).some((n) => left.includes(n)), `namespaces left behind: ${left}`);
  });

  it('loads on this kernel; the check part reports it on with every counter at 0', () => {
    const r = guardReport();
    assert.equal(r.state, 'on');
    assert.equal(Object.keys(r.counters).length, 10, JSON.stringify(r));
    assert.equal(count(r, 'to_lan_dropped').packets, 0);
  });

  it('ARP and unicast pass both ways, counted as such', async () => {
    const before = guardReport();
    const ping = run('ip', ['netns', 'exec', ns.cloud, 'ping', '-c', '3', '-i', '0.2', '-W', '2', addr.robot]);
    assert.equal(ping.status, 0, `cloud -> robot ping: ${ping.stdout}`);
    const got = await traffic('cloud', 'robot', [[addr.robot, UNICAST_PORT, FLOOD_COUNT, FLOOD_SIZE]]);
    assert.ok(got[UNICAST_PORT][0] >= FLOOD_COUNT * 0.95, `a unicast flood passes: ${JSON.stringify(got)}`);
    const after = guardReport();
    for (const d of ['to_lan', 'to_cloud']) {
      assert.ok(count(after, `${d}_arp`).packets > count(before, `${d}_arp`).packets, `${d}_arp counted: ${JSON.stringify(after)}`);
      assert.ok(count(after, `${d}_unicast`).packets > count(before, `${d}_unicast`).packets, `${d}_unicast counted`);
    }
    assert.ok(count(after, 'to_lan_unicast').packets - count(before, 'to_lan_unicast').packets >= FLOOD_COUNT);
    assert.equal(count(after, 'to_lan_dropped').packets, count(before, 'to_lan_dropped').packets, 'nothing dropped');
  });

  it('cloud -> robot LAN: SPDP of both domains passes; a user-data multicast and a broadcast flood stop at the budget', async () => {
    const before = guardReport();
    const got = await traffic('cloud', 'robot', [
      [GROUP, SPDP[0], 20, 300],
      [GROUP, SPDP[1], 20, 300],
      [GROUP, USER_DATA, FLOOD_COUNT, FLOOD_SIZE],
      ['10.93.0.255', BROADCAST_PORT, FLOOD_COUNT, FLOOD_SIZE],
    ]);
    assert.equal(got[SPDP[0]][0], 20, `SPDP domain 0: ${JSON.stringify(got)}`);
    assert.equal(got[SPDP[1]][0], 20, `SPDP domain 1: ${JSON.stringify(got)}`);
    const flooded = got[USER_DATA][1] + got[BROADCAST_PORT][1];
    assert.ok(flooded <= budgetBytes, `the robot received ${flooded} B of the ${2 * FLOOD_BYTES} B flood (budget ${budgetBytes} B)`);
    assert.ok(flooded > 0, 'the budget passes some (it is a budget, not a block)');
    const after = guardReport();
    const dropped = count(after, 'to_lan_dropped').packets - count(before, 'to_lan_dropped').packets;
    assert.ok(dropped >= 2 * FLOOD_COUNT * 0.9, `to_lan_dropped grew by ${dropped}`);
    assert.ok(count(after, 'to_lan_discovery').packets - count(before, 'to_lan_discovery').packets >= 40, 'to_lan_discovery counted');
    assert.ok(count(after, 'to_lan_budget_pass').packets > count(before, 'to_lan_budget_pass').packets, 'to_lan_budget_pass counted');
  });

  it('robot LAN -> cloud: the same, in the other direction (to_cloud)', async () => {
    const before = guardReport();
    const got = await traffic('robot', 'cloud', [
      [GROUP, SPDP[0], 20, 300],
      [GROUP, USER_DATA, FLOOD_COUNT, FLOOD_SIZE],
    ]);
    assert.equal(got[SPDP[0]][0], 20, JSON.stringify(got));
    assert.ok(got[USER_DATA][1] <= budgetBytes, `the cloud received ${got[USER_DATA][1]} B of ${FLOOD_BYTES} B`);
    const after = guardReport();
    assert.ok(count(after, 'to_cloud_dropped').packets - count(before, 'to_cloud_dropped').packets >= FLOOD_COUNT * 0.9);
  });

  it('frames of the host itself: its SPDP reaches the cloud, its flood stops at the budget; the cloud flood does not reach it', async () => {
    const out = await traffic('host', 'cloud', [
      [GROUP, SPDP[0], 20, 300],
      [GROUP, USER_DATA, FLOOD_COUNT, FLOOD_SIZE],
    ]);
    assert.equal(out[SPDP[0]][0], 20, JSON.stringify(out));
    assert.ok(out[USER_DATA][1] <= budgetBytes, `the cloud received ${out[USER_DATA][1]} B of the host's ${FLOOD_BYTES} B`);
    const inbound = await traffic('cloud', 'host', [[GROUP, USER_DATA, FLOOD_COUNT, FLOOD_SIZE]]);
    assert.ok(inbound[USER_DATA][1] <= budgetBytes, `the host received ${inbound[USER_DATA][1]} B of ${FLOOD_BYTES} B`);
  });

  it('negative control: without the table the same flood reaches the robot LAN; loaded again, it stops', async () => {
    assert.equal(nft('delete', 'table', 'bridge', GUARD_TABLE).status, 0);
    try {
      assert.equal(guardReport().state, 'missing');
      const got = await traffic('cloud', 'robot', [[GROUP, USER_DATA, FLOOD_COUNT, FLOOD_SIZE]]);
      assert.ok(got[USER_DATA][1] > FLOOD_BYTES * 0.5, `unguarded, the robot received ${got[USER_DATA][1]} B of ${FLOOD_BYTES} B`);
    } finally {
      loadGuard();
    }
    // Loading the file again over a loaded table (what a reload does) works, and guards again.
    loadGuard();
    const got = await traffic('cloud', 'robot', [[GROUP, USER_DATA, FLOOD_COUNT, FLOOD_SIZE]]);
    assert.ok(got[USER_DATA][1] <= budgetBytes, `guarded again: ${got[USER_DATA][1]} B`);
  });
});

// The guard step of the desktop's and the gateway's script (guardStep), run for real in a network namespace and
// a mount namespace with an overlay on /etc (this machine's files are never touched) and a systemctl stand-in
// that starts, reloads and stops rosvpn-guard.service by running its ExecStart/ExecReload/ExecStop with nft (no
// systemd here). Proves the step converges: first run changed, rerun ok, a changed budget reloads the table,
// a table deleted by hand is loaded again, filter.enabled false removes unit, file and table (rerun: skipped),
// enabled again restores it.
const GUARD_SYSTEMCTL = `#!/bin/bash
# systemctl stand-in: units as files in $SYSTEMCTL_STATE/enabled and /active; rosvpn-guard.service's
# start/reload/stop run its unit's commands.
st=$SYSTEMCTL_STATE
mkdir -p "$st/enabled" "$st/active"
echo "$*" >>"$st/log"
quiet=0 now=0
args=()
for a in "$@"; do case $a in --quiet | -q) quiet=1 ;; --now) now=1 ;; --*) ;; *) args+=("$a") ;; esac; done
u=\${args[1]:-}
say() { [ "$quiet" = 1 ] || echo "$1"; }
execline() { sed -n "s/^$1=-\\{0,1\\}//p" "/etc/systemd/system/$u"; }
case \${args[0]:-} in
  is-active) if [ -e "$st/active/$u" ]; then say active; else say inactive; exit 3; fi ;;
  is-enabled) if [ -e "$st/enabled/$u" ]; then say enabled; else say disabled; exit 1; fi ;;
  enable) touch "$st/enabled/$u" ;;
  disable) rm -f "$st/enabled/$u"; if [ "$now" = 1 ] && [ -e "$st/active/$u" ]; then $(execline ExecStop) || true; rm -f "$st/active/$u"; fi ;;
  start) $(execline ExecStart) && touch "$st/active/$u" ;;
  reload) $(execline ExecReload) ;;
  stop) $(execline ExecStop) || true; rm -f "$st/active/$u" ;;
  daemon-reload | reset-failed) ;;
  *) echo "systemctl stand-in: unexpected $*" >&2; exit 1 ;;
esac
`;

describe('the guard step converges (enabled, changed, deleted by hand, disabled, enabled again)', function () {
  this.timeout(60_000);
  const n = `rvguard${process.pid % 1000}s`;
  let box = '';
  const SANDBOX = `set -eu
S=$1
mkdir -p "$S/etc.u" "$S/etc.w"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$S/etc.u,workdir=$S/etc.w" /etc
export PATH="$S/bin:/usr/sbin:/usr/bin:/sbin:/bin" SYSTEMCTL_STATE="$S/systemctl"
exec bash -s`;

  /** The step as the script runs it (its header's shell options, the helper libraries), in the sandbox. */
  function step(filter: typeof FILTER): { status: number; stdout: string; step: string } {
    const script = [
      'set -euo pipefail',
      'set -o errtrace',
      "ROLE='desktop'",
      "HOST_NAME='desktop'",
      STEP_LIB,
      FILE_LIB,
      guardStep('desktop', filter),
      'summary 0',
      '',
    ].join('\n');
    const r = run('ip', ['netns', 'exec', n, 'unshare', '-m', '--propagation', 'private', 'bash', '-c', SANDBOX, 'sandbox', box], {
      input: script,
    });
    return { status: r.status, stdout: r.stdout + r.stderr, step: /^::step name=guard status=(\w+)/m.exec(r.stdout)?.[1] ?? '' };
  }
  const table = () => run('ip', ['netns', 'exec', n, 'nft', 'list', 'table', 'bridge', GUARD_TABLE]);
  const inBox = (cmd: string) =>
    run('ip', ['netns', 'exec', n, 'unshare', '-m', '--propagation', 'private', 'bash', '-c', SANDBOX, 'sandbox', box], { input: cmd });

  before(() => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (ip netns, mounts); CI runs as root');
    for (const tool of ['ip', 'nft', 'unshare', 'bash']) requireTool(tool);
    box = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-guard-'));
    fs.mkdirSync(path.join(box, 'bin'));
    fs.writeFileSync(path.join(box, 'bin', 'systemctl'), GUARD_SYSTEMCTL, { mode: 0o755 });
    ip('netns', 'add', n);
  });
  after(() => {
    run('ip', ['netns', 'del', n]);
    if (box) fs.rmSync(box, { recursive: true, force: true });
    assert.ok(!run('ip', ['netns', 'list']).stdout.includes(n), `namespace ${n} left behind`);
  });
  const ip = (...args: string[]) => must('ip', args);

  it('first run: changed, the table loaded; a rerun: ok, nothing touched', () => {
    const first = step(FILTER);
    assert.equal(first.status, 0, first.stdout);
    assert.equal(first.step, 'changed', first.stdout);
    assert.match(table().stdout, /rate 13 kbytes\/second/);
    assert.equal(inBox('cat /etc/rosvpn/guard.nft').stdout, renderGuardNft('desktop', FILTER));
    const again = step(FILTER);
    assert.equal(again.step, 'ok', again.stdout);
    assert.match(again.stdout, /::summary role=desktop host=desktop changed=0 ok=1/);
  });

  it('a changed budget or domain reloads the table (changed), atomically replacing it', () => {
    const r = step({ ...FILTER, domains: [0, 3], multicastBudgetKbps: 400 });
    assert.equal(r.step, 'changed', r.stdout);
    assert.match(r.stdout, /loaded \/etc\/rosvpn\/guard\.nft into nft table bridge rosvpn_guard/);
    const t = table().stdout;
    assert.match(t, /rate 50 kbytes\/second/);
    assert.match(t, /udp dport \{ 7400, 8150 \}/);
    assert.equal(step({ ...FILTER, domains: [0, 3], multicastBudgetKbps: 400 }).step, 'ok');
  });

  it('a table deleted by hand (the unit still active) is loaded again', () => {
    assert.equal(run('ip', ['netns', 'exec', n, 'nft', 'delete', 'table', 'bridge', GUARD_TABLE]).status, 0);
    const r = step(FILTER);
    assert.equal(r.step, 'changed', r.stdout);
    assert.equal(table().status, 0);
  });

  it('filter.enabled false removes unit, file and table; a rerun is skipped; enabled again restores it', () => {
    const offRun = step({ ...FILTER, enabled: false });
    assert.equal(offRun.status, 0, offRun.stdout);
    assert.equal(offRun.step, 'changed', offRun.stdout);
    assert.notEqual(table().status, 0, 'the table is gone');
    assert.notEqual(inBox('test -e /etc/rosvpn/guard.nft || test -e /etc/systemd/system/rosvpn-guard.service').status, 0);
    assert.deepEqual(fs.readdirSync(path.join(box, 'systemctl', 'enabled')), []);
    assert.equal(step({ ...FILTER, enabled: false }).step, 'skipped');
    const on = step(FILTER);
    assert.equal(on.step, 'changed', on.stdout);
    assert.equal(table().status, 0);
    assert.equal(step(FILTER).step, 'ok');
  });
});
