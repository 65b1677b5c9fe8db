// Secrets and root in the background (src/extension/ssh/sshService.ts, src/core/provision/check.ts), under a
// stub `vscode`: a typed sudo password or key passphrase is kept for this session only unless the user picks
// "Remember" (then SecretStorage); a failed login forgets both; the background pool has no sudo password
// callback at all; and the periodic check runs its script without sudo and leaves the root-only parts out.
import { strict as assert } from 'assert';
import * as path from 'path';
import { installVscodeStub } from '../support/vscodeStub';
import type * as SshServiceModule from '../../src/extension/ssh/sshService';
import { checkTopology, withoutRoot } from '../../src/core/provision/check';
import type { ExecOptions, SshCallbacks, SshEndpoint, SshPool, SshSession } from '../../src/core/ssh/types';
import { loadFixture } from '../support/fixtures';

function stubVscode() {
  const state = { typed: 'pw-1' as string | undefined, where: undefined as string | undefined, inputs: 0, picks: [] as string[] };
  const vscode = {
    window: {
      showInputBox: async () => (state.inputs++, state.typed),
      showQuickPick: async <T extends { label: string }>(items: T[], o: { title: string }) => {
        state.picks.push(o.title);
        return items.find((i) => i.label === state.where);
      },
    },
  };
  return { vscode, state };
}

class Secrets {
  readonly map = new Map<string, string>();
  get = async (k: string) => this.map.get(k);
  store = async (k: string, v: string) => void this.map.set(k, v);
  delete = async (k: string) => void this.map.delete(k);
}

class Memento {
  private readonly map = new Map<string, unknown>();
  get = <T>(k: string, d: T) => (this.map.has(k) ? (this.map.get(k) as T) : d);
  update = async (k: string, v: unknown) => void this.map.set(k, v);
}

const log = { debug: () => undefined, trace: () => undefined, info: () => undefined, warn: () => undefined };
const endpoint: SshEndpoint = { label: 'desktop', host: '10.0.0.5', user: 'ubuntu', identityFile: '/k/id' };

describe('SSH secrets: this session unless "Remember"; no sudo in the background', () => {
  const stub = stubVscode();
  let mod: typeof SshServiceModule;
  let restore: () => void;
  let created: { callbacks: SshCallbacks }[];

  before(() => {
    restore = installVscodeStub(stub.vscode);
    // The SSH bundle is not built for unit tests: the pool options are what matter here.
    const lazy = path.resolve(__dirname, '../../src/extension/lazy.ts');
    created = [];
    require.cache[lazy] = {
      id: lazy,
      filename: lazy,
      loaded: true,
      exports: { loadSsh: async () => ({ createSshPool: (o: { callbacks: SshCallbacks }) => (created.push(o), o) }) },
    } as unknown as NodeJS.Module;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the vscode stub is in place
    mod = require('../../src/extension/ssh/sshService');
  });
  after(() => restore());
  beforeEach(() => Object.assign(stub.state, { typed: 'pw-1', where: undefined, inputs: 0, picks: [] }));

  const service = () => {
    const secrets = new Secrets();
    const svc = new mod.SshService(log as never, secrets as never, new Memento() as never);
    const callbacks = (svc as unknown as { callbacks(): SshCallbacks }).callbacks();
    return { svc, secrets, callbacks };
  };

  it('by default a typed sudo password is kept for this session only: asked once, never in SecretStorage', async () => {
    const { secrets, callbacks } = service();
    assert.equal(await callbacks.sudoPassword!(endpoint), 'pw-1');
    assert.deepEqual(stub.state.picks, ['ROS VPN: Keep the sudo password for desktop where?']);
    assert.equal(secrets.map.size, 0, 'nothing stored without Remember');
    stub.state.typed = 'other';
    assert.equal(await callbacks.sudoPassword!(endpoint), 'pw-1', 'the session copy answers');
    assert.equal(stub.state.inputs, 1);
  });

  it('"Remember" stores it in SecretStorage; a failed login forgets it (session and stored)', async () => {
    const { svc, secrets, callbacks } = service();
    stub.state.where = 'Remember on this machine (SecretStorage)';
    assert.equal(await callbacks.passphrase!('/k/id'), 'pw-1');
    assert.deepEqual([...secrets.map.values()], ['pw-1']);
    stub.state.where = undefined;
    assert.equal(await callbacks.sudoPassword!(endpoint), 'pw-1');
    assert.equal(secrets.map.size, 1, 'the sudo password was kept for the session only');
    await svc.forgetFor(endpoint);
    assert.equal(secrets.map.size, 0);
    stub.state.typed = 'pw-2';
    assert.equal(await callbacks.sudoPassword!(endpoint), 'pw-2', 'asked again after the failure');
    assert.equal(await svc.forgetAll(), 1, 'the session secret is forgotten too');
  });

  it('the background pool never asks, and has no sudo password to give — not even a remembered one', async () => {
    const { svc, secrets } = service();
    await secrets.store('rosvpn.sudo:ubuntu@10.0.0.5:22', 'stored-sudo');
    await secrets.store('rosvpn.passphrase:/k/id', 'stored-pass');
    await svc.getBackgroundPool();
    const cb = created.at(-1)!.callbacks;
    assert.equal(cb.sudoPassword, undefined);
    assert.equal(await cb.passphrase!('/k/id'), 'stored-pass');
    assert.equal(await cb.confirmUnknownHost({ host: 'x', keyType: 'ssh-ed25519', fingerprint: 'SHA256:x' } as never), false);
    assert.equal(stub.state.inputs, 0);
  });
});

describe('the periodic check without root', () => {
  const t = loadFixture('vxlan-1');

  function pool(runs: { command: string; sudo: boolean | undefined }[], stdout: string): SshPool {
    const session = {
      endpoint: { label: 'gateway', host: 'gw', user: 'ubuntu' },
      upload: async () => undefined,
      exec: async (command: string, o: ExecOptions = {}) => {
        if (command === 'printf %s "$HOME"') return { code: 0, signal: null, stdout: '/home/u', stderr: '' };
        runs.push({ command, sudo: o.sudo });
        return { code: 0, signal: null, stdout, stderr: '' };
      },
    } as unknown as SshSession;
    return { session: async () => session, dispose: async () => undefined };
  }

  it('runs the check script without sudo, skips the root-only certificates, and does not fail an uncounted server', async () => {
    const runs: { command: string; sudo: boolean | undefined }[] = [];
    const out = [
      '::check name=bridge status=pass msg="rosbridge is up"',
      '::check name=openvpn status=fail msg="server running, no client connected (is the desktop gateway provisioned and online?)"',
    ].join('\n');
    const r = await checkTopology(t, pool(runs, out), { host: 'gateway' }, undefined, { root: false });
    assert.deepEqual(
      runs.map((x) => x.sudo),
      [false],
      'one run, the check script, without sudo',
    );
    const checks = r.hosts[0].checks;
    assert.ok(!checks.some((c) => c.name === 'certificates'), 'the PKI needs root: left to the checks the user starts');
    assert.deepEqual(
      checks.find((c) => c.name === 'openvpn'),
      { name: 'openvpn', status: 'pass', msg: 'server running (connected clients are counted only by a check with root)' },
    );
    assert.equal(r.ok, true);
  });

  it('with root (the default) the script runs with sudo and every failure stands', async () => {
    const runs: { command: string; sudo: boolean | undefined }[] = [];
    await checkTopology(t, pool(runs, '::check name=bridge status=pass msg="up"'), { host: 'gateway' }).catch(() => undefined);
    assert.equal(runs[0].sudo, true);
    const failing = [{ name: 'openvpn', status: 'fail' as const, msg: 'gateway.service is not active' }];
    assert.deepEqual(withoutRoot('gateway', failing), failing, 'a stopped server is a failure without root too');
  });
});
