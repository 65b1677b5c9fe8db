// The setup form's webview script, bundled as for the extension and run in a real Chromium under the same
// CSP. Only the host side is played by the test: acquireVsCodeApi records what the page posts and keeps its
// state in sessionStorage (so a reload is "hidden and shown again"); the extension's messages are posted to
// the window as VS Code delivers them. The form inside real code-server is the browser suite's job.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { fieldPaths, formFromDocument, validateForm, type FormState } from '../../src/extension/setupForm/formModel';
import type { ToWebview } from '../../src/extension/setupForm/protocol';
import { FIXTURES } from '../support/fixtures';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.join(__dirname, '..', '..');
const NONCE = 'dGVzdC1ub25jZS0xMjM0NQ==';

describe('setup form webview (Chromium)', function () {
  this.timeout(60_000);
  let dir: string;
  let server: http.Server;
  let browser: Browser;
  let page: Page;
  let base: string;
  const cspViolations: string[] = [];
  const vxlan3 = formFromDocument(JSON.parse(fs.readFileSync(path.join(FIXTURES, 'vxlan-3.json'), 'utf8')));

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-prereqs.sh (apt-get install chromium)`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-form-'));
    // Built the way esbuild.js builds dist/webview/setupForm.js: browser platform, IIFE.
    await esbuild.build({
      entryPoints: [path.join(ROOT, 'src/extension/setupForm/webview/main.ts')],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      outfile: path.join(dir, 'setupForm.js'),
      logLevel: 'silent',
    });
    fs.copyFileSync(path.join(ROOT, 'media/setupForm.css'), path.join(dir, 'setupForm.css'));
    // The panel's page and CSP, with 'self' standing in for webview.cspSource.
    const html = `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'self'; script-src 'nonce-${NONCE}'; img-src 'self' data:">
<link rel="stylesheet" href="/setupForm.css"><title>t</title></head>
<body><main id="app" aria-busy="true"><p>Loading…</p></main><script nonce="${NONCE}" src="/setupForm.js"></script></body></html>`;
    server = http.createServer((req, res) => {
      const file = req.url === '/setupForm.js' ? 'setupForm.js' : req.url === '/setupForm.css' ? 'setupForm.css' : undefined;
      if (file) {
        res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/css' });
        res.end(fs.readFileSync(path.join(dir, file)));
      } else {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(html);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    const context = await browser.newContext();
    page = await context.newPage();
    cspViolations.length = 0;
    page.on('console', (m) => {
      if (m.type() === 'error') cspViolations.push(m.text());
    });
    page.on('pageerror', (e) => cspViolations.push(e.message));
    // A string, not a function: tsx's transpiled functions call helpers that do not exist in the page.
    await page.addInitScript(`
      window.posted = JSON.parse(sessionStorage.getItem('posted') ?? '[]');
      window.acquireVsCodeApi = () => ({
        postMessage: (m) => {
          window.posted.push(JSON.parse(JSON.stringify(m)));
          sessionStorage.setItem('posted', JSON.stringify(window.posted));
        },
        getState: () => JSON.parse(sessionStorage.getItem('state') ?? 'null') ?? undefined,
        setState: (s) => sessionStorage.setItem('state', JSON.stringify(s)),
      });
    `);
    await page.goto(base);
  });

  afterEach(async () => {
    await page.context().close();
    assert.deepEqual(cspViolations, []);
  });

  // Page code as strings: the root tsconfig has no DOM types (the webview's own tsconfig has).
  const posted = async (): Promise<{ type: string; form?: FormState }[]> =>
    (await page.evaluate('window.posted')) as { type: string; form?: FormState }[];
  const send = async (m: ToWebview): Promise<void> => void (await page.evaluate(`window.postMessage(${JSON.stringify(m)}, '*')`));
  /** An attribute of the focused element. */
  const focused = async (attr: string): Promise<unknown> => page.evaluate(`document.activeElement?.getAttribute(${JSON.stringify(attr)})`);
  const field = (p: string) => page.locator(`[data-field="${p}"]`);
  const errorFor = (p: string) => page.locator(`[data-error-for="${p}"]`);

  it('says ready once and shows nothing until the extension loads a form', async () => {
    await page.waitForFunction('window.posted.length > 0');
    assert.deepEqual(await posted(), [{ type: 'ready' }]);
    assert.equal(await page.locator('[data-field]').count(), 0);
    await send({ type: 'load', form: vxlan3, file: 'rosvpn.json' });
    await field('gateway.cloudIp').waitFor();
    assert.equal(await field('gateway.cloudIp').inputValue(), '172.31.1.11');
  });

  it('every field has its data-field hook, a label and an error element; the form saves only when valid', async () => {
    await send({ type: 'load', form: vxlan3, file: 'rosvpn.json' });
    await field('name').waitFor();
    const paths = await page.locator('[data-field]').evaluateAll((els) => els.map((e) => e.getAttribute('data-field') as string));
    assert.deepEqual(paths, fieldPaths(vxlan3));
    for (const p of paths) {
      const input = field(p);
      const id = await input.getAttribute('id');
      assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, `label for ${p}`);
      assert.equal(await errorFor(p).count(), 1, `error element for ${p}`);
      assert.match((await input.getAttribute('aria-describedby')) ?? '', new RegExp(`${id}-error`));
    }
    assert.equal(await page.locator('#status').getAttribute('role'), 'status');
    assert.equal(await page.locator('#save').isEnabled(), true);

    await field('seconds[1].vpnIp').fill('192.168.1.5/24');
    assert.equal(await field('seconds[1].vpnIp').getAttribute('aria-invalid'), 'true');
    // The bundled validator says exactly what the core says in node.
    const bad = structuredClone(vxlan3);
    bad.seconds[1]!.vpnIp = '192.168.1.5/24';
    const core = validateForm(bad).fields['seconds[1].vpnIp']![0]!;
    assert.match(core.message, /is outside robotSubnet/);
    assert.equal(await errorFor('seconds[1].vpnIp').textContent(), `${core.message} — ${core.fix}`);
    assert.equal(await page.locator('#save').isDisabled(), true);
    assert.equal(await page.locator('#status').textContent(), '1 error: fix it to save.');
    assert.equal(await page.locator('[data-node="second-1"]').getAttribute('class'), 'node invalid');
    // Enter in a field neither submits nor saves.
    await field('seconds[1].vpnIp').press('Enter');

    await field('seconds[1].vpnIp').fill('192.168.0.140/24');
    assert.equal(await field('seconds[1].vpnIp').getAttribute('aria-invalid'), 'false');
    assert.equal(await errorFor('seconds[1].vpnIp').textContent(), '');
    await field('seconds[1].vpnIp').press('Enter');
    assert.deepEqual(
      (await posted()).map((m) => m.type),
      ['ready'],
    );
    await page.locator('#save').click();
    const saves = (await posted()).filter((m) => m.type === 'save');
    assert.equal(saves.length, 1);
    assert.equal(saves[0]!.form!.seconds[1]!.vpnIp, '192.168.0.140/24');
    assert.equal(await page.locator('#save').isDisabled(), true, 'no second save while one is in flight');
    await send({ type: 'saved', file: 'rosvpn.json' });
    assert.equal(await page.locator('#status').textContent(), 'Saved rosvpn.json.');
    assert.equal(await page.locator('#save').isEnabled(), true);
  });

  it('adds and removes second rows from the keyboard', async () => {
    await send({ type: 'load', form: vxlan3, file: 'rosvpn.json' });
    await page.locator('#add-second').focus();
    await page.keyboard.press('Enter');
    assert.equal(await field('seconds[3].name').inputValue(), 'second-4');
    assert.equal(await focused('data-field'), 'seconds[3].host');
    assert.equal(await errorFor('seconds[3].vpnIp').textContent(), '');
    await page.locator('[data-remove-second="0"]').focus();
    await page.keyboard.press('Space');
    assert.deepEqual(await page.locator('[data-field$="].name"]').evaluateAll((els) => els.map((e) => (e as { value: string }).value)), [
      'second-2',
      'second-3',
      'second-4',
    ]);
    assert.equal(await focused('data-remove-second'), '0');
    assert.equal(await page.locator('[data-node^="second-"]').count(), 3);
  });

  it('keeps unsaved edits when hidden and shown again; a reload from the file does not overwrite them', async () => {
    await send({ type: 'load', form: vxlan3, file: 'rosvpn.json' });
    // The file watcher reloads the same content (e.g. after a save): edits after that must still count.
    await send({ type: 'load', form: vxlan3, file: 'rosvpn.json' });
    await field('gateway.host').fill('my-gateway');
    await page.locator('#desktop-enabled').uncheck();
    assert.equal(await field('desktop.host').count(), 0);
    await page.reload();
    // Restored from getState before the extension answers, and ready said again.
    assert.equal(await field('gateway.host').inputValue(), 'my-gateway');
    assert.equal(await page.locator('#desktop-enabled').isChecked(), false);
    assert.deepEqual(
      (await posted()).map((m) => m.type),
      ['ready', 'ready'],
    );
    await send({ type: 'load', form: vxlan3, file: 'rosvpn.json' });
    assert.equal(await field('gateway.host').inputValue(), 'my-gateway');
  });

  it('shows the extension’s refusal beside the field and in the status line', async () => {
    await send({ type: 'load', form: vxlan3, file: 'rosvpn.json', notice: 'rosvpn.json has problems' });
    assert.equal(await page.locator('#notice').textContent(), 'rosvpn.json has problems');
    await page.locator('#save').click();
    await send({
      type: 'saveError',
      message: '1 error, first: gateway.cloudIp is outside cloudSubnet',
      diagnostics: [
        {
          severity: 'error',
          path: 'gateway.cloudIp',
          message: '172.31.1.11 is outside cloudSubnet 10.0.0.0/16',
          fix: 'use an address inside it',
        },
      ],
    });
    assert.equal(await page.locator('#status').textContent(), 'Not saved: 1 error, first: gateway.cloudIp is outside cloudSubnet');
    assert.equal(await field('gateway.cloudIp').getAttribute('aria-invalid'), 'true');
    assert.match((await errorFor('gateway.cloudIp').textContent()) ?? '', /outside cloudSubnet 10\.0\.0\.0\/16/);
  });

  it('static desktop addressing shows the address fields; tab order follows the form', async () => {
    const form = structuredClone(vxlan3);
    form.desktop!.addressing = 'dhcp';
    await send({ type: 'load', form, file: 'rosvpn.json' });
    assert.equal(await field('desktop.address').count(), 0);
    await field('desktop.addressing').selectOption('static');
    assert.equal(await field('desktop.address').inputValue(), '192.168.0.10/24');
    assert.equal(await focused('data-field'), 'desktop.addressing');
    await field('robotSubnet').focus();
    await page.keyboard.press('Tab');
    assert.equal(await focused('data-field'), 'tunnel');
  });

  it('client rows: labelled fields in form order, added and removed from the keyboard, saved with the form', async () => {
    const form = structuredClone(vxlan3);
    form.clients = [
      { name: 'alice-laptop', vpnIp: '192.168.0.150/24', host: '' },
      { name: 'field-pc', vpnIp: '192.168.0.151/24', host: '10.0.0.7' },
    ];
    await send({ type: 'load', form, file: 'rosvpn.json' });
    await field('clients[1].host').waitFor();
    const paths = await page.locator('[data-field]').evaluateAll((els) => els.map((e) => e.getAttribute('data-field') as string));
    assert.deepEqual(paths, fieldPaths(form));
    for (const p of paths.filter((x) => x.startsWith('clients'))) {
      const id = await field(p).getAttribute('id');
      assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, `label for ${p}`);
      assert.equal(await errorFor(p).count(), 1, `error element for ${p}`);
    }
    assert.equal(await field('clients[1].host').inputValue(), '10.0.0.7');
    await page.locator('#add-client').focus();
    await page.keyboard.press('Enter');
    assert.equal(await field('clients[2].name').inputValue(), 'client-3');
    assert.equal(await field('clients[2].vpnIp').inputValue(), '192.168.0.254/24');
    assert.equal(await focused('data-field'), 'clients[2].name');
    await page.locator('[data-remove-client="0"]').focus();
    await page.keyboard.press('Space');
    assert.deepEqual(
      await page
        .locator('[data-field^="clients["][data-field$="].name"]')
        .evaluateAll((els) => els.map((e) => (e as { value: string }).value)),
      ['field-pc', 'client-3'],
    );
    assert.equal(await focused('data-remove-client'), '0');
    assert.match((await page.locator('[data-node="gateway"]').textContent()) ?? '', /2 clients/);
    await field('clients[1].name').fill('bob-laptop');
    await page.locator('#save').click();
    const saves = (await posted()).filter((m) => m.type === 'save');
    assert.deepEqual(saves.at(-1)!.form!.clients, [
      { name: 'field-pc', vpnIp: '192.168.0.151/24', host: '10.0.0.7' },
      { name: 'bob-laptop', vpnIp: '192.168.0.254/24', host: '' },
    ]);
  });
});
