// Host health from the last provision or check (tree/model.ts HostHealth), shared by the tree, the status bar and the commands.
import * as vscode from 'vscode';
import type { HostHealth } from '../tree/model';

export class HostHealthStore implements vscode.Disposable {
  private readonly statuses = new Map<string, HostHealth>();
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  /** When the last check finished; periodic checks start only after the user has connected once. */
  lastCheck: Date | undefined;
  connectedOnce = false;

  get all(): ReadonlyMap<string, HostHealth> {
    return this.statuses;
  }

  set(updates: Iterable<[string, HostHealth]>): void {
    for (const [host, status] of updates) this.statuses.set(host, status);
    this.emitter.fire();
  }

  /** Drops hosts that are no longer in the topology. */
  retain(hosts: readonly string[]): void {
    let changed = false;
    for (const h of [...this.statuses.keys()]) {
      if (!hosts.includes(h)) changed = this.statuses.delete(h) || changed;
    }
    if (changed) this.emitter.fire();
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
