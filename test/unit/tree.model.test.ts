// The topology tree's data model (no VS Code needed).
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { buildTopologyTree, RESTRICTED_NODE, statusesFromCheck, statusesFromProvision } from '../../src/extension/tree/model';
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
