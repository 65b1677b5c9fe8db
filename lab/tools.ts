// The programs the lab, the demo, the bench and the tests run on this machine, as declared (with the Debian
// package that provides each) in scripts/install-prereqs.sh. The lab's runner (sh.ts) refuses a program that
// is not declared there, so a new tool cannot slip in that only the developer's machine happens to have; and
// a program that cannot start is an error naming its package, never an empty result.
import * as fs from 'fs';
import * as path from 'path';
import { BASE_PACKAGES } from './image';

export const PREREQS_SCRIPT = path.resolve(__dirname, '..', 'scripts', 'install-prereqs.sh');

export type ToolSet = 'demo' | 'test' | 'ui';

export interface HostTool {
  program: string;
  pkg: string;
  set: ToolSet;
  why: string;
}

let cached: Map<string, HostTool> | undefined;

/** The TOOLS table of scripts/install-prereqs.sh, by program name. */
export function hostTools(): Map<string, HostTool> {
  if (cached) return cached;
  const text = fs.readFileSync(PREREQS_SCRIPT, 'utf8');
  const m = /^read -r -d '' TOOLS <<'EOF' \|\| true\n([\s\S]*?)^EOF$/m.exec(text);
  if (!m) throw new Error(`${PREREQS_SCRIPT} has no TOOLS table`);
  const tools = new Map<string, HostTool>();
  for (const line of m[1].split('\n')) {
    const f = /^(\S+)\s+(\S+)\s+(demo|test|ui)\s+(.*)$/.exec(line.trim());
    if (f) tools.set(f[1], { program: f[1], pkg: f[2], set: f[3] as ToolSet, why: f[4] });
    else if (line.trim()) throw new Error(`${PREREQS_SCRIPT}: a TOOLS line is not "program package demo|test|ui why": ${line}`);
  }
  cached = tools;
  return tools;
}

/** True when `program` is an executable on PATH. */
export function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => {
    try {
      fs.accessSync(path.join(d || '.', program), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The declared programs that a set installs (demo: the lab and the demo; test: + the tests' and bench's; ui: all) and are missing. */
export function missingTools(set: ToolSet): ToolMissingError[] {
  const sets: ToolSet[] = set === 'demo' ? ['demo'] : set === 'test' ? ['demo', 'test'] : ['demo', 'test', 'ui'];
  return [...hostTools().values()]
    .filter((t) => sets.includes(t.set) && !onPath(t.program))
    .map((t) => new ToolMissingError(t.program, 'machine', 'not installed'));
}

/** The command that installs what is missing, for messages. */
export function installHint(tool: HostTool): string {
  return `apt-get install ${tool.pkg} (or: bash scripts/install-prereqs.sh ${tool.set === 'ui' ? 'all' : tool.set})`;
}

/**
 * The programs that an argv runs on this machine, in order: the command itself and what it execs in turn
 * (`ip netns exec NS prog`, `env A=B prog`, `timeout N prog`, `setsid prog`, and `nsenter` without -m, which
 * keeps this machine's files). `nsenter -m` into a lab host runs that host's own programs, from the base
 * image; node (this very runtime) ends the chain.
 */
export function hostPrograms(argv: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const cmd = argv[i];
    if (cmd === process.execPath) break;
    const prog = path.basename(cmd);
    if (prog === 'node') break;
    out.push(prog);
    const rest = argv.slice(i + 1);
    if (prog === 'ip' && rest[0] === 'netns' && rest[1] === 'exec') i += 4;
    else if (prog === 'env') {
      i++;
      while (i < argv.length && (argv[i].includes('=') || argv[i].startsWith('-'))) i++;
    } else if (prog === 'timeout') {
      i++;
      while (i < argv.length && argv[i].startsWith('-')) i++;
      i++;
    } else if (prog === 'setsid') i++;
    else if (prog === 'nsenter' && !rest.some((a) => /^(-m|--mount|-a|--all)$/.test(a) || /^-[a-z]*m/.test(a))) {
      const dd = rest.indexOf('--');
      if (dd < 0) break;
      i += dd + 2;
    } else break;
  }
  return out;
}

/** Throws when an argv would run a program on this machine that scripts/install-prereqs.sh does not declare. */
export function assertDeclared(argv: readonly string[]): void {
  const tools = hostTools();
  for (const p of hostPrograms(argv)) {
    if (!tools.has(p)) {
      throw new Error(
        `the lab runs "${p}" on this machine (${argv.slice(0, 6).join(' ')} …), but scripts/install-prereqs.sh declares no package for it: ` +
          'add a line to its TOOLS table (program, package, set, why)',
      );
    }
  }
}

/** A program that could not start: the message names it, its package and the command that installs it. */
export class ToolMissingError extends Error {
  constructor(
    readonly program: string,
    readonly where: 'machine' | 'lab host',
    detail: string,
  ) {
    super(ToolMissingError.describe(program, where, detail));
    this.name = 'ToolMissingError';
  }

  private static describe(program: string, where: 'machine' | 'lab host', detail: string): string {
    if (where === 'lab host') {
      return (
        `${program} could not start inside a lab host (${detail}): the lab's base image lacks it. ` +
        `Add its package to BASE_PACKAGES in lab/image.ts (now: ${BASE_PACKAGES.join(' ')}); the image is rebuilt on the next run.`
      );
    }
    const tool = hostTools().get(program);
    return tool
      ? `${program} could not start on this machine (${detail}). It comes from the Debian package ${tool.pkg}: ${installHint(tool)}`
      : `${program} could not start on this machine (${detail}), and scripts/install-prereqs.sh declares no package for it`;
  }
}

/** True when the argv enters a lab host's mount namespace, so that what it runs comes from the base image. */
function entersLabHost(argv: readonly string[]): boolean {
  const i = argv.findIndex((a) => path.basename(a) === 'nsenter');
  return i >= 0 && argv.slice(i + 1).some((a) => /^(-m|--mount|-a|--all)$/.test(a) || /^-[a-z]*m/.test(a));
}

/**
 * The program that failed to exec, from a finished command's stderr: `ip netns exec`, `env` and nsenter
 * report it themselves (exit 255 / 127 / 126). undefined when the program did start.
 */
export function execFailure(argv: readonly string[], stderr: string): ToolMissingError | undefined {
  const m =
    /exec of "([^"]+)" failed: ([^\n]+)/.exec(stderr) ??
    /^env: ['‘]?([^'’:\n]+)['’]?: (No such file or directory|Permission denied)/m.exec(stderr) ??
    /nsenter: failed to execute ([^:\n]+): ([^\n]+)/.exec(stderr);
  return m ? new ToolMissingError(path.basename(m[1]), entersLabHost(argv) ? 'lab host' : 'machine', m[2].trim()) : undefined;
}
