// validateProfile: a client profile is data. Only the directives the gateway writes and the four inline
// blocks pass; everything else (scripts, plugins, other devices, binary junk, broken blocks) is refused with
// the line named.
import { strict as assert } from 'node:assert';
import {
  InvalidProfileError,
  MAX_PROFILE_BYTES,
  assertValidProfile,
  gatewayProfilePath,
  profileFileName,
  validateProfile,
} from '../../src/core/provision/profile';
import { PROFILE_BLOCKS, PROFILE_DIRECTIVES, renderClientOptions } from '../../src/core/render/openvpn';
import { isInvalidProfileError } from '../../src/core/errors';
import { loadFixture } from '../support/fixtures';
import { fakeProfile, profileBlocks } from '../support/profiles';

const t = loadFixture('vxlan-1');

const pem = (label: string) => `-----BEGIN ${label}-----\nMIIBszCCAVmgAwIBAgIUQ2Fu\nbm90IGJlIHVzZWQ=\n-----END ${label}-----`;
const blocks = profileBlocks();

/** What the gateway writes: renderClientOptions and the inline blocks. */
function good(): string {
  return fakeProfile({ gateway: t.gateway, name: t.name, mtu: t.mtu });
}

/** The good profile with `line` added after the `client` directive (line 3), as line 4. */
function withLine(line: string): string {
  return good().replace('\nclient\n', `\nclient\n${line}\n`);
}

function errorsOf(text: string | Uint8Array): string[] {
  const r = validateProfile(text);
  assert.equal(r.ok, false, 'expected a refusal');
  assert.ok(r.errors.length > 0);
  return r.errors;
}

describe('validateProfile', () => {
  it('accepts what the gateway writes (udp and tcp), with CRLF line ends, as text or bytes', () => {
    assert.deepEqual(validateProfile(good()), { ok: true, errors: [] });
    const tcp = { ...t.gateway, openvpnProto: 'tcp' as const };
    assert.deepEqual(validateProfile(`${renderClientOptions(t.name, tcp, 1400)}${blocks}\n`).errors, []);
    assert.deepEqual(validateProfile(good().replace(/\n/g, '\r\n')).errors, []);
    assert.deepEqual(validateProfile(Buffer.from(good())).errors, []);
    // --name is the same directive to OpenVPN.
    assert.deepEqual(validateProfile(withLine('--persist-key')).errors, []);
  });

  it('every allow-listed directive passes, and the blocks are exactly ca, cert, key, tls-crypt', () => {
    for (const d of PROFILE_DIRECTIVES) assert.deepEqual(validateProfile(withLine(d === 'dev' ? 'dev tap' : `${d} 1`)).errors, [], d);
    assert.deepEqual([...PROFILE_BLOCKS], ['ca', 'cert', 'key', 'tls-crypt']);
  });

  it('refuses each directive that runs code or weakens the tunnel, naming the line and the directive', () => {
    const hostile = [
      'up /bin/sh',
      'down /tmp/x',
      'route-up "/bin/sh -c id"',
      'plugin /usr/lib/openvpn/evil.so',
      'script-security 2',
      'tls-verify /bin/true',
      'ipchange /bin/sh',
      'client-connect /bin/sh',
      'learn-address /bin/sh',
      'auth-user-pass-verify /bin/sh via-env',
      'config /etc/passwd',
      'setenv PATH /tmp',
      'management 0.0.0.0 7505',
      'dev-type tun',
      'route-pre-down /bin/sh',
      'daemon',
      'writepid /etc/shadow',
      'log /etc/cron.d/x',
      'cd /',
      'chroot /',
      'iproute /tmp/ip',
    ];
    for (const line of hostile) {
      const name = line.split(' ')[0] as string;
      const errs = errorsOf(withLine(line));
      assert.equal(errs.length, 1, `${line}: ${errs.join('; ')}`);
      assert.match(
        errs[0] as string,
        new RegExp(`^line 4: directive '${name}' is not allowed in a ROS VPN profile \\(it holds only client, dev,`),
      );
    }
    assert.match(errorsOf(withLine('--up /bin/sh'))[0] as string, /^line 4: directive 'up' is not allowed/);
    assert.match(errorsOf(withLine('  up /bin/sh'))[0] as string, /^line 4: directive 'up'/);
  });

  it('refuses dev other than tap', () => {
    assert.match(errorsOf(good().replace('dev tap', 'dev tun'))[0] as string, /^line 4: dev must be 'tap'.*"tun"/);
    assert.match(errorsOf(good().replace('dev tap', 'dev'))[0] as string, /^line 4: dev must be 'tap'/);
    assert.match(errorsOf(good().replace('dev tap', 'dev tap0 extra'))[0] as string, /^line 4: dev must be 'tap'/);
  });

  it('refuses lines it cannot read as a directive: quotes, uppercase, odd tokens', () => {
    assert.match(errorsOf(withLine('"up" /bin/sh'))[0] as string, /^line 4: cannot read "\\"up\\"" as a directive name/);
    assert.match(errorsOf(withLine('UP /bin/sh'))[0] as string, /^line 4: cannot read "UP"/);
    assert.match(errorsOf(withLine('<ca> inline'))[0] as string, /^line 4: cannot read "<ca>"/);
    assert.match(errorsOf(withLine('verb "3"'))[0] as string, /^line 4: 'verb' has quotes or a backslash/);
  });

  it('refuses missing, unknown, duplicate, nested, stray and unclosed blocks', () => {
    for (const b of PROFILE_BLOCKS) {
      const without = good().replace(new RegExp(`<${b}>[\\s\\S]*?</${b}>\\n`), '');
      const errs = errorsOf(without);
      assert.equal(errs.length, 1, errs.join('; '));
      assert.match(errs[0] as string, new RegExp(`^line \\d+: \\(end of file\\) the <${b}> block is missing`));
    }
    assert.match(errorsOf(withLine('<up>\n/bin/sh\n</up>'))[0] as string, /^line 4: block <up> is not allowed/);
    assert.match(
      errorsOf(withLine('<connection>\nremote evil 1\n</connection>'))[0] as string,
      /^line 4: block <connection> is not allowed/,
    );
    assert.match(
      errorsOf(`${good()}<key>\n${pem('PRIVATE KEY')}\n</key>\n`).join('\n'),
      /a second <key> block \(the first is at line \d+\)/,
    );
    const nested = good().replace('<key>\n', '<key>\n<cert>\n');
    assert.match(errorsOf(nested).join('\n'), /<cert> inside <key> \(opened at line \d+\): close <\/key> first/);
    assert.match(errorsOf(withLine('</ca>'))[0] as string, /^line 4: <\/ca> closes a block that is not open/);
    const unclosed = good().replace('</tls-crypt>\n', '');
    assert.match(errorsOf(unclosed).join('\n'), /line \d+: <tls-crypt> is never closed: add <\/tls-crypt>/);
    // A block swallowing a directive: still refused because the block has no PEM and everything after is
    // inside it.
    const empty = good().replace(/<ca>[\s\S]*?<\/ca>/, '<ca>\n</ca>');
    assert.match(errorsOf(empty)[0] as string, /<ca> does not hold the CA certificate \(no PEM BEGIN\/END lines\)/);
  });

  it('refuses binary junk, control characters and non-ASCII outside comments; never throws', () => {
    const nul = withLine('verb 3\0');
    assert.match(errorsOf(nul)[0] as string, /^line 4: NUL at column 7: a profile is plain ASCII text/);
    assert.match(errorsOf(withLine('remote h\x1b[2J 1194'))[0] as string, /^line 4: the control character U\+001B/);
    assert.match(errorsOf(withLine('remote hé 1194'))[0] as string, /^line 4: the non-ASCII character U\+00E9/);
    assert.deepEqual(validateProfile(withLine('# café')).errors, []);
    assert.match(errorsOf(withLine('# bell\x07'))[0] as string, /^line 4: the control character U\+0007/);
    const bin = Buffer.from([0x63, 0x6c, 0x0a, 0xff, 0xfe, 0x00, 0x01]);
    assert.match(errorsOf(bin)[0] as string, /^line 2: the profile is not text/);
    assert.match(errorsOf(Buffer.alloc(MAX_PROFILE_BYTES + 1, 0x61))[0] as string, /^line 1: the profile is \d+ bytes/);
    assert.match(errorsOf('')[0] as string, /^line 1: the profile is empty/);
    assert.match(errorsOf('\n\n  \n')[0] as string, /empty/);
    assert.match(errorsOf(withLine(`verb ${'9'.repeat(600)}`))[0] as string, /^line 4: the line is 605 characters long/);
    const manyBad = Array.from({ length: 50 }, () => 'up /bin/sh').join('\n');
    const errs = errorsOf(manyBad);
    assert.equal(errs.length, 21);
    assert.match(errs[20] as string, /… and \d+ more/);
    for (const junk of [
      '<',
      '<>',
      '</>',
      '<<ca>>',
      '\r',
      '\ufeffclient',
      '--',
      '-',
      '#',
      'client\n<ca>',
      '\u2028',
      'a'.repeat(10000),
      '\n'.repeat(100000),
    ]) {
      const r = validateProfile(junk);
      assert.equal(r.ok, false, JSON.stringify(junk.slice(0, 20)));
      for (const e of r.errors) assert.match(e, /^line \d+: |^… and \d+ more$/);
    }
  });

  it('assertValidProfile throws an InvalidProfileError (code PROFILE_INVALID) that names the source, the lines and the fix', () => {
    assert.doesNotThrow(() => assertValidProfile(good(), 'x'));
    let caught: unknown;
    try {
      assertValidProfile(withLine('up /bin/sh'), 'alice.ovpn from the gateway');
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof InvalidProfileError);
    assert.ok(isInvalidProfileError(caught));
    assert.equal(caught.code, 'PROFILE_INVALID');
    assert.match(caught.message, /^alice\.ovpn from the gateway is not a ROS VPN profile, so it was not used:\n {2}line 4: directive 'up'/);
    assert.match(caught.message, /rosvpn provision --host gateway/);
    assert.equal(caught.errors.length, 1);
  });

  it('profile names and their place on the gateway', () => {
    assert.equal(profileFileName(), 'ros_local_gateway.ovpn');
    assert.equal(profileFileName('alice-laptop'), 'alice-laptop.ovpn');
    assert.equal(gatewayProfilePath(), 'ros_local_gateway.ovpn');
    assert.equal(gatewayProfilePath('alice-laptop'), 'rosvpn-clients/alice-laptop.ovpn');
    for (const bad of ['../x', 'a/b', 'A', '', '-x', 'a b', "a'b"]) assert.throws(() => profileFileName(bad), /invalid client name/, bad);
  });
});
