// The state snapshot (lib/snap.sh) and the helpers that read it (lib/file.sh), run as generated: a no-op
// rerun decides from one read per kind, and with the snapshot a file already as wanted costs no process.
// systemctl, dpkg-query and sysctl are bash functions here that log each call; files are real, in a temp dir.
import { strict as assert } from 'assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FILE_LIB, STEP_LIB, withSnapshot } from '../../src/core/render/bash';
import { renderTopology } from '../../src/core/render';
import { run } from '../../lab/sh';
import { loadFixture } from '../support/fixtures';

const FAKES = `CALLS=$DIR/calls
systemctl() { echo "systemctl $*" >>"$CALLS"; case "$1" in
  show) printf 'ActiveState=active\\nUnitFileState=enabled\\n\\nActiveState=inactive\\nUnitFileState=disabled\\n' ;;
  is-enabled | is-active) return 1 ;;
  *) return 0 ;;
esac; }
dpkg-query() { echo "dpkg-query $*" >>"$CALLS"; printf 'iproute2 install ok installed\\nopenvpn deinstall ok config-files\\n'; }
sysctl() { echo "sysctl $*" >>"$CALLS"; case "$1" in
  -q) return 0 ;;
  *) printf 'net.core.rmem_max = 212992\\nnet.core.wmem_max = 8388608\\n' ;;
esac; }
apt_get() { echo "apt_get $*" >>"$CALLS"; }
`;

const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** Runs BODY after the generated libraries and the fakes, in a temp dir ($DIR); stdout, and the fakes' calls. */
function sh(body: string): { out: string; calls: string[]; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-snap-'));
  dirs.push(dir);
  const script = `set -euo pipefail
set -o errtrace
DIR=${dir}
ROSVPN_TALLY=$DIR/tally ROSVPN_STATE_DIR=$DIR/state ROLE=test HOST_NAME=test
OWNER=$(id -un):$(id -gn)
${STEP_LIB}
${FILE_LIB}
${FAKES}
${body}
`;
  const r = run('bash', ['-c', script]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const calls = fs.existsSync(path.join(dir, 'calls')) ? fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n') : [];
  return { out: r.stdout, calls, dir };
}

describe('state snapshot (snap.sh): one read per kind, trusted only when it shows what is wanted', () => {
  it('a file as wanted is left alone without starting any process (PATH emptied); one that differs is written', () => {
    const { out, dir } = sh(`printf 'a\\n\\nb\\n\\n' >"$DIR/f"; chmod 644 "$DIR/f"
snap_files "$DIR/f"
PATH=/nonexistent
write_file "$DIR/f" 644 "$OWNER" <<'EOF'
a

b

EOF
echo "same WROTE=$WROTE"
PATH=/usr/bin:/bin
write_file "$DIR/f" 644 "$OWNER" <<<'a'
echo "differs WROTE=$WROTE"`);
    assert.match(out, /^same WROTE=0$/m);
    assert.match(out, /^differs WROTE=1$/m);
    assert.equal(fs.readFileSync(path.join(dir, 'f'), 'utf8'), 'a\n');
  });

  it('negative control: with PATH emptied, a file that differs cannot be written (the no-op above really spawned nothing)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-snap-'));
    dirs.push(dir);
    const r = run('bash', [
      '-c',
      `set -euo pipefail\n${STEP_LIB}\n${FILE_LIB}\nROSVPN_TALLY=${dir}/t\nPATH=/nonexistent\nwrite_file ${dir}/g 644 <<<'x'`,
    ]);
    assert.notEqual(r.status, 0);
  });

  it('content is written byte for byte: no final newline, several final newlines, a NUL byte; and then found the same', () => {
    const { out, dir } = sh(`printf 'no newline' | { write_file "$DIR/a" 600 "$OWNER"; echo "a $WROTE"; }
printf 'x\\n\\n\\n' | { write_file "$DIR/b" 600 "$OWNER"; echo "b $WROTE"; }
printf 'x\\0y\\n' | { write_file "$DIR/c" 600 "$OWNER"; echo "c $WROTE"; }
printf 'x\\0y\\n' | { write_file "$DIR/c" 600 "$OWNER"; echo "c again $WROTE"; }
printf 'no newline' | { write_file "$DIR/a" 600 "$OWNER"; echo "a again $WROTE"; }
printf 'no newline\\n' | { write_file "$DIR/a" 600 "$OWNER"; echo "a newline $WROTE"; }`);
    assert.equal(fs.readFileSync(path.join(dir, 'b'), 'utf8'), 'x\n\n\n');
    assert.deepEqual([...fs.readFileSync(path.join(dir, 'c'))], [0x78, 0, 0x79, 0x0a]);
    assert.equal(fs.readFileSync(path.join(dir, 'a'), 'utf8'), 'no newline\n');
    const results = out.split('\n').filter((l) => l && !l.startsWith('  wrote '));
    assert.deepEqual(results, ['a 1', 'b 1', 'c 1', 'c again 0', 'a again 0', 'a newline 1']);
    assert.equal((fs.statSync(path.join(dir, 'a')).mode & 0o777).toString(8), '600');
  });

  it('a temporary file is listed before it exists, made without clobbering, and a listed leftover goes at the next preflight', () => {
    // RANDOM=7 seeds bash's generator: the first name write_tmp draws is known, and is taken beforehand.
    const { out, dir } = sh(`WRITE_PENDING=$DIR/pending
RANDOM=7; write_tmp "$DIR"; first=$tmp; rm -f "$first"; echo taken >"$first"
: >"$WRITE_PENDING"
RANDOM=7; write_file "$DIR/f" 640 "$OWNER" <<<'x'
echo "first=$first"
echo "taken: $(cat "$first")"
echo "pending: $(tr '\\n' ' ' <"$WRITE_PENDING")"
( write_file "$DIR/missing/f" 644 "$OWNER" <<<'x' ) >"$DIR/died" 2>&1 || echo "died $?"
touch "$DIR/.rosvpn.AAAAAA" "$DIR/.rosvpn.BBBBBB"; echo "$DIR/.rosvpn.AAAAAA" >>"$WRITE_PENDING"
write_pending_clear
ls -A "$DIR" | tr '\\n' ' '; echo`);
    const first = /^first=(.*)$/m.exec(out)![1];
    const pending = /^pending: (.*)$/m.exec(out)![1].trim().split(' ');
    // the taken name was listed (it was tried) but kept its content; the second name became the file
    assert.match(out, /^taken: taken$/m);
    assert.equal(pending[0], first);
    assert.equal(pending.length, 2);
    assert.notEqual(pending[1], first);
    assert.equal(fs.readFileSync(path.join(dir, 'f'), 'utf8'), 'x\n');
    assert.equal((fs.statSync(path.join(dir, 'f')).mode & 0o777).toString(8), '640');
    // no directory: a clear error, not a loop
    assert.match(out, /^died 1$/m);
    assert.match(fs.readFileSync(path.join(dir, 'died'), 'utf8'), /cannot create a file in .*missing .*exists and is writable/);
    // a listed leftover is removed, an unlisted file of the same pattern is not ours to remove
    const listing = out.trim().split('\n').pop()!.split(' ');
    assert.ok(!listing.includes('.rosvpn.AAAAAA'), listing.join(' '));
    assert.ok(listing.includes('.rosvpn.BBBBBB'), listing.join(' '));
  });

  it('a file with the wrong mode is written again, whatever an older snapshot said', () => {
    const { out } = sh(`printf 'x\\n' >"$DIR/f"; chmod 644 "$DIR/f"
snap_files "$DIR/f"
chmod 600 "$DIR/f"; snap_file_forget "$DIR/f"
write_file "$DIR/f" 600 "$OWNER" <<<'x'; echo "WROTE=$WROTE"
write_file "$DIR/f" 644 "$OWNER" <<<'x'; echo "WROTE=$WROTE"
write_file "$DIR/f" 644 "$OWNER" <<<'x'; echo "WROTE=$WROTE"`);
    assert.match(out, /WROTE=0\n {2}wrote .*\nWROTE=1\nWROTE=0/);
  });

  it('units: one systemctl show for all; enabled and active trusted, anything else asked again live', () => {
    const { out, calls } = sh(`snap_units a.service b.service
ensure_service a.service
echo "a changed=$STEP_CHANGED"
ensure_service b.service || true
echo "b changed=$STEP_CHANGED"`);
    assert.deepEqual(calls, [
      'systemctl show -p UnitFileState -p ActiveState -- a.service b.service',
      'systemctl is-enabled --quiet b.service',
      'systemctl enable --quiet --no-reload b.service',
      'systemctl is-active --quiet b.service',
      'systemctl start b.service',
    ]);
    assert.match(out, /^a changed=0$/m);
    assert.match(out, /^b changed=1$/m);
  });

  it('units: a block count that does not match the units asked records nothing (every check live)', () => {
    const { calls } = sh(`snap_units a.service b.service c.service
ensure_service a.service`);
    assert.deepEqual(calls.slice(1, 3), ['systemctl is-enabled --quiet a.service', 'systemctl enable --quiet --no-reload a.service']);
  });

  it('daemon-reload forgets the units (their state is read again)', () => {
    const { calls } = sh(`snap_units a.service b.service
daemon_reload_if 1
ensure_service a.service`);
    assert.deepEqual(calls.slice(1), [
      'systemctl daemon-reload',
      'systemctl is-enabled --quiet a.service',
      'systemctl enable --quiet --no-reload a.service',
      'systemctl is-active --quiet a.service',
      'systemctl start a.service',
    ]);
  });

  it('packages: one dpkg-query; a package only deinstalled or unknown is installed', () => {
    const { calls, out } = sh(`step_begin packages; ensure_packages iproute2 openvpn easy-rsa; step_end`);
    assert.deepEqual(calls, [
      'dpkg-query -W -f=${Package} ${Status}\\n iproute2 openvpn easy-rsa',
      'apt_get update',
      'apt_get install --no-install-recommends openvpn easy-rsa',
    ]);
    assert.match(out, /::step name=packages status=changed/);
    assert.deepEqual(sh('ensure_packages iproute2').calls.length, 1);
  });

  it('sysctl: all keys in one read; only the low one raised; the file written and the step changed', () => {
    const { calls, out, dir } = sh(`step_begin openvpn-config
ensure_sysctl_min "$DIR/60-rosvpn.conf" 4194304 net.core.rmem_max net.core.wmem_max net.core.missing
step_end`);
    assert.deepEqual(calls, ['sysctl net.core.rmem_max net.core.wmem_max net.core.missing', 'sysctl -q -w net.core.rmem_max=4194304']);
    assert.match(out, /cannot read net\.core\.missing/);
    assert.match(out, /::step name=openvpn-config status=changed/);
    assert.equal(
      fs.readFileSync(path.join(dir, '60-rosvpn.conf'), 'utf8'),
      '# ROS VPN (generated by rosvpn): room for the socket buffers in its OpenVPN config.\nnet.core.rmem_max = 4194304\n',
    );
  });

  it('set_env_line: the key replaced, other lines kept (a last line without newline too), and the step reports changed', () => {
    const { out, dir } = sh(`printf 'PATH=/bin\\nCYCLONEDDS_URI=old\\nLANG=C' >"$DIR/env"
step_begin cyclonedds; set_env_line "$DIR/env" CYCLONEDDS_URI file:///x; step_end
step_begin again; set_env_line "$DIR/env" CYCLONEDDS_URI file:///x; step_end`);
    assert.equal(fs.readFileSync(path.join(dir, 'env'), 'utf8'), 'PATH=/bin\nLANG=C\nCYCLONEDDS_URI=file:///x\n');
    assert.match(out, /::step name=cyclonedds status=changed ms=\d+\n::step name=again status=ok ms=\d+/);
  });

  it('the rendered scripts read the snapshot before their first step, naming the units and fixed paths they manage', () => {
    const scripts = renderTopology(loadFixture('vxlan-1')).scripts;
    const gw = scripts.find((s) => s.role === 'gateway')!.content;
    const desktop = scripts.find((s) => s.role === 'desktop')!.content;
    assert.match(
      gw,
      /^snap_units 'rosvpn-docker-forward.service' 'rosvpn-guard.service' 'rosvpn-net.service' 'openvpn-server@rosvpn.service'$/m,
    );
    assert.match(gw, /^snap_files .*'\/etc\/openvpn\/server\/rosvpn.conf'.*'\/etc\/environment'$/m);
    assert.ok(gw.indexOf('\nsnap_units ') < gw.indexOf('\nstep_begin preflight'));
    assert.match(desktop, /^snap_units 'rosvpn-guard.service' 'rosvpn-desktop-net.service' 'openvpn-client@rosvpn.service'$/m);
    assert.equal(withSnapshot('no marker here\n'), 'no marker here\n');
  });
});
