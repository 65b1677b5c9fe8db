// The EC2 side of each cloud host from the last cloud command (status, launch, start/stop, teardown), for
// the tree. Empty until the user runs one: activation never calls EC2.
import * as vscode from 'vscode';
import type { CloudStatus } from '../../core/ec2/down';
import type { ValidTopology } from '../../core/topology/types';
import type { CloudHostState } from '../tree/model';

export class CloudStateStore implements vscode.Disposable {
  private states = new Map<string, CloudHostState>();
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  get all(): ReadonlyMap<string, CloudHostState> {
    return this.states;
  }

  /** Every cloud host of the topology gets a state: its instance's, or `not launched`. */
  update(t: ValidTopology, st: CloudStatus): void {
    const next = new Map<string, CloudHostState>();
    for (const host of ['gateway', ...t.seconds.map((s) => s.name)]) {
      const i = st.instances.find((x) => x.host === host);
      next.set(host, i ? { id: i.id, state: i.state } : { state: 'not launched' });
    }
    this.states = next;
    this.emitter.fire();
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
