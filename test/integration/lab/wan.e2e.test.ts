// The desktop behind a NAT router and an emulated WAN (`--desktop plain --nat --wan rtt=40ms,loss=0%`): DDS
// both ways robot <-> second, and the DDS round trip at least the WAN's 40 ms (the traffic really crosses it; the
// emulator's frame counter rises with it). NAT rebinding: the router's public address changes and its conntrack
// table is flushed; the tunnel must answer again within REBIND_BOUND_S each time. Negative control, last: the same
// lab with the emulator restarted at rtt=0 has a round trip below 40 ms.
import { strict as assert } from 'assert';
import { ddsFlow, ddsRoundTrip, controllerCli, hostSide, loadLabTopology, robotSide, sshArgs } from '../../../lab/demo';
import { Lab, type LabHost, labDown, type LabState } from '../../../lab/lab';
import { measureRebinding } from '../../../lab/rebind';
import { run } from '../../../lab/sh';
import { parseWanSpec, startWan, type Wan } from '../../../lab/wan';

/**
 * The longest a rebinding may take: the gateway learns the new mapping from the desktop's next packet (peer-id
 * float), which is at the latest the client's keepalive ping, 5 s after its last packet (src/core/render/openvpn.ts)
 * on OpenVPN's one-second timer, so up to 6 s; plus the round trip, the probe's 0.5 s and, when the probe's ping
 * had to be started again (lab/rebind.ts), the second's new neighbour resolution (~1 s): ~8 s. Seen: 5.7 s at
 * 40 ms, 6.4 s without a WAN, 6.8 s at 80 ms (8.8 s once at 80 ms with 1 % loss), 10-14 runs each. A recovery
 * that waited for the client's ping-restart (30 s) or the server's (60 s) fails it.
 */
const REBIND_BOUND_S = 10;

describe('lab e2e: desktop behind NAT and an emulated WAN (rtt 40 ms)', function () {
  this.timeout(900000);
  const lab = new Lab(process.env.ROSVPN_LAB_PREFIX ?? `rvkw${process.pid % 1000}`);
  let s: LabState;
  let second: LabHost;
  let wan: Wan | undefined;
  let provisionOut = '';

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('the lab needs root; CI runs as root');
    const t = loadLabTopology(undefined, 1, () => undefined);
    assert.ok(t?.desktop);
    s = lab.up(t, { desktop: 'plain', nat: true, wan: parseWanSpec('rtt=40ms,loss=0%') });
    wan = await lab.startWan();
    second = s.hosts.find((h) => h.role === 'second')!;
    const r = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
    provisionOut = r.stdout + r.stderr;
    assert.equal(r.status, 0, provisionOut);
  });

  after(async () => {
    if (wan) await wan.stop();
    const left = labDown(lab.prefix);
    assert.deepEqual(left, [], 'teardown left something behind');
    assert.equal(run('ip', ['netns', 'list']).stdout.includes(lab.prefix), false);
    assert.equal(run('pgrep', ['-f', `wan\\.py .*--netns ${lab.prefix}-wan`]).stdout.trim(), '', 'a WAN emulator is left');
  });

  it('DDS both ways robot <-> second through the WAN; the round trip is at least its 40 ms, and its counters rise', async () => {
    const before = await wan!.stats();
    const up = await ddsFlow(hostSide(second), robotSide(s), { seconds: 3 });
    assert.ok(up.ok, `second -> robot: ${JSON.stringify(up)}`);
    const down = await ddsFlow(robotSide(s), hostSide(second), { seconds: 3 });
    assert.ok(down.ok, `robot -> second: ${JSON.stringify(down)}`);
    const rtt = await ddsRoundTrip(robotSide(s), hostSide(second));
    assert.ok(rtt !== undefined, 'no DDS round trip');
    assert.ok(rtt / 1000 >= 40, `DDS round trip ${rtt / 1000} ms < the WAN's 40 ms: the traffic did not cross it`);
    const after = await wan!.stats();
    assert.ok(after.ab.frames_in - before.ab.frames_in > 100 && after.ba.frames_in - before.ba.frames_in > 100, JSON.stringify(after));
    assert.equal(after.ab.lost + after.ba.lost, 0, 'loss=0% lost frames');
  });

  // Over 40 ms without loss a robot on CycloneDDS's defaults keeps this rate too (79 of 80): the tuning shows
  // with loss and longer round trips (README, "DDS over a WAN": 22 -> 77 of 80 at 80 ms, 1 %, 1492).
  it("64 KB at 20 Hz both ways at rate (>= 64 of 80 in 4 s, none lost) with rosvpn's CycloneDDS settings", async () => {
    const up = await ddsFlow(hostSide(second), robotSide(s), { size: 65536, rate: '20Hz' });
    const down = await ddsFlow(robotSide(s), hostSide(second), { size: 65536, rate: '20Hz' });
    assert.ok(up.ok && up.samples >= 64, `second -> robot: ${JSON.stringify(up)}`);
    assert.ok(down.ok && down.samples >= 64, `robot -> second: ${JSON.stringify(down)}`);
    console.log(`      64 KB at 20 Hz in 4 s: second->robot ${up.samples}, robot->second ${down.samples}`);
  });

  it(`NAT rebinding: new public address and conntrack flushed, each back within ${REBIND_BOUND_S} s, DDS flowing again`, async () => {
    const lines: string[] = [];
    const results = await measureRebinding(s, (l) => lines.push(l), { limit: 60, repeat: 3 });
    for (const l of lines) console.log(`      ${l}`);
    assert.equal(results.length, 4);
    for (const r of results) {
      assert.ok(r.seconds !== undefined && r.seconds <= REBIND_BOUND_S, `${r.what} (probe from the ${r.from}): ${r.seconds} s`);
      assert.ok(r.ddsOk, `${r.what}: DDS did not flow again`);
    }
  });

  it('negative control: the same lab with the emulator at rtt=0 has a DDS round trip below 40 ms', async () => {
    await wan!.stop();
    wan = await startWan(s.wan!.ns, { a: s.wan!.a, b: s.wan!.b, spec: 'rtt=0ms' });
    let flow = await ddsFlow(hostSide(second), robotSide(s), { seconds: 2 });
    for (let i = 0; !flow.ok && i < 10; i++) flow = await ddsFlow(hostSide(second), robotSide(s), { seconds: 2 });
    assert.ok(flow.ok, `no DDS after restarting the emulator: ${JSON.stringify(flow)}`);
    const rtt = await ddsRoundTrip(robotSide(s), hostSide(second));
    assert.ok(rtt !== undefined && rtt / 1000 < 40, `round trip ${rtt === undefined ? 'none' : rtt / 1000} ms without the WAN's delay`);
  });
});
