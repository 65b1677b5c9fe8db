// `rosvpn dds-test` / Run DDS Test: the original guide's ultimate test. Per second instance in turn, a
// listener on the desktop (started first, so it has discovered the talker when samples flow) and a
// talker on the second, both pinned to rosbridge by provisioning's CycloneDDS config; the listener's
// samples and loss are that second's result. One second at a time, so each count is that host's own.
import { errorMessage } from '../errors';
import { renderDdsTestScript } from '../render/ddsTest';
import type { SshPool } from '../ssh/types';
import type { ValidTopology } from '../topology/types';
import { selectHosts } from './endpoints';
import { runUploadedScript } from './remote';

export type DdsTool = 'ddsperf' | 'ros2' | 'none';

export interface DdsSideResult {
  tool: DdsTool;
  rc: number;
  samples: number;
  lost: number;
}

export interface DdsFlowResult {
  from: string;
  to: string;
  ok: boolean;
  samples: number;
  lost: number;
  msg: string;
}

export interface DdsTestReport {
  ok: boolean;
  flows: DdsFlowResult[];
}

export const DDS_INSTALL_HINT =
  'install ddsperf (sudo apt-get install -y cyclonedds-tools) or ROS 2 with demo_nodes_cpp and rmw_cyclonedds_cpp';

const DDS_LINE = /^::dds tool=(ddsperf|ros2|none) rc=(\d+) samples=(\d+) lost=(-?\d+)$/m;

export function parseDdsLine(output: string): DdsSideResult | undefined {
  const m = DDS_LINE.exec(output);
  return m ? { tool: m[1] as DdsTool, rc: Number(m[2]), samples: Number(m[3]), lost: Math.max(0, Number(m[4])) } : undefined;
}

/** One flow's verdict from both sides' results: ok when samples arrived and none were lost. */
export function flowResult(from: string, to: string, pub: DdsSideResult | undefined, sub: DdsSideResult | undefined): DdsFlowResult {
  const base = { from, to, samples: sub?.samples ?? 0, lost: sub?.lost ?? 0 };
  const missing = [pub?.tool === 'none' ? from : '', sub?.tool === 'none' ? to : ''].filter(Boolean);
  if (missing.length) return { ...base, ok: false, msg: `no ddsperf or ros2 on ${missing.join(' and ')}: ${DDS_INSTALL_HINT}` };
  if (!pub || !sub) return { ...base, ok: false, msg: `the test did not run on ${!pub ? from : to} (no result line)` };
  if (pub.rc !== 0 || sub.rc !== 0) {
    const who = pub.rc !== 0 ? `${from}'s ${pub.tool} talker` : `${to}'s ${sub.tool} listener`;
    return {
      ...base,
      ok: false,
      msg: `${who} exited ${pub.rc || sub.rc} (is the host provisioned? /etc/rosvpn/cyclonedds.xml names rosbridge)`,
    };
  }
  if (!sub.samples)
    return {
      ...base,
      ok: false,
      msg: `${to} received nothing from ${from}: DDS discovery fails across the VPN (see rosvpn check: mcast pairs)`,
    };
  const msg = `${sub.samples} sample(s), ${sub.lost} lost (${pub.tool} → ${sub.tool})`;
  return { ...base, ok: sub.lost === 0, msg };
}

export async function ddsTest(
  t: ValidTopology,
  pool: SshPool,
  opts: { seconds?: number; signal?: AbortSignal } = {},
): Promise<DdsTestReport> {
  if (!t.desktop) throw new Error('the DDS test listens on the desktop gateway, and this topology has no desktop');
  if (!t.seconds.length) throw new Error('the DDS test runs a talker on each second instance, and this topology has none');
  const seconds = opts.seconds ?? 3;
  const hosts = selectHosts(t);
  const desktop = hosts.find((h) => h.label === 'desktop')!;
  const listener = await pool.session(desktop.endpoint);
  const flows: DdsFlowResult[] = [];
  for (const s of t.seconds) {
    const run = async (label: string, mode: 'pub' | 'sub', session: typeof listener) => {
      const r = await runUploadedScript(session, `rosvpn-dds-${mode}.sh`, renderDdsTestScript(label, mode, seconds), [], {
        signal: opts.signal,
        timeoutMs: (seconds + 30) * 1000,
      });
      return parseDdsLine(r.stdout);
    };
    try {
      const talker = await pool.session(hosts.find((h) => h.label === s.name)!.endpoint);
      const sub = run('desktop', 'sub', listener);
      sub.catch(() => undefined); // awaited below; must not go unhandled while the talker runs
      // The listener first: it is discovering when the talker starts, so the talker's first samples count.
      await new Promise((r) => setTimeout(r, 1000));
      const pub = await run(s.name, 'pub', talker);
      flows.push(flowResult(s.name, 'desktop', pub, await sub));
    } catch (e) {
      flows.push({ from: s.name, to: 'desktop', ok: false, samples: 0, lost: 0, msg: errorMessage(e) });
    }
  }
  return { ok: flows.every((f) => f.ok), flows };
}
