// `npm run lab -- up|down|status [--topology FILE] [--seconds N] [--clients N]`: the local lab of real hosts, kept up
// for exploring (provision it yourself with the printed commands). `npm run demo` uses the same lab.
import { parseArgs } from 'util';
import { Lab, labDown } from '../lab/lab';
import { labCaPassphrase, loadLabTopology } from '../lab/demo';

function main(): number {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { topology: { type: 'string' }, seconds: { type: 'string' }, clients: { type: 'string' } },
  });
  const cmd = positionals[0];
  if (cmd === 'up') {
    const t = loadLabTopology(values.topology, values.seconds ? Number(values.seconds) : undefined, console.log, {
      clients: values.clients ? Number(values.clients) : undefined,
    });
    if (!t) return 1;
    const lab = new Lab('rvlab', console.log);
    try {
      const s = lab.up(t);
      console.log(`\nprovision it from the controller namespace (no default route), as a user would:`);
      console.log(
        `  ip netns exec ${s.controllerNs} env HOME=${s.stateDir} node dist/cli.js provision ${s.topologyFile} --accept-new --known-hosts ${s.knownHosts} --ca-passphrase-file ${labCaPassphrase(s).file}`,
      );
      console.log(`then: npm run lab -- status; npm run lab -- down`);
      return 0;
    } catch (e) {
      console.error(`lab up failed: ${(e as Error).message}`);
      const left = labDown('rvlab', console.log);
      if (left.length) console.error(`left over: ${left.join(', ')}`);
      return 1;
    }
  }
  if (cmd === 'down') {
    const left = labDown('rvlab', console.log);
    console.log(left.length ? `left over: ${left.join(', ')}` : 'lab down: no namespace, mount or process left');
    return left.length ? 1 : 0;
  }
  if (cmd === 'status') {
    const s = Lab.load('rvlab');
    if (!s) {
      console.log('lab: down');
      return 0;
    }
    for (const h of s.hosts) console.log(`${h.name.padEnd(12)} ${h.role.padEnd(8)} ns ${h.ns.padEnd(16)} ${h.inetIp ?? ''}`);
    console.log(`robot        ns ${s.robotNs} ${s.robotIp}\ncontroller   ns ${s.controllerNs}\ntopology     ${s.topologyFile}`);
    return 0;
  }
  console.error('usage: npm run lab -- up|down|status [--topology FILE] [--seconds N] [--clients N]');
  return 2;
}

process.exitCode = main();
