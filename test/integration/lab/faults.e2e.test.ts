// Fault scenarios in the lab (vxlan, 1 second). Scenario 1, the no-op rerun, is in lab.e2e.test.ts. Every role
// reboots (2, 2b, 2c): DDS must come back without reprovisioning, from what each host's units bring up at boot.
import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Lab, type LabHost, labDown, type LabState } from '../../../lab/lab';
import { ddsFlow, hostSide, loadLabTopology, robotSide, sshArgs, controllerCli } from '../../../lab/demo';
import { run } from '../../../lab/sh';
import { GUARD_FAMILY, GUARD_TABLE } from '../../../src/core/render/guard';

const CLI = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');

async function ddsWithin(s: LabState, ms: number): Promise<number> {
  const started = Date.now();
  const second = s.hosts.find((h) => h.role === 'second')!;
  for (;;) {
    const f = await ddsFlow(hostSide(second), robotSide(s), { seconds: 2 });
    if (f.ok) return Date.now() - started;
    if (Date.now() - started > ms) throw new Error(`DDS did not return within ${ms / 1000} s: ${JSON.stringify(f)}`);
  }
}

/** What provisioning leaves, without what differs between any two clean runs (MACs and the link-local
 * addresses made from them, key material, certificate serials, and the DHCP desktop's lease: the robot LAN's
 * DHCP server gives each lab's desktop its own address). */
function structure(h: LabHost): string {
  const lease = h.role === 'desktop' ? '; s/^(rosbridge +inet) [0-9.]+\\/[0-9]+ scope global (dynamic )?/\\1 LEASE scope global /' : '';
  return Lab.inHost(h, [
    'sh',
    '-c',
    'ip -d -o link show | sed -E "s/link\\/ether [0-9a-f:]+//; s/ qlen.*//; s/<[^>]*>//; s/^[0-9]+: //" | sort; ' +
      `ip -o addr show | grep -v " fe80::" | sed -E "s/^[0-9]+: //; s/valid_lft.*//${lease}" | sort; bridge fdb show | grep "^00:00:00:00:00:00" | sort; ` +
      'find /etc/rosvpn /usr/local/lib/rosvpn /etc/openvpn /etc/systemd/system -type f | sed -E "s#certs_by_serial/[0-9A-F]+\\.pem#certs_by_serial/SERIAL.pem#" | sort; ' +
      'md5sum /usr/local/lib/rosvpn/* /etc/rosvpn/cyclonedds.xml /etc/openvpn/server/rosvpn.conf /etc/openvpn/client/rosvpn.conf /etc/systemd/system/rosvpn-*.service 2>/dev/null | sort',
  ]).stdout;
}

/** The bridge guard survives a reboot: rosvpn-guard.service loads its table at boot, before OpenVPN (issue N). */
function guardLoaded(s: LabState, name: string): void {
  const h = s.hosts.find((x) => x.name === name)!;
  const r = Lab.inHost(h, ['nft', 'list', 'table', GUARD_FAMILY, GUARD_TABLE]);
  assert.equal(r.status, 0, `${name}: the guard's table is not loaded after the reboot: ${r.stderr}`);
  assert.match(r.stdout, /iifname "tap\*"/, `${name}: the guard's table has no rule on the tap ports`);
}

/** What `rosvpn check --json` says the gateway's guard figures count since. */
function gatewayGuardSince(s: LabState): unknown {
  const r = controllerCli(s, ['check', s.topologyFile, '--json', ...sshArgs(s)]);
  const report = JSON.parse(r.stdout) as { hosts: { label: string; guard?: { since?: unknown } }[] };
  return report.hosts.find((h) => h.label === 'gateway')?.guard?.since;
}

function upAndProvision(lab: Lab): LabState {
  const s = lab.up(loadLabTopology(undefined, 1, () => undefined)!);
  const r = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return s;
}

describe('lab faults', function () {
  this.timeout(900000);
  const lab = new Lab(`rvf${process.pid % 1000}`);
  let s: LabState;

  before(() => {
    if (process.getuid?.() !== 0) throw new Error('the lab needs root; CI runs as root');
    s = upAndProvision(lab);
  });
  after(() => assert.deepEqual(labDown(lab.prefix), []));

  it('2. the cloud gateway reboots: the DDS path returns without reprovisioning within 60 s', async () => {
    await ddsWithin(s, 10000);
    gatewayGuardSince(s); // the check before the reboot, which the next one counts from
    assert.equal((gatewayGuardSince(s) as { kind?: string }).kind, 'last-check');
    Lab.reboot(s, 'gateway');
    const took = await ddsWithin(s, 60000);
    console.log(`      DDS back ${(took / 1000).toFixed(1)} s after the gateway's sshd answered again`);
    guardLoaded(s, 'gateway');
    // rosvpn check sees the reboot (another boot id), and shows the totals since rather than a difference
    assert.deepEqual(gatewayGuardSince(s), { kind: 'loaded', reason: 'reset' });
  });

  it('2b. the desktop gateway reboots: its bridge, lease and tunnel come back, and DDS with them, within 60 s', async () => {
    await ddsWithin(s, 10000);
    Lab.reboot(s, 'desktop');
    const took = await ddsWithin(s, 60000);
    console.log(`      DDS back ${(took / 1000).toFixed(1)} s after the desktop's sshd answered again`);
    guardLoaded(s, 'desktop');
  });

  it('2c. a second reboots: its bridge and VXLAN tunnel come back, and DDS with them, within 60 s', async () => {
    const second = s.hosts.find((h) => h.role === 'second')!;
    await ddsWithin(s, 10000);
    Lab.reboot(s, second.name);
    const took = await ddsWithin(s, 60000);
    console.log(`      DDS back ${(took / 1000).toFixed(1)} s after ${second.name}'s sshd answered again`);
  });

  it('3. the OpenVPN server restarts: the desktop reconnects and DDS flows again within 30 s', async () => {
    const gw = s.hosts.find((h) => h.role === 'gateway')!;
    assert.equal(Lab.inHost(gw, ['systemctl', 'restart', 'openvpn-server@rosvpn']).status, 0);
    const took = await ddsWithin(s, 30000);
    console.log(`      DDS back ${(took / 1000).toFixed(1)} s after the restart`);
  });

  it("6. the gateway's host key changed: provisioning refuses it and runs nothing there", () => {
    const gw = s.hosts.find((h) => h.role === 'gateway')!;
    const stamp = () => Lab.inHost(gw, ['stat', '-c', '%Y %s', '/home/ubuntu/rosvpn-gateway.sh']).stdout;
    const before = stamp();
    const auth = () => Lab.inHost(gw, ['sh', '-c', 'journalctl -u ssh --no-pager | grep -c "Accepted publickey" || true']).stdout.trim();
    const accepted = auth();
    assert.equal(
      Lab.inHost(gw, [
        'sh',
        '-c',
        'mkdir -p /root/keys && cp -p /etc/ssh/ssh_host_* /root/keys/ && rm /etc/ssh/ssh_host_* && ssh-keygen -A >/dev/null && systemctl restart ssh',
      ]).status,
      0,
    );
    try {
      const r = controllerCli(s, ['provision', s.topologyFile, '--host', 'gateway', ...sshArgs(s)]);
      assert.equal(r.status, 1);
      assert.match(r.stdout + r.stderr, /host key .*changed|HOST KEY.*CHANGED|changed.*host key/i);
      assert.match(r.stdout + r.stderr, /SHA256:/);
      assert.equal(stamp(), before, 'the script was uploaded again');
      assert.equal(auth(), accepted, 'someone authenticated to the gateway');
    } finally {
      Lab.inHost(gw, ['sh', '-c', 'rm -f /etc/ssh/ssh_host_* && cp -p /root/keys/* /etc/ssh/ && systemctl restart ssh']);
    }
    const again = controllerCli(s, ['provision', s.topologyFile, '--host', 'gateway', ...sshArgs(s)]);
    assert.equal(again.status, 0, 'with the original key back, provisioning works again');
  });

  it('5. another process holds the dpkg lock when provisioning starts: the script waits, then proceeds', async () => {
    const gw = s.hosts.find((h) => h.role === 'gateway')!;
    const root = path.join(gw.dir, 'root');
    // A package to install, offline: easy-rsa removed, and served from a local repository (the lab has
    // no internet, like a private mirror).
    const dl = fs.mkdtempSync(path.join(os.tmpdir(), 'rvdeb-'));
    const got = run('apt-get', ['download', 'easy-rsa'], { cwd: dl });
    assert.equal(got.status, 0, got.stderr);
    const deb = fs.readdirSync(dl).find((f) => f.endsWith('.deb'))!;
    fs.mkdirSync(path.join(root, 'srv/repo'), { recursive: true });
    fs.copyFileSync(path.join(dl, deb), path.join(root, 'srv/repo', deb));
    const control = run('dpkg-deb', ['-f', path.join(dl, deb)]).stdout.trim();
    const data = fs.readFileSync(path.join(dl, deb));
    const sha = createHash('sha256').update(data).digest('hex');
    fs.writeFileSync(path.join(root, 'srv/repo/Packages'), `${control}\nFilename: ./${deb}\nSize: ${data.length}\nSHA256: ${sha}\n\n`);
    fs.rmSync(dl, { recursive: true, force: true });
    assert.equal(
      Lab.inHost(gw, [
        'sh',
        '-c',
        'mv /etc/apt/sources.list /root/sources.list.orig; echo "deb [trusted=yes] file:/srv/repo ./" > /etc/apt/sources.list; dpkg -r easy-rsa >/dev/null',
      ]).status,
      0,
    );
    // Hold dpkg's frontend lock the way apt does (an fcntl write lock) for 10 s.
    const holder = spawn(
      'nsenter',
      [
        '-t',
        String(Lab.initPid(gw)),
        '-m',
        '-u',
        '-i',
        '-n',
        '-p',
        '--',
        'perl',
        '-MFcntl',
        '-e',
        'open(my $f, ">>", "/var/lib/dpkg/lock-frontend") or die; my $l = pack("s s x4 q q l x4", F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLKW, $l) or die "lock: $!"; $| = 1; print "locked\n"; sleep 10',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (d) => /locked/.test(String(d)) && resolve());
      holder.on('exit', (code) => reject(new Error(`the lock holder exited (${code}) before taking the lock`)));
    });
    const started = Date.now();
    try {
      const r = controllerCli(s, ['provision', s.topologyFile, '--host', 'gateway', ...sshArgs(s)]);
      const took = Date.now() - started;
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /waiting for another package manager to release \/var\/lib\/dpkg\/lock-frontend/);
      assert.match(r.stdout, /installed easy-rsa/);
      assert.match(r.stdout, /\[gateway\] packages\s+changed/);
      assert.ok(took > 7000, `provisioning did not wait for the lock (${took} ms)`);
      console.log(`      waited for the lock, then installed easy-rsa; ${(took / 1000).toFixed(1)} s in all`);
    } finally {
      holder.kill();
      Lab.inHost(gw, ['sh', '-c', 'mv /root/sources.list.orig /etc/apt/sources.list']);
    }
  });

  describe('4. the SSH connection is cut in the middle of provisioning', () => {
    const cutLab = new Lab(`rvc${process.pid % 1000}`);
    after(() => assert.deepEqual(labDown(cutLab.prefix), []));

    it('a rerun completes, and the result equals a clean provisioning', async () => {
      const c = cutLab.up(loadLabTopology(undefined, 1, () => undefined)!);
      // Kill the CLI (and with it every SSH connection) once the gateway is building its PKI.
      const cli = spawn(
        'ip',
        ['netns', 'exec', c.controllerNs, 'env', `HOME=${c.stateDir}`, process.execPath, CLI, 'provision', c.topologyFile, ...sshArgs(c)],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`provisioning never reached the network steps:\n${out}`)), 120000);
        cli.stdout.on('data', (d) => {
          out += d;
          if (/\[gateway\s*\] network-service/.test(out)) {
            clearTimeout(timer);
            cli.kill('SIGKILL');
            resolve();
          }
        });
      });
      await new Promise((r) => setTimeout(r, 3000));
      assert.doesNotMatch(out, /provision: done/);
      const rerun = controllerCli(c, ['provision', c.topologyFile, ...sshArgs(c)]);
      assert.equal(rerun.status, 0, rerun.stdout + rerun.stderr);
      for (const name of ['gateway', 'second', 'desktop']) {
        const clean = structure(s.hosts.find((h) => h.name === name)!);
        const recovered = structure(c.hosts.find((h) => h.name === name)!);
        const a = new Set(clean.split('\n'));
        const b = new Set(recovered.split('\n'));
        const diff = [...[...a].filter((l) => !b.has(l)).map((l) => `- ${l}`), ...[...b].filter((l) => !a.has(l)).map((l) => `+ ${l}`)];
        assert.equal(
          recovered,
          clean,
          `${name} differs from a clean provisioning (- clean, + after the cut and rerun):\n${diff.join('\n')}`,
        );
      }
      await ddsWithin(c, 20000);
    });
  });
});
