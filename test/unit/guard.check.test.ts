// The multicast guard in `rosvpn check` and the tree: the check script's ::guard lines read as untrusted data,
// the figures since the last check (kept per topology file + host in the state dir, 0600, validated on read),
// a counter reset (reboot, reload) shown as totals since, the warning when the budget was hit, the failing
// check when the guard is expected but missing, the CLI's lines and exit status, and the tree's guard rows.
// Hosts are a fake pool whose check script "prints" what each test says.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkTopology } from '../../src/core/provision/check';
import {
  counterDelta,
  formatBytes,
  formatDuration,
  formatFrames,
  GUARD_COUNTER_NAMES,
  guardCheckItem,
  guardSummary,
  guardView,
  guardWarnings,
  parseGuardLines,
  type GuardCounters,
  type GuardView,
} from '../../src/core/provision/guard';
import { guardRecordPath, readGuardRecord, validEntry, writeGuardRecord } from '../../src/core/provision/guardRecord';
import { GUARD_COUNTERS } from '../../src/core/render/guard';
import type { SshPool } from '../../src/core/ssh/types';
import { printCheck } from '../../src/cli/remote';
import { buildTopologyTree, guardChildren, guardHitLines, guardViewsFromCheck, type TreeNode } from '../../src/extension/tree/model';
import { loadFixture } from '../support/fixtures';

const t = loadFixture('vxlan-3');
const off = loadFixture('vxlan-3', (d) => (d.filter = { enabled: false }));

/** Counters with `f(name)` as their value (packets; bytes = 100 × packets). */
const counters = (f: (name: string) => number): GuardCounters =>
  Object.fromEntries(GUARD_COUNTER_NAMES.map((n) => [n, { packets: f(n), bytes: f(n) * 100 }]));

/** What a check script with the guard on prints for `c`. */
const guardLines = (c: GuardCounters, state = 'on') =>
  [`::guard-state ${state}`, ...Object.entries(c).map(([n, v]) => `::guard ${n} packets=${v.packets} bytes=${v.bytes}`)].join('\n');

describe('guard: the check script lines, read as untrusted data', () => {
  it('uses the counter names the renderer writes, direction-major in rule order', () => {
    assert.deepEqual(GUARD_COUNTER_NAMES, GUARD_COUNTERS);
    assert.deepEqual(GUARD_COUNTER_NAMES.slice(0, 5), [
      'to_lan_arp',
      'to_lan_unicast',
      'to_lan_discovery',
      'to_lan_budget_pass',
      'to_lan_dropped',
    ]);
  });

  it('well-formed lines: the state and every counter; the other lines of the check are not ours', () => {
    const c = counters((n) => n.length);
    const r = parseGuardLines(`::check name=bridge status=pass msg="up"\n${guardLines(c)}\nsome text\n`);
    assert.equal(r.state, 'on');
    assert.deepEqual(r.counters, c);
    assert.deepEqual(r.rejected, { count: 0, samples: [] });
  });

  it('hostile lines are ignored and reported, quoted as printable ASCII; known good ones still count', () => {
    const out = [
      '::guard-state on',
      '::guard to_lan_arp packets=1 bytes=60',
      '::guard to_lan_arp packets=999 bytes=99999', // a second value for the same counter
      '::guard to_lan_evil packets=1 bytes=1', // not a counter of the guard
      '::guard to_lan_unicast packets=-1 bytes=1',
      '::guard to_lan_unicast packets=9999999999999999 bytes=1', // beyond 2^53: not a safe number
      '::guard to_lan_unicast packets=12345678901234567890 bytes=1',
      '::guard to_lan_unicast packets=1 bytes=1 extra=1',
      '::guard to_lan_unicast packets=1 bytes=1 ',
      '::guard to_lan_unicast packets=1 bytes=1\r',
      '::guard TO_LAN_UNICAST packets=1 bytes=1',
      '::guard to_lan_unicast packets=0x10 bytes=1',
      '::guard to_lan_discovery packets=1e3 bytes=1',
      '::guard \x1b[31mto_lan_dropped\x1b[0m packets=1 bytes=1',
      `::guard ${'a'.repeat(5000)} packets=1 bytes=1`,
      '::guardian of the galaxy',
    ].join('\n');
    const r = parseGuardLines(out);
    assert.equal(r.state, 'on');
    assert.deepEqual(r.counters, { to_lan_arp: { packets: 1, bytes: 60 } }, 'only the first, well-formed one');
    assert.equal(r.rejected.count, 14);
    assert.equal(r.rejected.samples.length, 3);
    assert.equal(r.rejected.samples[0], '"::guard to_lan_arp packets=999 bytes=99999"');
    const esc = parseGuardLines('::guard \x1b[31mx\x07 packets=1 bytes=1');
    assert.equal(esc.rejected.samples[0], '"::guard ?[31mx? packets=1 bytes=1"', 'no control character gets through');
    const long = parseGuardLines(`::guard ${'a'.repeat(5000)}`).rejected.samples[0];
    assert.ok(long.length <= 64, long);
  });

  it('the state: one line; a repeated one is reported; two that differ are no answer; an unknown one is rejected', () => {
    assert.equal(parseGuardLines('::guard-state missing').state, 'missing');
    const twice = parseGuardLines('::guard-state on\n::guard-state on');
    assert.equal(twice.state, 'on');
    assert.equal(twice.rejected.count, 1);
    assert.equal(parseGuardLines('::guard-state on\n::guard-state missing').state, undefined);
    assert.equal(parseGuardLines('::guard-state on\n::guard-state off\n::guard-state on').state, undefined);
    const odd = parseGuardLines('::guard-state ON\n::guard-state on; rm -rf /');
    assert.equal(odd.state, undefined);
    assert.equal(odd.rejected.count, 2);
    assert.equal(parseGuardLines('').state, undefined);
  });
});

describe('guard: the load id', () => {
  const BOOT = '0f5e3c1a-9b2d-4e7f-8a6c-3d1b2e4f5a6b';
  it('one line: the boot id and the table handle; a repeated one is reported, two that differ are no answer; malformed ones are rejected', () => {
    assert.equal(parseGuardLines(`::guard-state on\n::guard-load ${BOOT}/12`).load, `${BOOT}/12`);
    const twice = parseGuardLines(`::guard-load ${BOOT}/12\n::guard-load ${BOOT}/12`);
    assert.equal(twice.load, `${BOOT}/12`);
    assert.equal(twice.rejected.count, 1);
    assert.equal(parseGuardLines(`::guard-load ${BOOT}/12\n::guard-load ${BOOT}/13`).load, undefined);
    const bad = parseGuardLines(
      `::guard-load ${BOOT.toUpperCase()}/12\n::guard-load ${BOOT}/x\n::guard-load ${BOOT}/12345678901\n::guard-load ../../x`,
    );
    assert.equal(bad.load, undefined);
    assert.equal(bad.rejected.count, 4);
  });

  it('another load id is a restart even when every counter grew past the previous check (a reboot, then traffic)', () => {
    const now = new Date('2026-11-30T18:10:00.000Z');
    const before = { at: '2026-11-30T18:06:00.000Z', counters: counters(() => 10), load: `${BOOT}/12` };
    const grown = guardLines(counters(() => 25));
    const reloaded = guardView(t, parseGuardLines(`::guard-load ${BOOT}/13\n${grown}`), before, now);
    assert.deepEqual(reloaded.view.since, { kind: 'loaded', reason: 'reset' });
    assert.equal(reloaded.view.flows![1].dropped.packets, 25);
    assert.equal(reloaded.next!.load, `${BOOT}/13`);
    // negative control: the same load id, the same counters: the change since the last check
    const same = guardView(t, parseGuardLines(`::guard-load ${BOOT}/12\n${grown}`), before, now);
    assert.equal(same.view.since!.kind, 'last-check');
    assert.equal(same.view.flows![1].dropped.packets, 15);
    // a record or a host without load ids falls back to the counters
    const old = guardView(t, parseGuardLines(grown), before, now);
    assert.equal(old.view.since!.kind, 'last-check');
    assert.equal(old.next!.load, undefined);
  });
});

describe('guard: figures since the last check', () => {
  const now = new Date('2026-11-30T18:10:00.000Z');
  const before = { at: '2026-11-30T18:06:00.000Z', counters: counters(() => 10) };

  it('the first check: the totals since the guard was loaded, said so; they become the record', () => {
    const { view, next } = guardView(t, parseGuardLines(guardLines(counters(() => 10))), undefined, now);
    assert.equal(view.state, 'on');
    assert.deepEqual(view.since, { kind: 'loaded', reason: 'first' });
    // Passed: arp + unicast + discovery + budget_pass (4 × 10), dropped: 10.
    assert.deepEqual(view.flows, [
      { direction: 'to_lan', passed: { packets: 40, bytes: 4000 }, dropped: { packets: 10, bytes: 1000 } },
      { direction: 'to_cloud', passed: { packets: 40, bytes: 4000 }, dropped: { packets: 10, bytes: 1000 } },
    ]);
    assert.deepEqual(next, { at: now.toISOString(), counters: counters(() => 10) });
    assert.match(guardSummary(view), / — since the guard was loaded \(the first check from this machine\)$/);
  });

  it('later checks: the change since the previous one, per direction, with how long ago it was', () => {
    const cur = counters((n) => (n === 'to_cloud_dropped' ? 360010 : n.startsWith('to_lan') ? 20 : 10));
    const { view } = guardView(t, parseGuardLines(guardLines(cur)), before, now);
    assert.deepEqual(view.since, { kind: 'last-check', at: before.at, ms: 240000 });
    assert.deepEqual(view.flows, [
      { direction: 'to_lan', passed: { packets: 40, bytes: 4000 }, dropped: { packets: 10, bytes: 1000 } },
      { direction: 'to_cloud', passed: { packets: 0, bytes: 0 }, dropped: { packets: 360000, bytes: 36000000 } },
    ]);
    assert.equal(
      guardSummary(view),
      'towards the robot LAN passed 4.0 KB (40 frames), dropped 1.0 KB (10 frames); towards the cloud passed 0, dropped 36 MB (360 k frames) — in the 4 min since the last check',
    );
  });

  it('a counter that went down was reset (a reboot or a reload): the totals since, said so', () => {
    const cur = counters((n) => (n === 'to_lan_arp' ? 3 : 50));
    assert.equal(counterDelta(before.counters, cur), undefined);
    const { view, next } = guardView(t, parseGuardLines(guardLines(cur)), before, now);
    assert.deepEqual(view.since, { kind: 'loaded', reason: 'reset' });
    assert.equal(view.flows![0].passed.packets, 3 + 50 * 3);
    assert.match(
      guardSummary(view),
      /since the guard was loaded \(its counters restarted: the host rebooted or was provisioned since the last check\)$/,
    );
    assert.equal(next!.counters.to_lan_arp.packets, 3);
    // Bytes alone going down is a reset too.
    const bytesDown = counters(() => 10);
    bytesDown.to_cloud_unicast = { packets: 11, bytes: 5 };
    assert.equal(counterDelta(before.counters, bytesDown), undefined);
  });

  it('the warning: only when something was dropped, per direction, with the budget and its field', () => {
    const cur = counters((n) => (n === 'to_cloud_dropped' ? 360010 : 10));
    const { view } = guardView(t, parseGuardLines(guardLines(cur)), before, now);
    assert.deepEqual(guardWarnings('desktop', view), [
      'the guard on desktop dropped 36 MB (360 k frames) of multicast/broadcast towards the cloud in the 4 min since the last check (budget 100 kbit/s: filter.multicastBudgetKbps)',
    ]);
    assert.deepEqual(guardCheckItem('desktop', view)?.status, 'pass', 'a warning, not a failure');
    const quiet = guardView(t, parseGuardLines(guardLines(counters(() => 10))), before, now).view;
    assert.deepEqual(guardWarnings('desktop', quiet), [], 'nothing dropped since: no warning');
    const budget = loadFixture('vxlan-3', (d) => (d.filter = { multicastBudgetKbps: 250 }));
    const hit = guardView(budget, parseGuardLines(guardLines(cur)), undefined, now).view;
    assert.match(
      guardWarnings('gateway', hit)[0],
      /^the guard on gateway dropped .* towards the robot LAN since the guard was loaded .*\(budget 250 kbit\/s/,
    );
  });

  it('missing while expected fails, telling to provision; off says off; stray and partial ones are flagged; unreadable is not read', () => {
    const missing = guardView(t, parseGuardLines('::guard-state missing'), before, now);
    assert.equal(missing.view.state, 'missing');
    assert.equal(missing.next, undefined, 'no counters to remember');
    assert.deepEqual(guardCheckItem('gateway', missing.view), {
      name: 'guard',
      status: 'fail',
      msg: 'not loaded (no nftables table bridge rosvpn_guard), though filter.enabled is true: run rosvpn provision --host gateway',
    });
    const disabled = guardView(off, parseGuardLines('::guard-state off'), undefined, now).view;
    assert.deepEqual(guardCheckItem('desktop', disabled), { name: 'guard', status: 'pass', msg: 'off (filter.enabled is false)' });
    const stray = guardView(off, parseGuardLines(guardLines(counters(() => 1))), undefined, now).view;
    assert.equal(stray.state, 'stray');
    assert.equal(guardCheckItem('desktop', stray)?.status, 'pass');
    assert.match(
      guardWarnings('desktop', stray)[0],
      /still loaded though filter\.enabled is false: rosvpn provision --host desktop removes it/,
    );
    const partial = counters(() => 1);
    delete partial.to_cloud_dropped;
    const incomplete = guardView(t, parseGuardLines(guardLines(partial)), undefined, now).view;
    assert.equal(incomplete.state, 'incomplete');
    assert.match(guardCheckItem('desktop', incomplete)!.msg, /no counter to_cloud_dropped\): run rosvpn provision --host desktop$/);
    assert.equal(guardCheckItem('desktop', incomplete)!.status, 'fail');
    const unreadable = guardView(t, parseGuardLines('::guard-state unreadable'), before, now);
    assert.equal(unreadable.view.state, 'unread');
    assert.equal(guardCheckItem('desktop', unreadable.view), undefined, 'no check item: not a failure');
    assert.equal(guardView(t, undefined, before, now).view.state, 'unread');
  });

  it('formats: bytes in powers of 1000, frames, durations', () => {
    assert.deepEqual([0, 999, 1000, 1234, 35_000_000, 2_100_000_000].map(formatBytes), [
      '0',
      '999 B',
      '1.0 KB',
      '1.2 KB',
      '35 MB',
      '2.1 GB',
    ]);
    assert.deepEqual([1, 12, 4100, 3_200_000].map(formatFrames), ['1 frame', '12 frames', '4.1 k frames', '3.2 M frames']);
    assert.deepEqual([45_000, 240_000, 7_500_000, 3 * 86_400_000].map(formatDuration), ['45 s', '4 min', '2 h 5 min', '3 days']);
  });
});

describe('guard: the record in the state dir', () => {
  let dir: string;
  let env: Record<string, string>;
  const file = '/work/some/rosvpn.json';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-guard-'));
    env = { XDG_STATE_HOME: dir, HOME: '/nonexistent' };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('per topology file, under $XDG_STATE_HOME/rosvpn/guard, 0600 in a 0700 directory; round trip', () => {
    const entry = {
      at: '2026-11-30T18:06:00.000Z',
      host: 'localhost',
      counters: counters(() => 7),
      load: '0f5e3c1a-9b2d-4e7f-8a6c-3d1b2e4f5a6b/4',
    };
    writeGuardRecord(file, { topologyFile: file, hosts: { desktop: entry } }, env);
    const p = guardRecordPath(file, env);
    assert.equal(path.dirname(p), path.join(dir, 'rosvpn', 'guard'));
    assert.notEqual(p, guardRecordPath('/work/other/rosvpn.json', env));
    assert.equal(fs.statSync(p).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(p)).mode & 0o777, 0o700);
    assert.deepEqual(readGuardRecord(file, env).hosts, { desktop: entry });
    writeGuardRecord(file, { topologyFile: file, hosts: {} }, env);
    assert.equal(fs.existsSync(p), false, 'an empty record is no file');
  });

  it('validated on read: a bad entry counts as no previous check; a bad file as none', () => {
    const good = { at: '2026-11-30T18:06:00.000Z', host: 'gw', counters: counters(() => 1) };
    const p = guardRecordPath(file, env);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    const bad: unknown[] = [
      { ...good, at: 'yesterday' },
      { ...good, at: '2026-13-45T99:99:99Z' },
      { ...good, host: '' },
      { ...good, host: 'x'.repeat(300) },
      { ...good, counters: { ...good.counters, to_lan_arp: { packets: -1, bytes: 0 } } },
      { ...good, counters: { ...good.counters, to_lan_arp: { packets: 1.5, bytes: 0 } } },
      { ...good, counters: { ...good.counters, to_lan_arp: { packets: '1', bytes: 0 } } },
      { ...good, counters: { ...good.counters, to_lan_arp: { packets: 1, bytes: 0, more: 1 } } },
      { ...good, counters: { ...good.counters, extra: { packets: 1, bytes: 0 } } },
      { ...good, counters: counters(() => 1e300) },
      { ...good, load: 'not-a-boot-id/3' },
      { ...good, load: 7 },
      [good],
      null,
    ];
    for (const b of bad) assert.equal(validEntry(b), undefined, JSON.stringify(b)?.slice(0, 120));
    assert.deepEqual(validEntry(good), good);
    fs.writeFileSync(p, JSON.stringify({ hosts: { desktop: bad[0], gateway: good, second: good, __proto__: good } }));
    assert.deepEqual(Object.keys(readGuardRecord(file, env).hosts), ['gateway'], 'only valid entries of hosts with a guard');
    for (const text of ['not json', '[]', 'null', '{"hosts": []}', '{"hosts": "x"}']) {
      fs.writeFileSync(p, text);
      assert.deepEqual(readGuardRecord(file, env).hosts, {}, text);
    }
  });
});

/** A pool whose hosts answer the check script with `outputs[label]` (plus a passing bridge line); nothing else. */
function fakePool(outputs: Record<string, string>, ran: { label: string; sudo?: boolean }[] = []): SshPool {
  return {
    session: async (ep: { label: string; host: string }) => ({
      endpoint: { ...ep, user: 'ubuntu' },
      upload: async () => undefined,
      exec: async (cmd: string, o: { sudo?: boolean } = {}) => {
        if (cmd.startsWith('printf')) return { code: 0, stdout: '/home/ubuntu', stderr: '' };
        if (!cmd.includes('rosvpn-check.sh')) return { code: 1, stdout: '', stderr: 'not in this test' };
        ran.push({ label: ep.label, sudo: o.sudo });
        return { code: 0, stdout: `::check name=bridge status=pass msg="rosbridge is up"\n${outputs[ep.label] ?? ''}\n`, stderr: '' };
      },
    }),
    dispose: async () => undefined,
  } as unknown as SshPool;
}

describe('guard: rosvpn check and the tree', () => {
  let dir: string;
  let env: Record<string, string>;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-guard-'));
    env = { XDG_STATE_HOME: dir };
    file = path.join(dir, 'rosvpn.json');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('checkTopology: totals first, then the change since, per host; seconds have no guard; the record follows', async () => {
    const outputs: Record<string, string> = {
      desktop: guardLines(counters(() => 10)),
      gateway: guardLines(counters(() => 5)),
      second: guardLines(counters(() => 1)), // a host without a guard: its lines are not read
    };
    const opts = (now: string) => ({ guardRecord: { topologyFile: file, env }, now: new Date(now) });
    const first = await checkTopology(t, fakePool(outputs), { role: 'all' }, undefined, opts('2026-11-30T18:00:00Z'));
    const host = (r: typeof first, l: string) => r.hosts.find((h) => h.label === l)!;
    assert.deepEqual(host(first, 'desktop').guard!.since, { kind: 'loaded', reason: 'first' });
    assert.equal(host(first, 'second').guard, undefined);
    assert.ok(!host(first, 'second').checks.some((c) => c.name === 'guard'));
    assert.deepEqual(Object.keys(readGuardRecord(file, env).hosts).sort(), ['desktop', 'gateway']);
    outputs.desktop = guardLines(counters((n) => (n === 'to_lan_dropped' ? 1010 : 10)));
    const second = await checkTopology(t, fakePool(outputs), { role: 'all' }, undefined, opts('2026-11-30T18:00:45Z'));
    const d = host(second, 'desktop');
    assert.deepEqual(d.guard!.since, { kind: 'last-check', at: '2026-11-30T18:00:00.000Z', ms: 45000 });
    assert.deepEqual(d.guard!.flows![0].dropped, { packets: 1000, bytes: 100000 });
    assert.ok(d.ok, 'a warning does not fail the host');
    assert.deepEqual(d.warnings, [
      'the guard on desktop dropped 100 KB (1.0 k frames) of multicast/broadcast towards the robot LAN in the 45 s since the last check (budget 100 kbit/s: filter.multicastBudgetKbps)',
    ]);
    assert.equal(host(second, 'gateway').warnings?.some((w) => w.includes('guard')) ?? false, false, 'nothing new dropped on the gateway');
    // --host desktop: the gateway's record is kept.
    await checkTopology(t, fakePool(outputs), { host: 'desktop' }, undefined, opts('2026-11-30T18:01:00Z'));
    const rec = readGuardRecord(file, env).hosts;
    assert.deepEqual([rec.desktop.at, rec.gateway.at], ['2026-11-30T18:01:00.000Z', '2026-11-30T18:00:45.000Z']);
    // A guard gone (unprovisioned, filter off) keeps its last counters: loaded again, it is a restart.
    outputs.gateway = '::guard-state missing';
    await checkTopology(t, fakePool(outputs), { host: 'gateway' }, undefined, opts('2026-11-30T18:02:00Z'));
    assert.equal(readGuardRecord(file, env).hosts.gateway.at, '2026-11-30T18:00:45.000Z');
    outputs.gateway = guardLines(counters(() => 1));
    const back = await checkTopology(t, fakePool(outputs), { host: 'gateway' }, undefined, opts('2026-11-30T18:03:00Z'));
    assert.deepEqual(back.hosts[0].guard!.since, { kind: 'loaded', reason: 'reset' });
  });

  it('another machine under the same label starts afresh; a check without root reads no guard and keeps the record', async () => {
    const outputs = { desktop: guardLines(counters(() => 10)) };
    await checkTopology(t, fakePool(outputs), { host: 'desktop' }, undefined, { guardRecord: { topologyFile: file, env } });
    const moved = loadFixture('vxlan-3', (x) => (x.desktop.host = 'other-desktop'));
    const r = await checkTopology(moved, fakePool(outputs), { host: 'desktop' }, undefined, { guardRecord: { topologyFile: file, env } });
    assert.deepEqual(r.hosts[0].guard!.since, { kind: 'loaded', reason: 'first' });
    const before = fs.readFileSync(guardRecordPath(file, env), 'utf8');
    const ran: { label: string; sudo?: boolean }[] = [];
    const bg = await checkTopology(t, fakePool(outputs, ran), ['desktop'], undefined, {
      root: false,
      guardRecord: { topologyFile: file, env },
    });
    assert.equal(ran[0].sudo, false);
    assert.equal(bg.hosts[0].guard!.state, 'unread');
    assert.ok(!bg.hosts[0].checks.some((c) => c.name === 'guard'));
    assert.equal(fs.readFileSync(guardRecordPath(file, env), 'utf8'), before);
  });

  it('a state dir that cannot be written: a warning, the check itself unchanged', async () => {
    fs.writeFileSync(path.join(dir, 'rosvpn'), 'a file where the directory should be');
    const outputs = { desktop: guardLines(counters(() => 0)) };
    const r = await checkTopology(t, fakePool(outputs), { host: 'desktop' }, undefined, { guardRecord: { topologyFile: file, env } });
    assert.ok(r.ok);
    assert.equal(r.hosts[0].warnings?.length, 1);
    assert.match(r.hosts[0].warnings![0], /^could not keep the guard counters on this machine \(.*\): the next check shows totals$/);
  });

  it('hostile guard lines: a warning quoting them; the good lines still count', async () => {
    const outputs = {
      desktop: `${guardLines(counters((n) => (n.endsWith('dropped') ? 0 : 1)))}\n::guard to_lan_arp packets=1 bytes=1;reboot`,
    };
    const r = await checkTopology(t, fakePool(outputs), { host: 'desktop' }, undefined, {});
    assert.equal(r.hosts[0].guard!.state, 'on');
    assert.deepEqual(r.hosts[0].warnings, [
      'ignored 1 malformed guard line(s) from desktop: "::guard to_lan_arp packets=1 bytes=1;reboot"',
    ]);
  });

  it('the CLI: a guard line per host, a warn line when the budget was hit (exit 0), FAIL and exit 1 when the guard is missing', async () => {
    const outputs: Record<string, string> = { desktop: guardLines(counters(() => 10)) };
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(`ERR ${l}`) };
    // What checkCommand does with the pool it opens (its dynamic import of the core is not loadable under mocha).
    const cli = async (topo = t) => {
      lines.length = 0;
      const report = await checkTopology(topo, fakePool(outputs), { host: 'desktop' }, undefined, {
        guardRecord: { topologyFile: file, env },
      });
      printCheck(io, report);
      return { code: report.ok ? 0 : 1, report };
    };
    assert.equal((await cli()).code, 0);
    outputs.desktop = guardLines(counters((n) => (n === 'to_cloud_dropped' ? 350010 : n === 'to_lan_unicast' ? 4010 : 10)));
    assert.equal((await cli()).code, 0, 'a warning does not change the exit status');
    assert.match(
      lines.find((l) => /^ {2}pass {2}guard /.test(l)) ?? lines.join('\n'),
      /^ {2}pass {2}guard {14}towards the robot LAN passed 400 KB \(4\.0 k frames\), dropped 0; towards the cloud passed 0, dropped 35 MB \(350 k frames\) — in the \d+ s since the last check$/,
    );
    assert.match(
      lines.find((l) => l.startsWith('  warn  ')) ?? lines.join('\n'),
      /^ {2}warn {2}the guard on desktop dropped 35 MB \(350 k frames\) of multicast\/broadcast towards the cloud in the \d+ s since the last check \(budget 100 kbit\/s: filter\.multicastBudgetKbps\)$/,
    );
    assert.equal(lines.at(-1), 'check: every host healthy');
    outputs.desktop = '::guard-state missing';
    assert.equal((await cli()).code, 1);
    assert.ok(
      lines.includes(
        '  FAIL  guard              not loaded (no nftables table bridge rosvpn_guard), though filter.enabled is true: run rosvpn provision --host desktop',
      ),
      lines.join('\n'),
    );
    assert.equal(lines.at(-1), 'check: FAILED on desktop');
    // --json prints the report: it carries the view.
    outputs.desktop = '::guard-state off';
    const { code, report } = await cli(off);
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(JSON.stringify(report)).hosts[0].guard, { state: 'off', budgetKbps: 100 });
    assert.ok(lines.includes('  pass  guard              off (filter.enabled is false)'), lines.join('\n'));
  });

  it('the tree: a child per direction under the desktop and the gateway, a warning when it dropped; off / missing as one row', () => {
    const now = new Date('2026-11-30T18:10:00Z');
    const prev = { at: '2026-11-30T18:06:00.000Z', counters: counters(() => 10) };
    const hit = guardView(t, parseGuardLines(guardLines(counters((n) => (n === 'to_lan_dropped' ? 360010 : 20)))), prev, now).view;
    const nodes = buildTopologyTree(t, new Map(), new Map(), { guards: new Map([['desktop', hit]]) });
    const desktop = nodes.find((n) => n.id === 'rosvpn:desktop')!;
    const rows = (n: TreeNode) => n.children!.map((c) => [c.id, c.label, c.description, !!c.warning]);
    assert.deepEqual(rows(desktop), [
      ['rosvpn:guard:desktop:to_lan', 'Guard → robot LAN', 'passed 4.0 KB · dropped 36 MB', true],
      ['rosvpn:guard:desktop:to_cloud', 'Guard → cloud', 'passed 4.0 KB · dropped 1.0 KB', true],
    ]);
    assert.equal(
      desktop.children![0].tooltip,
      [
        'Multicast guard on desktop, frames towards the robot LAN, in the 4 min since the last check:',
        'passed 4.0 KB (40 frames): ARP, unicast, DDS discovery and multicast/broadcast within the budget',
        'dropped 36 MB (360 k frames): multicast/broadcast over the budget of 100 kbit/s (filter.multicastBudgetKbps)',
        'WARNING: the guard on desktop dropped 36 MB (360 k frames) of multicast/broadcast towards the robot LAN in the 4 min since the last check (budget 100 kbit/s: filter.multicastBudgetKbps)',
      ].join('\n'),
    );
    assert.ok(
      desktop.children!.every((c) => c.kind === 'guard' && c.host === undefined && c.contextValue === 'guard'),
      'no host menus on guard rows',
    );
    const gateway = nodes.find((n) => n.id === 'rosvpn:gateway')!;
    assert.equal(gateway.children, undefined, 'no guard row before a check read it');
    const calm = guardView(t, parseGuardLines(guardLines(counters(() => 10))), prev, now).view;
    assert.deepEqual(
      guardChildren('gateway', calm).children!.map((c) => [c.description, !!c.warning]),
      [
        ['passed 0 · dropped 0', false],
        ['passed 0 · dropped 0', false],
      ],
    );
    const missing: GuardView = { state: 'missing', budgetKbps: 100 };
    const [m] = guardChildren('gateway', missing).children!;
    assert.deepEqual([m.id, m.label, m.description, m.warning], ['rosvpn:guard:gateway', 'Guard', 'not loaded: provision the host', true]);
    const [o] = guardChildren('desktop', { state: 'off', budgetKbps: 100 }).children!;
    assert.deepEqual([o.description, o.warning], ['off (filter.enabled false)', undefined]);
    assert.deepEqual(guardChildren('desktop', { state: 'unread', budgetKbps: 100 }), {});
    // The status bar's tooltip lines: only directions that dropped.
    assert.deepEqual(
      guardHitLines(
        new Map([
          ['desktop', hit],
          ['gateway', calm],
        ]),
      ),
      ['desktop dropped 36 MB towards the robot LAN', 'desktop dropped 1.0 KB towards the cloud'],
    );
  });

  it('guardViewsFromCheck: only guards a check read (the periodic check, without root, keeps the last ones)', () => {
    const v: GuardView = { state: 'on', budgetKbps: 100, flows: [] };
    const m = guardViewsFromCheck({
      ok: true,
      hosts: [
        { label: 'desktop', role: 'desktop', ok: true, checks: [], guard: v },
        { label: 'gateway', role: 'gateway', ok: true, checks: [], guard: { state: 'unread', budgetKbps: 100 } },
        { label: 'second', role: 'second', ok: true, checks: [] },
      ],
    });
    assert.deepEqual([...m.keys()], ['desktop']);
  });
});
