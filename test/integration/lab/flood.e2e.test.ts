// End to end in the lab, what `npm run demo -- --flood` proves (lab/flood.ts, issue N item 4), on a topology the
// demo never uses (robot subnet 10.77.3.0/24, another OpenVPN port, DDS domains [0, 5], a larger budget): the
// second floods multicast and broadcast at 30 Mbit/s while DDS (domain 5) robot <-> it keeps passing, and the
// robot receives at most 1 %; the robot LAN floods and the second receives at most 1 %. Negative control: with
// filter.enabled false (provisioned) the same floods arrive (> 50 %); with the guard back on the flood stops again.
// Before the floods, the demo's tap capture (lab/capture.ts, issue N item 1): no DDS user data crosses the desktop's
// tap by multicast, and with multicast allowed and preferred on both ends (the negative control) some does.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { controllerCli, loadLabTopology, sshArgs } from '../../../lab/demo';
import { proveTapCapture } from '../../../lab/capture';
import { proveFloodGuard } from '../../../lab/flood';
import { Lab, labDown, type LabState } from '../../../lab/lab';
import { run } from '../../../lab/sh';

const TOPOLOGY = {
  name: 'flood-site',
  robotSubnet: '10.77.3.0/24',
  tunnel: 'vxlan',
  ssh: { user: 'ubuntu' },
  gateway: { host: 'gw.example', publicAddress: '198.51.100.40', cloudIp: '172.31.44.10', vpnIp: '10.77.3.220/24', openvpnPort: 1201 },
  seconds: [{ name: 'arm-sim', host: '172.31.44.11', cloudIp: '172.31.44.11', vpnIp: '10.77.3.221/24', jump: 'gateway' }],
  desktop: { host: 'workstation', lanInterface: 'enp5s0' },
  filter: { domains: [0, 5], multicastBudgetKbps: 150 },
};

describe('lab e2e: the flood guard (demo --flood) on an unseen topology', function () {
  this.timeout(900000);
  const lab = new Lab(`rvf${process.pid % 1000}`);
  let s: LabState;
  const log: string[] = [];
  let failures = -1;
  let captureFailures = -1;
  const captureLog: string[] = [];

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('the lab needs root; CI runs as root');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rvf-')), 'rosvpn.json');
    fs.writeFileSync(file, JSON.stringify(TOPOLOGY));
    const t = loadLabTopology(file, undefined, (l) => log.push(l));
    assert.ok(t, log.join('\n'));
    s = lab.up(t);
    const r = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    captureFailures = await proveTapCapture(s, (l) => captureLog.push(l));
    failures = await proveFloodGuard(s, (l) => log.push(l));
  });

  after(() => {
    const left = labDown(lab.prefix);
    assert.deepEqual(left, [], 'teardown left something behind');
    assert.equal(run('ip', ['netns', 'list']).stdout.includes(lab.prefix), false);
  });

  it("guard on: each side receives at most 1 % of the other side's flood, DDS (domain 5) passing; off: more than half; back on: stopped again", () => {
    const out = log.join('\n');
    assert.equal(failures, 0, out);
    const on = [
      ...out.matchAll(
        /^flood guard: (?:the robot|arm-sim) received ([\d.]+) KB of the ([\d.]+) MB flooded from (?:arm-sim|the robot LAN); DDS \(domain 5\) PASS$/gm,
      ),
    ];
    assert.equal(on.length, 3, out); // both ways, then once more with the guard back on
    for (const m of on) assert.ok(Number(m[1]) <= 10 * Number(m[2]) && Number(m[2]) > 10, m[0]);
    const off = [...out.matchAll(/^flood guard OFF: (?:the robot|arm-sim) received ([\d.]+) KB of the ([\d.]+) MB flooded .*\(ok: /gm)];
    assert.equal(off.length, 2, out);
    for (const m of off) assert.ok(Number(m[1]) > 500 * Number(m[2]), m[0]);
  });

  it("the desktop's tap carries DDS user data by unicast only; with multicast allowed and preferred it carries it by multicast", () => {
    const out = captureLog.join('\n');
    assert.equal(captureFailures, 0, out);
    const m = out.match(
      /^tap capture: DDS user data robot <-> arm-sim crossed the tap as unicast only: 0 multicast user-data frames, (\d+) discovery multicast frames, (\d+) unicast frames; DDS PASS$/m,
    );
    assert.ok(m && Number(m[1]) > 0 && Number(m[2]) > 0, out);
    const neg = out.match(/^tap capture, negative control .*: (\d+) multicast user-data frames robot <-> arm-sim crossed the tap \(ok:/m);
    assert.ok(neg && Number(neg[1]) > 0, out);
  });
});
