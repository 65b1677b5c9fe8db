// The EC2 commands in a real VS Code (code-server + Chromium) against a fake of the EC2 Query API: the
// extension's own bundled AWS SDK talks HTTP to it (AWS_ENDPOINT_URL_EC2), so requests, responses and
// errors go through the real client as users meet it. Everything runs in a network namespace this test
// makes, with nothing but loopback: the fake listens on the namespace's 127.0.0.1, the Elastic IP it hands
// out (203.0.113.10, documentation range) is on the namespace's lo, where a real sshd answers the
// "SSH answers" wait. Static dummy credentials; the metadata service is disabled.
import { strict as assert } from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { run } from '../../lab/sh';
import { requireRootAndTools, Sshd } from '../support/sshd';
import { Artifacts, ensureVsix, poll, REPO_ROOT, tempWorkspace, type TempWorkspace, VsCode } from './harness';

const EIP = '203.0.113.10';

interface Logged {
  action: string;
  params: Record<string, string>;
}

describe('ROS VPN cloud commands in VS Code (fake EC2 API, real SDK client)', function () {
  this.timeout(600_000);
  const ns = `rvec2${process.pid % 1000}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-cloud-ui-'));
  const logFile = path.join(dir, 'requests.jsonl');
  const controlFile = path.join(dir, 'control.json');
  let fake: ChildProcess | undefined;
  let sshd: Sshd | undefined;
  let ws: TempWorkspace;
  let vs: VsCode;

  const requests = (): Logged[] =>
    fs.existsSync(logFile)
      ? fs
          .readFileSync(logFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Logged)
      : [];
  const mutating = (from = 0) =>
    requests()
      .slice(from)
      .filter((r) => !r.action.startsWith('Describe') && r.params.DryRun !== 'true');
  const topology = () => JSON.parse(fs.readFileSync(ws.file('rosvpn.json'), 'utf8'));
  const row = async (label: string) => (await vs.wb.treeRows()).find((r) => r.label === label);
  const waitRow = (label: string, re: RegExp) =>
    poll(`tree row ${label} matching ${re}`, async () => ((await row(label))?.ariaLabel.match(re) ? true : undefined), 60_000);
  /** The fake re-reads this file on every request: inject one error for an action. */
  const inject = async (action: string, code: string, message: string) => {
    const text = JSON.stringify({ fail: { [action]: { code, message, times: 1 } } });
    fs.writeFileSync(controlFile, text);
    await poll(
      'the fake to apply the fault',
      async () =>
        fs.existsSync(`${controlFile}.applied`) && fs.readFileSync(`${controlFile}.applied`, 'utf8') === text ? true : undefined,
      10_000,
    );
  };

  before(async function () {
    requireRootAndTools();
    const vsix = ensureVsix();
    assert.equal(run('ip', ['netns', 'add', ns]).status, 0, `ip netns add ${ns}`);
    for (const args of [
      ['link', 'set', 'lo', 'up'],
      ['addr', 'add', `${EIP}/32`, 'dev', 'lo'],
    ])
      assert.equal(run('ip', ['-n', ns, ...args]).status, 0, args.join(' '));
    sshd = await new Sshd({ netns: ns, listenAddress: EIP, port: 22 }).start();
    fs.writeFileSync(controlFile, '{}');
    fake = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        process.execPath,
        '--require',
        'tsx/cjs',
        path.join(REPO_ROOT, 'test/support/fakeEc2Server.ts'),
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--log',
        logFile,
        '--control',
        controlFile,
      ],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    fake.stdout!.on('data', (d) => (out += d));
    fake.stderr!.on('data', (d) => (out += d));
    const url = await poll(
      'the fake EC2 endpoint',
      async () =>
        /FAKE_EC2_URL=(\S+)/.exec(out)?.[1] ?? (fake!.exitCode !== null ? Promise.reject(new Error(`fake EC2 exited: ${out}`)) : undefined),
      30_000,
    );
    // The gateway's SSH target is its old public address: cloud up must move it to the new Elastic IP.
    const t = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/topologies/vxlan-3.json'), 'utf8'));
    t.gateway.host = t.gateway.publicAddress;
    ws = tempWorkspace({ 'rosvpn.json': `${JSON.stringify(t, null, 2)}\n` });
    vs = await VsCode.open({
      workspace: ws.dir,
      vsix: [vsix],
      netns: ns,
      env: {
        AWS_ENDPOINT_URL_EC2: url,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ACCESS_KEY_ID: 'AKIDUITEST',
        AWS_SECRET_ACCESS_KEY: 'dummy-ui-test',
        AWS_CONFIG_FILE: '/nonexistent',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
        AWS_REGION: '',
        AWS_PROFILE: '',
      },
      // No key pair yet: the first launch must refuse and lead to the setting.
      settings: { 'rosvpn.aws.region': 'us-west-2' },
      artifacts: new Artifacts('cloud'),
    });
    await vs.wb.openViewContainer('ROS VPN');
    await vs.wb.waitForTreeRow('Cloud Gateway');
  });

  afterEach(async function () {
    if (!vs || this.currentTest?.state !== 'failed') return;
    await vs.shot(`failed-${this.currentTest.title}`).catch(() => undefined);
    // The extension's "ROS VPN" log channel, as VS Code wrote it, next to the screenshots.
    const logs = path.join(vs.server.userDataDir, 'logs');
    const found = (fs.readdirSync(logs, { recursive: true }) as string[]).filter((f) => f.endsWith('ROS VPN.log'));
    for (const f of found) fs.copyFileSync(path.join(logs, f), path.join(vs.artifacts!.dir, 'ROS VPN.log'));
    fs.copyFileSync(logFile, path.join(vs.artifacts!.dir, 'ec2-requests.jsonl'));
  });

  after(async () => {
    await vs?.close().catch(() => undefined);
    ws?.remove();
    fake?.kill('SIGTERM');
    await sshd?.stop().catch(() => undefined);
    run('ip', ['netns', 'delete', ns]);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(run('ip', ['netns', 'list']).stdout.includes(ns), false, `namespace ${ns} left behind`);
  });

  it('Show Cloud Plan lists what would be created, making only Describe calls', async () => {
    await vs.wb.runCommand('ROS VPN: Show Cloud Plan');
    const editor = vs.page.locator('.part.editor .monaco-editor .view-lines').first();
    const text = await poll(
      'the plan in an editor',
      async () => {
        const x = (await editor.innerText().catch(() => '')).replace(/\u00a0/g, ' ');
        return /create instance gateway/.test(x) ? x : undefined;
      },
      60_000,
    );
    assert.match(text, /plan for topology demo in us-west-2/);
    assert.match(
      text,
      /create instance second-3: t3\.small, ubuntu\/images\/hvm-ssd-gp3\/ubuntu-noble-24\.04-amd64-server-\d+, private IP 172\.31\.1\.14/,
    );
    assert.match(text, /\[CreateSecurityGroup, AuthorizeSecurityGroupIngress\]/);
    assert.ok(
      requests().some((r) => r.action === 'DescribeSubnets'),
      'the plan never reached the fake EC2 API',
    );
    assert.deepEqual(
      requests().filter((r) => !r.action.startsWith('Describe')),
      [],
      'the plan made a call that is not Describe',
    );
    await vs.shot('01-plan');
    await vs.wb.runCommand('View: Close Editor');
  });

  it('Launch without an SSH CIDR refuses before any EC2 call, and "Open Settings" leads to rosvpn.aws.sshCidr', async () => {
    const from = requests().length;
    await vs.wb.runCommand('ROS VPN: Launch Cloud Instances');
    const n = await vs.wb.waitForNotification(/Launch Cloud Instances failed: no SSH CIDR/, 60_000);
    assert.match(n.message, /rosvpn\.aws\.sshCidr/);
    assert.match(n.message, /auto/);
    assert.deepEqual(requests().slice(from), [], 'no EC2 request before the SSH CIDR is known');
    await vs.shot('02a-no-ssh-cidr');
    await vs.wb.clickNotificationButton(/no SSH CIDR/, 'Open Settings');
    const input = vs.page.locator('.settings-editor .setting-item-contents').filter({ hasText: 'Ssh Cidr' }).locator('input').first();
    await input.waitFor({ timeout: 30_000 });
    await input.fill('198.51.100.0/24');
    const settingsFile = path.join(vs.server.userDataDir, 'User', 'settings.json');
    await poll(
      'the SSH CIDR in settings.json',
      async () => (fs.readFileSync(settingsFile, 'utf8').includes('"rosvpn.aws.sshCidr": "198.51.100.0/24"') ? true : undefined),
      30_000,
    );
    await input.press('Escape');
    await poll(
      'the Settings editor to close',
      async () =>
        (await vs.page
          .locator('.settings-editor')
          .isVisible()
          .catch(() => false))
          ? (await vs.page.keyboard.press('Escape'), undefined)
          : true,
      15_000,
    );
    await vs.wb.clearNotifications();
  });

  it('Launch without a key pair refuses before anything is created, and "Open Settings" leads to rosvpn.aws.keyName', async () => {
    const before = fs.readFileSync(ws.file('rosvpn.json'), 'utf8');
    await vs.wb.runCommand('ROS VPN: Launch Cloud Instances');
    const n = await vs.wb.waitForNotification(/Launch Cloud Instances failed: no EC2 key pair.*rosvpn\.aws\.keyName/, 60_000);
    assert.match(n.message, /gateway, second, second-2, second-3/);
    assert.deepEqual(mutating(), []);
    assert.equal(fs.readFileSync(ws.file('rosvpn.json'), 'utf8'), before);
    await vs.shot('02-no-key-pair');
    await vs.wb.clickNotificationButton(/no EC2 key pair/, 'Open Settings');
    // The Settings editor, searched for the one setting; type the key pair's name as a user would.
    const input = vs.page.locator('.settings-editor .setting-item-contents').filter({ hasText: 'Key Name' }).locator('input').first();
    await input.waitFor({ timeout: 30_000 });
    await vs.shot('03-setting');
    await input.fill('robots');
    const settingsFile = path.join(vs.server.userDataDir, 'User', 'settings.json');
    await poll(
      'the key pair in settings.json',
      async () => (fs.readFileSync(settingsFile, 'utf8').includes('"rosvpn.aws.keyName": "robots"') ? true : undefined),
      30_000,
    );
    // The Settings editor may open as a modal over the workbench: Escape closes it either way.
    await input.press('Escape');
    await poll(
      'the Settings editor to close',
      async () =>
        (await vs.page
          .locator('.settings-editor')
          .isVisible()
          .catch(() => false))
          ? (await vs.page.keyboard.press('Escape'), undefined)
          : true,
      15_000,
    );
  });

  it('cancelling the launch confirmation creates nothing', async () => {
    const before = fs.readFileSync(ws.file('rosvpn.json'), 'utf8');
    await vs.wb.runCommand('ROS VPN: Launch Cloud Instances');
    const d = await vs.wb.waitForDialog(60_000);
    assert.match(d.message, /Make \d+ change\(s\) in us-west-2\? AWS bills/);
    assert.match(d.detail, /create instance gateway: t3\.small, .*private IP 172\.31\.1\.11, key pair robots/);
    await vs.shot('04-confirm-launch');
    await vs.wb.answerDialog('Cancel');
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(mutating(), []);
    assert.equal(fs.readFileSync(ws.file('rosvpn.json'), 'utf8'), before);
  });

  it('Launch, confirmed: DryRun first, one tagged instance per host at its private IP, an Elastic IP; ids and address written into rosvpn.json; the tree shows EC2 running', async () => {
    const from = requests().length;
    await vs.wb.runCommand('ROS VPN: Launch Cloud Instances');
    await vs.wb.waitForDialog(60_000);
    await vs.wb.answerDialog('Launch');
    await vs.wb.waitForNotification(
      new RegExp(`cloud up — gateway i-[0-9a-f]+ at ${EIP.replace(/\./g, '\\.')}, 4 instance\\(s\\); rosvpn\\.json updated`),
      300_000,
    );
    await vs.shot('05-launched');
    const calls = requests().slice(from);
    const firstReal = calls.findIndex((r) => !r.action.startsWith('Describe') && r.params.DryRun !== 'true');
    const dry = calls.map((r, i) => (r.params.DryRun === 'true' ? i : -1)).filter((i) => i >= 0);
    assert.ok(
      dry.length >= 3 && dry.every((i) => i < firstReal),
      `DryRun calls must all come before the first real one: ${calls.map((r) => r.action + (r.params.DryRun ? '(dry)' : '')).join(' ')}`,
    );
    const runs = calls.filter((r) => r.action === 'RunInstances' && r.params.DryRun !== 'true');
    assert.deepEqual(runs.map((r) => r.params['NetworkInterface.1.PrivateIpAddress']).sort(), [
      '172.31.1.11',
      '172.31.1.12',
      '172.31.1.13',
      '172.31.1.14',
    ]);
    const deployment = topology().deployment as string;
    assert.match(deployment, /^[0-9a-f]{16}$/, 'the first launch wrote a deployment id into rosvpn.json');
    for (const r of runs) {
      assert.equal(r.params.KeyName, 'robots');
      const tags = Object.entries(r.params)
        .filter(([k]) => /^TagSpecification\.1\.Tag\.\d+\.Key$/.test(k))
        .map(([, v]) => v);
      assert.deepEqual(tags.sort(), ['Name', 'rosvpn:deployment', 'rosvpn:host', 'rosvpn:role', 'rosvpn:topology']);
      assert.ok(Object.entries(r.params).some(([k, v]) => /^TagSpecification\.1\.Tag\.\d+\.Value$/.test(k) && v === deployment));
      assert.equal(r.params['MetadataOptions.HttpTokens'], 'required');
      assert.equal(r.params['BlockDeviceMapping.1.Ebs.Encrypted'], 'true');
    }
    const authorize = calls.find((r) => r.action === 'AuthorizeSecurityGroupIngress' && r.params.DryRun !== 'true')!;
    assert.ok(
      !Object.entries(authorize.params).some(
        ([k, v]) => /CidrIp$/.test(k) && v === '0.0.0.0/0' && authorize.params[k.replace(/IpRanges\.\d+\.CidrIp$/, 'FromPort')] === '22',
      ),
      'SSH is not world-open',
    );
    assert.equal(calls.filter((r) => r.action === 'AllocateAddress' && r.params.DryRun !== 'true').length, 1);
    const j = topology();
    assert.match(j.gateway.instanceId, /^i-[0-9a-f]{17}$/);
    assert.equal(j.gateway.publicAddress, EIP);
    assert.equal(j.gateway.host, EIP, 'the SSH target that was the old public address follows the Elastic IP');
    assert.ok(
      j.seconds.every((s: { instanceId?: string }) => /^i-[0-9a-f]{17}$/.test(s.instanceId ?? '')),
      JSON.stringify(j.seconds),
    );
    await waitRow('Cloud Gateway', new RegExp(`${EIP.replace(/\./g, '\\.')}.*EC2 running`));
    await waitRow('second-3', /EC2 running/);
    await vs.shot('06-tree-running');
    await vs.wb.clearNotifications();
  });

  it("Stop Instance from a second's context menu stops only it; then Start Instance is offered and starts it", async () => {
    const menu = await vs.wb.treeContextMenu('second-2');
    assert.ok(menu.includes('Stop Instance') && !menu.includes('Start Instance'), `menu of a running instance: ${menu.join(', ')}`);
    await vs.page.keyboard.press('Escape');
    const from = requests().length;
    await vs.wb.treeContextAction('second-2', 'Stop Instance');
    await vs.wb.waitForNotification(/Stopping second-2 \(i-[0-9a-f]+\)\. Its disk and the Elastic IP stay billed/, 60_000);
    const stops = requests()
      .slice(from)
      .filter((r) => r.action === 'StopInstances');
    assert.equal(stops.length, 1);
    assert.equal(stops[0].params['InstanceId.1'], topology().seconds[1].instanceId);
    assert.equal(stops[0].params['InstanceId.2'], undefined);
    await poll(
      'second-2 stopped',
      async () => {
        await vs.wb.runCommand('ROS VPN: Refresh Cloud Status');
        return (await row('second-2'))?.ariaLabel.match(/EC2 stopped/) ? true : undefined;
      },
      60_000,
      3000,
    );
    await waitRow('second-3', /EC2 running/);
    await vs.shot('07-stopped');
    await vs.wb.clearNotifications();
    await vs.wb.treeContextAction('second-2', 'Start Instance');
    await vs.wb.waitForNotification(/Starting second-2/, 60_000);
    await waitRow('second-2', /EC2 (pending|running)/);
    await vs.wb.clearNotifications();
  });

  it('a rerun of Launch asks nothing and creates nothing', async () => {
    const from = requests().length;
    await vs.wb.runCommand('ROS VPN: Launch Cloud Instances');
    await vs.wb.waitForNotification(/cloud up — gateway .*rosvpn\.json already up to date/, 120_000);
    assert.deepEqual(
      requests()
        .slice(from)
        .filter((r) => !r.action.startsWith('Describe')),
      [],
      'a rerun sent a mutating call (or a DryRun)',
    );
    await vs.wb.clearNotifications();
  });

  it('an IAM refusal names the action that was refused', async () => {
    await inject('StopInstances', 'UnauthorizedOperation', 'You are not authorized to perform this operation.');
    await vs.wb.treeContextAction('Cloud Gateway', 'Stop Instance');
    await vs.wb.waitForNotification(/Stop Instance failed: .*ec2:StopInstances/, 60_000);
    await vs.shot('08-unauthorized');
    await waitRow('Cloud Gateway', /EC2 running/);
    await vs.wb.clearNotifications();
  });

  it('Tear Down: cancelled, nothing changes; confirmed, instances, address and group go, the ids leave rosvpn.json', async () => {
    const from = requests().length;
    await vs.wb.runCommand('ROS VPN: Tear Down Cloud Resources');
    let d = await vs.wb.waitForDialog(60_000);
    assert.match(d.detail, new RegExp(`instance ${topology().gateway.instanceId} \\(gateway, running\\)`));
    assert.match(d.detail, /Elastic IP eipalloc-[0-9a-f]+ \(203\.0\.113\.10\)/);
    await vs.wb.answerDialog('Cancel');
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(mutating(from), []);
    await vs.wb.runCommand('ROS VPN: Tear Down Cloud Resources');
    d = await vs.wb.waitForDialog(60_000);
    // Every id that goes is in the modal: the four instances, the Elastic IP's allocation and the group.
    const ids = [topology().gateway.instanceId, ...topology().seconds.map((s: { instanceId: string }) => s.instanceId)];
    for (const id of ids) assert.match(d.detail, new RegExp(`instance ${id}`));
    const alloc = /Elastic IP (eipalloc-[0-9a-f]+)/.exec(d.detail)?.[1];
    const group = /security group (sg-[0-9a-f]+)/.exec(d.detail)?.[1];
    assert.ok(alloc && group, d.detail);
    await vs.shot('09-confirm-teardown');
    const confirmedAt = requests().length;
    await vs.wb.answerDialog('Terminate and Delete');
    await vs.wb.waitForNotification(/torn down — nothing of topology demo .*is left in EC2/, 300_000);
    assert.deepEqual(
      mutating(from).map((r) => r.action),
      ['TerminateInstances', 'ReleaseAddress', 'DeleteSecurityGroup'],
    );
    // Exactly the listed ids, DryRun first, and no query between the confirmation and the deletions.
    const after = requests().slice(confirmedAt);
    assert.deepEqual(
      after.slice(0, 4).map((r) => `${r.action}${r.params.DryRun === 'true' ? ' (DryRun)' : ''}`),
      ['TerminateInstances (DryRun)', 'ReleaseAddress (DryRun)', 'DeleteSecurityGroup (DryRun)', 'TerminateInstances'],
    );
    const term = after.find((r) => r.action === 'TerminateInstances' && r.params.DryRun !== 'true')!;
    assert.deepEqual(
      Object.entries(term.params)
        .filter(([k]) => /^InstanceId\.\d+$/.test(k))
        .map(([, v]) => v)
        .sort(),
      [...ids].sort(),
    );
    assert.equal(after.find((r) => r.action === 'ReleaseAddress' && r.params.DryRun !== 'true')?.params.AllocationId, alloc);
    assert.equal(after.find((r) => r.action === 'DeleteSecurityGroup' && r.params.DryRun !== 'true')?.params.GroupId, group);
    const j = topology();
    assert.equal(j.gateway.instanceId, undefined);
    assert.ok(j.seconds.every((s: { instanceId?: string }) => s.instanceId === undefined));
    await waitRow('Cloud Gateway', /EC2 not launched/);
    await vs.shot('10-torn-down');
  });
});
