// Issue I against a real sshd, with harmless scripts: client hosts get their own profile from the gateway
// (validated before upload), and the CA passphrase reaches the gateway only as a 0600 file in /dev/shm whose
// path is the script's argument, is asked for when the script says CA_LOCKED/CA_NEW/CA_BAD_PASSPHRASE (the
// gateway reruns, dependents wait), never shows up in logs, events or any process's argv, and is removed.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { provision, type CaPassphraseSource, type ProvisionEvent } from '../../src/core/provision/orchestrator';
import { clientStatuses, revokeClient, rotateClient, runPki } from '../../src/core/clients';
import type { RenderedScript } from '../../src/core/render';
import type { ValidTopology } from '../../src/core/topology/types';
import { validateTopology } from '../../src/core/topology/validate';
import { PoolFactory } from '../support/pool';
import { makeKey, requireRootAndTools, Sshd, tempDir, type TestUser, TestUsers } from '../support/sshd';
import { fakeProfile, waitForProfileBash } from '../support/profiles';

const DESKTOP_PROFILE = fakeProfile();
const ALICE_PROFILE = fakeProfile({ tag: 'YWxpY2U=' });
const BOB_PROFILE = fakeProfile({ tag: 'Ym9i' });
const PASSPHRASE = 'correct horse battery staple';

/**
 * A gateway script that needs the CA passphrase: without --ca-pass-file it fails with `code` (CA_LOCKED or
 * CA_NEW); with a file whose first line is not `right` it fails with CA_BAD_PASSPHRASE. It records its
 * arguments, the file's mode and owner, its content (test passphrases only), and every process's argv.
 */
function lockedGateway(marks: string, code: 'CA_LOCKED' | 'CA_NEW', right: string): string {
  return `#!/usr/bin/env bash
set -euo pipefail
n=$(ls '${marks}' | grep -c '^gateway\\.run' || true)
echo "$*" > "${marks}/gateway.run$n"
date +%s%N > '${marks}/gateway.start'
echo "::step name=preflight status=ok"
if [ "\${1:-}" != --ca-pass-file ]; then
  echo '::step name=pki status=failed code=${code} msg="the CA key is encrypted; its passphrase is needed to issue alice"'
  echo "::summary role=gateway host=gateway changed=0 ok=1 skipped=0 failed=1"
  exit 1
fi
f=$2
stat -c '%a %U' "$f" > '${marks}/gateway.passfile-stat'
cp "$f" "${marks}/gateway.passfile-content$n"
cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' ' > "${marks}/gateway.cmdlines$n" || true
if [ "$(head -n1 "$f")" != '${right}' ]; then
  echo '::step name=pki status=failed code=CA_BAD_PASSPHRASE msg="the passphrase does not open the CA key"'
  echo "::summary role=gateway host=gateway changed=0 ok=1 skipped=0 failed=1"
  exit 1
fi
sleep 1
echo "::step name=pki status=changed msg=\\"issued alice\\""
date +%s%N > '${marks}/gateway.end'
echo "::summary role=gateway host=gateway changed=1 ok=1 skipped=0 failed=0"
`;
}

/**
 * A host script that records when it ran and the profile it got as $1; run with --wait-for-profile PATH (as
 * provision runs it alongside the gateway), it waits for PATH like the real one, or fails on PATH.failed.
 */
function profileUser(label: string, marks: string): string {
  return `#!/usr/bin/env bash
set -euo pipefail
date +%s%N > '${marks}/${label}.start'
printf '%s\\n' "$*" > '${marks}/${label}.args'
${waitForProfileBash(label, marks, 400)}
cp "$1" '${marks}/${label}.profile'
stat -c '%a %U' "$1" > '${marks}/${label}.profile-stat'
echo "::step name=profile status=ok"
date +%s%N > '${marks}/${label}.end'
echo "::summary role=x host=${label} changed=0 ok=1 skipped=0 failed=0"
`;
}

function okGateway(marks: string): string {
  return `#!/usr/bin/env bash
set -euo pipefail
echo "$*" > '${marks}/gateway.run0'
date +%s%N > '${marks}/gateway.start'
sleep 1
date +%s%N > '${marks}/gateway.end'
echo "::step name=pki status=ok"
echo "::summary role=gateway host=gateway changed=0 ok=1 skipped=0 failed=0"
`;
}

/**
 * A gateway that ends only once HOST has started (or after 20 s): a host that runs alongside it starts before
 * it ends however loaded the machine is, and one that waits for it starts after, 20 s late.
 */
function gatewayWaitingFor(marks: string, host: string): string {
  return okGateway(marks).replace('sleep 1\n', `for _ in $(seq 1 200); do [ -e '${marks}/${host}.start' ] && break; sleep 0.1; done\n`);
}

describe('client hosts and the CA passphrase over a real sshd', function () {
  this.timeout(90000);
  let sshd: Sshd;
  let users: TestUsers;
  let dir: string;
  let gwUser: TestUser;
  let deskUser: TestUser;
  let aliceUser: TestUser;
  let bobUser: TestUser;
  let pools: PoolFactory;
  let t: ValidTopology;
  let marks: string;

  const put = (user: TestUser, rel: string, content: string) => {
    const file = path.join(user.home, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.chownSync(path.dirname(file), user.uid, user.uid);
    fs.writeFileSync(file, content, { mode: 0o600 });
    fs.chownSync(file, user.uid, user.uid);
  };
  const read = (f: string) => fs.readFileSync(path.join(marks, f), 'utf8').trim();
  const exists = (f: string) => fs.existsSync(path.join(marks, f));
  const shmFiles = () => fs.readdirSync('/dev/shm').filter((f) => f.startsWith('rosvpn-ca.'));
  /** Every passphrase file a gateway run of this test was given is gone (other tests may have their own). */
  const passFilesGone = () => {
    const paths = fs
      .readdirSync(marks)
      .filter((f) => f.startsWith('gateway.run'))
      .map((f) => read(f).split(' ')[1])
      .filter((p): p is string => !!p);
    for (const p of paths) assert.equal(fs.existsSync(p), false, `${p} is still there`);
    return paths.length;
  };

  const scripts = (gateway: string): RenderedScript[] => [
    { role: 'gateway', hostName: 'gateway', fileName: 'gateway.sh', content: gateway, embedded: [] },
    { role: 'desktop', hostName: 'desktop', fileName: 'desktop.sh', content: profileUser('desktop', marks), embedded: [] },
    { role: 'client', hostName: 'alice', fileName: 'alice.sh', content: profileUser('alice', marks), embedded: [] },
    { role: 'client', hostName: 'bob', fileName: 'bob.sh', content: profileUser('bob', marks), embedded: [] },
  ];

  /** A passphrase source that answers from a list and records what it was asked. */
  const source = (known: string | undefined, answers: (string | undefined)[]) => {
    const asked: [string, string][] = [];
    const accepted: string[] = [];
    const s: CaPassphraseSource = {
      known: async () => known,
      ask: async (need, why) => {
        asked.push([need, why]);
        return answers.shift();
      },
      accepted: (p) => {
        accepted.push(p);
      },
    };
    return { s, asked, accepted };
  };

  before(async () => {
    requireRootAndTools();
    dir = tempDir('clients');
    users = new TestUsers();
    gwUser = users.add('cgw', { sudo: 'nopasswd' });
    deskUser = users.add('cdk', { sudo: 'nopasswd' });
    aliceUser = users.add('cal', { sudo: 'nopasswd' });
    bobUser = users.add('cbo', { sudo: 'nopasswd' });
    const key = makeKey(path.join(dir, 'id_ed25519'));
    sshd = new Sshd();
    for (const u of [gwUser, deskUser, aliceUser, bobUser]) sshd.authorize(u.name, [key.publicLine]);
    await sshd.start();
    const raw = {
      name: 'lab',
      robotSubnet: '192.168.0.0/24',
      ssh: { identityFile: key.path, port: sshd.port },
      gateway: { host: '127.0.0.1', user: gwUser.name, publicAddress: '203.0.113.1', cloudIp: '172.31.1.11', vpnIp: '192.168.0.130/24' },
      seconds: [],
      desktop: { host: '127.0.0.1', user: deskUser.name, lanInterface: 'eno1' },
      clients: [
        { name: 'alice', vpnIp: '192.168.0.254/24', host: '127.0.0.1', user: aliceUser.name },
        { name: 'bob', vpnIp: '192.168.0.253/24', host: '127.0.0.1', user: bobUser.name },
        { name: 'carol', vpnIp: '192.168.0.252/24' },
      ],
    };
    const v = validateTopology(raw);
    assert.ok(v.topology, JSON.stringify(v.diagnostics));
    t = v.topology;
    pools = new PoolFactory(dir);
  });

  beforeEach(() => {
    marks = fs.mkdtempSync(path.join(dir, 'marks-'));
    fs.chmodSync(marks, 0o777);
    // As gateway provisioning leaves them: the desktop's in the home, the clients' in ~/rosvpn-clients/.
    put(gwUser, 'ros_local_gateway.ovpn', DESKTOP_PROFILE);
    put(gwUser, 'rosvpn-clients/alice.ovpn', ALICE_PROFILE);
    put(gwUser, 'rosvpn-clients/bob.ovpn', BOB_PROFILE);
    for (const u of [deskUser, aliceUser, bobUser]) {
      for (const f of ['ros_local_gateway.ovpn', 'alice.ovpn', 'bob.ovpn']) fs.rmSync(path.join(u.home, f), { force: true });
    }
  });

  afterEach(() => pools.disposeAll());

  after(async () => {
    await sshd?.stop();
    const problems = await users?.teardown();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(problems ?? [], []);
  });

  it('each client host gets its own profile from ~/rosvpn-clients/ as ~/NAME.ovpn (0600) while it runs; a client without host is not a host', async () => {
    const { pool } = pools.make({ knownHosts: [sshd.knownHostsLine()] });
    const report = await provision(t, { pool, scripts: scripts(okGateway(marks)) });
    assert.equal(report.ok, true, JSON.stringify(report.hosts));
    assert.deepEqual(
      report.hosts.map((h) => [h.label, h.role, h.status]),
      [
        ['gateway', 'gateway', 'ok'],
        ['desktop', 'desktop', 'ok'],
        ['alice', 'client', 'ok'],
        ['bob', 'client', 'ok'],
      ],
    );
    assert.equal(read('alice.profile'), ALICE_PROFILE.trim());
    assert.equal(read('bob.profile'), BOB_PROFILE.trim());
    assert.equal(read('desktop.profile'), DESKTOP_PROFILE.trim());
    assert.equal(read('alice.args'), `--wait-for-profile ${path.join(aliceUser.home, 'alice.ovpn')}`);
    assert.equal(read('alice.profile-stat'), `600 ${aliceUser.name}`);
    assert.equal(fs.readFileSync(path.join(bobUser.home, 'bob.ovpn'), 'utf8'), BOB_PROFILE);
    // This gateway has no profile step: the profiles are copied when its run ends.
    for (const l of ['desktop', 'alice', 'bob'])
      assert.ok(Number(read(`${l}.profile-time`)) > Number(read('gateway.end')), `${l} got a profile before the gateway wrote it`);
    // Without a CA passphrase source the gateway gets no argument at all.
    assert.equal(read('gateway.run0'), '');
    // --host alice runs alice alone, fetching its profile from the gateway.
    fs.rmSync(path.join(marks, 'alice.start'));
    const one = await provision(t, { pool, scripts: scripts(okGateway(marks)), select: { host: 'alice' } });
    assert.deepEqual(
      one.hosts.map((h) => [h.label, h.status]),
      [['alice', 'ok']],
    );
    const role = await provision(t, { pool, scripts: scripts(okGateway(marks)), select: { role: 'client' } });
    assert.deepEqual(
      role.hosts.map((h) => h.label),
      ['alice', 'bob'],
    );
  });

  it('a client that holds its current profile runs alongside the gateway', async () => {
    const { pool } = pools.make({ knownHosts: [sshd.knownHostsLine()] });
    put(aliceUser, 'alice.ovpn', ALICE_PROFILE);
    const events: ProvisionEvent[] = [];
    const report = await provision(t, { pool, scripts: scripts(gatewayWaitingFor(marks, 'alice')), onEvent: (e) => events.push(e) });
    assert.equal(report.ok, true, JSON.stringify(report.hosts));
    assert.ok(Number(read('alice.start')) < Number(read('gateway.end')), 'alice waited although it held its profile');
    assert.ok(Number(read('bob.profile-time')) > Number(read('gateway.end')), 'bob did not hold its profile, so it waits for it');
    assert.equal(events.filter((e) => e.type === 'host-start' && e.host === 'alice').length, 1);
  });

  it('a profile with a directive outside the allow-list is refused before upload: the host fails naming the line', async () => {
    const { pool } = pools.make({ knownHosts: [sshd.knownHostsLine()] });
    put(gwUser, 'rosvpn-clients/bob.ovpn', BOB_PROFILE.replace('\nclient\n', '\nclient\nup /bin/sh\n'));
    const report = await provision(t, { pool, scripts: scripts(okGateway(marks)) });
    const bob = report.hosts.find((h) => h.label === 'bob')!;
    assert.equal(bob.status, 'failed');
    assert.match(
      bob.error!,
      /no profile from the gateway: the profile from the gateway could not be copied to bob: bob\.ovpn from the gateway is not a ROS VPN profile.* line 4: directive 'up' is not allowed/,
    );
    assert.equal(exists('bob.profile'), false);
    assert.equal(fs.existsSync(path.join(bobUser.home, 'bob.ovpn')), false, 'the refused profile was uploaded');
    assert.equal(report.hosts.find((h) => h.label === 'alice')!.status, 'ok');
  });

  it('a known passphrase: uploaded to /dev/shm/rosvpn-ca.<16 hex> (0600, the login user), passed as --ca-pass-file PATH, never in logs, events or argv, and removed', async () => {
    const tp = pools.make({ knownHosts: [sshd.knownHostsLine()] });
    const events: ProvisionEvent[] = [];
    const { s, asked, accepted } = source(PASSPHRASE, []);
    const before = shmFiles();
    const report = await provision(t, {
      pool: tp.pool,
      scripts: scripts(lockedGateway(marks, 'CA_LOCKED', PASSPHRASE)),
      caPassphrase: s,
      onEvent: (e) => events.push(e),
    });
    assert.equal(report.ok, true, JSON.stringify(report.hosts));
    const args = read('gateway.run0');
    const m = /^--ca-pass-file (\/dev\/shm\/rosvpn-ca\.[0-9a-f]{16})$/.exec(args);
    assert.ok(m, args);
    assert.equal(read('gateway.passfile-stat'), `600 ${gwUser.name}`);
    assert.equal(read('gateway.passfile-content0'), PASSPHRASE);
    assert.equal(fs.existsSync(m[1]!), false, 'the passphrase file is still in /dev/shm');
    assert.deepEqual(
      shmFiles().filter((f) => !before.includes(f)),
      [],
    );
    assert.deepEqual(asked, []);
    assert.deepEqual(accepted, [PASSPHRASE]);
    const cmdlines = read('gateway.cmdlines0');
    assert.ok(cmdlines.includes(`--ca-pass-file ${m[1]}`), 'the process list was not captured');
    assert.equal(cmdlines.includes(PASSPHRASE), false, 'the passphrase is on a command line');
    const everything = JSON.stringify(events) + JSON.stringify(report) + tp.logs.join('\n');
    assert.equal(everything.includes(PASSPHRASE), false, 'the passphrase reached a log or an event');
  });

  it('CA_LOCKED -> ask(unlock) -> rerun; a wrong one -> ask(retry) -> rerun; the dependents wait for the last gateway run', async () => {
    const { pool } = pools.make({ knownHosts: [sshd.knownHostsLine()] });
    const events: ProvisionEvent[] = [];
    const { s, asked, accepted } = source(undefined, ['wrong passphrase', PASSPHRASE]);
    const report = await provision(t, {
      pool,
      scripts: scripts(lockedGateway(marks, 'CA_LOCKED', PASSPHRASE)),
      caPassphrase: s,
      onEvent: (e) => events.push(e),
    });
    assert.equal(report.ok, true, JSON.stringify(report.hosts));
    assert.deepEqual(
      asked.map(([need]) => need),
      ['unlock', 'retry'],
    );
    assert.match(asked[0]![1], /step pki failed: the CA key is encrypted; its passphrase is needed to issue alice/);
    assert.match(asked[1]![1], /does not open the CA key/);
    assert.equal(read('gateway.run0'), '');
    assert.match(read('gateway.run1'), /^--ca-pass-file \/dev\/shm\/rosvpn-ca\.[0-9a-f]{16}$/);
    assert.equal(read('gateway.passfile-content1'), 'wrong passphrase');
    assert.equal(read('gateway.passfile-content2'), PASSPHRASE);
    assert.notEqual(read('gateway.run1'), read('gateway.run2'), 'each run gets a new random file name');
    assert.deepEqual(accepted, [PASSPHRASE]);
    assert.equal(events.filter((e) => e.type === 'host-start' && e.host === 'gateway').length, 3);
    const gw = report.hosts.find((h) => h.label === 'gateway')!;
    assert.equal(gw.status, 'changed');
    assert.equal(gw.code, undefined);
    for (const l of ['desktop', 'alice', 'bob'])
      assert.ok(Number(read(`${l}.profile-time`)) > Number(read('gateway.end')), `${l} did not wait for the last run`);
    assert.equal(passFilesGone(), 2);
  });

  it('CA_NEW asks for a new passphrase; a cancelled ask fails the gateway with its code, and the dependents saying so', async () => {
    const { pool } = pools.make({ knownHosts: [sshd.knownHostsLine()] });
    const fresh = source(undefined, [PASSPHRASE]);
    const ok = await provision(t, { pool, scripts: scripts(lockedGateway(marks, 'CA_NEW', PASSPHRASE)), caPassphrase: fresh.s });
    assert.equal(ok.ok, true, JSON.stringify(ok.hosts));
    assert.deepEqual(
      fresh.asked.map(([need]) => need),
      ['new'],
    );
    marks = fs.mkdtempSync(path.join(dir, 'marks-'));
    fs.chmodSync(marks, 0o777);
    // Dependents that do not hold their profile yet (else they would run alongside the gateway).
    for (const [u, f] of [
      [deskUser, 'ros_local_gateway.ovpn'],
      [aliceUser, 'alice.ovpn'],
      [bobUser, 'bob.ovpn'],
    ] as const)
      fs.rmSync(path.join(u.home, f), { force: true });
    const cancel = source(undefined, [undefined]);
    const report = await provision(t, { pool, scripts: scripts(lockedGateway(marks, 'CA_LOCKED', PASSPHRASE)), caPassphrase: cancel.s });
    const gw = report.hosts.find((h) => h.label === 'gateway')!;
    assert.equal(gw.status, 'failed');
    assert.equal(gw.code, 'CA_LOCKED');
    assert.match(gw.error!, /no CA passphrase given/);
    for (const l of ['desktop', 'alice', 'bob']) {
      const h = report.hosts.find((x) => x.label === l)!;
      assert.equal(h.status, 'failed', l);
      assert.match(h.error!, /no profile from the gateway: the gateway failed: .*no CA passphrase given/);
    }
    assert.equal(passFilesGone(), 0);
  });

  it('gives up after 3 wrong passphrases: 4 runs, the failure stands as CA_BAD_PASSPHRASE; no source at all -> CA_LOCKED without asking', async () => {
    const { pool } = pools.make({ knownHosts: [sshd.knownHostsLine()] });
    const wrong = source('wrong 0', ['wrong 1', 'wrong 2', 'wrong 3', 'never asked']);
    const report = await provision(t, {
      pool,
      scripts: scripts(lockedGateway(marks, 'CA_LOCKED', PASSPHRASE)),
      caPassphrase: wrong.s,
      select: { host: 'gateway' },
    });
    assert.equal(report.hosts[0]!.code, 'CA_BAD_PASSPHRASE');
    assert.deepEqual(
      wrong.asked.map(([need]) => need),
      ['retry', 'retry', 'retry'],
    );
    assert.deepEqual(wrong.accepted, []);
    for (let i = 0; i < 4; i++) assert.equal(read(`gateway.passfile-content${i}`), `wrong ${i}`);
    assert.equal(passFilesGone(), 4);
    const none = await provision(t, { pool, scripts: scripts(lockedGateway(marks, 'CA_LOCKED', PASSPHRASE)), select: { host: 'gateway' } });
    assert.equal(none.hosts[0]!.code, 'CA_LOCKED');
  });

  it('a passphrase with a line break is refused without uploading it', async () => {
    const { pool } = pools.make({ knownHosts: [sshd.knownHostsLine()] });
    const bad = source(undefined, ['two\nlines']);
    const report = await provision(t, {
      pool,
      scripts: scripts(lockedGateway(marks, 'CA_LOCKED', PASSPHRASE)),
      caPassphrase: bad.s,
      select: { host: 'gateway' },
    });
    assert.equal(report.hosts[0]!.code, 'CA_LOCKED');
    assert.match(report.hosts[0]!.error!, /line break/);
    assert.equal(exists('gateway.run1'), false);
  });
  describe('src/core/clients on the gateway', () => {
    /** A status script that answers only as root, like the real one (it reads the PKI and the management socket). */
    const statusScript = `#!/usr/bin/env bash
[ "$(id -u)" = 0 ] || { echo "not root" >&2; exit 1; }
echo '::cert name=ca kind=ca status=valid not_after=2036-11-28T08:00:00Z'
echo '::cert name=alice kind=client status=valid not_after=2027-11-30T08:00:00Z'
echo '::cert name=carol kind=client status=missing'
echo '::cert name=dave kind=client status=revoked not_after=2027-01-01T00:00:00Z'
echo '::conn name=alice real=198.51.100.7:40112 since=1796000000'
`;

    it('clientStatuses runs the status script with sudo and merges it with rosvpn.json', async () => {
      const { pool } = pools.make({ knownHosts: [sshd.knownHostsLine()] });
      const list = await clientStatuses(t, pool, { script: statusScript, now: new Date('2026-12-01T00:00:00Z') });
      assert.deepEqual(
        list.map((c) => [c.name, c.declared, c.cert, c.connected, c.host ?? '-']),
        [
          ['alice', true, 'valid', true, '127.0.0.1'],
          ['bob', true, 'missing', false, '127.0.0.1'],
          ['carol', true, 'missing', false, '-'],
          ['dave', false, 'revoked', false, '-'],
        ],
      );
      assert.equal(list[0]!.realAddress, '198.51.100.7:40112');
      assert.equal(list[0]!.expiresInDays, 364);
      await assert.rejects(
        clientStatuses(t, pool, { script: 'exit 3' }),
        /client status script failed on the gateway \(exit 3\).*rosvpn provision --host gateway/,
      );
    });

    it('runPki runs pki.sh on the gateway alone, with the passphrase file and the CA_LOCKED loop; rotate and revoke go through it', async () => {
      const { pool } = pools.make({ knownHosts: [sshd.knownHostsLine()] });
      const pki = {
        role: 'gateway' as const,
        hostName: 'gateway',
        fileName: 'pki.sh',
        content: lockedGateway(marks, 'CA_LOCKED', PASSPHRASE),
        embedded: [],
      };
      const { s, asked } = source(undefined, [PASSPHRASE]);
      const report = await runPki(t, pool, { script: pki, caPassphrase: s });
      assert.equal(report.ok, true, JSON.stringify(report.hosts));
      assert.deepEqual(
        report.hosts.map((h) => h.label),
        ['gateway'],
      );
      assert.deepEqual(
        asked.map(([n]) => n),
        ['unlock'],
      );
      assert.ok(fs.existsSync(path.join(gwUser.home, 'rosvpn-pki.sh')), 'uploaded as ~/rosvpn-pki.sh');
      assert.equal(passFilesGone(), 1);
      assert.equal(exists('desktop.start'), false);
      // rotate: the PKI step, then the client host with its (new) profile.
      const known = source(PASSPHRASE, []);
      const rotated = await rotateClient(t, pool, 'alice', {
        script: pki,
        caPassphrase: known.s,
        clientScripts: scripts(okGateway(marks)),
      });
      assert.equal(rotated.pki.ok, true);
      assert.deepEqual(
        rotated.client?.hosts.map((h) => [h.label, h.status]),
        [['alice', 'ok']],
      );
      assert.equal(read('alice.profile'), ALICE_PROFILE.trim());
      // revoke: the topology without the client.
      const without = { ...t, clients: t.clients.filter((c) => c.name !== 'bob') } as ValidTopology;
      const revoked = await revokeClient(without, pool, 'bob', { script: pki, caPassphrase: known.s });
      assert.equal(revoked.ok, true);
    });
  });
});
