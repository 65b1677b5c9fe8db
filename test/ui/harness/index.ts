// One VS Code for a test: code-server with the given workspace and .vsix, Chromium on its page, the
// workbench helpers, and a close() that ends every process of both and fails if any is left.
import type { Page } from 'playwright-core';
import type { Artifacts } from './artifacts';
import { Browser } from './browser';
import { CodeServer, type CodeServerOptions } from './codeServer';
import { markedPids, describePid } from './procs';
import { poll, Workbench } from './workbench';

export { Artifacts } from './artifacts';
export { Browser, CHROMIUM_FLAGS } from './browser';
export { CodeServer, CodeServerOptions, QUIET_SETTINGS } from './codeServer';
export { ensureVsix, REPO_ROOT, VSIX } from './vsix';
export { tempWorkspace, TempWorkspace } from './workspace';
export { uiTools } from './tools';
export * from './workbench';

export interface VsCodeOptions extends Omit<CodeServerOptions, 'runId'> {
  /** Where shot() saves screenshots. */
  artifacts?: Artifacts;
  viewport?: { width: number; height: number };
}

export class VsCode {
  private constructor(
    readonly server: CodeServer,
    readonly browser: Browser,
    readonly wb: Workbench,
    readonly artifacts: Artifacts | undefined,
  ) {}

  get page(): Page {
    return this.browser.page;
  }

  /** Starts code-server (in opts.netns if given), then Chromium in the same namespace, opens the folder
   *  and waits for the workbench. */
  static async open(opts: VsCodeOptions): Promise<VsCode> {
    const server = await CodeServer.start(opts);
    let browser: Browser | undefined;
    try {
      browser = await Browser.launch({ netns: opts.netns, viewport: opts.viewport });
      await browser.page.goto(server.workspaceUrl, { timeout: 60_000 });
      const wb = new Workbench(browser.page);
      await wb.waitReady();
      return new VsCode(server, browser, wb, opts.artifacts);
    } catch (err) {
      await browser?.close().catch(() => undefined);
      await server.stop().catch(() => undefined);
      throw err;
    }
  }

  /** Screenshot of the current window as <artifacts>/<step>.png (no-op without artifacts). */
  async shot(step: string): Promise<void> {
    if (this.artifacts) await this.artifacts.screenshot(this.page, step);
  }

  /** Closes Chromium and code-server and checks that no process of either is left; removes temp dirs. */
  async close(): Promise<void> {
    const errors: unknown[] = [];
    await this.browser.close().catch((e) => errors.push(e));
    await this.server.stop().catch((e) => errors.push(e));
    const left = [...markedPids(this.browser.runId), ...markedPids(this.server.runId)];
    if (left.length > 0) errors.push(new Error(`processes left after close:\n${left.map(describePid).join('\n')}`));
    if (errors.length > 0) throw errors[0];
  }
}

/**
 * Waits for a provisioning command's notification (`done`, or throws on `failed`), answering the CA
 * passphrase prompts on the way: a new one typed twice then kept for this session, or the existing one's.
 * Returns the titles of the prompts answered, in order.
 */
export async function untilProvisioned(
  vs: VsCode,
  done: RegExp,
  failed: RegExp,
  passphrase: string,
  timeoutMs = 600_000,
): Promise<string[]> {
  const asked: string[] = [];
  await poll(
    `a notification ${done}`,
    async () => {
      const n = await vs.wb.notifications();
      const bad = n.find((x) => failed.test(x.message));
      if (bad) throw new Error(`${bad.message} (CA prompts answered: ${asked.join(' | ') || 'none'})`);
      if (n.some((x) => done.test(x.message))) return true;
      if (!(await vs.page.locator('.quick-input-widget').isVisible())) return undefined;
      const box = await vs.wb.quickInputState().catch(() => undefined);
      if (!box || asked.at(-1) === box.title) return undefined;
      if (/Keep the CA passphrase where/.test(box.title)) {
        asked.push(box.title);
        await vs.wb.pickQuickItem('This session only');
      } else if (/CA passphrase/.test(box.title)) {
        asked.push(box.title);
        await vs.wb.typeInQuickInput(passphrase);
      }
      return undefined;
    },
    timeoutMs,
    500,
  );
  return asked;
}
