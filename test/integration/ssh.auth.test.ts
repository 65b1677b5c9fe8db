// The SSH layer against Debian's real sshd on loopback: authentication (key, agent, encrypted key, wrong key),
// ~/.ssh/config aliases, and host keys as OpenSSH treats them (unknown, recorded, hashed, changed, revoked).
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { must, run } from '../../lab/sh';
import { makeKey, type KeyPair, requireRootAndTools, SshAgent, Sshd, tempDir, type TestUser, TestUsers } from '../support/sshd';
import { PoolFactory, sshError } from '../support/pool';
import type { SshEndpoint } from '../../src/core/ssh/types';

describe('ssh: authentication and host keys (real sshd)', function () {
  this.timeout(20000);
  let users: TestUsers;
  let dir: string;
  let sshd: Sshd;
  let u: TestUser; // plain user
  let f: TestUser; // ForceCommand user: any session touches a marker
  let plain: KeyPair;
  let enc: KeyPair;
  let other: KeyPair;
  let agentKey: KeyPair;
  let pools: PoolFactory;

  const ep = (extra: Partial<SshEndpoint> = {}): SshEndpoint => ({
    label: 'gateway',
    host: '127.0.0.1',
    port: sshd.port,
    user: u.name,
    identityFile: plain.path,
    ...extra,
  });

  before(async () => {
    requireRootAndTools();
    users = new TestUsers();
    dir = tempDir('auth');
    u = users.add('au');
    f = users.add('af');
    plain = makeKey(path.join(dir, 'id_plain'));
    enc = makeKey(path.join(dir, 'id_enc'), 'ed25519', 'correct horse');
    other = makeKey(path.join(dir, 'id_other'));
    agentKey = makeKey(path.join(dir, 'id_agent'));
    sshd = new Sshd({ extraConfig: `Match User ${f.name}\n  ForceCommand touch ${f.home}/marker\n  MaxAuthTries 2` });
    sshd.authorize(u.name, [plain.publicLine, enc.publicLine, agentKey.publicLine]);
    sshd.authorize(f.name, [plain.publicLine]);
    await sshd.start();
    pools = new PoolFactory(dir);
  });

  afterEach(() => pools.disposeAll());

  after(async () => {
    await pools?.disposeAll();
    await sshd?.stop();
    const problems = users ? await users.teardown() : [];
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(problems, []);
  });

  function accepted(user: string): number {
    return (sshd.log().match(new RegExp(`Accepted publickey for ${user} `, 'g')) ?? []).length;
  }

  it('authenticates with an identity file and runs a command', async () => {
    const t = pools.make({
      knownHosts: [
        sshd.knownHostsLine(),
        '@cert-authority *.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJEwvYNSRIPMsHH/upXoadWlakF6eUgOzNbokAZmGddT',
      ],
    });
    const s = await t.pool.session(ep());
    const r = await s.exec('id -un');
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), u.name);
    assert.equal(s.endpoint.user, u.name);
    assert.ok(
      t.logs.some((l) => l.includes(`with key ${plain.path}`)),
      t.logs.join('\n'),
    );
    assert.deepEqual(t.asked, []);
  });

  it('authenticates with ssh-agent (no key files); an agent without the right key fails', async () => {
    const agent = await new SshAgent(dir).start();
    fs.mkdirSync(path.join(dir, 'a2'), { recursive: true });
    const agent2 = await new SshAgent(path.join(dir, 'a2')).start();
    try {
      agent.add(agentKey.path);
      agent2.add(other.path);
      const t = pools.make({ knownHosts: [sshd.knownHostsLine()], agentSocket: agent.socket });
      const s = await t.pool.session(ep({ identityFile: undefined }));
      assert.equal((await s.exec('id -un')).stdout.trim(), u.name);
      assert.ok(
        t.logs.some((l) => /authenticated as .* with ssh-agent/.test(l)),
        t.logs.join('\n'),
      );

      const t2 = pools.make({ knownHosts: [sshd.knownHostsLine()], agentSocket: agent2.socket });
      const e = await sshError(() => t2.pool.session(ep({ identityFile: undefined })));
      assert.equal(e.code, 'AUTH_FAILED');
      assert.match(e.message, /ssh-agent \(.*1 key\): rejected/);
    } finally {
      await t0(agent.stop());
      await t0(agent2.stop());
    }
  });

  it('asks for the passphrase of an encrypted key once; a wrong passphrase fails naming the key', async () => {
    const t = pools.make({ knownHosts: [sshd.knownHostsLine()], passphrase: 'correct horse' });
    const s = await t.pool.session(ep({ identityFile: enc.path }));
    assert.equal((await s.exec('id -un')).stdout.trim(), u.name);
    assert.deepEqual(t.passphraseAsked, [enc.path]);
    assert.ok(!t.logs.some((l) => l.includes('correct horse')), 'passphrase logged');

    const bad = pools.make({ knownHosts: [sshd.knownHostsLine()], passphrase: 'wrong horse' });
    const e = await sshError(() => bad.pool.session(ep({ identityFile: enc.path })));
    assert.equal(e.code, 'AUTH_FAILED');
    assert.ok(e.message.includes(`${enc.path}: wrong passphrase`), e.message);
    assert.ok(e.message.includes(`${u.name}@127.0.0.1:${sshd.port}`), e.message);
    assert.ok(!e.message.includes('wrong horse'));

    const cancel = pools.make({ knownHosts: [sshd.knownHostsLine()], passphrase: undefined });
    const c = await sshError(() => cancel.pool.session(ep({ identityFile: enc.path })));
    assert.equal(c.code, 'AUTH_FAILED');
    assert.match(c.message, /passphrase not given/);
  });

  it('a key the server does not accept fails with AUTH_FAILED naming user@host:port, the key and the fix', async () => {
    const before = accepted(u.name);
    const t = pools.make({ knownHosts: [sshd.knownHostsLine()] });
    const e = await sshError(() => t.pool.session(ep({ identityFile: other.path })));
    assert.equal(e.code, 'AUTH_FAILED');
    assert.ok(e.message.includes(`${u.name}@127.0.0.1:${sshd.port}`), e.message);
    assert.ok(e.message.includes(`${other.path}: rejected`), e.message);
    assert.match(e.message, /Fix: .*ssh-copy-id/);
    assert.equal(accepted(u.name), before);

    const missing = await sshError(() => t.pool.session(ep({ identityFile: path.join(dir, 'nope') })));
    assert.equal(missing.code, 'AUTH_FAILED');
    assert.match(missing.message, /nope: file not found/);
  });

  it('a server that hangs up after too many keys gives AUTH_FAILED listing them', async () => {
    const more = [makeKey(path.join(dir, 'id_more1')), makeKey(path.join(dir, 'id_more2'))];
    const cfg = path.join(dir, 'many_keys_config');
    fs.writeFileSync(cfg, `Host 127.0.0.1\n${[other, ...more, plain].map((k) => `  IdentityFile ${k.path}\n`).join('')}`);
    const t = pools.make({ knownHosts: [sshd.knownHostsLine()], sshConfigPath: cfg });
    const e = await sshError(() => t.pool.session(ep({ user: f.name, identityFile: undefined })));
    assert.equal(e.code, 'AUTH_FAILED');
    assert.ok(e.message.includes(`${other.path}: rejected`), e.message);
    assert.match(e.message, /too many authentication failures/i);
    // Positive control: the same config for a user without the limit gets through with the last key.
    const ok = pools.make({ knownHosts: [sshd.knownHostsLine()], sshConfigPath: cfg });
    assert.equal((await (await ok.pool.session(ep({ identityFile: undefined }))).exec('id -un')).stdout.trim(), u.name);
  });

  it('resolves a ~/.ssh/config alias (Include, HostName, User, Port, several IdentityFile with ~); explicit fields win', async () => {
    const home = path.join(dir, 'home');
    fs.mkdirSync(path.join(home, '.ssh', 'config.d'), { recursive: true });
    fs.mkdirSync(path.join(home, 'keys'), { recursive: true });
    fs.copyFileSync(plain.path, path.join(home, 'keys', 'id'));
    const cfg = path.join(home, '.ssh', 'config');
    fs.writeFileSync(cfg, 'Include config.d/*.conf\n\nHost *\n  User someone-else\n  Port 1\n');
    fs.writeFileSync(
      path.join(home, '.ssh', 'config.d', 'lab.conf'),
      `Host rvalias\n  Hostname 127.0.0.1\n  User ${u.name}\n  Port ${sshd.port}\n  IdentityFile ~/keys/missing\n  IdentityFile ~/keys/id\n  ProxyJump none\n`,
    );
    const oldHome = process.env.HOME;
    process.env.HOME = home;
    try {
      const t = pools.make({ knownHosts: [sshd.knownHostsLine()], sshConfigPath: cfg });
      const s = await t.pool.session({ label: 'alias', host: 'rvalias' });
      assert.equal((await s.exec('id -un')).stdout.trim(), u.name);
      assert.equal(s.endpoint.port, sshd.port);
      assert.equal(s.endpoint.user, u.name);
      assert.ok(
        t.logs.some((l) => l.includes(`with key ${path.join(home, 'keys', 'id')}`)),
        t.logs.join('\n'),
      );

      // An explicit user wins over the config's.
      const e = await sshError(() => t.pool.session({ label: 'alias', host: 'rvalias', user: 'rvnosuchuser' }));
      assert.equal(e.code, 'AUTH_FAILED');
      assert.ok(e.message.includes(`rvnosuchuser@127.0.0.1:${sshd.port}`), e.message);
      // Negative control: without the alias the Host * defaults apply (port 1: nothing listens).
      const n = await sshError(() => t.pool.session({ label: 'x', host: '127.0.0.1' }));
      assert.equal(n.code, 'CONNECT_FAILED');
      assert.match(n.message, /someone-else@127\.0\.0\.1:1\b/);
    } finally {
      process.env.HOME = oldHome;
    }
  });

  it('unknown host key: refused -> HOST_KEY_REJECTED and nothing recorded; trusted -> recorded, not asked again', async () => {
    const khDir = path.join(dir, 'fresh-ssh');
    const kh = path.join(khDir, 'known_hosts');
    const before = accepted(u.name);
    const no = pools.make({ knownHostsPath: kh, trust: false });
    const e = await sshError(() => no.pool.session(ep()));
    assert.equal(e.code, 'HOST_KEY_REJECTED');
    assert.equal(no.asked.length, 1);
    assert.deepEqual(no.asked[0], {
      host: `[127.0.0.1]:${sshd.port}`,
      port: sshd.port,
      keyType: 'ssh-ed25519',
      fingerprint: sshd.hostKeys[0].fingerprint,
    });
    assert.ok(!fs.existsSync(kh) || fs.readFileSync(kh, 'utf8') === '', 'something was recorded');
    assert.equal(accepted(u.name), before, 'authenticated although the host key was refused');

    const yes = pools.make({ knownHostsPath: kh, trust: true });
    const s = await yes.pool.session(ep());
    assert.equal((await s.exec('true')).code, 0);
    assert.equal(yes.asked.length, 1);
    assert.equal(fs.readFileSync(kh, 'utf8'), `${sshd.knownHostsLine()}\n`);
    assert.equal(fs.statSync(kh).mode & 0o777, 0o600);
    assert.equal(fs.statSync(khDir).mode & 0o777, 0o700);
    // OpenSSH itself finds the recorded entry.
    assert.equal(run('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', kh]).status, 0);

    const again = pools.make({ knownHostsPath: kh });
    await (await again.pool.session(ep())).exec('true');
    assert.deepEqual(again.asked, []);
  });

  it('matches hashed known_hosts entries and records new ones hashed in a hashed file', async () => {
    const kh = path.join(dir, 'hashed_known_hosts');
    fs.writeFileSync(kh, `${sshd.knownHostsLine()}\n`);
    must('ssh-keygen', ['-H', '-f', kh]);
    fs.rmSync(`${kh}.old`, { force: true });
    assert.match(fs.readFileSync(kh, 'utf8'), /^\|1\|/);
    const t = pools.make({ knownHostsPath: kh });
    await (await t.pool.session(ep())).exec('true');
    assert.deepEqual(t.asked, []);

    // Negative control: the same hashed entry does not match another name (the host without a port).
    const kh2 = path.join(dir, 'hashed_other');
    fs.writeFileSync(kh2, `127.0.0.1 ${sshd.hostKeys[0].type} ${sshd.hostKeys[0].blobBase64}\n`);
    must('ssh-keygen', ['-H', '-f', kh2]);
    fs.rmSync(`${kh2}.old`, { force: true });
    const t2 = pools.make({ knownHostsPath: kh2, trust: true });
    await (await t2.pool.session(ep())).exec('true');
    assert.equal(t2.asked.length, 1);
    const lines = fs.readFileSync(kh2, 'utf8').trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[1], /^\|1\|[^|]+\|[^ ]+ ssh-ed25519 /);
    assert.equal(run('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', kh2]).status, 0, 'OpenSSH does not find the hashed entry');
  });

  it('prefers the host key type already recorded (only ECDSA known: no question, no false alarm)', async () => {
    const t = pools.make({ knownHosts: [sshd.knownHostsLine('ecdsa')] });
    await (await t.pool.session(ep())).exec('true');
    assert.deepEqual(t.asked, []);
    assert.ok(
      t.logs.some((l) => /host key ecdsa-sha2-nistp256 .* matches/.test(l)),
      t.logs.join('\n'),
    );
  });

  it('changed host key: HOST_KEY_CHANGED before authentication with both fingerprints; nothing runs', async () => {
    const marker = path.join(f.home, 'marker');
    fs.rmSync(marker, { force: true });
    const bogus = makeKey(path.join(dir, 'bogus_host_key'));
    const [bType, bBlob] = bogus.publicLine.split(' ');
    const before = accepted(f.name);
    const t = pools.make({ knownHosts: [`[127.0.0.1]:${sshd.port} ${bType} ${bBlob}`], trust: true });
    const e = await sshError(async () => (await t.pool.session(ep({ user: f.name }))).exec('true'));
    assert.equal(e.code, 'HOST_KEY_CHANGED');
    assert.ok(e.message.includes(`[127.0.0.1]:${sshd.port}`), e.message);
    assert.ok(e.message.includes(sshd.hostKeys[0].fingerprint), `offered fingerprint missing: ${e.message}`);
    assert.ok(e.message.includes(bogus.fingerprint), `recorded fingerprint missing: ${e.message}`);
    assert.match(e.message, /ssh-keygen -R '\[127\.0\.0\.1\]:\d+'/);
    assert.deepEqual(t.asked, [], 'a changed key must not be offered for trust');
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!fs.existsSync(marker), 'the ForceCommand ran although the host key had changed');
    assert.equal(accepted(f.name), before, 'authentication happened although the host key had changed');

    // Another key type recorded only (the server has no such key type): still "changed".
    const rsa = makeKey(path.join(dir, 'bogus_rsa'), 'rsa');
    const t3 = pools.make({ knownHosts: [`[127.0.0.1]:${sshd.port} ${rsa.publicLine.split(' ').slice(0, 2).join(' ')}`] });
    assert.equal((await sshError(() => t3.pool.session(ep({ user: f.name })))).code, 'HOST_KEY_CHANGED');
    assert.ok(!fs.existsSync(marker));

    // Positive control: with the right key recorded the same user's session runs the ForceCommand.
    const ok = pools.make({ knownHosts: [sshd.knownHostsLine()] });
    await (await ok.pool.session(ep({ user: f.name }))).exec('true');
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(fs.existsSync(marker), 'positive control: the ForceCommand did not run');
    assert.equal(accepted(f.name), before + 1);
  });

  it('a @revoked host key is refused', async () => {
    const k = sshd.hostKeys[0];
    const t = pools.make({ knownHosts: [sshd.knownHostsLine(), `@revoked * ${k.type} ${k.blobBase64}`] });
    const e = await sshError(() => t.pool.session(ep()));
    assert.equal(e.code, 'HOST_KEY_REJECTED');
    assert.match(e.message, /REVOKED/);
  });
});

async function t0(p: Promise<unknown>): Promise<void> {
  await p.catch(() => undefined);
}
