// Writing the client profile on this machine: it holds the client's private key, so it is created with
// mode 0600 from the first byte and kept out of git. Used by `rosvpn fetch-ovpn` and the extension.
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

/** Writes atomically (temp file + rename) with mode 0600; never readable by others, even briefly. */
export async function writePrivateFile(file: string, content: Buffer | string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await fsp.writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
    await fsp.chmod(tmp, 0o600); // the umask cannot widen it, but an existing ACL default might
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

function git(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd }, (err, stdout) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: String(stdout) }),
    );
  });
}

export type GitIgnoreResult = 'added' | 'already-ignored' | 'not-a-repo';

/**
 * Makes git ignore `file`: appends it to the .gitignore of its folder when the folder is in a git work tree
 * and git does not ignore it yet. Says what it did; a folder outside git is left alone.
 */
export async function ignoreInGit(file: string): Promise<GitIgnoreResult> {
  const dir = path.dirname(file);
  const name = path.basename(file);
  const inside = await git(['rev-parse', '--is-inside-work-tree'], dir);
  if (inside.code !== 0 || inside.out.trim() !== 'true') return 'not-a-repo';
  if ((await git(['check-ignore', '-q', name], dir)).code === 0) return 'already-ignored';
  const ignore = path.join(dir, '.gitignore');
  let text = '';
  try {
    text = await fsp.readFile(ignore, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  await fsp.writeFile(ignore, `${text}${sep}# ROS VPN client profile: holds a private key\n/${name}\n`);
  return 'added';
}
