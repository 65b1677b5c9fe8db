// End to end in the lab, one run of the lifecycle (lab/lifecycle.ts, what `npm run demo -- --lifecycle` runs)
// on 2 seconds: every host's state (links, addresses, routes, FDB, units, net.* sysctls, ROS VPN's files) is
// snapshotted before provisioning and must differ after it; the last second is unprovisioned, cut out of
// rosvpn.json, and after provisioning again no remaining host holds a trace of it; `rosvpn check --json` passes
// every pair and fails exactly those across the desktop's stopped tunnel; `rosvpn unprovision --yes` gives every
// host back its snapshot. Around it, what unprovision promises besides: without --yes it refuses and changes
// nothing, the gateway's PKI is kept in a dated backup, the robot no longer reaches a second (it did before),
// and a second unprovision changes nothing.
import { strict as assert } from 'assert';
import { Lab, type LabHost, labDown, type LabState } from '../../../lab/lab';
import { controllerCli, labSeconds, loadLabTopology, robotMtuPing, sshArgs } from '../../../lab/demo';
import { type LifecycleResult, runLifecycle } from '../../../lab/lifecycle';
import { run } from '../../../lab/sh';
import { removeSecondFromDocument } from '../../../src/core/topology/document';
import * as fs from 'fs';

function stepStatuses(out: string): string[] {
  return [...out.matchAll(/^\[([^\]]+)\] (\S+)\s+(ok|changed|skipped|failed)/gm)].map((m) => `${m[1]} ${m[2]}=${m[3]}`);
}

describe('lab e2e: unprovision (the lifecycle on 2 seconds)', function () {
  this.timeout(900000);
  const lab = new Lab(`rvu${process.pid % 1000}`);
  let s: LabState;
  let result: LifecycleResult;
  const log: string[] = [];
  /** Taken while provisioned, just before the final unprovision. */
  const pre: { refusal?: { status: number | null; out: string; bridge: boolean }; reached?: boolean; vpnIp?: string } = {};

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('the lab needs root; CI runs as root');
    const t = loadLabTopology(undefined, 2, () => undefined);
    assert.ok(t);
    s = lab.up(t);
    result = await runLifecycle(s, (l) => log.push(l), {
      beforeUnprovisionAll: () => {
        const r = controllerCli(s, ['unprovision', s.topologyFile, ...sshArgs(s)]);
        const bridge = Lab.inHost(second(), ['ip', 'link', 'show', 'dev', 'rosbridge']).status === 0;
        pre.refusal = { status: r.status, out: r.stdout + r.stderr, bridge };
        pre.vpnIp = labSeconds(s)[0].vpnIp;
        pre.reached = robotMtuPing(s, pre.vpnIp);
      },
    });
  });

  after(() => {
    const left = labDown(lab.prefix);
    assert.deepEqual(left, [], 'teardown left something behind');
    assert.equal(run('ip', ['netns', 'list']).stdout.includes(lab.prefix), false);
  });

  const second = (): LabHost => s.hosts.find((h) => h.name === labSeconds(s)[0].name)!;

  it('the lifecycle passes: snapshots differ after provisioning, the removed second leaves no trace, check pairs, every host back to its snapshot', () => {
    assert.deepEqual(result.failures, [], log.join('\n'));
    assert.ok(result.ok);
    assert.match(log.join('\n'), new RegExp(`^removed second ${result.removed}: no trace left on gateway, second, desktop;`, 'm'));
    assert.match(log.join('\n'), /^check with the tunnel down: across the tunnel (\d+)\/\1 pairs fail, cloud side (\d+)\/\2 pairs pass$/m);
    assert.match(log.join('\n'), /^unprovision: 4 hosts back to their state before provisioning/m);
  });

  it('without --yes and without a terminal it refuses and changes nothing', () => {
    assert.ok(pre.refusal, 'the hook did not run');
    assert.notEqual(pre.refusal.status, 0);
    assert.match(pre.refusal.out, /--yes/);
    assert.ok(pre.refusal.bridge, 'the second lost its bridge');
  });

  it('the PKI is in a dated backup on the gateway', () => {
    const gw = s.hosts.find((h) => h.role === 'gateway')!;
    const backup = Lab.inHost(gw, ['sh', '-c', 'stat -c "%a %n" /var/backups/rosvpn-pki-* && ls /var/backups/rosvpn-pki-*/']).stdout;
    assert.match(backup, /^700 \/var\/backups\/rosvpn-pki-\d{8}T\d{6}$/m, backup);
    assert.match(backup, /pki/, backup);
  });

  it('negative control: the robot no longer reaches the second (it did before unprovisioning)', () => {
    // Not a DDS run: without its CycloneDDS config the second's ddsperf would fail to start, proving nothing.
    assert.equal(pre.reached, true, 'the robot did not reach the second while it was provisioned');
    assert.equal(robotMtuPing(s, pre.vpnIp!), false, 'the robot still reaches the second after unprovision');
  });

  it('a second unprovision changes nothing: every step ok', () => {
    const r = controllerCli(s, ['unprovision', s.topologyFile, '--yes', ...sshArgs(s)]);
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 0, out);
    const steps = stepStatuses(out);
    assert.ok(steps.length > 0, out);
    assert.deepEqual(
      steps.filter((x) => !x.endsWith('=ok')),
      [],
      out,
    );
  });

  it('a second deleted from rosvpn.json while provisioned: provision warns with the command, which removes ROS VPN from it', () => {
    const name = labSeconds(s)[0].name;
    const again = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
    assert.equal(again.status, 0, again.stdout + again.stderr);
    assert.equal(Lab.inHost(second(), ['ip', 'link', 'show', 'dev', 'rosbridge']).status, 0, 'not provisioned again');
    const host = second();
    fs.writeFileSync(s.topologyFile, removeSecondFromDocument(fs.readFileSync(s.topologyFile, 'utf8'), name));
    const warned = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
    const out = warned.stdout + warned.stderr;
    assert.equal(warned.status, 0, out);
    const hint = new RegExp(
      `warning: second '${name}' \\(\\S+\\) was provisioned from rosvpn\\.json on \\S+ and is no longer in it; its host still runs ROS VPN\\. Remove it: (rosvpn unprovision .*--host ${name} --yes)$`,
      'm',
    ).exec(out);
    assert.ok(hint, out);
    assert.equal(Lab.inHost(host, ['ip', 'link', 'show', 'dev', 'rosbridge']).status, 0, 'provisioning touched the removed second');
    // The command exactly as printed (it runs where the CLI ran: the lab's state directory, next to rosvpn.json).
    const r = controllerCli(s, [...hint[1].split(' ').slice(1), ...sshArgs(s)]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`'${name}' is no longer in rosvpn\\.json; its SSH details are the ones recorded`));
    assert.notEqual(Lab.inHost(host, ['ip', 'link', 'show', 'dev', 'rosbridge']).status, 0, 'the removed second keeps its bridge');
    const quiet = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
    assert.equal(quiet.status, 0, quiet.stdout + quiet.stderr);
    assert.doesNotMatch(quiet.stdout + quiet.stderr, /is no longer in it/);
  });
});
