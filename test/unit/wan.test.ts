// The WAN emulator without taps: the demo's --wan spec (parsed and validated in lab/wan.ts), the packet code
// (fragments, ICMP "fragmentation needed") on made-up frames, and the seeded loss decisions, which must
// depend only on the seed and the frame's position. The emulator on real taps: test/integration/wan.netns.test.ts.
import { strict as assert } from 'assert';
import { formatWanSpec, lossPattern, parseWanSpec, WAN_PY, wanArgs } from '../../lab/wan';
import { must, run } from '../../lab/sh';

describe('WAN emulator: spec, packet code and seeded decisions (no taps)', () => {
  it('parses the demo spec into numbers, with defaults for what is left out', () => {
    assert.deepEqual(parseWanSpec('rtt=80ms,jitter=5ms,loss=1%,mtu=1492'), {
      rttMs: 80,
      jitterMs: 5,
      lossPct: 1,
      reorderPct: 0,
      mtu: 1492,
      rateBps: 0,
      seed: 1,
    });
    const s = parseWanSpec('rtt=0.2s,jitter=500us,loss=0.5%,mtu=1500,reorder=0.5%,seed=42,rate=100mbit');
    assert.deepEqual([s.rttMs, s.jitterMs, s.lossPct, s.reorderPct, s.seed, s.rateBps], [200, 0.5, 0.5, 0.5, 42, 100e6]);
    assert.deepEqual(parseWanSpec(formatWanSpec(s)), s);
    assert.deepEqual(wanArgs(s).slice(0, 6), ['--rtt', '0.2', '--jitter', '0.0005', '--loss', '0.005']);
  });

  it('rejects a bad spec with a message naming the field and the fix', () => {
    const cases: [string, RegExp][] = [
      ['rtt=80', /rtt=80 is not a duration: write it with a unit, e\.g\. rtt=80ms/],
      ['loss=1', /loss=1 is not a percentage: write it with %/],
      ['loss=101%', /loss=101% is more than 100%/],
      ['mtu=100', /mtu=100 must be a whole number from 576 to 9000 \(1492 for PPPoE/],
      ['mtu=1492.5', /mtu=1492\.5 must be a whole number/],
      ['rtt=10ms,jitter=6ms', /jitter=6ms is more than half the rtt \(5ms\).*lower jitter or raise rtt/],
      ['delay=5ms', /unknown field "delay": the fields are rtt, jitter, loss, mtu, reorder, seed, rate/],
      ['rtt=5ms,rtt=6ms', /rtt is given twice/],
      ['rate=100', /rate=100 is not a bit rate: write it with a unit, e\.g\. rate=100mbit/],
      ['rtt=5ms;loss=1%', /rtt=5ms;loss=1%|is not a duration/],
      ['', /empty/],
      ['seed=-1', /"seed=-1" is not field=value|seed=-1 must be a whole number/],
    ];
    for (const [text, re] of cases) assert.throws(() => parseWanSpec(text), re, text);
    assert.throws(() => parseWanSpec('rtt=80'), /format: rtt=80ms,jitter=5ms,loss=1%,mtu=1492/);
  });

  it('the packet code: fragments are valid and fit, an over-size DF packet gets "fragmentation needed" (wan.py --selftest)', () => {
    const r = run('python3', [WAN_PY, '--selftest']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /selftest ok/);
  });

  it('loss decisions depend only on the seed and the position: same seed, same pattern; another seed, another', () => {
    const a = lossPattern(200, 0.3, 7, 'ab');
    assert.deepEqual(lossPattern(200, 0.3, 7, 'ab'), a);
    assert.notDeepEqual(lossPattern(200, 0.3, 8, 'ab'), a, 'another seed gave the same pattern');
    assert.notDeepEqual(lossPattern(200, 0.3, 7, 'ba'), a, 'the two directions share one pattern');
    // a longer run starts with the shorter one: nothing but the position decides
    assert.deepEqual(lossPattern(400, 0.3, 7, 'ab').slice(0, 200), a);
    const lost = a.filter(Boolean).length;
    assert.ok(lost >= 40 && lost <= 80, `loss=30% lost ${lost} of 200`);
    assert.equal(lossPattern(200, 0, 7, 'ab').filter(Boolean).length, 0, 'loss=0 lost frames');
  });

  it('delays stay within rtt/2 ± jitter, and reorder marks about its fraction', () => {
    const out = must('python3', [WAN_PY, '--pattern', '1000', '--rtt', '0.08', '--jitter', '0.005', '--reorder', '0.2', '--seed', '3']);
    const lines = out.trim().split('\n');
    const delays = lines.map((l) => Number(l.split(' ')[0]));
    assert.ok(Math.min(...delays) >= 35 && Math.max(...delays) <= 45, `delays ${Math.min(...delays)}..${Math.max(...delays)} ms`);
    assert.ok(Math.max(...delays) - Math.min(...delays) > 8, 'no jitter');
    const re = lines.filter((l) => l.endsWith('reordered')).length;
    assert.ok(re > 150 && re < 250, `reorder=20% marked ${re} of 1000`);
  });
});
