// `npm run lab -- up|down|status [--topology FILE] [--seconds N] [--clients N] [--desktop plain|networkmanager|networkd]
// [--nat]`: the local lab of real hosts, kept up for exploring (provision it yourself with the printed commands).
// `npm run demo` uses the same lab. The lab's prefix is $ROSVPN_LAB_PREFIX (default rvlab).
import { parseArgs } from 'util';
import { isFlavour } from '../lab/desktopFlavour';
import { Lab, labDown } from '../lab/lab';
import { labCaPassphrase, loadLabTopology } from '../lab/demo';

function main(): number {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      topology: { type: 'string' },
      seconds: { type: 'string' },
      clients: { type: 'string' },
      desktop: { type: 'string' },
      nat: { type: 'boolean' },
    },
  });
  const cmd = positionals[0];
  const prefix = process.env.ROSVPN_LAB_PREFIX ?? 'rvlab';
  const desktop = values.desktop ?? 'plain';
  if (!isFlavour(desktop)) {
    console.error(`lab: --desktop ${desktop}: give plain, networkmanager or networkd`);
    return 2;
  }
  if (cmd === 'up') {
    const t = loadLabTopology(values.topology, values.seconds ? Number(values.seconds) : undefined, console.log, {
      clients: values.clients ? Number(values.clients) : undefined,
    });
    if (!t) return 1;
    const lab = new Lab(prefix, console.log);
    try {
      const s = lab.up(t, { desktop, nat: values.nat });
      console.log(`\nprovision it from the controller namespace (no default route), as a user would:`);
      console.log(
        `  ip netns exec ${s.controllerNs} env HOME=${s.stateDir} node dist/cli.js provision ${s.topologyFile} --accept-new --known-hosts ${s.knownHosts} --ca-passphrase-file ${labCaPassphrase(s).file}`,
      );
      console.log(`then: npm run lab -- status; npm run lab -- down`);
      return 0;
    } catch (e) {
      console.error(`lab up failed: ${(e as Error).message}`);
      const left = labDown(prefix, console.log);
      if (left.length) console.error(`left over: ${left.join(', ')}`);
      return 1;
    }
  }
  if (cmd === 'down') {
    const left = labDown(prefix, console.log);
    console.log(left.length ? `left over: ${left.join(', ')}` : 'lab down: no namespace, mount or process left');
    return left.length ? 1 : 0;
  }
  if (cmd === 'status') {
    const s = Lab.load(prefix);
    if (!s) {
      console.log('lab: down');
      return 0;
    }
    for (const h of s.hosts) console.log(`${h.name.padEnd(12)} ${h.role.padEnd(8)} ns ${h.ns.padEnd(16)} ${h.inetIp ?? ''}`);
    console.log(
      `robot        ns ${s.robotNs} ${s.robotIp}\ncontroller   ns ${s.controllerNs} ${s.controllerLanIp ?? ''}\ntopology     ${s.topologyFile}`,
    );
    console.log(
      `router       ns ${s.router.ns} ${s.router.lanIp}${s.router.publicIp ? ` NAT ${s.router.publicIp}` : ''} DHCP ${s.router.range.join('-')}\ndesktop      ${s.desktopFlavour}${s.nat ? ' behind NAT' : ''} LAN ${s.desktopLanIp ?? '-'}`,
    );
    return 0;
  }
  console.error(
    'usage: npm run lab -- up|down|status [--topology FILE] [--seconds N] [--clients N] [--desktop plain|networkmanager|networkd] [--nat]',
  );
  return 2;
}

process.exitCode = main();
