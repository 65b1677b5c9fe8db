// Activation in a real extension host: triggered by the workspace's rosvpn.json, and light.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { type HeavyModules, heavyModules } from '../support/heavyModules';
import { entryExports, fixtureBundle, rosvpn, waitFor } from '../support/host';

// What activation loaded, recorded in a root hook: before any test can run a command that loads ssh2 on purpose.
let atActivation: HeavyModules | Error;
before(async () => {
  // Give the activation event time; the first test reports it if it never comes.
  await waitFor('activation by workspaceContains:rosvpn.json', () => rosvpn().isActive, 15_000).catch(() => {});
  try {
    atActivation = heavyModules(entryExports().activate as () => unknown);
  } catch (e) {
    atActivation = e as Error;
  }
});

describe('activation', () => {
  it('activates in a workspace holding rosvpn.json, without being asked', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'no workspace folder is open');
    await vscode.workspace.fs.stat(vscode.Uri.joinPath(folder.uri, 'rosvpn.json'));
    // Nothing in the suite calls activate(): only the activation event can have done it.
    assert.equal(rosvpn().isActive, true, 'the extension is not active');
  });

  it('loads neither ssh2 nor the AWS SDK', () => {
    if (atActivation instanceof Error) throw atActivation;
    assert.deepEqual(atActivation.loaded, [], 'activation loaded heavy modules');
    console.log(`      (${atActivation.waiting.length} ssh2/AWS SDK modules bundled, none run)`);
  });
});

describe('the lazy-load check itself (controls built like the extension)', () => {
  it('sees ssh2 loaded by a bundle that imports it at top level', () => {
    const { loaded } = heavyModules(fixtureBundle('eagerSsh2'));
    // "ran" is read from esbuild's module wrapper: the closure inspection works, not just a fallback.
    assert.ok(loaded.includes('node_modules/ssh2/lib/client.js (bundled, ran)'), `ssh2's client not seen running: ${loaded.join(', ')}`);
  });

  it('sees ssh2 waiting in a bundle that imports it lazily, and running after first use', async () => {
    const make = fixtureBundle('lazySsh2');
    const before = heavyModules(make);
    assert.ok(before.waiting.includes('node_modules/ssh2/lib/client.js'), `not waiting: ${before.waiting.join(', ')}`);
    assert.deepEqual(
      before.loaded.filter((m) => m.includes('(bundled')),
      [],
      'ssh2 ran before first use',
    );
    await make();
    assert.ok(heavyModules(make).loaded.includes('node_modules/ssh2/lib/client.js (bundled, ran)'));
  });
});
