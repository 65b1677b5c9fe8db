// Restricted Mode in a real VS Code (code-server + Chromium) with workspace trust on, as VS Code ships it:
// an untrusted folder shows the topology read-only, says that provisioning, SSH and EC2 need trust and
// offers Manage Workspace Trust; the gated commands are gone from menus and palette, and invoking one
// anyway (the status bar item runs Check Connectivity) is refused. Trusting the folder from the view turns
// the same view into the normal one, without a reload. In a network namespace with nothing but loopback,
// so that a guard that failed could reach no host and no EC2 endpoint.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { run } from '../../lab/sh';
import { Artifacts, ensureVsix, poll, REPO_ROOT, tempWorkspace, type TempWorkspace, VsCode } from './harness';

const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
const MESSAGE = /Restricted Mode: this folder is not trusted, so the topology is shown read-only\. Provisioning, SSH and EC2 need trust\./;

describe('Restricted Mode: the ROS VPN view in an untrusted folder, then trusted (code-server + Chromium)', function () {
  this.timeout(600_000);
  const ns = `rvtru${process.pid % 1000}`;
  let ws: TempWorkspace;
  let vs: VsCode;

  const log = () =>
    vs.server
      .extensionLogs('rosvpn.rosvpn')
      .map((l) => l.text)
      .join('\n');
  /** The text above the tree (TreeView.message), or '' when there is none. */
  const viewMessage = async () => {
    const m = vs.wb.view().locator('.message').filter({ visible: true });
    return (await m.count()) ? (await m.first().innerText()).replace(/\s+/g, ' ').trim() : '';
  };
  const labels = async () => (await vs.wb.treeRows()).map((r) => r.label);

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (ip netns) to keep the extension off every network');
    const vsix = ensureVsix();
    assert.equal(run('ip', ['netns', 'add', ns]).status, 0, `ip netns add ${ns}`);
    ws = tempWorkspace({ 'rosvpn.json': fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/topologies/vxlan-3.json'), 'utf8') });
    vs = await VsCode.open({
      workspace: ws.dir,
      vsix: [vsix],
      netns: ns,
      workspaceTrust: true,
      env: {
        AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:9',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ACCESS_KEY_ID: 'AKIDUITEST',
        AWS_SECRET_ACCESS_KEY: 'dummy-ui-test',
        AWS_CONFIG_FILE: '/nonexistent',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
        AWS_REGION: '',
        AWS_PROFILE: '',
      },
      // No trust prompt at startup: the window opens in Restricted Mode, as after "Don't Trust".
      settings: { 'security.workspace.trust.startupPrompt': 'never', 'rosvpn.aws.region': 'us-west-2' },
      artifacts: new Artifacts('restricted-mode'),
    });
  });

  afterEach(async function () {
    if (!vs || this.currentTest?.state !== 'failed') return;
    await vs.shot(`failed-${this.currentTest.title}`).catch(() => undefined);
    vs.artifacts?.write('ROS VPN.log', log());
  });

  after(async () => {
    await vs?.close().catch(() => undefined);
    ws?.remove();
    run('ip', ['netns', 'delete', ns]);
    assert.equal(run('ip', ['netns', 'list']).stdout.includes(ns), false, `namespace ${ns} left behind`);
  });

  it('untrusted: the view shows the topology read-only, says why, and offers Manage Workspace Trust; gated commands are absent or refused', async () => {
    await vs.wb.openViewContainer('ROS VPN');
    const rows = await vs.wb.waitForTreeRow('second-3');
    assert.deepEqual(
      rows.map((r) => r.label),
      [
        'Manage Workspace Trust',
        'Robot network',
        'Desktop Gateway',
        'Cloud Gateway',
        'Second instances',
        'second',
        'second-2',
        'second-3',
        'Clients',
      ],
    );
    assert.equal(rows[0].description, 'to provision, use SSH and EC2');
    assert.equal(rows.find((r) => r.label === 'Cloud Gateway')?.description, '44.232.53.80 · 172.31.1.11 · 192.168.0.130');
    assert.match(await poll('the view message', async () => (await viewMessage()) || undefined, 15_000), MESSAGE);
    // Read-only: no action on a host, none that provisions or checks in the title bar.
    const title = await vs.wb.viewTitleActions();
    assert.ok(!title.includes('Provision All') && !title.includes('Check Connectivity'), title.join(', '));
    assert.ok(title.includes('Refresh Topology View'), title.join(', '));
    assert.deepEqual(await vs.wb.treeInlineActions('Second instances'), []);
    assert.deepEqual(await vs.wb.treeInlineActions('Cloud Gateway'), []);
    assert.deepEqual(await vs.wb.treeInlineActions('Clients'), [], 'no Add Client');
    await vs.shot('01-restricted');
    // The palette offers none of the commands gated by trust (each looked up by its full title); reading
    // the topology is still there (control: the same lookup finds it).
    await vs.wb.waitForCommand('ROS VPN: Validate Topology');
    const gated = (pkg.contributes.commands as { command: string; title: string; enablement?: string }[]).filter(
      (c) => c.enablement === 'isWorkspaceTrusted',
    );
    assert.ok(gated.length >= 10);
    for (const c of gated) {
      const shown = await vs.wb.paletteMatches(`ROS VPN: ${c.title}`);
      assert.ok(!shown.some((e) => e.id === c.command), `${c.command} is in the palette: ${shown.map((e) => e.id).join(', ')}`);
    }
    // Invoked directly (the status bar item runs Check Connectivity), the registry refuses and says how to trust.
    await vs.page.locator('.part.statusbar .statusbar-item', { hasText: 'ROS VPN' }).first().click();
    const n = await vs.wb.waitForNotification(/ROS VPN: Check Connectivity needs a trusted folder/);
    assert.deepEqual(n.buttons, ['Manage Workspace Trust']);
    await poll(
      'the refusal in the log',
      async () => (/Check Connectivity: not run, this folder is not trusted/.test(log()) ? true : undefined),
      10_000,
    );
    assert.match(log(), /command: ROS VPN: Check Connectivity \(rosvpn\.checkConnectivity\)/);
    assert.doesNotMatch(log(), /check gateway|ssh: cannot connect|\[gateway\] provisioning/, 'nothing tried to reach a host');
    await vs.shot('02-refused');
    await vs.wb.clearNotifications();
  });

  it('trusting the folder from the view shows the normal view in place, without a reload; the Restricted Mode message is gone (negative control)', async () => {
    await vs.page.evaluate('window.__rosvpnSamePage = true');
    const hosts = () => new Set(vs.server.extensionLogs('rosvpn.rosvpn').map((l) => path.basename(path.dirname(path.dirname(l.file)))));
    assert.deepEqual([...hosts()], ['exthost1']);
    await vs.wb.treeRow('Manage Workspace Trust').click();
    const trust = vs.page
      .locator('.workspace-trust-editor .monaco-button', { hasText: /^\s*Trust\s*$/ })
      .filter({ visible: true })
      .first();
    await trust.waitFor({ timeout: 30_000 }).catch(async (e: Error) => {
      const buttons = await vs.page.locator('.part.editor .monaco-button').allInnerTexts();
      throw new Error(`${e.message}; buttons in the editor: ${buttons.join(' | ')}`);
    });
    await vs.shot('03-trust-editor');
    await trust.click();
    await poll(
      'the Manage Workspace Trust row to go',
      async () => ((await labels()).includes('Manage Workspace Trust') ? undefined : true),
      30_000,
    );
    await vs.wb.runCommand('View: Close All Editors');
    await vs.wb.openViewContainer('ROS VPN');
    assert.deepEqual(await labels(), [
      'Robot network',
      'Desktop Gateway',
      'Cloud Gateway',
      'Second instances',
      'second',
      'second-2',
      'second-3',
      'Clients',
    ]);
    assert.equal(await viewMessage(), '', 'no Restricted Mode message once trusted');
    const inline = await poll(
      'the host actions',
      async () => {
        const a = await vs.wb.treeInlineActions('Cloud Gateway');
        return a.length ? a : undefined;
      },
      15_000,
    );
    assert.ok(inline.includes('Provision Gateway') && inline.includes('Check Connectivity'), inline.join(', '));
    await vs.shot('04-trusted');
    assert.ok((await vs.wb.viewTitleActions()).includes('Provision All'));
    await vs.wb.waitForCommand('ROS VPN: Provision Gateway');
    assert.equal(await vs.page.evaluate('window.__rosvpnSamePage === true'), true, 'the window was not reloaded');
    assert.deepEqual([...hosts()], ['exthost1'], 'the extension host was not restarted');
  });
});
