// Task type `rosvpn` ({ host, unit }): a Pseudoterminal that follows `journalctl -f -u UNIT` on the host
// over SSH. After a dropped connection it reconnects and resumes after the last journal cursor, so no line
// is lost or shown twice; closing the terminal ends the remote journalctl (the SSH layer kills its group).
import * as vscode from 'vscode';
import { describeError, errorMessage } from '../../core/errors';
import type { TopologyHost } from '../../core/provision/endpoints';
import type { Role, ValidTopology } from '../../core/topology/types';
import type { CommandSpec } from '../commands/registry';
import { pickHost } from '../commands/ui';
import type { SshService } from '../ssh/sshService';
import type { TopologyStore } from '../workspace/topologyStore';

export const TASK_TYPE = 'rosvpn';

interface RosvpnTaskDefinition extends vscode.TaskDefinition {
  host: string;
  unit?: string;
}

// The unit names of the core (src/core/render): kept as literals here so that the task provider, which
// runs whenever tasks are listed, does not pull the renderers in.
const SERVER_UNIT = 'openvpn-server@rosvpn.service';
const CLIENT_UNIT = 'openvpn-client@rosvpn.service';
const NET_UNIT = 'rosvpn-net.service';

function unitFor(role: Role): string {
  return role === 'gateway' ? SERVER_UNIT : role === 'desktop' ? CLIENT_UNIT : NET_UNIT;
}

const CRLF = (s: string) => s.replace(/\r?\n/g, '\r\n');
const dim = (s: string) => `\x1b[2m${s}\x1b[0m`;

class JournalFollowTerminal implements vscode.Pseudoterminal {
  private readonly write = new vscode.EventEmitter<string>();
  private readonly done = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.write.event;
  readonly onDidClose = this.done.event;
  private readonly abort = new AbortController();

  constructor(
    private readonly ssh: SshService,
    private readonly log: vscode.LogOutputChannel,
    private readonly host: TopologyHost,
    private readonly unit: string,
  ) {}

  open(): void {
    void this.follow();
  }

  close(): void {
    this.abort.abort();
  }

  handleInput(data: string): void {
    // Ctrl+C or q stops following, like `journalctl -f` and `less` in a terminal.
    if (data === '\x03' || data === 'q') {
      this.abort.abort();
      this.done.fire(0);
    }
  }

  private async follow(): Promise<void> {
    const where = `${this.unit} on ${this.host.label} (${this.host.endpoint.host})`;
    this.write.fire(dim(`Following ${where}. Press Ctrl+C to stop.\r\n`));
    try {
      const { followJournal } = await import('../../core/provision/follow');
      await followJournal({
        pool: await this.ssh.getPool(),
        endpoint: this.host.endpoint,
        unit: this.unit,
        signal: this.abort.signal,
        onLine: (text) => this.write.fire(`${CRLF(text)}\r\n`),
        onStderr: (text) => this.write.fire(`\x1b[31m${CRLF(text)}\x1b[0m\r\n`),
        onNotice: (text) => {
          this.log.warn(`logs ${where}: ${text}`);
          this.write.fire(dim(`${text}\r\n`));
        },
      });
    } catch (e) {
      // Not the registry's: the task's terminal is where the user looks, so the error is written there.
      this.write.fire(`\x1b[31m${CRLF(errorMessage(e))}\x1b[0m\r\n`);
      this.log.error(`logs ${where}: ${describeError(e)}`);
      this.done.fire(1);
    }
  }
}

function makeTask(
  def: RosvpnTaskDefinition,
  name: string,
  t: ValidTopology | undefined,
  ssh: SshService,
  log: vscode.LogOutputChannel,
  scope: vscode.WorkspaceFolder | vscode.TaskScope,
): vscode.Task {
  const task = new vscode.Task(
    def,
    scope,
    name,
    'ROS VPN',
    new vscode.CustomExecution(async (resolved) => {
      const d = resolved as RosvpnTaskDefinition;
      // VS Code runs no task in Restricted Mode; this keeps it so should that ever change.
      if (!vscode.workspace.isTrusted) throw new Error('ROS VPN log tasks use SSH, which needs a trusted folder (Manage Workspace Trust)');
      if (!t) throw new Error('rosvpn.json is missing or invalid');
      const { selectHosts } = await import('../../core/provision/endpoints');
      const host = selectHosts(t, { host: d.host })[0];
      return new JournalFollowTerminal(ssh, log, host, d.unit ?? unitFor(host.role));
    }),
    // No problem matcher (an explicit empty list): a log has no compiler errors, and VS Code then does
    // not ask which output to scan before running the task.
    [],
  );
  task.isBackground = true;
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: false };
  return task;
}

export function registerLogTasks(
  context: vscode.ExtensionContext,
  deps: { store: TopologyStore; ssh: SshService; log: vscode.LogOutputChannel },
): CommandSpec[] {
  const scope = () => vscode.workspace.workspaceFolders?.[0] ?? vscode.TaskScope.Workspace;
  const provided = (t: ValidTopology): vscode.Task[] => {
    const tasks: vscode.Task[] = [
      makeTask({ type: TASK_TYPE, host: 'gateway', unit: SERVER_UNIT }, 'gateway: OpenVPN server log', t, deps.ssh, deps.log, scope()),
    ];
    if (t.desktop)
      tasks.push(
        makeTask({ type: TASK_TYPE, host: 'desktop', unit: CLIENT_UNIT }, 'desktop: OpenVPN client log', t, deps.ssh, deps.log, scope()),
      );
    tasks.push(makeTask({ type: TASK_TYPE, host: 'gateway', unit: NET_UNIT }, 'gateway: network log', t, deps.ssh, deps.log, scope()));
    for (const s of t.seconds)
      tasks.push(makeTask({ type: TASK_TYPE, host: s.name, unit: NET_UNIT }, `${s.name}: network log`, t, deps.ssh, deps.log, scope()));
    if (t.desktop)
      tasks.push(makeTask({ type: TASK_TYPE, host: 'desktop', unit: NET_UNIT }, 'desktop: network log', t, deps.ssh, deps.log, scope()));
    return tasks;
  };
  context.subscriptions.push(
    vscode.tasks.registerTaskProvider(TASK_TYPE, {
      provideTasks: async () => {
        const s = deps.store.state;
        return s.kind === 'valid' ? provided(s.topology) : [];
      },
      resolveTask: (task) => {
        const def = task.definition as RosvpnTaskDefinition;
        if (typeof def.host !== 'string') return undefined;
        const s = deps.store.state;
        return makeTask(def, task.name, s.kind === 'valid' ? s.topology : undefined, deps.ssh, deps.log, task.scope ?? scope());
      },
    }),
  );
  return [
    {
      id: 'rosvpn.streamLogs',
      needsTrust: true,
      run: async (arg?: unknown) => {
        const t = await deps.store.require();
        const host = await pickHost(t, arg, ['gateway', 'desktop', 'second'], 'Stream the logs of which host?');
        if (!host) return;
        const unit = unitFor(host.role);
        const name = `${host.label}: ${host.role === 'second' ? 'network' : `OpenVPN ${host.role === 'gateway' ? 'server' : 'client'}`} log`;
        await vscode.tasks.executeTask(makeTask({ type: TASK_TYPE, host: host.label, unit }, name, t, deps.ssh, deps.log, scope()));
      },
    },
  ];
}
