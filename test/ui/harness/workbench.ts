// Helpers that drive the VS Code workbench (code-server's web UI) the way a user does: command palette,
// quick picks, activity bar and custom tree views, context menus, notifications, modal dialogs, webviews,
// the integrated terminal and the Output panel. Selectors are VS Code 1.139's DOM; each helper polls,
// because the workbench fills in asynchronously (extension contributions arrive after the page loads).
import type { FrameLocator, Locator, Page } from 'playwright-core';

export type TextMatch = string | RegExp;

export interface PaletteEntry {
  /** The full title as shown, e.g. "ROS VPN: Validate Topology". */
  label: string;
  /** The command id, e.g. "rosvpn.validateTopology". */
  id: string;
}

export interface TreeRow {
  label: string;
  description: string;
  /** The row's aria-label: VS Code builds it from the item's label, or its accessibilityInformation. */
  ariaLabel: string;
  /** 1 for top-level items. */
  level: number;
  /** undefined for leaves. */
  expanded: boolean | undefined;
}

export type Severity = 'info' | 'warning' | 'error';

export interface NotificationInfo {
  message: string;
  severity: Severity;
  buttons: string[];
  /** The extension shown as the source ("ROS VPN"); VS Code renders it only for toasts with buttons. */
  source: string;
}

export interface DialogInfo {
  message: string;
  detail: string;
  buttons: string[];
}

const DEFAULT_TIMEOUT = 30_000;

/** For messages and text: a string matches as a substring. */
function matches(text: string, m: TextMatch): boolean {
  return typeof m === 'string' ? text.includes(m) : m.test(text);
}

/** For labels, titles and buttons: a string matches only the whole label. */
function isLabel(text: string, m: TextMatch): boolean {
  return typeof m === 'string' ? text === m : m.test(text);
}

function clean(s: string | null | undefined): string {
  return (s ?? '').replace(/\u00a0/g, ' ').trim();
}

/** Polls `fn` until it returns something other than undefined, or throws `what` with the last state. */
export async function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = DEFAULT_TIMEOUT, intervalMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > until) {
      throw new Error(`timed out after ${timeoutMs} ms: ${what}${lastErr ? ` (last error: ${String(lastErr)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export class Workbench {
  constructor(readonly page: Page) {}

  // ---- workbench -------------------------------------------------------------------------------------

  /** Waits until the workbench has rendered its parts. Extension contributions may still be arriving:
   *  the helpers that need them (runCommand, openViewContainer, ...) wait for them. */
  async waitReady(timeoutMs = 90_000): Promise<void> {
    const p = this.page;
    await p.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: timeoutMs });
    await p.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: timeoutMs });
    await p.locator('.monaco-workbench .part.editor').waitFor({ timeout: timeoutMs });
  }

  /** Presses Escape until no quick input or context menu is open (modal dialogs need answerDialog). */
  async closeOverlays(): Promise<void> {
    for (let i = 0; i < 4; i++) {
      const open =
        (await this.page.locator('.quick-input-widget:visible').count()) +
        (await this.page.locator('.context-view .monaco-menu:visible').count());
      if (open === 0) return;
      await this.page.keyboard.press('Escape');
      await this.page.waitForTimeout(100);
    }
  }

  // ---- command palette and quick input ---------------------------------------------------------------

  private get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  private async openPalette(query: string): Promise<void> {
    await this.closeOverlays();
    await this.page.keyboard.press('F1');
    const input = this.quickInput.locator('.quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${query}`);
  }

  /** The palette's entries for `query` right now (waits for the list to settle briefly). */
  async paletteMatches(query: string): Promise<PaletteEntry[]> {
    await this.openPalette(query);
    await this.page.waitForTimeout(300);
    const entries = await this.readPaletteEntries();
    await this.page.keyboard.press('Escape');
    return entries;
  }

  /**
   * Opens the palette (F1) and types `>` and the query key by key, as a user does, then waits until the
   * list has settled (the palette filters asynchronously) and returns its entries, first row first. The
   * palette stays open: press Enter to run the first row.
   */
  async typeInPalette(query: string): Promise<PaletteEntry[]> {
    await this.closeOverlays();
    await this.page.keyboard.press('F1');
    const input = this.quickInput.locator('.quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.press('ControlOrMeta+A');
    await this.page.keyboard.type(`>${query}`);
    let last = '';
    return poll(
      `the palette list for "${query}" to settle`,
      async () => {
        if ((await input.inputValue()) !== `>${query}`) return undefined;
        const entries = await this.readPaletteEntries();
        const now = JSON.stringify(entries);
        const settled = now === last;
        last = now;
        return settled ? entries : undefined;
      },
      10_000,
      300,
    );
  }

  private async readPaletteEntries(): Promise<PaletteEntry[]> {
    return this.quickInput.locator('.monaco-list-row .quick-input-list-entry[data-quick-input-id]').evaluateAll((els) =>
      els.map((e) => ({
        label: (e.querySelector('.label-name')?.textContent ?? '').replace(/\u00a0/g, ' ').trim(),
        id: e.getAttribute('data-quick-input-id') ?? '',
      })),
    );
  }

  /**
   * Waits until the palette offers the command with exactly this title, then runs it. Retries while the
   * extension's contributions are still being registered. Returns once the palette has closed or the
   * command has opened its own quick pick / input box.
   */
  async runCommand(title: string, timeoutMs = 60_000): Promise<void> {
    const input = this.quickInput.locator('.quick-input-box input');
    await poll(
      `the command palette to offer "${title}"`,
      async () => {
        await this.openPalette(title);
        const row = this.quickInput
          .locator('.monaco-list-row')
          .filter({ has: this.page.locator('.label-name', { hasText: exactly(title) }) })
          .first();
        try {
          await row.waitFor({ state: 'visible', timeout: 1500 });
        } catch {
          await this.page.keyboard.press('Escape');
          return undefined;
        }
        await row.click();
        return true;
      },
      timeoutMs,
      500,
    );
    await poll(
      `the palette to close after "${title}"`,
      async () => {
        if (!(await this.quickInput.isVisible())) return true;
        return (await input.inputValue().catch(() => '')).startsWith('>') ? undefined : true;
      },
      10_000,
      100,
    );
  }

  /** Waits until a palette entry with this title exists (without running it). */
  async waitForCommand(title: string, timeoutMs = 60_000): Promise<PaletteEntry> {
    return poll(
      `the command palette to offer "${title}"`,
      async () => (await this.paletteMatches(title)).find((e) => e.label === title),
      timeoutMs,
      500,
    );
  }

  /** Items of the open quick pick (labels as shown). */
  async quickPickItems(timeoutMs = 10_000): Promise<string[]> {
    await this.quickInput.waitFor({ state: 'visible', timeout: timeoutMs });
    return this.quickInput
      .locator('.monaco-list-row')
      .evaluateAll((els) => els.map((e) => (e.querySelector('.label-name')?.textContent ?? e.getAttribute('aria-label') ?? '').trim()));
  }

  /** Picks the item whose label matches in the open quick pick. */
  async pickQuickItem(label: TextMatch, timeoutMs = 10_000): Promise<void> {
    const row = await poll(
      `a quick pick item matching ${label}`,
      async () => {
        for (const r of await this.quickInput.locator('.monaco-list-row').all()) {
          const text =
            clean(
              await r
                .locator('.label-name')
                .first()
                .textContent()
                .catch(() => null),
            ) || clean(await r.getAttribute('aria-label'));
          if (isLabel(text, label)) return r;
        }
        return undefined;
      },
      timeoutMs,
    );
    await row.click();
  }

  /** Types into the open quick input / input box; `submit` presses Enter. */
  async typeInQuickInput(text: string, submit = true): Promise<void> {
    const input = this.quickInput.locator('.quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(text);
    if (submit) await input.press('Enter');
  }

  /** The quick input's title, placeholder and validation message (for input boxes). */
  async quickInputState(): Promise<{ title: string; placeholder: string; message: string; value: string }> {
    const input = this.quickInput.locator('.quick-input-box input');
    return {
      title: clean(
        await this.quickInput
          .locator('.quick-input-title')
          .textContent()
          .catch(() => ''),
      ),
      placeholder: clean(await input.getAttribute('placeholder')),
      message: clean(
        await this.quickInput
          .locator('.quick-input-message')
          .textContent()
          .catch(() => ''),
      ),
      value: await input.inputValue(),
    };
  }

  /**
   * Waits for an input box whose title matches (and, if asked, whose value satisfies `ready`), presses
   * Enter in that box itself, and waits until it closes or another box replaces it. Pressing Enter on the
   * page instead races VS Code: focus may still be on the tree button that opened the box, or the Enter
   * may land on the next box of a chain.
   */
  async acceptInputBox(
    title: TextMatch,
    ready: (s: { title: string; value: string; message: string }) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<{ title: string; placeholder: string; message: string; value: string }> {
    const input = this.quickInput.locator('.quick-input-box input');
    const st = await poll(
      `an input box titled ${title}`,
      async () => {
        if (!(await this.quickInput.isVisible().catch(() => false))) return undefined;
        const s = await this.quickInputState().catch(() => undefined);
        return s && isLabel(s.title, title) && ready(s) ? s : undefined;
      },
      timeoutMs,
    );
    await input.press('Enter');
    await poll(
      `the input box "${st.title}" to be accepted`,
      async () => {
        if (!(await this.quickInput.isVisible().catch(() => false))) return true;
        const s = await this.quickInputState().catch(() => undefined);
        return s && s.title !== st.title ? true : undefined;
      },
      timeoutMs,
    );
    return st;
  }

  // ---- activity bar, views and custom trees ----------------------------------------------------------

  /** Activity bar entries (view container titles). */
  async activityBarTitles(): Promise<string[]> {
    return this.page
      .locator('.part.activitybar .action-item a.action-label')
      .evaluateAll((els) => els.map((e) => (e.getAttribute('aria-label') ?? '').replace(/\s*\(.*\)$/, '').trim()).filter(Boolean));
  }

  /** Shows a view container (e.g. "ROS VPN", "Explorer") by clicking its activity bar entry, unless shown. */
  async openViewContainer(title: string, timeoutMs = 30_000): Promise<void> {
    const item = await poll(
      `the activity bar entry "${title}"`,
      async () => {
        for (const a of await this.page.locator('.part.activitybar .action-item a.action-label').all()) {
          const label = clean(await a.getAttribute('aria-label')).replace(/\s*\(.*\)$/, '');
          if (label === title) return a;
        }
        return undefined;
      },
      timeoutMs,
    );
    const li = item.locator('xpath=..');
    const checked = ((await li.getAttribute('class')) ?? '').includes('checked');
    if (!checked || !(await this.page.locator('.part.sidebar').isVisible())) await item.click();
    await poll(
      `the side bar to show "${title}"`,
      async () => {
        const t = clean(
          await this.page
            .locator('.part.sidebar .composite.title h2')
            .first()
            .textContent()
            .catch(() => ''),
        );
        return t.toLowerCase().includes(title.toLowerCase()) ? true : undefined;
      },
      10_000,
    );
  }

  /**
   * The pane of a visible view in the side bar (or panel / secondary side bar). With `viewTitle` the pane
   * whose header says so; without, the side bar's first visible pane (a container with one view hides the
   * pane header). Hidden containers stay in the DOM, hence the visibility filter.
   */
  view(viewTitle?: string): Locator {
    if (!viewTitle) return this.page.locator('.part.sidebar .split-view-view .pane').filter({ visible: true }).first();
    const panes = this.page.locator(
      '.part.sidebar .split-view-view .pane, .part.panel .split-view-view .pane, .part.auxiliarybar .split-view-view .pane',
    );
    return panes
      .filter({ visible: true })
      .filter({ has: this.page.locator('.pane-header h3.title', { hasText: exactly(viewTitle) }) })
      .first();
  }

  /** Expands a collapsed view section by its header title. */
  async expandView(viewTitle: string): Promise<void> {
    const header = this.view(viewTitle).locator('.pane-header');
    await header.waitFor({ timeout: 10_000 });
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  }

  /** The rows currently rendered in a view's tree (a tree virtualises: off-screen rows are not in the DOM). */
  async treeRows(viewTitle?: string): Promise<TreeRow[]> {
    // No named inner functions in evaluate callbacks: tsx compiles them with a __name helper the page lacks.
    return this.view(viewTitle)
      .locator('.monaco-list-row')
      .evaluateAll((els) =>
        els.map((e) => ({
          label: (e.querySelector('.label-name')?.textContent ?? '').replace(/\u00a0/g, ' ').trim(),
          description: (e.querySelector('.label-description')?.textContent ?? '').replace(/\u00a0/g, ' ').trim(),
          ariaLabel: (e.getAttribute('aria-label') ?? '').trim(),
          level: Number(e.getAttribute('aria-level') ?? '1'),
          expanded: e.getAttribute('aria-expanded') === null ? undefined : e.getAttribute('aria-expanded') === 'true',
        })),
      );
  }

  /** Waits until the view's tree shows a row whose label matches, and returns the rows at that moment. */
  async waitForTreeRow(label: TextMatch, viewTitle?: string, timeoutMs = DEFAULT_TIMEOUT): Promise<TreeRow[]> {
    return poll(
      `a tree row labelled ${label}${viewTitle ? ` in "${viewTitle}"` : ''}`,
      async () => {
        const rows = await this.treeRows(viewTitle);
        return rows.some((r) => isLabel(r.label, label)) ? rows : undefined;
      },
      timeoutMs,
    );
  }

  /** The row element whose label matches (the whole label, for strings). */
  treeRow(label: TextMatch, viewTitle?: string): Locator {
    const name = this.page.locator('.label-name', { hasText: typeof label === 'string' ? exactly(label) : label });
    return this.view(viewTitle).locator('.monaco-list-row').filter({ has: name }).first();
  }

  /** Expands or collapses a tree row (no-op when it already is). */
  async setTreeRowExpanded(label: TextMatch, expanded: boolean, viewTitle?: string): Promise<void> {
    const row = this.treeRow(label, viewTitle);
    await row.waitFor({ timeout: 10_000 });
    const state = await row.getAttribute('aria-expanded');
    if (state !== null && (state === 'true') !== expanded) await row.locator('.monaco-tl-twistie').click();
  }

  /** Right-clicks a tree row and returns the context menu's entries. */
  async treeContextMenu(label: TextMatch, viewTitle?: string): Promise<string[]> {
    const row = this.treeRow(label, viewTitle);
    await row.waitFor({ timeout: 10_000 });
    await row.click({ button: 'right' });
    return this.contextMenuItems();
  }

  /** Right-clicks a tree row and runs the context menu entry `action`. */
  async treeContextAction(label: TextMatch, action: TextMatch, viewTitle?: string): Promise<void> {
    await this.treeContextMenu(label, viewTitle);
    await this.clickContextMenuItem(action);
  }

  /** The titles of a row's inline actions (shown on hover/selection). */
  async treeInlineActions(label: TextMatch, viewTitle?: string): Promise<string[]> {
    const row = this.treeRow(label, viewTitle);
    await row.waitFor({ timeout: 10_000 });
    const read = () =>
      row
        .locator('.actions .action-label')
        .evaluateAll((els) => els.map((e) => (e.getAttribute('aria-label') ?? e.getAttribute('title') ?? '').trim()));
    // The action bar fills in once the row's menu is resolved, which a busy machine delays past the hover (CI17):
    // wait for it, and give back what is there (maybe nothing) after 10 s.
    return poll(
      `inline actions on row ${label}`,
      async () => {
        await row.hover();
        const actions = await read();
        return actions.length ? actions : undefined;
      },
      10_000,
    ).catch(() => read());
  }

  /** Hovers a row and clicks its inline action whose title (aria-label) matches. */
  async treeInlineAction(label: TextMatch, action: TextMatch, viewTitle?: string): Promise<void> {
    const row = this.treeRow(label, viewTitle);
    await row.waitFor({ timeout: 10_000 });
    await row.hover();
    const btn = await poll(
      `inline action ${action} on row ${label}`,
      async () => {
        for (const a of await row.locator('.actions .action-label').all()) {
          if (isLabel(clean(await a.getAttribute('aria-label')), action)) return a;
        }
        return undefined;
      },
      10_000,
    );
    await btn.click();
  }

  /** The hover text of a row (its tooltip), shown by hovering over the label. */
  async treeRowTooltip(label: TextMatch, viewTitle?: string): Promise<string> {
    const row = this.treeRow(label, viewTitle);
    const hover = this.page.locator('.workbench-hover, .monaco-hover').filter({ visible: true }).last();
    // A hover that did not open (the tree re-rendered under the pointer, or a busy machine let it time out) opens
    // only when the pointer enters the label again: leave it and come back, three times at most.
    for (let attempt = 1; ; attempt++) {
      await this.page.mouse.move(0, 0);
      await row.locator('.monaco-icon-label').first().hover();
      try {
        await hover.waitFor({ timeout: 10_000 });
        break;
      } catch (e) {
        if (attempt === 3) throw e;
      }
    }
    return clean(await hover.innerText());
  }

  /** The title-bar actions (icons) of a view, by their titles. A container with one view shows them in
   *  its own title (.title-actions), a pane in its header (.actions). */
  async viewTitleActions(viewTitle?: string): Promise<string[]> {
    const header = viewTitle ? this.view(viewTitle).locator('.pane-header') : this.page.locator('.part.sidebar .composite.title');
    await header.hover();
    return header
      .locator('.actions .action-label, .title-actions .action-label')
      .evaluateAll((els) => els.map((e) => (e.getAttribute('aria-label') ?? '').trim()));
  }

  /** Clicks a view's title-bar action by its title. */
  async clickViewTitleAction(action: TextMatch, viewTitle?: string): Promise<void> {
    const header = viewTitle ? this.view(viewTitle).locator('.pane-header') : this.page.locator('.part.sidebar .composite.title');
    await header.hover();
    for (const a of await header.locator('.actions .action-label, .title-actions .action-label').all()) {
      if (isLabel(clean(await a.getAttribute('aria-label')), action)) return a.click();
    }
    throw new Error(`no title action ${action} on view ${viewTitle ?? '(side bar)'}`);
  }

  /** The text of a view's welcome content (shown when its tree is empty), with its buttons. */
  async viewWelcome(viewTitle?: string): Promise<{ text: string; buttons: string[] }> {
    const w = this.view(viewTitle).locator('.welcome-view-content');
    await w.waitFor({ timeout: 10_000 });
    return {
      text: clean(await w.innerText()),
      buttons: (await w.locator('.monaco-button').allInnerTexts()).map(clean),
    };
  }

  // ---- context menus ---------------------------------------------------------------------------------

  private get contextMenu(): Locator {
    return this.page.locator('.context-view .monaco-menu');
  }

  /** Entries of the open context menu (separators left out). */
  async contextMenuItems(timeoutMs = 10_000): Promise<string[]> {
    await this.contextMenu.first().waitFor({ state: 'visible', timeout: timeoutMs });
    return (await this.contextMenu.first().locator('.action-item:not(.disabled) .action-label:not(.separator)').allInnerTexts())
      .map(clean)
      .filter(Boolean);
  }

  async clickContextMenuItem(item: TextMatch): Promise<void> {
    await this.contextMenu.first().waitFor({ state: 'visible', timeout: 10_000 });
    for (const a of await this.contextMenu.first().locator('.action-item .action-label:not(.separator)').all()) {
      if (!isLabel(clean(await a.innerText()), item)) continue;
      await a.click();
      // On a busy machine the menu can take the click before it is ready: it then stays open and nothing
      // runs. A menu that ran its entry closes; one still open gets the entry by keyboard once more.
      const closed = await this.contextMenu
        .first()
        .waitFor({ state: 'hidden', timeout: 5_000 })
        .then(
          () => true,
          () => false,
        );
      if (!closed) {
        await a.hover();
        await this.page.keyboard.press('Enter');
        await this.contextMenu.first().waitFor({ state: 'hidden', timeout: 10_000 });
      }
      return;
    }
    const items = await this.contextMenuItems();
    await this.page.keyboard.press('Escape');
    throw new Error(`context menu has no entry ${item}; it has: ${items.join(' | ')}`);
  }

  // ---- notifications ---------------------------------------------------------------------------------

  /** Notifications now on screen as toasts, newest first. */
  async notifications(): Promise<NotificationInfo[]> {
    return this.page.locator('.notifications-toasts .notification-list-item').evaluateAll(readNotificationItems);
  }

  /** Waits for a toast whose message matches. */
  async waitForNotification(message: TextMatch, timeoutMs = DEFAULT_TIMEOUT): Promise<NotificationInfo> {
    return poll(
      `a notification matching ${message}`,
      async () => (await this.notifications()).find((n) => matches(n.message, message)),
      timeoutMs,
    );
  }

  /** Clicks a button of the toast whose message matches. */
  async clickNotificationButton(message: TextMatch, button: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    await this.waitForNotification(message, timeoutMs);
    const toast = this.page
      .locator('.notifications-toasts .notification-list-item')
      .filter({ has: this.page.locator('.notification-list-item-message', { hasText: message }) })
      .first();
    await toast
      .locator('.notification-list-item-buttons-container .monaco-button', { hasText: exactly(button) })
      .first()
      .click();
  }

  /**
   * Every notification of the session, including toasts that have already hidden themselves (info toasts
   * go after some seconds): opens the notification center, reads it and closes it again.
   */
  async notificationHistory(): Promise<NotificationInfo[]> {
    await this.runCommand('Notifications: Show Notifications');
    const center = this.page.locator('.notifications-center');
    await center.waitFor({ state: 'visible', timeout: 10_000 });
    const items = await center.locator('.notification-list-item').evaluateAll(readNotificationItems);
    await this.runCommand('Notifications: Hide Notifications');
    await center.waitFor({ state: 'hidden', timeout: 10_000 });
    return items;
  }

  /** Clears every notification (so the next wait sees only new ones). */
  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications');
    await poll('the notifications to clear', async () => ((await this.notifications()).length === 0 ? true : undefined), 10_000);
  }

  // ---- modal dialogs ---------------------------------------------------------------------------------

  private get dialog(): Locator {
    return this.page.locator('.monaco-dialog-box');
  }

  /** Waits for a modal dialog and returns its text and buttons. */
  async waitForDialog(timeoutMs = DEFAULT_TIMEOUT): Promise<DialogInfo> {
    await this.dialog.first().waitFor({ state: 'visible', timeout: timeoutMs });
    const d = this.dialog.first();
    return {
      message: clean(
        await d
          .locator('.dialog-message-text')
          .textContent()
          .catch(() => ''),
      ),
      detail: clean(
        await d
          .locator('.dialog-message-detail')
          .textContent()
          .catch(() => ''),
      ),
      buttons: (await d.locator('.dialog-buttons .monaco-button').allInnerTexts()).map(clean),
    };
  }

  /** Clicks a button of the open modal dialog and waits for it to close. */
  async answerDialog(button: TextMatch, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    await this.dialog.first().waitFor({ state: 'visible', timeout: timeoutMs });
    for (const b of await this.dialog.first().locator('.dialog-buttons .monaco-button').all()) {
      if (isLabel(clean(await b.innerText()), button)) {
        await b.click();
        await this.dialog.first().waitFor({ state: 'hidden', timeout: 10_000 });
        return;
      }
    }
    throw new Error(`the dialog has no button ${button}: ${JSON.stringify(await this.waitForDialog())}`);
  }

  // ---- webviews --------------------------------------------------------------------------------------

  /**
   * The content frame of the visible webview (VS Code nests iframe.webview > iframe#active-frame), for
   * fill/click/read through the FrameLocator. `extensionId` (e.g. "rosvpn.rosvpn") narrows the choice to
   * that extension's webviews (the outer frame's src names it); one visible webview must remain.
   */
  async webview(extensionId?: string, timeoutMs = DEFAULT_TIMEOUT): Promise<FrameLocator> {
    const sel = extensionId ? `iframe.webview.ready[src*="extensionId=${cssString(extensionId)}&"]` : 'iframe.webview.ready';
    const outer = this.page.locator(sel).filter({ visible: true });
    await poll(
      `a visible webview${extensionId ? ` of ${extensionId}` : ''} with content`,
      async () => {
        if ((await outer.count()) !== 1) return undefined;
        const inner = outer.contentFrame().locator('iframe#active-frame');
        return (await inner.count()) === 1 && (await inner.contentFrame().locator('body').count()) === 1 ? true : undefined;
      },
      timeoutMs,
    );
    return outer.contentFrame().frameLocator('iframe#active-frame');
  }

  // ---- integrated terminal ---------------------------------------------------------------------------

  /**
   * The visible text of the active terminal (the rows on screen; scrollback is not in the DOM). Needs
   * `terminal.integrated.gpuAcceleration: "off"` (QUIET_SETTINGS) so xterm.js renders rows as DOM text.
   */
  async terminalText(): Promise<string> {
    const rows = this.page.locator('.part.panel .terminal-wrapper.active .xterm-rows').first();
    await rows.waitFor({ timeout: 10_000 });
    const lines = await rows.locator(':scope > div').allInnerTexts();
    return lines
      .map((l) => l.replace(/\u00a0/g, ' ').replace(/\s+$/, ''))
      .join('\n')
      .replace(/\n+$/, '');
  }

  /** Waits until the active terminal shows the text; returns the whole visible text. */
  async waitForTerminalText(text: TextMatch, timeoutMs = 60_000): Promise<string> {
    return poll(
      `the terminal to show ${text}`,
      async () => {
        const t = await this.terminalText();
        return matches(t, text) ? t : undefined;
      },
      timeoutMs,
      500,
    );
  }

  /** Titles of the open terminals (the tabs list, or the single terminal's title). */
  async terminalTitles(): Promise<string[]> {
    const tabs = await this.page.locator('.part.panel .terminal-tabs-entry .monaco-icon-label .label-name').allInnerTexts();
    if (tabs.length > 0) return tabs.map(clean);
    return (await this.page.locator('.part.panel .single-terminal-tab .monaco-icon-label').allInnerTexts()).map(clean);
  }

  /** Types into the active terminal (focuses it first). */
  async typeInTerminal(text: string): Promise<void> {
    await this.page.locator('.part.panel .terminal-wrapper.active .xterm').first().click();
    await this.page.keyboard.type(text);
  }

  // ---- Output panel ----------------------------------------------------------------------------------

  /** The text of the Output panel's editor: its rendered lines (long output is virtualised), one per
   *  screen line, so a word-wrapped log line comes back as two. */
  async outputText(): Promise<string> {
    await this.outputLines.first().waitFor({ timeout: 10_000 });
    // view-line elements are positioned, not ordered, in the DOM: sort by their top offset
    return (await this.renderedOutputLines())
      .sort((a, b) => a.top - b.top)
      .map((r) => r.text)
      .join('\n');
  }

  private get outputLines(): Locator {
    return this.page.locator('.part.panel .output-view .view-lines .view-line');
  }

  /** The Output editor's rendered lines, each with its style top: its offset in the document. */
  private renderedOutputLines(): Promise<{ top: number; text: string }[]> {
    return this.outputLines.evaluateAll((els) =>
      els.map((e) => ({
        top: parseFloat(/top:\s*(-?[\d.]+)px/.exec(e.getAttribute('style') ?? '')?.[1] ?? '0'),
        text: (e.textContent ?? '').replace(/\u00a0/g, ' '),
      })),
    );
  }

  /** The whole text of the Output panel's editor, not only the lines on screen: it pages from the top to
   *  the end, collecting each screen line by its offset in the document (Monaco renders only what is in
   *  view), and leaves the view at the end, where it follows new output again. */
  async outputAllText(): Promise<string> {
    await this.outputLines.first().waitFor({ timeout: 10_000 });
    // focus the editor where it is surely visible (its first rendered line can sit under the panel's title bar)
    await this.page.locator('.part.panel .output-view .view-lines').first().click();
    await this.page.keyboard.press('Control+Home');
    const byTop = new Map<number, string>();
    for (let idle = 0, i = 0; idle < 2 && i < 500; i++) {
      await this.page.waitForTimeout(50);
      // keyed by offset in the document, so pages overlap without duplicating lines
      const rows = await this.renderedOutputLines();
      const before = byTop.size;
      for (const r of rows) byTop.set(r.top, r.text);
      idle = byTop.size === before ? idle + 1 : 0;
      await this.page.keyboard.press('PageDown');
    }
    await this.page.keyboard.press('Control+End');
    return [...byTop.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, t]) => t)
      .join('\n');
  }

  private get outputPicker(): Locator {
    return this.page.locator('.part.panel select[aria-label="Switch Output"]').first();
  }

  /** The output channel the Output panel shows now (its title-bar picker). */
  async outputChannel(): Promise<string> {
    await this.outputPicker.waitFor({ state: 'attached', timeout: 10_000 });
    return clean(await this.outputPicker.evaluate((e) => (e as unknown as { value: string }).value));
  }

  /** Opens the Output panel on a channel, e.g. "ROS VPN". */
  async showOutputChannel(channel: string): Promise<void> {
    await this.runCommand('Output: Show Output Channels...');
    await this.pickQuickItem(channel);
    await poll(`the Output panel to show "${channel}"`, async () => ((await this.outputChannel()) === channel ? true : undefined), 10_000);
  }

  /** Waits until the Output panel shows `channel` with text matching `text`. */
  async waitForOutput(channel: string, text: TextMatch, timeoutMs = DEFAULT_TIMEOUT): Promise<string> {
    return poll(
      `the "${channel}" output to show ${text}`,
      async () => {
        if ((await this.outputChannel()) !== channel) return undefined;
        const t = await this.outputText();
        return matches(t, text) ? t : undefined;
      },
      timeoutMs,
    );
  }

  // ---- status bar ----------------------------------------------------------------------------------

  /** Status bar entries: their text (codicons dropped) and aria-label. */
  async statusBarItems(): Promise<{ text: string; ariaLabel: string }[]> {
    return this.page.locator('.part.statusbar .statusbar-item').evaluateAll((els) =>
      els.map((e) => ({
        text: (e.textContent ?? '').replace(/\u00a0/g, ' ').trim(),
        ariaLabel: (e.querySelector('[aria-label]')?.getAttribute('aria-label') ?? e.getAttribute('aria-label') ?? '').trim(),
      })),
    );
  }

  /** Waits for a status bar entry whose text matches. */
  async waitForStatusBarItem(text: TextMatch, timeoutMs = DEFAULT_TIMEOUT): Promise<{ text: string; ariaLabel: string }> {
    return poll(
      `a status bar item matching ${text}`,
      async () => (await this.statusBarItems()).find((i) => matches(i.text, text)),
      timeoutMs,
    );
  }

  // ---- editors ---------------------------------------------------------------------------------------

  /** Titles of the open editor tabs. */
  async editorTabs(): Promise<string[]> {
    return (await this.page.locator('.part.editor .tabs-container .tab .label-name').allInnerTexts()).map(clean);
  }
}

/** The little of the DOM's Element the page functions use (tsconfig has no DOM lib). */
interface PageElement {
  className: string;
  textContent: string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
}

/** Runs in the page (serialised by Playwright): so no named inner functions, which tsx would wrap in a
 *  __name helper the page does not have. */
function readNotificationItems(els: PageElement[]): NotificationInfo[] {
  return els.map((e) => {
    const icon = e.querySelector('.notification-list-item-icon')?.className ?? '';
    return {
      message: (e.querySelector('.notification-list-item-message')?.textContent ?? '').trim(),
      severity: icon.includes('codicon-error') ? 'error' : icon.includes('codicon-warning') ? 'warning' : 'info',
      buttons: [...e.querySelectorAll('.notification-list-item-buttons-container .monaco-button')].map((b) => (b.textContent ?? '').trim()),
      source: (e.querySelector('.notification-list-item-source')?.textContent ?? '').replace(/^Source:\s*/, '').trim(),
    };
  });
}

/** A RegExp matching exactly this text (Playwright's hasText trims and collapses whitespace). */
function exactly(s: string): RegExp {
  return new RegExp(`^\\s*${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}

/** Escapes a string for use inside a double-quoted CSS attribute value. */
function cssString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}
