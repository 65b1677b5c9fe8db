// The guard's figures in `rosvpn check` on a real kernel: a desktop namespace with `rosbridge`, a tap port
// (tap0, a veth whose far end is "the cloud") and a LAN port (lan0, far end "the robot LAN"), the guard loaded
// from the rendered guard.nft. Frames are sent across the bridge from either side (multicast to a
// non-discovery group, broadcast, SPDP discovery, unicast pings); then the rendered check script runs as root
// in the namespace and its output goes through the same code as `rosvpn check` (withGuardViews, with a record
// in a temporary state dir). Proves: the counters the script prints are read; a flood shows as dropped in its
// direction with a warning, and only there; a check with no traffic in between shows nothing new (deltas, not
// totals); a reload of the guard is seen as a reset, also after it was missing, and by its load id even when the
// counters grew past the previous check's; no table fails the check (the
// negative control). The guard's rules themselves: guard.netns.test.ts.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { withGuardViews, type HostCheck } from '../../src/core/provision/check';
import { parseGuardLines } from '../../src/core/provision/guard';
import { readGuardRecord, writeGuardRecord } from '../../src/core/provision/guardRecord';
import { renderCheckScript } from '../../src/core/render/check';
import { GUARD_TABLE, renderGuardNft } from '../../src/core/render/guard';
import { must, requireTool, run } from '../../lab/sh';
import { loadFixture } from '../support/fixtures';
import { UDP_SENDER } from '../support/udpSender';

const PREFIX = 'rvn2c';
const NS = { desktop: `${PREFIX}-desk`, cloud: `${PREFIX}-cloud`, lan: `${PREFIX}-lan` };

describe('guard: counters on a real bridge, read by the check script', function () {
  this.timeout(120000);
  const t = loadFixture('vxlan-1');
  let stateDir: string;
  const topologyFile = '/nonexistent/rosvpn.json';
  const ip = (...args: string[]) => must('ip', args);
  const inNs = (ns: string, argv: string[], input?: string) =>
    must('ip', ['netns', 'exec', ns, ...argv], input === undefined ? {} : { input });
  const send = (ns: string, src: string, dst: string, port: number, count: number, size = 1000) =>
    inNs(ns, ['python3', '-c', UDP_SENDER, src, dst, String(port), String(count), String(size)]);
  const loadGuard = () => inNs(NS.desktop, ['nft', '-f', '-'], renderGuardNft('desktop', t.filter));

  /** The desktop's check as `rosvpn check` makes it: the script's output through withGuardViews. */
  function check(now: Date): HostCheck {
    const r = run('ip', ['netns', 'exec', NS.desktop, 'bash', '-c', renderCheckScript(t, 'desktop')]);
    const host: HostCheck = { label: 'desktop', role: 'desktop', ok: true, checks: [{ name: 'ssh', status: 'pass', msg: 'reachable' }] };
    const readings = new Map([['desktop', parseGuardLines(r.stdout)]]);
    const [h] = withGuardViews(
      t,
      [host],
      readings,
      { guardRecord: { topologyFile, env: { XDG_STATE_HOME: stateDir } }, now },
      {
        desktop: t.desktop!.host,
      },
    );
    return h;
  }
  const flows = (h: HostCheck) => Object.fromEntries((h.guard?.flows ?? []).map((f) => [f.direction, f]));

  before(() => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (ip netns, nft); CI runs as root');
    for (const tool of ['ip', 'nft', 'python3']) requireTool(tool);
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-guard-state-'));
    for (const ns of Object.values(NS)) run('ip', ['netns', 'del', ns]);
    for (const ns of Object.values(NS)) ip('netns', 'add', ns);
    ip('-n', NS.desktop, 'link', 'add', 'rosbridge', 'type', 'bridge');
    ip('link', 'add', 'tap0', 'netns', NS.desktop, 'type', 'veth', 'peer', 'name', 'c0', 'netns', NS.cloud);
    ip('link', 'add', 'lan0', 'netns', NS.desktop, 'type', 'veth', 'peer', 'name', 'l0', 'netns', NS.lan);
    for (const port of ['tap0', 'lan0']) ip('-n', NS.desktop, 'link', 'set', port, 'master', 'rosbridge', 'up');
    ip('-n', NS.desktop, 'link', 'set', 'rosbridge', 'up');
    ip('-n', NS.cloud, 'addr', 'add', '192.168.0.130/24', 'dev', 'c0');
    ip('-n', NS.cloud, 'link', 'set', 'c0', 'up');
    ip('-n', NS.lan, 'addr', 'add', '192.168.0.20/24', 'dev', 'l0');
    ip('-n', NS.lan, 'link', 'set', 'l0', 'up');
  });

  after(() => {
    for (const ns of Object.values(NS)) run('ip', ['netns', 'del', ns]);
    fs.rmSync(stateDir, { recursive: true, force: true });
    const left = must('ip', ['netns', 'list'])
      .split('\n')
      .filter((l) => l.startsWith(`${PREFIX}-`));
    assert.deepEqual(left, [], 'namespaces left behind');
  });

  it('without the table (negative control): the guard check fails, telling to provision', () => {
    const h = check(new Date('2026-11-30T18:00:00Z'));
    assert.equal(h.guard?.state, 'missing');
    const item = h.checks.find((c) => c.name === 'guard');
    assert.equal(item?.status, 'fail');
    assert.match(item!.msg, /run rosvpn provision --host desktop$/);
    assert.equal(h.ok, false);
  });

  it('loaded: the first check shows totals; a flood towards the robot LAN shows as dropped there, with a warning', () => {
    loadGuard();
    const first = check(new Date('2026-11-30T18:01:00Z'));
    assert.equal(first.guard?.state, 'on', JSON.stringify(first.guard));
    assert.deepEqual(first.guard?.since, { kind: 'loaded', reason: 'first' });
    assert.ok(first.ok, JSON.stringify(first.checks));
    // From the cloud side: unicast pings (and their ARP), 20 SPDP datagrams, then 400 kB to a non-discovery group.
    must('ip', ['netns', 'exec', NS.cloud, 'ping', '-c', '3', '-i', '0.2', '-W', '1', '192.168.0.20']);
    send(NS.cloud, '192.168.0.130', '239.255.0.1', 7400, 20, 200);
    send(NS.cloud, '192.168.0.130', '239.1.2.3', 5000, 400, 1000);
    const r = run('ip', ['netns', 'exec', NS.desktop, 'bash', '-c', renderCheckScript(t, 'desktop')]);
    const raw = parseGuardLines(r.stdout);
    assert.ok(raw.counters.to_lan_discovery.packets >= 20, JSON.stringify(raw.counters));
    assert.ok(raw.counters.to_lan_unicast.packets >= 3 && raw.counters.to_lan_arp.packets >= 1, JSON.stringify(raw.counters));
    const h = check(new Date('2026-11-30T18:02:00Z'));
    // As `rosvpn check` prints them.
    for (const c of h.checks.filter((x) => x.name === 'guard')) console.log(`      ${c.status}  guard  ${c.msg}`);
    for (const w of h.warnings ?? []) console.log(`      warn  ${w}`);
    assert.deepEqual(h.guard?.since, { kind: 'last-check', at: '2026-11-30T18:01:00.000Z', ms: 60000 });
    const f = flows(h);
    assert.ok(f.to_lan.dropped.bytes > 200_000, `to_lan dropped ${JSON.stringify(f.to_lan)}`);
    assert.ok(f.to_lan.passed.packets >= 24, `to_lan passed ${JSON.stringify(f.to_lan)}`);
    assert.equal(f.to_cloud.dropped.packets, 0, 'nothing was flooded towards the cloud');
    assert.ok(h.ok, 'a warning, not a failure');
    assert.equal(h.warnings?.length, 1, JSON.stringify(h.warnings));
    assert.match(
      h.warnings![0],
      /^the guard on desktop dropped \d+ KB \(\d+ frames\) of multicast\/broadcast towards the robot LAN in the 60 s since the last check \(budget 100 kbit\/s: filter\.multicastBudgetKbps\)$/,
    );
    assert.match(
      h.checks.find((c) => c.name === 'guard')!.msg,
      /^towards the robot LAN passed .*, dropped \d+ KB \(\d+ frames\); towards the cloud passed .*, dropped 0 — in the 60 s since the last check$/,
    );
  });

  it('no traffic since: nothing new (the figures are deltas); a broadcast flood from the robot LAN shows towards the cloud', () => {
    const quiet = check(new Date('2026-11-30T18:03:00Z'));
    assert.equal(flows(quiet).to_lan.dropped.packets, 0, JSON.stringify(quiet.guard));
    assert.equal(quiet.warnings, undefined);
    send(NS.lan, '192.168.0.20', '192.168.0.255', 5000, 400, 1000);
    const h = check(new Date('2026-11-30T18:04:00Z'));
    const f = flows(h);
    assert.ok(f.to_cloud.dropped.bytes > 200_000, JSON.stringify(f.to_cloud));
    assert.equal(f.to_lan.dropped.packets, 0);
    assert.equal(h.warnings?.length, 1);
    assert.match(h.warnings![0], / towards the cloud in the 60 s since the last check /);
  });

  it('a reload of the guard (as provisioning or a reboot does) restarts its counters: shown as totals since, and said so', () => {
    loadGuard();
    must('ip', ['netns', 'exec', NS.cloud, 'ping', '-c', '1', '-W', '1', '192.168.0.20']);
    const h = check(new Date('2026-11-30T18:05:00Z'));
    assert.deepEqual(h.guard?.since, { kind: 'loaded', reason: 'reset' }, JSON.stringify(h.guard));
    assert.match(h.checks.find((c) => c.name === 'guard')!.msg, /its counters restarted/);
    assert.equal(readGuardRecord(topologyFile, { XDG_STATE_HOME: stateDir }).hosts.desktop.at, '2026-11-30T18:05:00.000Z');
    // Removed, then loaded again (unprovision + provision, or filter.enabled false then true): a restart too.
    inNs(NS.desktop, ['nft', 'delete', 'table', 'bridge', GUARD_TABLE]);
    assert.equal(check(new Date('2026-11-30T18:06:00Z')).guard?.state, 'missing');
    loadGuard();
    assert.deepEqual(check(new Date('2026-11-30T18:07:00Z')).guard?.since, { kind: 'loaded', reason: 'reset' });
  });

  it('the load id (boot id / table handle) tells a reload even when every counter has since grown past the previous check', () => {
    const record = () => readGuardRecord(topologyFile, { XDG_STATE_HOME: stateDir });
    const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    check(new Date('2026-11-30T18:08:00Z'));
    const first = record().hosts.desktop.load;
    assert.match(first ?? '', new RegExp(`^${boot}/\\d+$`));
    // The record says the counters were all 0 at the previous check: without the load id, any reload would look
    // like an ordinary interval.
    const zero = (load: string) => {
      const r = record();
      for (const c of Object.values(r.hosts.desktop.counters)) Object.assign(c, { packets: 0, bytes: 0 });
      r.hosts.desktop.load = load;
      writeGuardRecord(topologyFile, r, { XDG_STATE_HOME: stateDir });
    };
    zero(first!);
    assert.equal(check(new Date('2026-11-30T18:09:00Z')).guard?.since?.kind, 'last-check', 'negative control: the same load');
    zero(first!);
    loadGuard();
    const h = check(new Date('2026-11-30T18:10:00Z'));
    assert.deepEqual(h.guard?.since, { kind: 'loaded', reason: 'reset' }, JSON.stringify(h.guard));
    assert.notEqual(record().hosts.desktop.load, first);
  });
});
