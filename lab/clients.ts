// The clients in the lab (issue I): each client is a host on the internet side that joins the robot LAN through
// its own tunnel and tap (rosvpn0) with its own certificate. Proves DDS both ways between the robot and every
// client and between every client and every second; then revokes one client with the core API and proves the
// gateway refuses it (a verify/CRL error for its CN in the logs, its tap never gets its address again, DDS to
// it stops) while the desktop and the other clients keep flowing, without having been disconnected.
import * as path from 'path';
import { OPENVPN_CLIENT_UNIT, OPENVPN_SERVER_UNIT } from '../src/core/render/openvpn';
import { CYCLONEDDS_XML } from '../src/core/render/cyclonedds';
import { CLIENT_TAP, type ValidTopology } from '../src/core/topology/types';
import { controllerArgv, ddsFlow, type DdsSide, type FlowResult, hostSide, labCaPassphrase, robotSide } from './demo';
import { Lab, type LabHost, type LabState } from './lab';
import { run } from './sh';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The lab's client hosts, in the topology's order. */
export function clientHosts(s: LabState): LabHost[] {
  return s.hosts.filter((h) => h.role === 'client');
}

function vpnAddress(t: ValidTopology, name: string): string {
  const c = t.clients.find((x) => x.name === name);
  if (!c) throw new Error(`no client ${name} in the topology`);
  return c.vpnIp.split('/')[0];
}

/** The addresses rosvpn0 holds in a client host; undefined when there is no rosvpn0 at all. */
export function tapAddresses(h: LabHost): string[] | undefined {
  const r = Lab.inHost(h, ['ip', '-o', '-4', 'addr', 'show', 'dev', CLIENT_TAP]);
  if (r.status !== 0) return undefined;
  return [...r.stdout.matchAll(/ inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]);
}

/**
 * A client's DDS endpoint: ddsperf with the CycloneDDS config provisioning installed (the same file as on the
 * other hosts), after checking that the config is pinned to the client's tap and nothing else.
 */
export function clientSide(h: LabHost): DdsSide {
  const xml = Lab.inHost(h, ['cat', CYCLONEDDS_XML]).stdout;
  const names = [...xml.matchAll(/<NetworkInterface name="([^"]+)"/g)].map((m) => m[1]);
  if (names.join() !== CLIENT_TAP) {
    throw new Error(`${h.name}: ${CYCLONEDDS_XML} must name exactly the interface ${CLIENT_TAP}, it names: ${names.join(', ') || 'none'}`);
  }
  return hostSide(h);
}

/** Lines of a unit's journal in a lab host since `since` (epoch seconds), message text only. */
export function journalSince(h: LabHost, unit: string, since: number): string[] {
  const r = Lab.inHost(h, ['journalctl', '--no-pager', '-q', '-o', 'cat', '-u', unit, '--since', `@${since}`]);
  return r.stdout.split('\n').filter(Boolean);
}

const flowText = (f: FlowResult) => `${f.samples}/${f.lost}`;

export interface ClientRow {
  name: string;
  ok: boolean;
  line: string;
}

/** DDS robot <-> client both ways, then client <-> each second both ways: one row per client. */
export async function proveClient(s: LabState, h: LabHost, seconds: LabHost[], dur = 3): Promise<ClientRow> {
  const robot = robotSide(s);
  const client = clientSide(h);
  const up = await ddsFlow(client, robot, { seconds: dur });
  const down = await ddsFlow(robot, client, { seconds: dur });
  const parts = [`${h.name}->robot ${flowText(up)} lost`, `robot->${h.name} ${flowText(down)} lost`];
  let ok = up.ok && down.ok;
  for (const sec of seconds) {
    const a = await ddsFlow(client, hostSide(sec), { seconds: dur });
    const b = await ddsFlow(hostSide(sec), client, { seconds: dur });
    ok &&= a.ok && b.ok;
    parts.push(`${h.name}<->${sec.name} ${flowText(a)} ${flowText(b)} lost`);
  }
  return { name: h.name, ok, line: `  robot <-> ${h.name.padEnd(12)} ${ok ? 'PASS' : 'FAIL'}  ${parts.join('   ')}` };
}

/** The desktop's path (robot <-> the first second, through the desktop's tunnel), both ways. */
export async function proveDesktopPath(s: LabState, dur = 3): Promise<ClientRow> {
  const second = s.hosts.find((h) => h.role === 'second');
  if (!second) throw new Error('the lab has no second');
  const robot = robotSide(s);
  const up = await ddsFlow(hostSide(second), robot, { seconds: dur });
  const down = await ddsFlow(robot, hostSide(second), { seconds: dur });
  const ok = up.ok && down.ok;
  return {
    name: 'desktop',
    ok,
    line: `  desktop (robot <-> ${second.name}) ${ok ? 'PASS' : 'FAIL'}  ${second.name}->robot ${flowText(up)} lost   robot->${second.name} ${flowText(down)} lost`,
  };
}

/**
 * Runs one operation of the core API (lab/coreRun.ts, in process, not the CLI) inside the controller
 * namespace: only there are the lab hosts reachable. The request, which holds the CA passphrase, goes
 * through stdin; the answer is the last stdout line, JSON.
 */
export function coreRun(s: LabState, request: { op: 'revoke'; name: string }): { ok: boolean; out: string; result?: unknown } {
  const root = path.resolve(__dirname, '..');
  const argv = controllerArgv(s, []).slice(0, -1); // the controller's env and node, without the CLI
  const r = run(
    argv[0],
    [
      ...argv.slice(1),
      '--require',
      require.resolve('tsx/cjs'),
      '--require',
      path.join(root, 'scripts', 'register-text.cjs'),
      path.join(root, 'lab', 'coreRun.ts'),
    ],
    {
      cwd: s.stateDir,
      input: JSON.stringify({
        ...request,
        topologyFile: s.topologyFile,
        knownHosts: s.knownHosts,
        passphrase: labCaPassphrase(s).passphrase,
      }),
    },
  );
  const last = r.stdout.trim().split('\n').pop() ?? '';
  let result: { ok?: boolean } | undefined;
  try {
    result = JSON.parse(last) as { ok?: boolean };
  } catch {
    result = undefined;
  }
  return { ok: r.status === 0 && result?.ok === true, out: `${r.stdout}${r.stderr}`, result };
}

/** Signs that the gateway refused a certificate, in an OpenVPN log line. */
const REFUSAL = /VERIFY ERROR|CRL|certificate revoked|revoked|certificate verify failed/i;

export interface RevokeProof {
  name: string;
  ok: boolean;
  /** The line to print: `revoked NAME: refused (…)` or `revoked NAME: NOT refused (…)`. */
  line: string;
  /** Every check, passed or not, for the details. */
  checks: { what: string; ok: boolean; detail: string }[];
  /** The desktop's and the other clients' DDS after the revocation. */
  others: ClientRow[];
}

/** The PID of the gateway's OpenVPN server (0 when it is not running): the same PID means no restart. */
function serverPid(gw: LabHost): number {
  const r = Lab.inHost(gw, ['systemctl', 'show', '-p', 'MainPID', '--value', OPENVPN_SERVER_UNIT]);
  return Number(r.stdout.trim()) || 0;
}

/**
 * DDS robot -> the revoked client must stop, checked as a negative: the robot's publisher runs, and the
 * client's subscriber, with the config that received samples before, gets none. A subscriber that cannot
 * start counts only when rosvpn0 holds no address (nothing can bind to it); any other failure is an error.
 */
async function ddsStopped(s: LabState, h: LabHost, dur: number): Promise<{ ok: boolean; detail: string }> {
  const robot = robotSide(s);
  try {
    const f = await ddsFlow(robot, clientSide(h), { seconds: dur });
    return { ok: f.samples === 0, detail: `robot->${h.name}: ${f.samples} samples received` };
  } catch (e) {
    const msg = (e as Error).message;
    const addrs = tapAddresses(h);
    if (msg.includes(`on ${h.name} `) && !addrs?.length) {
      return {
        ok: true,
        detail: `robot->${h.name}: ${CLIENT_TAP} ${addrs ? 'holds no address' : 'is gone'}, its subscriber cannot bind (${msg})`,
      };
    }
    throw e;
  }
}

/** Watches rosvpn0 for `ms`: the address must never come back. */
async function tapStaysDown(h: LabHost, ip: string, ms: number): Promise<{ ok: boolean; detail: string }> {
  const end = Date.now() + ms;
  const seen = new Set<string>();
  while (Date.now() < end) {
    const a = tapAddresses(h);
    seen.add(a === undefined ? 'absent' : a.length ? a.join(',') : 'no address');
    if (a?.includes(ip)) return { ok: false, detail: `${CLIENT_TAP} got ${ip} again` };
    await sleep(1000);
  }
  return { ok: true, detail: `${CLIENT_TAP} never got ${ip} in ${ms / 1000} s (seen: ${[...seen].join(', ')})` };
}

/** The first log line that shows the gateway refusing `name`'s certificate: the server's, else the client's. */
function refusalEvidence(gw: LabHost, h: LabHost, name: string, since: number): string | undefined {
  const cn = new RegExp(`CN=${name.replace(/-/g, '\\-')}(?![a-z0-9-])`);
  const server = journalSince(gw, OPENVPN_SERVER_UNIT, since).find((l) => REFUSAL.test(l) && cn.test(l));
  if (server) return `gateway: ${server.trim()}`;
  const client = journalSince(h, OPENVPN_CLIENT_UNIT, since).find((l) => REFUSAL.test(l) || /SSL alert/.test(l));
  return client ? `${name}: ${client.trim()}` : undefined;
}

/**
 * Revokes `name` with the core API and proves the gateway refuses it, while the desktop and every other
 * client keep flowing and were not disconnected (the server was not restarted: same PID, and no other
 * tunnel logged a new connection since).
 */
// long: one proof, step by step, in the order the demo prints it
export async function revokeAndProve(
  s: LabState,
  t: ValidTopology,
  name: string,
  log: (l: string) => void = () => undefined,
): Promise<RevokeProof> {
  const gw = s.hosts.find((h) => h.role === 'gateway')!;
  const h = clientHosts(s).find((x) => x.name === name);
  if (!h) throw new Error(`no lab host for client ${name}`);
  const ip = vpnAddress(t, name);
  const checks: RevokeProof['checks'] = [];
  const check = (what: string, ok: boolean, detail: string) => checks.push({ what, ok, detail });
  const pidBefore = serverPid(gw);
  const since = Math.floor(Date.now() / 1000) - 1;

  log(`revoking ${name} with the core API (revokeClient), from the controller namespace`);
  const r = coreRun(s, { op: 'revoke', name });
  for (const l of r.out
    .trim()
    .split('\n')
    .filter((x) => x.startsWith('[')))
    log(`  ${l}`);
  check('revokeClient succeeded', r.ok, r.ok ? JSON.stringify(r.result) : r.out.trim().split('\n').slice(-8).join(' | '));

  // At once, with no restart anywhere: the live session is gone, so DDS to it stops.
  const stopped = await ddsStopped(s, h, 4);
  check('DDS to it stops', stopped.ok, stopped.detail);

  // Its OpenVPN tries again from scratch (as at its next boot), is refused, and its tap never gets the address.
  Lab.inHost(h, ['systemctl', 'restart', OPENVPN_CLIENT_UNIT]);
  const tap = await tapStaysDown(h, ip, 20000);
  check(`${CLIENT_TAP} never gets ${ip} again`, tap.ok, tap.detail);

  const evidence = refusalEvidence(gw, h, name, since);
  check(
    `a verify/CRL error for CN=${name} in the logs`,
    !!evidence,
    evidence ?? 'no such line in the gateway or client log since the revocation',
  );

  const pidAfter = serverPid(gw);
  check('the OpenVPN server was not restarted', pidBefore > 0 && pidBefore === pidAfter, `MainPID ${pidBefore} -> ${pidAfter}`);
  const others = s.hosts.filter((x) => x.role === 'desktop' || (x.role === 'client' && x.name !== name));
  for (const o of others) {
    const again = journalSince(o, OPENVPN_CLIENT_UNIT, since).filter((l) => /Initialization Sequence Completed/.test(l));
    check(`${o.name} was not disconnected`, again.length === 0, again.length ? `${o.name} reconnected: ${again[0]}` : 'no reconnection');
  }

  const rows: ClientRow[] = [await proveDesktopPath(s)];
  const seconds = s.hosts.filter((x) => x.role === 'second');
  for (const o of clientHosts(s).filter((x) => x.name !== name)) rows.push(await proveClient(s, o, seconds));
  for (const row of rows) check(`${row.name} keeps flowing`, row.ok, row.line.trim());

  const ok = checks.every((c) => c.ok);
  const failed = checks.filter((c) => !c.ok).map((c) => `${c.what}: ${c.detail}`);
  const line = ok ? `revoked ${name}: refused (${evidence})` : `revoked ${name}: NOT refused as required (${failed.join('; ')})`;
  return { name, ok, line, checks, others: rows };
}
