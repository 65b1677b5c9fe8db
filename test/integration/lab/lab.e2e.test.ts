// End to end in the lab of real hosts: provisioning with the real CLI from the controller namespace, then
// the guide's own acceptance test — the robot hears the cloud, and the cloud hears the robot — over the
// full path: robot LAN -> desktop bridge -> OpenVPN tap -> gateway bridge -> VXLAN -> second.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Lab, type LabHost, labDown, type LabState } from '../../../lab/lab';
import { spawn } from 'child_process';
import { controllerArgv, controllerCli, ddsFlow, hostSide, loadLabTopology, robotMtuPing, robotSide, sshArgs } from '../../../lab/demo';
import { run } from '../../../lab/sh';
import { SOCKET_BUFFER } from '../../../src/core/render/openvpn';

function prefix(tag: string): string {
  return `rve${tag}${process.pid % 1000}`;
}

function stepStatuses(stdout: string): string[] {
  return [...stdout.matchAll(/^\[[^\]]+\] (\S+)\s+(ok|changed|skipped|failed)/gm)].map((m) => `${m[1]}=${m[2]}`);
}

// A DHCP address's lifetimes count down between two snapshots (which address it is still must match).
function hostState(h: LabHost): string {
  const r = Lab.inHost(h, [
    'sh',
    '-c',
    'ip -d -o link show | sed "s/ qlen.*//; s/<[^>]*>//"; ip -o addr show | sed -E "s/(valid|preferred)_lft [0-9]+sec/\\1_lft N/g"; bridge fdb show | grep 00:00:00:00:00:00; ' +
      'find /etc/rosvpn /usr/local/lib/rosvpn /etc/openvpn /etc/systemd/system -type f -name "*rosvpn*" -o -type f -path "*rosvpn*" | sort | xargs md5sum',
  ]);
  return r.stdout;
}

function describeLab(seconds: number) {
  describe(`lab e2e: vxlan, ${seconds} second(s)`, function () {
    this.timeout(600000);
    const lab = new Lab(prefix(`${seconds}`));
    let s: LabState;
    let provisionOut = '';

    before(function () {
      if (process.getuid?.() !== 0) throw new Error('the lab needs root; CI runs as root');
      const t = loadLabTopology(undefined, seconds, () => undefined);
      assert.ok(t);
      s = lab.up(t);
      const r = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
      provisionOut = r.stdout + r.stderr;
      assert.equal(r.status, 0, provisionOut);
    });

    after(() => {
      const left = labDown(lab.prefix);
      assert.deepEqual(left, [], 'teardown left something behind');
      assert.equal(run('ip', ['netns', 'list']).stdout.includes(lab.prefix), false);
    });

    it('provisioning from the controller (no default route) reports every host changed, none failed', () => {
      const ctlRoutes = run('ip', ['-n', s.controllerNs, 'route', 'show', 'default']).stdout;
      assert.equal(ctlRoutes.trim(), '', 'the controller namespace must have no default route');
      assert.match(provisionOut, /provision: done/);
      assert.doesNotMatch(provisionOut, /\bfailed\b/);
      for (const h of s.hosts) assert.match(provisionOut, new RegExp(`^${h.name}\\s+${h.role}\\s+changed`, 'm'));
    });

    it('DDS samples from every second reach the robot, and from the robot every second', async () => {
      const robot = robotSide(s);
      for (const h of s.hosts.filter((x) => x.role === 'second')) {
        const up = await ddsFlow(hostSide(h), robot, { seconds: 3 });
        assert.ok(up.ok, `${h.name} -> robot: ${JSON.stringify(up)}`);
        const down = await ddsFlow(robot, hostSide(h), { seconds: 3 });
        assert.ok(down.ok, `robot -> ${h.name}: ${JSON.stringify(down)}`);
      }
    });

    if (seconds > 1) {
      it('second <-> second: DDS across the VXLAN full mesh', async () => {
        const sec = s.hosts.filter((x) => x.role === 'second');
        const f = await ddsFlow(hostSide(sec[1]), hostSide(sec[2]), { seconds: 3 });
        assert.ok(f.ok, JSON.stringify(f));
        const g = await ddsFlow(hostSide(sec[2]), hostSide(sec[0]), { seconds: 3 });
        assert.ok(g.ok, JSON.stringify(g));
      });
    }

    it("OpenVPN's UDP sockets on the gateway and the desktop have the configured 4 MiB buffers, not the kernel's 208 KiB default", () => {
      for (const h of s.hosts.filter((x) => x.role === 'gateway' || x.role === 'desktop')) {
        const r = Lab.inHost(h, ['ss', '-uanmp']);
        // ss prints the socket line (with users:(("openvpn",...))) and then its skmem line; the kernel doubles the request.
        const m = r.stdout.match(/"openvpn"[^\n]*\n\s*skmem:\(r\d+,rb(\d+),t\d+,tb(\d+)/);
        assert.ok(m, `no OpenVPN UDP socket on ${h.name}:\n${r.stdout}`);
        assert.deepEqual([Number(m[1]), Number(m[2])], [2 * SOCKET_BUFFER, 2 * SOCKET_BUFFER], `${h.name}: ${m[0]}`);
      }
    });

    it('no MTU black hole: 1472-byte do-not-fragment pings pass, and 64 KB samples arrive with none lost', async () => {
      const t = loadLabTopology(undefined, seconds, () => undefined)!;
      for (const sec of t.seconds) assert.ok(robotMtuPing(s, sec.vpnIp.split('/')[0]), `1500-byte frames to ${sec.name} dropped`);
      const h = s.hosts.find((x) => x.role === 'second')!;
      const big = await ddsFlow(hostSide(h), robotSide(s), { seconds: 3, size: 65536, rate: '20Hz' });
      assert.ok(big.samples >= 30 && big.lost === 0, JSON.stringify(big));
    });

    it('negative control: with the OpenVPN client stopped, discovery fails; started again, DDS flows', async () => {
      const desktop = s.hosts.find((x) => x.role === 'desktop')!;
      const h = s.hosts.find((x) => x.role === 'second')!;
      assert.equal(Lab.inHost(desktop, ['systemctl', 'stop', 'openvpn-client@rosvpn']).status, 0);
      const cut = await ddsFlow(hostSide(h), robotSide(s), { seconds: 3 });
      assert.equal(cut.samples, 0, `samples crossed a stopped VPN: ${JSON.stringify(cut)}`);
      assert.equal(Lab.inHost(desktop, ['systemctl', 'start', 'openvpn-client@rosvpn']).status, 0);
      const deadline = Date.now() + 30000;
      let back = await ddsFlow(hostSide(h), robotSide(s), { seconds: 2 });
      while (!back.ok && Date.now() < deadline) back = await ddsFlow(hostSide(h), robotSide(s), { seconds: 2 });
      assert.ok(back.ok, JSON.stringify(back));
    });

    if (seconds === 1) {
      it('logs --follow: OpenVPN lines stream, a cut SSH connection is resumed with nothing lost or repeated, Ctrl-C ends the remote journalctl', async () => {
        const gw = s.hosts.find((x) => x.role === 'gateway')!;
        const [cmd, ...args] = controllerArgv(s, [
          'logs',
          'gateway',
          '--topology',
          s.topologyFile,
          '--follow',
          '--lines',
          '1000',
          ...sshArgs(s),
        ]);
        const child = spawn(cmd, args, { cwd: s.stateDir, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
        const completions = () => (out.match(/Initialization Sequence Completed/g) ?? []).length;
        const waitFor = async (what: string, ok: () => boolean, ms = 30000) => {
          const end = Date.now() + ms;
          while (!ok()) {
            if (Date.now() > end)
              throw new Error(`timed out waiting for ${what}\nstdout:\n${out.slice(-3000)}\nstderr:\n${err.slice(-3000)}`);
            await new Promise((r) => setTimeout(r, 200));
          }
        };
        try {
          await waitFor('the first Initialization Sequence Completed', () => completions() >= 1);
          await new Promise((r) => setTimeout(r, 1500)); // let the history finish arriving
          const before = completions();
          // Cut the SSH connection on the gateway's side, then log more while the follow is disconnected.
          assert.equal(Lab.inHost(gw, ['pkill', '-KILL', '-f', '^sshd: ubuntu']).status, 0, 'no ubuntu sshd session to cut');
          assert.equal(Lab.inHost(gw, ['systemctl', 'restart', 'openvpn-server@rosvpn']).status, 0);
          await waitFor('the reconnect notice', () => /reconnecting/.test(err));
          await waitFor('the line logged while disconnected', () => completions() === before + 1);
          await new Promise((r) => setTimeout(r, 3000));
          assert.equal(completions(), before + 1, `lines repeated after the reconnect:\n${out}`);
        } finally {
          child.kill('SIGINT');
        }
        assert.equal(await exited, 0, err);
        const end = Date.now() + 10000;
        let left: string;
        do {
          await new Promise((r) => setTimeout(r, 300));
          left = Lab.inHost(gw, ['pgrep', '-a', 'journalctl']).stdout.trim();
        } while (left && Date.now() < end);
        assert.equal(left, '', 'journalctl still runs on the gateway after Ctrl-C');
      });
    }

    it('a rerun of provisioning reports every step unchanged and leaves links, FDB, addresses and files identical', () => {
      const before = s.hosts.map(hostState);
      const r = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const changed = stepStatuses(r.stdout).filter((x) => x.endsWith('=changed'));
      assert.deepEqual(changed, [], r.stdout);
      for (const h of s.hosts) assert.match(r.stdout, new RegExp(`^${h.name}\\s+${h.role}\\s+ok`, 'm'));
      assert.deepEqual(s.hosts.map(hostState), before);
    });
  });
}

describe('lab e2e', () => {
  it('gretap cannot run in this kernel: the lab says so instead of skipping silently', () => {
    const probe = run('ip', ['link', 'add', `rvgre${process.pid % 1000}`, 'type', 'gretap', 'local', '127.0.0.1', 'remote', '127.0.0.2']);
    if (probe.status === 0) {
      run('ip', ['link', 'del', `rvgre${process.pid % 1000}`]);
      assert.fail('this kernel has gretap: add gretap lab runs to the e2e suite');
    }
    assert.match(probe.stderr, /Unknown device type|not supported/i);
    const said: string[] = [];
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rvg-')), 'rosvpn.json');
    fs.copyFileSync(path.join(__dirname, '../../fixtures/topologies/gretap-1.json'), file);
    assert.equal(
      loadLabTopology(file, undefined, (l) => said.push(l)),
      undefined,
    );
    assert.match(said.join('\n'), /no GRE support .* cannot run gretap/);
    console.log(`      gretap: NOT RUN — ${said.join(' ')}`);
  });
});

describeLab(1);
describeLab(3);
