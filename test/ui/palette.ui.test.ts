// Typing a command's full title into the palette and pressing Enter runs that command, for every command
// in package.json, in a real VS Code (code-server + Chromium). Which command ran is read from the log the
// registry writes (`command: <title> (<id>)`), never from what the test clicked: it never clicks a row.
// Each command is typed right after a "near" one ran (the palette lists recently used commands first).
// Negative control: a second extension contributes "ROS VPN: Provision Desktop Gateway" (the title the
// desktop command once had), and with it the same check reports that typing "ROS VPN: Provision Gateway"
// ran that one. Everything runs in a network namespace with nothing but loopback, so the commands that
// would reach hosts or EC2 fail harmlessly: SSH has no route, EC2 goes to a closed loopback port.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { run } from '../../lab/sh';
import { Artifacts, type CodeServer, ensureVsix, poll, REPO_ROOT, tempWorkspace, type TempWorkspace, VsCode } from './harness';
import { packExtension } from './harness/probeExtension';

interface Contributed {
  command: string;
  title: string;
  category?: string;
}
const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
const fullTitle = (c: Contributed) => (c.category ? `${c.category}: ${c.title}` : c.title);

/** A command some earlier version of a title may have collided with: typed just before the command. */
const NEAR: Record<string, string> = { 'rosvpn.provisionGateway': 'rosvpn.provisionDesktop', 'rosvpn.refresh': 'rosvpn.cloudStatus' };

/**
 * The order to type the commands in: grouped by the title's first word (Provision …, Open …, Refresh …),
 * each preceded by a command of its own group (or by its NEAR one), so that every command is typed just
 * after one whose title starts alike has run.
 */
function typingOrder(commands: Contributed[]): Contributed[] {
  const firstWord = (c: Contributed) => c.title.split(' ')[0];
  const sorted = [...commands].sort(
    (a, b) => firstWord(a).localeCompare(firstWord(b)) || b.title.length - a.title.length || a.title.localeCompare(b.title),
  );
  const byId = new Map(commands.map((c) => [c.command, c]));
  const seq: Contributed[] = [];
  for (const [i, c] of sorted.entries()) {
    const group = sorted.filter((x) => firstWord(x) === firstWord(c));
    const prevInGroup =
      group.length > 1 ? (i > 0 && firstWord(sorted[i - 1]) === firstWord(c) ? sorted[i - 1] : group[group.length - 1]) : undefined;
    const near = NEAR[c.command] ? byId.get(NEAR[c.command]) : prevInGroup;
    if (near && seq[seq.length - 1] !== near) seq.push(near);
    seq.push(c);
  }
  return seq;
}

// The negative control's extension: one command with the old title, logging like the registry does and
// shown in the palette only after "Old Titles: Show the Old Title" has set a context key.
const OLD_ID = 'rosvpntest.provisionDesktopGateway';
const OLD_EXT = 'rosvpntest.oldtitles';
const oldTitles = {
  manifest: {
    name: 'oldtitles',
    displayName: 'Old Titles (test)',
    publisher: 'rosvpntest',
    version: '0.0.1',
    license: 'UNLICENSED',
    engines: { vscode: '^1.90.0' },
    main: './extension.js',
    activationEvents: [],
    contributes: {
      commands: [
        { command: OLD_ID, title: 'Provision Desktop Gateway', category: 'ROS VPN' },
        { command: 'rosvpntest.showOldTitle', title: 'Show the Old Title', category: 'Old Titles' },
      ],
      menus: { commandPalette: [{ command: OLD_ID, when: 'rosvpntest.oldTitles' }] },
    },
  },
  js: `const vscode = require('vscode');
exports.activate = (context) => {
  const log = vscode.window.createOutputChannel('Old Titles', { log: true });
  context.subscriptions.push(log, vscode.commands.registerCommand(${JSON.stringify(OLD_ID)}, () => log.info('command: ROS VPN: Provision Desktop Gateway (${OLD_ID})')));
  context.subscriptions.push(vscode.commands.registerCommand('rosvpntest.showOldTitle', () => vscode.commands.executeCommand('setContext', 'rosvpntest.oldTitles', true)));
};
exports.deactivate = () => {};
`,
};

interface Ran {
  at: string;
  title: string;
  id: string;
}

/** Every `command:` line the extensions' log channels have written so far, oldest first. */
function commandsRun(server: CodeServer): Ran[] {
  const out: Ran[] = [];
  for (const ext of ['rosvpn.rosvpn', OLD_EXT]) {
    for (const { text } of server.extensionLogs(ext)) {
      for (const m of text.matchAll(/^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) \[info\] command: (.*) \(([\w.]+)\)$/gm))
        out.push({ at: m[1], title: m[2], id: m[3] });
    }
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("typing a command's full title in the palette and pressing Enter runs that command (code-server + Chromium)", function () {
  this.timeout(900_000);
  const ns = `rvpal${process.pid % 1000}`;
  let ws: TempWorkspace;
  let vs: VsCode;
  let old: { vsix: string; remove: () => void } | undefined;
  const typed: string[] = [];

  /** Types `title` (palette via F1, keystrokes, Enter) and returns the command(s) that ran, read from the
   *  logs; fails unless exactly `expectId` ran. */
  async function typeAndCheck(title: string, expectId: string): Promise<void> {
    const before = commandsRun(vs.server).length;
    const rows = await vs.wb.typeInPalette(title);
    await vs.page.keyboard.press('Enter');
    typed.push(title);
    const ran = await poll(
      `a command to run after typing "${title}"`,
      async () => {
        const now = commandsRun(vs.server).slice(before);
        return now.length ? now : undefined;
      },
      20_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; the palette showed: ${rows.map((r) => r.id).join(', ') || 'nothing'}`);
    });
    // Anything else the Enter set off would log within this second too.
    await sleep(1000);
    const all = commandsRun(vs.server).slice(before);
    const ids = all.map((r) => r.id);
    if (ids.length !== 1 || ids[0] !== expectId) {
      throw new Error(
        `typing "${title}" + Enter ran ${ids.join(', ')}, not ${expectId} (the palette's rows: ${rows.map((r) => r.id).join(', ')})`,
      );
    }
    assert.equal(ran[0].title, title, 'the log names the full title');
  }

  /** Closes whatever the command opened: quick picks and input boxes (Escape), modal dialogs (Cancel),
   *  editors and webviews; waits until nothing new has opened for a while. */
  async function closeWhatOpened(): Promise<void> {
    const quick = vs.page.locator('.quick-input-widget');
    const dialog = vs.page.locator('.monaco-dialog-box');
    let quiet = 0;
    const until = Date.now() + 20_000;
    while (quiet < 4 && Date.now() < until) {
      await sleep(400);
      if (
        await dialog
          .first()
          .isVisible()
          .catch(() => false)
      ) {
        await vs.wb.answerDialog('Cancel');
        quiet = 0;
      } else if (await quick.isVisible().catch(() => false)) {
        await vs.page.keyboard.press('Escape');
        quiet = 0;
      } else quiet++;
    }
    if ((await vs.wb.editorTabs()).length > 0) {
      await vs.wb.runCommand('View: Close All Editors');
      await poll('the editors to close', async () => ((await vs.wb.editorTabs()).length === 0 ? true : undefined), 10_000);
    }
  }

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (ip netns) to keep the extension off every network');
    const vsix = ensureVsix();
    old = packExtension('oldtitles', {
      'package.json': JSON.stringify(oldTitles.manifest, null, 2),
      'extension.js': oldTitles.js,
      'README.md': '# Old Titles\n\nTest fixture.\n',
    });
    assert.equal(run('ip', ['netns', 'add', ns]).status, 0, `ip netns add ${ns}`);
    ws = tempWorkspace({ 'rosvpn.json': fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/topologies/vxlan-3.json'), 'utf8') });
    vs = await VsCode.open({
      workspace: ws.dir,
      vsix: [vsix, old.vsix],
      netns: ns,
      env: {
        // EC2 on a closed port of the namespace's own loopback; no metadata service, dummy credentials.
        AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:9',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ACCESS_KEY_ID: 'AKIDUITEST',
        AWS_SECRET_ACCESS_KEY: 'dummy-ui-test',
        AWS_CONFIG_FILE: '/nonexistent',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
        AWS_REGION: '',
        AWS_PROFILE: '',
      },
      settings: { 'rosvpn.aws.region': 'us-west-2', 'rosvpn.checkIntervalSeconds': 0 },
      artifacts: new Artifacts('palette'),
    });
    await vs.wb.openViewContainer('ROS VPN');
    await vs.wb.waitForTreeRow('Cloud Gateway');
  });

  afterEach(async function () {
    if (!vs || this.currentTest?.state !== 'failed') return;
    await vs.shot(`failed-${this.currentTest.title}`).catch(() => undefined);
    for (const ext of ['rosvpn.rosvpn', OLD_EXT])
      for (const l of vs.server.extensionLogs(ext)) vs.artifacts?.write(`${ext}-${path.basename(l.file)}`, l.text);
    vs.artifacts?.write('typed.txt', typed.join('\n'));
  });

  after(async () => {
    await vs?.close().catch(() => undefined);
    ws?.remove();
    old?.remove();
    run('ip', ['netns', 'delete', ns]);
    assert.equal(run('ip', ['netns', 'list']).stdout.includes(ns), false, `namespace ${ns} left behind`);
  });

  it('every contributed command, typed in full after a near one ran, runs itself', async () => {
    const commands: Contributed[] = pkg.contributes.commands;
    const hidden = new Set(
      ((pkg.contributes.menus?.commandPalette ?? []) as { command: string; when?: string }[])
        .filter((m) => m.when === 'false')
        .map((m) => m.command),
    );
    const order = typingOrder(commands.filter((c) => !hidden.has(c.command)));
    // Every command is typed, and the former collisions are typed right after the command they collided with.
    assert.deepEqual(new Set(order.map((c) => c.command)), new Set(commands.map((c) => c.command)));
    for (const [id, near] of Object.entries(NEAR)) {
      const i = order.findIndex((c) => c.command === id);
      assert.equal(order[i - 1]?.command, near, `${id} is typed right after ${near}`);
    }
    for (const [i, c] of order.entries()) {
      await typeAndCheck(fullTitle(c), c.command);
      if (c.command === 'rosvpn.provisionGateway') await vs.shot(`${String(i).padStart(2, '0')}-typed-provision-gateway`);
      await closeWhatOpened();
    }
    await vs.shot('palette-all-typed');
  });

  it('negative control: with a command titled "ROS VPN: Provision Desktop Gateway" installed, typing "ROS VPN: Provision Gateway" runs that one, and the check says so', async () => {
    await vs.wb.runCommand('Old Titles: Show the Old Title');
    await vs.wb.waitForCommand('ROS VPN: Provision Desktop Gateway', 30_000);
    // The old collision, as it was: the longer title ran last, and the palette lists it for the shorter one.
    await typeAndCheck('ROS VPN: Provision Desktop Gateway', OLD_ID);
    await closeWhatOpened();
    const rows = await vs.wb.typeInPalette('ROS VPN: Provision Gateway');
    assert.deepEqual(
      rows.slice(0, 2).map((r) => r.id),
      [OLD_ID, 'rosvpn.provisionGateway'],
      'both are listed, the old title first',
    );
    await vs.shot('negative-control-palette');
    await vs.page.keyboard.press('Escape');
    await assert.rejects(
      typeAndCheck('ROS VPN: Provision Gateway', 'rosvpn.provisionGateway'),
      new RegExp(`ran ${OLD_ID.replace(/\./g, '\\.')}, not rosvpn\\.provisionGateway`),
    );
    await closeWhatOpened();
  });
});
