// Check Connectivity's DDS-level pairs and Remove ROS VPN from Host in VS Code against the lab: every host
// provisioned quickly with the CLI (the UI's provisioning is lab.ui's and clients.ui's), then code-server +
// Chromium in the lab's controller namespace (no default route) on a workspace holding the lab's rosvpn.json,
// its host keys already trusted. Check Connectivity shows every pair — DDS multicast to 239.255.0.1 and the
// 1500-byte don't-fragment ping — as ok in the tree; with the desktop's OpenVPN client stopped (negative
// control) the pairs across the tunnel fail while the cloud-side pairs stay ok. Remove ROS VPN from Host:
// Cancel in its modal (from the palette's host pick and from the second's context menu) changes nothing;
// confirming removes ROS VPN from the second, the tree shows it not provisioned, and the robot no longer
// reaches the second's VPN address (it did before).
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { controllerCli, labCaPassphrase, loadLabTopology, robotMtuPing, sshArgs } from '../../lab/demo';
import { Lab, labDown, type LabHost, type LabState } from '../../lab/lab';
import { run } from '../../lab/sh';
import { OPENVPN_CLIENT_UNIT } from '../../src/core/render/openvpn';
import { Artifacts, ensureVsix, poll, tempWorkspace, type TempWorkspace, type TreeRow, untilProvisioned, VsCode } from './harness';

/** Each host's row in the tree, and how many pairs its check probes: the multicast of the 2 other hosts, and
 *  a full-size ping to each other host with an address known beforehand (the DHCP desktop has none). */
const PAIRS: Record<string, number> = { 'Cloud Gateway': 3, 'Desktop Gateway': 4, second: 3 };
const REMOVE = 'Remove ROS VPN from Host';

describe('ROS VPN in VS Code: connectivity pairs and Remove ROS VPN from Host against the lab', function () {
  this.timeout(900_000);
  const lab = new Lab(`rvju${process.pid % 1000}`);
  let s: LabState;
  let ws: TempWorkspace;
  let vs: VsCode;
  let secondVpnIp: string;

  const host = (role: LabHost['role']) => s.hosts.find((h) => h.role === role)!;
  const rows = async () => new Map((await vs.wb.treeRows()).map((r): [string, TreeRow] => [r.label, r]));
  const hasBridge = (h: LabHost) => Lab.inHost(h, ['ip', 'link', 'show', 'dev', 'rosbridge']).status === 0;
  const rosvpnUnits = (h: LabHost) =>
    Lab.inHost(h, ['sh', '-c', "systemctl list-unit-files --no-legend 'rosvpn*' 'openvpn-*@rosvpn*' | awk '{ print $1 }'"]).stdout.trim();
  const serverListsClient = () =>
    Lab.inHost(host('gateway'), ['grep', '-q', '^CLIENT_LIST,', '/run/openvpn-server/status-rosvpn.log']).status === 0;
  const clientActive = () => Lab.inHost(host('desktop'), ['systemctl', 'is-active', '--quiet', OPENVPN_CLIENT_UNIT]).status === 0;

  /** Runs Check Connectivity (already started by `start`) and waits for its verdict; the rows afterwards. */
  async function check(start: () => Promise<void>, verdict: RegExp): Promise<Map<string, TreeRow>> {
    await vs.wb.clearNotifications();
    await start();
    const n = await vs.wb.waitForNotification(/every host healthy|check failed on/, 180_000);
    assert.match(n.message, verdict);
    await vs.wb.clearNotifications();
    return rows();
  }

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('the lab needs root; CI runs as root');
    const vsix = ensureVsix();
    const t = loadLabTopology(undefined, 1, () => undefined);
    // A DHCP desktop has no address known beforehand, so no host pings it: the pair counts below rely on it.
    assert.equal(t?.desktop?.addressing, 'dhcp', 'the lab topology has a DHCP desktop');
    s = lab.up(t);
    secondVpnIp = t.seconds[0].vpnIp.split('/')[0];
    // Negative control for what follows: before provisioning, the robot does not reach the second.
    assert.equal(robotMtuPing(s, secondVpnIp), false, 'the robot reaches the second before provisioning');
    const r = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    // --accept-new recorded every host's key under the name rosvpn.json reaches it by: VS Code trusts the same.
    const known = fs.readFileSync(s.knownHosts, 'utf8');
    assert.ok(known.split('\n').filter(Boolean).length >= s.hosts.length, `known_hosts:\n${known}`);
    ws = tempWorkspace({ 'rosvpn.json': fs.readFileSync(s.topologyFile, 'utf8') });
    vs = await VsCode.open({
      workspace: ws.dir,
      vsix: [vsix],
      netns: s.controllerNs,
      env: { SSH_AUTH_SOCK: '' },
      // No periodic check: each check here is one the test started.
      settings: { 'rosvpn.checkIntervalSeconds': 0 },
      artifacts: new Artifacts('extension-lifecycle'),
    });
    fs.mkdirSync(path.join(vs.server.home, '.ssh'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(vs.server.home, '.ssh', 'known_hosts'), known, { mode: 0o600 });
    await poll('the robot reaching the second across the VPN', async () => (robotMtuPing(s, secondVpnIp) ? true : undefined), 90_000, 1000);
    // The check counts the gateway's clients from OpenVPN's status file, which the server rewrites once a minute.
    await poll("the desktop in the gateway's OpenVPN status file", async () => (serverListsClient() ? true : undefined), 90_000, 2000);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await vs?.shot(`x-${this.currentTest.title.slice(0, 40).replace(/\W+/g, '-')}`);
  });

  after(async () => {
    const errors: unknown[] = [];
    await vs?.close().catch((e) => errors.push(e));
    ws?.remove();
    if (s) {
      const left = labDown(lab.prefix);
      assert.deepEqual(left, [], 'lab teardown left something behind');
      assert.equal(run('ip', ['netns', 'list']).stdout.includes(lab.prefix), false);
    }
    if (errors.length) throw errors[0];
  });

  it('Check Connectivity from the palette: every pair (DDS multicast 239.255.0.1, 1500-byte DF ping) ok in the tree', async () => {
    await vs.wb.openViewContainer('ROS VPN');
    await vs.wb.waitForTreeRow('second');
    assert.doesNotMatch((await rows()).get('second')!.description, /pairs/, 'pairs shown before any check');
    const after = await check(() => vs.wb.runCommand('ROS VPN: Check Connectivity'), /every host healthy/);
    // Each host hears the 2 others' multicast and pings those with a known address (not the DHCP desktop).
    for (const [label, n] of Object.entries(PAIRS)) {
      const r = after.get(label);
      assert.match(r?.description ?? '', new RegExp(` · ${n} pairs ok$`), `${label}: ${r?.description}`);
      assert.match(r!.ariaLabel, /healthy$/);
    }
    const tip = await vs.wb.treeRowTooltip('second');
    for (const line of [
      '✓ DDS multicast 239.255.0.1 gateway → second',
      '✓ DDS multicast 239.255.0.1 desktop → second',
      "✓ 1500-byte don't-fragment ping second → gateway",
    ])
      assert.ok(tip.includes(line), `the tooltip lacks "${line}":\n${tip}`);
    assert.doesNotMatch(tip, /✗/);
    await vs.shot('01-pairs-ok');
    await vs.wb.waitForStatusBarItem(/ROS VPN: up/);
  });

  it("negative control: with the desktop's OpenVPN client stopped, the pairs across the tunnel fail, the cloud-side pairs stay ok", async () => {
    assert.equal(Lab.inHost(host('desktop'), ['systemctl', 'stop', OPENVPN_CLIENT_UNIT]).status, 0);
    try {
      assert.equal(clientActive(), false);
      // From the tree this time: the view's title bar.
      const after = await check(() => vs.wb.clickViewTitleAction('Check Connectivity'), /check failed on/);
      const desc = (label: string) => after.get(label)?.description ?? '';
      // Every pair of the desktop fails; of the others only the multicast they should hear from the desktop.
      assert.match(desc('Desktop Gateway'), / · 4 of 4 pairs failing$/);
      assert.match(desc('Cloud Gateway'), / · 1 of 3 pairs failing$/);
      assert.match(desc('second'), / · 1 of 3 pairs failing$/);
      const tip = await vs.wb.treeRowTooltip('Cloud Gateway');
      for (const line of [
        '✗ DDS multicast 239.255.0.1 desktop → gateway',
        '✓ DDS multicast 239.255.0.1 second → gateway',
        "✓ 1500-byte don't-fragment ping gateway → second",
      ])
        assert.ok(tip.includes(line), `the gateway's tooltip lacks "${line}":\n${tip}`);
      await vs.page.keyboard.press('Escape');
      const desktopTip = await vs.wb.treeRowTooltip('Desktop Gateway');
      for (const line of ["✗ 1500-byte don't-fragment ping desktop → gateway", "✗ 1500-byte don't-fragment ping desktop → second"])
        assert.ok(desktopTip.includes(line), `the desktop's tooltip lacks "${line}":\n${desktopTip}`);
      await vs.shot('02-pairs-failing');
      await vs.wb.waitForStatusBarItem(/ROS VPN: \d down/);
    } finally {
      assert.equal(Lab.inHost(host('desktop'), ['systemctl', 'start', OPENVPN_CLIENT_UNIT]).status, 0);
    }
    await poll('the robot reaching the second again', async () => (robotMtuPing(s, secondVpnIp) ? true : undefined), 90_000, 1000);
    await poll(
      "the desktop in the gateway's OpenVPN status file again",
      async () => (serverListsClient() ? true : undefined),
      90_000,
      2000,
    );
    const again = await check(() => vs.wb.runCommand('ROS VPN: Check Connectivity'), /every host healthy/);
    for (const [label, n] of Object.entries(PAIRS))
      assert.match(again.get(label)?.description ?? '', new RegExp(` · ${n} pairs ok$`), label);
  });

  it('Remove ROS VPN from Host from the palette: a QuickPick of hosts, a modal naming the desktop; Cancel changes nothing', async () => {
    await vs.wb.runCommand(`ROS VPN: ${REMOVE}`);
    assert.deepEqual([...(await vs.wb.quickPickItems())].sort(), ['desktop', 'gateway', 'second']);
    await vs.wb.pickQuickItem('desktop');
    const d = await vs.wb.waitForDialog(30_000);
    assert.match(d.message, /^Remove ROS VPN from desktop \(desktop, 203\.0\.113\.2\)\?$/);
    assert.match(d.detail, /This host returns to its state before provisioning/);
    assert.match(d.detail, /LAN NIC \S+ taken out of rosbridge/);
    assert.ok(d.buttons.includes('Remove ROS VPN from desktop') && d.buttons.includes('Cancel'), d.buttons.join(', '));
    await vs.shot('03-palette-modal');
    await vs.wb.answerDialog('Cancel');
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok(hasBridge(host('desktop')), 'the desktop lost its bridge');
    assert.ok(clientActive(), "the desktop's OpenVPN client stopped");
    assert.equal((await vs.wb.notifications()).length, 0, 'a cancelled command says nothing');
    assert.match((await rows()).get('Desktop Gateway')!.ariaLabel, /healthy$/);
  });

  it("from the second's context menu: the modal says what changes; Cancel changes nothing (negative control)", async () => {
    const units = rosvpnUnits(host('second'));
    assert.match(units, /rosvpn-net\.service/);
    await vs.wb.treeContextAction('second', REMOVE);
    const d = await vs.wb.waitForDialog(30_000);
    assert.match(d.message, /^Remove ROS VPN from second \(second, [\d.]+\)\?$/);
    assert.match(d.detail, /rosvpn-net\.service stopped, disabled and removed/);
    assert.match(d.detail, /bridge rosbridge and its tunnel to the gateway deleted/);
    assert.ok(d.buttons.includes('Remove ROS VPN from second') && d.buttons.includes('Cancel'), d.buttons.join(', '));
    await vs.shot('04-context-modal');
    await vs.wb.answerDialog('Cancel');
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok(hasBridge(host('second')), 'the second lost its rosbridge after Cancel');
    assert.equal(rosvpnUnits(host('second')), units);
    assert.ok(robotMtuPing(s, secondVpnIp), 'the robot no longer reaches the second after Cancel');
    assert.equal((await vs.wb.notifications()).length, 0, 'a cancelled command says nothing');
    const logs = vs.server.extensionLogs('rosvpn.rosvpn');
    for (const l of logs) assert.doesNotMatch(l.text, /Remove ROS VPN from second: /, `the cancelled removal ran (${l.file})`);
  });

  it('confirming removes ROS VPN from the second: no rosbridge, no units, shown not provisioned, the robot no longer reaches it', async () => {
    await vs.wb.treeContextAction('second', REMOVE);
    await vs.wb.waitForDialog(30_000);
    await vs.wb.answerDialog('Remove ROS VPN from second');
    await untilProvisioned(
      vs,
      /ROS VPN removed from second; provision again/,
      /Remove ROS VPN from second failed/,
      labCaPassphrase(s).passphrase,
    );
    const second = host('second');
    assert.equal(hasBridge(second), false, 'the second still has its rosbridge');
    assert.equal(rosvpnUnits(second), '', 'ROS VPN units left on the second');
    const r = await poll(
      'the second shown as not provisioned',
      async () => {
        const x = (await rows()).get('second');
        return x && /not provisioned$/.test(x.ariaLabel) ? x : undefined;
      },
      30_000,
    );
    assert.doesNotMatch(r.description, /pairs/, 'the removed host still shows the pairs of its last check');
    assert.match(await vs.wb.treeRowTooltip('second'), /· not provisioned/);
    await vs.shot('05-removed');
    assert.equal(robotMtuPing(s, secondVpnIp), false, 'the robot still reaches the second after the removal');
    // The other hosts keep theirs: the desktop still bridges the robot's LAN to the gateway.
    assert.ok(hasBridge(host('gateway')) && hasBridge(host('desktop')), 'the removal touched another host');
  });
});
