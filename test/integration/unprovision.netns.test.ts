// Unprovisioning on a real kernel: cloud hosts of a VXLAN mesh in network namespaces are provisioned by
// their rendered scripts, then unprovisioned. Each host runs in a mount namespace of its own with overlays
// on /etc, /usr, /var, /run and /root (the host's files are never touched), systemctl and sysctl stand-ins on
// PATH that keep their state in files (no systemd in the test machine; the kernel limits are host-wide).
// Proves: devices gone, units stopped, disabled and removed, files gone, sysctl values restored from
// provisioning's record, the gateway's PKI in a dated backup, a second run and a never-provisioned host all ok.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { renderTopology, renderUnprovision } from '../../src/core/render';
import { FILE_LIB, STEP_LIB } from '../../src/core/render/bash';
import { NetnsSet } from '../../lab/netns';
import type { RunResult } from '../../lab/sh';
import { must, requireTool } from '../../lab/sh';
import { VpcMesh } from '../../lab/vpcMesh';
import { loadFixture } from '../support/fixtures';

const SYSTEMCTL = `#!/bin/bash
# systemctl stand-in: units as files in $SYSTEMCTL_STATE/enabled and /active; every call logged.
st=$SYSTEMCTL_STATE
mkdir -p "$st/enabled" "$st/active"
echo "$*" >>"$st/log"
quiet=0
args=()
for a in "$@"; do case $a in --quiet | -q) quiet=1 ;; --*) ;; *) args+=("$a") ;; esac; done
u=\${args[1]:-}
say() { [ "$quiet" = 1 ] || echo "$1"; }
case \${args[0]:-} in
  is-active) if [ -e "$st/active/$u" ]; then say active; else say inactive; exit 3; fi ;;
  is-enabled) if [ -e "$st/enabled/$u" ]; then say enabled; else say disabled; exit 1; fi ;;
  is-failed) exit 1 ;;
  enable) touch "$st/enabled/$u" ;;
  disable) rm -f "$st/enabled/$u" ;;
  start | restart) touch "$st/active/$u" ;;
  stop) rm -f "$st/active/$u" ;;
  daemon-reload | reset-failed) ;;
  show) # show -p PROP... UNIT...: one block per unit (the state snapshot, snap.sh), blank lines between
    first=1 skip=0
    for a in "$@"; do
      if [ "$skip" = 1 ]; then skip=0; continue; fi
      case $a in show | --*) continue ;; -p) skip=1; continue ;; esac
      [ "$first" = 1 ] || echo
      first=0
      if [ -e "$st/active/$a" ]; then echo ActiveState=active; else echo ActiveState=inactive; fi
      if [ -e "$st/enabled/$a" ]; then echo UnitFileState=enabled; else echo UnitFileState=disabled; fi
    done ;;
  *) echo "systemctl stand-in: unexpected $*" >&2; exit 1 ;;
esac
`;

const SYSCTL = `#!/bin/bash
# sysctl -n KEY | sysctl -q -w KEY=VALUE, values in $SYSCTL_STATE/KEY.
if [ "$1" = -n ]; then cat "$SYSCTL_STATE/$2" 2>/dev/null || exit 255; exit 0; fi
# sysctl KEY... (as ensure_sysctl_min reads them all at once): 'KEY = VALUE' lines, a missing key on stderr.
if [ "$1" != -n ] && [ "$1" != -q ] && [ "$1" != -w ] && [[ $1 != *=* ]]; then
  rc=0
  for k in "$@"; do
    if v=$(cat "$SYSCTL_STATE/$k" 2>/dev/null); then echo "$k = $v"; else echo "sysctl: cannot stat /proc/sys/\${k//.//}" >&2; rc=255; fi
  done
  exit $rc
fi
[ "$1" = -w ] && shift
[ "$1" = -q ] && shift
[ "$1" = -w ] && shift
printf '%s\\n' "\${1#*=}" >"$SYSCTL_STATE/\${1%%=*}"
`;

const SYSTEMD_RUN = `#!/bin/bash
# systemd-run stand-in: the timer is only logged (the test checks it was armed, then stopped).
echo "systemd-run $*" >>"$SYSTEMCTL_STATE/log"
`;

/** Mounts the overlays and runs the script from stdin; the sandbox directory is $1. */
const SANDBOX = `set -eu
S=$1
for d in etc usr var run root; do
  mkdir -p "$S/$d.u" "$S/$d.w"
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$S/$d.u,workdir=$S/$d.w" "/$d"
done
mkdir -p /run/systemd/system
export PATH="$S/bin:/usr/sbin:/usr/bin:/sbin:/bin" SYSTEMCTL_STATE="$S/systemctl" SYSCTL_STATE="$S/sysctl"
exec bash -s`;

/** Runs a script in `host`'s namespace and sandbox (created on first use). */
function inBox(lab: NetnsSet, ns: string, sandbox: string, script: string): RunResult {
  if (!fs.existsSync(path.join(sandbox, 'bin'))) {
    fs.mkdirSync(path.join(sandbox, 'bin'), { recursive: true });
    fs.mkdirSync(path.join(sandbox, 'sysctl'));
    fs.writeFileSync(path.join(sandbox, 'bin', 'systemctl'), SYSTEMCTL, { mode: 0o755 });
    fs.writeFileSync(path.join(sandbox, 'bin', 'sysctl'), SYSCTL, { mode: 0o755 });
    fs.writeFileSync(path.join(sandbox, 'bin', 'systemd-run'), SYSTEMD_RUN, { mode: 0o755 });
    for (const k of ['net.core.rmem_max', 'net.core.wmem_max']) fs.writeFileSync(path.join(sandbox, 'sysctl', k), '212992\n');
  }
  return lab.exec(ns, 'unshare', ['-m', '--propagation', 'private', 'bash', '-c', SANDBOX, 'sandbox', sandbox], script);
}

function steps(output: string): Record<string, string> {
  const r: Record<string, string> = {};
  for (const m of output.matchAll(/^::step name=(\S+) status=(\S+)/gm)) r[m[1]] = m[2];
  return r;
}

describe('unprovision scripts in network namespaces (cloud hosts of a VXLAN mesh)', function () {
  this.timeout(120000);
  const t = loadFixture('vxlan-1');
  const mesh = new VpcMesh(t, 'u');
  const bare = new NetnsSet('ub');
  const scripts = renderTopology(t).scripts;
  let root = '';
  const box = (host: string) => path.join(root, host);

  const run = (host: string, script: string) => inBox(mesh.lab, host, box(host), script);
  const unprovision = (host: string, purge = false) => run(host, renderUnprovision(t, host, { purge }).content);
  /** A file's presence inside a host's sandbox. */
  const exists = (host: string, p: string) => run(host, `test -e ${p}`).status === 0;
  const links = (host: string) => mesh.lab.exec(host, 'ip', ['-o', 'link', 'show']).stdout;
  const sysctl = (host: string, key: string) => fs.readFileSync(path.join(box(host), 'sysctl', key), 'utf8').trim();
  const units = (host: string, kind: 'enabled' | 'active') => fs.readdirSync(path.join(box(host), 'systemctl', kind)).sort();

  before(function () {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (ip netns, mounts); CI runs as root');
    requireTool('ip');
    requireTool('unshare');
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-unprov-'));
    mesh.build();
    // The second: its real provisioning script (packages present, features off).
    const second = scripts.find((s) => s.hostName === 'second')!.content;
    const r = run('second', second);
    assert.equal(r.status, 0, `second.sh failed:\n${r.stdout}\n${r.stderr}`);
    // The gateway's script needs OpenVPN and easy-rsa: its network comes from net-up.sh, the rest is seeded below.
  });

  after(() => {
    assert.deepEqual(mesh.teardown(), [], 'namespaces left behind');
    assert.deepEqual(bare.teardown(), [], 'namespaces left behind');
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('provisioning records the sysctl values before it first raises them, and never overwrites the record', () => {
    const raise = `${STEP_LIB}${FILE_LIB}step_begin t\nensure_sysctl_min /etc/sysctl.d/60-rosvpn.conf 4194304 net.core.rmem_max net.core.wmem_max\n`;
    for (const h of ['second', 'gateway']) {
      assert.equal(run(h, raise).status, 0);
      fs.writeFileSync(path.join(box(h), 'sysctl', 'net.core.rmem_max'), '300000\n'); // then raised again
      const again = run(h, raise);
      assert.equal(again.status, 0, again.stdout + again.stderr);
      assert.equal(run(h, 'cat /etc/rosvpn/state/sysctl.before').stdout, 'net.core.rmem_max = 212992\nnet.core.wmem_max = 212992\n');
      assert.equal(sysctl(h, 'net.core.rmem_max'), '4194304');
    }
  });

  it('a second: units, bridge, tunnel, files and raised limits are gone; the limits are back at their old values', () => {
    assert.match(links('second'), /rosbridge/);
    assert.deepEqual(units('second', 'enabled'), ['rosvpn-net.service']);
    fs.writeFileSync(path.join(box('second'), 'sysctl', 'net.core.rmem_max'), '300000\n'); // lowered by someone else since
    const r = unprovision('second');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const s = steps(r.stdout);
    assert.deepEqual([s.preflight, s.services, s.links, s.sysctl, s.files], ['ok', 'changed', 'changed', 'changed', 'changed'], r.stdout);
    assert.match(r.stdout, /deleted rosvx0/);
    assert.match(r.stdout, /restored net\.core\.wmem_max to 212992/);
    assert.doesNotMatch(links('second'), /rosbridge|rosvx0/);
    assert.match(links('second'), /eth0/, 'the underlay stays');
    assert.deepEqual([units('second', 'enabled'), units('second', 'active')], [[], []]);
    for (const p of [
      '/usr/local/lib/rosvpn',
      '/etc/rosvpn',
      '/etc/systemd/system/rosvpn-net.service',
      '/etc/profile.d/rosvpn.sh',
      '/etc/sysctl.d/60-rosvpn.conf',
    ])
      assert.equal(exists('second', p), false, `${p} is left`);
    assert.doesNotMatch(run('second', 'cat /etc/environment').stdout, /CYCLONEDDS_URI/);
    assert.equal(sysctl('second', 'net.core.wmem_max'), '212992');
    // Lowered by someone else after provisioning: not ROS VPN's value any more, so left, with a warning.
    assert.equal(sysctl('second', 'net.core.rmem_max'), '300000');
    assert.match(r.stdout, /::warn msg="net\.core\.rmem_max is 300000, not the 4194304 ROS VPN set/);
  });

  it('a second run on the second changes nothing and reports every step ok', () => {
    const r = unprovision('second');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /status=changed|::warn/, r.stdout);
    assert.match(r.stdout, /::summary role=second host=second changed=0 ok=5 skipped=0 failed=0/);
  });

  it('the gateway: its PKI, tls-crypt key, ccd, CRL copy and profiles move into a dated root-only backup', () => {
    const seed = `set -e
mkdir -p /etc/openvpn/pki/private /etc/openvpn/server/rosvpn-ccd /etc/rosvpn/clients /root/rosvpn-clients
echo ca >/etc/openvpn/pki/ca.crt; echo key >/etc/openvpn/server/rosvpn-tls-crypt.key; echo crl >/etc/openvpn/server/rosvpn-crl.pem
echo conf >/etc/openvpn/server/rosvpn.conf; echo ccd >/etc/openvpn/server/rosvpn-ccd/desktop
echo p >/etc/rosvpn/ros_local_gateway.ovpn; echo p >/root/ros_local_gateway.ovpn; echo p >/root/rosvpn-clients/a.ovpn
mkdir -p /etc/systemd/system/openvpn-server@rosvpn.service.d; echo x >/etc/systemd/system/openvpn-server@rosvpn.service.d/rosvpn.conf
echo x >/etc/systemd/system/rosvpn-net.service
systemctl enable openvpn-server@rosvpn.service rosvpn-net.service; systemctl start openvpn-server@rosvpn.service rosvpn-net.service`;
    assert.equal(run('gateway', seed).status, 0);
    assert.equal(mesh.netUp('gateway').status, 0);
    const r = unprovision('gateway');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(steps(r.stdout).pki, 'changed');
    assert.doesNotMatch(links('gateway'), /rosbridge|rosvx0/);
    assert.deepEqual([units('gateway', 'enabled'), units('gateway', 'active')], [[], []]);
    const backup = run('gateway', 'ls -d /var/backups/rosvpn-pki-*').stdout.trim();
    assert.match(backup, /^\/var\/backups\/rosvpn-pki-\d{8}T\d{6}$/);
    assert.equal(run('gateway', `stat -c %a ${backup}`).stdout.trim(), '700');
    const kept = run('gateway', `cd ${backup} && find . -type f | sort`).stdout;
    assert.equal(
      kept,
      [
        './etc/openvpn/pki/ca.crt',
        './etc/openvpn/server/rosvpn-ccd/desktop',
        './etc/openvpn/server/rosvpn-crl.pem',
        './etc/openvpn/server/rosvpn-tls-crypt.key',
        './etc/rosvpn/ros_local_gateway.ovpn',
        './root/ros_local_gateway.ovpn',
        './root/rosvpn-clients/a.ovpn',
        '',
      ].join('\n'),
    );
    for (const p of [
      '/etc/openvpn/pki',
      '/etc/openvpn/server/rosvpn.conf',
      '/etc/systemd/system/openvpn-server@rosvpn.service.d',
      '/etc/rosvpn',
    ])
      assert.equal(exists('gateway', p), false, `${p} is left`);
    const again = unprovision('gateway');
    assert.doesNotMatch(again.stdout, /status=changed/, again.stdout);
    assert.match(again.stdout, /changed=0 ok=6 skipped=0 failed=0/);
  });

  it('--purge deletes the PKI instead of keeping it', () => {
    assert.equal(run('gateway', 'mkdir -p /etc/openvpn/pki && echo ca >/etc/openvpn/pki/ca.crt').status, 0);
    const before = run('gateway', 'ls /var/backups').stdout;
    const r = unprovision('gateway', true);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /deleted \/etc\/openvpn\/pki \(--purge\)/);
    assert.equal(run('gateway', 'ls /var/backups').stdout, before, 'no new backup');
  });

  it('a host never provisioned, of every role: every step ok, nothing changed', () => {
    bare.add('h');
    const withClient = loadFixture('clients-2');
    const cases = [
      ...['gateway', 'second', 'desktop'].map((label) => renderUnprovision(t, label, { purge: false })),
      renderUnprovision(withClient, withClient.clients.find((c) => c.host)!.name, { purge: false }),
    ];
    for (const u of cases) {
      const r = inBox(bare, 'h', path.join(root, 'bare'), u.content);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.doesNotMatch(r.stdout, /status=changed|::warn/, `${u.fileName}:\n${r.stdout}`);
      assert.match(r.stdout, /changed=0 ok=\d+ skipped=0 failed=0/, u.fileName);
    }
  });

  it('a host provisioned by an older rosvpn (no record): the running limits stay, with a warning', () => {
    bare.add('old');
    const r = inBox(
      bare,
      'old',
      path.join(root, 'old'),
      'mkdir -p /etc/sysctl.d && printf "net.core.rmem_max = 4194304\\n" >/etc/sysctl.d/60-rosvpn.conf && echo 4194304 >"$SYSCTL_STATE/net.core.rmem_max"\n' +
        renderUnprovision(t, 'second', { purge: false }).content,
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /::warn msg="no record of net\.core\.rmem_max before ROS VPN raised it/);
    assert.equal(fs.readFileSync(path.join(root, 'old', 'sysctl', 'net.core.rmem_max'), 'utf8').trim(), '4194304');
  });
});

describe('unprovision-desktop.sh in network namespaces (the LAN NIC back out of the bridge)', function () {
  this.timeout(120000);
  const t = loadFixture('vxlan-3'); // static addressing 192.168.0.10/24 via 192.168.0.1
  const lab = new NetnsSet('ud');
  let sandbox = '';
  const desktop = renderTopology(t).scripts.find((s) => s.role === 'desktop')!.content;
  /** desktop.sh's libraries and its network steps (config, guard, net-up, confirm): no packages, no OpenVPN. */
  const provisionNetwork =
    desktop.slice(0, desktop.indexOf('# ---- steps')) +
    desktop.slice(desktop.indexOf('step_begin network-config'), desktop.indexOf('step_begin openvpn-client')) +
    'summary 0\n';
  const unprovision = renderUnprovision(t, 'desktop', { purge: false }).content;
  const inDesk = (script: string) => inBox(lab, 'desk', sandbox, script);
  const sh = (cmd: string) => lab.exec('desk', 'sh', ['-c', cmd]).stdout;

  before(() => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (ip netns, mounts); CI runs as root');
    sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-unprov-desk-'));
    const desk = lab.add('desk');
    const lan = lab.add('lan');
    must('ip', ['link', 'add', `${lab.prefix}e`, 'netns', desk, 'type', 'veth', 'peer', 'name', 'lan0', 'netns', lan]);
    must('ip', ['-n', desk, 'link', 'set', `${lab.prefix}e`, 'name', 'eno1']);
    must('ip', ['-n', lan, 'addr', 'add', '192.168.0.1/24', 'dev', 'lan0']);
    must('ip', ['-n', lan, 'link', 'set', 'lan0', 'up']);
    must('ip', ['-n', desk, 'addr', 'add', '192.168.0.10/24', 'dev', 'eno1']);
    must('ip', ['-n', desk, 'link', 'set', 'eno1', 'up']);
    must('ip', ['-n', desk, 'route', 'add', 'default', 'via', '192.168.0.1']);
    const r = inDesk(provisionNetwork);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /connectivity confirmed; rollback disarmed/);
  });

  after(() => {
    assert.deepEqual(lab.teardown(), []);
    if (sandbox) fs.rmSync(sandbox, { recursive: true, force: true });
  });

  it("provisioning keeps a copy of the rollback script and the NIC's manager in /etc/rosvpn/state", () => {
    assert.match(inDesk('cat /etc/rosvpn/state/lan-rollback.sh').stdout, /ip addr replace 192\.168\.0\.10\/24 dev eno1/);
    assert.equal(inDesk('cat /etc/rosvpn/state/lan.env').stdout, 'LAN_MANAGER=none\nLAN_CONNECTION=\nLAN_NETPLAN_ID=\nLAN_DHCP_ID=\n');
    assert.match(sh('ip -o link show eno1'), /master rosbridge/);
  });

  it('unprovisioning moves eno1 out with its address and default route, under a guard timer disarmed once the LAN answers', () => {
    const r = inDesk(unprovision);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const s = steps(r.stdout);
    assert.deepEqual([s.services, s['lan-restore'], s.files], ['changed', 'changed', 'changed'], r.stdout);
    assert.match(r.stdout, /connectivity confirmed \(default gateway 192\.168\.0\.1 answers\); guard disarmed/);
    assert.doesNotMatch(sh('ip -o link show'), /rosbridge/);
    assert.match(sh('ip -o -4 addr show dev eno1'), /inet 192\.168\.0\.10\/24/);
    assert.match(sh('ip -4 route show default'), /default via 192\.168\.0\.1 dev eno1/);
    const log = fs.readFileSync(path.join(sandbox, 'systemctl', 'log'), 'utf8');
    assert.match(log, /systemd-run --quiet --unit=rosvpn-unprovision-guard --on-active=90 \/usr\/local\/lib\/rosvpn\/desktop-net-up\.sh/);
    assert.match(log.slice(log.indexOf('rosvpn-unprovision-guard')), /stop rosvpn-unprovision-guard\.timer/);
    assert.equal(inDesk('test -e /etc/rosvpn || test -e /usr/local/lib/rosvpn').status, 1, 'files left');
  });

  it('a second run changes nothing', () => {
    const r = inDesk(unprovision);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /status=changed|::warn/, r.stdout);
    assert.match(r.stdout, /changed=0 ok=6 skipped=0 failed=0/);
  });

  it('when the LAN does not answer after the move, the bridge is restored and the step fails', () => {
    const again = inDesk(provisionNetwork);
    assert.equal(again.status, 0, again.stdout + again.stderr);
    must('ip', ['-n', lab.name('lan'), 'addr', 'del', '192.168.0.1/24', 'dev', 'lan0']);
    try {
      const r = inDesk(unprovision);
      assert.notEqual(r.status, 0);
      assert.match(
        r.stdout,
        /::step name=lan-restore status=failed msg="connectivity lost after taking eno1 out of rosbridge; the bridge is restored/,
      );
      assert.match(sh('ip -o link show eno1'), /master rosbridge/);
      assert.match(sh('ip -o -4 addr show dev rosbridge'), /inet 192\.168\.0\.10\/24/);
    } finally {
      must('ip', ['-n', lab.name('lan'), 'addr', 'add', '192.168.0.1/24', 'dev', 'lan0']);
    }
  });

  it('a NIC without a default route before: the static defaultGateway that only rosvpn.json names is not pinged, and none is left', () => {
    // From the bridge the last test left: unprovisioned as it should be, then provisioned again from a NIC without a default route.
    assert.equal(inDesk(unprovision).status, 0);
    must('ip', ['-n', lab.name('desk'), 'route', 'del', 'default']);
    try {
      // Provisioning confirms through the static defaultGateway, so it answers until then; unprovisioning must not ask it.
      const again = inDesk(provisionNetwork);
      assert.equal(again.status, 0, again.stdout + again.stderr);
      must('ip', ['-n', lab.name('lan'), 'addr', 'del', '192.168.0.1/24', 'dev', 'lan0']);
      assert.match(
        sh('ip -4 route show default'),
        /default via 192\.168\.0\.1 dev rosbridge/,
        'the bridge has no default route (nothing to prove)',
      );
      const r = inDesk(unprovision);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /connectivity confirmed; guard disarmed/);
      assert.doesNotMatch(sh('ip -o link show'), /rosbridge/);
      assert.match(sh('ip -o -4 addr show dev eno1'), /inet 192\.168\.0\.10\/24/);
      assert.equal(sh('ip -4 route show default'), '');
    } finally {
      must('ip', ['-n', lab.name('lan'), 'addr', 'add', '192.168.0.1/24', 'dev', 'lan0']);
      lab.exec('desk', 'ip', ['route', 'replace', 'default', 'via', '192.168.0.1']);
    }
  });
});
