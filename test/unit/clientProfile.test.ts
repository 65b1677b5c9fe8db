// The client profile on this machine: mode 0600 from the first byte, atomic, and kept out of git.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ignoreInGit, writePrivateFile } from '../../src/core/provision/clientProfile';
import { run } from '../../lab/sh';

describe('client profile file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-profile-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes mode 0600 under a permissive umask, replaces an existing file, leaves no temp file', async () => {
    const file = path.join(dir, 'ros_local_gateway.ovpn');
    const old = process.umask(0);
    try {
      await writePrivateFile(file, 'one');
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      fs.chmodSync(file, 0o644);
      await writePrivateFile(file, 'two');
    } finally {
      process.umask(old);
    }
    assert.equal(fs.readFileSync(file, 'utf8'), 'two');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(dir), ['ros_local_gateway.ovpn']);
  });

  it('in a git work tree: adds the file to .gitignore once, keeping what was there', async () => {
    assert.equal(run('git', ['init', '-q', dir]).status, 0);
    fs.writeFileSync(path.join(dir, '.gitignore'), 'build/');
    const file = path.join(dir, 'ros_local_gateway.ovpn');
    fs.writeFileSync(file, 'secret');
    assert.notEqual(run('git', ['-C', dir, 'check-ignore', '-q', 'ros_local_gateway.ovpn']).status, 0);
    assert.equal(await ignoreInGit(file), 'added');
    assert.equal(run('git', ['-C', dir, 'check-ignore', '-q', 'ros_local_gateway.ovpn']).status, 0);
    assert.equal(await ignoreInGit(file), 'already-ignored');
    const text = fs.readFileSync(path.join(dir, '.gitignore'), 'utf8');
    assert.ok(text.startsWith('build/\n'), text);
    assert.equal(text.match(/ros_local_gateway\.ovpn/g)?.length, 1);
    assert.doesNotMatch(run('git', ['-C', dir, 'status', '--porcelain']).stdout, /ovpn/);
  });

  it('outside git: changes nothing and says so', async () => {
    const file = path.join(dir, 'ros_local_gateway.ovpn');
    fs.writeFileSync(file, 'secret');
    assert.equal(await ignoreInGit(file), 'not-a-repo');
    assert.equal(fs.existsSync(path.join(dir, '.gitignore')), false);
  });
});
