// `rosvpn check`: per host — reachable over SSH, bridge, tunnel, OpenVPN, and every other host's
// robot-subnet address reachable across the bridge. Read-only; all hosts at once.
import { renderCheckScript } from '../render/check';
import type { SshPool } from '../ssh/types';
import type { ValidTopology } from '../topology/types';
import { type HostSelector, selectHosts } from './endpoints';
import { runUploadedScript } from './remote';

export interface CheckItem {
  name: string;
  status: 'pass' | 'fail';
  msg: string;
}

export interface HostCheck {
  label: string;
  role: string;
  ok: boolean;
  checks: CheckItem[];
}

export interface CheckReport {
  ok: boolean;
  hosts: HostCheck[];
}

const CHECK_LINE = /^::check name=(\S+) status=(pass|fail) msg="(.*)"$/;

export function parseCheckLines(output: string): CheckItem[] {
  const items: CheckItem[] = [];
  for (const line of output.split('\n')) {
    const m = CHECK_LINE.exec(line);
    if (m) items.push({ name: m[1], status: m[2] as 'pass' | 'fail', msg: m[3] });
  }
  return items;
}

export async function checkTopology(t: ValidTopology, pool: SshPool, select?: HostSelector, signal?: AbortSignal): Promise<CheckReport> {
  const hosts = await Promise.all(
    selectHosts(t, select).map(async (h): Promise<HostCheck> => {
      const checks: CheckItem[] = [];
      try {
        const session = await pool.session(h.endpoint);
        checks.push({ name: 'ssh', status: 'pass', msg: `reachable as ${session.endpoint.user ?? 'default user'}` });
        const script = renderCheckScript(t, h.label);
        const r = await runUploadedScript(session, 'rosvpn-check.sh', script, [], { signal, timeoutMs: 60000 });
        const items = parseCheckLines(r.stdout);
        if (!items.length)
          checks.push({ name: 'check-script', status: 'fail', msg: `no results (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}` });
        checks.push(...items);
      } catch (e) {
        checks.push({ name: 'ssh', status: 'fail', msg: (e as Error).message });
      }
      return { label: h.label, role: h.role, ok: checks.every((c) => c.status === 'pass'), checks };
    }),
  );
  return { ok: hosts.every((h) => h.ok), hosts };
}
