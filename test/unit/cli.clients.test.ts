// The `rosvpn client` commands, fetch-ovpn --client and the CA passphrase in the CLI, without a gateway:
// argument parsing, help, refusals before anything changes, and the passphrase source with a fake terminal.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { run } from '../../lab/sh';
import { cliCaPassphrase, passphraseFileOption, PassphraseFileError, readPassphraseFile, type Terminal } from '../../src/cli/caPassphrase';
import { clientTable } from '../../src/cli/clients';

const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'topologies', 'clients-2.json');

function cli(cwd: string, args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ROSVPN_')));
  // stdin is not a terminal here: nothing can be asked.
  return run(process.execPath, [CLI, ...args], { cwd, env: { ...clean, HOME: cwd, ...env }, input: '' });
}

describe('rosvpn client, fetch-ovpn --client and the CA passphrase (CLI)', function () {
  this.timeout(30000);
  let dir: string;
  let file: string;
  let original: string;

  before(() => assert.ok(fs.existsSync(CLI), 'dist/cli.js missing: npm test builds it first (npm run build)'));
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-cli-clients-'));
    file = path.join(dir, 'rosvpn.json');
    // Unreachable on purpose: the gateway is this machine's port 1, so nothing ever runs anywhere.
    const t = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
    t.gateway.host = '127.0.0.1';
    t.ssh = { port: 1, identityFile: path.join(dir, 'no-key') };
    original = `${JSON.stringify(t, null, 4)}\n`;
    fs.writeFileSync(file, original);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--help documents the client commands, fetch-ovpn --client, --role client and both ways to give the passphrase', () => {
    const r = cli(dir, ['--help']);
    assert.equal(r.status, 0);
    for (const s of [
      'client list [FILE] [--json]',
      'client add NAME [FILE] [--vpn-ip CIDR] [--host HOST]',
      'client revoke NAME [FILE] [--yes]',
      'client rotate NAME [FILE]',
      'fetch-ovpn [FILE] [--client NAME]',
      '--role gateway|second|desktop|client|all',
      '--ca-passphrase-file F',
      'ROSVPN_CA_PASSPHRASE_FILE',
      '/dev/shm',
    ]) {
      assert.ok(r.stdout.includes(s), `help lacks ${s}`);
    }
    assert.equal(cli(dir, ['client', '--help']).status, 0);
  });

  it('usage errors exit 2 and change nothing', () => {
    const cases: [string[], RegExp][] = [
      [['client'], /client needs list, add, revoke, rotate/],
      [['client', 'frob'], /client needs list, add, revoke, rotate/],
      [['client', 'add'], /client add needs a NAME/],
      [['client', 'add', 'Alice_1'], /"Alice_1" is not a client name: a lowercase letter/],
      [['client', 'add', 'x', 'a.json', 'b.json'], /at most one FILE/],
      [['client', 'list', '--yes'], /client list does not take --yes/],
      [['client', 'revoke', 'alice-laptop', '--vpn-ip', '192.168.0.9/24'], /client revoke does not take --vpn-ip/],
      [['client', 'rotate', 'alice-laptop', '--host', 'h'], /client rotate does not take --host/],
      [['fetch-ovpn', '--client', '../etc/passwd'], /--client takes a client's name/],
      [['provision', '--role', 'laptop'], /--role must be one of gateway, second, desktop, client, all/],
    ];
    for (const [args, message] of cases) {
      const r = cli(dir, args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
    assert.equal(fs.readFileSync(file, 'utf8'), original);
  });

  it('client revoke without a terminal needs --yes; nothing is changed', () => {
    const r = cli(dir, ['client', 'revoke', 'alice-laptop']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /refusing to revoke alice-laptop without confirmation \(no terminal to ask on\); rerun with --yes/);
    assert.equal(fs.readFileSync(file, 'utf8'), original);
  });

  it('a passphrase file that cannot be used fails before rosvpn.json changes, naming the flag or the variable', () => {
    const viaEnv = cli(dir, ['client', 'add', 'bob'], { ROSVPN_CA_PASSPHRASE_FILE: path.join(dir, 'missing') });
    assert.equal(viaEnv.status, 1, viaEnv.stderr);
    assert.match(viaEnv.stderr, /ROSVPN_CA_PASSPHRASE_FILE: cannot read .*missing \(ENOENT\)/);
    fs.writeFileSync(path.join(dir, 'empty'), '\n', { mode: 0o600 });
    const viaFlag = cli(dir, ['client', 'revoke', 'alice-laptop', '--yes', '--ca-passphrase-file', 'empty']);
    assert.equal(viaFlag.status, 1, viaFlag.stderr);
    assert.match(viaFlag.stderr, /--ca-passphrase-file: .*empty: the CA passphrase is empty/);
    assert.equal(fs.readFileSync(file, 'utf8'), original);
  });

  it('client add: a taken name or a bad address is refused, the file untouched; a good one is written with its formatting kept', () => {
    const taken = cli(dir, ['client', 'add', 'alice-laptop']);
    assert.equal(taken.status, 1);
    assert.match(taken.stderr, /a client named alice-laptop is already in rosvpn\.json .*rosvpn client rotate alice-laptop/);
    const badIp = cli(dir, ['client', 'add', 'bob', '--vpn-ip', '10.0.0.5/24']);
    assert.equal(badIp.status, 1);
    assert.match(badIp.stderr, /clients\[2\]\.vpnIp: 10\.0\.0\.5\/24 is outside robotSubnet 192\.168\.0\.0\/24 — choose a free address/);
    assert.equal(fs.readFileSync(file, 'utf8'), original);
    fs.writeFileSync(path.join(dir, 'pass'), 'a passphrase\n', { mode: 0o600 });
    const r = cli(dir, [
      'client',
      'add',
      'bob',
      '--host',
      'bob.local',
      '--ca-passphrase-file',
      'pass',
      '--known-hosts',
      path.join(dir, 'kh'),
    ]);
    // The file is edited first; the gateway is unreachable, so the PKI step fails and says what comes next.
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /added client bob \(192\.168\.0\.254\/24\) to rosvpn\.json/);
    assert.match(r.stdout, /^gateway\s+gateway\s+failed/m);
    assert.match(
      r.stderr,
      /bob is in rosvpn\.json, but the gateway has not issued its certificate; the next rosvpn provision --host gateway does/,
    );
    const after = fs.readFileSync(file, 'utf8');
    const entry = '{\n            "name": "bob",\n            "vpnIp": "192.168.0.254/24",\n            "host": "bob.local"\n        }';
    assert.equal(after, original.replace(/("user": "robot"\n {8}\})/, `$1,\n        ${entry}`));
    assert.doesNotMatch(r.stdout + r.stderr, /a passphrase/);
  });

  it('fetch-ovpn --client of a name not in rosvpn.json says how to add it', () => {
    const r = cli(dir, ['fetch-ovpn', '--client', 'bob']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no client named bob in rosvpn\.json \(clients: alice-laptop, field-pc\); add it with: rosvpn client add bob/);
  });

  it('validate counts the clients; render writes each client host its script and says how to run it', () => {
    const v = cli(dir, ['validate']);
    assert.match(v.stdout, /valid — 1 second\(s\), tunnel vxlan, desktop gateway, 2 client\(s\)/);
    const r = cli(dir, ['render', '--out', 'out']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /field-pc\.sh {2}\(client field-pc\)/);
    assert.match(r.stdout, /field-pc: sudo bash field-pc\.sh ~\/field-pc\.ovpn \(its profile: rosvpn fetch-ovpn --client field-pc\)/);
  });

  describe('the passphrase source', () => {
    const term = (answers: (string | undefined)[], tty = true) => {
      const asked: string[] = [];
      const t: Terminal = {
        canPrompt: () => tty,
        askHidden: async (q) => {
          asked.push(q);
          return answers.shift();
        },
      };
      return { t, asked };
    };
    const io = () => {
      const lines: string[] = [];
      return { lines, err: (l: string) => lines.push(l) };
    };

    it('a file: its first line, known without asking; the flag wins over the variable; loose modes warn', async () => {
      const f = path.join(dir, 'p');
      fs.writeFileSync(f, 'open sesame\r\n', { mode: 0o644 });
      fs.chmodSync(f, 0o644);
      const out = io();
      assert.equal(readPassphraseFile(out, f, '--ca-passphrase-file'), 'open sesame');
      assert.match(out.lines[0]!, /can be read by others \(mode 644\); chmod 600/);
      assert.deepEqual(passphraseFileOption('p', { ROSVPN_CA_PASSPHRASE_FILE: 'q' }, dir), { file: f, from: '--ca-passphrase-file' });
      assert.deepEqual(passphraseFileOption(undefined, { ROSVPN_CA_PASSPHRASE_FILE: 'q' }, dir), {
        file: path.join(dir, 'q'),
        from: 'ROSVPN_CA_PASSPHRASE_FILE',
      });
      assert.equal(passphraseFileOption(undefined, {}, dir), undefined);
      const { t, asked } = term([]);
      assert.equal(await cliCaPassphrase(out, { file: f, from: 'x' }, t).known(), 'open sesame');
      assert.deepEqual(asked, []);
      fs.writeFileSync(f, 'two\nlines\n');
      assert.throws(
        () => readPassphraseFile(out, f, 'x'),
        (e: unknown) => e instanceof PassphraseFileError && /line break/.test(e.message),
      );
    });

    it('unlock and retry ask once; new asks twice, refuses short ones and mismatches', async () => {
      const out = io();
      const a = term(['the one']);
      assert.equal(await cliCaPassphrase(out, undefined, a.t).ask('unlock', 'the CA key is encrypted'), 'the one');
      assert.deepEqual(a.asked, ['CA passphrase: ']);
      assert.match(out.lines[0]!, /the gateway needs the CA passphrase: the CA key is encrypted/);
      const r = term(['again']);
      await cliCaPassphrase(out, undefined, r.t).ask('retry', 'wrong');
      assert.match(r.asked[0]!, /did not open the CA key/);
      const n = term(['short', 'long enough 1', 'long enough 2', 'long enough 3', 'long enough 3']);
      const got = await cliCaPassphrase(out, undefined, n.t).ask('new', 'no CA yet');
      assert.equal(got, 'long enough 3');
      assert.deepEqual(n.asked, [
        'New CA passphrase: ',
        'New CA passphrase: ',
        'The same again: ',
        'New CA passphrase: ',
        'The same again: ',
      ]);
      assert.ok(out.lines.some((l) => /at least 8 characters/.test(l)));
      assert.ok(out.lines.some((l) => /the two passphrases differ/.test(l)));
      assert.ok(out.lines.some((l) => /password manager/.test(l)));
      const cancel = term([undefined]);
      assert.equal(await cliCaPassphrase(out, undefined, cancel.t).ask('new', 'x'), undefined);
    });

    it('without a terminal: no answer, and one message naming --ca-passphrase-file and ROSVPN_CA_PASSPHRASE_FILE', async () => {
      const out = io();
      const { t, asked } = term(['never'], false);
      const s = cliCaPassphrase(out, undefined, t);
      assert.equal(await s.known(), undefined);
      assert.equal(await s.ask('unlock', 'the CA key is encrypted: its passphrase is needed to issue bob'), undefined);
      assert.equal(await s.ask('unlock', 'again'), undefined);
      assert.deepEqual(asked, []);
      assert.equal(out.lines.length, 1);
      assert.match(
        out.lines[0]!,
        /needs the CA passphrase \(the CA key is encrypted: its passphrase is needed to issue bob\); there is no terminal to ask on: give it with --ca-passphrase-file FILE or ROSVPN_CA_PASSPHRASE_FILE=FILE/,
      );
    });
  });

  it('client list table: certificate, expiry, connection and undeclared certificates', () => {
    const lines = clientTable([
      {
        name: 'alice',
        vpnIp: '192.168.0.254/24',
        declared: true,
        cert: 'valid',
        notAfter: '2027-11-30T08:00:00Z',
        expiresInDays: 364,
        connected: true,
        connectedSince: '2026-11-30T08:01:02Z',
        realAddress: '198.51.100.7:40112',
      },
      {
        name: 'bob',
        vpnIp: '192.168.0.253/24',
        host: 'bob.local',
        declared: true,
        cert: 'valid',
        notAfter: '2026-12-20T00:00:00Z',
        expiresInDays: 19,
        connected: false,
      },
      { name: 'new', vpnIp: '192.168.0.252/24', declared: true, cert: 'missing', connected: false },
      { name: 'gone', declared: false, cert: 'revoked', notAfter: '2027-01-01T00:00:00Z', expiresInDays: 31, connected: false },
    ]);
    assert.match(lines[0]!, /^name +address +host +certificate +connected$/);
    assert.match(
      lines[1]!,
      /^alice +192\.168\.0\.254\/24 +- +valid until 2027-11-30 \(364 d\) +since 2026-11-30 08:01 UTC from 198\.51\.100\.7:40112$/,
    );
    assert.match(lines[2]!, /bob\.local +valid until 2026-12-20 \(19 d\) — renew soon +no$/);
    assert.match(lines[3]!, /new .* not issued yet +no$/);
    assert.match(lines[4]!, /^gone +\(not in rosvpn\.json\) +- +revoked +no$/);
    assert.deepEqual(clientTable([]), ['no clients (add one: rosvpn client add NAME)']);
  });
});
