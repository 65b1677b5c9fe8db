// The gateway's identities on real parts: the rendered pki.sh (easy-rsa, openssl, python3) against a PKI in a
// temporary directory, a real OpenVPN 2.6 server in one network namespace and two real clients in others.
//
// What is adjusted, and why (no systemd here, and the test must not touch this machine's /etc):
// - pki.sh: the path variables of its header (SERVER_CONF, PKI, CCD_DIR, CRL_PUBLIC, TLS_CRYPT_KEY, MGMT_SOCK,
//   PROFILE_DIR) point into the temporary directory; each line is replaced exactly once, the rest runs as
//   rendered. SUDO_USER names a throw-away login user, whose home receives the downloadable profiles.
// - the server: renderServerConfig's text with the same paths (and the up hook's) replaced, run as the unit
//   openvpn-server@rosvpn runs it (openvpn --status … --status-version 2 --suppress-timestamps --config …),
//   directly in the gateway's namespace instead of under systemd: the unit's RuntimeDirectory drop-in is not
//   exercised; the socket's directory is made 0700 by the test as the drop-in would.
// - the clients: renderClientConf's text with its `config` path pointing at the profile pki.sh wrote into the
//   login user's home (what rosvpn downloads), run as openvpn-client@rosvpn runs it.
// - desktop.sh and the client host script: only their preflight runs (up to its step_end), without the
//   systemd check, as nothing after it may run on this machine.
import { strict as assert } from 'assert';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { renderClientConf, renderClientStatus, renderGatewayPki, renderTopology } from '../../src/core/render';
import { renderServerConfig, renderTapUpHook } from '../../src/core/render/openvpn';
import type { ValidTopology } from '../../src/core/topology/types';
import { NetnsSet } from '../../lab/netns';
import { must, requireTool, run, start, type RunResult, type Started } from '../../lab/sh';
import { loadFixture } from '../support/fixtures';

const PASSPHRASE = 'correct horse battery staple';

function replaceOnce(text: string, from: RegExp, to: string, what: string): string {
  const hits = text.match(new RegExp(from.source, from.flags.includes('g') ? from.flags : `${from.flags}g`)) ?? [];
  assert.equal(hits.length, 1, `${what}: expected exactly one match of ${from}`);
  return text.replace(from, to);
}

async function until(what: string, ok: () => boolean, seconds: number): Promise<number> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > seconds * 1000) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return (Date.now() - t0) / 1000;
}

/** The SubjectPublicKeyInfo of a private key file, or undefined when it cannot be read without a passphrase. */
function publicKeyOf(file: string): string | undefined {
  const r = run('openssl', ['pkey', '-in', file, '-passin', 'pass:', '-pubout']);
  return r.status === 0 ? r.stdout : undefined;
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).isFile());
}

/** The gateway side: its paths in a temporary directory, pki.sh runs, the server, the client status. */
class Gateway {
  readonly root: string;
  readonly home: string;
  /** The SSH login user (SUDO_USER) whose home receives the downloadable profiles: a throw-away one. */
  readonly user: string;
  server?: Started;

  constructor(readonly tag: string) {
    this.root = fs.mkdtempSync(`/tmp/rvtpki-${tag}-`);
    // OpenVPN reads the CRL and the client-config-dir after dropping privileges to nobody.
    fs.chmodSync(this.root, 0o755);
    for (const d of ['srv', 'etc', 'mgmt']) fs.mkdirSync(path.join(this.root, d));
    fs.chmodSync(path.join(this.root, 'srv'), 0o755);
    fs.chmodSync(path.join(this.root, 'mgmt'), 0o700);
    this.home = path.join(this.root, 'home');
    this.user = `rvtpki${tag}${process.pid % 100000}`;
    run('userdel', ['-f', this.user]); // left over by an interrupted run
    must('useradd', ['-M', '-d', this.home, '-s', '/bin/false', this.user]);
    fs.mkdirSync(this.home, { mode: 0o750 });
    fs.chownSync(this.home, this.uid, this.gid);
  }

  get uid(): number {
    return Number(must('id', ['-u', this.user]).trim());
  }

  get gid(): number {
    return Number(must('id', ['-g', this.user]).trim());
  }

  remove(): void {
    run('userdel', ['-f', this.user]);
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  p(rel: string): string {
    return path.join(this.root, rel);
  }

  get paths(): Record<string, string> {
    return {
      SERVER_CONF: this.p('srv/server.conf'),
      PKI: this.p('pki'),
      CCD_DIR: this.p('srv/ccd'),
      CRL_PUBLIC: this.p('srv/crl.pem'),
      TLS_CRYPT_KEY: this.p('srv/tls-crypt.key'),
      MGMT_SOCK: this.p('mgmt/mgmt.sock'),
      PROFILE_DIR: this.p('etc'),
    };
  }

  pkiScript(t: ValidTopology, rotate: string[] = []): string {
    let s = renderGatewayPki(t, { rotate }).content;
    for (const [k, v] of Object.entries(this.paths)) s = replaceOnce(s, new RegExp(`^${k}='[^']*'$`, 'm'), `${k}='${v}'`, `pki.sh ${k}`);
    return s;
  }

  /** Runs pki.sh; with a passphrase it is uploaded as rosvpn does: /dev/shm/rosvpn-ca.<16 hex>, 0600, the login user's. */
  runPki(t: ValidTopology, opts: { passphrase?: string; rotate?: string[] } = {}): RunResult & { passFileLeft: boolean } {
    const file = this.p('pki.sh');
    fs.writeFileSync(file, this.pkiScript(t, opts.rotate));
    const args = [file];
    let passFile: string | undefined;
    if (opts.passphrase !== undefined) {
      passFile = `/dev/shm/rosvpn-ca.${randomBytes(8).toString('hex')}`;
      fs.writeFileSync(passFile, opts.passphrase, { mode: 0o600 });
      fs.chownSync(passFile, this.uid, this.gid);
      args.push('--ca-pass-file', passFile);
    }
    const r = run('bash', args, { env: { ...process.env, SUDO_USER: this.user } });
    const passFileLeft = passFile !== undefined && fs.existsSync(passFile);
    if (passFile) fs.rmSync(passFile, { force: true });
    return { ...r, passFileLeft };
  }

  serverConfig(t: ValidTopology): string {
    const P = this.paths;
    let c = renderServerConfig(t.gateway, t.mtu);
    const swaps: [RegExp, string][] = [
      [/^ca \/etc\/openvpn\/pki\/ca\.crt$/m, `ca ${P.PKI}/ca.crt`],
      [/^cert \/etc\/openvpn\/pki\/issued\/server\.crt$/m, `cert ${P.PKI}/issued/server.crt`],
      [/^key \/etc\/openvpn\/pki\/private\/server\.key$/m, `key ${P.PKI}/private/server.key`],
      [/^crl-verify \S+$/m, `crl-verify ${P.CRL_PUBLIC}`],
      [/^tls-crypt \S+$/m, `tls-crypt ${P.TLS_CRYPT_KEY}`],
      [/^client-config-dir \S+$/m, `client-config-dir ${P.CCD_DIR}`],
      [/^management \S+ unix$/m, `management ${P.MGMT_SOCK} unix`],
      [/^up \S+$/m, `up ${this.p('srv/tap-up.sh')}`],
      [/^status \S+ 5$/m, `status ${this.p('srv/status.log')} 5`],
    ];
    for (const [from, to] of swaps) c = replaceOnce(c, from, to, 'server config');
    return c;
  }

  /** The rendered client status script with its two paths here; its ::cert and ::conn lines. */
  status(t: ValidTopology): { certs: Record<string, string>; conns: Record<string, { real: string; since: string }> } {
    let s = renderClientStatus(t);
    s = replaceOnce(s, /^PKI='[^']*'$/m, `PKI='${this.paths.PKI}'`, 'status PKI');
    s = replaceOnce(s, /^MGMT_SOCK='[^']*'$/m, `MGMT_SOCK='${this.paths.MGMT_SOCK}'`, 'status MGMT_SOCK');
    const r = run('bash', ['-s'], { input: s });
    assert.equal(r.status, 0, r.stderr);
    const certs: Record<string, string> = {};
    const conns: Record<string, { real: string; since: string }> = {};
    for (const m of r.stdout.matchAll(/^::cert name=(\S+) kind=(\S+) status=(\S+)(?: not_after=(\S+))?$/gm)) {
      certs[m[1]] = `${m[2]} ${m[3]}${m[4] ? ' ' + m[4] : ''}`;
    }
    for (const m of r.stdout.matchAll(/^::conn name=(\S+) real=(\S+) since=(\d+)$/gm)) conns[m[1]] = { real: m[2], since: m[3] };
    return { certs, conns };
  }
}

describe('gateway identities on real parts: pki.sh, OpenVPN server and clients in network namespaces', function () {
  this.timeout(120_000);
  const base = loadFixture('clients-2'); // alice-laptop 192.168.0.140/24, field-pc 192.168.0.141/24 (with host)
  // The clients reach the server at its address on the namespaces' own underlay.
  const t = { ...base, gateway: { ...base.gateway, publicAddress: '10.77.0.1' } } as ValidTopology;
  const withoutAlice = { ...t, clients: t.clients.filter((c) => c.name !== 'alice-laptop') } as ValidTopology;
  let gw: Gateway;
  const lab = new NetnsSet('pki');
  const clients = new Map<string, { ns: string; ip: string; proc?: Started }>([
    ['alice-laptop', { ns: 'c1', ip: '192.168.0.140' }],
    ['field-pc', { ns: 'c2', ip: '192.168.0.141' }],
  ]);
  const others: Gateway[] = [];

  const tapAddr = (short: string) => lab.exec(short, 'ip', ['-o', '-4', 'addr', 'show', 'dev', 'rosvpn0']).stdout;

  before(() => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (ip netns, useradd); CI runs as root');
    for (const tool of ['ip', 'openvpn', 'openssl', 'python3', 'bash', 'useradd', 'userdel', 'ping', 'make-cadir']) requireTool(tool);
    gw = new Gateway('a');
    fs.writeFileSync(gw.p('srv/tap-up.sh'), renderTapUpHook(), { mode: 0o755 });
    // The server config comes first: pki.sh refuses a gateway whose server has no client-config-dir.
    fs.writeFileSync(gw.paths.SERVER_CONF, gw.serverConfig(t));
  });

  after(async () => {
    const procs = [gw?.server, ...[...clients.values()].map((c) => c.proc)].filter((p): p is Started => !!p);
    for (const p of procs) p.proc.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.done.catch(() => undefined)));
    assert.deepEqual(lab.teardown(), [], 'namespaces left behind');
    for (const g of [gw, ...others]) g?.remove();
  });

  it('no CA and no passphrase: fails with CA_NEW naming what it must do, and makes nothing', () => {
    const r = gw.runPki(t);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^::step name=pki status=failed code=CA_NEW msg="there is no CA yet: .*issue alice-laptop, issue field-pc/m);
    assert.ok(!fs.existsSync(gw.p('pki/private/ca.key')));
  });

  it('with a passphrase: an encrypted CA, every declared certificate, ccd files, profiles; the passphrase file is gone', () => {
    const r = gw.runPki(t, { passphrase: PASSPHRASE });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.passFileLeft, false, 'the passphrase file outlived the run');
    for (const line of ['created CA rosvpn-demo-ca', 'issued server certificate server', 'issued client certificate alice-laptop'])
      assert.ok(r.stdout.includes(line), `${line}\n${r.stdout}`);
    // The CA key is encrypted, opens with the passphrase only, and no unencrypted copy of it is anywhere.
    const caKey = gw.p('pki/private/ca.key');
    assert.match(fs.readFileSync(caKey, 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----$/m);
    assert.equal(publicKeyOf(caKey), undefined, 'the CA key opens without a passphrase');
    assert.equal(run('openssl', ['pkey', '-in', caKey, '-passin', 'pass:wrong', '-noout']).status === 0, false);
    const caPub = must('openssl', ['x509', '-in', gw.p('pki/ca.crt'), '-noout', '-pubkey']);
    const shm = fs.readdirSync('/dev/shm').filter((f) => f.startsWith('rosvpn-ca.'));
    const plainCopies = [...filesUnder(gw.root), ...shm.map((f) => `/dev/shm/${f}`)].filter((f) => publicKeyOf(f) === caPub);
    assert.deepEqual(plainCopies, [], 'an unencrypted copy of the CA key');
    assert.deepEqual(shm, [], 'a passphrase file is left in /dev/shm');
    // Lifetimes: CA 10 years, server 825 days, clients one year.
    const days = (f: string) => {
      // notAfter=Nov 27 08:26:15 2036 GMT
      const [mon, day, time, year] = must('openssl', ['x509', '-in', gw.p(f), '-noout', '-enddate'])
        .trim()
        .slice(9)
        .split(/\s+/);
      return Math.round((Date.parse(`${day} ${mon} ${year} ${time} GMT`) - Date.now()) / 86_400_000);
    };
    assert.deepEqual([days('pki/ca.crt'), days('pki/issued/server.crt'), days('pki/issued/field-pc.crt')], [3650, 825, 365]);
    // ccd: the desktop's file pushes nothing, a client's its address; profiles 0600 in a 0700 folder of the user's.
    assert.doesNotMatch(fs.readFileSync(gw.p('srv/ccd/ros_local_gateway'), 'utf8'), /^[^#]/m);
    assert.match(fs.readFileSync(gw.p('srv/ccd/alice-laptop'), 'utf8'), /^ifconfig-push 192\.168\.0\.140 255\.255\.255\.0$/m);
    const dir = path.join(gw.home, 'rosvpn-clients');
    const uid = Number(must('id', ['-u', gw.user]).trim());
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(dir).uid, uid);
    for (const f of ['alice-laptop.ovpn', 'field-pc.ovpn']) {
      const st = fs.statSync(path.join(dir, f));
      assert.equal(st.mode & 0o777, 0o600, f);
      assert.equal(st.uid, uid, f);
      assert.equal(fs.statSync(gw.p(`etc/clients/${f}`)).mode & 0o777, 0o600);
    }
    assert.match(fs.readFileSync(path.join(dir, 'field-pc.ovpn'), 'utf8'), /^remote 10\.77\.0\.1 1194$/m);
  });

  it('a rerun with nothing to do needs no passphrase and changes nothing', () => {
    const r = gw.runPki(t);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /::summary role=gateway host=gateway changed=0 ok=5 skipped=0 failed=0/);
  });

  it('each client connects with its own certificate and gets its pushed address on its tap', async () => {
    const g = lab.add('gw');
    must('ip', ['-n', g, 'link', 'add', 'ul0', 'type', 'bridge']);
    must('ip', ['-n', g, 'addr', 'add', '10.77.0.1/24', 'dev', 'ul0']);
    must('ip', ['-n', g, 'link', 'set', 'ul0', 'up']);
    must('ip', ['-n', g, 'link', 'add', 'rosbridge', 'type', 'bridge']);
    must('ip', ['-n', g, 'addr', 'add', t.gateway.vpnIp, 'dev', 'rosbridge']);
    must('ip', ['-n', g, 'link', 'set', 'rosbridge', 'up']);
    let i = 11;
    for (const c of clients.values()) {
      const ns = lab.add(c.ns);
      must('ip', ['link', 'add', `${lab.prefix}${c.ns}`, 'netns', g, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      must('ip', ['-n', g, 'link', 'set', `${lab.prefix}${c.ns}`, 'master', 'ul0', 'up']);
      must('ip', ['-n', ns, 'addr', 'add', `10.77.0.${i++}/24`, 'dev', 'eth0']);
      must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    }
    const conf = gw.paths.SERVER_CONF;
    gw.server = start(
      [
        'ip',
        'netns',
        'exec',
        g,
        'openvpn',
        '--status',
        gw.p('srv/status.log'),
        '--status-version',
        '2',
        '--suppress-timestamps',
        '--config',
        conf,
      ],
      { cwd: gw.p('srv') },
    );
    await until('the server to start', () => /Initialization Sequence Completed/.test(gw.server!.out()), 20);
    for (const [name, c] of clients) {
      const dir = gw.p(`cl-${name}`);
      fs.mkdirSync(dir);
      const profile = path.join(gw.home, 'rosvpn-clients', `${name}.ovpn`);
      const clientConf = replaceOnce(renderClientConf(name), /^config \S+$/m, `config ${profile}`, 'client conf');
      fs.writeFileSync(path.join(dir, 'rosvpn.conf'), clientConf);
      c.proc = start(['ip', 'netns', 'exec', lab.name(c.ns), 'openvpn', '--suppress-timestamps', '--nobind', '--config', 'rosvpn.conf'], {
        cwd: dir,
      });
    }
    for (const [name, c] of clients) {
      await until(`${name} to get ${c.ip} on rosvpn0`, () => tapAddr(c.ns).includes(` ${c.ip}/24 `), 30);
      const ping = lab.exec(c.ns, 'ping', ['-c', '1', '-W', '2', t.gateway.vpnIp.split('/')[0]]);
      assert.equal(ping.status, 0, `${name} cannot reach the gateway's bridge: ${ping.stdout}`);
    }
    assert.equal(lab.exec('c1', 'ping', ['-c', '1', '-W', '2', '192.168.0.141']).status, 0, 'alice-laptop cannot reach field-pc');
    const s = gw.status(t);
    assert.deepEqual(Object.keys(s.conns).sort(), ['alice-laptop', 'field-pc']);
    assert.match(s.conns['alice-laptop'].real, /^10\.77\.0\.11:\d+$/);
    assert.match(s.certs.ca, /^ca valid \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(s.certs.ros_local_gateway, /^desktop valid /);
    assert.match(s.certs['field-pc'], /^client valid /);
  });

  it('revoking needs the passphrase: CA_LOCKED without one, CA_BAD_PASSPHRASE with a wrong one; nothing changes', () => {
    const locked = gw.runPki(withoutAlice);
    assert.equal(locked.status, 1);
    assert.match(
      locked.stdout,
      /^::step name=pki status=failed code=CA_LOCKED msg="the CA key is encrypted: its passphrase is needed to revoke alice-laptop \(no longer in rosvpn\.json\)" ms=\d+$/m,
    );
    const bad = gw.runPki(withoutAlice, { passphrase: 'not the passphrase' });
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /^::step name=pki status=failed code=CA_BAD_PASSPHRASE msg="the passphrase given does not open the CA key/m);
    assert.equal(bad.passFileLeft, false, 'the wrong passphrase file outlived the failed run');
    const newClient = {
      ...t,
      clients: [...t.clients, { name: 'bob-tablet', vpnIp: '192.168.0.142/24' }],
    } as ValidTopology;
    const issue = gw.runPki(newClient);
    assert.match(issue.stdout, /code=CA_LOCKED msg="the CA key is encrypted: its passphrase is needed to issue bob-tablet"/);
    assert.ok(!fs.existsSync(gw.p('pki/issued/bob-tablet.crt')));
    assert.deepEqual(Object.keys(gw.status(t).conns).sort(), ['alice-laptop', 'field-pc']);
  });

  it('an undeclared client is revoked and disconnected within seconds, without restarting the server; its reconnect is refused', async () => {
    const before = gw.status(t).conns['field-pc'];
    const serverPid = gw.server!.proc.pid;
    const mark = gw.server!.out().length;
    const alice = clients.get('alice-laptop')!;
    const aliceMark = alice.proc!.out().length;
    const r = gw.runPki(withoutAlice, { passphrase: PASSPHRASE });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /revoked client alice-laptop \(no longer in rosvpn\.json\)/);
    assert.match(r.stdout, /disconnected alice-laptop \(its certificate was revoked\)/);
    assert.match(r.stdout, /removed \S+\/srv\/ccd\/alice-laptop/);
    assert.ok(!fs.existsSync(path.join(gw.home, 'rosvpn-clients', 'alice-laptop.ovpn')));
    assert.ok(!fs.existsSync(gw.p('etc/clients/alice-laptop.ovpn')));
    const gone = await until('the server to drop alice-laptop', () => !('alice-laptop' in gw.status(t).conns), 15);
    assert.ok(gone < 15);
    // The client was told (RESTART), tried again at once and was refused: the CRL, read anew without a restart.
    await until('alice-laptop to be told', () => /server-pushed-connection-reset/.test(alice.proc!.out().slice(aliceMark)), 10);
    await until('the refusal in the server log', () => /certificate revoked/.test(gw.server!.out().slice(mark)), 20);
    const log = gw.server!.out().slice(mark);
    assert.match(log, /VERIFY ERROR: depth=0, error=certificate revoked: CN=alice-laptop/);
    assert.doesNotMatch(log, /SIGHUP|SIGUSR1\[hard|Restart pause|Initialization Sequence Completed/, 'the server restarted');
    assert.equal(gw.server!.proc.exitCode, null, 'the server exited');
    assert.equal(gw.server!.proc.pid, serverPid);
    // The other client's session was not touched: same connection, still passing traffic.
    assert.deepEqual(gw.status(t).conns['field-pc'], before);
    assert.doesNotMatch(clients.get('field-pc')!.proc!.out(), /connection-reset|Restart pause/);
    assert.equal(lab.exec('c2', 'ping', ['-c', '1', '-W', '2', '192.168.0.130']).status, 0);
    assert.notEqual(lab.exec('c1', 'ping', ['-c', '1', '-W', '2', '192.168.0.130']).status, 0, 'alice-laptop still reaches the gateway');
    assert.match(gw.status(t).certs['alice-laptop'], /^client revoked /);
  });

  it('a rerun after the revocation needs no passphrase, changes nothing and keeps the server', () => {
    const pid = gw.server!.proc.pid;
    const r = gw.runPki(withoutAlice);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /changed=0 ok=5 skipped=0 failed=0/);
    assert.equal(gw.server!.proc.exitCode, null);
    assert.equal(gw.server!.proc.pid, pid);
  });

  it('an unencrypted CA key of an older rosvpn: CA_NEW without a passphrase, then encrypted in place, the CA unchanged', () => {
    const old = new Gateway('b');
    others.push(old);
    fs.writeFileSync(old.paths.SERVER_CONF, 'client-config-dir x\n');
    // What the previous gateway.sh made: easy-rsa's build-ca nopass and the server's and desktop's certificates.
    const easyrsa = (env: Record<string, string>, ...args: string[]) =>
      must('bash', ['/usr/share/easy-rsa/easyrsa', ...args], {
        env: { ...process.env, EASYRSA_PKI: old.paths.PKI, EASYRSA_BATCH: '1', EASYRSA_ALGO: 'ec', EASYRSA_CURVE: 'prime256v1', ...env },
      });
    easyrsa({}, 'init-pki');
    easyrsa({ EASYRSA_REQ_CN: 'rosvpn-demo-ca' }, 'build-ca', 'nopass');
    easyrsa({}, 'build-server-full', 'server', 'nopass');
    const ca = fs.readFileSync(old.p('pki/ca.crt'), 'utf8');
    assert.notEqual(publicKeyOf(old.p('pki/private/ca.key')), undefined, 'setup: the old CA key should be plain');
    const noPass = old.runPki(withoutAlice);
    assert.equal(noPass.status, 1);
    assert.match(
      noPass.stdout,
      /code=CA_NEW msg="the CA key \S+ is not encrypted \(made by an older rosvpn\): a new passphrase is needed to encrypt it"/,
    );
    const r = old.runPki(withoutAlice, { passphrase: PASSPHRASE });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /encrypted the CA key with the passphrase/);
    assert.doesNotMatch(r.stdout, /issued server certificate/, 'the server certificate was issued again');
    assert.equal(fs.readFileSync(old.p('pki/ca.crt'), 'utf8'), ca, 'the CA certificate changed');
    assert.equal(publicKeyOf(old.p('pki/private/ca.key')), undefined, 'the CA key is still plain');
    const caPub = must('openssl', ['x509', '-in', old.p('pki/ca.crt'), '-noout', '-pubkey']);
    assert.deepEqual(
      filesUnder(old.root).filter((f) => publicKeyOf(f) === caPub),
      [],
      'an unencrypted copy of the CA key',
    );
    assert.equal(run('openssl', ['verify', '-CAfile', old.p('pki/ca.crt'), old.p('pki/issued/server.crt')]).status, 0);
    const again = old.runPki(withoutAlice);
    assert.equal(again.status, 0, again.stdout);
    assert.match(again.stdout, /changed=0/);
    // A PKI that lost its CA key is not replaced behind the admin's back: the script says what to do.
    fs.renameSync(old.p('pki/private/ca.key'), old.p('ca.key.aside'));
    const damaged = old.runPki(withoutAlice, { passphrase: PASSPHRASE });
    assert.equal(damaged.status, 1);
    assert.match(
      damaged.stdout,
      /^::step name=pki status=failed msg="the PKI in \S+ is damaged: it has ca\.crt but no private\/ca\.key\. Move it aside/m,
    );
    assert.equal(fs.readFileSync(old.p('pki/ca.crt'), 'utf8'), ca);
  });

  it("a profile with 'up /bin/sh' is refused by desktop.sh and by the client host script, naming the line", () => {
    const profile = fs.readFileSync(path.join(gw.home, 'rosvpn-clients', 'field-pc.ovpn'), 'utf8').split('\n');
    const good = gw.p('good.ovpn');
    const bad = gw.p('bad.ovpn');
    fs.writeFileSync(good, profile.join('\n'));
    fs.writeFileSync(bad, [...profile.slice(0, 6), 'up /bin/sh', ...profile.slice(6)].join('\n'));
    const scripts = renderTopology(t).scripts;
    for (const file of ['desktop.sh', 'field-pc.sh']) {
      const full = scripts.find((s) => s.fileName === file)!.content;
      // The script up to the end of its preflight, which checks the profile, without the systemd check.
      const end = full.indexOf('\nstep_end\n', full.indexOf('\nstep_begin preflight\n')) + '\nstep_end\n'.length;
      const preflight = replaceOnce(full.slice(0, end), /^\[ -d \/run\/systemd\/system \] \|\| die .*\n/m, '', file) + 'summary 0\n';
      const ok = run('bash', ['-s', '--', good], { input: preflight });
      assert.equal(ok.status, 0, `${file} refused the gateway's profile: ${ok.stdout}`);
      assert.match(ok.stdout, /^::step name=preflight status=ok ms=\d+$/m);
      const refused = run('bash', ['-s', '--', bad], { input: preflight });
      assert.equal(refused.status, 1, `${file} accepted 'up /bin/sh'`);
      assert.match(
        refused.stdout,
        new RegExp(
          `^::step name=preflight status=failed msg="${bad.replace(/[.]/g, '\\.')} line 7: directive 'up' is not allowed in a ROS VPN profile`,
          'm',
        ),
      );
    }
  });

  it('rotate: the old certificate is revoked and its connection refused; the new profile connects', async () => {
    const field = clients.get('field-pc')!;
    const mark = gw.server!.out().length;
    const pid = gw.server!.proc.pid;
    const oldProfile = fs.readFileSync(path.join(gw.home, 'rosvpn-clients', 'field-pc.ovpn'), 'utf8');
    const r = gw.runPki(withoutAlice, { passphrase: PASSPHRASE, rotate: ['field-pc'] });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /issued a new certificate for field-pc \(rotated: the old one is revoked\)/);
    assert.match(r.stdout, /disconnected field-pc/);
    const newProfile = fs.readFileSync(path.join(gw.home, 'rosvpn-clients', 'field-pc.ovpn'), 'utf8');
    assert.notEqual(newProfile, oldProfile);
    await until('the old field-pc to be refused', () => /certificate revoked: CN=field-pc/.test(gw.server!.out().slice(mark)), 20);
    // What provisioning the client host does next: its OpenVPN restarted with the new profile.
    field.proc!.proc.kill('SIGKILL');
    await field.proc!.done.catch(() => undefined);
    field.proc = start(
      ['ip', 'netns', 'exec', lab.name(field.ns), 'openvpn', '--suppress-timestamps', '--nobind', '--config', 'rosvpn.conf'],
      {
        cwd: gw.p('cl-field-pc'),
      },
    );
    await until(
      'field-pc to connect again',
      () => 'field-pc' in gw.status(withoutAlice).conns && tapAddr(field.ns).includes(' 192.168.0.141/24 '),
      30,
    );
    assert.equal(lab.exec(field.ns, 'ping', ['-c', '1', '-W', '2', '192.168.0.130']).status, 0);
    assert.equal(gw.server!.proc.pid, pid);
    assert.equal(gw.server!.proc.exitCode, null);
  });

  it('a certificate within 30 days of its end is renewed, and a CRL within 180 days of its end made again', () => {
    // easy-rsa itself makes a short-lived field-pc certificate and CRL (the CA passphrase through the environment).
    const easyrsa = (env: Record<string, string>, ...args: string[]) =>
      must('bash', ['/usr/share/easy-rsa/easyrsa', ...args], {
        env: {
          ...process.env,
          EASYRSA_PKI: gw.paths.PKI,
          EASYRSA_BATCH: '1',
          EASYRSA_ALGO: 'ec',
          EASYRSA_CURVE: 'prime256v1',
          ROSVPN_TEST_PASS: PASSPHRASE,
          EASYRSA_PASSIN: 'env:ROSVPN_TEST_PASS',
          ...env,
        },
      });
    easyrsa({}, 'revoke', 'field-pc');
    easyrsa({ EASYRSA_CERT_EXPIRE: '10' }, 'build-client-full', 'field-pc', 'nopass');
    easyrsa({ EASYRSA_CRL_DAYS: '30' }, 'gen-crl');
    const locked = gw.runPki(withoutAlice);
    assert.match(locked.stdout, /code=CA_LOCKED msg="the CA key is encrypted: its passphrase is needed to renew field-pc \(it expires /);
    const r = gw.runPki(withoutAlice, { passphrase: PASSPHRASE });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /renewed client certificate field-pc/);
    assert.match(r.stdout, /made the CRL \(until .* 20\d\d GMT\)/);
    const end = (args: string[]) => must('openssl', args).trim().replace(/^\w+=/, '');
    const daysLeft = (d: string) => {
      const [mon, day, time, year] = d.split(/\s+/);
      return Math.round((Date.parse(`${day} ${mon} ${year} ${time} GMT`) - Date.now()) / 86_400_000);
    };
    assert.equal(daysLeft(end(['x509', '-in', gw.p('pki/issued/field-pc.crt'), '-noout', '-enddate'])), 365);
    assert.equal(daysLeft(end(['crl', '-in', gw.p('pki/crl.pem'), '-noout', '-nextupdate'])), 3650);
    const again = gw.runPki(withoutAlice);
    assert.match(again.stdout, /changed=0 ok=5/);
  });
});
