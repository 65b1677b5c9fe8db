// The desktop's bridge under the manager that owns its LAN NIC (issue K item 2), in the lab: a DHCP desktop
// behind the LAN router's NAT, so that the controller's SSH session runs over the NIC being moved. The flavour
// comes from ROSVPN_E2E_DESKTOP, a comma-separated list (networkmanager,networkd by default: Ubuntu Desktop's and
// Ubuntu Server's; plain too on request), one lab after the other.
// Provisioning keeps the SSH session and the lease (same address, still one lease in dnsmasq's file); DDS
// crosses both ways robot <-> second; a re-run changes nothing; after a reboot DDS comes back without
// reprovisioning; unprovisioning the desktop gives the NIC back to its manager with the same lease and the
// host as it was. Negative control: a static defaultGateway nobody holds is rolled back to the manager's own
// configuration, and the run fails with the message.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { type DesktopFlavour, isFlavour } from '../../../lab/desktopFlavour';
import { Lab, type LabHost, labDown, lanAddress, type LabState } from '../../../lab/lab';
import { controllerCli, ddsFlow, desktopNetState, hostSide, loadLabTopology, robotSide, sshArgs } from '../../../lab/demo';
import { leases } from '../../../lab/lanRouter';
import { must, run } from '../../../lab/sh';

const FLAVOURS = (process.env.ROSVPN_E2E_DESKTOP ?? 'networkmanager,networkd').split(',') as DesktopFlavour[];

function hostState(h: LabHost): Record<string, string> {
  const sh = (script: string) => Lab.inHost(h, ['sh', '-c', script]).stdout.trim();
  return {
    addresses: sh(`ip -4 -o addr show scope global | awk '{ print $2, $4 }' | sort`),
    defaultRoute: sh('ip -4 route show default'),
    links: sh(`ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort`),
    units: sh(`systemctl list-unit-files --no-legend 'rosvpn*' 'openvpn-*@rosvpn*' 2>/dev/null | awk '{ print $1, $2 }'`),
    files: sh(
      'find /etc/rosvpn /usr/local/lib/rosvpn /etc/openvpn /etc/systemd/system /etc/NetworkManager /etc/systemd/network /etc/netplan ' +
        "-path '*rosvpn*' 2>/dev/null | sort",
    ),
  };
}

/** The manager's own view of the desktop's links (which connection / .network file configures each). */
function managerView(h: LabHost, flavour: DesktopFlavour, lanIf: string): string {
  const sh = (script: string) => Lab.inHost(h, ['sh', '-c', script]).stdout.trim();
  if (flavour === 'networkmanager') return sh('nmcli -t -f DEVICE,STATE,CONNECTION device | grep -v "^lo:"');
  if (flavour === 'networkd')
    return sh(`networkctl list --no-legend | awk '$2 != "lo" { print $2, $4, $5 }'; networkctl status ${lanIf} | grep 'Network File'`);
  return sh(`pgrep -a dhclient | sed 's/^[0-9]* //'`);
}

function stepStatuses(out: string): string[] {
  return [...out.matchAll(/^\[([^\]]+)\] (\S+)\s+(ok|changed|skipped|failed)/gm)].map((m) => `${m[1]} ${m[2]}=${m[3]}`);
}

function waitFor<T>(fn: () => T, ok: (v: T) => boolean, ms: number): T {
  const end = Date.now() + ms;
  let v = fn();
  while (!ok(v) && Date.now() < end) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    v = fn();
  }
  return v;
}

// long: one lab per flavour, its steps sharing the lab's state
function describeFlavour(FLAVOUR: DesktopFlavour, n: number): void {
  describe(`lab e2e: the desktop's bridge under ${FLAVOUR} (DHCP, behind NAT)`, function () {
    this.timeout(1200000);
    const lab = new Lab(`rvm${n}${process.pid % 1000}`);
    let s: LabState;
    let desktop: LabHost;
    let lanIf: string;
    let mac: string;
    let leaseIp: string;
    let leaseCount: number;
    let viewBefore: string;
    let stateBefore: Record<string, string>;
    let provisionOut = '';
    let provisionStatus = -1;
    const log = (l: string) => console.log(`      ${l}`);
    const second = () => hostSide(s.hosts.find((h) => h.role === 'second')!);
    const desktopLeases = () => leases(s.stateDir).filter((l) => l.mac === mac);
    /** The client-id of the desktop's lease in dnsmasq's file (`expiry mac ip hostname client-id`). */
    const clientId = () =>
      fs
        .readFileSync(path.join(s.stateDir, 'dnsmasq.leases'), 'utf8')
        .split('\n')
        .map((l) => l.split(' '))
        .find((x) => x[1] === mac)?.[4];
    let clientIdBefore: string | undefined;
    /** Same lease: the desktop's MAC holds exactly one lease in dnsmasq's file, for the address it had; no other lease was added. */
    function assertSameLease(where: string): void {
      const mine = desktopLeases();
      assert.deepEqual(
        mine.map((l) => l.ip),
        [leaseIp],
        `${where}: dnsmasq leases of ${mac}: ${JSON.stringify(leases(s.stateDir))}`,
      );
      assert.equal(leases(s.stateDir).length, leaseCount, `${where}: another lease appeared: ${JSON.stringify(leases(s.stateDir))}`);
    }

    /** An address of the robot subnet that nobody answers for (checked from the router). */
    let NOBODY = '';
    /** The lab's rosvpn.json with a static desktop: the address it has from DHCP, and NOBODY as its default gateway. */
    function badGatewayTopology(): string {
      const t = JSON.parse(fs.readFileSync(s.topologyFile, 'utf8')) as { desktop: Record<string, unknown>; robotSubnet: string };
      NOBODY = `${leaseIp.split('.').slice(0, 3).join('.')}.250`;
      assert.notEqual(run('ip', ['netns', 'exec', s.router.ns, 'ping', '-c', '1', '-W', '1', NOBODY]).status, 0, `${NOBODY} answers`);
      t.desktop = { ...t.desktop, addressing: 'static', address: `${leaseIp}/${t.robotSubnet.split('/')[1]}`, defaultGateway: NOBODY };
      const bad = path.join(s.stateDir, 'rosvpn-badgw.json');
      fs.writeFileSync(bad, JSON.stringify(t, null, 2));
      return bad;
    }

    before(function () {
      if (process.getuid?.() !== 0) throw new Error('the lab needs root; CI runs as root');
      assert.ok(isFlavour(FLAVOUR), `ROSVPN_E2E_DESKTOP=${FLAVOUR}: give plain, networkmanager or networkd`);
      const t = loadLabTopology(undefined, 1, () => undefined);
      assert.ok(t?.desktop && t.desktop.addressing === 'dhcp', 'the starter topology has a DHCP desktop');
      lanIf = t.desktop.lanInterface;
      s = lab.up(t, { desktop: FLAVOUR, nat: true });
      desktop = s.hosts.find((h) => h.role === 'desktop')!;
      mac = /link\/ether (\S+)/.exec(must('ip', ['-n', desktop.ns, '-o', 'link', 'show', lanIf]))![1];
      leaseIp = s.desktopLanIp!;
      leaseCount = leases(s.stateDir).length;
      clientIdBefore = clientId();
      viewBefore = managerView(desktop, FLAVOUR, lanIf);
      stateBefore = hostState(desktop);
      log(`before: ${desktopNetState(s)}`);
      const r = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
      provisionOut = r.stdout + r.stderr;
      provisionStatus = r.status;
      log(`after: ${desktopNetState(s)}`);
    });

    after(() => {
      if (process.env.ROSVPN_E2E_KEEP) return;
      const left = labDown(lab.prefix);
      assert.deepEqual(left, [], 'teardown left something behind');
      assert.equal(run('ip', ['netns', 'list']).stdout.includes(lab.prefix), false);
    });

    it('the NIC has its lease from the LAN router before; provisioning over the SSH session through that NIC succeeds', () => {
      assert.deepEqual(
        desktopLeases().map((l) => l.ip),
        [leaseIp],
      );
      assert.equal(provisionStatus, 0, provisionOut);
      // The steps after the move came back over the same SSH session (the desktop's script is one session).
      const steps = stepStatuses(provisionOut).filter((x) => x.startsWith('desktop '));
      const confirm = steps.findIndex((x) => x.startsWith('desktop network-confirm='));
      assert.ok(confirm >= 0 && steps.slice(confirm + 1).some((x) => x.startsWith('desktop cyclonedds=')), steps.join('\n'));
      assert.match(provisionOut, /connectivity confirmed; rollback disarmed/);
    });

    it(`the bridge is ${FLAVOUR}'s, with the NIC's MAC and the same lease`, () => {
      assert.equal(lanAddress(desktop.ns, 'rosbridge'), leaseIp);
      assert.equal(lanAddress(desktop.ns, lanIf), undefined, 'the port carries no address');
      assert.match(must('ip', ['-n', desktop.ns, '-o', 'link', 'show', 'rosbridge']), new RegExp(`link/ether ${mac} `));
      assertSameLease('after provisioning');
      const view = managerView(desktop, FLAVOUR, lanIf);
      if (FLAVOUR === 'networkmanager') {
        assert.match(view, /^rosbridge:connected:rosvpn-bridge$/m, view);
        assert.match(view, new RegExp(`^${lanIf}:connected:rosvpn-lan$`, 'm'), view);
      } else if (FLAVOUR === 'networkd') {
        assert.match(view, /^rosbridge routable configured$/m, view);
      }
      const env = Lab.inHost(desktop, ['cat', '/etc/rosvpn/state/lan.env']).stdout;
      const want = { networkmanager: 'NetworkManager', networkd: 'systemd-networkd', plain: 'dhclient' }[FLAVOUR];
      assert.match(env, new RegExp(`^LAN_MANAGER=${want}$`, 'm'), env);
      if (FLAVOUR === 'networkd') {
        // The lab's netplan file names the NIC by its name; networkd's lease had a DUID client-id (ff + IAID + DUID).
        assert.match(env, new RegExp(`^LAN_NETPLAN_ID=${lanIf}$`, 'm'), env);
        assert.match(env, /^LAN_DHCP_ID=iaid:\d+$/m, env);
        assert.equal(Lab.inHost(desktop, ['test', '-s', '/etc/netplan/90-rosvpn.yaml']).status, 0);
      }
      // The DHCP server sees the same client: the lease's client-id did not change.
      assert.equal(clientId(), clientIdBefore, 'the client-id of the lease changed');
    });

    it('DDS both ways robot <-> second', async () => {
      const up = await ddsFlow(second(), robotSide(s), { seconds: 3 });
      assert.ok(up.ok, `second -> robot: ${JSON.stringify(up)} (${desktopNetState(s)})`);
      const down = await ddsFlow(robotSide(s), second(), { seconds: 3 });
      assert.ok(down.ok, `robot -> second: ${JSON.stringify(down)}`);
    });

    it('a re-run changes nothing: every step ok', () => {
      const r = controllerCli(s, ['provision', s.topologyFile, '--host', 'desktop', ...sshArgs(s)]);
      const out = r.stdout + r.stderr;
      assert.equal(r.status, 0, out);
      const steps = stepStatuses(out);
      assert.ok(steps.length > 5, out);
      assert.deepEqual(
        steps.filter((x) => !x.endsWith('=ok')),
        [],
        out,
      );
      assertSameLease('after the re-run');
    });

    it('after a reboot of the desktop DDS comes back within 60 s, without reprovisioning, with the same lease', async () => {
      const t0 = Date.now();
      Lab.reboot(s, desktop.name);
      desktop = s.hosts.find((h) => h.role === 'desktop')!;
      let f = await ddsFlow(second(), robotSide(s), { seconds: 2 });
      while (!f.ok && Date.now() - t0 < 90000) f = await ddsFlow(second(), robotSide(s), { seconds: 2 });
      log(`DDS back ${((Date.now() - t0) / 1000).toFixed(0)} s after the reboot began: ${desktopNetState(s)}`);
      assert.ok(f.ok, `${JSON.stringify(f)} ${desktopNetState(s)}`);
      assert.ok(Date.now() - t0 < 60000 + 30000, 'within 60 s of the host being up (boot included: 90 s)');
      assert.equal(
        waitFor(
          () => lanAddress(desktop.ns, 'rosbridge'),
          (a) => a === leaseIp,
          20000,
        ),
        leaseIp,
      );
      assertSameLease('after the reboot');
      const down = await ddsFlow(robotSide(s), second(), { seconds: 3 });
      assert.ok(down.ok, `robot -> second: ${JSON.stringify(down)}`);
    });

    it('a re-run to a static defaultGateway nobody holds is rolled back to the bridge before it; DDS flows again', async () => {
      const r = controllerCli(s, ['provision', badGatewayTopology(), '--host', 'desktop', ...sshArgs(s)]);
      const out = r.stdout + r.stderr;
      log(`after the failed re-run: ${desktopNetState(s)}`);
      assert.notEqual(r.status, 0, out);
      assert.match(out, /connectivity lost after changing rosbridge \(addressing dhcp -> static[^)]*\); rolled back/, out);
      assert.equal(
        waitFor(
          () => lanAddress(desktop.ns, 'rosbridge'),
          (a) => a === leaseIp,
          30000,
        ),
        leaseIp,
      );
      assert.equal(
        Lab.inHost(desktop, ['ip', '-4', 'route', 'show', 'default']).stdout.includes(NOBODY),
        false,
        'the bad default route stayed',
      );
      if (FLAVOUR === 'networkmanager') assert.match(managerView(desktop, FLAVOUR, lanIf), /^rosbridge:connected:rosvpn-bridge$/m);
      let f = await ddsFlow(second(), robotSide(s), { seconds: 3 });
      const t0 = Date.now();
      while (!f.ok && Date.now() - t0 < 30000) f = await ddsFlow(second(), robotSide(s), { seconds: 2 });
      assert.ok(f.ok, `${JSON.stringify(f)} ${desktopNetState(s)}`);
      assertSameLease('after the re-run rollback');
    });

    it(`unprovisioning the desktop gives the NIC back to ${FLAVOUR} with the same lease; the host is as before`, () => {
      const r = controllerCli(s, ['unprovision', s.topologyFile, '--host', 'desktop', '--yes', ...sshArgs(s)]);
      const out = r.stdout + r.stderr;
      assert.equal(r.status, 0, out);
      assert.doesNotMatch(out, /=failed/);
      const view = waitFor(
        () => managerView(desktop, FLAVOUR, lanIf),
        (v) => v === viewBefore,
        30000,
      );
      assert.equal(view, viewBefore, `${FLAVOUR} does not manage ${lanIf} as before\n${out}`);
      assert.equal(lanAddress(desktop.ns, lanIf), leaseIp);
      assertSameLease('after unprovisioning');
      assert.deepEqual(hostState(desktop), stateBefore, `the desktop is not as before provisioning\n${out}`);
    });

    it('negative control: a static defaultGateway nobody holds => rolled back to the manager, the run fails with the message', () => {
      const r = controllerCli(s, ['provision', badGatewayTopology(), '--host', 'desktop', ...sshArgs(s)]);
      const out = r.stdout + r.stderr;
      log(`after the failed run: ${desktopNetState(s)}`);
      assert.notEqual(r.status, 0, out);
      assert.match(out, /connectivity lost after bridging \S+; rolled back to the previous addressing/, out);
      assert.match(out, new RegExp(`default gateway ${NOBODY.replace(/\./g, '\\.')} does not answer`), out);
      const view = waitFor(
        () => managerView(desktop, FLAVOUR, lanIf),
        (v) => v === viewBefore,
        30000,
      );
      assert.equal(view, viewBefore, `not rolled back to ${FLAVOUR}'s own configuration`);
      assert.equal(Lab.inHost(desktop, ['ip', 'link', 'show', 'dev', 'rosbridge']).status === 0, false, 'rosbridge is still there');
      assert.equal(lanAddress(desktop.ns, lanIf), leaseIp);
      assertSameLease('after the rollback');
    });
  });
}

FLAVOURS.forEach(describeFlavour);
