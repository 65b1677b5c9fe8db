// The clients' certificates and connections as last read from the gateway, for the tree. Nothing is read at
// activation: the first read happens when the user expands the Clients node (with stored credentials only,
// never a modal), on Refresh Topology View, and after a client command changed something.
import * as vscode from 'vscode';
import type { ClientsView } from '../tree/model';
import type { ClientStatus } from './coreApi';

export class ClientStateStore implements vscode.Disposable {
  private current: ClientsView = {};
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  get view(): ClientsView {
    return this.current;
  }

  /** Whether a status was ever read (or tried) in this window. */
  get tried(): boolean {
    return this.current.readAt !== undefined || this.current.error !== undefined || this.current.reading === true;
  }

  reading(): void {
    this.current = { ...this.current, reading: true };
    this.emitter.fire();
  }

  update(statuses: readonly ClientStatus[]): void {
    this.current = { statuses: [...statuses], readAt: new Date() };
    this.emitter.fire();
  }

  failed(error: string): void {
    // The last good read stays on screen, marked as old by the error.
    this.current = { ...this.current, reading: false, error };
    this.emitter.fire();
  }

  /** A different gateway or a new rosvpn.json deployment: what was read belongs to another CA. */
  clear(): void {
    this.current = {};
    this.emitter.fire();
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
