// ensure_sysctl_min, the scripts' helper that makes room for OpenVPN's socket buffers, run in real bash.
// The kernel's limits are host-wide, so `sysctl` is a stand-in on PATH that keeps its values in files;
// the write is real (write_file into a temporary sysctl.d, owned root:root as on a host: so this needs root).
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FILE_LIB, STEP_LIB } from '../../src/core/render/bash';

const STUB = `#!/bin/bash
# sysctl -n KEY | sysctl -q -w KEY=VALUE, values in $SYSCTL_STATE/KEY; $SYSCTL_STATE/deny refuses writes.
if [ "$1" = -n ]; then cat "$SYSCTL_STATE/$2" 2>/dev/null || exit 255; exit 0; fi
# sysctl KEY... (as ensure_sysctl_min reads them all at once): 'KEY = VALUE' lines, a missing key on stderr.
if [ "$1" != -n ] && [ "$1" != -q ] && [ "$1" != -w ] && [[ $1 != *=* ]]; then
  rc=0
  for k in "$@"; do
    if v=$(cat "$SYSCTL_STATE/$k" 2>/dev/null); then echo "$k = $v"; else echo "sysctl: cannot stat /proc/sys/\${k//.//}" >&2; rc=255; fi
  done
  exit $rc
fi
[ -e "$SYSCTL_STATE/deny" ] && { echo "sysctl: permission denied on key \${3%%=*}" >&2; exit 255; }
printf '%s\\n' "\${3#*=}" > "$SYSCTL_STATE/\${3%%=*}"
`;

describe('ensure_sysctl_min (socket buffer limits for OpenVPN)', () => {
  let dir: string;
  let state: string;
  let file: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-sysctl-'));
    state = path.join(dir, 'state');
    fs.mkdirSync(state);
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin', 'sysctl'), STUB, { mode: 0o755 });
    fs.mkdirSync(path.join(dir, 'sysctl.d'));
    file = path.join(dir, 'sysctl.d', '60-rosvpn.conf');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const limits = (rmem: number, wmem: number) => {
    fs.writeFileSync(path.join(state, 'net.core.rmem_max'), `${rmem}\n`);
    fs.writeFileSync(path.join(state, 'net.core.wmem_max'), `${wmem}\n`);
  };
  const value = (key: string) => Number(fs.readFileSync(path.join(state, key), 'utf8'));
  const runHelper = () => {
    const script = `set -Eeuo pipefail\n${STEP_LIB}${FILE_LIB}step_begin t\nensure_sysctl_min ${file} 4194304 net.core.rmem_max net.core.wmem_max\necho "raised=$SYSCTL_RAISED changed=$STEP_CHANGED"\n`;
    const r = spawnSync('bash', ['-c', script], {
      encoding: 'utf8',
      env: {
        ...process.env,
        PATH: `${dir}/bin:${process.env.PATH}`,
        SYSCTL_STATE: state,
        ROSVPN_TALLY: path.join(dir, 'tally'),
        ROSVPN_STATE_DIR: path.join(dir, 'rosvpn-state'),
      },
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    return r.stdout;
  };

  it("raises a stock kernel's limits (212992) now and for boot, then a rerun changes nothing", () => {
    limits(212992, 212992);
    const out = runHelper();
    assert.match(out, /raised net\.core\.rmem_max from 212992 to 4194304/);
    assert.match(out, /raised=1 changed=1/);
    assert.deepEqual([value('net.core.rmem_max'), value('net.core.wmem_max')], [4194304, 4194304]);
    assert.equal(
      fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('\n'),
      'net.core.rmem_max = 4194304\nnet.core.wmem_max = 4194304\n',
    );
    const before = fs.statSync(file).mtimeMs;
    assert.match(runHelper(), /raised=0 changed=0/);
    assert.equal(fs.statSync(file).mtimeMs, before, 'the rerun rewrote the file');
    assert.equal(fs.readFileSync(file, 'utf8').match(/= 4194304/g)?.length, 2);
  });

  it('records the values before the first raise for unprovisioning, and never overwrites the record', () => {
    const before = path.join(dir, 'rosvpn-state', 'sysctl.before');
    limits(212992, 4194304);
    runHelper();
    assert.equal(fs.readFileSync(before, 'utf8'), 'net.core.rmem_max = 212992\n');
    limits(300000, 100000);
    runHelper();
    assert.equal(fs.readFileSync(before, 'utf8'), 'net.core.rmem_max = 212992\nnet.core.wmem_max = 100000\n');
  });

  it('never lowers a higher limit and writes no file when none needed raising', () => {
    limits(16777216, 4194304);
    assert.match(runHelper(), /raised=0 changed=0/);
    assert.deepEqual([value('net.core.rmem_max'), value('net.core.wmem_max')], [16777216, 4194304]);
    assert.equal(fs.existsSync(file), false);
  });

  it('raises only the lower one and persists only that one', () => {
    limits(16777216, 212992);
    assert.match(runHelper(), /raised=1 changed=1/);
    assert.deepEqual([value('net.core.rmem_max'), value('net.core.wmem_max')], [16777216, 4194304]);
    assert.match(fs.readFileSync(file, 'utf8'), /^net\.core\.wmem_max = 4194304$/m);
    assert.doesNotMatch(fs.readFileSync(file, 'utf8'), /rmem_max/);
  });

  it('where the host refuses (a container), warns with the key and the values and does not fail the step', () => {
    limits(212992, 212992);
    fs.writeFileSync(path.join(state, 'deny'), '');
    const out = runHelper();
    assert.match(out, /::warn msg="cannot raise net\.core\.rmem_max from 212992 to 4194304 on this host/);
    assert.match(out, /raised=0 changed=0/);
    assert.equal(value('net.core.rmem_max'), 212992);
    assert.equal(fs.existsSync(file), false);
    assert.equal(fs.existsSync(path.join(dir, 'rosvpn-state')), false, 'nothing raised, nothing recorded');
  });
});
