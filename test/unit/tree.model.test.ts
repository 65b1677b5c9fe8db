// The topology tree's data model (no VS Code needed).
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { ClientStatus } from '../../src/extension/clients/coreApi';
import {
  buildTopologyTree,
  RESTRICTED_NODE,
  statusesFromCheck,
  statusesFromProvision,
  type TreeNode,
} from '../../src/extension/tree/model';
import type { ValidTopology } from '../../src/core/topology/types';
import { loadFixture } from '../support/fixtures';

describe('topology tree model', () => {
  const t = loadFixture('vxlan-3');

  it('robot network, desktop, gateway and seconds, with addresses as descriptions', () => {
    const nodes = buildTopologyTree(t);
    assert.deepEqual(
      nodes.map((n) => [n.id, n.label, n.description]),
      [
        ['rosvpn:robot', 'Robot network', '192.168.0.0/24'],
        ['rosvpn:desktop', 'Desktop Gateway', 'localhost · eno1 · 192.168.0.10/24'],
        ['rosvpn:gateway', 'Cloud Gateway', '44.232.53.80 · 172.31.1.11 · 192.168.0.130'],
        ['rosvpn:seconds', 'Second instances', '3'],
        ['rosvpn:clients', 'Clients', 'none'],
      ],
    );
    assert.deepEqual(
      nodes[3].children!.map((c) => [c.id, c.description, c.contextValue]),
      [
        ['rosvpn:second:second', '172.31.1.12 · 192.168.0.131', 'rosvpn.host.second'],
        ['rosvpn:second:second-2', '172.31.1.13 · 192.168.0.132', 'rosvpn.host.second'],
        ['rosvpn:second:second-3', '172.31.1.14 · 192.168.0.133', 'rosvpn.host.second'],
      ],
    );
    assert.ok(nodes.every((n) => n.tooltip.length > 0));
  });

  it('untrusted (Restricted Mode): the same rows, led by Manage Workspace Trust; trusted: no such row', () => {
    const untrusted = buildTopologyTree(t, new Map(), new Map(), { trusted: false });
    assert.deepEqual(untrusted[0], { ...RESTRICTED_NODE });
    assert.equal(untrusted[0].command, 'workbench.trust.manage');
    assert.deepEqual(untrusted.slice(1), buildTopologyTree(t));
    assert.deepEqual(buildTopologyTree(t, new Map(), new Map(), { trusted: true }), buildTopologyTree(t));
    assert.ok(!buildTopologyTree(t).some((n) => n.kind === 'restricted' || n.command));
  });

  it('ids are stable when other parts of the topology change; statuses default to unknown', () => {
    const changed = { ...t, seconds: [...t.seconds.slice(1), { ...t.seconds[0], vpnIp: '192.168.0.140/24' }] } as ValidTopology;
    const ids = (n: ReturnType<typeof buildTopologyTree>) => n.flatMap((x) => [x.id, ...(x.children ?? []).map((c) => c.id)]).sort();
    assert.deepEqual(ids(buildTopologyTree(changed)), ids(buildTopologyTree(t)));
    assert.equal(buildTopologyTree(t)[2].status, 'unknown');
  });

  it('the EC2 state shows in descriptions and context values, and the menus follow it', () => {
    const cloud = new Map([
      ['gateway', { id: 'i-0123456789abcdef0', state: 'running' }],
      ['second', { id: 'i-0123456789abcdef1', state: 'stopped' }],
      ['second-2', { state: 'not launched' }],
    ]);
    const nodes = buildTopologyTree(t, new Map(), cloud);
    assert.equal(nodes[2].description, '44.232.53.80 · 172.31.1.11 · 192.168.0.130 · EC2 running');
    assert.match(nodes[2].tooltip, /EC2 i-0123456789abcdef0 running/);
    const ctx = [nodes[2], ...nodes[3].children!].map((n) => n.contextValue);
    assert.deepEqual(ctx, [
      'rosvpn.host.gateway ec2-running',
      'rosvpn.host.second ec2-stopped',
      'rosvpn.host.second ec2-not-launched',
      'rosvpn.host.second',
    ]);
    // The when-clauses of package.json, evaluated as VS Code does (viewItem =~ /re/), in a trusted folder.
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const menus: { command: string; when: string }[] = pkg.contributes.menus['view/item/context'];
    const shown = (viewItem: string) =>
      menus
        .filter((m) => {
          const eq = /viewItem == (\S+)/.exec(m.when);
          if (eq) return eq[1] === viewItem;
          const re = /viewItem =~ \/(.*?)\/(?: && isWorkspaceTrusted)?$/.exec(m.when);
          return re ? new RegExp(re[1]).test(viewItem) : false;
        })
        .map((m) => m.command);
    assert.ok(shown(ctx[0]).includes('rosvpn.cloudStop') && !shown(ctx[0]).includes('rosvpn.cloudStart'));
    assert.ok(shown(ctx[1]).includes('rosvpn.cloudStart') && !shown(ctx[1]).includes('rosvpn.cloudStop'));
    assert.ok(!shown(ctx[2]).includes('rosvpn.cloudStart') && !shown(ctx[2]).includes('rosvpn.cloudStop'));
    // The host menus still match with the EC2 suffix, and only their own role's.
    for (const c of ctx)
      assert.deepEqual(
        shown(c).filter((x) => x.startsWith('rosvpn.provision')),
        c.includes('gateway')
          ? ['rosvpn.provisionGateway', 'rosvpn.provisionGateway']
          : ['rosvpn.provisionSecond', 'rosvpn.provisionSecond'],
      );
    assert.ok(
      shown('rosvpn.host.desktop').includes('rosvpn.provisionDesktop') && !shown('rosvpn.host.desktop').includes('rosvpn.cloudStop'),
    );
  });

  it('50 seconds build a tree of 50 children', () => {
    const many = {
      ...t,
      seconds: Array.from({ length: 50 }, (_, i) => ({ ...t.seconds[0], name: `s${i}`, cloudIp: `172.31.2.${i + 1}` })),
    } as ValidTopology;
    assert.equal(buildTopologyTree(many)[3].children!.length, 50);
  });

  it('statuses from a provisioning run and from a check', () => {
    const prov = statusesFromProvision({
      ok: false,
      hosts: [
        { label: 'gateway', role: 'gateway', status: 'changed', changed: 3, ok: 5, skipped: 0, failed: 0, warnings: [], durationMs: 1 },
        {
          label: 'second',
          role: 'second',
          status: 'failed',
          changed: 0,
          ok: 0,
          skipped: 0,
          failed: 1,
          warnings: [],
          durationMs: 1,
          error: 'cannot connect to second: connection refused',
          code: 'CONNECT_FAILED',
        },
        {
          label: 'second-2',
          role: 'second',
          status: 'failed',
          changed: 1,
          ok: 2,
          skipped: 0,
          failed: 1,
          warnings: [],
          durationMs: 1,
          error: 'step pki failed',
          code: 'STEP_FAILED',
        },
        { label: 'desktop', role: 'desktop', status: 'skipped', changed: 0, ok: 0, skipped: 0, failed: 0, warnings: [], durationMs: 0 },
      ],
    });
    assert.deepEqual(
      [...prov],
      [
        ['gateway', 'healthy'],
        ['second', 'unreachable'],
        ['second-2', 'failed'],
      ],
    );
    const check = statusesFromCheck({
      ok: false,
      hosts: [
        { label: 'gateway', role: 'gateway', ok: true, checks: [{ name: 'ssh', status: 'pass', msg: '' }] },
        { label: 'second', role: 'second', ok: false, checks: [{ name: 'ssh', status: 'fail', msg: 'refused' }] },
        {
          label: 'desktop',
          role: 'desktop',
          ok: false,
          checks: [
            { name: 'ssh', status: 'pass', msg: '' },
            { name: 'openvpn', status: 'fail', msg: 'x' },
          ],
        },
      ],
    });
    assert.deepEqual(
      [...check],
      [
        ['gateway', 'healthy'],
        ['second', 'unreachable'],
        ['desktop', 'failed'],
      ],
    );
    assert.equal(buildTopologyTree(t, check)[1].status, 'failed');
  });

  it('unreachable is decided by the failure code, never by the message text', () => {
    const host = (label: string, code: string | undefined, error: string, done = 0) => ({
      label,
      role: 'second' as const,
      status: 'failed' as const,
      changed: 0,
      ok: done,
      skipped: 0,
      failed: 1,
      warnings: [],
      durationMs: 1,
      error,
      code,
    });
    const prov = statusesFromProvision({
      ok: false,
      hosts: [
        host('auth', 'AUTH_FAILED', 'Permission denied (publickey)'),
        host('key', 'HOST_KEY_CHANGED', 'REMOTE HOST IDENTIFICATION HAS CHANGED'),
        host('rejected', 'HOST_KEY_REJECTED', 'not trusted'),
        host('lost', 'CONNECTION_LOST', 'gone'),
        // Messages that mention connecting or authentication, with codes that say the host was reached:
        host('sudo', 'SUDO_FAILED', 'sudo: authentication failure'),
        host('step', 'STEP_FAILED', 'step openvpn failed: cannot connect to the OpenVPN management socket'),
        host('abort', 'ABORTED', 'connection to x: command aborted'),
        // No code: failed, whatever the message says.
        host('nocode', undefined, 'cannot connect to nocode'),
        // Reached first (steps ran), then lost: failed, not unreachable.
        host('midway', 'CONNECTION_LOST', 'connection to midway was lost', 3),
      ],
    });
    assert.deepEqual(Object.fromEntries(prov), {
      auth: 'unreachable',
      key: 'unreachable',
      rejected: 'unreachable',
      lost: 'unreachable',
      sudo: 'failed',
      step: 'failed',
      abort: 'failed',
      nocode: 'failed',
      midway: 'failed',
    });
  });
});

describe('topology tree model: clients', () => {
  const base = loadFixture('vxlan-3');
  const t = {
    ...base,
    clients: [
      { name: 'alice-laptop', vpnIp: '192.168.0.150/24' },
      { name: 'field-pc', vpnIp: '192.168.0.151/24', host: '10.0.0.7' },
      { name: 'site-b', vpnIp: '192.168.0.152/24' },
      { name: 'new-one', vpnIp: '192.168.0.153/24' },
    ],
  } as ValidTopology;
  const status = (name: string, s: Partial<ClientStatus>): ClientStatus => ({
    name,
    declared: true,
    cert: 'valid',
    connected: false,
    ...s,
  });
  const statuses: ClientStatus[] = [
    status('alice-laptop', {
      vpnIp: '192.168.0.150/24',
      notAfter: '2027-11-30T08:00:00Z',
      expiresInDays: 365,
      connected: true,
      connectedSince: '2026-11-30T10:12:00Z',
      realAddress: '203.0.113.5:51234',
    }),
    status('field-pc', { notAfter: '2026-12-20T08:00:00Z', expiresInDays: 20 }),
    status('site-b', { cert: 'revoked', notAfter: '2027-01-01T00:00:00Z' }),
    status('new-one', { cert: 'missing' }),
    status('old-laptop', { declared: false, vpnIp: '192.168.0.160/24', notAfter: '2027-05-01T00:00:00Z' }),
    status('gone', { declared: false, cert: 'revoked', notAfter: '2027-05-01T00:00:00Z' }),
    status('just-revoked', { declared: false, cert: 'revoked', connected: true }),
  ];
  const clientsOf = (nodes: TreeNode[]) => nodes.find((n) => n.kind === 'clients')!;
  const menus: { command: string; when: string; group?: string }[] = JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'),
  ).contributes.menus['view/item/context'];
  /** The commands package.json shows on a node with this context value (trusted folder), inline or in its menu. */
  const shown = (viewItem: string, inline = false) =>
    menus
      .filter((m) => (inline ? m.group?.startsWith('inline') : !m.group?.startsWith('inline')))
      .filter((m) => {
        const eq = /viewItem == (\S+)/.exec(m.when);
        if (eq) return eq[1] === viewItem;
        const re = /viewItem =~ \/(.*?)\/(?: && isWorkspaceTrusted)?$/.exec(m.when);
        return re ? new RegExp(re[1]).test(viewItem) : false;
      })
      .map((m) => m.command);

  it('always shown, last; without clients it offers Add Client inline', () => {
    const node = clientsOf(buildTopologyTree(base));
    assert.deepEqual(buildTopologyTree(base).at(-1), node);
    assert.deepEqual([node.label, node.description, node.contextValue, node.children], ['Clients', 'none', 'clients.empty', []]);
    assert.deepEqual(shown('clients.empty', true), ['rosvpn.addClient']);
    assert.deepEqual(shown('clients', true), []);
    assert.ok(shown('clients').includes('rosvpn.addClient'));
  });

  it('before the gateway is asked: every declared client with its address, state unknown', () => {
    const node = clientsOf(buildTopologyTree(t));
    assert.equal(node.description, '4');
    assert.deepEqual(
      node.children!.map((c) => [c.id, c.label, c.description, c.client?.state]),
      [
        ['rosvpn:client:alice-laptop', 'alice-laptop', '192.168.0.150', 'unknown'],
        ['rosvpn:client:field-pc', 'field-pc', '192.168.0.151', 'unknown'],
        ['rosvpn:client:site-b', 'site-b', '192.168.0.152', 'unknown'],
        ['rosvpn:client:new-one', 'new-one', '192.168.0.153', 'unknown'],
      ],
    );
    assert.match(node.children![0].tooltip, /not read yet/);
  });

  it('after a status read: address, expiry and connected / offline / revoked / not issued, then the undeclared ones', () => {
    const node = clientsOf(buildTopologyTree(t, new Map(), new Map(), { clients: { statuses, readAt: new Date('2026-11-30T10:15:02Z') } }));
    assert.equal(node.description, '7 · 2 connected');
    assert.match(node.tooltip, /read from the gateway at 10:15:02 UTC/);
    assert.deepEqual(
      node.children!.map((c) => [c.label, c.description, c.client?.state]),
      [
        ['alice-laptop', '192.168.0.150 · expires 2027-11-30 · connected', 'connected'],
        ['field-pc', '192.168.0.151 · expires 2026-12-20 · offline', 'offline'],
        ['site-b', '192.168.0.152 · revoked', 'revoked'],
        ['new-one', '192.168.0.153 · not issued', 'not issued'],
        ['old-laptop', 'not in rosvpn.json · 192.168.0.160 · expires 2027-05-01 · offline', 'offline'],
        ['gone', 'not in rosvpn.json · revoked', 'revoked'],
        ['just-revoked', 'not in rosvpn.json · revoked · still connected', 'revoked'],
      ],
    );
    const [alice, field, , , old] = node.children!;
    assert.match(alice.tooltip, /Connected since 2026-11-30 10:12 UTC from 203\.0\.113\.5:51234/);
    assert.match(alice.tooltip, /valid until 2027-11-30 \(365 days\)/);
    assert.match(field.tooltip, /\(20 days\): renewed by the next provisioning/);
    assert.match(field.tooltip, /SSH host 10\.0\.0\.7: Provision Client/);
    assert.match(old.tooltip, /next provisioning of the gateway revokes it/);
    // Epoch seconds (as the gateway prints them) read the same.
    const epoch = clientsOf(
      buildTopologyTree(t, new Map(), new Map(), { clients: { statuses: [{ ...statuses[0], connectedSince: '1796033520' }] } }),
    );
    assert.match(epoch.children![0].tooltip, /Connected since 2026-11-30 10:12 UTC/);
  });

  it("each client's menus follow what it is: host or not, declared or not, its certificate", () => {
    const node = clientsOf(buildTopologyTree(t, new Map(), new Map(), { clients: { statuses } }));
    const ctx = Object.fromEntries(node.children!.map((c) => [c.label, c.contextValue]));
    assert.deepEqual(ctx, {
      'alice-laptop': 'rosvpn.client.nohost.declared cert-valid',
      'field-pc': 'rosvpn.client.host.declared cert-valid',
      'site-b': 'rosvpn.client.nohost.declared cert-revoked',
      'new-one': 'rosvpn.client.nohost.declared cert-missing',
      'old-laptop': 'rosvpn.client.nohost.undeclared cert-valid',
      gone: 'rosvpn.client.nohost.undeclared cert-revoked',
      'just-revoked': 'rosvpn.client.nohost.undeclared cert-revoked',
    });
    assert.deepEqual(shown(ctx['alice-laptop'], true), ['rosvpn.downloadClientProfile']);
    assert.deepEqual(shown(ctx['field-pc'], true), ['rosvpn.provisionClient']);
    assert.deepEqual(shown(ctx['alice-laptop']).sort(), ['rosvpn.downloadClientProfile', 'rosvpn.revokeClient', 'rosvpn.rotateClient']);
    assert.deepEqual(shown(ctx['field-pc']).sort(), [
      'rosvpn.downloadClientProfile',
      'rosvpn.openSshTerminal',
      'rosvpn.provisionClient',
      'rosvpn.revokeClient',
      'rosvpn.rotateClient',
      'rosvpn.unprovisionHost',
    ]);
    // Not the host menus (Check Connectivity, Stream Logs), and no profile to download once revoked or not issued.
    assert.ok(!shown(ctx['field-pc']).includes('rosvpn.checkConnectivity'));
    assert.deepEqual(shown(ctx['site-b']).sort(), ['rosvpn.revokeClient', 'rosvpn.rotateClient']);
    assert.deepEqual(shown(ctx['new-one']).sort(), ['rosvpn.revokeClient', 'rosvpn.rotateClient']);
    // Not declared: a valid certificate can be revoked now; a revoked one offers nothing.
    assert.deepEqual(shown(ctx['old-laptop']), ['rosvpn.revokeClient']);
    assert.deepEqual(shown(ctx.gone), []);
    // Before the status read: downloading is offered (the gateway decides).
    assert.ok(shown('rosvpn.client.nohost.declared cert-unknown').includes('rosvpn.downloadClientProfile'));
    // Only a declared client with a host is a host the tree provisions.
    assert.deepEqual(
      node.children!.map((c) => c.host),
      [undefined, 'field-pc', undefined, undefined, undefined, undefined, undefined],
    );
  });

  it('while reading and after a failed read: the node says so and keeps the last statuses', () => {
    assert.equal(clientsOf(buildTopologyTree(t, new Map(), new Map(), { clients: { reading: true } })).description, '4 · reading…');
    const failed = clientsOf(buildTopologyTree(t, new Map(), new Map(), { clients: { statuses, error: 'cannot connect to gateway' } }));
    assert.equal(failed.description, '7 · 2 connected · status unknown');
    assert.match(failed.tooltip, /The last status read failed: cannot connect to gateway/);
    assert.equal(failed.children![0].client?.state, 'connected');
  });
});
