// Screenshots of each test step, kept as CI artifacts: test-artifacts/ui/<test>/<step>.png at the repo root.
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';

export const ARTIFACTS_ROOT = path.resolve(__dirname, '../../../test-artifacts/ui');

function safeName(s: string): string {
  return (
    s
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'unnamed'
  );
}

export class Artifacts {
  readonly dir: string;

  /** `test` names the folder (a mocha test's fullTitle() works); the folder is emptied first. */
  constructor(test: string) {
    this.dir = path.join(ARTIFACTS_ROOT, safeName(test));
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true });
  }

  /** Saves a full-window screenshot as <step>.png and returns its path. */
  async screenshot(page: Page, step: string): Promise<string> {
    const file = path.join(this.dir, `${safeName(step)}.png`);
    await page.screenshot({ path: file, timeout: 30_000 });
    return file;
  }

  /** Saves a text file next to the screenshots (logs worth keeping when a step fails). */
  write(name: string, text: string): string {
    const file = path.join(this.dir, safeName(name));
    fs.writeFileSync(file, text);
    return file;
  }
}
