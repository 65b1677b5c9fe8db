// `npm run demo [-- --topology FILE | --from-env] [--seconds N] [--clients N] [--desktop plain|networkmanager|networkd]
// [--nat] [--keep]`: the local lab demo (lab prefix: $ROSVPN_LAB_PREFIX, default rvlab).
// Boots the lab of real hosts, provisions every host with `rosvpn provision` and fetches the client profile
// with `rosvpn fetch-ovpn` from a controller namespace with no default route, then proves DDS both ways
// between the robot and every second (and between seconds), with full-size frames and 64 KB samples.
// With clients (--clients N adds N to the topology): DDS both ways robot <-> each client and each client <->
// each second, then one client is revoked with the core API and must be refused while the rest keep flowing.
// --desktop picks the desktop's network management (default plain); --nat puts it behind the LAN router's NAT,
// and the demo then checks that the gateway sees the desktop's tunnel from the router's public address.
// Prints a summary per pair, tears down unless --keep, and exits 0 only when every check passed.
import * as path from 'path';
import { parseArgs } from 'util';
import { clientHosts, proveClient, revokeAndProve } from '../lab/clients';
import { isFlavour } from '../lab/desktopFlavour';
import { INET_PREFIX, Lab, labDown } from '../lab/lab';
import { masqueradedPackets } from '../lab/lanRouter';
import { missingTools } from '../lab/tools';
import { CLIENT_TAP } from '../src/core/topology/types';
import {
  controllerCli,
  ddsFlow,
  ddsRoundTrip,
  desktopNetState,
  type FlowResult,
  gatewayClientAddresses,
  hostSide,
  loadLabTopology,
  robotMtuPing,
  robotSide,
  sshArgs,
} from '../lab/demo';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      topology: { type: 'string' },
      'from-env': { type: 'boolean' },
      seconds: { type: 'string' },
      clients: { type: 'string' },
      desktop: { type: 'string' },
      nat: { type: 'boolean' },
      keep: { type: 'boolean' },
    },
  });
  const desktop = values.desktop ?? 'plain';
  if (!isFlavour(desktop)) {
    console.error(`demo: --desktop ${desktop}: give plain, networkmanager or networkd`);
    return 2;
  }
  const prefix = process.env.ROSVPN_LAB_PREFIX ?? 'rvlab';
  const clients = values.clients === undefined ? 0 : Number(values.clients);
  if (!Number.isInteger(clients) || clients < 0 || clients > 50) {
    console.error(`demo: --clients ${values.clients}: give a whole number from 0 to 50`);
    return 2;
  }
  if (values.topology && values['from-env']) {
    console.error("demo: give --topology FILE or --from-env (the guide's ROSVPN_* variables), not both");
    return 2;
  }
  const t = loadLabTopology(values.topology, values.seconds ? Number(values.seconds) : undefined, console.log, {
    clients,
    env: values['from-env'] ? process.env : undefined,
  });
  if (!t) return 1;
  // Before booting anything: every program the demo runs on this machine must be there.
  const missing = missingTools('demo');
  for (const m of missing) console.error(`demo: ${m.message}`);
  if (missing.length) {
    console.log('DEMO FAILED (missing tools; npm run demo installs them when run as root)');
    return 1;
  }
  const lab = new Lab(prefix, (l) => console.log(l));
  let failures = 0;
  try {
    const s = lab.up(t, { desktop, nat: values.nat });
    console.log(`desktop before provisioning: ${desktopNetState(s)}`);
    console.log(`\n$ rosvpn provision   (from ${s.controllerNs}, no default route)`);
    const prov = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
    console.log(
      prov.stdout
        .split('\n')
        .filter((l) => !/^\[.*\] {3}/.test(l))
        .join('\n'),
    );
    if (prov.status !== 0) {
      // What the failed host's steps said (hidden above when it passes).
      console.log(
        prov.stdout
          .split('\n')
          .filter((l) => /^\[.*\] {3}/.test(l))
          .slice(-15)
          .join('\n'),
      );
      console.log(prov.stderr);
      console.log(`desktop after the failed provisioning: ${desktopNetState(s)}`);
      return 1;
    }
    const fetched = controllerCli(s, [
      'fetch-ovpn',
      s.topologyFile,
      '--out',
      path.join(s.stateDir, 'ros_local_gateway.ovpn'),
      ...sshArgs(s),
    ]);
    console.log(`$ rosvpn fetch-ovpn\n${fetched.stdout.trim()}`);
    if (fetched.status !== 0) failures++;

    const robot = robotSide(s);
    const seconds = s.hosts.filter((h) => h.role === 'second');
    const flows: FlowResult[] = [];
    const rows: string[] = [];
    for (const h of seconds) {
      const second = hostSide(h);
      const ip = t.seconds.find((x) => x.name === h.name)!.vpnIp.split('/')[0];
      const up = await ddsFlow(second, robot);
      const down = await ddsFlow(robot, second);
      const big = await ddsFlow(second, robot, { size: 65536, rate: '20Hz' });
      const rtt = await ddsRoundTrip(robot, second);
      const mtu = robotMtuPing(s, ip);
      flows.push(up, down, big);
      const ok = up.ok && down.ok && big.ok && rtt !== undefined && mtu;
      if (!ok) failures++;
      rows.push(
        `  robot <-> ${h.name.padEnd(10)} ${ok ? 'PASS' : 'FAIL'}  ${h.name}->robot ${up.samples}/${up.lost} lost   robot->${h.name} ${down.samples}/${down.lost} lost   64KB ${big.samples}/${big.lost} lost   rtt ${rtt ? `${(rtt / 1000).toFixed(2)} ms` : 'none'}   1500-byte frames ${mtu ? 'ok' : 'DROPPED'}`,
      );
    }
    for (let i = 0; i + 1 < seconds.length; i++) {
      const f = await ddsFlow(hostSide(seconds[i]), hostSide(seconds[i + 1]));
      if (!f.ok) failures++;
      rows.push(`  ${f.from} -> ${f.to}  ${f.ok ? 'PASS' : 'FAIL'}  ${f.samples} samples, ${f.lost} lost`);
    }
    console.log(`\ndesktop after provisioning: ${desktopNetState(s)}`);
    // Who the gateway sees: with NAT the router's public address, else the desktop's own internet address.
    const seen = gatewayClientAddresses(s).get('ros_local_gateway');
    const want = s.nat ? s.router.publicIp! : `${INET_PREFIX}.2`;
    const natOk = seen?.split(':')[0] === want;
    if (!natOk) failures++;
    console.log(
      `gateway sees the desktop's tunnel from ${seen ?? 'nowhere'}: ${natOk ? 'ok' : 'FAIL'} (want ${want}${s.nat ? `, the router's public address; router masqueraded ${masqueradedPackets(s.router.ns) ?? 0} packets` : ", the desktop's own"})`,
    );
    console.log(`\nDDS (CycloneDDS ddsperf, default multicast discovery, domain 0) — samples received / lost:`);
    for (const r of rows) console.log(r);

    if (t.clients.length) {
      console.log(`\nClients (own certificate, own tap ${CLIENT_TAP}, CycloneDDS pinned to it) — samples received / lost:`);
      for (const h of clientHosts(s)) {
        const row = await proveClient(s, h, seconds);
        if (!row.ok) failures++;
        console.log(row.line);
      }
      // The last client is revoked; with one client the desktop alone must keep flowing.
      const victim = t.clients[t.clients.length - 1].name;
      console.log(`\n$ revokeClient(${victim})   (core API, from ${s.controllerNs}; known() gives the lab's CA passphrase)`);
      const proof = await revokeAndProve(s, t, victim, (l) => console.log(`  ${l}`));
      for (const c of proof.checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}: ${c.detail}`);
      console.log(proof.line);
      if (!proof.ok) failures++;
    }
  } catch (e) {
    console.error(`demo: ${(e as Error).message}`);
    failures++;
  } finally {
    if (values.keep) {
      console.log(`\n--keep: the lab stays up (npm run lab -- status | down)`);
    } else {
      const left = labDown(prefix);
      console.log(left.length ? `teardown left: ${left.join(', ')}` : '\nteardown: no namespace, mount or process left');
      if (left.length) failures++;
    }
  }
  console.log(
    failures === 0
      ? `DEMO PASSED: the robot hears every second, and every second hears the robot${t.clients.length ? '; every client joined, and the revoked one was refused' : ''}`
      : `DEMO FAILED (${failures} problem(s))`,
  );
  return failures === 0 ? 0 : 1;
}

// A rejection is an unhandled one: Node prints it and exits 1.
void main().then((code) => (process.exitCode = code));
