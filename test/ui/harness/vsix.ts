// The packaged extension the browser tests install: dist/rosvpn.vsix, rebuilt with `npm run package` when it
// is missing or older than anything that goes into it.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const VSIX = path.join(REPO_ROOT, 'dist/rosvpn.vsix');

const INPUTS = ['src', 'media', 'schemas', 'snippets', 'package.json', 'esbuild.js', '.vscodeignore', 'README.md'];

function newestMtime(p: string): number {
  if (!fs.existsSync(p)) return 0;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs; // a deleted file changes the directory's mtime
  for (const name of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, name)));
  return newest;
}

/** Returns dist/rosvpn.vsix, running `npm run package` first when it is missing or stale. */
export function ensureVsix(): string {
  const stale = !fs.existsSync(VSIX) || fs.statSync(VSIX).mtimeMs < Math.max(...INPUTS.map((i) => newestMtime(path.join(REPO_ROOT, i))));
  if (stale) {
    const r = spawnSync('npm', ['run', 'package'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0 || !fs.existsSync(VSIX)) {
      throw new Error(`npm run package failed (${r.status}):\n${(r.stdout ?? '').slice(-3000)}\n${(r.stderr ?? '').slice(-3000)}`);
    }
  }
  return VSIX;
}
