// provision()'s order without hosts (a fake SSH pool whose "scripts" are JS): the desktop and the client
// hosts start at once, alongside the gateway; each gets its profile right after the gateway's profile step
// reports done, validated first; a gateway that fails before that makes them fail at once, naming it; the CA
// passphrase retry and the rerun with a held profile still work. And the scripts' side: wait_profile.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { timingsCollector, timingsTable } from '../../src/cli/remote';
import { provision, type CaPassphraseSource, type ProvisionEvent } from '../../src/core/provision/orchestrator';
import { STEP_LIB } from '../../src/core/render/bash';
import { renderProfileWait, WAIT_FOR_PROFILE_ARG } from '../../src/core/render/openvpn';
import { PROFILE_STEP_NAME } from '../../src/core/render/pki';
import type { RenderedScript } from '../../src/core/render';
import type { ExecOptions, SshEndpoint, SshPool, SshSession } from '../../src/core/ssh/types';
import type { ValidTopology } from '../../src/core/topology/types';
import { loadFixture } from '../support/fixtures';
import { fakeProfile } from '../support/profiles';

const HOME = '/home/u';
const DESK_PROFILE = `${HOME}/ros_local_gateway.ovpn`;
const CLIENT_PROFILE = `${HOME}/field-pc.ovpn`;
const PROFILE = fakeProfile();
const CLIENT = fakeProfile({ tag: 'ZmllbGQtcGM=' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a fake script does: it prints through `out`, reads and writes its host's files; resolves to its exit code. */
type Behaviour = (ctx: { args: string[]; out: (line: string) => void; files: Map<string, string>; host: string }) => Promise<number>;

interface Fake {
  pool: SshPool;
  /** In order: `start HOST`, `end HOST`, `upload HOST PATH`, `rm HOST PATHS`, `line HOST TEXT`. */
  log: string[];
  files: (host: string) => Map<string, string>;
}

function fakePool(behaviours: Record<string, Behaviour>): Fake {
  const log: string[] = [];
  const fsOf = new Map<string, Map<string, string>>();
  const files = (host: string) => fsOf.get(host) ?? fsOf.set(host, new Map()).get(host)!;
  const session = (e: SshEndpoint): SshSession =>
    ({
      endpoint: e,
      async upload(p: string, content: string | Buffer) {
        await sleep(1);
        files(e.label).set(p, String(content));
        log.push(`upload ${e.label} ${p}`);
      },
      async download(p: string) {
        const f = files(e.label).get(p);
        if (f === undefined) throw new Error(`no such file ${p}`);
        return Buffer.from(f);
      },
      async exec(command: string, o: ExecOptions = {}) {
        if (command === 'printf %s "$HOME"') return { code: 0, stdout: HOME, stderr: '' };
        const rm = /^rm -f -- (.*)$/.exec(command);
        if (rm) {
          const paths = [...rm[1].matchAll(/'([^']+)'/g)].map((m) => m[1]);
          for (const p of paths) files(e.label).delete(p);
          log.push(`rm ${e.label} ${paths.join(' ')}`);
          return { code: 0, stdout: '', stderr: '' };
        }
        const m = /^'bash' '([^']+)'((?: '[^']*')*)$/.exec(command);
        assert.ok(m, `unexpected command ${command}`);
        const args = [...m[2].matchAll(/'([^']*)'/g)].map((x) => x[1]);
        const behaviour = behaviours[e.label];
        assert.ok(behaviour, `no behaviour for ${e.label}`);
        log.push(`start ${e.label}`);
        const out = (line: string) => {
          log.push(`line ${e.label} ${line}`);
          o.onStdout?.(line);
        };
        const code = await behaviour({ args, out, files: files(e.label), host: e.label });
        log.push(`end ${e.label}`);
        return { code, stdout: '', stderr: '' };
      },
    }) as unknown as SshSession;
  return { log, files, pool: { session: async (e) => session(e), dispose: async () => undefined } };
}

const summary = (host: string, failed = 0) => `::summary role=x host=${host} changed=1 ok=1 skipped=0 failed=${failed}`;

/** A gateway that writes the profiles in its profile step, `after` ms into its run, then runs `tail` ms more. */
function gateway(opts: { before?: number; tail?: number; failAt?: string; profile?: string; code?: string } = {}): Behaviour {
  return async ({ out, files }) => {
    out('::step name=preflight status=ok ms=3');
    await sleep(opts.before ?? 20);
    if (opts.failAt) {
      out(`::step name=${opts.failAt} status=failed${opts.code ? ` code=${opts.code}` : ''} msg="disk on fire" ms=9`);
      out(summary('gateway', 1));
      return 1;
    }
    files.set(DESK_PROFILE, opts.profile ?? PROFILE);
    files.set(`${HOME}/rosvpn-clients/field-pc.ovpn`, CLIENT);
    out(`::step name=${PROFILE_STEP_NAME} status=changed ms=40`);
    await sleep(opts.tail ?? 150);
    out('::step name=cyclonedds status=ok ms=2');
    out(summary('gateway'));
    return 0;
  };
}

const second: Behaviour = async ({ out }) => {
  await sleep(10);
  out('::step name=network status=changed ms=10');
  out(summary('second'));
  return 0;
};

/** Like the desktop's and a client's script: network steps first, then the OpenVPN client waits for its profile. */
function dependent(profilePath: string, want: string): Behaviour {
  return async ({ args, out, files, host }) => {
    out('::step name=network-config status=changed ms=5');
    const waiting = args[0] === WAIT_FOR_PROFILE_ARG;
    const file = waiting ? args[1] : args[0];
    assert.equal(file, profilePath);
    for (let i = 0; waiting && i < 2000; i++) {
      if (files.has(`${file}.failed`)) {
        out(`::step name=openvpn-client status=failed msg="no profile from the gateway: ${files.get(`${file}.failed`)!.trim()}" ms=1`);
        out(summary(host, 1));
        return 1;
      }
      if (files.has(file)) break;
      await sleep(1);
    }
    assert.equal(files.get(file), want, `${host} got another profile than the gateway's`);
    out('::step name=openvpn-client status=changed ms=30');
    out(summary(host));
    return 0;
  };
}

function harmlessScripts(t: ValidTopology): RenderedScript[] {
  const roles: [string, RenderedScript['role']][] = [
    ['gateway', 'gateway'],
    ...t.seconds.map((x): [string, RenderedScript['role']] => [x.name, 'second']),
    ['desktop', 'desktop'],
    ...t.clients.filter((c) => c.host).map((c): [string, RenderedScript['role']] => [c.name, 'client']),
  ];
  return roles.map(([h, role]) => ({ role, hostName: h, fileName: `${h}.sh`, content: '# behaviour in the fake pool\n', embedded: [] }));
}

describe('provision: the desktop and the clients run alongside the gateway', () => {
  const t = loadFixture('clients-2'); // gateway, second, desktop, client field-pc with a host
  const scripts = harmlessScripts(t);
  const at = (log: string[], entry: string) => {
    const i = log.indexOf(entry);
    assert.ok(i >= 0, `${entry} not in:\n${log.join('\n')}`);
    return i;
  };
  const profileStep = `line gateway ::step name=${PROFILE_STEP_NAME} status=changed ms=40`;

  it('start at once; each gets its profile right after the gateway profile step, before the gateway ends', async () => {
    const f = fakePool({
      gateway: gateway(),
      second,
      desktop: dependent(DESK_PROFILE, PROFILE),
      'field-pc': dependent(CLIENT_PROFILE, CLIENT),
    });
    const events: ProvisionEvent[] = [];
    const r = await provision(t, { pool: f.pool, scripts, onEvent: (e) => events.push(e) });
    assert.equal(r.ok, true, JSON.stringify(r.hosts, null, 1));
    const { log } = f;
    const gwEnd = at(log, 'end gateway');
    for (const h of ['desktop', 'field-pc']) {
      assert.ok(at(log, `start ${h}`) < at(log, profileStep), `${h} did not start before the gateway's profile step`);
      assert.ok(at(log, `line ${h} ::step name=network-config status=changed ms=5`) < at(log, profileStep), `${h}'s network steps waited`);
    }
    // The copies: after the profile step, before the gateway's next step (150 ms later) and its end.
    const nextStep = at(log, 'line gateway ::step name=cyclonedds status=ok ms=2');
    for (const p of [`upload desktop ${DESK_PROFILE}`, `upload field-pc ${CLIENT_PROFILE}`]) {
      assert.ok(at(log, profileStep) < at(log, p) && at(log, p) < nextStep, `${p} not right after the profile step:\n${log.join('\n')}`);
    }
    assert.ok(at(log, 'end desktop') < gwEnd, 'the desktop was held until the gateway ended');
    assert.equal(f.files('desktop').get(DESK_PROFILE), PROFILE);
    const line = events.find((e) => e.type === 'line' && e.host === 'desktop' && e.line.kind === 'step');
    assert.deepEqual(line?.type === 'line' ? line.line : undefined, {
      kind: 'step',
      name: 'network-config',
      status: 'changed',
      msg: undefined,
      ms: 5,
    });
  });

  it('a profile left by an earlier run is removed before the script starts (it would be taken for this run)', async () => {
    const f = fakePool({
      gateway: gateway(),
      second,
      desktop: dependent(DESK_PROFILE, PROFILE),
      'field-pc': dependent(CLIENT_PROFILE, CLIENT),
    });
    const stale = fakeProfile({ tag: 'c3RhbGU=' });
    f.files('desktop').set(DESK_PROFILE, stale);
    f.files('desktop').set(`${DESK_PROFILE}.failed`, 'an old failure');
    const r = await provision(t, { pool: f.pool, scripts });
    assert.equal(r.ok, true, JSON.stringify(r.hosts, null, 1));
    assert.ok(at(f.log, `rm desktop ${DESK_PROFILE} ${DESK_PROFILE}.failed`) < at(f.log, 'start desktop'));
  });

  it('the gateway failing before its profile step fails them at once, naming the gateway failure; no profile reaches them', async () => {
    const f = fakePool({
      gateway: gateway({ failAt: 'pki', before: 30 }),
      second,
      desktop: dependent(DESK_PROFILE, PROFILE),
      'field-pc': dependent(CLIENT_PROFILE, CLIENT),
    });
    const started = Date.now();
    const r = await provision(t, { pool: f.pool, scripts });
    assert.ok(Date.now() - started < 1500, 'the desktop waited out its profile instead of failing at once');
    const by = Object.fromEntries(r.hosts.map((h) => [h.label, h]));
    assert.equal(by.gateway.status, 'failed');
    assert.equal(by.second.status, 'changed');
    for (const h of ['desktop', 'field-pc']) {
      assert.equal(by[h].status, 'failed');
      assert.match(
        by[h].error!,
        /^step openvpn-client failed: no profile from the gateway: the gateway failed: step pki failed: disk on fire$/,
      );
      assert.ok(!f.log.some((l) => l === `upload ${h} ${h === 'desktop' ? DESK_PROFILE : CLIENT_PROFILE}`), `${h} got a profile`);
      assert.ok(at(f.log, `start ${h}`) < at(f.log, 'end gateway'), `${h} did not start alongside the gateway`);
    }
    // The marker is removed when the run ends.
    assert.equal(f.files('desktop').has(`${DESK_PROFILE}.failed`), false);
  });

  it('a profile that fails validation never reaches the host; the host fails saying why', async () => {
    const bad = PROFILE.replace('client\n', 'client\nup /bin/sh\n');
    assert.notEqual(bad, PROFILE);
    const f = fakePool({
      gateway: gateway({ profile: bad }),
      second,
      desktop: dependent(DESK_PROFILE, PROFILE),
      'field-pc': dependent(CLIENT_PROFILE, CLIENT),
    });
    const r = await provision(t, { pool: f.pool, scripts });
    const desk = r.hosts.find((h) => h.label === 'desktop')!;
    assert.equal(desk.status, 'failed');
    assert.match(desk.error!, /could not be copied to desktop: .*directive 'up' is not allowed/);
    assert.equal(f.log.includes(`upload desktop ${DESK_PROFILE}`), false, 'an unvalidated profile was uploaded');
    assert.equal(f.files('desktop').has(DESK_PROFILE), false);
    // The client's profile is valid: it ran.
    assert.equal(r.hosts.find((h) => h.label === 'field-pc')!.status, 'changed');
  });

  it('the CA passphrase retry: a locked first run does not fail the desktop; the profile comes from the retry', async () => {
    let runs = 0;
    const locked = gateway({ failAt: 'pki', code: 'CA_LOCKED' });
    const ok = gateway();
    const asked: string[] = [];
    const source: CaPassphraseSource = {
      known: async () => undefined,
      ask: async (need) => {
        asked.push(need);
        await sleep(50); // the user types
        return 'correct horse';
      },
    };
    const f = fakePool({
      gateway: (ctx) => (runs++ === 0 ? locked(ctx) : ok(ctx)),
      second,
      desktop: dependent(DESK_PROFILE, PROFILE),
      'field-pc': dependent(CLIENT_PROFILE, CLIENT),
    });
    const r = await provision(t, { pool: f.pool, scripts, caPassphrase: source });
    assert.equal(r.ok, true, JSON.stringify(r.hosts, null, 1));
    assert.deepEqual(asked, ['unlock']);
    assert.equal(runs, 2);
    assert.ok(at(f.log, 'start desktop') < at(f.log, 'end gateway'), 'the desktop did not start alongside the locked run');
    assert.ok(at(f.log, profileStep) < at(f.log, `upload desktop ${DESK_PROFILE}`));
  });

  it('a rerun: a host holding the current profile runs with it (no wait), once', async () => {
    const f = fakePool({
      gateway: gateway(),
      second,
      desktop: dependent(DESK_PROFILE, PROFILE),
      'field-pc': dependent(CLIENT_PROFILE, CLIENT),
    });
    f.files('gateway').set(DESK_PROFILE, PROFILE);
    f.files('gateway').set(`${HOME}/rosvpn-clients/field-pc.ovpn`, CLIENT);
    f.files('desktop').set(DESK_PROFILE, PROFILE);
    const events: ProvisionEvent[] = [];
    const r = await provision(t, { pool: f.pool, scripts, onEvent: (e) => events.push(e) });
    assert.equal(r.ok, true, JSON.stringify(r.hosts, null, 1));
    assert.equal(events.filter((e) => e.type === 'host-start' && e.host === 'desktop').length, 1);
    assert.equal(f.log.includes(`upload desktop ${DESK_PROFILE}`), false, 'the held profile was copied again');
    assert.equal(
      f.log.some((l) => l.startsWith('rm desktop')),
      false,
    );
  });
});

describe('wait_profile (the desktop and client scripts, run with --wait-for-profile)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-wait-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = (file: string, act: string) =>
    spawnSync(
      'bash',
      [
        '-c',
        `set -euo pipefail\nROLE=desktop\nHOST_NAME=desktop\n${STEP_LIB}\n${renderProfileWait('203.0.113.1')}\n(${act}) &\nstep_begin openvpn-client\nwait_profile\nstep_end\nrm -f "$ROSVPN_TALLY"`,
        'desktop.sh',
        WAIT_FOR_PROFILE_ARG,
        file,
      ],
      { encoding: 'utf8', timeout: 20000 },
    );

  it('returns once the profile is there', () => {
    const file = path.join(dir, 'a.ovpn');
    const r = run(file, `sleep 0.5; printf x > '${file}'`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const ms = Number(/::step name=openvpn-client status=ok ms=(\d+)/.exec(r.stdout)?.[1]);
    assert.ok(ms >= 450, `returned after ${ms} ms, before the file came`);
  });

  it('dies at once on the failure marker, with its reason and the gateway named', () => {
    const file = path.join(dir, 'b.ovpn');
    const r = run(file, `sleep 0.3; printf 'the gateway failed: step pki failed: boom\\n' > '${file}.failed'`);
    assert.equal(r.status, 1);
    assert.match(
      r.stdout,
      /^::step name=openvpn-client status=failed msg="no profile from the gateway \(203\.0\.113\.1\): the gateway failed: step pki failed: boom" ms=\d+$/m,
    );
  });
});

describe('provision --timings', () => {
  it("collects each host's steps with their ms in order, restarts on a host's rerun, and prints sum and wall time", () => {
    const c = timingsCollector();
    const step = (host: string, name: string, ms?: number): ProvisionEvent => ({
      type: 'line',
      host,
      stream: 'stdout',
      line: { kind: 'step', name, status: 'ok', ...(ms === undefined ? {} : { ms }) },
    });
    c.onEvent({ type: 'host-start', host: 'gateway' });
    c.onEvent(step('gateway', 'pki', 5)); // a locked first run: dropped when the gateway runs again
    c.onEvent({ type: 'host-start', host: 'gateway' });
    c.onEvent(step('gateway', 'packages', 120));
    c.onEvent(step('gateway', 'pki', 900));
    c.onEvent({ type: 'host-start', host: 'desktop' });
    c.onEvent(step('desktop', 'old-script')); // a script without ms=
    const report = {
      label: 'gateway',
      role: 'gateway',
      status: 'ok',
      changed: 0,
      ok: 2,
      skipped: 0,
      failed: 0,
      warnings: [],
      durationMs: 1500,
      cpuMs: 140,
    } as const;
    c.onEvent({ type: 'host-done', host: 'gateway', report: { ...report, warnings: [] } });
    assert.deepEqual(c.hosts(), [
      {
        host: 'gateway',
        steps: [
          { name: 'packages', status: 'ok', ms: 120 },
          { name: 'pki', status: 'ok', ms: 900 },
        ],
        totalMs: 1500,
        cpuMs: 140,
      },
      { host: 'desktop', steps: [{ name: 'old-script', status: 'ok', ms: undefined }] },
    ]);
    const table = timingsTable(c.hosts()).join('\n');
    assert.match(
      table,
      /^\[gateway\]\n {2}packages +ok +120\n {2}pki +ok +900\n {2}steps total +1020\n {2}host total \(wall\) +1500\n {2}script CPU +140$/m,
    );
    assert.match(table, /^ {2}old-script +ok +-$/m);
  });
});
