// Changes converge, on a real kernel: a VPC of network namespaces (gateway + 3 seconds, VXLAN) provisioned
// with the real net-up.sh; then a second is removed from the topology and the others are provisioned again,
// and then a second is renamed (a new instance with another cloudIp replaces it): the hosts that remain keep
// no trace of what went (no FDB entry to its cloudIp, no health check target), and reach what came.
import { strict as assert } from 'assert';
import { renderCheckScript } from '../../src/core/render/check';
import { parseCheckLines } from '../../src/core/provision/check';
import type { ValidTopology } from '../../src/core/topology/types';
import { must, requireTool } from '../../lab/sh';
import { type MeshHost, netUpScripts, VpcMesh } from '../../lab/vpcMesh';
import { loadFixture } from '../support/fixtures';

describe('converge: a second removed or renamed leaves no trace on the other hosts (netns, VXLAN)', function () {
  this.timeout(90000);
  const t = loadFixture('vxlan-3');
  const mesh = new VpcMesh(t, 'c');
  const withoutSecond2 = { ...t, seconds: t.seconds.filter((s) => s.name !== 'second-2') } as ValidTopology;
  // second-3 renamed: a new instance, with its own cloud and VPN address, replaces it.
  const renamed = {
    ...withoutSecond2,
    seconds: withoutSecond2.seconds.map((s) =>
      s.name === 'second-3' ? { ...s, name: 'second-b', host: '172.31.1.24', cloudIp: '172.31.1.24', vpnIp: '192.168.0.134/24' } : s,
    ),
  } as ValidTopology;

  /** Runs the net-up.sh that topology `topo` gives host `host`, in namespace `ns` (default: the host's own). */
  function netUp(topo: ValidTopology, host: string, ns = host): string {
    const r = mesh.lab.exec(ns, 'bash', ['-s'], netUpScripts(topo).get(host)!);
    assert.equal(r.status, 0, `${host}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  }
  const fdb = (ns: string) => mesh.lab.exec(ns, 'bridge', ['fdb', 'show', 'dev', 'rosvx0']).stdout;
  function checks(topo: ValidTopology, host: string, ns = host): Record<string, string> {
    const items = parseCheckLines(mesh.lab.exec(ns, 'bash', ['-s'], renderCheckScript(topo, host)).stdout);
    return Object.fromEntries(items.map((i) => [i.name, `${i.status} ${i.msg}`]));
  }
  function pingAll(hosts: { name: string; ns: string; vpnIp: string }[]): void {
    for (const from of hosts)
      for (const to of hosts) {
        if (from === to) continue;
        const r = mesh.ping(from.ns, { vpnIp: to.vpnIp } as MeshHost, 1472);
        assert.equal(r.status, 0, `${from.name} -> ${to.name}: ${r.stdout}${r.stderr}`);
      }
  }

  before(() => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (ip netns); CI runs as root');
    requireTool('ip');
    mesh.build();
    for (const h of mesh.hosts) netUp(t, h.name);
    // Traffic to and from every host, so that the bridges have learned MACs behind every peer.
    pingAll(mesh.hosts.map((h) => ({ name: h.name, ns: h.name, vpnIp: h.vpnIp })));
    for (const h of mesh.hosts.filter((x) => x.name !== 'second-2')) assert.match(fdb(h.name), /dst 172\.31\.1\.13 /);
  });

  after(() => assert.deepEqual(mesh.teardown(), [], 'namespaces left behind'));

  it('second-2 removed: every other host says "removed peer", keeps no FDB entry to it and no check target for it', () => {
    // second-2 is unprovisioned (or terminated) first: its tunnel goes.
    mesh.lab.exec('second-2', 'ip', ['link', 'del', 'rosvx0']);
    for (const h of ['gateway', 'second', 'second-3']) {
      const out = netUp(withoutSecond2, h);
      assert.match(out, /removed peer 172\.31\.1\.13$/m, `${h}:\n${out}`);
      assert.doesNotMatch(fdb(h), /172\.31\.1\.13/, `${h} still has an FDB entry to second-2's cloudIp`);
      const c = checks(withoutSecond2, h);
      assert.equal(c['reach:second-2'], undefined, `${h}: a check target for second-2`);
      assert.match(c.tunnel, /^pass rosvx0 in rosbridge, flooding to 2 peer\(s\)/, h);
      for (const other of ['gateway', 'second', 'second-3'].filter((o) => o !== h))
        assert.match(c[`reach:${other}`], /^pass/, `${h} -> ${other}`);
    }
    // The cleanup is idempotent: a rerun changes nothing.
    for (const h of ['gateway', 'second', 'second-3']) assert.match(netUp(withoutSecond2, h), /changed=0 ok=5 skipped=0 failed=0/, h);
  });

  it('second-3 renamed to second-b on a new instance: a remove plus an add', () => {
    // The new instance joins the VPC.
    const ns = mesh.lab.add('second-b');
    must('ip', ['link', 'add', `${mesh.lab.prefix}vb`, 'netns', ns, 'type', 'veth', 'peer', 'name', 'vpcb', 'netns', mesh.lab.name('vpc')]);
    must('ip', ['-n', ns, 'link', 'set', `${mesh.lab.prefix}vb`, 'name', 'eth0']);
    must('ip', ['-n', ns, 'link', 'set', 'eth0', 'mtu', '9001', 'up']);
    must('ip', ['-n', ns, 'addr', 'add', '172.31.1.24/24', 'dev', 'eth0']);
    must('ip', ['-n', mesh.lab.name('vpc'), 'link', 'set', 'vpcb', 'master', 'vpcbr', 'mtu', '9001', 'up']);
    // The old instance is gone (terminated): its tunnel with it.
    mesh.lab.exec('second-3', 'ip', ['link', 'del', 'rosvx0']);

    netUp(renamed, 'second-b');
    for (const h of ['gateway', 'second']) {
      const out = netUp(renamed, h);
      assert.match(out, /removed peer 172\.31\.1\.14$/m, `${h}:\n${out}`);
      assert.match(out, /flood to peer 172\.31\.1\.24$/m, `${h}:\n${out}`);
      assert.doesNotMatch(fdb(h), /172\.31\.1\.14/, `${h} still has an FDB entry to second-3's cloudIp`);
    }
    const now = [
      { name: 'gateway', ns: 'gateway', vpnIp: t.gateway.vpnIp },
      { name: 'second', ns: 'second', vpnIp: t.seconds[0].vpnIp },
      { name: 'second-b', ns: 'second-b', vpnIp: '192.168.0.134/24' },
    ];
    pingAll(now);
    for (const h of now) {
      const c = checks(renamed, h.name, h.ns);
      assert.equal(c['reach:second-3'], undefined, `${h.name}: a check target for second-3`);
      assert.equal(c['reach:second-2'], undefined);
      for (const other of now.filter((o) => o !== h)) assert.match(c[`reach:${other.name}`], /^pass/, `${h.name} -> ${other.name}`);
      assert.match(c.tunnel, /^pass/, `${h.name}: ${c.tunnel}`);
    }
  });
});
