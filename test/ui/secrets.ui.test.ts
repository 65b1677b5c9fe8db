// Trust and secrets in a real VS Code, against Debian's real sshd on loopback: an encrypted key and a user
// whose sudo needs a password. The passphrase and the password are asked once, with where to keep them
// (this session only by default; here "Remember"), survive an extension-host restart through SecretStorage,
// never appear in settings or logs, and are asked again after "Forget".
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { makeKey, requireRootAndTools, Sshd, tempDir, type TestUser, TestUsers } from '../support/sshd';
import { Artifacts, ensureVsix, poll, tempWorkspace, type TempWorkspace, VsCode } from './harness';

const PASSPHRASE = `pp-${process.pid}-correct-horse`;

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

describe('ROS VPN in VS Code: host keys, passphrases and sudo passwords', function () {
  this.timeout(600_000);
  const users = new TestUsers();
  let user: TestUser;
  let sshd: Sshd;
  let ws: TempWorkspace;
  let vs: VsCode;
  let keyDir: string;

  /** Answers the passphrase and sudo prompts until the check's result shows; returns what was asked. */
  async function answerUntilChecked(): Promise<string[]> {
    const asked: string[] = [];
    await poll(
      'the check result',
      async () => {
        const widget = vs.page.locator('.quick-input-widget').first();
        const text = (await widget.isVisible().catch(() => false)) ? await widget.innerText().catch(() => '') : '';
        // Where to keep what was just typed: this session only is the default; Remember stores it in
        // SecretStorage, which the reload below proves.
        if (/Keep the .* where\?/.test(text)) {
          asked.push(`keep ${/sudo password/.test(text) ? 'sudo' : 'passphrase'}`);
          assert.deepEqual(await vs.wb.quickPickItems(), ['This session only', 'Remember on this machine (SecretStorage)']);
          await vs.wb.pickQuickItem('Remember on this machine (SecretStorage)');
          return undefined;
        }
        if (/Passphrase for the SSH key/.test(text)) {
          asked.push('passphrase');
          await vs.shot(`passphrase-${asked.length}`);
          await vs.wb.typeInQuickInput(PASSPHRASE);
          return undefined;
        }
        if (/sudo password/.test(text)) {
          asked.push('sudo');
          await vs.wb.typeInQuickInput(user.password!);
          return undefined;
        }
        return (await vs.wb.notifications()).some((x) => /check failed on gateway/.test(x.message)) ? true : undefined;
      },
      120_000,
    );
    const n = (await vs.wb.notifications()).find((x) => /check failed on gateway/.test(x.message))!;
    // Not provisioned, so the checks fail; but SSH and sudo worked: no failure is about them.
    assert.doesNotMatch(n.message, /\(ssh: |authentic|sudo/i, n.message);
    await vs.wb.clearNotifications();
    return asked;
  }

  async function checkGateway(): Promise<string[]> {
    await vs.wb.treeInlineAction('Cloud Gateway', 'Check Connectivity');
    return answerUntilChecked();
  }

  before(async function () {
    requireRootAndTools();
    const vsix = ensureVsix();
    user = users.add('uisec', { sudo: 'password' });
    keyDir = tempDir('ui-secrets');
    fs.chmodSync(keyDir, 0o755);
    const key = makeKey(path.join(keyDir, 'id_enc'), 'ed25519', PASSPHRASE);
    sshd = new Sshd();
    sshd.authorize(user.name, [key.publicLine]);
    await sshd.start();
    const raw = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'topologies', 'vxlan-1.json'), 'utf8'));
    raw.gateway = { ...raw.gateway, host: '127.0.0.1', port: sshd.port, user: user.name, identityFile: key.path };
    ws = tempWorkspace({ 'rosvpn.json': JSON.stringify(raw, null, 2) });
    vs = await VsCode.open({ workspace: ws.dir, vsix: [vsix], env: { SSH_AUTH_SOCK: '' }, artifacts: new Artifacts('extension-secrets') });
  });

  after(async () => {
    const errors: unknown[] = [];
    await vs?.close().catch((e) => errors.push(e));
    await sshd?.stop().catch((e) => errors.push(e));
    const left = await users.teardown();
    ws?.remove();
    if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
    assert.deepEqual(left, []);
    if (errors.length) throw errors[0];
  });

  it('asks for the SHA256 host key, the key passphrase and the sudo password once each', async () => {
    await vs.wb.openViewContainer('ROS VPN');
    await vs.wb.waitForTreeRow('Cloud Gateway');
    await vs.wb.treeInlineAction('Cloud Gateway', 'Check Connectivity');
    const dialog = await vs.wb.waitForDialog(60_000);
    assert.ok(
      sshd.hostKeys.some((k) => dialog.detail.includes(k.fingerprint)),
      `${dialog.detail} names none of ${sshd.hostKeys.map((k) => k.fingerprint).join(', ')}`,
    );
    await vs.shot('01-host-key');
    await vs.wb.answerDialog('Trust and Connect');
    assert.deepEqual(await answerUntilChecked(), ['passphrase', 'keep passphrase', 'sudo', 'keep sudo']);
  });

  it('after a window reload (a new extension host) nothing is asked again: both come from SecretStorage', async () => {
    await vs.page.reload();
    await vs.wb.waitReady();
    const rows = await poll(
      'the tree after the reload',
      async () => {
        await vs.wb.openViewContainer('ROS VPN');
        const r = await vs.wb.treeRows();
        return r.some((x) => x.label === 'Cloud Gateway') ? r : undefined;
      },
      120_000,
    ).catch(async (e) => {
      await vs.shot('03x-after-reload');
      throw e;
    });
    await vs.shot('03-after-reload');
    // A new extension host starts with nothing in memory: the status of the failed check is gone.
    assert.match(rows.find((r) => r.label === 'Cloud Gateway')!.ariaLabel, /unknown/);
    assert.deepEqual(await checkGateway(), []);
  });

  it('neither secret is in settings, logs or the "ROS VPN" output', async () => {
    await vs.wb.showOutputChannel('ROS VPN');
    const output = await vs.wb.outputAllText();
    assert.match(output, /check gateway/);
    const files = [...filesUnder(vs.server.userDataDir), ...filesUnder(ws.dir)].filter((f) => /\.(json|log|txt)$/.test(f));
    assert.ok(
      files.some((f) => f.endsWith('settings.json')),
      'no settings.json looked at',
    );
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      assert.ok(!text.includes(PASSPHRASE) && !text.includes(user.password!), `a secret is in ${f}`);
    }
    assert.ok(!output.includes(PASSPHRASE) && !output.includes(user.password!), 'a secret is in the output');
  });

  it('negative control: after "Forget Stored Passwords" both are asked again', async () => {
    await vs.wb.runCommand('ROS VPN: Forget Stored Passwords');
    await vs.wb.waitForNotification(/forgot 2 stored/);
    await vs.wb.clearNotifications();
    await vs.wb.openViewContainer('ROS VPN');
    assert.deepEqual(await checkGateway(), ['passphrase', 'keep passphrase', 'sudo', 'keep sudo']);
  });
});
