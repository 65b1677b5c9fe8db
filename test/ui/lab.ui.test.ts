// The extension against real hosts: the test and demo lab (systemd-nspawn hosts with sshd, OpenVPN, easy-rsa)
// and code-server + Chromium inside the lab's controller namespace (no default route), so everything the
// extension sends stays in namespaces this test made. A user's path: trust the gateway's host key,
// provision it from the tree, follow its OpenVPN log, download the client profile.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import { Lab, labDown, type LabState } from '../../lab/lab';
import { loadLabTopology } from '../../lab/demo';
import { run } from '../../lab/sh';
import { randomBytes } from 'crypto';
import { Artifacts, ensureVsix, poll, tempWorkspace, type TempWorkspace, untilProvisioned, VsCode } from './harness';

const PROFILE = 'ros_local_gateway.ovpn';

describe('ROS VPN in VS Code against the lab', function () {
  this.timeout(900_000);
  const lab = new Lab(`rvui${process.pid % 1000}`);
  const caPassphrase = `ca-${randomBytes(12).toString('hex')}`;
  let s: LabState;
  let ws: TempWorkspace;
  let vs: VsCode;
  let fingerprints: string[];

  const gatewayRow = async () => (await vs.wb.treeRows()).find((r) => r.label === 'Cloud Gateway');

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('the lab needs root; CI runs as root');
    const vsix = ensureVsix();
    const t = loadLabTopology(undefined, 1, () => undefined);
    assert.ok(t);
    s = lab.up(t);
    const gw = s.hosts.find((h) => h.role === 'gateway')!;
    fingerprints = ['ed25519', 'ecdsa', 'rsa']
      .map((k) => Lab.inHost(gw, ['ssh-keygen', '-lf', `/etc/ssh/ssh_host_${k}_key.pub`]).stdout.split(' ')[1])
      .filter(Boolean);
    assert.ok(fingerprints.length > 0, 'no host key fingerprints read from the gateway');
    // The workspace is a git repository, so the download must add the profile to .gitignore.
    ws = tempWorkspace({ 'rosvpn.json': fs.readFileSync(s.topologyFile, 'utf8') });
    assert.equal(run('git', ['init', '-q', ws.dir]).status, 0);
    vs = await VsCode.open({
      workspace: ws.dir,
      vsix: [vsix],
      netns: s.controllerNs,
      env: { SSH_AUTH_SOCK: '' },
      artifacts: new Artifacts('extension-lab'),
    });
  });

  after(async () => {
    const errors: unknown[] = [];
    await vs?.close().catch((e) => errors.push(e));
    ws?.remove();
    const left = labDown(lab.prefix);
    assert.deepEqual(left, [], 'lab teardown left something behind');
    assert.equal(run('ip', ['netns', 'list']).stdout.includes(lab.prefix), false);
    if (errors.length) throw errors[0];
  });

  it('rejecting the unknown host key runs nothing: the gateway stays unprovisioned and is shown unreachable', async () => {
    await vs.wb.openViewContainer('ROS VPN');
    await vs.wb.waitForTreeRow('Cloud Gateway');
    assert.match((await gatewayRow())!.ariaLabel, /unknown/);
    await vs.wb.treeInlineAction('Cloud Gateway', 'Provision Gateway');
    const dialog = await vs.wb.waitForDialog(60_000);
    assert.match(dialog.message, /authenticity of host/);
    const shown = /SHA256:[A-Za-z0-9+/]+/.exec(dialog.detail)?.[0];
    assert.ok(shown && fingerprints.includes(shown), `fingerprint ${shown} is not one of the gateway's: ${fingerprints.join(', ')}`);
    await vs.shot('01-host-key-modal');
    await vs.wb.answerDialog('Cancel');
    await vs.wb.waitForNotification(/Provision Gateway.*failed/, 60_000);
    await poll(
      'the gateway unreachable',
      async () => ((await gatewayRow())?.ariaLabel.match(/unreachable|failed/) ? true : undefined),
      30_000,
    );
    const gw = s.hosts.find((h) => h.role === 'gateway')!;
    assert.notEqual(
      Lab.inHost(gw, ['test', '-e', '/etc/openvpn/server/rosvpn.conf']).status,
      0,
      'something ran on the gateway after the key was rejected',
    );
    await vs.wb.waitForStatusBarItem(/ROS VPN: 1 down/);
    await vs.shot('02-rejected');
    await vs.wb.clearNotifications();
  });

  it('Provision Gateway from the tree, after trusting the SHA256 fingerprint, turns the gateway healthy', async () => {
    await vs.wb.treeInlineAction('Cloud Gateway', 'Provision Gateway');
    const dialog = await vs.wb.waitForDialog(60_000);
    assert.match(dialog.detail, /SHA256:/);
    await vs.wb.answerDialog('Trust and Connect');
    await poll(
      'the gateway provisioning',
      async () => ((await gatewayRow())?.ariaLabel.includes('provisioning') ? true : undefined),
      30_000,
    );
    await vs.shot('03-provisioning');
    // The gateway's CA is made on this first run: its new passphrase is asked (typed twice, kept for the session).
    const asked = await untilProvisioned(vs, /Provision Gateway \(gateway\) done/, /Provision Gateway \(gateway\) failed/, caPassphrase);
    assert.deepEqual(asked, [
      'ROS VPN: New CA passphrase (1/2)',
      'ROS VPN: New CA passphrase (2/2)',
      'ROS VPN: Keep the CA passphrase where?',
    ]);
    await poll('the gateway healthy', async () => ((await gatewayRow())?.ariaLabel.includes('healthy') ? true : undefined), 30_000);
    // Only the gateway is provisioned: the others are not reported healthy before they are checked.
    const topo = JSON.parse(fs.readFileSync(ws.file('rosvpn.json'), 'utf8'));
    const hosts = 1 + topo.seconds.length + (topo.desktop ? 1 : 0);
    const item = await vs.wb.waitForStatusBarItem(hosts === 1 ? /ROS VPN: up/ : new RegExp(`ROS VPN: 1/${hosts} up`));
    assert.match(item.ariaLabel, new RegExp(`1 of ${hosts} host\\(s\\) healthy`));
    await vs.shot('04-healthy');
    // Every step is in the "ROS VPN" log channel.
    await vs.wb.showOutputChannel('ROS VPN');
    const log = await vs.wb.waitForOutput('ROS VPN', /\[gateway\] changed: \d+ changed/);
    assert.match(log, /\[gateway\] \S+ changed/);
    await vs.shot('04b-log-channel');
    await vs.wb.clearNotifications();
  });

  it('the provided log task follows the gateway\'s OpenVPN server and shows "Initialization Sequence Completed", live', async () => {
    await vs.wb.runCommand('Tasks: Run Task');
    await vs.wb.pickQuickItem('rosvpn');
    await poll('the provided rosvpn tasks', async () =>
      (await vs.wb.quickPickItems()).some((i) => /network log/.test(i)) ? true : undefined,
    );
    const tasks = await vs.wb.quickPickItems();
    for (const name of [
      'gateway: OpenVPN server log',
      'desktop: OpenVPN client log',
      'gateway: network log',
      'second: network log',
      'desktop: network log',
    ]) {
      assert.ok(
        tasks.some((t) => t.includes(name)),
        `${name} not provided: ${tasks.join(' | ')}`,
      );
    }
    await vs.shot('05-provided-tasks');
    await vs.wb.pickQuickItem(/gateway: OpenVPN server log/);
    const text = await vs.wb.waitForTerminalText('Initialization Sequence Completed', 90_000);
    assert.match(text, /rosvpn-gateway openvpn\[\d+\]: /);
    await vs.shot('05b-log-task');
    // Live, not just history: the restarted server's lines (its new pid) appear in the open terminal.
    const gw = s.hosts.find((h) => h.role === 'gateway')!;
    assert.equal(Lab.inHost(gw, ['systemctl', 'restart', 'openvpn-server@rosvpn']).status, 0);
    const pid = Lab.inHost(gw, ['systemctl', 'show', '-p', 'MainPID', '--value', 'openvpn-server@rosvpn']).stdout.trim();
    assert.match(pid, /^[1-9]\d*$/);
    assert.doesNotMatch(text, new RegExp(`openvpn\\[${pid}\\]`));
    await vs.wb.waitForTerminalText(`openvpn[${pid}]: Initialization Sequence Completed`, 60_000);
    await vs.shot('06-log-task-live');
    // Closing the terminal ends the remote journalctl.
    assert.notEqual(Lab.inHost(gw, ['pgrep', '-f', 'journalctl.*openvpn-server']).stdout.trim(), '');
    await vs.wb.runCommand('Terminal: Kill the Active Terminal Instance');
    await poll(
      'journalctl gone from the gateway',
      async () => (Lab.inHost(gw, ['pgrep', '-f', 'journalctl.*openvpn-server']).stdout.trim() === '' ? true : undefined),
      20_000,
    );
  });

  it('negative control: Stream OpenVPN Logs from the palette asks which host; the unprovisioned second has no OpenVPN lines', async () => {
    await vs.wb.runCommand('ROS VPN: Stream OpenVPN Logs');
    const hosts = await vs.wb.quickPickItems();
    assert.deepEqual([...hosts].sort(), ['desktop', 'gateway', 'second']);
    await vs.wb.pickQuickItem('second');
    const dialog = await vs.wb.waitForDialog(60_000);
    assert.match(dialog.message, /authenticity of host/);
    await vs.wb.answerDialog('Trust and Connect');
    const text = await vs.wb.waitForTerminalText(/Following rosvpn-net\.service on second|-- No entries --/, 60_000);
    await new Promise((r) => setTimeout(r, 3000));
    assert.doesNotMatch(await vs.wb.terminalText(), /Initialization Sequence Completed/, text);
    await vs.shot('07-second-log');
  });

  it('Download Client Profile writes ros_local_gateway.ovpn with mode 0600 and adds it to .gitignore', async () => {
    const file = ws.file(PROFILE);
    assert.equal(fs.existsSync(file), false);
    assert.notEqual(run('git', ['-C', ws.dir, 'check-ignore', '-q', PROFILE]).status, 0, 'ignored before the download?');
    await vs.wb.openViewContainer('ROS VPN');
    await vs.wb.treeContextAction('Cloud Gateway', 'Download Client Profile');
    await vs.wb.waitForNotification(/saved ros_local_gateway\.ovpn \(mode 0600\).*private key/, 60_000);
    await vs.shot('08-downloaded');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const profile = fs.readFileSync(file, 'utf8');
    assert.match(profile, /^dev tap/m);
    assert.match(profile, /<key>[\s\S]*PRIVATE KEY[\s\S]*<\/key>/);
    assert.equal(run('git', ['-C', ws.dir, 'check-ignore', '-q', PROFILE]).status, 0, 'the profile is not ignored by git');
  });

  it("Open SSH Terminal runs the user's own ssh to the gateway, trusting the key recorded in ~/.ssh/known_hosts", async () => {
    await vs.wb.treeContextAction('Cloud Gateway', 'Open SSH Terminal');
    await poll('the SSH terminal tab', async () =>
      (await vs.wb.terminalTitles()).some((t) => t.includes('ROS VPN: gateway')) ? true : undefined,
    );
    await vs.shot('09a-ssh-terminal-open');
    // Typed at once: the tty keeps the line until the remote shell reads it.
    await vs.wb.typeInTerminal('cat /etc/hostname\n');
    const text = await vs.wb.waitForTerminalText('rosvpn-gateway', 60_000).catch(async (e) => {
      await vs.shot('09x-ssh-terminal-failed');
      throw new Error(`${(e as Error).message}\nterminal:\n${await vs.wb.terminalText()}`);
    });
    assert.doesNotMatch(text, /Host key verification failed|authenticity of host/);
    await vs.shot('09-ssh-terminal');
  });

  it('cancelling a provisioning run stops the script on the host and says so', async () => {
    const second = s.hosts.find((h) => h.role === 'second')!;
    await vs.wb.openViewContainer('ROS VPN');
    await vs.wb.treeInlineAction('second', 'Provision Second Instance');
    await poll(
      'the script running on the second',
      async () => (Lab.inHost(second, ['pgrep', '-f', 'rosvpn-second|second\\.sh']).stdout.trim() ? true : undefined),
      60_000,
    );
    await vs.wb.clickNotificationButton(/Provision Second Instance/, 'Cancel');
    await vs.wb.waitForNotification(/Provision Second Instance \(second\) failed/, 60_000);
    await poll(
      'the script gone from the second',
      async () => (Lab.inHost(second, ['pgrep', '-f', 'rosvpn-second|second\\.sh']).stdout.trim() === '' ? true : undefined),
      20_000,
    );
    const row = (await vs.wb.treeRows()).find((r) => r.label === 'second');
    assert.match(row!.ariaLabel, /failed/);
    await vs.shot('10-cancelled');
  });
});
