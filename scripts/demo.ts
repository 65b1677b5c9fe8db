// `npm run demo [-- --topology FILE | --from-env] [--seconds N] [--clients N | --lifecycle] [--desktop plain|networkmanager|networkd]
// [--nat] [--wan SPEC] [--flood] [--keep] [--prefix NAME]`: the local lab demo (--prefix: the lab's namespace prefix, default $ROSVPN_LAB_PREFIX or rvlab).
// Boots the lab of real hosts, provisions every host with `rosvpn provision` and fetches the client profile
// with `rosvpn fetch-ovpn` from a controller namespace with no default route, then proves DDS both ways
// between the robot and every second (and between seconds), with full-size frames and 64 KB samples.
// Then a capture on the desktop's OpenVPN tap (lab/capture.ts: nft netdev counters, ingress and egress) while DDS
// flows robot <-> each second: no user data may cross it by multicast (discovery and unicast must be counted); the
// negative control (AllowMulticast true, prefer_multicast on both ends of a ddsperf pair) must see some.
// With clients (--clients N adds N to the topology): DDS both ways robot <-> each client and each client <->
// each second, then one client is revoked with the core API and must be refused while the rest keep flowing.
// With --lifecycle (lab/lifecycle.ts; >= 2 seconds, 2 when neither a topology nor --seconds is given): every
// host snapshotted before provisioning (links, addresses, routes, FDB, units, net.* sysctls, ROS VPN's files);
// provision; DDS robot <-> every second; the last second unprovisioned, cut out of rosvpn.json, the rest
// provisioned again with no trace of it left; `rosvpn check --json` passes every pair and fails the pairs across
// the desktop's stopped tunnel; `rosvpn unprovision --yes` gives every host back its snapshot.
// --desktop picks the desktop's network management (default plain); --nat puts it behind the LAN router's NAT,
// and the demo then checks that the gateway sees the desktop's tunnel from the router's public address, and
// measures how long the tunnel takes to come back when the router's mapping changes (lab/rebind.ts).
// --wan SPEC (lab/wan.ts, e.g. rtt=80ms,jitter=5ms,loss=1%,mtu=1492) puts the emulated WAN between the desktop
// (or its NAT router) and the internet; every DDS round trip must then be at least its RTT, and the emulator's
// counters are printed at the end.
// --flood (lab/flood.ts), after the DDS checks passed: each second floods multicast and broadcast for ~10 s at tens
// of Mbit/s while DDS robot <-> it must keep passing, then the robot LAN floods; each other side may receive at
// most 1 % of it (nft counters), and with filter.enabled false (the negative control, provisioned) more than half.
// Prints a summary per pair, tears down unless --keep, and exits 0 only when every check passed.
import * as path from 'path';
import { parseArgs } from 'util';
import { clientHosts, proveClient, revokeAndProve } from '../lab/clients';
import { isFlavour } from '../lab/desktopFlavour';
import { INET_PREFIX, Lab, labDown, type LabState } from '../lab/lab';
import { masqueradedPackets } from '../lab/lanRouter';
import { measureRebinding } from '../lab/rebind';
import { run } from '../lab/sh';
import { missingTools } from '../lab/tools';
import { formatWanSpec, parseWanSpec, type Wan, type WanSpec } from '../lab/wan';
import { CLIENT_TAP, type ValidTopology } from '../src/core/topology/types';
import {
  controllerCli,
  desktopNetState,
  gatewayClientAddresses,
  loadLabTopology,
  proveSeconds,
  provisionAll,
  sshArgs,
  wanCounterLine,
} from '../lab/demo';
import { proveTapCapture } from '../lab/capture';
import { proveFloodGuard } from '../lab/flood';
import { runLifecycle } from '../lab/lifecycle';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      topology: { type: 'string' },
      'from-env': { type: 'boolean' },
      seconds: { type: 'string' },
      clients: { type: 'string' },
      desktop: { type: 'string' },
      nat: { type: 'boolean' },
      wan: { type: 'string' },
      keep: { type: 'boolean' },
      lifecycle: { type: 'boolean' },
      prefix: { type: 'string' },
      flood: { type: 'boolean' },
    },
  });
  const prefix = values.prefix ?? process.env.ROSVPN_LAB_PREFIX ?? 'rvlab';
  if (!/^[a-z][a-z0-9]{1,7}$/.test(prefix)) {
    console.error(`demo: --prefix ${prefix}: give 2 to 8 lower-case letters and digits, starting with a letter`);
    return 2;
  }
  const desktop = values.desktop ?? 'plain';
  if (!isFlavour(desktop)) {
    console.error(`demo: --desktop ${desktop}: give plain, networkmanager or networkd`);
    return 2;
  }
  // The WAN spec is checked before anything boots; the error names the field and the fix.
  let wanSpec: WanSpec | undefined;
  try {
    wanSpec = values.wan === undefined ? undefined : parseWanSpec(values.wan);
  } catch (e) {
    console.error(`demo: --wan ${values.wan}: ${(e as Error).message}`);
    return 2;
  }
  if (values.lifecycle && values.flood) {
    console.error('demo: --lifecycle does not take --flood (the flood guard is proven on the provisioning demo: drop --lifecycle)');
    return 2;
  }
  if (values.lifecycle && values.clients !== undefined) {
    console.error('demo: --lifecycle does not take --clients (it provisions, removes and unprovisions the gateway, seconds and desktop)');
    return 2;
  }
  // The lifecycle removes a second midway, so it needs two; with neither a topology nor --seconds it takes 2.
  const secondsArg = values.seconds ?? (values.lifecycle && !values.topology && !values['from-env'] ? '2' : undefined);
  const clients = values.clients === undefined ? 0 : Number(values.clients);
  if (!Number.isInteger(clients) || clients < 0 || clients > 50) {
    console.error(`demo: --clients ${values.clients}: give a whole number from 0 to 50`);
    return 2;
  }
  if (values.topology && values['from-env']) {
    console.error("demo: give --topology FILE or --from-env (the guide's ROSVPN_* variables), not both");
    return 2;
  }
  const t = loadLabTopology(values.topology, secondsArg ? Number(secondsArg) : undefined, console.log, {
    clients,
    env: values['from-env'] ? process.env : undefined,
  });
  if (!t) return 1;
  if (values.lifecycle && t.seconds.length < 2) {
    const src = values.seconds ? `--seconds ${values.seconds}` : values.topology ? `the topology ${values.topology}` : 'the environment';
    console.error(
      `demo: --lifecycle removes a second midway and needs at least 2; ${src} gives ${t.seconds.length}. Pass --seconds 2 (or more)${values.topology ? `, or add a second to ${values.topology}` : ''}`,
    );
    return 2;
  }
  // Before booting anything: every program the demo runs on this machine must be there.
  const missing = missingTools('demo');
  for (const m of missing) console.error(`demo: ${m.message}`);
  if (missing.length) {
    console.log('DEMO FAILED (missing tools; npm run demo installs them when run as root)');
    return 1;
  }
  const lab = new Lab(prefix, (l) => console.log(l));
  let failures = 0;
  let lifecycle: Awaited<ReturnType<typeof runLifecycle>> | undefined;
  let wan: Wan | undefined;
  try {
    const s = lab.up(t, { desktop, nat: values.nat, wan: wanSpec });
    if (wanSpec) {
      wan = await lab.startWan();
      console.log(`WAN: ${formatWanSpec(wanSpec)} between ${s.nat ? "the desktop's NAT router" : 'the desktop'} and the internet`);
    }
    console.log(`desktop before provisioning: ${desktopNetState(s)}`);
    if (values.lifecycle) {
      lifecycle = await runLifecycle(s, (l) => console.log(l));
      failures += lifecycle.failures.length;
    } else failures += await provisionDemo(s, t, wanSpec, values.flood);
  } catch (e) {
    console.error(`demo: ${(e as Error).message}`);
    failures++;
  } finally {
    if (wan) {
      // The emulator is this process's child: it stops here, even with --keep (the lab's WAN then forwards nothing).
      const final = await wan.stop();
      console.log(`\nWAN emulator (${formatWanSpec(wan.spec)}), stopped: ${wanCounterLine(final)}`);
      const still = run('pgrep', ['-f', `wan\\.py .*--netns ${prefix}-wan`]).stdout.trim();
      console.log(still ? `WAN emulator still running: ${still}` : 'WAN emulator: no process left');
      if (still) failures++;
    }
    if (values.keep) {
      console.log(`\n--keep: the lab stays up (npm run lab -- status | down)`);
    } else {
      const left = labDown(prefix);
      console.log(left.length ? `teardown left: ${left.join(', ')}` : '\nteardown: no namespace, mount or process left');
      if (left.length) failures++;
    }
  }
  console.log(
    failures === 0 && lifecycle
      ? `DEMO PASSED: provisioned, removed ${lifecycle.removed} without a trace, check passed (and failed across the stopped tunnel), every host back to its state before`
      : failures === 0
        ? `DEMO PASSED: the robot hears every second, and every second hears the robot${t.clients.length ? '; every client joined, and the revoked one was refused' : ''}${values.flood ? '; floods stopped at the guard both ways (and crossed it with filter.enabled false)' : ''}`
        : `DEMO FAILED (${failures} problem(s))`,
  );
  return failures === 0 ? 0 : 1;
}

/** The provisioning demo: provision, fetch the profile, DDS robot <-> every second, clients; the number of failures. */
// long: the demo's steps in order, each printing its rows
async function provisionDemo(s: LabState, t: ValidTopology, wanSpec?: WanSpec, flood = false): Promise<number> {
  let failures = 0;
  if (!provisionAll(s, console.log)) {
    console.log(`desktop after the failed provisioning: ${desktopNetState(s)}`);
    throw new Error('rosvpn provision failed');
  }
  const fetched = controllerCli(s, ['fetch-ovpn', s.topologyFile, '--out', path.join(s.stateDir, 'ros_local_gateway.ovpn'), ...sshArgs(s)]);
  console.log(`$ rosvpn fetch-ovpn\n${fetched.stdout.trim()}`);
  if (fetched.status !== 0) failures++;

  const seconds = s.hosts.filter((h) => h.role === 'second');
  const dds = await proveSeconds(s, { full: true, minRttMs: wanSpec?.rttMs });
  failures += dds.failures;
  const rows = dds.rows;
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
  // The capture on the desktop's tap: user data crosses it by unicast only (with its negative control).
  if (dds.failures === 0) failures += await proveTapCapture(s, console.log);
  else console.log('\nTap capture: not run (the DDS checks above failed)');
  if (s.nat && dds.failures === 0) {
    console.log(`\nNAT rebinding: the router's mapping changes mid-run; ping every 0.5 s until the tunnel answers again`);
    for (const r of await measureRebinding(s, console.log, { repeat: 5 })) if (r.seconds === undefined || !r.ddsOk) failures++;
  }

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
  if (flood) {
    // The flood guard is proven only on a VPN whose DDS checks passed (a flood cannot show anything on a broken one).
    if (failures > 0) {
      console.log(`\nFlood guard: not run (${failures} check(s) above failed)`);
      failures++;
    } else failures += await proveFloodGuard(s, console.log);
  }
  return failures;
}

// A rejection is an unhandled one: Node prints it and exits 1.
void main().then((code) => (process.exitCode = code));
