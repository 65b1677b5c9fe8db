// Pure parts of provisioning: endpoints from the topology, host selection, the step-line protocol,
// journalctl commands, and the check scripts (linted like the provisioning scripts).
import { strict as assert } from 'assert';
import { spawnSync } from 'node:child_process';
import { STEP_LIB } from '../../src/core/render/bash';
import { selectHosts, topologyHosts, parseJump } from '../../src/core/provision/endpoints';
import { parseScriptLine } from '../../src/core/provision/events';
import { defaultUnit, journalctlCommand } from '../../src/core/provision/logs';
import { parseCheckLines } from '../../src/core/provision/check';
import { validateTopology } from '../../src/core/topology/validate';
import { checkTargets, renderCheckScript } from '../../src/core/render/check';
import type { ValidTopology } from '../../src/core/topology/types';
import { requireTool, run } from '../../lab/sh';
import { loadFixture } from '../support/fixtures';

describe('provisioning parts', () => {
  const t = loadFixture('vxlan-3');

  it('endpoints: per-host settings over ssh defaults; jump "gateway" is the gateway endpoint', () => {
    const hosts = topologyHosts(t);
    assert.deepEqual(
      hosts.map((h) => [h.label, h.role]),
      [
        ['gateway', 'gateway'],
        ['second', 'second'],
        ['second-2', 'second'],
        ['second-3', 'second'],
        ['desktop', 'desktop'],
      ],
    );
    const gw = hosts[0].endpoint;
    assert.deepEqual(gw, { label: 'gateway', host: 'ros-openvpn', user: 'ubuntu', port: undefined, identityFile: '~/.ssh/id_ed25519' });
    assert.equal(hosts[1].endpoint.jump, gw);
    assert.equal(hosts[1].endpoint.host, '172.31.1.12');
    assert.equal(hosts[4].endpoint.jump, undefined);
  });

  it('endpoints: a jump spec user@host:port and a per-host user override', () => {
    assert.deepEqual(parseJump('ops@bastion:2222'), { label: 'jump bastion', host: 'bastion', user: 'ops', port: 2222 });
    const custom = { ...t, seconds: [{ ...t.seconds[0], jump: 'bastion', user: 'ec2-user' }] } as ValidTopology;
    const e = topologyHosts(custom)[1].endpoint;
    assert.equal(e.user, 'ec2-user');
    assert.equal(e.jump?.host, 'bastion');
  });

  it('selection by host and role; an unknown host lists the known ones', () => {
    assert.deepEqual(
      selectHosts(t, { role: 'second' }).map((h) => h.label),
      ['second', 'second-2', 'second-3'],
    );
    assert.deepEqual(
      selectHosts(t, { host: 'desktop' }).map((h) => h.label),
      ['desktop'],
    );
    assert.equal(selectHosts(t, { role: 'all' }).length, 5);
    assert.throws(
      () => selectHosts(t, { host: 'nope' }),
      /no host named 'nope' in the topology; hosts: gateway, second, second-2, second-3, desktop/,
    );
  });

  it('endpoints: clients with a host come after the desktop (role client, label = name); ssh defaults but never ssh.jump', () => {
    const withClients = {
      ...t,
      ssh: { ...t.ssh, jump: 'gateway' },
      clients: [
        { name: 'alice-laptop', vpnIp: '192.168.0.254/24', host: 'alice.local', user: 'alice' },
        { name: 'no-host', vpnIp: '192.168.0.253/24' },
        { name: 'field', vpnIp: '192.168.0.252/24', host: 'field.example', jump: 'ops@bastion:2222' },
      ],
    } as ValidTopology;
    const hosts = topologyHosts(withClients);
    assert.deepEqual(
      hosts.slice(-3).map((h) => [h.label, h.role]),
      [
        ['desktop', 'desktop'],
        ['alice-laptop', 'client'],
        ['field', 'client'],
      ],
    );
    const alice = hosts.find((h) => h.label === 'alice-laptop')!.endpoint;
    assert.deepEqual(alice, {
      label: 'alice-laptop',
      host: 'alice.local',
      user: 'alice',
      port: undefined,
      identityFile: '~/.ssh/id_ed25519',
    });
    assert.equal(hosts.find((h) => h.label === 'field')!.endpoint.jump?.host, 'bastion');
    assert.deepEqual(
      selectHosts(withClients, { role: 'client' }).map((h) => h.label),
      ['alice-laptop', 'field'],
    );
    assert.deepEqual(
      selectHosts(withClients, { host: 'field' }).map((h) => h.label),
      ['field'],
    );
    assert.throws(
      () => selectHosts(withClients, { host: 'no-host' }),
      /client 'no-host' has no host.*add "host" to clients\[1\].*fetch-ovpn --client no-host/,
    );
    assert.throws(() => selectHosts(withClients, { host: 'nope' }), /no host named 'nope'.*desktop, alice-laptop, field$/);
    assert.equal(defaultUnit('client'), 'openvpn-client@rosvpn.service');
  });

  it('parses the step protocol', () => {
    assert.deepEqual(parseScriptLine('::step name=openvpn-config status=changed'), {
      kind: 'step',
      name: 'openvpn-config',
      status: 'changed',
      msg: undefined,
    });
    assert.deepEqual(parseScriptLine('::step name=pki status=failed msg="command failed (exit 1)"'), {
      kind: 'step',
      name: 'pki',
      status: 'failed',
      msg: 'command failed (exit 1)',
    });
    assert.deepEqual(parseScriptLine('::warn msg="MTU"'), { kind: 'warn', msg: 'MTU' });
    assert.deepEqual(parseScriptLine('::summary role=gateway host=gateway changed=3 ok=9 skipped=2 failed=0'), {
      kind: 'summary',
      changed: 3,
      ok: 9,
      skipped: 2,
      failed: 0,
    });
    assert.deepEqual(parseScriptLine('::summary role=second host=s changed=0 ok=7 skipped=0 failed=0 cpu_ms=61'), {
      kind: 'summary',
      changed: 0,
      ok: 7,
      skipped: 0,
      failed: 0,
      cpuMs: 61,
    });
    assert.deepEqual(parseScriptLine('::step name=x status=weird'), { kind: 'text', text: '::step name=x status=weird' });
  });

  it('parses the step duration (ms=, last on the line) and still reads lines without it', () => {
    assert.deepEqual(parseScriptLine('::step name=packages status=ok ms=1234'), {
      kind: 'step',
      name: 'packages',
      status: 'ok',
      msg: undefined,
      ms: 1234,
    });
    assert.deepEqual(parseScriptLine('::step name=pki status=failed code=CA_LOCKED msg="the CA key is encrypted" ms=7'), {
      kind: 'step',
      name: 'pki',
      status: 'failed',
      code: 'CA_LOCKED',
      msg: 'the CA key is encrypted',
      ms: 7,
    });
    // A message that itself ends in ms=… keeps it; the duration is only the field after the closing quote.
    assert.deepEqual(parseScriptLine('::step name=x status=changed msg="waited ms=5" ms=0'), {
      kind: 'step',
      name: 'x',
      status: 'changed',
      msg: 'waited ms=5',
      ms: 0,
    });
    assert.equal((parseScriptLine('::step name=x status=ok') as { ms?: number }).ms, undefined);
    for (const bad of [
      '::step name=x status=ok ms=',
      '::step name=x status=ok ms=-1',
      '::step name=x status=ok ms=1.5',
      '::step name=x status=ok  ms=3',
    ]) {
      assert.equal(parseScriptLine(bad).kind, 'text', bad);
    }
  });

  it('step.sh: each ::step line ends with the duration of its step in ms (bash clock, no process forked)', () => {
    const script = `set -euo pipefail\n${STEP_LIB}\ntrap - ERR\nstep_begin slow\nsleep 0.3\nstep_end\nstep_begin fast\nstep_end\nstep_skip gone "off"\nrm -f "$ROSVPN_TALLY"\n`;
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const steps = r.stdout.trim().split('\n').map(parseScriptLine);
    assert.deepEqual(
      steps.map((s) => (s.kind === 'step' ? [s.name, s.status] : s.kind)),
      [
        ['slow', 'ok'],
        ['fast', 'ok'],
        ['gone', 'skipped'],
      ],
    );
    const ms = steps.map((s) => (s.kind === 'step' ? s.ms : undefined));
    assert.ok(ms[0] !== undefined && ms[0] >= 300 && ms[0] < 60000, `slow: ${ms[0]}`);
    assert.ok(ms[1] !== undefined && ms[1] < ms[0], `fast: ${ms[1]} (slow ${ms[0]})`);
    assert.equal(ms[2], 0);
  });

  it('journalctl: default unit per role, and unit names are checked before they reach a shell', () => {
    assert.equal(defaultUnit('gateway'), 'openvpn-server@rosvpn.service');
    assert.equal(defaultUnit('desktop'), 'openvpn-client@rosvpn.service');
    assert.equal(defaultUnit('second'), 'rosvpn-net.service');
    assert.equal(journalctlCommand('ssh.service', true, 50), "journalctl --no-pager -o short-iso -n 50 -u 'ssh.service' -f");
    assert.throws(() => journalctlCommand("x'; reboot; '", false), /invalid unit name/);
  });

  it('check scripts: targets exclude the host itself; lint clean; results parse', () => {
    requireTool('shellcheck');
    assert.deepEqual(
      checkTargets(t).map((x) => x.ip),
      ['192.168.0.130', '192.168.0.131', '192.168.0.132', '192.168.0.133', '192.168.0.10'],
    );
    const own: Record<string, string> = { gateway: "'192.168.0.130'", second: "'192.168.0.131'", desktop: "'192.168.0.10'" };
    for (const label of ['gateway', 'second', 'desktop']) {
      const script = renderCheckScript(t, label);
      const lint = run('shellcheck', ['-s', 'bash', '-f', 'gcc', '-'], { input: script });
      assert.equal(lint.stdout, '', `${label}: ${lint.stdout}`);
      const targets = /^TARGETS=\((.*)\)$/m.exec(script)![1];
      assert.equal(targets.split(' ').length, 4, label);
      assert.ok(!targets.includes(own[label]), `${label} pings itself: ${targets}`);
    }
    // A client host checks its own tap and pushed address, no bridge or tunnel.
    const withClient = validateTopology({
      ...structuredClone(t),
      clients: [{ name: 'field-pc', vpnIp: '192.168.0.150/24', host: '10.9.9.9' }],
    });
    assert.ok(withClient.topology, JSON.stringify(withClient.diagnostics));
    const cs = renderCheckScript(withClient.topology, 'field-pc');
    assert.equal(run('shellcheck', ['-s', 'bash', '-f', 'gcc', '-'], { input: cs }).stdout, '');
    assert.match(cs, /^BRIDGE='rosvpn0'$/m);
    assert.match(cs, /^ADDR='192\.168\.0\.150\/24'$/m);
    assert.match(cs, /openvpn-client@rosvpn\.service is not connected/);
    assert.doesNotMatch(cs, /^PEERS=/m);
    assert.deepEqual(
      parseCheckLines('noise\n::check name=bridge status=pass msg="rosbridge is up"\n::check name=reach:second status=fail msg="x"\n'),
      [
        { name: 'bridge', status: 'pass', msg: 'rosbridge is up' },
        { name: 'reach:second', status: 'fail', msg: 'x' },
      ],
    );
  });
});
