// The command registry's error handling (src/extension/commands/registry.ts) under a stub `vscode`: every
// command's error is logged once and shown once with "Show Log"; a UserError is shown as it is with its own
// buttons; a cancellation and a success show nothing; Restricted Mode refuses commands that need trust.
import { strict as assert } from 'assert';
import { installVscodeStub } from '../support/vscodeStub';
import type * as Registry from '../../src/extension/commands/registry';
import { UserError } from '../../src/extension/commands/userError';
import { SshError } from '../../src/core/ssh/types';

interface Shown {
  kind: 'error' | 'warning';
  message: string;
  buttons: string[];
}

/** Just what the registry uses; `answer` is the button the "user" clicks on the next message. */
function stubVscode() {
  const commands = new Map<string, (...args: unknown[]) => unknown>();
  const state = {
    shown: [] as Shown[],
    executed: [] as unknown[][],
    answer: undefined as string | undefined,
    trusted: true,
    settings: {} as Record<string, string>,
  };
  const show =
    (kind: Shown['kind']) =>
    async (message: string, ...rest: unknown[]) => {
      const buttons = rest.filter((x): x is string => typeof x === 'string');
      state.shown.push({ kind, message, buttons });
      const a = state.answer;
      state.answer = undefined;
      return a !== undefined && buttons.includes(a) ? a : undefined;
    };
  const vscode = {
    window: { showErrorMessage: show('error'), showWarningMessage: show('warning') },
    workspace: {
      get isTrusted() {
        return state.trusted;
      },
      getConfiguration: (section: string) => ({ get: (key: string) => state.settings[`${section}.${key}`] }),
      registerTextDocumentContentProvider: () => ({ dispose: () => undefined }),
    },
    commands: {
      registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => {
        commands.set(id, fn);
        return { dispose: () => commands.delete(id) };
      },
      executeCommand: async (id: string, ...args: unknown[]) => {
        state.executed.push([id, ...args]);
        return commands.get(id)?.(...args);
      },
    },
  };
  return { vscode, commands, state };
}

/** A LogOutputChannel that records. */
function stubLog() {
  const lines: { level: string; text: string }[] = [];
  let shown = 0;
  const at = (level: string) => (text: string) => void lines.push({ level, text });
  return {
    lines,
    get shown() {
      return shown;
    },
    channel: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug'), trace: at('trace'), show: () => void shown++ },
  };
}

/** Lets the registry's unawaited error report run to its end (the stub answers at once). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('command registry: errors handled in one place', () => {
  const stub = stubVscode();
  let registry: typeof Registry;
  let restore: () => void;

  before(() => {
    restore = installVscodeStub(stub.vscode);
    // After the hook, so the registry's `import * as vscode` gets the stub.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the vscode stub is in place
    registry = require('../../src/extension/commands/registry');
  });

  after(() => {
    restore();
  });

  let log: ReturnType<typeof stubLog>;
  beforeEach(() => {
    stub.commands.clear();
    stub.state.shown = [];
    stub.state.executed = [];
    stub.state.trusted = true;
    stub.state.settings = {};
    log = stubLog();
  });

  /** Registers one command `rosvpn.x` titled "Do Things" (category ROS VPN) and runs it. */
  async function runOne(run: (...args: unknown[]) => unknown, opts: { needsTrust?: boolean; answer?: string } = {}): Promise<unknown> {
    const context = {
      subscriptions: [] as unknown[],
      extension: { packageJSON: { contributes: { commands: [{ command: 'rosvpn.x', title: 'Do Things', category: 'ROS VPN' }] } } },
    };
    registry.registerCommands(context as never, log.channel as never, [{ id: 'rosvpn.x', needsTrust: opts.needsTrust, run }]);
    stub.state.answer = opts.answer;
    const result = await stub.vscode.commands.executeCommand('rosvpn.x');
    await settle();
    return result;
  }

  const errors = () => log.lines.filter((l) => l.level === 'error');

  it('an error: shown once as "ROS VPN: <title> failed: <message>" with Show Log, logged once with its code and cause; Show Log opens the log', async () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:22'), { code: 'ECONNREFUSED' });
    const result = await runOne(
      async () => {
        throw new SshError('cannot connect to gateway (127.0.0.1:22): connect ECONNREFUSED', 'CONNECT_FAILED', { cause });
      },
      { answer: 'Show Log' },
    );
    assert.equal(result, undefined, 'the command resolves; the error does not escape to VS Code');
    assert.deepEqual(stub.state.shown, [
      {
        kind: 'error',
        message: 'ROS VPN: Do Things failed: cannot connect to gateway (127.0.0.1:22): connect ECONNREFUSED',
        buttons: ['Show Log'],
      },
    ]);
    assert.equal(errors().length, 1);
    assert.match(
      errors()[0].text,
      /^Do Things failed: SshError CONNECT_FAILED: cannot connect.*\n {2}caused by Error ECONNREFUSED: connect ECONNREFUSED/,
    );
    assert.equal(log.shown, 1);
    assert.deepEqual(log.lines[0], { level: 'info', text: 'command: ROS VPN: Do Things (rosvpn.x)' });
  });

  it('a synchronous throw and a non-Error are handled the same way; without a click the log stays closed', async () => {
    await runOne(() => {
      throw 'plain string';
    });
    assert.deepEqual(stub.state.shown, [{ kind: 'error', message: 'ROS VPN: Do Things failed: plain string', buttons: ['Show Log'] }]);
    assert.equal(errors().length, 1);
    assert.equal(log.shown, 0);
  });

  it('a UserError: shown as it is with its own buttons (no Show Log), and the chosen one runs', async () => {
    let opened = 0;
    await runOne(
      async () => {
        throw new UserError('no SSH CIDR: set rosvpn.aws.sshCidr', { actions: [{ title: 'Open Settings', run: () => void opened++ }] });
      },
      { answer: 'Open Settings' },
    );
    assert.deepEqual(stub.state.shown, [
      { kind: 'error', message: 'ROS VPN: Do Things failed: no SSH CIDR: set rosvpn.aws.sshCidr', buttons: ['Open Settings'] },
    ]);
    assert.equal(opened, 1);
    assert.equal(errors().length, 1);
    assert.equal(log.shown, 0);
  });

  it('a UserError from another copy of the class (by name) is still a UserError', async () => {
    await runOne(async () => {
      throw Object.assign(new Error('There is no rosvpn.json in this folder yet'), { name: 'UserError' });
    });
    assert.deepEqual(
      stub.state.shown.map((s) => s.buttons),
      [[]],
    );
  });

  it("cancellation is quiet: SshError ABORTED, VS Code's CancellationError, an AbortError; logged as cancelled only", async () => {
    const cancellations = [
      new SshError('command on gateway was aborted', 'ABORTED'),
      Object.assign(new Error('Canceled'), { name: 'Canceled' }),
      Object.assign(new Error('aborted'), { name: 'AbortError' }),
    ];
    for (const e of cancellations) {
      await runOne(async () => {
        throw e;
      });
    }
    assert.deepEqual(stub.state.shown, []);
    assert.deepEqual(errors(), []);
    assert.equal(log.lines.filter((l) => l.text === 'Do Things: cancelled').length, 3);
  });

  it('a dismissed QuickPick (the command returns) and a success show nothing; the result passes through', async () => {
    assert.equal(await runOne(async () => undefined), undefined);
    assert.equal(await runOne(async () => 42), 42);
    assert.deepEqual(stub.state.shown, []);
    assert.deepEqual(errors(), []);
  });

  it('a cloud command\'s bad setting (CloudSettingsError) becomes a UserError whose "Open Settings" opens that setting', async () => {
    type CloudCommands = typeof import('../../src/extension/cloud/cloudCommands');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the vscode stub is in place
    const { cloudCommands } = require('../../src/extension/cloud/cloudCommands') as CloudCommands;
    stub.state.settings = { 'rosvpn.aws.region': 'eu-west-1' };
    const context = {
      subscriptions: [] as unknown[],
      extension: {
        packageJSON: { contributes: { commands: [{ command: 'rosvpn.cloudUp', title: 'Launch Cloud Instances', category: 'ROS VPN' }] } },
      },
    };
    const specs = cloudCommands({ context, log: log.channel, store: {}, cloud: {} } as never).filter((c) => c.id === 'rosvpn.cloudUp');
    registry.registerCommands(context as never, log.channel as never, specs);
    stub.state.answer = 'Open Settings';
    await stub.vscode.commands.executeCommand('rosvpn.cloudUp');
    await settle();
    assert.equal(stub.state.shown.length, 1);
    assert.match(stub.state.shown[0].message, /^ROS VPN: Launch Cloud Instances failed: no SSH CIDR/);
    assert.deepEqual(stub.state.shown[0].buttons, ['Open Settings']);
    assert.deepEqual(stub.state.executed.slice(1), [['workbench.action.openSettings', 'rosvpn.aws.sshCidr']]);
    assert.match(
      errors()[0].text,
      /^Launch Cloud Instances failed: UserError: no SSH CIDR.*\n {2}caused by CloudSettingsError: no SSH CIDR/,
    );
  });

  it('Restricted Mode: a command that needs trust is not run, and the warning offers Manage Workspace Trust', async () => {
    stub.state.trusted = false;
    let ran = false;
    await runOne(() => void (ran = true), { needsTrust: true, answer: 'Manage Workspace Trust' });
    assert.equal(ran, false);
    assert.equal(stub.state.shown.length, 1);
    assert.equal(stub.state.shown[0].kind, 'warning');
    assert.match(stub.state.shown[0].message, /^ROS VPN: Do Things needs a trusted folder/);
    assert.deepEqual(stub.state.executed.slice(1), [['workbench.trust.manage']]);
  });
});
