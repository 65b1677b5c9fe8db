// Deliberately failing spec (ROSVPN_VSCODE_FAILING=1): shows that a failed check fails the whole run,
// through the same lazy-load assertion the suite applies to the extension.
import * as assert from 'node:assert/strict';
import { heavyModules } from '../support/heavyModules';
import { fixtureBundle } from '../support/host';

describe('must fail', () => {
  it('a bundle that imports ssh2 at top level loads no ssh2', () => {
    assert.deepEqual(heavyModules(fixtureBundle('eagerSsh2')).loaded, []);
  });
});
