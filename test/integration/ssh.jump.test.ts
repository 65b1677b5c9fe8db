// Jump hosts against real sshds: the target lives in a network namespace this test creates and is reachable
// only through the jump host (see JumpLab). The client only ever connects to 127.0.0.1.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { JumpLab, type KeyPair, makeKey, requireRootAndTools, tempDir, type TestUser, TestUsers } from '../support/sshd';
import { PoolFactory, sshError } from '../support/pool';
import type { SshEndpoint } from '../../src/core/ssh/types';

describe('ssh: jump hosts (target only reachable through the jump host, in a network namespace)', function () {
  this.timeout(20000);
  let users: TestUsers;
  let dir: string;
  let lab: JumpLab;
  let u: TestUser;
  let key: KeyPair;
  let pools: PoolFactory;
  let rootNetns: string;

  const jump = (): SshEndpoint => ({ label: 'jumphost', host: '127.0.0.1', port: lab.jumpPort, user: u.name, identityFile: key.path });
  const target = (extra: Partial<SshEndpoint> = {}): SshEndpoint => ({
    label: 'second',
    host: '127.0.0.1',
    port: lab.target.port,
    user: u.name,
    identityFile: key.path,
    jump: jump(),
    ...extra,
  });

  before(async () => {
    requireRootAndTools();
    users = new TestUsers();
    dir = tempDir('jumptest');
    u = users.add('ju');
    key = makeKey(path.join(dir, 'id'));
    lab = new JumpLab();
    lab.jump.authorize(u.name, [key.publicLine]);
    lab.target.authorize(u.name, [key.publicLine]);
    await lab.start();
    pools = new PoolFactory(dir);
    rootNetns = fs.readlinkSync('/proc/self/ns/net');
  });

  afterEach(() => pools.disposeAll());

  after(async () => {
    await pools?.disposeAll();
    const problems = [...(lab ? await lab.stop() : []), ...(users ? await users.teardown() : [])];
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(problems, []);
  });

  it('reaches the target through the jump host; each host key is verified under its own name', async () => {
    const t = pools.make({ trust: true });
    const s = await t.pool.session(target());
    const r = await s.exec('readlink /proc/self/ns/net; id -un');
    assert.deepEqual(r.stdout.trim().split('\n'), [lab.netnsInode(), u.name]);
    assert.notEqual(lab.netnsInode(), rootNetns);
    assert.deepEqual(
      t.asked.map((a) => [a.host, a.fingerprint]),
      [
        [`[127.0.0.1]:${lab.jumpPort}`, lab.jump.hostKeyFingerprint],
        [`[127.0.0.1]:${lab.target.port}`, lab.target.hostKeyFingerprint],
      ],
    );
    const recorded = fs.readFileSync(t.knownHostsPath, 'utf8');
    assert.ok(recorded.includes(lab.jumpKnownHostsLine()), recorded);
    assert.ok(recorded.includes(lab.target.knownHostsLine()), recorded);
    assert.match(lab.jumpLog(), /Accepted publickey for rvtest\d+ju/);
    // The jump connection is pooled: a session on the jump host itself reuses it.
    await (await t.pool.session(jump())).exec('true');
    assert.equal(t.logs.filter((l) => l.includes('connecting to')).length, 2, t.logs.join('\n'));
  });

  it('negative control: the target cannot be reached directly', async () => {
    const t = pools.make({ trust: true });
    const e = await sshError(() => t.pool.session(target({ jump: undefined })));
    assert.equal(e.code, 'CONNECT_FAILED');
    assert.match(e.message, /connection refused/);
    assert.deepEqual(t.asked, []);
  });

  it('follows ProxyJump from ~/.ssh/config (user@host:port form)', async () => {
    const cfg = path.join(dir, 'ssh_config');
    fs.writeFileSync(
      cfg,
      `Host rvsecond\n  HostName 127.0.0.1\n  Port ${lab.target.port}\n  User ${u.name}\n  IdentityFile ${key.path}\n  ProxyJump ${u.name}@127.0.0.1:${lab.jumpPort}\n\nHost 127.0.0.1\n  IdentityFile ${key.path}\n`,
    );
    const t = pools.make({ sshConfigPath: cfg, knownHosts: [lab.jumpKnownHostsLine(), lab.target.knownHostsLine()] });
    const s = await t.pool.session({ label: 'second', host: 'rvsecond' });
    assert.equal((await s.exec('readlink /proc/self/ns/net')).stdout.trim(), lab.netnsInode());
  });

  it("the target's changed host key is refused although the jump host's key is fine", async () => {
    const bogus = makeKey(path.join(dir, 'bogus'));
    const t = pools.make({
      knownHosts: [lab.jumpKnownHostsLine(), `[127.0.0.1]:${lab.target.port} ${bogus.publicLine.split(' ').slice(0, 2).join(' ')}`],
    });
    const e = await sshError(() => t.pool.session(target()));
    assert.equal(e.code, 'HOST_KEY_CHANGED');
    assert.ok(e.message.includes(`[127.0.0.1]:${lab.target.port}`), e.message);
    assert.ok(e.message.includes(lab.target.hostKeyFingerprint), e.message);
  });
});
