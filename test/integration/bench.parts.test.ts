// Self-check of two parts of `npm run bench` (bench/extension.ts, bench/logs.ts) in quick mode: every row is
// a finite measurement, and every pass flag is what its target says about its value. Performance targets may
// be missed on a busy machine (the benchmark reports that); the correctness checks behind them may not.
import { strict as assert } from 'assert';
import { run as runExtension } from '../../bench/extension';
import { run as runLogs } from '../../bench/logs';
import type { BenchRow, BenchSection } from '../../bench/types';

/** The numeric comparison a target starts with: `≤ 50 ms…`, `≥ 5,000 lines/s`, `< 100 ms`, `> 0 (…)`, `0`. */
function targetHolds(row: BenchRow): boolean {
  const m = /^\s*(≤|≥|<|>|=)?\s*(\d[\d,]*(?:\.\d+)?)/.exec(row.target!);
  assert.ok(m, `${row.metric}: target "${row.target}" has no numeric comparison`);
  const limit = Number(m[2].replace(/,/g, ''));
  switch (m[1] ?? '=') {
    case '≤':
      return row.value <= limit;
    case '≥':
      return row.value >= limit;
    case '<':
      return row.value < limit;
    case '>':
      return row.value > limit;
    default:
      return row.value === limit;
  }
}

function checkSection(s: BenchSection, id: string): void {
  assert.equal(s.id, id);
  assert.ok(s.title.length > 0);
  assert.ok(s.rows.length > 0, 'no rows');
  assert.ok(s.notes.every((n) => typeof n === 'string' && n.length > 0));
  const metrics = new Set<string>();
  for (const r of s.rows) {
    assert.ok(!metrics.has(r.metric), `duplicate row ${r.metric}`);
    metrics.add(r.metric);
    assert.equal(typeof r.value, 'number', `${r.metric}: value is not a number`);
    assert.ok(Number.isFinite(r.value), `${r.metric}: value ${r.value} is not finite`);
    assert.ok(r.value >= 0, `${r.metric}: negative value ${r.value}`);
    assert.ok(r.unit.length > 0, `${r.metric}: no unit`);
    if (r.target === undefined) {
      assert.equal(r.pass, undefined, `${r.metric}: pass without a target`);
      continue;
    }
    assert.equal(typeof r.pass, 'boolean', `${r.metric}: target without a pass flag`);
    // A row may add a condition to its number (activation: and no heavy module), never drop it.
    if (!targetHolds(r)) assert.equal(r.pass, false, `${r.metric}: ${r.value} ${r.unit} misses "${r.target}" but passes`);
  }
}

const row = (s: BenchSection, re: RegExp): BenchRow => {
  const r = s.rows.find((x) => re.test(x.metric));
  assert.ok(r, `no row matching ${re}`);
  return r;
};

describe('bench parts (quick mode)', function () {
  this.timeout(300_000);

  it('extension: sizes, activation and the 50-second tree are measured; activation runs no ssh2/AWS SDK module', async () => {
    const s = await runExtension({ quick: true });
    checkSection(s, 'extension');
    assert.ok(row(s, /^bundle dist\/extension\.js$/).value > 100_000, 'the bundle is implausibly small');
    const parts = ['ssh2', 'AWS SDK', 'everything else'].map((p) => row(s, new RegExp(`in dist/extension\\.js: ${p}`)).value);
    assert.equal(
      parts.reduce((a, b) => a + b, 0),
      row(s, /^bundle dist\/extension\.js$/).value,
      'the parts do not add up to the bundle',
    );
    // The correctness side of the activation target, and the controls that prove the check can see a load.
    const heavy = row(s, /modules run by activation/);
    assert.equal(heavy.value, 0, heavy.note);
    assert.equal(row(s, /control: ssh2/).pass, true);
    assert.equal(row(s, /control: AWS SDK/).pass, true);
    for (const r of s.rows.filter((x) => /^activation: require/.test(x.metric))) {
      assert.equal(r.pass, targetHolds(r) && heavy.value === 0, `${r.metric}: pass flag not computed from its target`);
    }
  });

  it('logs: a real follow through sshd into the log task terminal, with lines/s, stalls and latency', async () => {
    const s = await runLogs({ quick: true });
    checkSection(s, 'logs');
    const rate = row(s, /^log follow into the terminal/);
    assert.ok(rate.value > 0);
    assert.ok(row(s, /added latency.*median/).value > 0, 'zero latency: the clocks were not compared');
    assert.ok(!/out of order/.test(rate.note ?? ''), rate.note);
  });
});
