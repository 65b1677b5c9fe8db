// One VS Code for a test: code-server with the given workspace and .vsix, Chromium on its page, the
// workbench helpers, and a close() that ends every process of both and fails if any is left.
import type { Page } from 'playwright-core';
import type { Artifacts } from './artifacts';
import { Browser } from './browser';
import { CodeServer, type CodeServerOptions } from './codeServer';
import { markedPids, describePid } from './procs';
import { Workbench } from './workbench';

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
