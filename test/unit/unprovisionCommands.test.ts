// Remove ROS VPN from Host and Remove Second Instance under a stub `vscode`: the modal names the host and
// every change (the desktop's NIC with its addressing, the gateway's PKI kept or deleted), Cancel runs
// nothing; the palette asks which host; Remove Second Instance offers to remove ROS VPN from the second
// first, keeps the entry when that did not succeed, and offers only the file edit in Restricted Mode. What
// runs on the hosts is unprovision.test.ts's (the core) and the browser test's job.
import { strict as assert } from 'assert';
import { installVscodeStub } from '../support/vscodeStub';
import type * as Unprovision from '../../src/extension/provision/unprovisionCommand';
import type * as TopologyCommands from '../../src/extension/topology/topologyCommands';
import type { ValidTopology } from '../../src/core/topology/types';
import { loadFixture } from '../support/fixtures';

interface Modal {
  message: string;
  detail?: string;
  buttons: string[];
}

function stubVscode() {
  const state = {
    modals: [] as Modal[],
    answer: undefined as string | undefined,
    picks: [] as { labels: string[]; placeHolder?: string }[],
    pick: undefined as string | undefined,
    trusted: true,
  };
  const vscode = {
    window: {
      showWarningMessage: async (message: string, opts: { detail?: string }, ...buttons: string[]) => {
        state.modals.push({ message, detail: opts?.detail, buttons });
        return buttons.includes(state.answer ?? '') ? state.answer : undefined;
      },
      showQuickPick: async <T extends { label: string }>(items: T[], o: { placeHolder?: string }) => {
        state.picks.push({ labels: items.map((i) => i.label), placeHolder: o.placeHolder });
        return items.find((i) => i.label === state.pick);
      },
    },
    workspace: {
      get isTrusted() {
        return state.trusted;
      },
    },
  };
  return { vscode, state };
}

describe('Remove ROS VPN from Host / Remove Second Instance: the questions', () => {
  const stub = stubVscode();
  let unprov: typeof Unprovision;
  let topo: typeof TopologyCommands;
  let restore: () => void;
  const t = {
    ...loadFixture('vxlan-1'),
    desktop: { host: 'localhost', lanInterface: 'eno1', addressing: 'dhcp' },
    clients: [{ name: 'field-pc', vpnIp: '192.168.0.151/24', host: '10.0.0.7' }],
  } as ValidTopology;
  const edits: unknown[] = [];
  const unprovisioned: string[] = [];
  let unprovisionResult = true;
  const noSsh = {
    getPool: async () => assert.fail('nothing may connect after Cancel'),
  };
  const deps = {
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    store: { require: async () => t, state: { kind: 'valid', topology: t }, edit: async (e: unknown) => void edits.push(e) },
    ssh: noSsh,
    statuses: { set: () => assert.fail('no status change after Cancel') },
    unprovision: async (host: string) => (unprovisioned.push(host), unprovisionResult),
  };

  before(() => {
    restore = installVscodeStub(stub.vscode);
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded after the vscode stub is in place */
    unprov = require('../../src/extension/provision/unprovisionCommand');
    topo = require('../../src/extension/topology/topologyCommands');
    /* eslint-enable @typescript-eslint/no-require-imports */
  });
  after(() => restore());
  beforeEach(() => {
    Object.assign(stub.state, { modals: [], picks: [], answer: undefined, pick: undefined, trusted: true });
    edits.length = 0;
    unprovisioned.length = 0;
    unprovisionResult = true;
  });

  const removeHost = (arg?: unknown) =>
    unprov
      .unprovisionCommands(deps as never)
      .find((c) => c.id === 'rosvpn.unprovisionHost')!
      .run(arg);
  const removeSecond = (arg?: unknown, d: object = deps) =>
    topo
      .topologyCommands(d as never)
      .find((c) => c.id === 'rosvpn.removeSecond')!
      .run(arg);
  const hostNode = (host: string, role: string) => ({ id: `rosvpn:${host}`, kind: role, host, contextValue: `rosvpn.host.${role}` });

  it('from the desktop node: a modal naming the host, its NIC handed back with DHCP, the rollback; Cancel runs nothing', async () => {
    await removeHost(hostNode('desktop', 'desktop'));
    assert.equal(stub.state.picks.length, 0, 'the node names the host: no QuickPick');
    assert.equal(stub.state.modals.length, 1);
    const m = stub.state.modals[0];
    assert.equal(m.message, 'Remove ROS VPN from desktop (desktop, localhost)?');
    assert.deepEqual(m.buttons, ['Remove ROS VPN from desktop']);
    assert.match(m.detail!, /LAN NIC eno1 taken out of rosbridge and handed back .* DHCP lease renewed/);
    assert.match(m.detail!, /stopped, disabled and removed/);
    assert.match(m.detail!, /commit-confirm rollback/);
  });

  it('from the palette: a QuickPick of every host; the gateway offers keeping or deleting its PKI', async () => {
    stub.state.pick = 'gateway';
    await removeHost();
    assert.deepEqual(stub.state.picks, [
      { labels: ['gateway', t.seconds[0].name, 'desktop', 'field-pc'], placeHolder: 'Which host to remove ROS VPN from?' },
    ]);
    const m = stub.state.modals[0];
    assert.deepEqual(m.buttons, ['Remove ROS VPN from gateway', 'Remove and Delete the PKI']);
    assert.match(m.detail!, /PKI in \/etc\/openvpn\/pki .* moved to a dated backup in \/var\/backups/);
    assert.match(m.detail!, /Remove and Delete the PKI: the PKI .* DELETED/);
    // Picking nothing cancels before any modal.
    stub.state.modals = [];
    stub.state.pick = undefined;
    await removeHost();
    assert.equal(stub.state.modals.length, 0);
  });

  it('confirmUnprovision: the chosen button decides the purge', async () => {
    const gw = { label: 'gateway', role: 'gateway', endpoint: { label: 'gateway', host: 'gw' } } as never;
    stub.state.answer = 'Remove and Delete the PKI';
    assert.deepEqual(await unprov.confirmUnprovision(deps as never, gw), { purge: true });
    stub.state.answer = 'Remove ROS VPN from gateway';
    assert.deepEqual(await unprov.confirmUnprovision(deps as never, gw), { purge: false });
    stub.state.answer = undefined;
    assert.equal(await unprov.confirmUnprovision(deps as never, gw), undefined);
  });

  const second = () => t.seconds[0].name;
  const secondNode = () => ({ id: `rosvpn:${second()}`, kind: 'second', host: second() });

  it('Remove Second Instance offers "Remove ROS VPN from NAME first", then removes the entry', async () => {
    stub.state.answer = `Remove ROS VPN from ${second()} first`;
    await removeSecond(secondNode());
    assert.deepEqual(stub.state.modals[0].buttons, [`Remove ROS VPN from ${second()} first`, 'Only remove from rosvpn.json']);
    assert.deepEqual(unprovisioned, [second()]);
    assert.deepEqual(edits, [{ seconds: [] }]);
  });

  it('Remove Second Instance keeps the entry when removing ROS VPN did not succeed', async () => {
    unprovisionResult = false;
    stub.state.answer = `Remove ROS VPN from ${second()} first`;
    await assert.rejects(
      () => Promise.resolve(removeSecond(secondNode())),
      /still in rosvpn\.json: removing ROS VPN from it did not succeed/,
    );
    assert.deepEqual(edits, []);
  });

  it('"Only remove from rosvpn.json" edits the file only; Cancel does nothing', async () => {
    stub.state.answer = 'Only remove from rosvpn.json';
    await removeSecond(secondNode());
    assert.deepEqual(unprovisioned, []);
    assert.deepEqual(edits, [{ seconds: [] }]);
    edits.length = 0;
    stub.state.answer = undefined;
    await removeSecond(secondNode());
    assert.deepEqual(edits, []);
    assert.deepEqual(unprovisioned, []);
  });

  it('in Restricted Mode (no SSH) only the file edit is offered', async () => {
    stub.state.trusted = false;
    await removeSecond(secondNode());
    assert.deepEqual(stub.state.modals[0].buttons, ['Only remove from rosvpn.json']);
    assert.match(stub.state.modals[0].detail!, /needs a trusted folder/);
  });
});
