// The rendered network scripts on a real kernel: a VPC of network namespaces (gateway + 3 seconds on an
// MTU-9001 bridge), each host running its own net-up.sh. Proves the VXLAN mesh carries the robot
// subnet at full 1500-byte frames, that a rerun changes nothing, and that stale peers are removed.
import { strict as assert } from 'assert';
import { renderTopology } from '../../src/core/render';
import { renderCheckScript } from '../../src/core/render/check';
import { DESKTOP_NET_UP } from '../../src/core/render/desktop';
import { parseCheckLines } from '../../src/core/provision/check';
import type { ValidTopology } from '../../src/core/topology/types';
import { NetnsSet } from '../../lab/netns';
import { must, requireTool } from '../../lab/sh';
import { VpcMesh } from '../../lab/vpcMesh';
import { loadFixture } from '../support/fixtures';

function steps(output: string): Record<string, string> {
  const r: Record<string, string> = {};
  for (const m of output.matchAll(/^::step name=(\S+) status=(\S+)/gm)) r[m[1]] = m[2];
  return r;
}

describe('net-up.sh in network namespaces (real bridge + VXLAN)', function () {
  this.timeout(60000);
  const t = loadFixture('vxlan-3');
  const mesh = new VpcMesh(t, 'n');
  const firstRun = new Map<string, string>();

  before(() => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (ip netns); CI runs as root');
    requireTool('ip');
    mesh.build();
    for (const h of mesh.hosts) {
      const r = mesh.netUp(h.name);
      assert.equal(r.status, 0, `${h.name} net-up failed:\n${r.stdout}\n${r.stderr}`);
      firstRun.set(h.name, r.stdout);
    }
  });

  after(() => {
    assert.deepEqual(mesh.teardown(), [], 'namespaces left behind');
  });

  it('first run creates the bridge, address and tunnel and reports them changed', () => {
    for (const h of mesh.hosts) {
      const s = steps(firstRun.get(h.name)!);
      assert.deepEqual(
        [s.underlay, s.bridge, s['bridge-address'], s.tunnel, s['tunnel-peers']],
        ['ok', 'changed', 'changed', 'changed', 'changed'],
        h.name,
      );
      assert.match(firstRun.get(h.name)!, /::summary role=\S+ host=\S+ changed=4 ok=1 skipped=0 failed=0/);
    }
  });

  it("every host reaches every other host's VPN address across the mesh, with 1500-byte frames unfragmented", () => {
    for (const from of mesh.hosts) {
      for (const to of mesh.hosts) {
        if (from === to) continue;
        const r = mesh.ping(from.name, to, 1472);
        assert.equal(r.status, 0, `${from.name} -> ${to.name}: ${r.stdout}${r.stderr}`);
      }
    }
  });

  it("negative control: with the gateway's tunnel down, its VPN address is unreachable", () => {
    mesh.lab.exec('gateway', 'ip', ['link', 'set', 'rosvx0', 'down']);
    try {
      const r = mesh.ping('second', mesh.hosts[0], 56, 1);
      assert.notEqual(r.status, 0, 'ping crossed a downed tunnel');
    } finally {
      mesh.lab.exec('gateway', 'ip', ['link', 'set', 'rosvx0', 'up']);
    }
  });

  it('the health check script reports bridge, tunnel and reachability per host, and fails what is broken', () => {
    for (const h of mesh.hosts) {
      const r = mesh.lab.exec(h.name, 'bash', ['-s'], renderCheckScript(t, h.name));
      const items = parseCheckLines(r.stdout);
      const byName = Object.fromEntries(items.map((i) => [i.name, i.status]));
      assert.equal(byName.bridge, 'pass', `${h.name}: ${r.stdout}`);
      assert.equal(byName['bridge-address'], 'pass');
      assert.equal(byName.tunnel, 'pass', `${h.name}: ${r.stdout}`);
      for (const other of mesh.hosts.filter((o) => o !== h))
        assert.equal(byName[`reach:${other.name}`], 'pass', `${h.name} -> ${other.name}`);
      // The static desktop address is not in this lab: the check must say so rather than pass.
      assert.equal(byName['reach:desktop'], 'fail');
    }
    mesh.lab.exec('second-2', 'bridge', ['fdb', 'del', '00:00:00:00:00:00', 'dev', 'rosvx0', 'dst', '172.31.1.11']);
    try {
      const broken = parseCheckLines(mesh.lab.exec('second-2', 'bash', ['-s'], renderCheckScript(t, 'second-2')).stdout);
      assert.deepEqual(
        broken.find((i) => i.name === 'tunnel'),
        { name: 'tunnel', status: 'fail', msg: 'rosvx0 lacks flood entries for: 172.31.1.11' },
      );
    } finally {
      mesh.lab.exec('second-2', 'bridge', ['fdb', 'append', '00:00:00:00:00:00', 'dev', 'rosvx0', 'dst', '172.31.1.11']);
    }
  });

  it('a rerun reports every step ok and leaves links, addresses and FDB entries identical', () => {
    for (const h of mesh.hosts) {
      const state = () =>
        mesh.lab.exec(h.name, 'sh', [
          '-c',
          'ip -d -o link show | sed "s/ qlen.*//"; ip -o addr show; bridge fdb show dev rosvx0 | grep 00:00:00',
        ]).stdout;
      const before = state();
      const r = mesh.netUp(h.name);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.doesNotMatch(r.stdout, /status=changed/, `${h.name} rerun changed something:\n${r.stdout}`);
      assert.match(r.stdout, /changed=0 ok=5 skipped=0 failed=0/);
      assert.equal(state(), before);
    }
  });

  it("a second removed from the topology is removed from the gateway's flood list and neighbour cache", () => {
    const neigh = () => mesh.lab.exec('gateway', 'ip', ['neigh', 'show', '172.31.1.14', 'dev', 'eth0']).stdout.trim();
    mesh.lab.exec('gateway', 'ping', ['-c', '1', '-W', '2', '172.31.1.14']);
    assert.match(neigh(), /lladdr/, 'the gateway has no neighbour entry for the second before (the check below could not fail)');
    const r = mesh.netUp('gateway', { ...t, seconds: t.seconds.slice(0, 2) } as ValidTopology);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /removed peer 172\.31\.1\.14$/m);
    // Only the static flood entries: learned MAC entries age out by themselves.
    const fdb = mesh.lab
      .exec('gateway', 'bridge', ['fdb', 'show', 'dev', 'rosvx0'])
      .stdout.split('\n')
      .filter((l) => l.startsWith('00:00:00:00:00:00'))
      .join('\n');
    assert.doesNotMatch(fdb, /172\.31\.1\.14/);
    assert.match(fdb, /dst 172\.31\.1\.13/);
    assert.equal(neigh(), '', "the removed peer is still in the gateway's neighbour cache");
  });

  it('a cloudIp that is not on the host fails the underlay step with the fix', () => {
    const r = mesh.netUp('gateway', { ...t, gateway: { ...t.gateway, cloudIp: '172.31.1.99' } } as ValidTopology);
    assert.notEqual(r.status, 0);
    assert.match(
      r.stdout,
      /::step name=underlay status=failed msg="no interface on this host has the cloud address 172\.31\.1\.99; check cloudIp/,
    );
  });

  it('an underlay too small for 1500-byte frames gives a warning with the computed tunnel MTU', () => {
    mesh.lab.exec('second-3', 'ip', ['link', 'set', 'eth0', 'mtu', '1500']);
    try {
      const r = mesh.netUp('second-3');
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /::warn msg="eth0 has MTU 1500: the vxlan tunnel carries frames of at most 1450 bytes/);
      assert.match(mesh.lab.exec('second-3', 'cat', ['/sys/class/net/rosvx0/mtu']).stdout, /^1450$/m);
    } finally {
      mesh.lab.exec('second-3', 'ip', ['link', 'set', 'eth0', 'mtu', '9001']);
    }
  });
});

describe('desktop-net-up.sh in network namespaces (the LAN NIC moves into the bridge)', function () {
  this.timeout(30000);
  const lab = new NetnsSet('d');
  const t = loadFixture('vxlan-3'); // static addressing 192.168.0.10/24 via 192.168.0.1
  const script = renderTopology(t)
    .scripts.find((s) => s.role === 'desktop')!
    .embedded.find((e) => e.path === DESKTOP_NET_UP)!.content;
  let firstRun = '';
  let nicMac = '';

  before(() => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (ip netns); CI runs as root');
    const desk = lab.add('desk');
    const lan = lab.add('lan');
    must('ip', ['link', 'add', `${lab.prefix}e`, 'netns', desk, 'type', 'veth', 'peer', 'name', 'lan0', 'netns', lan]);
    must('ip', ['-n', desk, 'link', 'set', `${lab.prefix}e`, 'name', 'eno1']);
    must('ip', ['-n', lan, 'addr', 'add', '192.168.0.1/24', 'dev', 'lan0']);
    must('ip', ['-n', lan, 'link', 'set', 'lan0', 'up']);
    must('ip', ['-n', desk, 'addr', 'add', '192.168.0.10/24', 'dev', 'eno1']);
    must('ip', ['-n', desk, 'link', 'set', 'eno1', 'up']);
    must('ip', ['-n', desk, 'route', 'add', 'default', 'via', '192.168.0.1']);
    nicMac = lab.exec('desk', 'cat', ['/sys/class/net/eno1/address']).stdout.trim();
    const r = lab.exec('desk', 'bash', ['-s'], script);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    firstRun = r.stdout;
  });

  after(() => assert.deepEqual(lab.teardown(), []));

  it('moves eno1 into rosbridge: the bridge takes its MAC, its address and the default route', () => {
    assert.match(firstRun, /moved eno1 into rosbridge \(addresses: 192\.168\.0\.10\/24, default route: 192\.168\.0\.1\)/);
    assert.equal(lab.exec('desk', 'cat', ['/sys/class/net/rosbridge/address']).stdout.trim(), nicMac);
    assert.match(lab.exec('desk', 'readlink', ['/sys/class/net/eno1/master']).stdout, /rosbridge$/m);
    assert.match(lab.exec('desk', 'ip', ['-o', '-4', 'addr', 'show', 'dev', 'rosbridge']).stdout, /inet 192\.168\.0\.10\/24/);
    assert.equal(lab.exec('desk', 'ip', ['-o', '-4', 'addr', 'show', 'dev', 'eno1']).stdout, '', 'no IPv4 address left on the bridge port');
    assert.match(lab.exec('desk', 'ip', ['-4', 'route', 'show', 'default']).stdout, /default via 192\.168\.0\.1 dev rosbridge/);
  });

  it('the LAN stays reachable through the bridge, and a rerun changes nothing', () => {
    assert.equal(lab.exec('desk', 'ping', ['-c', '1', '-W', '2', '192.168.0.1']).status, 0);
    const r = lab.exec('desk', 'bash', ['-s'], script);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /changed=0 ok=4 skipped=0 failed=0/);
  });

  it('a LAN interface that does not exist fails with the list of interfaces', () => {
    const wrong = renderTopology({ ...t, desktop: { ...t.desktop!, lanInterface: 'enp9s0' } } as ValidTopology).scripts.find(
      (s) => s.role === 'desktop',
    )!.embedded[0].content;
    const r = lab.exec('desk', 'bash', ['-s'], wrong);
    assert.notEqual(r.status, 0);
    assert.match(
      r.stdout,
      /::step name=lan-interface status=failed msg="LAN interface enp9s0 does not exist here; set desktop.lanInterface in rosvpn.json to one of: .*eno1/,
    );
  });
});
