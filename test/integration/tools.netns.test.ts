// The DDS flow's failure paths (lab/demo.ts ddsFlow) with ddsperf in a network namespace of the test's own:
// an endpoint that cannot start fails the flow, never "0/0". Needs root (ip netns); the rest of the
// programs-on-this-machine checks are in test/unit/tools.test.ts.
import { strict as assert } from 'assert';
import { ddsFlow, type DdsSide } from '../../lab/demo';
import { run } from '../../lab/sh';

describe('a DDS endpoint that cannot start fails the flow, never "0/0" (in a namespace of its own)', function () {
  this.timeout(60_000);
  const ns = `rvtools${process.pid % 1000}`;
  const side = (label: string, iface: string, extraEnv: string[] = []): DdsSide => ({
    label,
    argv: [
      'ip',
      'netns',
      'exec',
      ns,
      'env',
      ...extraEnv,
      `CYCLONEDDS_URI=<CycloneDDS><Domain><General><Interfaces><NetworkInterface name="${iface}"/></Interfaces></General></Domain></CycloneDDS>`,
      'ddsperf',
    ],
  });

  before(function () {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (ip netns); CI runs as root');
    run('ip', ['netns', 'add', ns]);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  });
  after(() => {
    run('ip', ['netns', 'del', ns]);
    assert.ok(!run('ip', ['netns', 'list']).stdout.includes(ns), `namespace ${ns} left behind`);
  });

  it('ddsperf missing on this machine: the flow rejects naming cyclonedds-tools', async () => {
    await assert.rejects(
      ddsFlow(side('a', 'lo'), side('b', 'lo', ['PATH=/nonexistent']), { seconds: 1 }),
      /ddsperf could not start on this machine.*cyclonedds-tools/,
    );
  });

  it('ddsperf that exits at start (no such interface): the flow rejects with its exit status and message', async () => {
    await assert.rejects(
      ddsFlow(side('a', 'lo'), side('robot', 'rosvpn-none0'), { seconds: 1 }),
      /ddsperf sub on robot exited 2: .*rosvpn-none0/,
    );
  });

  it('negative control: both endpoints start, and the flow returns a result instead of failing', async () => {
    const r = await ddsFlow(side('a', 'lo'), side('b', 'lo'), { seconds: 1 });
    assert.equal(typeof r.samples, 'number');
  });
});
