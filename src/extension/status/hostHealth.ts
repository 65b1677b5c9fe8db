// Host health from the last provision or check (tree/model.ts HostHealth), shared by the tree, the status bar and the commands.
import * as vscode from 'vscode';
import type { GuardView } from '../../core/provision/guard';
import type { HostHealth, PairResult } from '../tree/model';

export class HostHealthStore implements vscode.Disposable {
  private readonly statuses = new Map<string, HostHealth>();
  /** Per host, its pairs (DDS multicast, MTU-size ping) and their results from the last check that probed them. */
  readonly pairs = new Map<string, PairResult[]>();
  /** The desktop's and the gateway's guard from the last check that read it (a check with root). */
  readonly guards = new Map<string, GuardView>();
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

  /** The pairs of the checked hosts (a checked host absent from `results` has none now). */
  setPairs(checked: readonly string[], results: ReadonlyMap<string, PairResult[]>): void {
    for (const h of checked) {
      const r = results.get(h);
      if (r) this.pairs.set(h, r);
      else this.pairs.delete(h);
    }
    this.emitter.fire();
  }

  /** The guards read by a check (hosts whose guard it did not read keep theirs). */
  setGuards(results: ReadonlyMap<string, GuardView>): void {
    if (!results.size) return;
    for (const [h, v] of results) this.guards.set(h, v);
    this.emitter.fire();
  }

  /** Forgets the guards of hosts ROS VPN was removed from. */
  forgetGuards(hosts: readonly string[]): void {
    if (hosts.map((h) => this.guards.delete(h)).some(Boolean)) this.emitter.fire();
  }

  /** Drops hosts that are no longer in the topology. */
  retain(hosts: readonly string[]): void {
    let changed = false;
    for (const h of [...this.statuses.keys()]) {
      if (hosts.includes(h)) continue;
      changed = this.statuses.delete(h) || changed;
      this.pairs.delete(h);
      this.guards.delete(h);
    }
    if (changed) this.emitter.fire();
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
