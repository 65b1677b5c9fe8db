// A real VS Code (code-server's server build) on 127.0.0.1 for one test: its own HOME, user data and
// extensions directories in a temp dir, our .vsix installed first, settings that keep the UI quiet and
// offline, optionally inside a network namespace (`ip netns exec`).
import { type ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { endRun, newRunId, RUN_MARKER } from './procs';
import { requireNetns, uiTools } from './tools';

/** User settings: no startup editor, tips, trust prompt, telemetry, update or gallery traffic, and a DOM
 *  terminal renderer so the tests can read the terminal's text. */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.settings.enableNaturalLanguageSearch': false,
  'workbench.editor.empty.hint': 'hidden',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'json.schemaDownload.enable': false,
  'npm.fetchOnlinePackageInfo': false,
  'typescript.disableAutomaticTypeAcquisition': true,
  'git.autofetch': false,
  'remote.autoForwardPorts': false,
  'terminal.integrated.gpuAcceleration': 'off',
  'terminal.integrated.enablePersistentSessions': false,
};

export interface CodeServerOptions {
  /** Folder opened in the workbench (`?folder=`). */
  workspace: string;
  /** .vsix files installed with `--install-extension` before the server starts. */
  vsix?: string[];
  /** Run code-server inside this network namespace (`ip netns exec NS ...`). */
  netns?: string;
  /** Extra environment for code-server and so for the extension host (e.g. AWS_EC2_METADATA_DISABLED). */
  env?: Record<string, string>;
  /** Merged over QUIET_SETTINGS into User/settings.json. */
  settings?: Record<string, unknown>;
  /** Workspace trust on (VS Code's default; the folder then opens in Restricted Mode until trusted). Off
   *  unless asked: the other tests run trusted, without the trust prompt. */
  workspaceTrust?: boolean;
  /** Processes are tagged with this run id (see procs.ts); one is made when absent. */
  runId?: string;
  /** Parent of the temp dir; os.tmpdir() by default. */
  tmpRoot?: string;
  startTimeoutMs?: number;
}

export class CodeServer {
  /** http://127.0.0.1:PORT/ as seen from inside the namespace the server runs in. */
  readonly url: string;
  private exited = false;

  private constructor(
    readonly opts: CodeServerOptions,
    readonly runId: string,
    /** Temp dir holding home/, data/ (user data), extensions/ and code-server.log; removed by stop(). */
    readonly dir: string,
    private readonly proc: ChildProcess,
    port: number,
  ) {
    this.url = `http://127.0.0.1:${port}/`;
    proc.once('exit', () => (this.exited = true));
  }

  get home(): string {
    return path.join(this.dir, 'home');
  }
  get userDataDir(): string {
    return path.join(this.dir, 'data');
  }
  get extensionsDir(): string {
    return path.join(this.dir, 'extensions');
  }
  get logFile(): string {
    return path.join(this.dir, 'code-server.log');
  }
  /** The URL that opens the workspace folder. */
  get workspaceUrl(): string {
    return `${this.url}?folder=${encodeURIComponent(this.opts.workspace)}`;
  }

  /** Installs the vsix files, writes the settings, starts the server and waits until it answers. */
  static async start(opts: CodeServerOptions): Promise<CodeServer> {
    const tools = uiTools();
    if (opts.netns) requireNetns(opts.netns);
    if (!fs.statSync(opts.workspace).isDirectory()) throw new Error(`workspace ${opts.workspace} is not a directory`);
    const runId = opts.runId ?? newRunId();
    const dir = fs.mkdtempSync(path.join(opts.tmpRoot ?? os.tmpdir(), 'rosvpn-ui-cs-'));
    try {
      for (const d of ['home', 'data/User', 'extensions']) fs.mkdirSync(path.join(dir, d), { recursive: true });
      fs.writeFileSync(
        path.join(dir, 'data/User/settings.json'),
        JSON.stringify(
          { ...QUIET_SETTINGS, ...(opts.workspaceTrust ? { 'security.workspace.trust.enabled': true } : {}), ...opts.settings },
          null,
          2,
        ),
      );
      const env = serverEnv(dir, runId, opts.env);
      const dirs = ['--user-data-dir', path.join(dir, 'data'), '--extensions-dir', path.join(dir, 'extensions')];
      for (const vsix of opts.vsix ?? []) {
        if (!fs.existsSync(vsix)) throw new Error(`${vsix} does not exist (npm run package makes it)`);
        const r = spawnSync(tools.node, [tools.codeServer, ...dirs, '--install-extension', vsix, '--force'], {
          env,
          encoding: 'utf8',
          timeout: 60_000,
        });
        if (r.status !== 0) throw new Error(`code-server --install-extension ${vsix} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
      }

      const args = [
        tools.codeServer,
        '--auth',
        'none',
        // port 0: the kernel picks a free port in the server's own namespace; the log line tells us which
        '--bind-addr',
        '127.0.0.1:0',
        '--disable-telemetry',
        '--disable-update-check',
        ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']),
        '--disable-getting-started-override',
        '--ignore-last-opened',
        '--config',
        path.join(dir, 'config.yaml'),
        ...dirs,
      ];
      fs.writeFileSync(path.join(dir, 'config.yaml'), '');
      if (opts.netns) ensureLoopbackUp(opts.netns);
      const [cmd, argv] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, tools.node, ...args]] : [tools.node, args];
      const log = fs.openSync(path.join(dir, 'code-server.log'), 'a');
      // detached: its own process group, so a test runner's Ctrl-C does not hit it before our teardown
      const proc = spawn(cmd, argv as string[], { env, cwd: opts.workspace, detached: true, stdio: ['ignore', log, log] });
      fs.closeSync(log);
      const port = await waitForPort(path.join(dir, 'code-server.log'), proc, opts.startTimeoutMs ?? 30_000);
      const server = new CodeServer(opts, runId, dir, proc, port);
      await server.waitServing(opts.startTimeoutMs ?? 30_000);
      return server;
    } catch (err) {
      await endRun(runId).catch(() => undefined);
      const logText = readIf(path.join(dir, 'code-server.log'));
      fs.rmSync(dir, { recursive: true, force: true });
      if (err instanceof Error && logText) err.message += `\n--- code-server.log ---\n${logText.slice(-4000)}`;
      throw err;
    }
  }

  /** Runs the code-server CLI (e.g. --list-extensions) with this server's directories and environment. */
  cli(args: string[]): { status: number; stdout: string; stderr: string } {
    const tools = uiTools();
    const r = spawnSync(
      tools.node,
      [tools.codeServer, '--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir, ...args],
      { env: serverEnv(this.dir, this.runId, this.opts.env), encoding: 'utf8', timeout: 60_000 },
    );
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** `publisher.name@version` of every installed extension. */
  listExtensions(): string[] {
    const r = this.cli(['--list-extensions', '--show-versions']);
    if (r.status !== 0) throw new Error(`code-server --list-extensions failed: ${r.stderr}`);
    return r.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^[\w-]+\.[\w-]+@/.test(l));
  }

  /** code-server's own output (server start, extension host launches, errors). */
  log(): string {
    return readIf(this.logFile);
  }

  /** The log files an extension's LogOutputChannels wrote (data/logs/<session>/exthostN/<extensionId>/). */
  extensionLogs(extensionId: string): { file: string; text: string }[] {
    const out: { file: string; text: string }[] = [];
    const logs = path.join(this.userDataDir, 'logs');
    for (const session of fs.existsSync(logs) ? fs.readdirSync(logs) : []) {
      for (const host of fs.readdirSync(path.join(logs, session)).filter((h) => h.startsWith('exthost'))) {
        const d = path.join(logs, session, host, extensionId);
        if (!fs.existsSync(d)) continue;
        for (const f of fs.readdirSync(d)) out.push({ file: path.join(d, f), text: readIf(path.join(d, f)) });
      }
    }
    return out;
  }

  /** Ends code-server, its extension host, terminals and everything else of this run; removes the temp dir. */
  async stop(): Promise<void> {
    if (!this.exited && this.proc.pid) {
      try {
        process.kill(-this.proc.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await new Promise<void>((resolve) => {
        if (this.exited) return resolve();
        const t = setTimeout(resolve, 5000);
        this.proc.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    try {
      await endRun(this.runId);
    } finally {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private async waitServing(timeoutMs: number): Promise<void> {
    // Ask /healthz from inside the server's namespace: the test process may live in another one.
    const probe = `require('http').get(${JSON.stringify(`${this.url}healthz`)}, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))`;
    const [cmd, argv] = this.opts.netns
      ? ['ip', ['netns', 'exec', this.opts.netns, process.execPath, '-e', probe]]
      : [process.execPath, ['-e', probe]];
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (spawnSync(cmd, argv as string[], { timeout: 5000 }).status === 0) return;
      if (this.exited) throw new Error('code-server exited while starting');
      if (Date.now() > until) throw new Error(`code-server did not answer ${this.url}healthz within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function serverEnv(dir: string, runId: string, extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: path.join(dir, 'home'),
    XDG_CONFIG_HOME: path.join(dir, 'home/.config'),
    XDG_DATA_HOME: path.join(dir, 'home/.local/share'),
    XDG_CACHE_HOME: path.join(dir, 'home/.cache'),
    // No extension gallery at all: VS Code then never asks open-vsx.org for anything.
    EXTENSIONS_GALLERY: '{}',
    // our parent's Node/npm settings must not leak into the extension host
    NODE_OPTIONS: '',
    ...extra,
    [RUN_MARKER]: runId,
  };
}

async function waitForPort(logFile: string, proc: ChildProcess, timeoutMs: number): Promise<number> {
  let exited = false;
  proc.once('exit', () => (exited = true));
  const until = Date.now() + timeoutMs;
  for (;;) {
    const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(readIf(logFile));
    if (m) return Number(m[1]);
    if (exited) throw new Error('code-server exited while starting');
    if (Date.now() > until) throw new Error(`code-server did not listen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A namespace made with `ip netns add` starts with lo down; code-server and Chromium talk over it. */
function ensureLoopbackUp(ns: string): void {
  const r = spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip -n ${ns} link set lo up failed: ${r.stderr}`);
}

function readIf(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
