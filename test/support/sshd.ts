// Real OpenSSH servers for the SSH layer's tests: Debian's /usr/sbin/sshd on loopback (or inside a network
// namespace the test creates), throwaway host keys, per-user authorized_keys files, Linux test users
// (`rvtest<pid><letter>`) with NOPASSWD or password sudo, client keys, an ssh-agent, and a jump-host lab.
// Everything made here is removed by the teardown functions; processes are ended by their pid only.
// Network rule: traffic only to 127.0.0.1 or inside namespaces made here.
import { type ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { must, requireTool, run } from '../../lab/sh';

export const SSHD = '/usr/sbin/sshd';

/** Fails (never skips) without root or without the programs scripts/install-prereqs.sh installs. */
export function requireRootAndTools(): void {
  if (process.getuid?.() !== 0) throw new Error('the SSH tests need root (useradd, sudoers, sshd, ip netns); CI runs as root');
  // Each names its package from scripts/install-prereqs.sh's table when missing.
  for (const tool of ['sshd', 'ssh-keygen', 'ssh-agent', 'sudo', 'setsid', 'pgrep', 'useradd', 'visudo']) requireTool(tool);
}

/** sshd's privilege-separation directory; Debian's init script makes it, a container may not have it. */
export function ensurePrivsepDir(): void {
  if (!fs.existsSync('/run/sshd')) fs.mkdirSync('/run/sshd', { mode: 0o755, recursive: true });
}

export function tempDir(tag: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `rvssh-${tag}-`));
  fs.chmodSync(d, 0o755); // sshd reads authorized_keys as the user
  return d;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 5000, everyMs = 25): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every live descendant of `pid` (through /proc ppid links). */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(d), ppid);
    } catch {
      // exited
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent) {
      if (pp === p && !out.includes(c)) {
        out.push(c);
        walk(c);
      }
    }
  };
  walk(pid);
  return out;
}

/** Kills the given pids (ours) and waits until they are gone. */
export async function killPids(pids: number[], signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      // gone
    }
  }
  await waitFor(`pids ${pids.join(',')} to exit`, () => pids.every((p) => !pidAlive(p) || isZombie(p)), 5000);
}

function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** pids whose command line matches the regular expression (optionally owned by `user`). */
export function pgrep(pattern: string, user?: string): number[] {
  const r = run('pgrep', [...(user ? ['-u', user] : []), '-f', pattern]);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((p) => p !== process.pid);
}

// ------------------------------------------------------------------------------------------------------------
// keys

export interface KeyPair {
  /** Private key file. */
  path: string;
  publicLine: string;
  fingerprint: string;
  passphrase?: string;
}

export function makeKey(file: string, type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519', passphrase = ''): KeyPair {
  must('ssh-keygen', [
    '-q',
    '-t',
    type,
    ...(type === 'rsa' ? ['-b', '2048'] : []),
    '-N',
    passphrase,
    '-C',
    path.basename(file),
    '-f',
    file,
  ]);
  const publicLine = fs.readFileSync(`${file}.pub`, 'utf8').trim();
  const fingerprint = must('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`]).split(/\s+/)[1];
  return { path: file, publicLine, fingerprint, passphrase: passphrase || undefined };
}

// ------------------------------------------------------------------------------------------------------------
// users

export interface TestUser {
  name: string;
  home: string;
  uid: number;
  /** Login password (set only for the password-sudo user). */
  password?: string;
}

const USER_RE = /^rvtest(\d+)[a-z]+$/;

/** Linux users for one test run, named rvtest<pid><tag>; removes stale ones of dead runs first. */
export class TestUsers {
  private readonly made: TestUser[] = [];
  private readonly sudoers: string[] = [];

  constructor() {
    TestUsers.removeStale();
  }

  static removeStale(): void {
    const users = must('getent', ['passwd'])
      .split('\n')
      .map((l) => l.split(':')[0]);
    for (const u of users) {
      const m = USER_RE.exec(u);
      if (m && !pidAlive(Number(m[1]))) {
        for (const p of pgrep('.', u)) {
          try {
            process.kill(p, 'SIGKILL');
          } catch {
            // gone
          }
        }
        run('userdel', ['-r', '-f', u]);
      }
    }
    for (const f of fs.readdirSync('/etc/sudoers.d')) {
      const m = /^rvtest-(\d+)-/.exec(f);
      if (m && !pidAlive(Number(m[1]))) fs.rmSync(path.join('/etc/sudoers.d', f), { force: true });
    }
  }

  add(tag: string, opts: { sudo?: 'nopasswd' | 'password' } = {}): TestUser {
    const name = `rvtest${process.pid}${tag}`;
    must('useradd', ['-m', '-s', '/bin/bash', name]);
    const user: TestUser = { name, home: `/home/${name}`, uid: Number(must('id', ['-u', name]).trim()) };
    this.made.push(user);
    if (opts.sudo === 'password') {
      user.password = `rv-${randomBytes(9).toString('base64url')}`;
      must('chpasswd', [], { input: `${name}:${user.password}\n` });
    } else {
      // Not locked ('!' would make a PAM-less sshd refuse the account), but no valid password either.
      must('usermod', ['-p', '*', name]);
    }
    if (opts.sudo) {
      const file = `/etc/sudoers.d/rvtest-${process.pid}-${tag}`;
      const tmp = `${file}.tmp`;
      fs.writeFileSync(tmp, `${name} ALL=(ALL:ALL) ${opts.sudo === 'nopasswd' ? 'NOPASSWD: ' : ''}ALL\n`, { mode: 0o440 });
      must('visudo', ['-cf', tmp]);
      fs.renameSync(tmp, file); // sudo ignores names with a dot, so the .tmp was never live
      this.sudoers.push(file);
    }
    return user;
  }

  /** Non-sshd processes the user still runs. */
  static processes(user: string): string[] {
    // Zombies are left out: they run nothing, and an orphan's is reaped by PID 1 whenever it gets to it (this
    // machine's PID 1 is not an init that reaps at once).
    return run('ps', ['-u', user, '-o', 'pid=,stat=,args='])
      .stdout.split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/\bsshd: /.test(l) && !/^\d+\s+Z/.test(l));
  }

  async teardown(): Promise<string[]> {
    const problems: string[] = [];
    for (const f of this.sudoers.splice(0)) fs.rmSync(f, { force: true });
    for (const u of this.made.splice(0)) {
      const pids = pgrep('.', u.name);
      if (pids.length) await killPids(pids).catch((e) => problems.push(String(e)));
      const r = run('userdel', ['-r', '-f', u.name]);
      if (r.status !== 0 && r.status !== 12) problems.push(`userdel ${u.name}: ${r.stderr}`);
      if (run('id', [u.name]).status === 0) problems.push(`user ${u.name} still exists`);
    }
    return problems;
  }
}

// ------------------------------------------------------------------------------------------------------------
// sshd

export interface SshdOptions {
  /** Working directory for config, host keys, pid file, authorized_keys (default: a new temp dir). */
  dir?: string;
  listenAddress?: string;
  /** Default: a free loopback port. */
  port?: number;
  /** Run inside this network namespace (via `ip netns exec`). */
  netns?: string;
  /** Lines appended to sshd_config (Match blocks go last). */
  extraConfig?: string;
  /** Host key types (default ed25519 and ecdsa). */
  hostKeyTypes?: ('ed25519' | 'ecdsa' | 'rsa')[];
}

export interface HostKey {
  type: string;
  blobBase64: string;
  fingerprint: string;
  file: string;
}

/** One Debian sshd in the foreground (`-D -e`), logging VERBOSE to a buffer. */
export class Sshd {
  readonly dir: string;
  readonly listenAddress: string;
  port = 0;
  readonly hostKeys: HostKey[] = [];
  private proc?: ChildProcess;
  private logText = '';
  private readonly ownDir: boolean;

  constructor(private readonly o: SshdOptions = {}) {
    this.ownDir = !o.dir;
    this.dir = o.dir ?? tempDir('sshd');
    this.listenAddress = o.listenAddress ?? '127.0.0.1';
    fs.mkdirSync(path.join(this.dir, 'authorized_keys'), { recursive: true, mode: 0o755 });
    for (const t of o.hostKeyTypes ?? ['ed25519', 'ecdsa']) {
      const file = path.join(this.dir, `ssh_host_${t}_key`);
      const k = makeKey(file, t);
      const [type, blobBase64] = k.publicLine.split(/\s+/);
      this.hostKeys.push({ type, blobBase64, fingerprint: k.fingerprint, file });
    }
  }

  get configPath(): string {
    return path.join(this.dir, 'sshd_config');
  }

  get hostKeyFingerprint(): string {
    return this.hostKeys[0].fingerprint;
  }

  /** The name as known_hosts writes it for this server. */
  get knownHostsName(): string {
    return this.port === 22 ? this.listenAddress : `[${this.listenAddress}]:${this.port}`;
  }

  /** A known_hosts line for one of the host keys (default the first). */
  knownHostsLine(type?: string): string {
    const k = type ? this.hostKeys.find((h) => h.type === type || h.type.includes(type)) : this.hostKeys[0];
    if (!k) throw new Error(`no ${type} host key`);
    return `${this.knownHostsName} ${k.type} ${k.blobBase64}`;
  }

  authorize(user: string, publicLines: string[]): void {
    const f = path.join(this.dir, 'authorized_keys', user);
    fs.writeFileSync(f, publicLines.map((l) => `${l}\n`).join(''), { mode: 0o644 });
    fs.chmodSync(f, 0o644);
  }

  config(): string {
    return [
      `Port ${this.port}`,
      `ListenAddress ${this.listenAddress}`,
      ...this.hostKeys.map((k) => `HostKey ${k.file}`),
      `PidFile ${path.join(this.dir, 'sshd.pid')}`,
      'UsePAM no',
      `AuthorizedKeysFile ${path.join(this.dir, 'authorized_keys', '%u')}`,
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'LogLevel VERBOSE',
      'Subsystem sftp /usr/lib/openssh/sftp-server',
      'AllowTcpForwarding yes',
      'MaxStartups 50:30:100',
      'PrintMotd no',
      'AcceptEnv LANG LC_*',
      this.o.extraConfig ?? '',
      '',
    ].join('\n');
  }

  writeConfig(): void {
    fs.writeFileSync(this.configPath, this.config(), { mode: 0o644 });
    const t = run(SSHD, ['-t', '-f', this.configPath]);
    if (t.status !== 0) throw new Error(`sshd -t rejected ${this.configPath}: ${t.stderr}`);
  }

  async start(port?: number): Promise<this> {
    ensurePrivsepDir();
    this.port = port ?? this.o.port ?? (this.o.netns ? 22 : await freePort());
    this.writeConfig();
    const argv = [SSHD, '-D', '-e', '-f', this.configPath];
    const [cmd, args] = this.o.netns ? ['ip', ['netns', 'exec', this.o.netns, ...argv]] : [argv[0], argv.slice(1)];
    const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (d: string) => (this.logText += d));
    await waitFor(`sshd to listen on ${this.listenAddress}:${this.port} (log: ${this.logText})`, () => {
      if (proc.exitCode !== null) throw new Error(`sshd exited ${proc.exitCode}: ${this.logText}`);
      return /Server listening on/.test(this.logText);
    });
    return this;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  log(): string {
    return this.logText;
  }

  /** sshd processes serving `user`'s connections (`sshd: USER@notty`, one per connection). */
  countSessions(user: string): number {
    return pgrep(`^sshd: ${user}@`, user).length;
  }

  /** pids of the per-connection processes of `user` (the unprivileged `sshd: USER@notty`). */
  sessionPids(user: string): number[] {
    return pgrep(`^sshd: ${user}@`, user);
  }

  /** Stops sshd and every process it started (connections, sessions); throws if any survives. */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (proc?.pid && proc.exitCode === null) {
      const kids = descendants(proc.pid);
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      // `ip netns exec` execs sshd, so proc.pid is sshd itself.
      await killPids([...kids, proc.pid]);
      await exited;
      const left = [...kids, proc.pid].filter((p) => pidAlive(p) && !isZombie(p));
      if (left.length) throw new Error(`sshd processes survived: ${left.join(', ')}`);
    }
    if (this.ownDir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------------------------
// ssh-agent

export class SshAgent {
  readonly socket: string;
  private proc?: ChildProcess;

  constructor(dir: string) {
    this.socket = path.join(dir, `agent.${process.pid}.sock`);
  }

  async start(): Promise<this> {
    this.proc = spawn('ssh-agent', ['-D', '-a', this.socket], { stdio: 'ignore' });
    await waitFor('ssh-agent socket', () => fs.existsSync(this.socket));
    return this;
  }

  add(keyFile: string): void {
    must('ssh-add', ['-q', keyFile], { env: { ...process.env, SSH_AUTH_SOCK: this.socket } });
  }

  async stop(): Promise<void> {
    if (this.proc?.pid && this.proc.exitCode === null) await killPids([this.proc.pid], 'SIGTERM');
    fs.rmSync(this.socket, { force: true });
  }
}

// ------------------------------------------------------------------------------------------------------------
// jump-host lab

/**
 * A target sshd reachable only through a jump host. Both live in a fresh network namespace (`rvtj<pid>`)
 * that has nothing but its own loopback: the target listens on the namespace's 127.0.0.1:targetPort, and
 * the jump sshd runs in inetd mode (`sshd -i`) inside the namespace, one per connection, spawned by a relay
 * that this process runs on the root namespace's 127.0.0.1:jumpPort. So the client only ever connects to
 * 127.0.0.1, the jump host's forwarding stays inside the namespace, and 127.0.0.1:targetPort in the root
 * namespace has nothing listening (the negative control).
 */
export class JumpLab {
  readonly netns = `rvtj${process.pid}`;
  readonly dir = tempDir('jump');
  readonly target: Sshd;
  readonly jump: Sshd;
  jumpPort = 0;
  private relay?: net.Server;
  private readonly spawned = new Set<ChildProcess>();
  private jumpLogText = '';

  constructor(extra: { jumpConfig?: string; targetConfig?: string } = {}) {
    this.target = new Sshd({ dir: path.join(this.dir, 'target'), netns: this.netns, extraConfig: extra.targetConfig });
    this.jump = new Sshd({ dir: path.join(this.dir, 'jump'), netns: this.netns, extraConfig: extra.jumpConfig, hostKeyTypes: ['ed25519'] });
  }

  static removeStale(): void {
    for (const l of run('ip', ['netns', 'list']).stdout.split('\n')) {
      const m = /^rvtj(\d+)\b/.exec(l);
      if (m && !pidAlive(Number(m[1]))) run('ip', ['netns', 'del', `rvtj${m[1]}`]);
    }
  }

  async start(): Promise<this> {
    JumpLab.removeStale();
    must('ip', ['netns', 'add', this.netns]);
    must('ip', ['-n', this.netns, 'link', 'set', 'lo', 'up']);
    // The target's port is one that is free on the root namespace's loopback, so that the negative control
    // (a direct connection to 127.0.0.1:targetPort) reaches nothing rather than something unrelated.
    await this.target.start(await freePort());
    this.jumpPort = await freePort();
    // Inetd mode: the relay hands each TCP connection to a fresh `sshd -i` inside the namespace.
    this.jump.port = 22;
    this.jump.writeConfig();
    this.relay = net.createServer((sock) => {
      const p = spawn('ip', ['netns', 'exec', this.netns, SSHD, '-i', '-e', '-f', this.jump.configPath], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      this.spawned.add(p);
      p.on('exit', () => this.spawned.delete(p));
      p.stderr!.on('data', (d: Buffer) => (this.jumpLogText += d.toString()));
      sock.pipe(p.stdin!);
      p.stdout!.pipe(sock);
      sock.on('error', () => p.kill('SIGTERM'));
      sock.on('close', () => p.stdin!.end());
      p.stdin!.on('error', () => undefined);
      p.on('exit', () => sock.destroy());
    });
    await new Promise<void>((resolve) => this.relay!.listen(this.jumpPort, '127.0.0.1', resolve));
    return this;
  }

  jumpLog(): string {
    return this.jumpLogText;
  }

  /** Inode of the namespace's net ns, to prove where a command ran. */
  netnsInode(): string {
    return must('ip', ['netns', 'exec', this.netns, 'readlink', '/proc/self/ns/net']).trim();
  }

  /** known_hosts line for the jump host as the client sees it: [127.0.0.1]:jumpPort. */
  jumpKnownHostsLine(): string {
    const k = this.jump.hostKeys[0];
    return `[127.0.0.1]:${this.jumpPort} ${k.type} ${k.blobBase64}`;
  }

  async stop(): Promise<string[]> {
    const problems: string[] = [];
    await new Promise<void>((r) => (this.relay ? this.relay.close(() => r()) : r()));
    for (const p of [...this.spawned]) {
      if (p.pid) {
        const pids = [...descendants(p.pid), p.pid];
        await killPids(pids).catch((e) => problems.push(String(e)));
      }
    }
    await this.target.stop().catch((e) => problems.push(String(e)));
    run('ip', ['netns', 'del', this.netns]);
    if (
      run('ip', ['netns', 'list'])
        .stdout.split('\n')
        .some((l) => l.startsWith(`${this.netns} `) || l === this.netns)
    )
      problems.push(`netns ${this.netns} left`);
    fs.rmSync(this.dir, { recursive: true, force: true });
    return problems;
  }
}
