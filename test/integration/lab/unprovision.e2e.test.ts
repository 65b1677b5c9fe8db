// End to end in the lab: `rosvpn unprovision` gives every host back the state it had before provisioning —
// the desktop's NIC out of the bridge with its address and default route, no ROS VPN link, unit or file left,
// the gateway's PKI in a dated backup — a second unprovision changes nothing, DDS no longer crosses (the
// negative control), and provisioning again brings it back.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import { Lab, type LabHost, labDown, type LabState } from '../../../lab/lab';
import { controllerCli, ddsFlow, hostSide, loadLabTopology, robotMtuPing, robotSide, sshArgs } from '../../../lab/demo';
import { run } from '../../../lab/sh';

/** What unprovisioning must give back: addresses, default route, links, kernel limits, units and files. */
function hostState(h: LabHost): Record<string, string> {
  const sh = (script: string) => Lab.inHost(h, ['sh', '-c', script]).stdout.trim();
  return {
    addresses: sh(`ip -4 -o addr show scope global | awk '{ print $2, $4 }' | sort`),
    defaultRoute: sh('ip -4 route show default'),
    links: sh(`ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort`),
    sysctl: sh('sysctl -n net.core.rmem_max net.core.wmem_max 2>/dev/null'),
    units: sh(`systemctl list-unit-files --no-legend 'rosvpn*' 'openvpn-*@rosvpn*' 2>/dev/null | awk '{ print $1, $2 }'`),
    files: sh(
      'find /etc/rosvpn /usr/local/lib/rosvpn /etc/openvpn /etc/systemd/system /etc/sysctl.d /etc/NetworkManager /etc/systemd/network ' +
        "-path '*rosvpn*' 2>/dev/null | sort",
    ),
  };
}

function stepStatuses(out: string): string[] {
  return [...out.matchAll(/^\[([^\]]+)\] (\S+)\s+(ok|changed|skipped|failed)/gm)].map((m) => `${m[1]} ${m[2]}=${m[3]}`);
}

describe('lab e2e: unprovision', function () {
  this.timeout(600000);
  const lab = new Lab(`rvu${process.pid % 1000}`);
  let s: LabState;
  const initial = new Map<string, Record<string, string>>();

  before(function () {
    if (process.getuid?.() !== 0) throw new Error('the lab needs root; CI runs as root');
    const t = loadLabTopology(undefined, 1, () => undefined);
    assert.ok(t);
    s = lab.up(t);
    for (const h of s.hosts) initial.set(h.name, hostState(h));
    const r = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  after(() => {
    const left = labDown(lab.prefix);
    assert.deepEqual(left, [], 'teardown left something behind');
    assert.equal(run('ip', ['netns', 'list']).stdout.includes(lab.prefix), false);
  });

  const second = () => s.hosts.find((h) => h.role === 'second')!;
  /** The second's robot-subnet address, which the robot reaches only through the VPN. */
  const secondVpnIp = () =>
    (JSON.parse(fs.readFileSync(s.topologyFile, 'utf8')) as { seconds: { vpnIp: string }[] }).seconds[0].vpnIp.split('/')[0];

  it('provisioned: DDS crosses, and every host differs from its state before (the comparison can fail)', async () => {
    const f = await ddsFlow(hostSide(second()), robotSide(s), { seconds: 3 });
    assert.ok(f.ok, JSON.stringify(f));
    assert.ok(robotMtuPing(s, secondVpnIp()), 'the robot does not reach the second across the VPN');
    for (const h of s.hosts) assert.notDeepEqual(hostState(h), initial.get(h.name), `${h.name}: provisioning changed nothing`);
  });

  it('without --yes and without a terminal it refuses and changes nothing', () => {
    const r = controllerCli(s, ['unprovision', s.topologyFile, ...sshArgs(s)]);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /--yes/);
    assert.equal(Lab.inHost(second(), ['ip', 'link', 'show', 'dev', 'rosbridge']).status, 0, 'the second lost its bridge');
  });

  it('unprovision --yes: every host is back as it was before provisioning; the PKI is in a dated backup', () => {
    const r = controllerCli(s, ['unprovision', s.topologyFile, '--yes', ...sshArgs(s)]);
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 0, out);
    assert.doesNotMatch(out, /=failed/);
    for (const h of s.hosts)
      assert.deepEqual(hostState(h), initial.get(h.name), `${h.name} is not back to its state before provisioning\n${out}`);
    const gw = s.hosts.find((h) => h.role === 'gateway')!;
    const backup = Lab.inHost(gw, ['sh', '-c', 'stat -c "%a %n" /var/backups/rosvpn-pki-* && ls /var/backups/rosvpn-pki-*/']).stdout;
    assert.match(backup, /^700 \/var\/backups\/rosvpn-pki-\d{8}T\d{6}$/m, backup);
    assert.match(backup, /pki/, backup);
  });

  it('negative control: the robot no longer reaches the second (it did before)', () => {
    // Not a DDS run: without its CycloneDDS config the second's ddsperf would fail to start, proving nothing.
    assert.equal(robotMtuPing(s, secondVpnIp()), false, 'the robot still reaches the second after unprovision');
  });

  it('a second unprovision changes nothing: every step ok', () => {
    const r = controllerCli(s, ['unprovision', s.topologyFile, '--yes', ...sshArgs(s)]);
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 0, out);
    const steps = stepStatuses(out);
    assert.ok(steps.length > 0, out);
    assert.deepEqual(
      steps.filter((x) => !x.endsWith('=ok')),
      [],
      out,
    );
  });

  it('provisioning again brings DDS back', async () => {
    const r = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const f = await ddsFlow(robotSide(s), hostSide(second()), { seconds: 3 });
    assert.ok(f.ok, JSON.stringify(f));
  });
});
