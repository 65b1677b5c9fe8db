// Every program the lab, the demo, the bench and the tests run on this machine is declared in
// scripts/install-prereqs.sh with the Debian package that provides it (checked here with dpkg -S), the lab's
// runner refuses one that is not, and one that cannot start is an error naming its package.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { run, start } from '../../lab/sh';
import { assertDeclared, hostPrograms, hostTools, onPath, ToolMissingError, type ToolSet } from '../../lab/tools';

const ROOT = path.resolve(__dirname, '..', '..');

/** Candidate paths of an installed program as dpkg may know it (Debian 12 merges /bin into /usr/bin). */
function dpkgOwner(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    const p = path.join(dir, program);
    if (!fs.existsSync(p)) continue;
    const real = fs.realpathSync(p);
    const alts = [p, real].flatMap((x) => [x, x.replace(/^\/usr\/(s?bin)\//, '/$1/'), x.replace(/^\/(s?bin)\//, '/usr/$1/')]);
    for (const c of [...new Set(alts)]) {
      // "pkg: /path" lines; a diversion ("diversion by dash from: /bin/sh") is not an owner
      const owner = run('dpkg-query', ['-S', c])
        .stdout.split('\n')
        .find((l) => l && !l.startsWith('diversion by'));
      if (owner) return owner.split(':')[0].trim();
    }
  }
  return undefined;
}

/** The files whose programs count, and the sets each may draw from. */
const SCOPES: { dir: string; sets: ToolSet[] }[] = [
  { dir: 'lab', sets: ['demo'] },
  { dir: 'scripts/demo.ts', sets: ['demo'] },
  { dir: 'scripts/lab.ts', sets: ['demo'] },
  { dir: 'bench', sets: ['demo', 'test'] },
  { dir: 'test/unit', sets: ['demo', 'test', 'ui'] },
  { dir: 'test/integration', sets: ['demo', 'test', 'ui'] },
  { dir: 'test/support', sets: ['demo', 'test', 'ui'] },
];

function tsFiles(p: string): string[] {
  const abs = path.join(ROOT, p);
  if (fs.statSync(abs).isFile()) return [abs];
  return (fs.readdirSync(abs, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.join(abs, f));
}

/** The string-literal elements of an argv written in the source (`<expr>` for anything else). */
function literalArgv(list: string): string[] {
  return [...list.matchAll(/'([^']*)'|`([^`]*)`|([^,\s][^,]*)/g)].map((m) => (m[1] ?? m[2] ?? '<expr>').trim());
}

/** Programs a file starts on this machine, as far as its source shows them literally. */
function programsInSource(text: string): string[] {
  const found: string[] = [];
  // run('x', …), must('x', …), spawn('x', …), spawnSync('x', …), execFileSync('x', …)
  for (const m of text.matchAll(/\b(?:run|must|spawn|spawnSync|execFileSync|execFile)\(\s*'([^']+)'\s*,\s*\[([^\]]*)\]/g)) {
    found.push(...hostPrograms([m[1], ...literalArgv(m[2])]));
  }
  // argv arrays: start([...]), ['ip', 'netns', 'exec', ns, ...], and constants that name an absolute path
  for (const m of text.matchAll(/\[\s*('ip',\s*'netns',\s*'exec',[^\]]*)\]/g))
    found.push(...hostPrograms(literalArgv(m[1]).map((a) => (a === '<expr>' ? 'x' : a))));
  // NetnsSet.exec(short, 'prog', …): ip netns exec on this machine
  for (const m of text.matchAll(/\blab\.exec\(\s*[^,]+,\s*'([^']+)'/g)) found.push(m[1]);
  // absolute paths of programs, except as values of object fields (journal fields such as _EXE are data)
  for (const m of text.matchAll(/(?<!\w:\s*)'\/usr\/s?bin\/([\w.-]+)'/g)) found.push(m[1]);
  return found.filter((p) => p !== 'x' && p !== '<expr>' && !p.includes('$'));
}

describe('programs run on this machine (scripts/install-prereqs.sh TOOLS)', () => {
  const tools = hostTools();

  it('the table parses, and names each program once with a package, a set and a reason', () => {
    assert.ok(tools.size > 20, `only ${tools.size} tools`);
    for (const t of tools.values()) {
      assert.match(t.pkg, /^[a-z0-9][a-z0-9.+-]+$/, t.program);
      assert.ok(t.why.length > 10, `${t.program} has no reason`);
    }
    for (const p of ['ddsperf', 'ping', 'nsenter', 'systemd-nspawn', 'ss', 'ip'])
      assert.equal(tools.get(p)?.set, 'demo', `${p} is needed by the demo`);
    assert.equal(tools.get('ddsperf')?.pkg, 'cyclonedds-tools');
  });

  it('dpkg -S: each declared program is installed and comes from the declared package', () => {
    const wrong: string[] = [];
    for (const t of tools.values()) {
      const owner = dpkgOwner(t.program);
      if (owner !== t.pkg)
        wrong.push(
          `${t.program}: declared ${t.pkg}, ${owner ? `dpkg says ${owner}` : 'not installed (bash scripts/install-prereqs.sh test)'}`,
        );
    }
    assert.deepEqual(wrong, []);
  });

  it('every program the lab, demo, bench and tests start (as the source shows it) is declared, in a set they install', () => {
    const problems: string[] = [];
    let seen = 0;
    for (const scope of SCOPES) {
      for (const f of tsFiles(scope.dir)) {
        if (f === __filename) continue;
        for (const p of programsInSource(fs.readFileSync(f, 'utf8'))) {
          seen++;
          const t = tools.get(p);
          const rel = path.relative(ROOT, f);
          if (!t) problems.push(`${rel} runs ${p}: not declared in scripts/install-prereqs.sh`);
          else if (!scope.sets.includes(t.set))
            problems.push(`${rel} runs ${p}, declared for "${t.set}", which ${scope.dir} does not install`);
        }
      }
    }
    assert.ok(seen > 50, `the scan found only ${seen} program uses: it no longer reads the source`);
    assert.deepEqual(problems, []);
  });

  it('the scan sees through ip netns exec and env, and stops at nsenter into a lab host (negative controls)', () => {
    assert.deepEqual(programsInSource(`run('ip', ['netns', 'exec', ns, 'env', \`A=\${x}\`, 'ddsperf', '-D', '1'])`), [
      'ip',
      'env',
      'ddsperf',
    ]);
    assert.deepEqual(programsInSource(`spawn('nsenter', ['-t', pid, '-m', '-n', '--', 'perl', '-e', '1'])`), ['nsenter']);
    assert.deepEqual(programsInSource(`const argv = ['ip', 'netns', 'exec', s.robotNs, 'tcpdump', '-c', '1'];`), ['ip', 'tcpdump']);
    assert.deepEqual(programsInSource(`lab.exec('desk', 'nft', ['list', 'ruleset'])`), ['nft']);
  });

  it('hostPrograms follows what each command execs on this machine', () => {
    assert.deepEqual(hostPrograms(['ip', 'netns', 'exec', 'ns1', 'env', 'A=1', 'B=', 'ddsperf', 'sub']), ['ip', 'env', 'ddsperf']);
    assert.deepEqual(hostPrograms(['ip', '-n', 'ns1', 'link', 'show']), ['ip']);
    assert.deepEqual(hostPrograms(['nsenter', '-t', '1', '-m', '-u', '-n', '--', 'ddsperf']), ['nsenter']);
    assert.deepEqual(hostPrograms(['nsenter', '-t', '1', '-n', '--', 'ping', '-c', '1']), ['nsenter', 'ping']);
    assert.deepEqual(hostPrograms(['ip', 'netns', 'exec', 'c', 'env', 'HOME=/x', process.execPath, 'cli.js']), ['ip', 'env']);
    assert.deepEqual(hostPrograms(['/usr/sbin/sshd', '-D']), ['sshd']);
  });

  it('the runner refuses an undeclared program before starting it, and names the table', () => {
    assert.throws(() => run('rosvpn-no-such-tool', []), /declares no package for it: add a line to its TOOLS table/);
    assert.throws(() => run('ip', ['netns', 'exec', 'x', 'tcpdump', '-c', '1']), /runs "tcpdump" on this machine/);
    assert.throws(() => start(['ip', 'netns', 'exec', 'x', 'tcpdump']), /runs "tcpdump"/);
    assert.doesNotThrow(() => assertDeclared(['ip', 'netns', 'exec', 'x', 'env', 'A=1', 'ddsperf']));
  });

  it('a declared program that is missing fails with its name, its package and the install command (sync and async)', async () => {
    const envNoPath = { env: { ...process.env, PATH: '/nonexistent' } };
    assert.ok(onPath('ping'), 'ping must be installed for this test');
    let e: unknown;
    try {
      run('ping', ['-c', '1', '127.0.0.1'], envNoPath);
    } catch (err) {
      e = err;
    }
    assert.ok(e instanceof ToolMissingError, String(e));
    assert.match(
      (e as Error).message,
      /^ping could not start on this machine \(not found\)\. It comes from the Debian package iputils-ping: apt-get install iputils-ping/,
    );
    // env reports the program it could not exec; start() turns that into the same error
    await assert.rejects(
      start(['env', 'PATH=/nonexistent', 'ddsperf', '-D', '1', 'sub']).done,
      (err: Error) =>
        err instanceof ToolMissingError && /ddsperf could not start.*cyclonedds-tools: apt-get install cyclonedds-tools/.test(err.message),
    );
    // negative control: a program that starts and fails is not "missing"
    const r = run('ping', ['-c', '1', '-W', '1', '-I', 'rosvpn-none0', '127.0.0.1']);
    assert.notEqual(r.status, 0);
  });
});
