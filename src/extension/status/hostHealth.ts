// Host health from the last provision or check (tree/model.ts HostHealth), shared by the tree, the status bar and the commands.
import * as vscode from 'vscode';
import type { HostHealth } from '../tree/model';

export class HostHealthStore implements vscode.Disposable {
  private readonly statuses = new Map<string, HostHealth>();
  /** Per host, the pairs (DDS multicast, MTU) that failed in the last check that probed them. */
  readonly failedPairs = new Map<string, string[]>();
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

  /** The failed pairs of the checked hosts (a checked host absent from `failed` has none now). */
  setFailedPairs(checked: readonly string[], failed: ReadonlyMap<string, string[]>): void {
    for (const h of checked) {
      const f = failed.get(h);
      if (f) this.failedPairs.set(h, f);
      else this.failedPairs.delete(h);
    }
    this.emitter.fire();
  }

  /** Drops hosts that are no longer in the topology. */
  retain(hosts: readonly string[]): void {
    let changed = false;
    for (const h of [...this.statuses.keys()]) {
      if (!hosts.includes(h)) changed = this.statuses.delete(h) || changed;
      this.failedPairs.delete(h);
    }
    if (changed) this.emitter.fire();
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
