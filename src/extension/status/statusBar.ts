// The VPN state in the status bar, from the last check. Periodic checks run only while the ROS VPN view
// is visible, only after the user has connected once (so a timer never pops a host-key modal), and never
// in Restricted Mode (they use SSH).
import * as vscode from 'vscode';
import { guardHitLines } from '../tree/model';
import type { TopologyStore } from '../workspace/topologyStore';
import type { HostHealthStore } from './hostHealth';

export function registerStatusBar(
  context: vscode.ExtensionContext,
  deps: { store: TopologyStore; statuses: HostHealthStore; view: vscode.TreeView<unknown>; check: () => Promise<unknown> },
): void {
  const item = vscode.window.createStatusBarItem('rosvpn.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'ROS VPN';
  item.command = 'rosvpn.checkConnectivity';
  const render = () => {
    const s = deps.store.state;
    if (s.kind !== 'valid') {
      item.hide();
      return;
    }
    // Only the topology's current hosts count; a host never checked is not reported healthy.
    const hosts = ['gateway', ...s.topology.seconds.map((x) => x.name), ...(s.topology.desktop ? ['desktop'] : [])];
    const values = hosts.map((h) => deps.statuses.all.get(h));
    const bad = values.filter((v) => v === 'failed' || v === 'unreachable').length;
    const busy = values.includes('provisioning');
    const healthy = values.filter((v) => v === 'healthy').length;
    const known = values.some((v) => v !== undefined && v !== 'unknown');
    const unchecked = hosts.length - healthy - bad;
    item.text = statusText({ busy, known, bad, unchecked, healthy, total: hosts.length });
    const summary = busy
      ? 'Provisioning…'
      : !known
        ? 'VPN state unknown'
        : `${healthy} of ${hosts.length} host(s) healthy${bad ? `, ${bad} failed or unreachable` : ''}${unchecked ? `, ${unchecked} not checked yet` : ''}`;
    const pairs = hosts.flatMap((h) => (deps.statuses.pairs.get(h) ?? []).filter((p) => !p.ok).map((p) => `\n  ${p.text}`));
    const pairText = pairs.length ? `\nFailing pairs:${pairs.join('')}` : '';
    const hits = guardHitLines(new Map([...deps.statuses.guards].filter(([h]) => hosts.includes(h))));
    const guardText = hits.length ? `\nGuard over budget (multicast/broadcast dropped):${hits.map((l) => `\n  ${l}`).join('')}` : '';
    // Screen readers (and the browser tests) get the summary, not just the icon and count.
    item.accessibilityInformation = { label: `ROS VPN: ${summary}` };
    item.tooltip = vscode.workspace.isTrusted
      ? `${summary}${deps.statuses.lastCheck ? ` (last check ${deps.statuses.lastCheck.toLocaleTimeString()})` : ''}.${pairText}${guardText}\nClick to check connectivity.`
      : `${summary}. Restricted Mode: checking connectivity needs a trusted folder.`;
    item.backgroundColor = bad ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    item.show();
  };
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  const schedule = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    const seconds = vscode.workspace.getConfiguration('rosvpn').get<number>('checkIntervalSeconds', 60);
    if (!deps.view.visible || seconds <= 0) return;
    timer = setInterval(() => {
      if (
        running ||
        !vscode.workspace.isTrusted ||
        !deps.statuses.connectedOnce ||
        deps.store.state.kind !== 'valid' ||
        [...deps.statuses.all.values()].includes('provisioning')
      )
        return;
      running = true;
      // runCheck reports its own failures; this only clears the flag.
      void deps.check().finally(() => (running = false));
    }, seconds * 1000);
  };
  context.subscriptions.push(
    item,
    deps.statuses.onDidChange(render),
    deps.store.onDidChange(render),
    vscode.workspace.onDidGrantWorkspaceTrust(render),
    deps.view.onDidChangeVisibility(schedule),
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('rosvpn.checkIntervalSeconds') && schedule()),
    { dispose: () => timer && clearInterval(timer) },
  );
  render();
  schedule();
}

/** The status bar text, most urgent state first. */
function statusText(c: { busy: boolean; known: boolean; bad: number; unchecked: number; healthy: number; total: number }): string {
  if (c.busy) return '$(sync~spin) ROS VPN';
  if (!c.known) return '$(circle-outline) ROS VPN';
  if (c.bad) return `$(error) ROS VPN: ${c.bad} down`;
  if (c.unchecked) return `$(circle-outline) ROS VPN: ${c.healthy}/${c.total} up`;
  return '$(vm-active) ROS VPN: up';
}
