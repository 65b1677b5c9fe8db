// The SSH layer's operations against Debian's real sshd on loopback: streamed exec, exit codes, timeouts and
// cancellation that really end the remote process (with sudo too), sudo with and without a password,
// SFTP, connection loss, pooling without leaks.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { run } from '../../lab/sh';
import { type KeyPair, makeKey, pgrep, requireRootAndTools, Sshd, tempDir, type TestUser, TestUsers, waitFor } from '../support/sshd';
import { PoolFactory, sshError } from '../support/pool';
import type { SshEndpoint, SshSession } from '../../src/core/ssh/types';

describe('ssh: exec, sudo, SFTP and pooling (real sshd)', function () {
  this.timeout(20000);
  let users: TestUsers;
  let dir: string;
  let sshd: Sshd;
  let u: TestUser; // plain
  let n: TestUser; // NOPASSWD sudo
  let p: TestUser; // sudo with password
  let key: KeyPair;
  let pools: PoolFactory;
  /** A unique sleep duration, so that pgrep finds exactly this test's process. */
  const uniq = () => `${1000 + Math.floor(Math.random() * 8000)}.${randomBytes(3).readUIntBE(0, 3)}`;

  const ep = (user: TestUser, extra: Partial<SshEndpoint> = {}): SshEndpoint => ({
    label: 'gateway',
    host: '127.0.0.1',
    port: sshd.port,
    user: user.name,
    identityFile: key.path,
    ...extra,
  });
  const session = async (user: TestUser = u, o: Parameters<PoolFactory['make']>[0] = {}): Promise<SshSession> =>
    pools.make({ knownHosts: [sshd.knownHostsLine()], ...o }).pool.session(ep(user));

  before(async () => {
    requireRootAndTools();
    users = new TestUsers();
    dir = tempDir('exec');
    u = users.add('eu');
    n = users.add('en', { sudo: 'nopasswd' });
    p = users.add('ep', { sudo: 'password' });
    key = makeKey(path.join(dir, 'id'));
    sshd = new Sshd();
    for (const x of [u, n, p]) sshd.authorize(x.name, [key.publicLine]);
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

  describe('exec', () => {
    it('streams complete lines in order as they arrive, before the command exits', async () => {
      const s = await session();
      const seen: { line: string; at: number }[] = [];
      const start = Date.now();
      const r = await s.exec('for i in 1 2 3; do echo line$i; sleep 0.3; done; printf tail', {
        onStdout: (line) => seen.push({ line, at: Date.now() - start }),
      });
      const end = Date.now() - start;
      assert.deepEqual(
        seen.map((x) => x.line),
        ['line1', 'line2', 'line3', 'tail'],
      );
      assert.ok(end - seen[0].at >= 600, `line1 came at ${seen[0].at} ms, the command ended at ${end} ms: not streamed`);
      assert.equal(r.stdout, 'line1\nline2\nline3\ntail');
      assert.equal(r.code, 0);
    });

    it('joins partial chunks and multi-byte characters split across chunks; CRLF lines lose the CR', async () => {
      const s = await session();
      const lines: string[] = [];
      const r = await s.exec(`printf 'ab'; sleep 0.2; printf 'c\\nd\\303'; sleep 0.2; printf '\\251\\r\\nlast'`, {
        onStdout: (l) => lines.push(l),
      });
      assert.deepEqual(lines, ['abc', 'dé', 'last']);
      assert.equal(r.stdout, 'abc\ndé\r\nlast');
    });

    it('reports exit codes and stderr (non-zero is not an error)', async () => {
      const s = await session();
      const errLines: string[] = [];
      const ok = await s.exec('true');
      assert.equal(ok.code, 0);
      const r = await s.exec('echo out; echo "bad thing" >&2; echo worse >&2; exit 3', { onStderr: (l) => errLines.push(l) });
      assert.equal(r.code, 3);
      assert.equal(r.stdout, 'out\n');
      assert.equal(r.stderr, 'bad thing\nworse\n');
      assert.deepEqual(errLines, ['bad thing', 'worse']);
      const killed = await s.exec('kill -TERM $$');
      assert.equal(killed.code, null);
      assert.equal(killed.signal, 'SIGTERM');
    });

    it('many quick commands all report their exit status, and the in-band marker never shows in stderr', async () => {
      // OpenSSH can close a channel before it sends exit-status when the command's pipes close before it is
      // reaped (a few per cent of quick commands on a busy machine): the wrapper's marker must cover that.
      const s = await session();
      const results = [];
      for (let round = 0; round < 30; round++)
        results.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => s.exec(`printf %s "$HOME"; echo e >&2; exit ${i % 3}`)))));
      assert.deepEqual(
        results.map((r) => r.code),
        Array.from({ length: 300 }, (_, i) => (i % 10) % 3),
      );
      assert.ok(
        results.every((r) => r.stderr === 'e\n' && r.stdout === u.home),
        JSON.stringify(results.find((r) => r.stderr !== 'e\n' || r.stdout !== u.home)),
      );
    });

    it('timeoutMs kills the remote command and rejects with TIMEOUT', async () => {
      const s = await session();
      const d = uniq();
      const start = Date.now();
      const pending = s.exec(`sleep ${d}`, { timeoutMs: 800 });
      await waitFor('the sleep to run', () => pgrep(`^sleep ${d}$`, u.name).length === 1);
      const e = await sshError(() => pending);
      assert.equal(e.code, 'TIMEOUT');
      assert.match(e.message, /timed out after 800 ms/);
      assert.ok(Date.now() - start < 3000);
      await waitFor('the sleep to end', () => pgrep(`^sleep ${d}$`).length === 0, 2000);
    });

    for (const [name, cmd] of [
      ['sleep', (d: string) => `sleep ${d}`],
      ['tail -f', (d: string) => `exec -a rvtail-${d} tail -f /dev/null`],
      ['a pipeline', (d: string) => `sleep ${d} | cat`],
    ] as const) {
      it(`an AbortSignal ends the remote process (${name}) and rejects with ABORTED`, async () => {
        const s = await session();
        const d = uniq();
        const pattern = name === 'tail -f' ? `^rvtail-${d}` : `^sleep ${d}$`;
        const ac = new AbortController();
        const pending = s.exec(cmd(d), { signal: ac.signal });
        await waitFor('the command to run', () => pgrep(pattern, u.name).length === 1);
        ac.abort();
        const e = await sshError(() => pending);
        assert.equal(e.code, 'ABORTED');
        await waitFor(`${name} to end`, () => pgrep(pattern).length === 0, 2000);
      });
    }

    it('a command that ignores SIGTERM is killed too', async () => {
      const s = await session();
      const d = uniq();
      const ac = new AbortController();
      const pending = s.exec(`trap '' TERM; sleep ${d}; echo survived`, { signal: ac.signal });
      await waitFor('the sleep to run', () => pgrep(`^sleep ${d}$`, u.name).length === 1);
      ac.abort();
      assert.equal((await sshError(() => pending)).code, 'ABORTED');
      await waitFor('the sleep to end', () => pgrep(`^sleep ${d}$`).length === 0, 4000);
    });

    it('an already aborted signal runs nothing', async () => {
      const s = await session();
      const ac = new AbortController();
      ac.abort();
      const marker = path.join(u.home, 'never');
      assert.equal((await sshError(() => s.exec(`touch ${marker}`, { signal: ac.signal }))).code, 'ABORTED');
      assert.ok(!fs.existsSync(marker));
    });
  });

  describe('sudo', () => {
    it('NOPASSWD: runs as root without asking', async () => {
      const t = pools.make({ knownHosts: [sshd.knownHostsLine()] });
      const s = await t.pool.session(ep(n));
      assert.equal((await s.exec('id -u')).stdout.trim(), String(n.uid), 'negative control: without sudo');
      assert.equal((await s.exec('id -u', { sudo: true })).stdout.trim(), '0');
      assert.deepEqual(t.sudoAsked, []);
    });

    it('with a password: asks once, runs as root, and the password is never on a command line nor in logs or output', async () => {
      const t = pools.make({ knownHosts: [sshd.knownHostsLine()], sudoPassword: p.password });
      const s = await t.pool.session(ep(p));
      const d = uniq();
      let sawCommand = false;
      let leaked = '';
      let polling = true;
      const poller = (async () => {
        while (polling) {
          const ps = run('ps', ['-eo', 'args']).stdout;
          if (ps.includes(`sleep ${d}`)) sawCommand = true;
          if (ps.includes(p.password!))
            leaked = ps
              .split('\n')
              .filter((l) => l.includes(p.password!))
              .join('\n');
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const r = await s.exec('sleep 0.3; id -u', { sudo: true });
      const r2 = await s.exec(`sleep ${d}`, { sudo: true, timeoutMs: 1200 }).catch((e) => e);
      polling = false;
      await poller;
      assert.equal(r.stdout.trim(), '0');
      assert.equal(r2.code, 'TIMEOUT');
      assert.ok(sawCommand, 'positive control: ps never showed the command while it ran');
      assert.equal(leaked, '', 'the sudo password appeared in a command line');
      assert.equal(t.sudoAsked.length, 1, 'asked more than once');
      assert.equal(t.sudoAsked[0].user, p.name);
      for (const text of [t.logs.join('\n'), sshd.log(), r.stdout, r.stderr]) assert.ok(!text.includes(p.password!), 'the password leaked');
      await waitFor('the sudo sleep to end', () => pgrep(`^sleep ${d}$`).length === 0, 2000);
    });

    it('an AbortSignal ends a command run with sudo (root process, password and NOPASSWD)', async () => {
      for (const [user, pw] of [
        [n, undefined],
        [p, p.password],
      ] as const) {
        const s = await session(user, { sudoPassword: pw });
        const d = uniq();
        const ac = new AbortController();
        const pending = s.exec(`sleep ${d}`, { sudo: true, signal: ac.signal });
        await waitFor('the root sleep to run', () => pgrep(`^sleep ${d}$`, 'root').length === 1);
        ac.abort();
        assert.equal((await sshError(() => pending)).code, 'ABORTED');
        await waitFor(`the root sleep of ${user.name} to end`, () => pgrep(`^sleep ${d}$`).length === 0, 2000);
      }
    });

    it('a wrong or cancelled password fails with SUDO_FAILED; the right one works afterwards', async () => {
      let answer: string | undefined = 'not-the-password';
      const t = pools.make({ knownHosts: [sshd.knownHostsLine()], sudoPassword: () => answer });
      const s = await t.pool.session(ep(p));
      const marker = path.join(dir, `sudo-marker-${process.pid}`);
      const wrong = await sshError(() => s.exec(`touch ${marker}`, { sudo: true }));
      assert.equal(wrong.code, 'SUDO_FAILED');
      assert.match(wrong.message, /wrong sudo password for rvtest\d+ep/);
      assert.ok(!fs.existsSync(marker), 'the command ran although the password was wrong');
      answer = undefined;
      const cancelled = await sshError(() => s.exec('true', { sudo: true }));
      assert.equal(cancelled.code, 'SUDO_FAILED');
      assert.match(cancelled.message, /cancelled/);
      answer = p.password;
      assert.equal((await s.exec('id -u', { sudo: true })).stdout.trim(), '0');
      assert.equal(t.sudoAsked.length, 3);
    });

    it('a user without sudo rights gets SUDO_FAILED naming the reason', async () => {
      const t = pools.make({ knownHosts: [sshd.knownHostsLine()], sudoPassword: 'whatever' });
      const s = await t.pool.session(ep(u));
      const e = await sshError(() => s.exec('true', { sudo: true }));
      assert.equal(e.code, 'SUDO_FAILED');
    });
  });

  describe('SFTP', () => {
    it('uploads atomically with the mode (0700, 0600), to ~/ and absolute paths, and downloads', async () => {
      const s = await session();
      await s.upload('~/script.sh', '#!/bin/sh\necho hi\n', 0o700);
      const file = path.join(u.home, 'script.sh');
      assert.equal(fs.readFileSync(file, 'utf8'), '#!/bin/sh\necho hi\n');
      assert.equal(fs.statSync(file).mode & 0o7777, 0o700);
      assert.equal(fs.statSync(file).uid, u.uid);
      assert.equal((await s.exec('~/script.sh')).stdout, 'hi\n');

      await s.upload('~/script.sh', 'secret\n', 0o600); // replaces the existing file
      assert.equal(fs.readFileSync(file, 'utf8'), 'secret\n');
      assert.equal(fs.statSync(file).mode & 0o7777, 0o600);

      const bin = randomBytes(300000);
      await s.upload(path.join(u.home, 'abs.bin'), bin, 0o644);
      assert.ok((await s.download('~/abs.bin')).equals(bin));
      assert.equal((await s.download(file)).toString(), 'secret\n');
      assert.deepEqual(
        fs.readdirSync(u.home).filter((x) => x.includes('rosvpn')),
        [],
        'temp files left behind',
      );
    });

    it('fails with SFTP_FAILED naming the path', async () => {
      const s = await session();
      const up = await sshError(() => s.upload('/root/rvtest-forbidden.txt', 'x', 0o600));
      assert.equal(up.code, 'SFTP_FAILED');
      assert.match(up.message, /\/root\/rvtest-forbidden\.txt/);
      assert.match(up.message, /denied/i);
      assert.ok(!fs.existsSync('/root/rvtest-forbidden.txt'));
      const down = await sshError(() => s.download('~/no-such-file'));
      assert.equal(down.code, 'SFTP_FAILED');
      assert.match(down.message, /~\/no-such-file.*no such file/i);
      const noDir = await sshError(() => s.upload('~/no-such-dir/x', 'x', 0o600));
      assert.equal(noDir.code, 'SFTP_FAILED');
    });
  });

  describe('pool', () => {
    it('a connection killed mid-command rejects with CONNECTION_LOST; the next call reconnects', async () => {
      const t = pools.make({ knownHosts: [sshd.knownHostsLine()] });
      const s = await t.pool.session(ep(u));
      const d = uniq();
      const pending = s.exec(`sleep ${d}`);
      await waitFor('the sleep to run', () => pgrep(`^sleep ${d}$`, u.name).length === 1);
      const conns = sshd.sessionPids(u.name);
      assert.equal(conns.length, 1);
      process.kill(conns[0], 'SIGKILL');
      const e = await sshError(() => pending);
      assert.equal(e.code, 'CONNECTION_LOST');
      assert.match(e.message, new RegExp(`^connection to gateway \\(127\\.0\\.0\\.1:${sshd.port}\\) was lost: .+`));
      await waitFor('the orphaned sleep to end', () => pgrep(`^sleep ${d}$`).length === 0, 2000);
      assert.equal((await s.exec('echo back')).stdout, 'back\n', 'the same session reconnects');
      assert.equal((await (await t.pool.session(ep(u))).exec('echo again')).stdout, 'again\n');
      assert.equal(t.logs.filter((l) => l.includes('connecting to')).length, 2);
    });

    it('keepalive detects a server that stopped answering (CONNECTION_LOST), and the next call reconnects', async () => {
      const t = pools.make({ knownHosts: [sshd.knownHostsLine()], keepaliveMs: 200 });
      const s = await t.pool.session(ep(u));
      const d = uniq();
      const pending = s.exec(`sleep ${d}`);
      await waitFor('the sleep to run', () => pgrep(`^sleep ${d}$`, u.name).length === 1);
      const [conn] = sshd.sessionPids(u.name);
      process.kill(conn, 'SIGSTOP'); // the TCP connection stays up, but nothing answers
      try {
        const start = Date.now();
        const e = await sshError(() => pending);
        assert.equal(e.code, 'CONNECTION_LOST');
        assert.match(e.message, /was lost: .*keepalive/i);
        assert.ok(Date.now() - start < 3000, `took ${Date.now() - start} ms`);
      } finally {
        process.kill(conn, 'SIGKILL');
      }
      assert.equal((await s.exec('echo back')).stdout, 'back\n');
      await waitFor('the orphaned sleep to end', () => pgrep(`^sleep ${d}$`).length === 0, 2000);
    });

    it('100 sequential operations use one connection and leave no session behind; dispose closes it', async () => {
      const t = pools.make({ knownHosts: [sshd.knownHostsLine()] });
      const s = await t.pool.session(ep(u));
      for (let i = 0; i < 100; i++) {
        if (i % 10 === 9) await s.download('/etc/hostname');
        else assert.equal((await s.exec(`echo ${i}`)).stdout, `${i}\n`);
      }
      assert.equal(sshd.countSessions(u.name), 1);
      await waitFor('no leftover session processes', () => TestUsers.processes(u.name).length === 0, 2000).catch(() => {
        throw new Error(`leftover processes: ${TestUsers.processes(u.name).join('; ')}`);
      });
      assert.equal(t.logs.filter((l) => l.includes('connecting to')).length, 1);
      await t.pool.dispose();
      await waitFor('the connection to close on the server', () => sshd.countSessions(u.name) === 0, 2000);
    });

    it('concurrent callers share one connect; more concurrent commands than sshd MaxSessions all run', async () => {
      const t = pools.make({ knownHosts: [sshd.knownHostsLine()] });
      const sessions = await Promise.all(Array.from({ length: 5 }, () => t.pool.session(ep(u))));
      assert.equal(t.logs.filter((l) => l.includes('connecting to')).length, 1);
      const rs = await Promise.all(Array.from({ length: 14 }, (_x, i) => sessions[i % 5].exec(`sleep 0.3; echo ${i}`)));
      assert.deepEqual(
        rs.map((r) => r.stdout.trim()),
        Array.from({ length: 14 }, (_x, i) => String(i)),
      );
      assert.equal(sshd.countSessions(u.name), 1);
    });

    it('an idle connection closes by itself and the next call reconnects', async () => {
      const t = pools.make({ knownHosts: [sshd.knownHostsLine()], idleMs: 300 });
      const s = await t.pool.session(ep(u));
      await s.exec('true');
      assert.equal(sshd.countSessions(u.name), 1);
      await waitFor('the idle connection to close', () => sshd.countSessions(u.name) === 0, 3000);
      assert.equal((await s.exec('echo hi')).stdout, 'hi\n');
      assert.equal(t.logs.filter((l) => l.includes('connecting to')).length, 2);
    });
  });
});
