// A second deleted from rosvpn.json (or renamed) while its host still runs ROS VPN: this machine's record of
// what it provisioned (no secrets, 0600, validated before use), `rosvpn provision`'s offer to unprovision it
// first (terminal: asks after saying what will change; no: forgotten; without a terminal: the command to run),
// and `rosvpn unprovision --host NAME` reaching it through the record. Hosts are a fake pool, or a closed
// loopback port where the real CLI connects.
import { strict as assert } from 'node:assert';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { run, type CliIo } from '../../src/cli/main';
import { offerRemovedSeconds, unprovisionHint } from '../../src/cli/removed';
import { forgetTracked, recordProvisioned, removedSeconds, trackedPath, trackedSecond } from '../../src/core/provision/tracked';
import type { ExecOptions, SshEndpoint, SshPool, SshSession } from '../../src/core/ssh/types';
import type { ValidTopology } from '../../src/core/topology/types';
import { run as sh } from '../../lab/sh';
import { loadFixture } from '../support/fixtures';

const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'topologies', 'vxlan-3.json');
const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the fixture as JSON, edited per test
const topology = (edit?: (d: Record<string, any>) => void): ValidTopology => loadFixture('vxlan-3', edit);

/** The fixture without its last second, as a user who deleted it from the file has it. */
const withoutLast = () => topology((d) => d.seconds.pop());

/** A pool whose hosts "run" the uploaded unprovision script: it must be the one for `expect`; `fail` makes it fail. */
function scriptPool(ran: { label: string; host: string; script: string }[], fail = false): () => Promise<SshPool> {
  const session = (e: SshEndpoint): SshSession => {
    const uploaded = new Map<string, string>();
    return {
      endpoint: e,
      async upload(p: string, content: string | Buffer) {
        uploaded.set(p, String(content));
      },
      async download() {
        throw new Error('no download expected');
      },
      async exec(command: string, o: ExecOptions = {}) {
        if (command === 'printf %s "$HOME"') return { code: 0, signal: null, stdout: '/home/u', stderr: '' };
        const m = /^'bash' '([^']+)'$/.exec(command);
        assert.ok(m, `unexpected command ${command}`);
        ran.push({ label: e.label, host: e.host, script: uploaded.get(m[1]) ?? '' });
        o.onStdout?.(`::step name=links status=${fail ? 'failed msg="boom"' : 'changed'}`);
        if (!fail) o.onStdout?.(`::summary role=second host=${e.label} changed=1 ok=0 skipped=0 failed=0`);
        return { code: fail ? 1 : 0, signal: null, stdout: '', stderr: '' };
      },
    } as unknown as SshSession;
  };
  return async () => ({ session: async (e) => session(e), dispose: async () => undefined });
}

const noPool = async (): Promise<SshPool> => assert.fail('nothing may connect');

describe('seconds removed from rosvpn.json', () => {
  let dir: string;
  let file: string;
  let env: Record<string, string>;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-removed-'));
    file = path.join(dir, 'rosvpn.json');
    fs.copyFileSync(FIXTURE, file);
    env = { XDG_STATE_HOME: path.join(dir, 'state'), HOME: dir };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const io = (tty: boolean, answer: boolean) => {
    const lines: string[] = [];
    const errors: string[] = [];
    const asked: string[] = [];
    return {
      lines,
      errors,
      asked,
      env,
      cwd: dir,
      out: (l: string) => lines.push(l),
      err: (l: string) => errors.push(l),
      canPrompt: () => tty,
      confirm: async (q: string) => (asked.push(q), answer),
    };
  };

  describe('the record', () => {
    it('is 0600 in a 0700 directory under $XDG_STATE_HOME, one per topology file, and holds no secret', () => {
      const t = topology();
      recordProvisioned(file, t, ['second', 'second-3'], env);
      const p = trackedPath(file, env);
      assert.ok(p.startsWith(path.join(env.XDG_STATE_HOME, 'rosvpn', 'provisioned') + path.sep), p);
      assert.equal(fs.statSync(p).mode & 0o777, 0o600);
      assert.equal(fs.statSync(path.dirname(p)).mode & 0o777, 0o700);
      assert.notEqual(trackedPath(path.join(dir, 'other.json'), env), p);
      const text = fs.readFileSync(p, 'utf8');
      assert.doesNotMatch(text, /passphrase|password|BEGIN/i);
      assert.deepEqual(Object.keys(JSON.parse(text).seconds), ['second', 'second-3']);
      // Without XDG_STATE_HOME: ~/.local/state.
      assert.ok(trackedPath(file, { HOME: dir }).startsWith(path.join(dir, '.local', 'state', 'rosvpn')));
    });

    it('a second still in the file is not "removed"; deleted or renamed, it is', () => {
      recordProvisioned(file, topology(), ['second', 'second-2', 'second-3'], env);
      assert.deepEqual(removedSeconds(file, topology(), env), []);
      const removed = removedSeconds(file, withoutLast(), env);
      assert.deepEqual(
        removed.map((r) => [r.second.name, r.second.host, r.second.cloudIp]),
        [['second-3', topology().seconds[2].host, topology().seconds[2].cloudIp]],
      );
      assert.match(removed[0].provisionedAt, /^\d{4}-\d\d-\d\dT/);
      // Renamed (same host, new name): a remove plus an add.
      const renamed = topology((d) => (d.seconds[2].name = 'mapper'));
      assert.deepEqual(
        removedSeconds(file, renamed, env).map((r) => r.second.name),
        ['second-3'],
      );
      assert.equal(trackedSecond(file, renamed, 'second-3', env)?.second.host, topology().seconds[2].host);
      assert.equal(trackedSecond(file, renamed, 'mapper', env), undefined, 'in the file: not a removed one');
    });

    it('is data: an entry that is not a valid second (or not under its own name) is ignored', () => {
      recordProvisioned(file, topology(), ['second-2', 'second-3'], env);
      const p = trackedPath(file, env);
      const data = JSON.parse(fs.readFileSync(p, 'utf8'));
      data.seconds['second-2'].second.name = 'x; rm -rf /';
      data.seconds['second-3'].second.cloudIp = '$(reboot)';
      data.seconds.ghost = { second: { name: 'ghost', host: 'h', cloudIp: '172.31.1.99' } }; // no vpnIp
      fs.writeFileSync(p, JSON.stringify(data));
      assert.deepEqual(
        removedSeconds(
          file,
          topology((d) => (d.seconds = [d.seconds[0]])),
          env,
        ),
        [],
      );
      fs.writeFileSync(p, 'not json');
      assert.deepEqual(removedSeconds(file, withoutLast(), env), []);
    });

    it('forgetting the last one removes the file', () => {
      recordProvisioned(file, topology(), ['second-3'], env);
      forgetTracked(file, ['second-3'], env);
      assert.equal(fs.existsSync(trackedPath(file, env)), false);
    });
  });

  describe('rosvpn provision offers to unprovision it first', () => {
    beforeEach(() => recordProvisioned(file, topology(), ['second', 'second-2', 'second-3'], env));

    it('without a terminal: a warning with the exact command; nothing connects; it stays recorded', async () => {
      const o = io(false, true);
      assert.equal(await offerRemovedSeconds(o, file, withoutLast(), {}, noPool), true);
      assert.deepEqual(o.asked, []);
      assert.match(
        o.errors.join('\n'),
        /warning: second 'second-3' \(\S+\) was provisioned from rosvpn\.json on \d{4}-\d\d-\d\d and is no longer in it; its host still runs ROS VPN\. Remove it: rosvpn unprovision --host second-3 --yes/,
      );
      assert.equal(removedSeconds(file, withoutLast(), env).length, 1);
    });

    it('on a terminal, no: says what would change, connects to nothing, forgets it', async () => {
      const o = io(true, false);
      assert.equal(await offerRemovedSeconds(o, file, withoutLast(), {}, noPool), true);
      assert.deepEqual(o.asked, ['Remove ROS VPN from second-3? (no: leave it as it is and stop tracking it)']);
      assert.match(o.lines.join('\n'), /second-3 \(second, \S+\):\n {4}- /);
      assert.match(o.lines.join('\n'), /'second-3' keeps ROS VPN and is no longer tracked/);
      assert.deepEqual(removedSeconds(file, withoutLast(), env), []);
    });

    it("on a terminal, yes: runs second-3's unprovision script on its recorded host, then forgets it", async () => {
      const o = io(true, true);
      const ran: { label: string; host: string; script: string }[] = [];
      assert.equal(await offerRemovedSeconds(o, file, withoutLast(), {}, scriptPool(ran)), true);
      assert.deepEqual(
        ran.map((r) => [r.label, r.host]),
        [['second-3', topology().seconds[2].host]],
      );
      assert.match(ran[0].script, /^HOST_NAME='second-3'$/m);
      assert.match(ran[0].script, /^ROLE='second'$/m);
      assert.deepEqual(removedSeconds(file, withoutLast(), env), []);
    });

    it('yes, but the unprovision fails: provisioning stops, and it stays recorded', async () => {
      const o = io(true, true);
      const ran: { label: string; host: string; script: string }[] = [];
      assert.equal(await offerRemovedSeconds(o, file, withoutLast(), {}, scriptPool(ran, true)), false);
      assert.match(o.errors.join('\n'), /stopped before provisioning: ROS VPN could not be removed from 'second-3'/);
      assert.equal(removedSeconds(file, withoutLast(), env).length, 1);
    });

    it('the hint names the file unless it is ./rosvpn.json', () => {
      assert.equal(unprovisionHint(file, dir, 'a'), 'rosvpn unprovision --host a --yes');
      assert.equal(
        unprovisionHint(path.join(dir, 'lab', 'my topo.json'), dir, 'a'),
        "rosvpn unprovision 'lab/my topo.json' --host a --yes",
      );
      assert.equal(unprovisionHint('/etc/x.json', dir, 'a'), 'rosvpn unprovision /etc/x.json --host a --yes');
    });
  });

  describe('rosvpn unprovision --host NAME', () => {
    const cliIo = (): CliIo & { lines: string[]; errors: string[] } => {
      const lines: string[] = [];
      const errors: string[] = [];
      return { lines, errors, env, cwd: dir, out: (l) => lines.push(l), err: (l) => errors.push(l) };
    };

    /** A loopback port nothing listens on. */
    async function closedPort(): Promise<number> {
      const srv = net.createServer();
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      const port = (srv.address() as net.AddressInfo).port;
      await new Promise((r) => srv.close(r));
      return port;
    }

    it('the built CLI reaches a removed second through the record (a closed loopback port: it fails, stays recorded)', async () => {
      assert.ok(fs.existsSync(CLI), 'dist/cli.js missing: npm test builds it first (npm run build)');
      const port = await closedPort();
      const t = topology((d) => Object.assign(d.seconds[2], { host: '127.0.0.1', port, jump: undefined }));
      recordProvisioned(file, t, ['second-3'], env);
      fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(FIXTURE, 'utf8')), seconds: topology().seconds.slice(0, 2) }));
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ROSVPN_')));
      const r = sh(process.execPath, [CLI, 'unprovision', '--host', 'second-3', '--yes', '--known-hosts', path.join(dir, 'kh')], {
        cwd: dir,
        env: { ...clean, ...env, SSH_AUTH_SOCK: '' },
      });
      const all = r.stdout + r.stderr;
      assert.equal(r.status, 1, all);
      assert.match(all, /'second-3' is no longer in rosvpn\.json; its SSH details are the ones recorded when it was provisioned/);
      assert.match(all, /second-3 \(second, 127\.0\.0\.1\):/);
      assert.match(all, /second-3\s+second\s+failed/);
      assert.equal(removedSeconds(file, withoutLast(), env).length, 1, 'a failed run forgets nothing');
    });

    it('a name never provisioned from this file is still an error listing the hosts', async () => {
      const o = cliIo();
      assert.equal(await run(['unprovision', file, '--host', 'ghost', '--yes'], o), 1);
      assert.match(o.errors.join('\n'), /no host named 'ghost' in the topology; hosts: gateway, second, second-2, second-3/);
    });
  });
});
