// unprovision without hosts: the order (clients and desktop, seconds, gateway last), a gateway kept when a
// host that reaches the LAN through it failed, the reports, what the confirmation says per host, and the CLI's
// parsing and refusals (in-process run(), no SSH: a refusal happens before any connection).
import { strict as assert } from 'node:assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { run, type CliIo } from '../../src/cli/main';
import { unprovisionCommand, type ConfirmIo } from '../../src/cli/remote';
import { selectHosts } from '../../src/core/provision/endpoints';
import type { ProvisionEvent } from '../../src/core/provision/orchestrator';
import { describeUnprovision, unprovision } from '../../src/core/provision/unprovision';
import type { RenderedScript } from '../../src/core/render';
import type { ExecOptions, SshEndpoint, SshPool, SshSession } from '../../src/core/ssh/types';
import type { ValidTopology } from '../../src/core/topology/types';
import { loadFixture } from '../support/fixtures';

const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'topologies', 'clients-2.json');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the fixture as JSON, edited per test
const topology = (edit?: (d: Record<string, any>) => void): ValidTopology => loadFixture('clients-2', edit);

/** A harmless "script" per host: the protocol lines it prints; `fail` makes one step fail and exit 1. */
function scripts(t: ValidTopology, fail: string[] = []): RenderedScript[] {
  return selectHosts(t).map((h) => ({
    role: h.role,
    hostName: h.label,
    fileName: `unprovision-${h.label}.sh`,
    embedded: [],
    content: fail.includes(h.label)
      ? `::step name=units status=failed msg="boom"\nEXIT 1`
      : `::step name=units status=changed\n::summary role=${h.role} host=${h.label} changed=1 ok=0 skipped=0 failed=0`,
  }));
}

/** Runs an uploaded "script" by printing its lines; records the order in which hosts started and what ran with sudo. */
function fakePool(log: string[]): SshPool & { uploaded: Map<string, string> } {
  const uploaded = new Map<string, string>();
  const session = (e: SshEndpoint): SshSession =>
    ({
      endpoint: e,
      async upload(p: string, content: string | Buffer) {
        uploaded.set(`${e.label}:${p}`, String(content));
      },
      async download() {
        throw new Error('no download expected');
      },
      async exec(command: string, o: ExecOptions = {}) {
        if (command === 'printf %s "$HOME"') return { code: 0, signal: null, stdout: '/home/u', stderr: '' };
        const m = /^'bash' '(\/home\/u\/[^']+)'$/.exec(command);
        assert.ok(m, `unexpected command ${command}`);
        assert.equal(o.sudo, true, 'scripts run with sudo');
        log.push(e.label);
        // Let the other hosts of the same phase start before this one ends.
        await new Promise((r) => setTimeout(r, 5));
        let code = 0;
        for (const line of uploaded.get(`${e.label}:${m[1]}`)!.split('\n')) {
          if (line.startsWith('EXIT ')) code = Number(line.slice(5));
          else o.onStdout?.(line);
        }
        return { code, signal: null, stdout: '', stderr: '' };
      },
    }) as unknown as SshSession;
  return { uploaded, session: async (e) => session(e), dispose: async () => undefined };
}

describe('unprovision', () => {
  it('runs clients and the desktop first, then the seconds, the gateway last; every host reported', async () => {
    const t = topology((d) => d.seconds.push({ name: 'third', host: '172.31.1.13', cloudIp: '172.31.1.13', vpnIp: '192.168.0.132/24' }));
    const log: string[] = [];
    const events: ProvisionEvent[] = [];
    const r = await unprovision(t, { pool: fakePool(log), scripts: scripts(t), onEvent: (e) => events.push(e) });
    assert.equal(r.ok, true);
    assert.deepEqual(new Set(log.slice(0, 2)), new Set(['desktop', 'field-pc']));
    assert.deepEqual(new Set(log.slice(2, 4)), new Set(['second', 'third']));
    assert.equal(log[4], 'gateway');
    assert.deepEqual(
      r.hosts.map((h) => [h.label, h.status, h.changed]),
      [
        ['gateway', 'changed', 1],
        ['second', 'changed', 1],
        ['third', 'changed', 1],
        ['desktop', 'changed', 1],
        ['field-pc', 'changed', 1],
      ],
    );
    assert.equal(events.filter((e) => e.type === 'host-done').length, 5);
  });

  it('keeps the gateway when the desktop failed (it reaches the LAN through it); a failed second does not', async () => {
    const t = topology();
    const log: string[] = [];
    const r = await unprovision(t, { pool: fakePool(log), scripts: scripts(t, ['desktop']) });
    assert.equal(r.ok, false);
    const byLabel = Object.fromEntries(r.hosts.map((h) => [h.label, h]));
    assert.equal(byLabel.desktop.status, 'failed');
    assert.match(byLabel.desktop.error!, /step units failed: boom/);
    assert.equal(byLabel.gateway.status, 'skipped');
    assert.match(byLabel.gateway.error!, /kept, because desktop failed to unprovision/);
    assert.ok(!log.includes('gateway'));
    assert.equal(byLabel.second.status, 'changed');

    const log2: string[] = [];
    const r2 = await unprovision(t, { pool: fakePool(log2), scripts: scripts(t, ['second']) });
    assert.equal(r2.hosts.find((h) => h.label === 'gateway')!.status, 'changed');
  });

  it('--host / --role select the hosts; a cancelled run skips what has not started', async () => {
    const t = topology();
    const log: string[] = [];
    const r = await unprovision(t, { pool: fakePool(log), scripts: scripts(t), select: { role: 'second' } });
    assert.deepEqual(log, ['second']);
    assert.deepEqual(
      r.hosts.map((h) => h.label),
      ['second'],
    );
    const abort = new AbortController();
    abort.abort();
    const r2 = await unprovision(t, { pool: fakePool([]), scripts: scripts(t), signal: abort.signal });
    assert.ok(r2.hosts.every((h) => h.status === 'skipped'));
  });

  it('says per role what will change: units, bridge, files, the PKI backup or purge, the NIC with its addressing', () => {
    const t = topology((d) =>
      Object.assign(d.desktop, { addressing: 'static', address: '192.168.0.10/24', defaultGateway: '192.168.0.1' }),
    );
    const [gw, second, desktop, client] = ['gateway', 'second', 'desktop', 'field-pc'].map((h) => selectHosts(t, { host: h })[0]);
    assert.match(describeUnprovision(t, gw, false).join('\n'), /PKI .* moved to a dated backup in \/var\/backups/);
    assert.match(describeUnprovision(t, gw, true).join('\n'), /PKI .* DELETED \(--purge\)/);
    assert.match(describeUnprovision(t, second, false).join('\n'), /rosvpn-net\.service stopped, disabled and removed/);
    const d = describeUnprovision(t, desktop, false).join('\n');
    assert.match(d, /LAN NIC eno1 taken out of rosbridge .* static address 192\.168\.0\.10\/24 and the default route via 192\.168\.0\.1/);
    assert.match(d, /commit-confirm rollback/);
    assert.match(describeUnprovision(topology(), desktop, false).join('\n'), /DHCP lease renewed/);
    assert.match(describeUnprovision(t, client, false).join('\n'), /rosvpn0 deleted/);
  });
});

describe('rosvpn unprovision (CLI)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-unprov-'));
    file = path.join(dir, 'rosvpn.json');
    fs.copyFileSync(FIXTURE, file);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function io(): CliIo & { lines: string[]; errors: string[] } {
    const lines: string[] = [];
    const errors: string[] = [];
    return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), env: {}, cwd: dir };
  }

  it('usage errors exit 2: --host with --role, an unknown role, --purge without the gateway', async () => {
    const cases: [string[], RegExp][] = [
      [['--host', 'gateway', '--role', 'all'], /either --host or --role/],
      [['--role', 'laptop'], /--role must be one of gateway, second, desktop, client, all/],
      [['--role', 'second', '--purge'], /--purge deletes the gateway's PKI: it needs the gateway in the run/],
      [['--nope'], /Unknown option/],
    ];
    for (const [args, message] of cases) {
      const o = io();
      assert.equal(await run(['unprovision', ...args], o), 2, args.join(' '));
      assert.match(o.errors.join('\n'), message, args.join(' '));
    }
    const o = io();
    assert.equal(await run(['unprovision', '--host', 'nobody', '--yes'], o), 1);
    assert.match(o.errors.join('\n'), /no host named 'nobody' in the topology; hosts: gateway, second, desktop, field-pc/);
  });

  it('--help documents unprovision, --purge, --yes and unprovisioning a second already removed from the file', async () => {
    const o = io();
    assert.equal(await run(['unprovision', '--help'], o), 0);
    const help = o.lines.join('\n');
    assert.match(help, /unprovision \[FILE\] \[--host NAME \| --role gateway\|second\|desktop\|client\|all\] \[--purge\] \[--yes\]/);
    assert.match(help, /--host NAME also reaches a\s+second already deleted from FILE, if this machine provisioned it/);
    assert.match(help, /provision first offers to unprovision it/);
  });

  const t = () => topology();
  const confirmIo = (tty: boolean, answer: boolean): ConfirmIo & { lines: string[]; errors: string[]; asked: string[] } => {
    const lines: string[] = [];
    const errors: string[] = [];
    const asked: string[] = [];
    return {
      lines,
      errors,
      asked,
      out: (l) => lines.push(l),
      err: (l) => errors.push(l),
      canPrompt: () => tty,
      confirm: async (q) => (asked.push(q), answer),
    };
  };
  const noPool = async (): Promise<SshPool> => assert.fail('nothing may connect before the answer');

  it('says what will change per host first; without a terminal it needs --yes; "no" changes nothing', async () => {
    const o = confirmIo(false, true);
    assert.equal(await unprovisionCommand(o, t(), { host: 'desktop' }, { purge: false, yes: false }, {}, noPool), 2);
    assert.match(o.lines.join('\n'), /desktop \(desktop, localhost\):\n {4}- .*\n {4}- LAN NIC eno1 taken out of rosbridge/);
    assert.match(o.errors.join('\n'), /refusing without confirmation \(no terminal to ask on\); rerun with --yes/);

    const no = confirmIo(true, false);
    assert.equal(await unprovisionCommand(no, t(), { role: 'all' }, { purge: false, yes: false }, {}, noPool), 1);
    assert.deepEqual(no.asked, ['Remove ROS VPN from gateway, second, desktop, field-pc?']);
    assert.match(no.errors.join('\n'), /cancelled; nothing changed/);
  });
});
