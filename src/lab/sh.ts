// Small process helpers for the lab and tests: run a command, capture its output, never through a shell string
// built from test data.
import { spawnSync, SpawnSyncOptions } from 'child_process';

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: SpawnSyncOptions & { input?: string } = {}): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/** Like run, but throws with the command's output when it fails. */
export function must(cmd: string, args: string[], opts: SpawnSyncOptions & { input?: string } = {}): string {
  const r = run(cmd, args, opts);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

/** Fails (never skips) when a prerequisite that .ci/run installs is missing. */
export function requireTool(tool: string, hint: string): void {
  if (run('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    throw new Error(`${tool} is not installed; ${hint} (scripts/install-prereqs.sh installs it)`);
  }
}
