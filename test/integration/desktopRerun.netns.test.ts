// A desktop re-run that changes the bridge, on a real kernel: a namespace stands in for the desktop (eno1 and
// eno2 on a LAN namespace with its router at 192.168.0.1). The rollback script that desktop.sh writes before a
// re-run (bridge_rollback, generated) is taken from the bridge as it is; the new desktop-net-up.sh changes the
// static address, or the lanInterface; the rollback's `ip` commands then give the bridge back its address,
// default route, MAC and ports. Not run here: systemd-run's timer and the file restores (they act on this
// machine's /etc), and the confirm step of desktop.sh (it needs the whole script: packages, OpenVPN).
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { renderTopology } from '../../src/core/render';
import { FILE_LIB } from '../../src/core/render/bash';
import { DESKTOP_NET_UP, RERUN_GUARD_LIB } from '../../src/core/render/desktop';
import type { DesktopConfig, ValidTopology } from '../../src/core/topology/types';
import { NetnsSet } from '../../lab/netns';
import { must } from '../../lab/sh';
import { loadFixture } from '../support/fixtures';

describe('desktop re-run: a change of the bridge, and its rollback to the state before (netns)', function () {
  this.timeout(60000);
  const lab = new NetnsSet('r');
  const t = loadFixture('vxlan-3'); // static 192.168.0.10/24 via 192.168.0.1 on eno1
  const netUp = (d: DesktopConfig) =>
    renderTopology({ ...t, desktop: d } as ValidTopology)
      .scripts.find((s) => s.role === 'desktop')!
      .embedded.find((e) => e.path === DESKTOP_NET_UP)!.content;
  const desk = (cmd: string, args: string[], input?: string) => lab.exec('desk', cmd, args, input);
  const mac = (dev: string) => desk('cat', [`/sys/class/net/${dev}/address`]).stdout.trim();
  const master = (dev: string) => desk('sh', ['-c', `basename "$(readlink /sys/class/net/${dev}/master)" 2>/dev/null`]).stdout.trim();
  const state = () => ({
    addrs: desk('ip', ['-o', '-4', 'addr', 'show', 'dev', 'rosbridge']).stdout.replace(/\s+valid_lft.*$/gm, ''),
    route: desk('ip', ['-4', 'route', 'show', 'default']).stdout,
    mac: mac('rosbridge'),
    eno1: master('eno1'),
    eno2: master('eno2'),
  });

  function runNetUp(d: DesktopConfig): string {
    const r = desk('bash', ['-s'], netUp(d));
    assert.equal(r.status, 0, r.stdout + r.stderr);
    return r.stdout;
  }
  /** The rollback script desktop.sh would write now, for a re-run to `lanInterface`; only its `ip` lines. */
  function rollbackNow(lanInterface: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-prev-')); // empty: no files to restore here
    const r = desk('bash', ['-c', `${FILE_LIB}${RERUN_GUARD_LIB}BRIDGE=rosbridge LAN_IF=${lanInterface}; bridge_rollback ${dir}`]);
    fs.rmdirSync(dir);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout
      .split('\n')
      .filter((l) => l.startsWith('ip '))
      .join('\n');
  }
  const pingsRouter = () => desk('ping', ['-c', '1', '-W', '2', '192.168.0.1']).status === 0;

  before(() => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (ip netns); CI runs as root');
    const d = lab.add('desk');
    const lan = lab.add('lan');
    must('ip', ['-n', lan, 'link', 'add', 'lanbr', 'type', 'bridge']);
    for (const [i, nic] of ['eno1', 'eno2'].entries()) {
      must('ip', ['link', 'add', `${lab.prefix}e${i}`, 'netns', d, 'type', 'veth', 'peer', 'name', `lan${i}`, 'netns', lan]);
      must('ip', ['-n', d, 'link', 'set', `${lab.prefix}e${i}`, 'name', nic]);
      must('ip', ['-n', d, 'link', 'set', nic, 'up']);
      must('ip', ['-n', lan, 'link', 'set', `lan${i}`, 'master', 'lanbr', 'up']);
    }
    must('ip', ['-n', lan, 'addr', 'add', '192.168.0.1/24', 'dev', 'lanbr']);
    must('ip', ['-n', lan, 'link', 'set', 'lanbr', 'up']);
    must('ip', ['-n', d, 'addr', 'add', '192.168.0.10/24', 'dev', 'eno1']);
    must('ip', ['-n', d, 'route', 'add', 'default', 'via', '192.168.0.1']);
    runNetUp(t.desktop!);
    assert.ok(pingsRouter());
  });

  after(() => assert.deepEqual(lab.teardown(), []));

  it('another static address: the bridge takes it; the rollback gives it back the old one and its default route', () => {
    const before = state();
    assert.match(before.addrs, /inet 192\.168\.0\.10\/24/);
    const rollback = rollbackNow('eno1');
    assert.match(rollback, /^ip addr add 192\.168\.0\.10\/24 dev rosbridge$/m);
    assert.match(rollback, /^ip route replace default via 192\.168\.0\.1 dev rosbridge$/m);

    const out = runNetUp({ ...t.desktop!, address: '192.168.0.20/24' });
    assert.match(out, /removed stale address 192\.168\.0\.10\/24 from rosbridge/);
    assert.match(state().addrs, /inet 192\.168\.0\.20\/24/);
    assert.doesNotMatch(state().addrs, /192\.168\.0\.10\//);

    const r = desk('sh', ['-e'], rollback);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(state(), before);
    assert.ok(pingsRouter(), 'the router answers after the rollback');
  });

  it('another lanInterface: eno2 joins, eno1 is released; the rollback puts eno1 back and eno2 out', () => {
    const before = state();
    assert.deepEqual([before.eno1, before.eno2], ['rosbridge', '']);
    const rollback = rollbackNow('eno2');
    const out = runNetUp({ ...t.desktop!, lanInterface: 'eno2' });
    assert.match(out, /released eno1 from rosbridge \(no longer desktop\.lanInterface\)/);
    const changed = state();
    assert.deepEqual([changed.eno1, changed.eno2, changed.mac], ['', 'rosbridge', mac('eno2')]);
    assert.ok(pingsRouter(), 'the router answers through eno2');

    const r = desk('sh', ['-e'], rollback);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(state(), before);
    assert.ok(pingsRouter(), 'the router answers through eno1 after the rollback');
  });
});
