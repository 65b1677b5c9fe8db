// The client commands' questions under a stub `vscode` (src/extension/clients/clientCommands.ts,
// src/extension/profile/downloadProfile.ts): Revoke asks in a modal that names the client, and Cancel there
// changes nothing; Download Client Profile picks the desktop's or a client's profile from the node, a name or
// a QuickPick; a profile with a directive outside the allow-list is refused, naming the line. What runs on the
// gateway is the browser test's and the core's job.
import { strict as assert } from 'assert';
import { installVscodeStub } from '../support/vscodeStub';
import type * as ClientCommands from '../../src/extension/clients/clientCommands';
import type * as CoreApi from '../../src/extension/clients/coreApi';
import type * as Download from '../../src/extension/profile/downloadProfile';
import type { ValidTopology } from '../../src/core/topology/types';
import { clientChecker } from '../../src/extension/clients/validation';
import { FIXTURES, loadFixture } from '../support/fixtures';
import * as fs from 'fs';
import * as path from 'path';

interface Modal {
  message: string;
  detail?: string;
  buttons: string[];
}

function stubVscode() {
  const state = {
    modals: [] as Modal[],
    /** The button clicked in the next modal; undefined = Cancel. */
    answer: undefined as string | undefined,
    picks: [] as { title?: string; labels: string[] }[],
    pick: undefined as string | undefined,
  };
  const vscode = {
    window: {
      showWarningMessage: async (message: string, opts: { detail?: string }, ...buttons: string[]) => {
        state.modals.push({ message, detail: opts?.detail, buttons });
        return buttons.includes(state.answer ?? '') ? state.answer : undefined;
      },
      showQuickPick: async <T extends { label: string }>(items: T[], o: { title?: string }) => {
        state.picks.push({ title: o.title, labels: items.map((i) => i.label) });
        return items.find((i) => i.label === state.pick);
      },
    },
    workspace: { isTrusted: true },
    commands: { executeCommand: async () => undefined },
  };
  return { vscode, state };
}

describe('client commands: the questions they ask', () => {
  const stub = stubVscode();
  let commands: typeof ClientCommands;
  let download: typeof Download;
  let core: typeof CoreApi;
  let restore: () => void;
  const t = {
    ...loadFixture('vxlan-1'),
    clients: [
      { name: 'alice-laptop', vpnIp: '192.168.0.150/24' },
      { name: 'field-pc', vpnIp: '192.168.0.151/24', host: '10.0.0.7' },
    ],
  } as ValidTopology;
  const edits: string[] = [];
  const deps = {
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    store: {
      require: async () => t,
      state: { kind: 'valid', topology: t },
      editText: async () => void edits.push('edit'),
    },
    clients: { view: {} },
  };

  before(() => {
    restore = installVscodeStub(stub.vscode);
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded after the vscode stub is in place */
    commands = require('../../src/extension/clients/clientCommands');
    download = require('../../src/extension/profile/downloadProfile');
    core = require('../../src/extension/clients/coreApi');
    /* eslint-enable @typescript-eslint/no-require-imports */
  });

  after(() => {
    restore();
  });

  beforeEach(() => {
    stub.state.modals = [];
    stub.state.picks = [];
    stub.state.answer = undefined;
    stub.state.pick = undefined;
    edits.length = 0;
  });

  const revoke = (arg: unknown) =>
    commands
      .clientCommands(deps as never)
      .find((c) => c.id === 'rosvpn.revokeClient')!
      .run(arg);
  const node = (name: string) => ({ id: `rosvpn:client:${name}`, kind: 'client', client: { name, state: 'connected', declared: true } });

  it('Revoke Client: a modal that names the client and what happens; Cancel changes nothing', async () => {
    await revoke(node('alice-laptop'));
    assert.deepEqual(stub.state.modals, [
      {
        message: 'Revoke alice-laptop?',
        detail: 'Its certificate is revoked, it is disconnected now and cannot reconnect; it is removed from rosvpn.json.',
        buttons: ['Revoke alice-laptop'],
      },
    ]);
    assert.deepEqual(edits, [], 'Cancel: rosvpn.json untouched, nothing run');
  });

  it('Revoke Client from the palette: asks which client first; Escape there asks nothing more', async () => {
    await revoke(undefined);
    assert.deepEqual(stub.state.picks, [{ title: 'ROS VPN: Revoke Client', labels: ['alice-laptop', 'field-pc'] }]);
    assert.deepEqual(stub.state.modals, []);
    stub.state.pick = 'field-pc';
    await revoke(undefined);
    assert.equal((stub.state.modals as Modal[])[0].message, 'Revoke field-pc?');
    assert.deepEqual(edits, []);
  });

  it('Revoke Client on a client rosvpn.json no longer declares: nothing to remove from the file', async () => {
    await revoke({ id: 'rosvpn:client:old', kind: 'client', client: { name: 'old', state: 'offline', declared: false } });
    assert.equal(stub.state.modals[0].detail, 'Its certificate is revoked, it is disconnected now and cannot reconnect.');
  });

  it("Download Client Profile: a client's node, the gateway's node, a name, or a QuickPick of the desktop and the clients", async () => {
    assert.deepEqual(await download.pickProfile(t, node('field-pc')), { client: 'field-pc' });
    assert.deepEqual(await download.pickProfile(t, { id: 'rosvpn:gateway', kind: 'gateway', host: 'gateway' }), {});
    assert.deepEqual(await download.pickProfile(t, 'alice-laptop'), { client: 'alice-laptop' });
    assert.deepEqual(await download.pickProfile(t, 'desktop'), {});
    await assert.rejects(download.pickProfile(t, 'mallory'), /mallory is not a client in rosvpn\.json/);
    stub.state.pick = 'alice-laptop';
    assert.deepEqual(await download.pickProfile(t, undefined), { client: 'alice-laptop' });
    assert.deepEqual(stub.state.picks, [{ title: 'ROS VPN: Download Client Profile', labels: ['desktop', 'alice-laptop', 'field-pc'] }]);
    // Without clients the palette downloads the desktop's, as before clients existed.
    assert.deepEqual(await download.pickProfile({ ...t, clients: [] } as ValidTopology, undefined), {});
    assert.equal(stub.state.picks.length, 1);
  });

  it('a profile is data: only the directives and blocks the gateway writes pass; anything else is named with its line', () => {
    const pem = (kind: string) => `-----BEGIN ${kind}-----\nAAAA\n-----END ${kind}-----`;
    const blocks = `<ca>\n${pem('CERTIFICATE')}\n</ca>\n<cert>\n${pem('CERTIFICATE')}\n</cert>\n<key>\n${pem('PRIVATE KEY')}\n</key>\n<tls-crypt>\n${pem('OpenVPN Static key V1')}\n</tls-crypt>\n`;
    const good = `# a comment\nclient\ndev tap\nproto udp\nremote 203.0.113.10 1194\nnobind\n${blocks}`;
    assert.deepEqual(core.profileProblems(good), []);
    const bad = `client\ndev tap\nscript-security 2\nup "/bin/sh -c id"\n${blocks}`;
    const problems = core.profileProblems(bad);
    assert.ok(
      problems.some((p) => /^line 3\b.*script-security/.test(p)),
      problems.join('; '),
    );
    assert.ok(
      problems.some((p) => /^line 4\b.*\bup\b/.test(p)),
      problems.join('; '),
    );
  });

  describe('Add Client checks each answer with the core validator as it is typed', () => {
    const raw = {
      ...JSON.parse(fs.readFileSync(path.join(FIXTURES, 'vxlan-3.json'), 'utf8')),
      clients: [{ name: 'alice-laptop', vpnIp: '192.168.0.150/24' }],
    };
    const check = clientChecker(raw);

    it('an empty name asks for one', () => assert.equal(check({ name: '' }, 'name'), 'Type a name, e.g. alice-laptop.'));

    it('names: reserved, taken, malformed are refused at the name; a good one passes', () => {
      for (const bad of ['gateway', 'alice-laptop', 'second-2', 'Bob', 'bob laptop', 'ros_local_gateway'])
        assert.ok(check({ name: bad }, 'name'), `${bad} accepted`);
      assert.equal(check({ name: 'bob-laptop' }, 'name'), undefined);
    });
    it("addresses: outside the robot subnet or another host's are refused; a free one passes", () => {
      for (const bad of ['10.0.0.5/24', '192.168.0.131/24', '192.168.0.150/24', 'x'])
        assert.ok(check({ name: 'bob-laptop', vpnIp: bad }, 'vpnIp'), `${bad} accepted`);
      assert.equal(check({ name: 'bob-laptop', vpnIp: '192.168.0.200/24' }, 'vpnIp'), undefined);
    });
  });
});
