// The SSH layer's pure parts: known_hosts matching, ssh config resolution, ProxyJump parsing, line
// splitting and the command wrapper. No server needed.
import { strict as assert } from 'assert';
import { createHmac } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'ssh-config';
import {
  checkHostKey,
  fingerprint,
  hostFieldMatches,
  keyTypeOf,
  knownHostName,
  knownHostsLine,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
} from '../../src/core/ssh/knownHosts';
import { EXEC_WRAPPER, EXIT_MARK_TAIL, ExitMarkFilter, LineSplitter, shellQuote, wrapCommand } from '../../src/core/ssh/session';
import { jumpChainEndpoint, loadSshConfig, parseJumpSpec, resolveEndpoint } from '../../src/core/ssh/sshConfig';
import { SshError } from '../../src/core/ssh/types';

const ED = 'AAAAC3NzaC1lZDI1NTE5AAAAIJEwvYNSRIPMsHH/upXoadWlakF6eUgOzNbokAZmGddT';
const ED2 = 'AAAAC3NzaC1lZDI1NTE5AAAAIG2Yq+0yqz1w5cFv+8iU3Kq7Gm3f5k3m8c8o5vQ1nXyz';
const blob = (b64: string) => Buffer.from(b64, 'base64');

describe('ssh units: known_hosts', () => {
  it('names hosts like OpenSSH: host on 22, [host]:port otherwise, HostKeyAlias verbatim, lower case', () => {
    assert.equal(knownHostName('Example.COM', 22), 'example.com');
    assert.equal(knownHostName('10.0.0.1', 2222), '[10.0.0.1]:2222');
    assert.equal(knownHostName('10.0.0.1', 2222, 'gw-alias'), 'gw-alias');
  });

  it('computes the key type and the SHA256 fingerprint as ssh-keygen prints them', () => {
    assert.equal(keyTypeOf(blob(ED)), 'ssh-ed25519');
    assert.match(fingerprint(blob(ED)), /^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('matches comma lists, wildcards, negation, [host]:port and hashed names', () => {
    assert.ok(hostFieldMatches('a.example,10.0.0.1', '10.0.0.1'));
    assert.ok(hostFieldMatches('*.example.com', 'gw.example.com'));
    assert.ok(!hostFieldMatches('*.example.com,!bad.example.com', 'bad.example.com'));
    assert.ok(hostFieldMatches('[10.0.0.1]:2222', '[10.0.0.1]:2222'));
    assert.ok(!hostFieldMatches('10.0.0.1', '[10.0.0.1]:2222'));
    assert.ok(!hostFieldMatches('[10.0.0.1]:2222', '10.0.0.1'));
    const salt = Buffer.alloc(20, 7);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[10.0.0.1]:2222').digest('base64')}`;
    assert.ok(hostFieldMatches(hashed, '[10.0.0.1]:2222'));
    assert.ok(!hostFieldMatches(hashed, '10.0.0.1'));
  });

  it('classifies known, changed (any recorded type), revoked and unknown; ignores @cert-authority', () => {
    const entries = parseKnownHosts(
      [
        `# comment`,
        `gw ssh-ed25519 ${ED}`,
        `@cert-authority * ssh-ed25519 ${ED2}`,
        `other ssh-ed25519 ${ED2}`,
        `@revoked bad ssh-ed25519 ${ED}`,
        `bad ssh-ed25519 ${ED}`,
        'garbage',
      ].join('\n'),
      'kh',
    );
    assert.equal(checkHostKey(entries, 'gw', blob(ED)).status, 'known');
    const changed = checkHostKey(entries, 'gw', blob(ED2));
    assert.equal(changed.status, 'changed');
    assert.equal(changed.status === 'changed' && changed.recorded[0].line, 2);
    assert.equal(checkHostKey(entries, 'bad', blob(ED)).status, 'revoked');
    assert.equal(checkHostKey(entries, 'nobody', blob(ED2)).status, 'unknown', '@cert-authority must not count as a host key');
  });

  it('writes plain and hashed lines that match again', () => {
    const plain = knownHostsLine('[h]:2', blob(ED), false);
    assert.equal(plain, `[h]:2 ssh-ed25519 ${ED}`);
    const hashed = knownHostsLine('[h]:2', blob(ED), true);
    assert.match(hashed, /^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 /);
    assert.equal(checkHostKey(parseKnownHosts(hashed, 'x'), '[h]:2', blob(ED)).status, 'known');
  });

  it('offers the recorded key types first in the handshake', () => {
    assert.deepEqual(preferredHostKeyAlgorithms(['ssh-rsa']).slice(0, 3), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    assert.equal(preferredHostKeyAlgorithms(['ecdsa-sha2-nistp256'])[0], 'ecdsa-sha2-nistp256');
    assert.equal(preferredHostKeyAlgorithms([])[0], 'ssh-ed25519');
  });
});

describe('ssh units: endpoint resolution', () => {
  const opts = { configPath: '/x/config', defaultIdentityFiles: ['/home/me/.ssh/id_ed25519'] };

  it('parses ProxyJump elements and chains', () => {
    assert.deepEqual(parseJumpSpec('bastion'), { user: undefined, host: 'bastion', port: undefined });
    assert.deepEqual(parseJumpSpec('ubuntu@1.2.3.4:2222'), { user: 'ubuntu', host: '1.2.3.4', port: 2222 });
    assert.deepEqual(parseJumpSpec('ssh://admin@[::1]:22'), { user: 'admin', host: '::1', port: 22 });
    assert.throws(() => parseJumpSpec('a b'), SshError);
    assert.equal(jumpChainEndpoint('none'), undefined);
    const chain = jumpChainEndpoint('a@first,second:2200')!;
    assert.equal(chain.host, 'second');
    assert.equal(chain.port, 2200);
    assert.equal(chain.jump?.host, 'first');
    assert.equal(chain.jump?.user, 'a');
  });

  it('applies the config (first value wins), explicit fields win, tokens and ~ expand, defaults only without IdentityFile', () => {
    const config = parse(
      [
        'Host gw',
        '  HostName %h.example.com',
        '  User ubuntu',
        '  Port 2200',
        '  IdentityFile ~/.ssh/gw_key',
        '  IdentityFile /keys/%r@%h',
        '  ProxyJump jumper@bastion:2022,inner',
        'Host inner',
        '  ProxyJump should-be-ignored',
        'Host *',
        '  User fallback',
        '  Port 22',
      ].join('\n'),
    );
    const r = resolveEndpoint({ label: 'gateway', host: 'gw' }, config, opts);
    assert.equal(r.hostname, 'gw.example.com');
    assert.equal(r.user, 'ubuntu');
    assert.equal(r.port, 2200);
    assert.deepEqual(r.identityFiles, [path.join(os.homedir(), '.ssh/gw_key'), '/keys/ubuntu@gw.example.com']);
    assert.equal(r.jump?.hostname, 'inner');
    assert.equal(r.jump?.user, 'fallback');
    assert.equal(r.jump?.jump?.hostname, 'bastion');
    assert.equal(r.jump?.jump?.user, 'jumper');
    assert.equal(r.jump?.jump?.port, 2022);
    assert.equal(r.jump?.jump?.jump, undefined);
    assert.equal(r.key, 'ubuntu@gw.example.com:2200 via fallback@inner:22 via jumper@bastion:2022');

    const x = resolveEndpoint(
      { label: 'gateway', host: 'gw', user: 'admin', port: 22, identityFile: '/mine', jump: { label: 'j', host: 'direct' } },
      config,
      opts,
    );
    assert.equal(x.user, 'admin');
    assert.equal(x.port, 22);
    assert.deepEqual(x.identityFiles, ['/mine', path.join(os.homedir(), '.ssh/gw_key'), '/keys/admin@gw.example.com']);
    assert.equal(x.jump?.hostname, 'direct');

    const plain = resolveEndpoint({ label: 'g', host: '10.0.0.9' }, config, opts);
    assert.equal(plain.user, 'fallback');
    assert.deepEqual(plain.identityFiles, opts.defaultIdentityFiles);
  });

  it('rejects a ProxyJump loop and bad ports', () => {
    const loop = parse('Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n');
    assert.throws(() => resolveEndpoint({ label: 'a', host: 'a' }, loop, opts), /longer than/);
    const bad = parse('Host a\n  Port eighty\n');
    assert.throws(() => resolveEndpoint({ label: 'a', host: 'a' }, bad, opts), /invalid Port/);
  });

  it('expands Include (relative to the config directory, with wildcards) and treats a missing file as empty', () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'rvcfg-'));
    try {
      fs.mkdirSync(path.join(d, 'conf.d'));
      fs.writeFileSync(path.join(d, 'config'), 'Include conf.d/*.conf\nHost *\n  User last\n');
      fs.writeFileSync(path.join(d, 'conf.d', '10-gw.conf'), 'Host gw\n  User first\n');
      const cfg = loadSshConfig(path.join(d, 'config'));
      assert.equal(resolveEndpoint({ label: 'g', host: 'gw' }, cfg, opts).user, 'first');
      assert.equal(resolveEndpoint({ label: 'g', host: 'zz' }, cfg, opts).user, 'last');
      assert.equal(loadSshConfig(path.join(d, 'missing')).length, 0);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('ssh units: exec helpers', () => {
  it('splits lines across chunks, keeps UTF-8 intact, emits a last line without newline', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const bytes = Buffer.from('one\ntw€o\r\nthree', 'utf8');
    for (let i = 0; i < bytes.length; i++) s.push(bytes.subarray(i, i + 1));
    s.end();
    assert.deepEqual(lines, ['one', 'tw€o', 'three']);
    assert.equal(s.text, 'one\ntw€o\r\nthree');
  });

  it('keeps the last 32 MiB of a long output, byte for byte, and still emits every line', () => {
    let count = 0;
    const s = new LineSplitter(() => count++);
    const chunk = (i: number) => Buffer.from(`${String(i).padStart(8, '0')}${'x'.repeat(1024 * 1024 - 9)}\n`);
    for (let i = 0; i < 34; i++) s.push(chunk(i));
    s.end();
    assert.equal(count, 34);
    const text = s.text;
    assert.equal(text.length, 32 * 1024 * 1024);
    assert.ok(text.startsWith('00000002'), text.slice(0, 8));
    assert.ok(text.endsWith(`${'x'.repeat(10)}\n`));
    assert.equal(s.text, text, 'reading the text twice gives the same');
  });

  it('quotes the command and never puts a password on the command line', () => {
    const cmd = `echo 'it''s' "$HOME" \`x\` $(y)`;
    for (const w of [wrapCommand(cmd), wrapCommand(cmd, {}), wrapCommand(cmd, { password: 'hunter2' })]) {
      assert.ok(w.includes(shellQuote(cmd)));
      assert.ok(!w.includes('hunter2'));
    }
    assert.match(wrapCommand('x', { password: 'p' }), /^exec sudo -S -k -p '' -- /);
    assert.match(wrapCommand('x', {}), /^exec sudo -n -- /);
    assert.ok(!EXEC_WRAPPER.includes("'"), 'the wrapper must not need quoting inside single quotes');
  });
});

describe('ssh units: the exit marker on stderr', () => {
  const feed = (chunks: (string | Buffer)[]) => {
    const got: Buffer[] = [];
    const f = new ExitMarkFilter((b) => got.push(Buffer.from(b)));
    for (const c of chunks) f.push(Buffer.isBuffer(c) ? c : Buffer.from(c, 'latin1'));
    f.end();
    return { text: Buffer.concat(got).toString('latin1'), status: f.status };
  };
  const MARK = (s: string) => `\x1eROSVPN-EXIT=${s}\x1e`;

  it('takes the status out of the stream, whole or split at every byte', () => {
    const all = `warning: x\nlast line${MARK('3')}`;
    assert.deepEqual(feed([all]), { text: 'warning: x\nlast line', status: 3 });
    assert.deepEqual(feed([...all].map((c) => c)), { text: 'warning: x\nlast line', status: 3 });
    assert.deepEqual(feed([MARK('143')]), { text: '', status: 143 });
  });

  it('passes record separators and look-alikes that are not the marker (negative controls)', () => {
    assert.deepEqual(feed(['a\x1eb\x1e\n']), { text: 'a\x1eb\x1e\n', status: undefined });
    assert.deepEqual(feed(['\x1eROSVPN-EXIT=abc\x1e']), { text: '\x1eROSVPN-EXIT=abc\x1e', status: undefined });
    assert.deepEqual(feed(['x\x1eROSVPN-EX']), { text: 'x\x1eROSVPN-EX', status: undefined });
    assert.deepEqual(feed(['\x1eROSVPN-EXIT=1234567890123']), { text: '\x1eROSVPN-EXIT=1234567890123', status: undefined });
  });

  it('the wrapper and the sudo probes write it last', () => {
    assert.match(EXEC_WRAPPER, /printf "\\036ROSVPN-EXIT=%s\\036" "\$s" >&2\nif /);
    assert.match(EXIT_MARK_TAIL, /^s=\$\?; printf .* >&2; exit "\$s"$/);
  });
});
