// Finding and ending every process a browser test started. Each run puts a unique ROSVPN_UI_RUN=<id> into the
// environment of code-server and Chromium; all their descendants inherit it, including the terminal shells
// node-pty starts in new sessions (which a process-group kill would miss). So the processes of one run are
// exactly those whose /proc/PID/environ holds the marker; we end them by pid and nothing else.
import * as fs from 'fs';
import { randomBytes } from 'crypto';

export const RUN_MARKER = 'ROSVPN_UI_RUN';

export function newRunId(): string {
  return `${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** Live (not zombie) processes whose environment carries this run's marker. */
export function markedPids(runId: string): number[] {
  const needle = Buffer.from(`${RUN_MARKER}=${runId}\0`);
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      if (!alive(pid)) continue;
      if (fs.readFileSync(`/proc/${pid}/environ`).includes(needle)) pids.push(pid);
    } catch {
      // ended while we looked, or not readable: not ours to end
    }
  }
  return pids;
}

/** The command line of a process, for error messages. */
export function describePid(pid: number): string {
  try {
    return `${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 160)}`;
  } catch {
    return `${pid} (gone)`;
  }
}

function alive(pid: number): boolean {
  try {
    // field 3 of /proc/PID/stat is the state; the command name in field 2 may hold spaces, so read after ')'
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

async function waitGone(runId: string, ms: number): Promise<number[]> {
  const until = Date.now() + ms;
  let left = markedPids(runId);
  while (left.length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    left = markedPids(runId);
  }
  return left;
}

/**
 * Ends every process of the run: SIGTERM (a clean shutdown lets code-server end its extension host), then
 * SIGKILL for what is left. Throws, listing them, when any survives.
 */
export async function endRun(runId: string, graceMs = 5000): Promise<void> {
  signal(markedPids(runId), 'SIGTERM');
  let left = await waitGone(runId, graceMs);
  if (left.length > 0) {
    signal(left, 'SIGKILL');
    left = await waitGone(runId, 3000);
  }
  if (left.length > 0) throw new Error(`processes of UI run ${runId} survived SIGKILL:\n${left.map(describePid).join('\n')}`);
}
