// Debian's Chromium driven by playwright-core: headless, fresh profile, no traffic beyond loopback.
// With `netns`, Chromium runs inside that namespace (through a generated wrapper script), so it reaches a
// code-server that listens on the namespace's own 127.0.0.1.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { endRun, newRunId, RUN_MARKER } from './procs';
import { requireNetns, uiTools } from './tools';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Anything not on loopback goes to a dead proxy (127.0.0.1:9), so the browser cannot reach outside
  // hosts even if the page asks; Chromium never proxies loopback.
  '--proxy-server=http://127.0.0.1:9',
];

export interface BrowserOptions {
  netns?: string;
  runId?: string;
  tmpRoot?: string;
  viewport?: { width: number; height: number };
}

export class Browser {
  /** Requests the page made to anything but loopback (they fail at the dead proxy; a test may assert none). */
  readonly offLoopbackRequests: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly runId: string,
    /** Temp dir with the profile and, with netns, the wrapper script; removed by close(). */
    readonly dir: string,
  ) {
    context.on('request', (req) => {
      const url = req.url();
      if (/^(https?|wss?):/.test(url) && !/^(https?|wss?):\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(url)) {
        this.offLoopbackRequests.push(url);
      }
    });
  }

  static async launch(opts: BrowserOptions = {}): Promise<Browser> {
    const tools = uiTools();
    const runId = opts.runId ?? newRunId();
    const dir = fs.mkdtempSync(path.join(opts.tmpRoot ?? os.tmpdir(), 'rosvpn-ui-chromium-'));
    try {
      fs.mkdirSync(path.join(dir, 'home'));
      let executablePath = tools.chromium;
      if (opts.netns) {
        requireNetns(opts.netns);
        executablePath = path.join(dir, 'chromium-in-netns');
        fs.writeFileSync(executablePath, `#!/bin/sh\nexec ip netns exec ${opts.netns} ${tools.chromium} "$@"\n`, { mode: 0o755 });
      }
      const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
        executablePath,
        headless: true,
        args: CHROMIUM_FLAGS,
        // HOME in the temp dir too: Chromium's crash handler would otherwise write under ~/.config/chromium
        env: {
          ...process.env,
          HOME: path.join(dir, 'home'),
          XDG_CONFIG_HOME: path.join(dir, 'home/.config'),
          [RUN_MARKER]: runId,
        } as Record<string, string>,
        viewport: opts.viewport ?? { width: 1400, height: 900 },
        timeout: 60_000,
      });
      const page = context.pages()[0] ?? (await context.newPage());
      return new Browser(context, page, runId, dir);
    } catch (err) {
      await endRun(runId).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Closes Chromium, ends any process of it that is left and removes the profile. */
  async close(): Promise<void> {
    try {
      await Promise.race([this.context.close(), new Promise((r) => setTimeout(r, 10_000))]);
      await endRun(this.runId);
    } finally {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
