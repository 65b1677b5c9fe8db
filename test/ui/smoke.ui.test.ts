// Smoke test of the packaged extension in a real VS Code (code-server 4.139 / VS Code 1.139) driven in
// Debian's Chromium, and a self-test of the browser harness against a small probe extension, so that every
// helper the feature tests use is known to work on this VS Code. Screenshots: test-artifacts/ui/<test>/.
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Artifacts, ensureVsix, poll, tempWorkspace, type TempWorkspace, VsCode } from './harness';
import { buildProbeVsix } from './harness/probeExtension';

const FIXTURE = path.join(__dirname, '../fixtures/topologies/vxlan-1.json');
// Settings the feature tests will pass as well: the AWS SDK must never look for real credentials or metadata.
const AWS_OFFLINE = {
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_ACCESS_KEY_ID: 'AKIDUITEST',
  AWS_SECRET_ACCESS_KEY: 'dummy-ui-test',
  AWS_REGION: 'us-west-2',
};

/** Saves a screenshot of a failed test next to its step screenshots. */
async function shotOnFailure(ctx: Mocha.Context, vs: VsCode | undefined): Promise<void> {
  if (vs && ctx.currentTest?.state === 'failed') await vs.shot(`failed-${ctx.currentTest.title}`).catch(() => undefined);
}

describe('ROS VPN in code-server + Chromium: smoke and harness self-test', function () {
  let vsix: string;
  let probe: { vsix: string; remove: () => void };

  before(function () {
    vsix = ensureVsix();
    probe = buildProbeVsix();
  });
  after(() => probe?.remove());

  describe('the packaged extension with the vxlan-1 topology', function () {
    let ws: TempWorkspace;
    let vs: VsCode | undefined;

    before(async function () {
      ws = tempWorkspace({ 'rosvpn.json': fs.readFileSync(FIXTURE, 'utf8') });
      vs = await VsCode.open({ workspace: ws.dir, vsix: [vsix, probe.vsix], env: AWS_OFFLINE, artifacts: new Artifacts('smoke') });
    });
    afterEach(async function () {
      await shotOnFailure(this, vs);
    });
    after(async function () {
      const offLoopback = vs?.browser.offLoopbackRequests ?? [];
      await vs?.close();
      ws?.remove();
      assert.deepEqual(offLoopback, [], 'the browser asked for something beyond loopback');
    });

    it('code-server lists rosvpn.rosvpn as installed from the .vsix', () => {
      const exts = vs!.server.listExtensions();
      assert.ok(
        exts.some((e) => e.startsWith('rosvpn.rosvpn@')),
        exts.join(', '),
      );
    });

    it('"ROS VPN: Validate Topology" is in the palette', async () => {
      const entry = await vs!.wb.waitForCommand('ROS VPN: Validate Topology');
      assert.equal(entry.id, 'rosvpn.validateTopology');
      const all = await vs!.wb.paletteMatches('ROS VPN:');
      assert.ok(
        all.every((e) => e.label.startsWith('ROS VPN: ')),
        JSON.stringify(all),
      );
      await vs!.shot('01-workbench');
    });

    it('running it reports that rosvpn.json is valid', async () => {
      await vs!.wb.runCommand('ROS VPN: Validate Topology');
      const n = await vs!.wb.waitForNotification('rosvpn.json is valid');
      assert.equal(n.severity, 'info');
      await vs!.shot('02-valid');
      await vs!.wb.clearNotifications();
    });

    it('negative control: a bad gateway.cloudIp gives an error with "Show Log", which shows the field path', async () => {
      const bad = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
      bad.gateway.cloudIp = '172.31.1.300';
      fs.writeFileSync(ws.file('rosvpn.json'), JSON.stringify(bad, null, 2));
      await vs!.wb.runCommand('ROS VPN: Validate Topology');
      const n = await vs!.wb.waitForNotification(/rosvpn\.json has 1 error/);
      assert.equal(n.severity, 'error');
      assert.deepEqual(n.buttons, ['Show Log']);
      await vs!.shot('03-error');
      await vs!.wb.clickNotificationButton(/rosvpn\.json has 1 error/, 'Show Log');
      const text = await vs!.wb.waitForOutput('ROS VPN', 'gateway.cloudIp');
      assert.match(text, /\[error\] rosvpn\.json: gateway\.cloudIp: 172\.31\.1\.300/);
      await vs!.shot('04-show-log');
    });

    describe('harness self-test on the probe extension', function () {
      it('activity bar, custom tree rows with descriptions, expand, tooltip', async () => {
        const wb = vs!.wb;
        assert.ok((await wb.activityBarTitles()).includes('UI Probe'));
        await wb.openViewContainer('UI Probe');
        const rows = await wb.waitForTreeRow('Alpha', 'Probe Tree');
        assert.deepEqual(
          rows.map((r) => [r.label, r.description, r.level, r.expanded]),
          [
            ['Alpha', '10.0.0.1', 1, false],
            ['Beta', '10.0.0.2', 1, undefined],
          ],
        );
        assert.match(rows[0].ariaLabel, /^Alpha tooltip/);
        await wb.setTreeRowExpanded('Alpha', true, 'Probe Tree');
        const expanded = await wb.waitForTreeRow('Alpha child', 'Probe Tree');
        assert.deepEqual(expanded.find((r) => r.label === 'Alpha child')?.level, 2);
        assert.equal(await wb.treeRowTooltip('Alpha', 'Probe Tree'), 'Alpha tooltip');
        await vs!.shot('10-probe-tree');
      });

      it('welcome content of an empty view, view title actions', async () => {
        const wb = vs!.wb;
        const welcome = await wb.viewWelcome('Probe Empty');
        assert.match(welcome.text, /Nothing to show yet/);
        assert.deepEqual(welcome.buttons, ['Say Hello']);
        assert.ok((await wb.viewTitleActions('Probe Tree')).includes('Say Hello'));
        await wb.clickViewTitleAction('Say Hello', 'Probe Tree');
        // A view's title action is called with the tree's focused element (Alpha, selected above).
        await wb.waitForNotification('Hello Alpha');
        await wb.clearNotifications();
      });

      it('inline action, notification buttons, context menu, modal dialog', async () => {
        const wb = vs!.wb;
        assert.deepEqual(await wb.treeInlineActions('Beta', 'Probe Tree'), ['Say Hello']);
        await wb.treeInlineAction('Beta', 'Say Hello', 'Probe Tree');
        const n = await wb.waitForNotification('Hello Beta');
        assert.deepEqual(n.buttons, ['Again', 'Done']);
        await wb.clickNotificationButton('Hello Beta', 'Again');
        await wb.waitForNotification('Clicked Again');
        assert.deepEqual(await wb.treeContextMenu('Alpha', 'Probe Tree'), ['Say Hello', 'Ask']);
        await vs!.shot('11-probe-context-menu');
        await wb.clickContextMenuItem('Ask');
        const d = await wb.waitForDialog();
        assert.deepEqual(d, { message: 'Really remove Alpha?', detail: 'This cannot be undone.', buttons: ['Cancel', 'Remove'] });
        await vs!.shot('12-probe-dialog');
        await wb.answerDialog('Remove');
        await wb.waitForNotification('Answer: Remove');
        await wb.clearNotifications();
      });

      it('quick pick and input box with validation', async () => {
        const wb = vs!.wb;
        await wb.runCommand('Probe: Pick');
        assert.deepEqual(await wb.quickPickItems(), ['one', 'two', 'three']);
        assert.equal((await wb.quickInputState()).placeholder, 'Pick a number');
        await wb.pickQuickItem('two');
        await wb.typeInQuickInput('1.2.3', false);
        await poll('the validation message', async () =>
          (await wb.quickInputState()).message === 'not an IPv4 address' ? true : undefined,
        );
        await vs!.shot('13-probe-input-validation');
        await wb.typeInQuickInput('10.1.2.3');
        await wb.waitForNotification('Picked two and 10.1.2.3');
        const history = await wb.notificationHistory();
        assert.ok(
          history.some((n) => n.message === 'Picked two and 10.1.2.3'),
          JSON.stringify(history),
        );
      });

      it('webview: read, fill and click inside iframe.webview > iframe#active-frame', async () => {
        const wb = vs!.wb;
        await wb.runCommand('Probe: Open Webview');
        const form = await wb.webview('rosvpntest.uiprobe');
        assert.equal(await form.locator('#h').innerText(), 'Probe form');
        await form.locator('#addr').fill('1.2.3.4');
        await form.locator('#save').click();
        await form.locator('#out', { hasText: 'saved 1.2.3.4' }).waitFor({ timeout: 10_000 });
        await wb.waitForNotification('Webview said 1.2.3.4');
        assert.ok((await wb.editorTabs()).includes('Probe Form'));
        await vs!.shot('14-probe-webview');
      });

      it('terminals: a Pseudoterminal and a real shell, read as DOM text', async () => {
        const wb = vs!.wb;
        await wb.runCommand('Probe: Open Pseudoterminal');
        await wb.waitForTerminalText('probe line 3');
        await wb.runCommand('Terminal: Create New Terminal');
        await wb.waitForTerminalText(/[$#] ?$/);
        await wb.typeInTerminal('echo ui-$((6*7))\n');
        const text = await wb.waitForTerminalText(/^ui-42$/m);
        assert.match(text, /echo ui-\$\(\(6\*7\)\)/);
        assert.deepEqual(await wb.terminalTitles(), ['Probe Log', 'bash']);
        await vs!.shot('15-probe-terminal');
      });

      it('status bar items', async () => {
        const item = await vs!.wb.waitForStatusBarItem('Probe: up');
        assert.equal(item.text, 'Probe: up');
      });
    });
  });

  describe('code-server and Chromium inside a network namespace', function () {
    const ns = `rvui${process.pid}`;
    let ws: TempWorkspace;
    let vs: VsCode | undefined;

    before(async function () {
      // A namespace with nothing but loopback: the page must still load, through the namespace's 127.0.0.1.
      const r = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
      assert.equal(r.status, 0, `ip netns add ${ns}: ${r.stderr}`);
      ws = tempWorkspace({ 'rosvpn.json': fs.readFileSync(FIXTURE, 'utf8') });
      vs = await VsCode.open({ workspace: ws.dir, vsix: [vsix], netns: ns, env: AWS_OFFLINE, artifacts: new Artifacts('smoke-netns') });
    });
    afterEach(async function () {
      await shotOnFailure(this, vs);
    });
    after(async () => {
      try {
        await vs?.close();
      } finally {
        ws?.remove();
        spawnSync('ip', ['netns', 'delete', ns]);
      }
    });

    it('serves the workbench only inside the namespace, and the extension runs there', async () => {
      // The same port on the test's own loopback answers nothing: the server really is in the namespace.
      const port = new URL(vs!.server.url).port;
      const probe = spawnSync(
        process.execPath,
        ['-e', `require('http').get('http://127.0.0.1:${port}/healthz', () => process.exit(0)).on('error', () => process.exit(3))`],
        { timeout: 10_000 },
      );
      assert.equal(probe.status, 3, 'code-server must not be reachable outside its namespace');
      await vs!.wb.runCommand('ROS VPN: Validate Topology');
      await vs!.wb.waitForNotification('rosvpn.json is valid');
      await vs!.shot('01-valid-in-netns');
    });
  });
});
