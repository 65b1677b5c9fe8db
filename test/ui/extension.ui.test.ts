// The extension in a real VS Code (code-server) in a real browser, without hosts: the topology view, the
// palette, the view following rosvpn.json, the welcome view and import, the setup form, Add Second.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import { Artifacts, ensureVsix, poll, tempWorkspace, type TempWorkspace, VsCode } from './harness';

const fixture = (name: string) => fs.readFileSync(`${__dirname}/../fixtures/topologies/${name}.json`, 'utf8');
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

describe('ROS VPN in VS Code (code-server + Chromium)', function () {
  let vsix: string;
  before(() => {
    vsix = ensureVsix();
  });

  describe('a workspace with a three-second topology', function () {
    let ws: TempWorkspace;
    let vs: VsCode;

    before(async function () {
      // An unknown key the form and the tree must leave alone.
      const raw = { ...JSON.parse(fixture('vxlan-3')), 'x-team-notes': 'keep me' };
      ws = tempWorkspace({ 'rosvpn.json': JSON.stringify(raw, null, 2) });
      vs = await VsCode.open({ workspace: ws.dir, vsix: [vsix], artifacts: new Artifacts('extension-three-seconds') });
    });

    after(async () => {
      await vs?.close();
      ws?.remove();
    });

    it('the ROS VPN view lists robot network, desktop, gateway and every second with their addresses', async () => {
      await vs.wb.openViewContainer('ROS VPN');
      await vs.wb.waitForTreeRow('second-3');
      const rows = await vs.wb.treeRows();
      const row = (label: string) => rows.find((r) => r.label === label);
      assert.equal(row('Robot network')?.description, '192.168.0.0/24');
      assert.equal(row('Cloud Gateway')?.description, '44.232.53.80 · 172.31.1.11 · 192.168.0.130');
      assert.equal(row('Desktop Gateway')?.description, 'localhost · eno1 · 192.168.0.10/24');
      assert.equal(row('second')?.description, '172.31.1.12 · 192.168.0.131');
      assert.equal(row('second-3')?.description, '172.31.1.14 · 192.168.0.133');
      assert.match(row('Cloud Gateway')!.ariaLabel, /unknown/);
      await vs.shot('01-tree');
    });

    it('a host offers at most three inline actions, and the rest in its context menu', async () => {
      const inline = await vs.wb.treeInlineActions('Cloud Gateway');
      assert.ok(inline.length >= 1 && inline.length <= 3, inline.join(', '));
      assert.ok(inline.includes('Provision Gateway'), inline.join(', '));
      const menu = await vs.wb.treeContextMenu('Cloud Gateway');
      for (const item of [
        'Provision Gateway',
        'Check Connectivity',
        'Stream OpenVPN Logs',
        'Open SSH Terminal',
        'Download Client Profile',
      ]) {
        assert.ok(menu.includes(item), `${item} missing from ${menu.join(', ')}`);
      }
      await vs.shot('02-context-menu');
      await vs.page.keyboard.press('Escape');
      const secondMenu = await vs.wb.treeContextMenu('second-2');
      assert.ok(secondMenu.includes('Remove Second Instance') && !secondMenu.includes('Download Client Profile'), secondMenu.join(', '));
      await vs.page.keyboard.press('Escape');
    });

    it('"ROS VPN: Provision Gateway" and the other commands are in the palette', async () => {
      // The palette's list is virtual (only the rows in view exist in the page): look each command up by name.
      for (const t of [
        'Provision Gateway',
        'Provision Second Instance',
        'Provision Desktop',
        'Provision All',
        'Open Setup Form',
        'Download Client Profile',
        'Stream OpenVPN Logs',
        'Check Connectivity',
        'Open SSH Terminal',
        'Add Second Instance',
        'Show Cloud Plan',
        'Launch Cloud Instances',
        'Refresh Cloud Status',
        'Tear Down Cloud Resources',
      ]) {
        await vs.wb.waitForCommand(`ROS VPN: ${t}`, 15_000);
      }
      // Negative control: a title the extension does not contribute is not found.
      await assert.rejects(vs.wb.waitForCommand('ROS VPN: Reticulate Splines', 3000), /timed out/);
      await vs.page.keyboard.press('F1');
      await vs.page.keyboard.type('>ROS VPN: ');
      await vs.shot('03-palette');
      await vs.page.keyboard.press('Escape');
    });

    it('the view follows rosvpn.json: an edit shows up; an invalid file empties it and the welcome says why', async () => {
      const file = ws.file('rosvpn.json');
      const good = fs.readFileSync(file, 'utf8');
      const raw = JSON.parse(good);
      raw.seconds[2].vpnIp = '192.168.0.150/24';
      fs.writeFileSync(file, JSON.stringify(raw, null, 2));
      await poll('second-3 at its new address', async () =>
        (await vs.wb.treeRows()).find((r) => r.label === 'second-3')?.description === '172.31.1.14 · 192.168.0.150' ? true : undefined,
      );
      fs.writeFileSync(file, good.replace('"172.31.1.11"', '"172.31.1.999"'));
      const welcome = await poll('the invalid-file welcome', async () => {
        const w = await vs.wb.viewWelcome().catch(() => undefined);
        return w && /rosvpn\.json has errors/.test(w.text) ? w : undefined;
      });
      assert.ok(welcome.buttons.includes('Validate Topology'), welcome.buttons.join(', '));
      assert.deepEqual((await vs.wb.treeRows()).length, 0);
      await vs.shot('04-invalid-file-welcome');
      fs.writeFileSync(file, good);
      await vs.wb.waitForTreeRow('second-3');
    });

    it('the setup form shows an error beside a bad address, keeps the file, and saves a good one (unknown keys kept)', async () => {
      const file = ws.file('rosvpn.json');
      const before = fs.readFileSync(file, 'utf8');
      await vs.wb.runCommand('ROS VPN: Open Setup Form');
      const form = await vs.wb.webview();
      const cloudIp = form.locator('[data-field="gateway.cloudIp"]');
      await cloudIp.waitFor({ timeout: 30_000 });
      assert.equal(await cloudIp.inputValue(), '172.31.1.11');
      await cloudIp.fill('172.31.1.999');
      const error = form.locator('[data-error-for="gateway.cloudIp"]');
      await poll('the error beside gateway.cloudIp', async () => ((await error.textContent())?.trim() ? true : undefined));
      assert.match((await error.textContent())!, /172\.31\.1\.999/);
      assert.equal(await cloudIp.getAttribute('aria-invalid'), 'true');
      assert.equal(await form.locator('#save').isDisabled(), true, 'Save must be disabled while a field is wrong');
      await vs.shot('05-form-error');
      assert.equal(fs.readFileSync(file, 'utf8'), before, 'a bad value must not reach rosvpn.json');

      await cloudIp.fill('172.31.1.21');
      await poll('the error cleared', async () => ((await error.textContent())?.trim() ? undefined : true));
      await form.locator('#save').click();
      const saved = await poll('rosvpn.json saved', async () => {
        const j = readJson(file);
        return j.gateway.cloudIp === '172.31.1.21' ? j : undefined;
      });
      assert.equal(saved['x-team-notes'], 'keep me');
      assert.equal(saved.seconds.length, 3);
      assert.ok(
        fs.readFileSync(file, 'utf8').endsWith('}\n') && fs.readFileSync(file, 'utf8').includes('\n  "gateway": {'),
        'formatted JSON',
      );
      await poll('the tree shows the new gateway address', async () =>
        (await vs.wb.treeRows()).find((r) => r.label === 'Cloud Gateway')?.description?.includes('172.31.1.21') ? true : undefined,
      );
      await vs.shot('06-form-saved');
    });

    it('an open setup form comes back after a window reload, with its unsaved edit (a WebviewPanelSerializer)', async () => {
      const file = ws.file('rosvpn.json');
      await vs.wb.runCommand('ROS VPN: Open Setup Form');
      const before = await vs.wb.webview();
      const name = before.locator('[data-field="name"]');
      await name.waitFor({ timeout: 30_000 });
      assert.equal(await name.inputValue(), 'demo');
      await name.fill('demo-reloaded');
      const saved = fs.readFileSync(file, 'utf8');
      await vs.shot('06a-form-before-reload');
      // The window reload a user runs: the workbench saves its state (the webview's with it) and reloads.
      // (The browser's own reload does not wait for that save.)
      const navigated = vs.page.waitForEvent('framenavigated', { predicate: (f) => f === vs.page.mainFrame(), timeout: 60_000 });
      await vs.wb.runCommand('Developer: Reload Window').catch(() => undefined);
      await navigated;
      await vs.wb.waitReady();
      // A new extension host: the serializer re-creates the panel, and the script rebuilds the form from its state.
      const after = await vs.wb.webview(undefined, 120_000).catch(async (e) => {
        await vs.shot('06bx-form-after-reload');
        throw e;
      });
      const restored = after.locator('[data-field="name"]');
      await restored.waitFor({ timeout: 60_000 });
      await vs.shot('06b-form-after-reload');
      assert.equal(await restored.inputValue(), 'demo-reloaded', 'the unsaved edit is back');
      assert.equal(await after.locator('[data-field="gateway.cloudIp"]').inputValue(), '172.31.1.21', 'the saved value is back');
      assert.equal(fs.readFileSync(file, 'utf8'), saved, 'a reload saves nothing');
      // Wired to the new extension host: Save reaches it and it writes the file.
      await after.locator('#save').click();
      await poll(
        'rosvpn.json saved from the restored form',
        async () => (readJson(file).name === 'demo-reloaded' ? true : undefined),
        30_000,
      );
      fs.writeFileSync(file, saved);
      await vs.wb.runCommand('View: Close All Editors');
    });

    it('Add Second Instance from the tree suggests free addresses and writes the fourth second', async () => {
      await vs.wb.openViewContainer('ROS VPN');
      await vs.wb.treeInlineAction('Second instances', 'Add Second Instance');
      const values: string[] = [];
      for (let i = 0; i < 4; i++) {
        // Every step has a suggested value: accept it once the box holds it.
        const st = await vs.wb.acceptInputBox(new RegExp(`Add Second Instance \\(${i + 1}/4\\)`), (s) => s.value !== '');
        values.push(st.value);
      }
      assert.deepEqual(values.slice(0, 3), ['second-4', '172.31.1.15', '192.168.0.134/24']);
      const j = await poll('the fourth second in rosvpn.json', async () => {
        const x = readJson(ws.file('rosvpn.json'));
        return x.seconds.length === 4 ? x : undefined;
      });
      assert.equal(j.seconds[3].name, 'second-4');
      await vs.wb.waitForTreeRow('second-4');
      await vs.shot('07-added-second');
    });

    it('rosvpn.json is checked against the schema in the editor, and the rosvpn-second snippet inserts an entry', async () => {
      const file = ws.file('rosvpn.json');
      const good = fs.readFileSync(file, 'utf8');
      fs.writeFileSync(file, good.replace('"tunnel": "vxlan"', '"tunnel": "ipsec"'));
      try {
        await vs.wb.runCommand('ROS VPN: Open rosvpn.json');
        await vs.page.keyboard.press('Control+Shift+M');
        const problems = vs.page.locator('.markers-panel');
        await poll(
          'the schema error in Problems',
          async () => ((await problems.innerText().catch(() => '')).match(/vxlan[\s\S]*gretap|gretap[\s\S]*vxlan/) ? true : undefined),
          60_000,
        );
        await vs.shot('08-schema-problem');
      } finally {
        fs.writeFileSync(file, good);
      }
      // The snippet, inserted at the end of the open file (not saved).
      await vs.page.locator('.part.editor .monaco-editor .view-lines').first().click();
      await vs.page.keyboard.press('Control+End');
      await vs.wb.runCommand('Snippets: Insert Snippet');
      await vs.wb.pickQuickItem(/rosvpn-second|ROS VPN second instance/);
      await poll(
        'the inserted entry',
        async () =>
          (await vs.page.locator('.part.editor .monaco-editor .view-lines').first().innerText())
            .replace(/\u00a0/g, ' ')
            .includes('"jump": "gateway", "cloudIp"')
            ? true
            : undefined,
        15_000,
      );
      await vs.shot('09-snippet');
      await vs.wb.runCommand('File: Revert File');
    });
  });

  describe('an empty workspace', function () {
    let ws: TempWorkspace;
    let vs: VsCode;

    before(async function () {
      ws = tempWorkspace({ 'README.md': 'robot project\n' });
      vs = await VsCode.open({ workspace: ws.dir, vsix: [vsix], artifacts: new Artifacts('extension-empty-workspace') });
    });

    after(async () => {
      await vs?.close();
      ws?.remove();
    });

    it("the welcome view offers the setup form and the import; importing the guide's variables writes rosvpn.json", async () => {
      await vs.wb.openViewContainer('ROS VPN');
      const welcome = await poll('the welcome view', async () => {
        const w = await vs.wb.viewWelcome().catch(() => undefined);
        return w && w.buttons.length ? w : undefined;
      });
      assert.ok(
        welcome.buttons.includes('Open Setup Form') && welcome.buttons.includes('Import Guide Environment Variables'),
        welcome.buttons.join(', '),
      );
      await vs.shot('01-welcome');
      assert.equal(fs.existsSync(ws.file('rosvpn.json')), false);

      await vs.wb.runCommand('ROS VPN: Import Guide Environment Variables');
      // A bad value first: an error naming the variable, and no file.
      await vs.wb.typeInQuickInput(
        'export ROSVPN_GATEWAY_CLOUD_IP=172.31.1.11 ROSVPN_SECOND_CLOUD_IP=172.31.1.12 ROSVPN_GATEWAY_VPN_IP=192.168.0.130/24 ROSVPN_SECOND_VPN_IP=10.0.0.5/24',
      );
      await vs.wb.waitForNotification(/ROSVPN_SECOND_VPN_IP/);
      assert.equal(fs.existsSync(ws.file('rosvpn.json')), false, 'bad variables must not write a file');
      await vs.shot('02-import-error');
      await vs.wb.clearNotifications();

      await vs.wb.runCommand('ROS VPN: Import Guide Environment Variables');
      await vs.wb.typeInQuickInput(
        'export ROSVPN_GATEWAY_CLOUD_IP=172.31.1.11; export ROSVPN_SECOND_CLOUD_IP=172.31.1.12; export ROSVPN_GATEWAY_VPN_IP=192.168.0.130/24; export ROSVPN_SECOND_VPN_IP=192.168.0.131/24',
      );
      const j = await poll('rosvpn.json', async () =>
        fs.existsSync(ws.file('rosvpn.json')) ? readJson(ws.file('rosvpn.json')) : undefined,
      );
      assert.equal(j.gateway.cloudIp, '172.31.1.11');
      assert.equal(j.seconds[0].vpnIp, '192.168.0.131/24');
      await vs.wb.openViewContainer('ROS VPN');
      await vs.wb.waitForTreeRow('Cloud Gateway');
      await vs.shot('03-imported');
    });
  });

  describe('keyboard only: Set Up Topology Step by Step, and the walkthrough', function () {
    let ws: TempWorkspace;
    let vs: VsCode;

    before(async function () {
      ws = tempWorkspace({});
      vs = await VsCode.open({ workspace: ws.dir, vsix: [vsix], artifacts: new Artifacts('extension-quick-setup') });
    });

    after(async () => {
      await vs?.close();
      ws?.remove();
    });

    it('walks every step with the keyboard, refuses a bad cloud IP at its step, and saves rosvpn.json', async () => {
      await vs.wb.runCommand('ROS VPN: Set Up Topology Step by Step');
      const titles: string[] = [];
      let refused = false;
      for (let n = 0; n < 60; n++) {
        const st = await poll(
          'a quick setup step',
          async () => {
            const x = await vs.wb.quickInputState().catch(() => undefined);
            return x && /Quick Setup/.test(x.title) && !titles.includes(x.title + x.value) ? x : undefined;
          },
          15_000,
        ).catch(() => undefined);
        if (!st) break;
        titles.push(st.title + st.value);
        if (/review/.test(st.title)) {
          await vs.shot('02-review');
          await vs.wb.pickQuickItem(/Save rosvpn\.json/);
          break;
        }
        if (/Cloud gateway: cloud IP/.test(st.title) && !refused) {
          // The box gets its default value asynchronously: type until the value sticks and is judged.
          const typed = async (value: string, judged: (message: string) => boolean) =>
            poll(
              `the box to hold ${value}`,
              async () => {
                const x = await vs.wb.quickInputState();
                if (x.value !== value) {
                  await vs.wb.typeInQuickInput(value, false);
                  return undefined;
                }
                return judged(x.message) ? x : undefined;
              },
              15_000,
            );
          await typed('172.31.1.999', (m) => /172\.31\.1\.999/.test(m));
          await vs.page.keyboard.press('Enter');
          await new Promise((r) => setTimeout(r, 1000));
          const after = await vs.wb.quickInputState();
          if (!/Cloud gateway: cloud IP/.test(after.title)) await vs.shot('01x-moved-on');
          assert.match(after.title, /Cloud gateway: cloud IP/, `a bad value must not move on: ${JSON.stringify(after)}`);
          assert.match(after.message, /172\.31\.1\.999/);
          await vs.shot('01-step-error');
          refused = true;
          titles.pop();
          await typed('172.31.1.41', (m) => !/172\.31\.1\.41\b.*(not|must|outside)/.test(m) && !/999/.test(m));
          await vs.wb.acceptInputBox(st.title);
          continue;
        }
        await vs.wb.acceptInputBox(st.title);
      }
      assert.ok(refused, `never reached the cloud IP step: ${titles.join(' | ')}`);
      const j = await poll('rosvpn.json', async () =>
        fs.existsSync(ws.file('rosvpn.json')) ? readJson(ws.file('rosvpn.json')) : undefined,
      );
      assert.equal(j.gateway.cloudIp, '172.31.1.41');
      await vs.wb.openViewContainer('ROS VPN');
      await vs.wb.waitForTreeRow('Cloud Gateway');
      await vs.shot('03-saved');
    });

    it('the walkthrough leads from an empty folder to "the robot hears the cloud"', async () => {
      await vs.wb.runCommand('Welcome: Open Walkthrough...');
      await vs.wb.pickQuickItem(/ROS VPN/);
      const page = vs.page.locator('.gettingStartedContainer');
      await page.waitFor({ timeout: 30_000 });
      for (const step of [
        'Describe the topology',
        'Provision the cloud gateway',
        'Provision the second instances',
        'Bridge the desktop gateway',
        'The robot hears the cloud',
      ]) {
        await page.getByText(step, { exact: true }).first().waitFor({ timeout: 15_000 });
      }
      await vs.shot('04-walkthrough');
    });
  });
});
