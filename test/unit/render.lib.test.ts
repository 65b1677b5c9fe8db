// The fixed bash blocks (src/core/render/lib/*.sh: helper libraries and fixed script bodies): shellchecked as files, each with a header that
// stays out of the scripts, and each embedded byte for byte into the scripts that need it.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { renderClientStatus, renderGatewayPki, renderTopology, renderUnprovision } from '../../src/core/render';
import { libBody } from '../../src/core/render/bash';
import { renderDdsTestScript } from '../../src/core/render/ddsTest';
import { renderCheckScript } from '../../src/core/render/check';
import { requireTool, run } from '../../lab/sh';
import { loadFixture } from '../support/fixtures';

const LIB = path.join(__dirname, '..', '..', 'src', 'core', 'render', 'lib');
const libFiles = () =>
  fs
    .readdirSync(LIB)
    .filter((f) => f.endsWith('.sh'))
    .sort();

describe('render: helper libraries as bash files', () => {
  it('lib/ holds the expected libraries', () => {
    assert.deepEqual(libFiles(), [
      'check-guard.sh',
      'check-mcast.sh',
      'check-reach.sh',
      'check-tunnel.sh',
      'check.sh',
      'client-status.sh',
      'dds-test.sh',
      'desktop-net-up-steps.sh',
      'feature.sh',
      'file.sh',
      'link.sh',
      'mgmt.sh',
      'net-up-steps.sh',
      'net.sh',
      'pki.sh',
      'snap.sh',
      'ssh-guard.sh',
      'step.sh',
      'unprovision-desktop.sh',
      'unprovision.sh',
    ]);
  });

  describe('shellcheck, file by file', () => {
    before(() => requireTool('shellcheck'));

    it('every lib/*.sh passes shellcheck -s bash with no findings', () => {
      const files = libFiles().map((f) => path.join(LIB, f));
      const lint = run('shellcheck', ['-s', 'bash', '-f', 'gcc', ...files]);
      assert.equal(lint.stdout + lint.stderr, '', 'shellcheck findings in src/core/render/lib');
      assert.equal(lint.status, 0);
    });

    it('a bad line in a lib file, under the same kind of header, is flagged (the lint can fail)', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-lib-'));
      try {
        const bad = path.join(dir, 'bad.sh');
        const header = fs.readFileSync(path.join(LIB, 'step.sh'), 'utf8').split('\n\n')[0];
        fs.writeFileSync(bad, `${header}\n\ncleanup() { rm -rf $DIR/*; }\n`);
        const lint = run('shellcheck', ['-s', 'bash', '-f', 'gcc', bad]);
        assert.notEqual(lint.status, 0);
        assert.match(lint.stdout, /SC2086|SC2115/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('each library is embedded without its header, byte for byte, in the rendered scripts', () => {
    // vxlan-3 with docker, its health checks, pki.sh and the client status script: every library is in at
    // least one script (feature.sh only with a feature on).
    const t = loadFixture('vxlan-3');
    const scripts = renderTopology({ ...t, features: { ...t.features, docker: true } }).scripts;
    const checks = [
      ...['gateway', 'second', 'desktop'].map((label) => renderCheckScript(t, label)),
      renderClientStatus(t),
      renderGatewayPki(t).content,
      renderDdsTestScript('second', 'pub', 3),
      ...['gateway', 'second', 'desktop'].map((label) => renderUnprovision(t, label, { purge: false }).content),
    ];
    const everything = [...scripts.flatMap((s) => [s.content, ...s.embedded.map((e) => e.content)]), ...checks].join('\n');
    for (const f of libFiles()) {
      const text = fs.readFileSync(path.join(LIB, f), 'utf8');
      const body = libBody(f, text);
      const header = text.slice(0, text.length - body.length);
      assert.ok(body.length > 0 && everything.includes(body), `${f}: body not found in any rendered script`);
      assert.match(header, /^# shellcheck shell=bash\n(#.*\n)+\n$/, `${f}: header`);
      assert.ok(!everything.includes(header.split('\n')[1]), `${f}: its header leaked into a script`);
    }
  });

  it('libBody refuses a file whose header would leak or whose body is malformed', () => {
    const ok = '# shellcheck shell=bash\n# what this is\n\nf() { :; }\n';
    assert.equal(libBody('ok.sh', ok), 'f() { :; }\n');
    assert.throws(() => libBody('x.sh', '# shellcheck shell=bash\n# no blank line\nf() { :; }\n'), /header/);
    assert.throws(() => libBody('x.sh', '# just a comment\n\nf() { :; }\n'), /shellcheck shell=bash/);
    assert.throws(() => libBody('x.sh', '# shellcheck shell=bash\nf() { :; }\n\ng() { :; }\n'), /header/);
    assert.throws(() => libBody('x.sh', ok.replace(/\n/g, '\r\n')), /header|LF/);
    assert.throws(() => libBody('x.sh', ok.slice(0, -1)), /final newline/);
  });
});
