// The extension manifest, the packaged .vsix, and the core/vscode boundary.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { run } from '../../lab/sh';

const ROOT = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

/** The relative imports of a src/ file that reach the lab, the tests, the bench or the scripts. */
function infraImports(file: string, text: string): string[] {
  return [...text.matchAll(/(?:from\s+|import\(\s*|require\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)]
    .filter((m) =>
      ['lab', 'test', 'bench', 'scripts'].includes(path.relative(ROOT, path.resolve(path.dirname(file), m[1])).split(path.sep)[0]),
    )
    .map((m) => `${path.relative(ROOT, file)} imports ${m[1]}`);
}

describe('manifest and packaging', function () {
  this.timeout(120000);

  it('is a VS Code extension manifest named rosvpn with the rosvpn binary', () => {
    assert.equal(pkg.name, 'rosvpn');
    assert.equal(pkg.displayName, 'ROS VPN');
    assert.match(pkg.engines.vscode, /^\^1\.\d+\.0$/);
    assert.equal(pkg.bin.rosvpn, 'dist/cli.js');
    assert.equal(pkg.main, './dist/extension.js');
  });

  it('every contributed command has category "ROS VPN" and is registered in the one registry', () => {
    const commands: { command: string; category: string }[] = pkg.contributes.commands;
    assert.ok(commands.length > 0);
    const sources = filesUnder(path.join(ROOT, 'src', 'extension'))
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n');
    for (const c of commands) {
      assert.equal(c.category, 'ROS VPN', c.command);
      assert.ok(sources.includes(`id: '${c.command}'`), `${c.command} has no CommandSpec in src/extension`);
    }
    assert.equal((sources.match(/registerCommand\(/g) ?? []).length, 1, 'commands are registered in one place only');
  });

  it('a setup form open at a window reload comes back: its serializer is registered, and its view type activates the extension', () => {
    const panel = fs.readFileSync(path.join(ROOT, 'src', 'extension', 'setupForm', 'panel.ts'), 'utf8');
    const viewType = /SETUP_FORM_VIEW_TYPE = '([^']+)'/.exec(panel)?.[1];
    assert.equal(viewType, 'rosvpn.setupForm');
    assert.match(panel, /registerWebviewPanelSerializer\(SETUP_FORM_VIEW_TYPE,/);
    assert.match(panel, /createWebviewPanel\(SETUP_FORM_VIEW_TYPE,/);
    // Restoring a panel activates only the extensions that list its view type: without this, a window
    // reloaded in a folder without rosvpn.json would show an empty tab.
    assert.ok(pkg.activationEvents.includes(`onWebviewPanel:${viewType}`), pkg.activationEvents.join(', '));
  });

  it('the core never imports vscode', () => {
    const offenders = filesUnder(path.join(ROOT, 'src', 'core')).filter((f) =>
      /from ['"]vscode['"]|require\(['"]vscode['"]\)/.test(fs.readFileSync(f, 'utf8')),
    );
    assert.deepEqual(offenders, []);
  });

  it('nothing in src/ imports the lab, the tests, the bench or the scripts (infrastructure, never bundled)', () => {
    const offenders = filesUnder(path.join(ROOT, 'src')).flatMap((f) => infraImports(f, fs.readFileSync(f, 'utf8')));
    assert.deepEqual(offenders, []);
    // negative controls: the scan sees static, dynamic and require imports of the lab and the test support
    const probe = path.join(ROOT, 'src', 'cli', 'probe.ts');
    const text = "import { run } from '../../lab/sh';\nconst t = require('../../test/support/sshd');\nvoid import('../core/ssh');";
    assert.deepEqual(infraImports(probe, text), [
      'src/cli/probe.ts imports ../../lab/sh',
      'src/cli/probe.ts imports ../../test/support/sshd',
    ]);
  });

  it('the tree context menus show at most three inline actions on any node', () => {
    const menus: { command: string; when: string; group?: string }[] = pkg.contributes.menus['view/item/context'];
    // The menu `when` clauses use only `viewItem == X` and `viewItem =~ /re/`; evaluate those two forms.
    const matches = (when: string, item: string) => {
      const eq = /viewItem == ([\w.]+)/.exec(when);
      const re = /viewItem =~ \/(.+?)\/(?:\s|$)/.exec(when);
      return eq ? eq[1] === item : re ? new RegExp(re[1]).test(item) : true;
    };
    for (const item of [
      'rosvpn.host.gateway',
      'rosvpn.host.second',
      'rosvpn.host.desktop',
      'seconds',
      'robotNetwork',
      'clients',
      'clients.empty',
      'rosvpn.client.host.declared cert-valid',
      'rosvpn.client.nohost.declared cert-unknown',
    ]) {
      const inline = menus.filter((m) => m.group?.startsWith('inline') && matches(m.when, item));
      assert.ok(inline.length <= 3, `${item}: ${inline.map((m) => m.command).join(', ')}`);
    }
    const gw = menus.filter((m) => matches(m.when, 'rosvpn.host.gateway')).map((m) => m.command);
    for (const c of [
      'rosvpn.provisionGateway',
      'rosvpn.checkConnectivity',
      'rosvpn.streamLogs',
      'rosvpn.openSshTerminal',
      'rosvpn.downloadClientProfile',
    ])
      assert.ok(gw.includes(c), c);
    assert.ok(menus.some((m) => m.command === 'rosvpn.removeSecond' && matches(m.when, 'rosvpn.host.second')));
    assert.ok(menus.some((m) => m.command === 'rosvpn.addSecond' && matches(m.when, 'seconds')));
    assert.ok(menus.some((m) => m.command === 'rosvpn.addClient' && matches(m.when, 'clients.empty') && m.group?.startsWith('inline')));
    for (const c of ['rosvpn.revokeClient', 'rosvpn.rotateClient', 'rosvpn.downloadClientProfile'])
      assert.ok(
        menus.some((m) => m.command === c && matches(m.when, 'rosvpn.client.nohost.declared cert-valid')),
        c,
      );
  });

  it('the view, welcome content, task type, walkthrough media and snippets all exist', () => {
    const c = pkg.contributes;
    assert.equal(c.viewsContainers.activitybar[0].title, 'ROS VPN');
    assert.ok(fs.existsSync(path.join(ROOT, c.viewsContainers.activitybar[0].icon)));
    assert.equal(c.views.rosvpn[0].id, 'rosvpn.topology');
    assert.ok(
      c.viewsWelcome.some(
        (w: { contents: string }) => w.contents.includes('command:rosvpn.openSetupForm') && w.contents.includes('command:rosvpn.importEnv'),
      ),
    );
    assert.equal(c.taskDefinitions[0].type, 'rosvpn');
    assert.deepEqual(c.taskDefinitions[0].required, ['host']);
    for (const step of c.walkthroughs[0].steps) assert.ok(fs.existsSync(path.join(ROOT, step.media.markdown)), step.media.markdown);
    for (const sn of c.snippets) JSON.parse(fs.readFileSync(path.join(ROOT, sn.path), 'utf8'));
    const titles = c.commands.map((x: { category: string; title: string }) => `${x.category}: ${x.title}`);
    for (const t of [
      'ROS VPN: Provision Gateway',
      'ROS VPN: Provision Second Instance',
      'ROS VPN: Provision Desktop',
      'ROS VPN: Provision All',
      'ROS VPN: Open Setup Form',
      'ROS VPN: Download Client Profile',
      'ROS VPN: Stream OpenVPN Logs',
      'ROS VPN: Check Connectivity',
      'ROS VPN: Open SSH Terminal',
      'ROS VPN: Add Second Instance',
    ]) {
      assert.ok(titles.includes(t), t);
    }
  });

  it('Restricted Mode: limited support; every command that provisions, uses SSH or EC2 is gated by trust in the manifest and in the registry', () => {
    const caps = pkg.capabilities;
    assert.equal(caps.untrustedWorkspaces.supported, 'limited');
    assert.match(caps.untrustedWorkspaces.description, /Restricted Mode/);
    assert.equal(caps.virtualWorkspaces === false || caps.virtualWorkspaces.supported === false, true);
    // Every AWS setting decides what is launched, where, reachable by whom and billed to which account.
    const aws = Object.keys(pkg.contributes.configuration.properties).filter((k) => k.startsWith('rosvpn.aws.'));
    assert.deepEqual([...caps.untrustedWorkspaces.restrictedConfigurations].sort(), aws.sort());
    const sources = filesUnder(path.join(ROOT, 'src', 'extension'))
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n');
    const flagged = new Set([...sources.matchAll(/id: '([\w.]+)',\s*needsTrust: true/g)].map((m) => m[1]));
    const enabled = new Set(
      (pkg.contributes.commands as { command: string; enablement?: string }[])
        .filter((c) => c.enablement === 'isWorkspaceTrusted')
        .map((c) => c.command),
    );
    assert.deepEqual(
      [...flagged].sort(),
      [...enabled].sort(),
      'needsTrust in the registry and enablement in package.json name the same commands',
    );
    const expected = [
      'provisionGateway',
      'provisionSecond',
      'provisionDesktop',
      'provisionClient',
      'provisionAll',
      'checkConnectivity',
      'runDdsTest',
      'streamLogs',
      'openSshTerminal',
      'downloadClientProfile',
      'cloudPlan',
      'cloudUp',
      'cloudStatus',
      'cloudStart',
      'cloudStop',
      'cloudDown',
      'addClient',
      'revokeClient',
      'rotateClient',
      'unprovisionHost',
    ];
    assert.deepEqual([...enabled].sort(), expected.map((c) => `rosvpn.${c}`).sort());
    // Menus hide what is disabled, and the tree is read-only (no Add/Remove Second) in Restricted Mode.
    for (const where of ['view/title', 'view/item/context']) {
      for (const m of pkg.contributes.menus[where] as { command: string; when: string }[]) {
        if (enabled.has(m.command) || (where === 'view/item/context' && /Second$/.test(m.command)))
          assert.match(m.when, /&& isWorkspaceTrusted$/, `${where} ${m.command}`);
      }
    }
    assert.ok(
      !enabled.has('rosvpn.validateTopology') && !enabled.has('rosvpn.openSetupForm'),
      'reading and editing rosvpn.json stays possible',
    );
  });

  it('jsonValidation points at the schema in the repo', () => {
    const v = pkg.contributes.jsonValidation[0];
    assert.equal(v.fileMatch, 'rosvpn.json');
    assert.ok(fs.existsSync(path.join(ROOT, v.url)));
  });

  it('vsce packages a .vsix holding only the allow-listed files', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-vsix-')), 'rosvpn.vsix');
    const r = run('npx', ['vsce', 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', out], {
      cwd: ROOT,
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const listing = run('python3', ['-m', 'zipfile', '-l', out]);
    assert.equal(listing.status, 0, listing.stderr);
    const files = [...listing.stdout.matchAll(/^extension\/(\S+)/gm)].map((m) => m[1]).sort();
    for (const f of [
      'dist/extension.js',
      'dist/cli.js',
      'package.json',
      'readme.md',
      'schemas/rosvpn.schema.json',
      'media/rosvpn.svg',
      'snippets/rosvpn.code-snippets',
      'dist/webview/setupForm.js',
      'dist/lazy/ssh.js',
      'dist/lazy/ec2.js',
      'media/setupForm.css',
      'media/walkthrough/hear.md',
    ]) {
      assert.ok(files.includes(f), `${f} missing from the package: ${files.join(', ')}`);
    }
    for (const f of files)
      assert.doesNotMatch(f, /^(src|test|node_modules|scripts|bench|\.ci)\/|\.map$|\.ts$|^BENCHMARKS\.md$/, `${f} should not be packaged`);
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  });

  it('the extension bundle does not contain the CLI-only or lab code, nor ssh2 or the AWS SDK (their own bundles load on first use)', () => {
    const ext = fs.readFileSync(path.join(ROOT, 'dist', 'extension.js'), 'utf8');
    assert.doesNotMatch(ext, /VpcMesh|ip netns add/);
    // Markers of ssh2's client and the SDK's EC2 client, which must live only in dist/lazy/*.js.
    assert.doesNotMatch(ext, /SSH-2\.0-ssh2js|DescribeInstancesCommand/);
    assert.match(fs.readFileSync(path.join(ROOT, 'dist', 'lazy', 'ssh.js'), 'utf8'), /SSH-2\.0-ssh2js/);
    assert.match(fs.readFileSync(path.join(ROOT, 'dist', 'lazy', 'ec2.js'), 'utf8'), /DescribeInstancesCommand/);
  });
});
