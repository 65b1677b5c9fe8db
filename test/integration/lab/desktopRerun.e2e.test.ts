// End to end in the lab: a desktop re-run that changes the bridge's addressing is guarded like the first run.
// The real desktop.sh, over SSH from the controller namespace, on a provisioned desktop (static address, the
// robot on its LAN): a new static address with the robot as the default gateway is confirmed (the gateway
// answers through the bridge); then a default gateway that nobody holds is not, so the run rolls the bridge
// back to the previous address and default route and fails — the negative control — and DDS keeps crossing.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Lab, type LabHost, labDown, type LabState } from '../../../lab/lab';
import { controllerCli, ddsFlow, hostSide, loadLabTopology, robotSide, sshArgs } from '../../../lab/demo';
import { run } from '../../../lab/sh';
import { starterTopology } from '../../../src/core/topology/init';

describe('lab e2e: a desktop re-run that changes its addressing is commit-confirmed', function () {
  this.timeout(600000);
  const lab = new Lab(`rvd${process.pid % 1000}`);
  let s: LabState;
  let desk: LabHost;
  let net: string; // the robot subnet's first three octets
  let bits: string;

  const bridge = () => {
    const sh = (c: string) => Lab.inHost(desk, ['sh', '-c', c]).stdout.trim();
    return {
      addresses: sh(`ip -4 -o addr show dev rosbridge scope global | awk '{ print $4 }'`),
      defaultRoute: sh('ip -4 route show default dev rosbridge'),
    };
  };
  /** Edits the desktop's entry in the lab's rosvpn.json, then provisions the desktop alone. */
  const rerun = (desktop: Record<string, unknown>) => {
    const doc = JSON.parse(fs.readFileSync(s.topologyFile, 'utf8'));
    Object.assign(doc.desktop, desktop);
    fs.writeFileSync(s.topologyFile, JSON.stringify(doc, null, 2));
    const r = controllerCli(s, ['provision', s.topologyFile, '--host', 'desktop', ...sshArgs(s)]);
    return { status: r.status, out: r.stdout + r.stderr };
  };
  const second = () => s.hosts.find((h) => h.role === 'second')!;

  before(function () {
    if (process.getuid?.() !== 0) throw new Error('the lab needs root; CI runs as root');
    const doc = starterTopology() as { robotSubnet: string; desktop: Record<string, unknown> };
    [net, bits] = [doc.robotSubnet.split('/')[0].split('.').slice(0, 3).join('.'), doc.robotSubnet.split('/')[1]];
    doc.desktop = { ...doc.desktop, addressing: 'static', address: `${net}.20/${bits}` };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-rerun-'));
    const file = path.join(dir, 'rosvpn.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    const t = loadLabTopology(file, 1, () => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.ok(t);
    s = lab.up(t);
    desk = s.hosts.find((h) => h.role === 'desktop')!;
    const r = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(bridge().addresses, `${net}.20/${bits}`);
  });

  after(() => {
    const left = labDown(lab.prefix);
    assert.deepEqual(left, [], 'teardown left something behind');
    assert.equal(run('ip', ['netns', 'list']).stdout.includes(lab.prefix), false);
  });

  it('a new address with a default gateway that answers (the robot): rollback armed, then confirmed and kept', async () => {
    const r = rerun({ address: `${net}.21/${bits}`, defaultGateway: s.robotIp });
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /rollback armed \(.*address.*\)/, r.out);
    assert.match(r.out, /connectivity confirmed; rollback disarmed/, r.out);
    assert.equal(bridge().addresses, `${net}.21/${bits}`);
    assert.match(bridge().defaultRoute, new RegExp(`^default via ${s.robotIp.replace(/\./g, '\\.')}`));
    assert.equal(
      run('ip', ['netns', 'exec', s.robotNs, 'ping', '-c', '1', '-W', '2', `${net}.21`]).status,
      0,
      'the robot does not reach the new address',
    );
    const f = await ddsFlow(hostSide(second()), robotSide(s), { seconds: 3 });
    assert.ok(f.ok, JSON.stringify(f));
  });

  it('negative control: a default gateway nobody holds is not confirmed; the bridge is rolled back and the run fails', async () => {
    const before = bridge();
    const r = rerun({ address: `${net}.22/${bits}`, defaultGateway: `${net}.250` });
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /rollback armed/, r.out);
    assert.match(r.out, new RegExp(`default gateway ${net.replace(/\./g, '\\.')}\\.250 does not answer`), r.out);
    assert.match(r.out, /rolled back to the previous addressing/, r.out);
    assert.deepEqual(bridge(), before, 'the bridge is not back to its addressing before the failed run');
    assert.notEqual(
      Lab.inHost(desk, ['systemctl', 'is-active', '--quiet', 'rosvpn-rollback.timer']).status,
      0,
      'a rollback timer is left armed',
    );
    const f = await ddsFlow(robotSide(s), hostSide(second()), { seconds: 3 });
    assert.ok(f.ok, JSON.stringify(f));
  });

  it('the confirmed settings stay the reference: going back to them is a run that changes no addressing', () => {
    const r = rerun({ address: `${net}.21/${bits}`, defaultGateway: s.robotIp });
    assert.equal(r.status, 0, r.out);
    assert.doesNotMatch(r.out, /rollback armed/, r.out);
  });
});
