// The rendered network scripts on a real kernel: a VPC of network namespaces (gateway + 3 seconds on an
// MTU-9001 bridge), each host running its own net-up.sh. Proves the VXLAN mesh carries the robot
// subnet at full 1500-byte frames, that a rerun changes nothing, and that stale peers are removed.
import { strict as assert } from 'assert';
import { ValidTopology } from '../../src/core/topology/types';
import { requireTool } from '../../src/lab/sh';
import { VpcMesh } from '../../src/lab/vpcMesh';
import { loadFixture } from './render.test';

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
    requireTool('ip', 'apt-get install iproute2');
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
      assert.deepEqual([s.underlay, s.bridge, s['bridge-address'], s.tunnel, s['tunnel-peers']], ['ok', 'changed', 'changed', 'changed', 'changed'], h.name);
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

  it('a rerun reports every step ok and leaves links, addresses and FDB entries identical', () => {
    for (const h of mesh.hosts) {
      const state = () =>
        mesh.lab.exec(h.name, 'sh', ['-c', 'ip -d -o link show | sed "s/ qlen.*//"; ip -o addr show; bridge fdb show dev rosvx0 | grep 00:00:00']).stdout;
      const before = state();
      const r = mesh.netUp(h.name);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.doesNotMatch(r.stdout, /status=changed/, `${h.name} rerun changed something:\n${r.stdout}`);
      assert.match(r.stdout, /changed=0 ok=5 skipped=0 failed=0/);
      assert.equal(state(), before);
    }
  });

  it("a second removed from the topology is removed from the gateway's flood list", () => {
    const r = mesh.netUp('gateway', { ...t, seconds: t.seconds.slice(0, 2) } as ValidTopology);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /removed stale peer 172\.31\.1\.14/);
    // Only the static flood entries: learned MAC entries age out by themselves.
    const fdb = mesh.lab.exec('gateway', 'bridge', ['fdb', 'show', 'dev', 'rosvx0']).stdout.split('\n').filter((l) => l.startsWith('00:00:00:00:00:00')).join('\n');
    assert.doesNotMatch(fdb, /172\.31\.1\.14/);
    assert.match(fdb, /dst 172\.31\.1\.13/);
  });

  it('a cloudIp that is not on the host fails the underlay step with the fix', () => {
    const r = mesh.netUp('gateway', { ...t, gateway: { ...t.gateway, cloudIp: '172.31.1.99' } } as ValidTopology);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout, /::step name=underlay status=failed msg="no interface on this host has the cloud address 172\.31\.1\.99; check cloudIp/);
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
