// The extension under test, as the extension host sees it.
import * as path from 'node:path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'rosvpn.rosvpn';

export interface Contributed {
  command: string;
  title: string;
  category?: string;
}

export function rosvpn(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not loaded: is --extensionDevelopmentPath the project root?`);
  return ext;
}

export function contributedCommands(): Contributed[] {
  return (rosvpn().packageJSON as { contributes?: { commands?: Contributed[] } }).contributes?.commands ?? [];
}

/** The exports of the extension's entry module as the host loaded it (CommonJS, so from require.cache). */
export function entryExports(): Record<string, unknown> {
  const ext = rosvpn();
  const file = path.resolve(ext.extensionPath, (ext.packageJSON as { main: string }).main);
  const loaded = require.cache[file];
  if (!loaded) throw new Error(`${file} is not in require.cache: the host did not load it as CommonJS`);
  return loaded.exports as Record<string, unknown>;
}

/** Polls until `probe` returns something truthy. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** make() of a control bundle that scripts/build-vscode-tests.js built into dist-test/vscode/fixtures. */
export function fixtureBundle(name: string): () => unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a file built at test time, found by path
  return (require(path.resolve(__dirname, '../fixtures', `${name}.js`)) as { make: () => unknown }).make;
}
