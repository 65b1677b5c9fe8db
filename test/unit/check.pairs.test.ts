// The DDS-level health probes: the multicast probe and MTU lines in the rendered check scripts, their
// parsing into pairs, the bash report of the probe's results (without the network: its output is faked),
// and how pairs (passed and failed) show in the tree. The probe itself on a real kernel: test/integration/check.netns.test.ts.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { libBody } from '../../src/core/render/bash';
import { DDS_DISCOVERY_GROUP, MCAST_PROBE_PORT, renderCheckScript } from '../../src/core/render/check';
import checkSh from '../../src/core/render/lib/check.sh';
import checkMcastSh from '../../src/core/render/lib/check-mcast.sh';
import { checkTopology, pairsOf, parseCheckLines, type CheckReport } from '../../src/core/provision/check';
import type { SshPool } from '../../src/core/ssh/types';
import { buildTopologyTree, pairResultsFromCheck } from '../../src/extension/tree/model';
import { flowResult, parseDdsLine } from '../../src/core/provision/ddsTest';
import { renderDdsTestScript } from '../../src/core/render/ddsTest';
import { requireTool, run } from '../../lab/sh';
import { loadFixture } from '../support/fixtures';

const t = loadFixture('vxlan-3');

/** Runs mcast_report against a faked probe output (or none: python3 missing), returning the ::check lines. */
function report(probeOutput: string | undefined, from: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-mcast-'));
  try {
    const out = path.join(dir, 'out');
    if (probeOutput !== undefined) fs.writeFileSync(out, probeOutput);
    // As mcast_start leaves it: a finished probe and its output, or (python3 missing) no probe.
    const setup = probeOutput === undefined ? "mcast_pid=''; mcast_out=$(mktemp)" : `mcast_out='${out}'; true & mcast_pid=$!`;
    const script = [
      "HOST_NAME='second'; BRIDGE='rosbridge'; MCAST_GROUP='239.255.0.1'; MCAST_PORT='7399'",
      `MCAST_FROM=(${from.map((f) => `'${f}'`).join(' ')})`,
      libBody('check.sh', checkSh).split('\nif ')[0],
      libBody('check-mcast.sh', checkMcastSh),
      setup,
      'mcast_report',
    ].join('\n');
    const r = run('bash', ['-c', script]);
    assert.equal(r.stderr, '');
    return r.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('check: DDS multicast and MTU pairs', () => {
  it('the script carries the group, port, MTU and the other hosts checked with it; alone, no probe', () => {
    requireTool('shellcheck');
    const s = renderCheckScript(t, 'second', { mcastFrom: ['gateway', 'second', 'third'] });
    assert.match(s, /^MCAST_FROM=\('gateway' 'third'\)$/m);
    assert.match(s, new RegExp(`^MCAST_GROUP='${DDS_DISCOVERY_GROUP.replace(/\./g, '\\.')}'$`, 'm'));
    assert.match(s, new RegExp(`^MCAST_PORT='${MCAST_PROBE_PORT}'$`, 'm'));
    assert.match(s, /^MTU='1500'$/m);
    assert.match(s, /^mcast_start$[\s\S]*-Mdo -s \$\(\(MTU - 28\)\)[\s\S]*^mcast_report$/m);
    assert.equal(run('shellcheck', ['-s', 'bash', '-f', 'gcc', '-'], { input: s }).stdout, '');
    assert.match(renderCheckScript(t, 'second'), /^MCAST_FROM=\(\)$/m);
    const client = renderCheckScript({ ...t, clients: [{ name: 'field-pc', vpnIp: '192.168.0.150/24' }] }, 'field-pc', {
      mcastFrom: ['gateway'],
    });
    assert.match(client, /^BRIDGE='rosvpn0'$/m);
  });

  it('mcast_report: a pass per sender heard, a fail naming the group for one not heard', () => {
    const items = parseCheckLines(report('sent 8 \nfrom gateway 8\nfrom third 3\n', ['gateway', 'third', 'fourth']));
    assert.deepEqual(
      items.map((i) => `${i.name} ${i.status}`),
      ['mcast-send pass', 'mcast:gateway pass', 'mcast:third pass', 'mcast:fourth fail'],
    );
    assert.match(items[2].msg, /^3 multicast datagram\(s\) from third to 239\.255\.0\.1:7399 arrived on rosbridge$/);
    assert.match(items[3].msg, /no multicast from fourth to 239\.255\.0\.1:7399 on rosbridge/);
  });

  it('mcast_report: a probe that cannot join fails mcast-send with the reason; without python3, says what to install', () => {
    const items = parseCheckLines(report('error [Errno 19] No such device\n', ['gateway']));
    assert.deepEqual(
      items.map((i) => `${i.name} ${i.status}`),
      ['mcast-send fail', 'mcast:gateway fail'],
    );
    assert.match(items[0].msg, /No such device/);
    const missing = parseCheckLines(report(undefined, ['gateway', 'third']));
    assert.deepEqual(
      missing.map((i) => `${i.name} ${i.status}`),
      ['mcast:gateway fail', 'mcast:third fail'],
    );
    assert.match(missing[0].msg, /python3 is missing on second.*apt-get install -y python3-minimal/);
  });

  it('pairs: mcast is received (from the peer to the host), mtu is sent (from the host to the peer)', () => {
    const checks = parseCheckLines(
      [
        '::check name=bridge status=pass msg="rosbridge is up"',
        '::check name=mcast:gateway status=fail msg="no multicast"',
        '::check name=mtu:third status=pass msg="ok"',
      ].join('\n'),
    );
    assert.deepEqual(pairsOf('second', checks), [
      { kind: 'mcast', from: 'gateway', to: 'second', status: 'fail', msg: 'no multicast' },
      { kind: 'mtu', from: 'second', to: 'third', status: 'pass', msg: 'ok' },
    ]);
  });

  it('the tree shows every pair of a host with its result in the tooltip, and counts them in its description', () => {
    const checks = parseCheckLines(
      [
        '::check name=mcast:gateway status=fail msg="x"',
        '::check name=mtu:gateway status=fail msg="y"',
        '::check name=mcast:second-2 status=pass msg="z"',
      ].join('\n'),
    );
    const gwChecks = parseCheckLines('::check name=mcast:second status=pass msg="a"\n::check name=mtu:second status=pass msg="b"\n');
    const rep: CheckReport = {
      ok: false,
      hosts: [
        { label: 'second', role: 'second', ok: false, checks, pairs: pairsOf('second', checks) },
        { label: 'gateway', role: 'gateway', ok: true, checks: gwChecks, pairs: pairsOf('gateway', gwChecks) },
        { label: 'second-2', role: 'second', ok: true, checks: [], pairs: [] },
      ],
    };
    const pairs = pairResultsFromCheck(rep, 1400);
    assert.deepEqual(pairs.get('second'), [
      { text: `DDS multicast ${DDS_DISCOVERY_GROUP} gateway → second`, ok: false },
      { text: "1400-byte don't-fragment ping second → gateway", ok: false },
      { text: `DDS multicast ${DDS_DISCOVERY_GROUP} second-2 → second`, ok: true },
    ]);
    assert.equal(pairs.has('second-2'), false, 'a host without pairs has no entry');
    const nodes = buildTopologyTree(t, new Map(), new Map(), { pairs }).flatMap((n) => [n, ...(n.children ?? [])]);
    const second = nodes.find((n) => n.host === 'second')!;
    assert.match(second.description!, / · 2 of 3 pairs failing$/);
    assert.match(
      second.tooltip,
      /\nPairs \(last check\):\n✗ DDS multicast 239\.255\.0\.1 gateway → second\n✗ 1400-byte don't-fragment ping second → gateway\n✓ DDS multicast 239\.255\.0\.1 second-2 → second$/,
    );
    const gw = nodes.find((n) => n.host === 'gateway')!;
    assert.match(gw.description!, / · 2 pairs ok$/);
    assert.match(gw.tooltip, /\n✓ 1400-byte don't-fragment ping gateway → second$/);
    const other = nodes.find((n) => n.host === 'second-2')!;
    assert.doesNotMatch(other.description!, /pairs/);
    assert.doesNotMatch(other.tooltip, /Pairs/);
  });

  it('a host ROS VPN was removed from shows as not provisioned', () => {
    const nodes = buildTopologyTree(t, new Map([['second', 'not provisioned']])).flatMap((n) => [n, ...(n.children ?? [])]);
    const second = nodes.find((n) => n.host === 'second')!;
    assert.equal(second.status, 'not provisioned');
    assert.match(second.tooltip, /· not provisioned$/m);
  });
});

describe('DDS test (ddsperf or ROS 2 talker/listener)', () => {
  it('scripts: pinned to the installed CycloneDDS config, lint clean; a bad duration is refused', () => {
    requireTool('shellcheck');
    for (const mode of ['pub', 'sub'] as const) {
      const s = renderDdsTestScript('second', mode, 3);
      assert.match(s, new RegExp(`^MODE='${mode}'$`, 'm'));
      assert.match(s, /^CYCLONEDDS_URI='file:\/\/\/etc\/rosvpn\/cyclonedds\.xml'$/m);
      assert.equal(run('shellcheck', ['-s', 'bash', '-f', 'gcc', '-'], { input: s }).stdout, '');
    }
    assert.throws(() => renderDdsTestScript('second', 'sub', 0), /1\.\.60/);
  });

  it('without ddsperf or ros2, the script says none (and the flow what to install)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-dds-'));
    try {
      // Only bash's builtins and no /opt/ros: PATH holds nothing.
      const script = renderDdsTestScript('desktop', 'sub', 1).replace('/opt/ros/*/setup.bash', `${dir}/*/setup.bash`);
      const r = run('bash', ['-c', `PATH='${dir}'\n${script}`]);
      const side = parseDdsLine(r.stdout);
      assert.deepEqual(side, { tool: 'none', rc: 127, samples: 0, lost: 0 });
      const f = flowResult('second', 'desktop', { tool: 'ddsperf', rc: 0, samples: 0, lost: 0 }, side);
      assert.equal(f.ok, false);
      assert.match(f.msg, /no ddsperf or ros2 on desktop: install ddsperf \(sudo apt-get install -y cyclonedds-tools\) or ROS 2/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('verdicts: samples without loss pass; loss, silence or a failed side fail, saying which', () => {
    const pub = { tool: 'ddsperf' as const, rc: 0, samples: 0, lost: 0 };
    assert.deepEqual(flowResult('second', 'desktop', pub, parseDdsLine('x\n::dds tool=ddsperf rc=0 samples=300 lost=0\n')), {
      from: 'second',
      to: 'desktop',
      ok: true,
      samples: 300,
      lost: 0,
      msg: '300 sample(s), 0 lost (ddsperf → ddsperf)',
    });
    assert.equal(flowResult('second', 'desktop', pub, { ...pub, samples: 290, lost: 10 }).ok, false);
    assert.match(flowResult('second', 'desktop', pub, { ...pub }).msg, /desktop received nothing from second: DDS discovery fails/);
    assert.match(flowResult('second', 'desktop', { ...pub, rc: 2 }, { ...pub, samples: 5 }).msg, /second's ddsperf talker exited 2/);
    assert.match(flowResult('second', 'desktop', undefined, { ...pub, samples: 5 }).msg, /did not run on second/);
  });
});

describe('checkTopology: every session before any script, so the multicast probes overlap', () => {
  it('scripts start only after the last session opened; each expects the other reached hosts; unreachable ones are left out', async () => {
    const events: string[] = [];
    const scripts = new Map<string, string>();
    const delays: Record<string, number> = { gateway: 10, second: 120, 'second-2': 40 };
    const pool = {
      session: async (ep: { label: string }) => {
        await new Promise((r) => setTimeout(r, delays[ep.label] ?? 0));
        if (ep.label === 'second-3') throw new Error('connect ETIMEDOUT');
        events.push(`open ${ep.label}`);
        return {
          endpoint: { ...ep, user: 'ubuntu' },
          upload: async (_p: string, content: string) => {
            events.push(`run ${ep.label}`);
            scripts.set(ep.label, content);
          },
          exec: async (cmd: string) =>
            cmd.startsWith('printf') ? { code: 0, stdout: '/home/ubuntu', stderr: '' } : { code: 0, stdout: '', stderr: '' },
        };
      },
    } as unknown as SshPool;
    const rep = await checkTopology({ ...t, desktop: undefined }, pool, { role: 'second' });
    const firstRun = events.findIndex((e) => e.startsWith('run'));
    assert.ok(firstRun >= 0 && events.slice(firstRun).every((e) => e.startsWith('run')), events.join(', '));
    assert.match(scripts.get('second-2')!, /^MCAST_FROM=\('second'\)$/m);
    assert.match(scripts.get('second')!, /^MCAST_FROM=\('second-2'\)$/m);
    assert.equal(rep.hosts.find((h) => h.label === 'second-3')?.checks[0].msg, 'connect ETIMEDOUT');
  });
});
