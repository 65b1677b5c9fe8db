// `npm run demo`: the local lab demo. Takes a topology (default: the starter topology of `rosvpn init`),
// validates it, renders every host's script, and runs the cloud hosts' network scripts in a VPC made
// of network namespaces, then proves the robot subnet crosses the VXLAN mesh: every host reaches every
// other host's VPN address with full 1500-byte frames. Tears everything down unless --keep.
// The full lab (systemd hosts, OpenVPN, the robot and CycloneDDS discovery) builds on this.
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { renderTopology } from '../src/core/render';
import { starterTopology } from '../src/core/topology/init';
import { formatDiagnostic, validateTopology } from '../src/core/topology/validate';
import { VpcMesh } from '../src/lab/vpcMesh';

function main(): number {
  const { values } = parseArgs({ options: { topology: { type: 'string' }, keep: { type: 'boolean' } } });
  const raw = values.topology ? JSON.parse(fs.readFileSync(path.resolve(values.topology), 'utf8')) : starterTopology();
  const file = values.topology ? path.basename(values.topology) : 'rosvpn.json (starter)';
  const checked = validateTopology(raw);
  for (const d of checked.diagnostics) console.log(formatDiagnostic(d, file));
  const t = checked.topology;
  if (!t) return 1;
  if (t.tunnel !== 'vxlan') {
    console.log(`tunnel ${t.tunnel}: this kernel has no GRE support, so the demo cannot run gretap; use a vxlan topology`);
    return 1;
  }
  const rendered = renderTopology(t);
  for (const d of rendered.diagnostics) console.log(formatDiagnostic(d, file));
  console.log(`rendered: ${rendered.scripts.map((s) => s.fileName).join(', ')}`);

  const mesh = new VpcMesh(t, 'demo');
  let failures = 0;
  try {
    mesh.build();
    for (const h of mesh.hosts) {
      const r = mesh.netUp(h.name);
      const summary = r.stdout.split('\n').find((l) => l.startsWith('::summary')) ?? '(no summary)';
      console.log(`net-up ${h.name.padEnd(12)} ${summary}`);
      if (r.status !== 0) {
        console.log(r.stdout + r.stderr);
        return 1;
      }
    }
    console.log('\nrobot-subnet reachability across the VXLAN mesh (1472-byte payload, do-not-fragment):');
    for (const from of mesh.hosts) {
      for (const to of mesh.hosts) {
        if (from === to) continue;
        const r = mesh.ping(from.name, to, 1472);
        const rtt = /time=([\d.]+) ms/.exec(r.stdout)?.[1];
        const ok = r.status === 0;
        if (!ok) failures++;
        console.log(`  ${from.name.padEnd(12)} -> ${to.name.padEnd(12)} ${to.vpnIp.padEnd(18)} ${ok ? `ok  ${rtt} ms` : 'FAILED'}`);
      }
    }
  } finally {
    if (values.keep) {
      console.log(`\n--keep: namespaces ${mesh.lab.prefix}-* left up; remove with: ip -all netns del (or ip netns del NAME)`);
    } else {
      const left = mesh.teardown();
      console.log(left.length ? `teardown left: ${left.join(' ')}` : '\nteardown: every namespace removed');
      if (left.length) failures++;
    }
  }
  console.log(failures === 0 ? 'DEMO PASSED' : `DEMO FAILED (${failures} problem(s))`);
  return failures === 0 ? 0 : 1;
}

process.exitCode = main();
