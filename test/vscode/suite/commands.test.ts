// The command palette side: every contributed command is registered and categorised, and runs.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { contributedCommands } from '../support/host';

describe('commands', () => {
  it('registers every command package.json contributes, each in category "ROS VPN"', async () => {
    const contributed = contributedCommands();
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      contributed.filter((c) => !registered.has(c.command)).map((c) => c.command),
      [],
      'contributed but not registered',
    );
    assert.deepEqual(
      contributed.filter((c) => c.category !== 'ROS VPN').map((c) => `${c.command}: ${c.category}`),
      [],
      'not in category "ROS VPN"',
    );
  });

  it('"ROS VPN: Validate Topology" accepts the workspace\'s valid rosvpn.json', async () => {
    // An invalid file would leave the command waiting on its error message: the test times out.
    await vscode.commands.executeCommand('rosvpn.validateTopology');
  });
});
