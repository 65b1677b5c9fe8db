// Small process helpers for the lab and tests: run a command, capture its output, never through a shell string
// built from test data. Every program they start on this machine must be declared in scripts/install-prereqs.sh
// (tools.ts); one that cannot start throws an error naming its package.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions, type SpawnSyncOptions } from 'child_process';
import * as path from 'path';
import { assertDeclared, execFailure, hostTools, onPath, ToolMissingError } from './tools';

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: SpawnSyncOptions & { input?: string } = {}): RunResult {
  const argv = [cmd, ...args];
  assertDeclared(argv);
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error)
    throw (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? new ToolMissingError(path.basename(cmd), 'machine', 'not found') : r.error;
  const res = { status: r.status ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  if (res.status !== 0) {
    const missing = execFailure(argv, res.stderr);
    if (missing) throw missing;
  }
  return res;
}

/** Like run, but throws with the command's output when it fails. */
export function must(cmd: string, args: string[], opts: SpawnSyncOptions & { input?: string } = {}): string {
  const r = run(cmd, args, opts);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

export interface Started {
  proc: ChildProcess;
  /** Output so far (stdout and stderr interleaved). */
  out(): string;
  /** Resolves with the exit status and all output; rejects with a ToolMissingError when the program could not start. */
  done: Promise<{ status: number; out: string }>;
}

/** Starts a declared program in the background, collecting its output (the async twin of run). */
export function start(argv: readonly string[], opts: SpawnOptions = {}): Started {
  assertDeclared(argv);
  const proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d) => (out += d));
  proc.stderr?.on('data', (d) => {
    out += d;
    err += d;
  });
  const done = new Promise<{ status: number; out: string }>((resolve, reject) => {
    proc.on('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'ENOENT' ? new ToolMissingError(path.basename(argv[0]), 'machine', 'not found') : e),
    );
    proc.on('close', (code, signal) => {
      const missing = code !== 0 ? execFailure(argv, err) : undefined;
      if (missing) reject(missing);
      else resolve({ status: code ?? (signal ? 128 : -1), out });
    });
  });
  return { proc, out: () => out, done };
}

/** Fails (never skips) when a declared prerequisite is not installed, naming its package. */
export function requireTool(tool: string): void {
  if (!hostTools().has(tool)) throw new Error(`${tool} is not declared in scripts/install-prereqs.sh`);
  if (!onPath(tool)) throw new ToolMissingError(tool, 'machine', 'not on PATH');
}
