// Provisioning orchestration against a real sshd with harmless scripts: parallelism, ordering, the
// client-profile copy, summaries, failures and exit codes; and the CLI's SSH commands as users run them.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { provision, type ProvisionEvent } from '../../src/core/provision/orchestrator';
import type { RenderedScript } from '../../src/core/render';
import type { ValidTopology } from '../../src/core/topology/types';
import { validateTopology } from '../../src/core/topology/validate';
import { PoolFactory } from '../support/pool';
import { freePort, makeKey, requireRootAndTools, Sshd, tempDir, type TestUser, TestUsers } from '../support/sshd';
import { statusesFromProvision } from '../../src/extension/tree/model';
import { run } from '../../lab/sh';
import { fakeProfile, waitForProfileBash } from '../support/profiles';

const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
const PROFILE = fakeProfile();
/** A profile the gateway's run leaves when it changes (a new key). */
const NEW_PROFILE = fakeProfile({ tag: 'bmV3LWtleQ==' });

/**
 * A script that records when it ran, takes a second, and reports steps like a real one. The gateway's
 * reports its profile step at once (unless it fails); a desktop run with --wait-for-profile waits for the
 * profile (or the failure marker) like the real one.
 */
function harmless(label: string, marks: string, opts: { fail?: boolean } = {}): string {
  return `#!/usr/bin/env bash
set -euo pipefail
date +%s%N > '${marks}/${label}.start'
echo "::step name=start status=ok"
${label === 'gateway' && !opts.fail ? 'echo "::step name=client-profile status=ok ms=1"' : ''}
${waitForProfileBash(label, marks, 100, 1)}
if [ -n "\${1:-}" ]; then cp "$1" '${marks}/${label}.profile'; stat -c %a "$1" > '${marks}/${label}.profile-mode'; fi
id -u > '${marks}/${label}.uid'
sleep 1
${opts.fail ? `echo '::step name=work status=failed msg="disk on fire"'\necho "::summary role=x host=${label} changed=0 ok=1 skipped=0 failed=1"\nexit 3` : `echo "  did some work"\necho "::step name=work status=changed"\necho "::warn msg=\\"just so you know\\""`}
date +%s%N > '${marks}/${label}.end'
echo "::summary role=x host=${label} changed=1 ok=1 skipped=0 failed=0"
`;
}

describe('provisioning over a real sshd', function () {
  this.timeout(60000);
  let sshd: Sshd;
  let users: TestUsers;
  let dir: string;
  let gwUser: TestUser;
  let cloudUser: TestUser;
  let deskUser: TestUser;
  let noSudo: TestUser;
  let noKey: TestUser;
  let keyPath: string;
  let pools: PoolFactory;
  let t: ValidTopology;
  let marks: string;

  const scripts = (fail: string[] = []): RenderedScript[] =>
    ['gateway', 'second', 'second-2', 'desktop'].map((label) => ({
      role: label === 'gateway' ? 'gateway' : label === 'desktop' ? 'desktop' : 'second',
      hostName: label,
      fileName: `${label}.sh`,
      content: harmless(label, marks, { fail: fail.includes(label) }),
      embedded: [],
    }));

  const read = (f: string) => fs.readFileSync(path.join(marks, f), 'utf8').trim();
  const exists = (f: string) => fs.existsSync(path.join(marks, f));

  before(async () => {
    requireRootAndTools();
    dir = tempDir('prov');
    users = new TestUsers();
    gwUser = users.add('gw', { sudo: 'nopasswd' });
    cloudUser = users.add('cl', { sudo: 'nopasswd' });
    deskUser = users.add('dk', { sudo: 'nopasswd' });
    noSudo = users.add('ns');
    noKey = users.add('nk', { sudo: 'nopasswd' });
    const key = makeKey(path.join(dir, 'id_ed25519'));
    keyPath = key.path;
    sshd = new Sshd();
    for (const u of [gwUser, cloudUser, deskUser, noSudo]) sshd.authorize(u.name, [key.publicLine]);
    await sshd.start();
    // As gateway provisioning leaves it: in the login user's home, owned by that user, mode 0600.
    fs.writeFileSync(path.join(gwUser.home, 'ros_local_gateway.ovpn'), PROFILE, { mode: 0o600 });
    fs.chownSync(path.join(gwUser.home, 'ros_local_gateway.ovpn'), gwUser.uid, gwUser.uid);
    const raw = {
      name: 'lab',
      robotSubnet: '192.168.0.0/24',
      ssh: { identityFile: keyPath, port: sshd.port },
      gateway: { host: '127.0.0.1', user: gwUser.name, publicAddress: '203.0.113.1', cloudIp: '172.31.1.11', vpnIp: '192.168.0.130/24' },
      seconds: [
        { name: 'second', host: '127.0.0.1', user: cloudUser.name, cloudIp: '172.31.1.12', vpnIp: '192.168.0.131/24' },
        { name: 'second-2', host: '127.0.0.1', user: cloudUser.name, cloudIp: '172.31.1.13', vpnIp: '192.168.0.132/24' },
      ],
      desktop: { host: '127.0.0.1', user: deskUser.name, lanInterface: 'eno1' },
    };
    const v = validateTopology(raw);
    assert.ok(v.topology, JSON.stringify(v.diagnostics));
    t = v.topology;
    fs.writeFileSync(path.join(dir, 'rosvpn.json'), JSON.stringify(raw, null, 2));
    pools = new PoolFactory(dir);
  });

  beforeEach(() => {
    marks = fs.mkdtempSync(path.join(dir, 'marks-'));
    fs.chmodSync(marks, 0o777);
  });

  afterEach(() => pools.disposeAll());

  after(async () => {
    await sshd?.stop();
    const problems = await users?.teardown();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(problems ?? [], []);
  });

  it("runs every host at once; the desktop's profile is copied from the gateway when its profile step reports done", async () => {
    const { pool } = pools.make({ knownHosts: [sshd.knownHostsLine()] });
    const events: ProvisionEvent[] = [];
    const report = await provision(t, { pool, scripts: scripts(), onEvent: (e) => events.push(e) });
    assert.equal(report.ok, true, JSON.stringify(report.hosts));
    assert.deepEqual(
      report.hosts.map((h) => [h.label, h.status, h.changed, h.ok]),
      [
        ['gateway', 'changed', 1, 1],
        ['second', 'changed', 1, 1],
        ['second-2', 'changed', 1, 1],
        ['desktop', 'changed', 1, 1],
      ],
    );
    const start = (l: string) => Number(read(`${l}.start`));
    const end = (l: string) => Number(read(`${l}.end`));
    // Parallel: each cloud host started before any cloud host finished.
    const firstEnd = Math.min(end('gateway'), end('second'), end('second-2'));
    for (const l of ['gateway', 'second', 'second-2']) assert.ok(start(l) < firstEnd, `${l} did not run in parallel`);
    // The desktop starts alongside the gateway and gets the gateway's profile (mode 0600) while the gateway runs.
    assert.ok(start('desktop') < end('gateway'), 'the desktop waited for the gateway to finish');
    assert.ok(Number(read('desktop.profile-time')) < end('gateway'), "the profile came only at the gateway's end");
    assert.equal(read('desktop.profile'), PROFILE.trim());
    assert.equal(read('desktop.profile-mode'), '600');
    assert.equal(fs.readFileSync(path.join(deskUser.home, 'ros_local_gateway.ovpn'), 'utf8'), PROFILE);
    // sudo: every script ran as root.
    for (const l of ['gateway', 'second', 'desktop']) assert.equal(read(`${l}.uid`), '0');
    // Streamed lines and warnings reached the caller, tagged with their host.
    assert.ok(events.some((e) => e.type === 'line' && e.host === 'second-2' && e.line.kind === 'step' && e.line.name === 'work'));
    assert.deepEqual(report.hosts[0].warnings, ['just so you know']);
  });

  it('a failing second fails only itself, with the failed step named; the report is not ok', async () => {
    const { pool } = pools.make({ knownHosts: [sshd.knownHostsLine()] });
    const report = await provision(t, { pool, scripts: scripts(['second-2']) });
    assert.equal(report.ok, false);
    const byLabel = Object.fromEntries(report.hosts.map((h) => [h.label, h]));
    assert.equal(byLabel['second-2'].status, 'failed');
    assert.match(byLabel['second-2'].error!, /step work failed: disk on fire/);
    assert.equal(byLabel['second-2'].code, 'STEP_FAILED');
    assert.equal(byLabel.gateway.code, undefined);
    assert.equal(byLabel.gateway.status, 'changed');
    assert.equal(byLabel.desktop.status, 'changed');
  });

  it('when the gateway fails before its profile step, the desktop fails at once saying so; the seconds still run', async () => {
    // A desktop that does not hold the gateway's profile yet (a first run).
    fs.rmSync(path.join(deskUser.home, 'ros_local_gateway.ovpn'), { force: true });
    const { pool } = pools.make({ knownHosts: [sshd.knownHostsLine()] });
    const report = await provision(t, { pool, scripts: scripts(['gateway']) });
    const byLabel = Object.fromEntries(report.hosts.map((h) => [h.label, h]));
    assert.equal(byLabel.gateway.status, 'failed');
    assert.equal(byLabel.desktop.status, 'failed');
    assert.match(byLabel.desktop.error!, /no profile from the gateway: the gateway failed: step work failed: disk on fire/);
    assert.equal(exists('desktop.profile'), false, 'the desktop got a profile');
    assert.equal(fs.existsSync(path.join(deskUser.home, 'ros_local_gateway.ovpn.failed')), false, 'the marker was left behind');
    assert.equal(byLabel.second.status, 'changed');
  });

  it("a rerun: a desktop that holds the gateway's profile runs alongside the gateway; a changed profile runs it again after", async () => {
    const { pool } = pools.make({ knownHosts: [sshd.knownHostsLine()] });
    const deskProfile = path.join(deskUser.home, 'ros_local_gateway.ovpn');
    fs.writeFileSync(deskProfile, PROFILE, { mode: 0o600 });
    fs.chownSync(deskProfile, deskUser.uid, deskUser.uid);
    const events: ProvisionEvent[] = [];
    let report = await provision(t, { pool, scripts: scripts(), onEvent: (e) => events.push(e) });
    assert.equal(report.ok, true, JSON.stringify(report.hosts));
    const start = (l: string) => Number(read(`${l}.start`));
    const end = (l: string) => Number(read(`${l}.end`));
    assert.ok(start('desktop') < end('gateway'), 'the desktop waited for the gateway although it held its profile');
    assert.equal(
      events.filter((e) => e.type === 'host-start' && e.host === 'desktop').length,
      1,
      'the desktop ran twice with an unchanged profile',
    );
    assert.equal(read('desktop.profile'), PROFILE.trim());
    // Negative control: the gateway's run leaves a new profile (as after a PKI or address change).
    const gwProfile = path.join(gwUser.home, 'ros_local_gateway.ovpn');
    fs.writeFileSync(path.join(marks, 'new.ovpn'), NEW_PROFILE);
    const changed = harmless('gateway', marks, {}).replace('sleep 1', `sleep 1\ncp '${marks}/new.ovpn' '${gwProfile}'`);
    events.length = 0;
    try {
      report = await provision(t, {
        pool,
        scripts: scripts().map((x) => (x.hostName === 'gateway' ? { ...x, content: changed } : x)),
        onEvent: (e) => events.push(e),
      });
      assert.equal(report.ok, true, JSON.stringify(report.hosts));
      assert.equal(events.filter((e) => e.type === 'host-start' && e.host === 'desktop').length, 2, 'a new profile must reach the desktop');
      assert.equal(read('desktop.profile'), NEW_PROFILE.trim());
      assert.ok(start('desktop') > end('gateway'), 'the second desktop run must start after the gateway');
    } finally {
      fs.writeFileSync(gwProfile, PROFILE, { mode: 0o600 });
      fs.chownSync(gwProfile, gwUser.uid, gwUser.uid);
    }
  });

  it('--host runs one host only; --role second runs every second', async () => {
    const { pool } = pools.make({ knownHosts: [sshd.knownHostsLine()] });
    const one = await provision(t, { pool, scripts: scripts(), select: { host: 'second-2' } });
    assert.deepEqual(
      one.hosts.map((h) => h.label),
      ['second-2'],
    );
    assert.equal(exists('gateway.start'), false);
    const seconds = await provision(t, { pool, scripts: scripts(), select: { role: 'second' } });
    assert.deepEqual(
      seconds.hosts.map((h) => h.label),
      ['second', 'second-2'],
    );
  });

  it('a user without sudo: the host fails with a sudo error and nothing runs', async () => {
    const { pool } = pools.make({ knownHosts: [sshd.knownHostsLine()], sudoPassword: undefined });
    const noSudoTopology = { ...t, gateway: { ...t.gateway, user: noSudo.name } } as ValidTopology;
    const report = await provision(noSudoTopology, { pool, scripts: scripts(), select: { host: 'gateway' } });
    assert.equal(report.hosts[0].status, 'failed');
    assert.match(report.hosts[0].error!, /sudo/i);
    assert.equal(report.hosts[0].code, 'SUDO_FAILED');
    assert.equal(exists('gateway.start'), false);
  });

  it('the report carries the SSH error code: refused login, rejected host key, closed port; the tree reads them as unreachable', async () => {
    const { pool } = pools.make({ knownHosts: [sshd.knownHostsLine()] });
    const untrusted = pools.make({ trust: false }).pool;
    const closed = await freePort();
    const gatewayAs = (gateway: Partial<ValidTopology['gateway']>) => ({ ...t, gateway: { ...t.gateway, ...gateway } }) as ValidTopology;
    const one = async (topology: ValidTopology, p = pool) =>
      (await provision(topology, { pool: p, scripts: scripts(), select: { host: 'gateway' } })).hosts[0];
    const auth = await one(gatewayAs({ user: noKey.name }));
    assert.equal(auth.status, 'failed');
    assert.equal(auth.code, 'AUTH_FAILED', auth.error);
    const hostKey = await one(t, untrusted);
    assert.equal(hostKey.code, 'HOST_KEY_REJECTED', hostKey.error);
    const port = await one(gatewayAs({ port: closed }));
    assert.equal(port.code, 'CONNECT_FAILED', port.error);
    assert.equal(exists('gateway.start'), false);
    const health = statusesFromProvision({ ok: false, hosts: [auth, { ...hostKey, label: 'k' }, { ...port, label: 'p' }] });
    assert.deepEqual(Object.fromEntries(health), { gateway: 'unreachable', k: 'unreachable', p: 'unreachable' });
  });

  describe('CLI', () => {
    const cli = (args: string[], cwd = dir) =>
      run(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH!, HOME: dir, LANG: 'C' } });

    it('provision: a host whose user may not sudo fails, the summary says so, exit 1, and nothing ran', () => {
      const raw = JSON.parse(fs.readFileSync(path.join(dir, 'rosvpn.json'), 'utf8'));
      raw.gateway.user = noSudo.name;
      fs.writeFileSync(path.join(dir, 'nosudo.json'), JSON.stringify(raw));
      const r = cli(['provision', 'nosudo.json', '--host', 'gateway', '--accept-new', '--known-hosts', path.join(dir, 'kh-cli')]);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^gateway\s+gateway\s+failed/m);
      assert.match(r.stdout, /error: .*sudo/i);
      assert.match(r.stdout, /provision: FAILED on 1 host\(s\)/);
      assert.match(r.stderr, /recording the new host key of .* SHA256:/);
    });

    it('provision: an unknown host key without --accept-new is refused and nothing is recorded', () => {
      const kh = path.join(dir, 'kh-none');
      const r = cli(['provision', '--host', 'gateway', '--known-hosts', kh]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /unknown host key for .*--accept-new/);
      assert.equal(fs.existsSync(kh) ? fs.readFileSync(kh, 'utf8') : '', '');
    });

    it('fetch-ovpn: writes the profile with mode 0600, refuses to overwrite, warns inside an unignored git tree', () => {
      const work = fs.mkdtempSync(path.join(dir, 'ws-'));
      fs.copyFileSync(path.join(dir, 'rosvpn.json'), path.join(work, 'rosvpn.json'));
      assert.equal(run('git', ['init', '-q'], { cwd: work }).status, 0);
      const kh = ['--accept-new', '--known-hosts', path.join(dir, 'kh-fetch')];
      const r = cli(['fetch-ovpn', ...kh], work);
      assert.equal(r.status, 0, r.stderr);
      const out = path.join(work, 'ros_local_gateway.ovpn');
      assert.equal(fs.readFileSync(out, 'utf8'), PROFILE);
      assert.equal(fs.statSync(out).mode & 0o777, 0o600);
      assert.match(r.stderr, /inside a git work tree and not ignored/);
      const again = cli(['fetch-ovpn', ...kh], work);
      assert.equal(again.status, 1);
      assert.match(again.stderr, /already exists; nothing written \(use --force/);
      fs.writeFileSync(path.join(work, '.gitignore'), '*.ovpn\n');
      const forced = cli(['fetch-ovpn', '--force', ...kh], work);
      assert.equal(forced.status, 0, forced.stderr);
      assert.doesNotMatch(forced.stderr, /not ignored/);
    });

    it("logs: runs journalctl for the role's unit with sudo and prints its output", () => {
      const r = cli([
        'logs',
        'gateway',
        '--topology',
        'rosvpn.json',
        '--lines',
        '5',
        '--accept-new',
        '--known-hosts',
        path.join(dir, 'kh-logs'),
      ]);
      // This machine may have no journal; either way the output is journalctl's own, run as root.
      assert.match(r.stdout + r.stderr, /No entries|No journal files|Failed to|-- /);
      assert.doesNotMatch(r.stderr, /sudo:|password/i);
    });

    it('check --json on a host whose user may not sudo reports it unhealthy with the reason', () => {
      const r = cli(['check', 'nosudo.json', '--host', 'gateway', '--json', '--accept-new', '--known-hosts', path.join(dir, 'kh-check')]);
      assert.equal(r.status, 1);
      const report = JSON.parse(r.stdout);
      assert.equal(report.ok, false);
      assert.equal(report.hosts[0].label, 'gateway');
      assert.equal(report.hosts[0].checks[0].name, 'ssh');
      assert.equal(report.hosts[0].checks[0].status, 'pass');
      assert.ok(
        report.hosts[0].checks.some((c: { status: string; msg: string }) => c.status === 'fail' && /sudo/i.test(c.msg)),
        r.stdout,
      );
    });
  });
});
