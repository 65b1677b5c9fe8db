// The pure parts of the WAN benchmark (bench/wanLab.ts) and of the DDS round trip every bench and demo figure
// reads (lab/demo.ts pingRoundTrips): the matrix, the emulator specs, the rows and their figures. No lab needed.
import { strict as assert } from 'assert';
import { markdown } from '../../bench/run';
import { deliveredMbps, oneMbSplit, rebindRows, wanMatrix, wanRows, wanSpecText, type FlowCell } from '../../bench/wanLab';
import { meanRoundTrip, pingRoundTrips } from '../../lab/demo';
import { parseWanSpec } from '../../lab/wan';

/** ddsperf 0.10 ping's per-second report lines (mean = half the round trip), two seconds. */
const PING_OUT = [
  '[1234] 1.000  rtt   mean 41250.500us  min 40100.000us  50% 41000.000us  90% 42000.000us  99% 43000.000us  max 43100.000us  cnt 18',
  '[1234] 2.000  rtt   mean 40900.000us  min 40200.000us  50% 40800.000us  90% 41500.000us  99% 41900.000us  max 42000.000us  cnt 20',
].join('\n');

const flow = (o: Partial<FlowCell>): FlowCell => ({
  rttMs: 80,
  lossPct: 0,
  settings: 'ours',
  dir: 'second->robot',
  size: 1 << 20,
  hz: 10,
  seconds: 6,
  delivered: 60,
  lost: 0,
  ...o,
});

describe('bench: DDS over a WAN', () => {
  it('ping round trips are the full round trip: twice what ddsperf prints, with their counts', () => {
    assert.deepEqual(pingRoundTrips(PING_OUT), [
      { us: 82501, count: 18 },
      { us: 81800, count: 20 },
    ]);
    assert.deepEqual(pingRoundTrips('no report'), []);
  });

  it("the demo's round trip: every second but the first (discovery), weighted by its count", () => {
    const lines = [
      { us: 99000, count: 5 },
      { us: 80000, count: 50 },
      { us: 82000, count: 150 },
    ];
    assert.equal(meanRoundTrip(lines), (80000 * 50 + 82000 * 150) / 200);
    assert.equal(meanRoundTrip([{ us: 81000 }]), 81000, 'one report only: that one');
    assert.equal(meanRoundTrip([]), undefined);
  });

  it('the full matrix is 20/80/200 ms × 0/1/3 % with 64 KB and 1 MB; --quick is 80 ms × 0/1 % with 64 KB', () => {
    const full = wanMatrix(false);
    assert.equal(full.conditions.length, 9);
    assert.deepEqual(full.sizes, [65536, 1048576]);
    assert.deepEqual(
      full.conditions.map((c) => `${c.rttMs}/${c.lossPct}`),
      ['20/0', '20/1', '20/3', '80/0', '80/1', '80/3', '200/0', '200/1', '200/3'],
    );
    const quick = wanMatrix(true);
    assert.deepEqual(quick.conditions, [
      { rttMs: 80, lossPct: 0 },
      { rttMs: 80, lossPct: 1 },
    ]);
    assert.deepEqual(quick.sizes, [65536]);
  });

  it('every cell has a spec the emulator accepts, with its RTT, loss and mtu 1492', () => {
    for (const c of wanMatrix(false).conditions) {
      const s = parseWanSpec(wanSpecText(c));
      assert.equal(s.rttMs, c.rttMs);
      assert.equal(s.lossPct, c.lossPct);
      assert.equal(s.mtu, 1492);
      assert.ok(s.jitterMs > 0 && s.jitterMs <= c.rttMs / 10);
    }
  });

  it('rows: the round trip in ms, then one row per flow with delivered of offered, lost and Mbit/s', () => {
    const rows = wanRows(
      [
        { rttMs: 80, lossPct: 1, settings: 'guide', us: 82501 },
        { rttMs: 200, lossPct: 0, settings: 'ours' },
      ],
      [
        flow({ lossPct: 1, settings: 'guide', delivered: 25, lost: 2 }),
        flow({ lossPct: 0 }),
        flow({ size: 65536, hz: 20, lossPct: 1, settings: 'guide' }),
      ],
    );
    assert.deepEqual(
      rows.map((r) => [r.metric, r.value, r.unit, r.note]),
      [
        ['80 ms / 1 %, guide: DDS round trip, 64 B', 82.5, 'ms', 'full round trip; WAN adds 80 ms'],
        ['80 ms / 1 %, guide: 1 MB @ 10 Hz second->robot', 25, 'of 60 delivered', 'lost 2, 35 Mbit/s delivered'],
        ['80 ms / 1 %, guide: 64 KB @ 20 Hz second->robot', 60, 'of 120 delivered', 'lost 0, 5.2 Mbit/s delivered'],
        ['200 ms / 0 %, rosvpn: DDS round trip, 64 B', 0, 'ms', 'no reply'],
      ],
    );
    assert.ok(rows.every((r) => r.target === undefined && r.pass === undefined));
  });

  it('delivered throughput counts only what arrived', () => {
    assert.equal(deliveredMbps({ size: 1 << 20, delivered: 0, seconds: 6 }), 0);
    assert.ok(Math.abs(deliveredMbps({ size: 1 << 20, delivered: 60, seconds: 6 }) - 83.886) < 0.001);
  });

  it('NAT rebinding rows: the slowest run, or the limit marked NOT back', () => {
    const rows = rebindRows(
      [
        { what: 'new public address', from: 'second', seconds: 5.3, runs: [5.3, 2.1], ddsOk: true },
        { what: 'conntrack flushed', from: 'robot', seconds: undefined, runs: [undefined], ddsOk: false },
      ],
      60,
    );
    assert.deepEqual(
      rows.map((r) => [r.metric, r.value, r.note]),
      [
        ['NAT rebinding (new public address), probe from the second: tunnel back', 5.3, 'runs 5.3, 2.1 s; then DDS ok'],
        ['NAT rebinding (conntrack flushed), probe from the robot: tunnel back', 60, 'NOT back within 60 s; runs never s; then DDS FAILED'],
      ],
    );
  });

  it('the 1 MB split pairs 80 ms at 0 % with 1 % per settings and direction, and is empty without 1 MB rows', () => {
    const flows = [flow({ lossPct: 0, delivered: 58 }), flow({ lossPct: 1, delivered: 27 }), flow({ lossPct: 3, delivered: 9 })];
    assert.deepEqual(oneMbSplit(flows), ['rosvpn second->robot: 58/60 at 80 ms / 0 %, 27/60 at 80 ms / 1 %']);
    assert.deepEqual(oneMbSplit(flows.map((f) => ({ ...f, size: 65536 }))), []);
  });

  it('BENCHMARKS.md: a section-wide explanation ("section: ID") follows the notes of that section only', () => {
    const m = { date: 'D', cpu: 'C', memoryGiB: 1, kernel: 'K', node: 'N' };
    const sec = (id: string) => ({
      id,
      title: id,
      rows: wanRows([{ rttMs: 80, lossPct: 0, settings: 'ours' as const, us: 82000 }], []),
      notes: ['a note'],
      measured: 'D',
    });
    const md = markdown(m, [sec('wan'), sec('other')], [], { 'section: wan': 'the repair round trips.' });
    assert.match(
      md,
      /## wan\n[\s\S]*\| 80 ms \/ 0 %, rosvpn: DDS round trip, 64 B \(full round trip; WAN adds 80 ms\) \| 82 ms \| {2}\|\n\n- a note\n- \*\*What bounds it\*\* — the repair round trips\.\n/,
    );
    assert.equal(md.split('What bounds it').length, 2);
  });
});
