// The demo flow on the lab: provision every host with the real CLI from the controller namespace, fetch
// the client profile as a user would, then prove DDS between the robot and every second (and between
// seconds) with CycloneDDS ddsperf: default multicast discovery on domain 0, no peer lists.
import * as fs from 'fs';
import * as path from 'path';
import { starterTopology } from '../src/core/topology/init';
import type { ValidTopology } from '../src/core/topology/types';
import { formatDiagnostic, validateTopology } from '../src/core/topology/validate';
import { Lab, type LabHost, type LabState } from './lab';
import { run, type RunResult, start } from './sh';

export const CLI = path.resolve(__dirname, '..', 'dist', 'cli.js');

/** The topology for the lab: a file, or the starter; `seconds` replaces the seconds with N generated ones. */
export function loadLabTopology(file?: string, seconds?: number, print: (l: string) => void = console.log): ValidTopology | undefined {
  const raw = (file ? JSON.parse(fs.readFileSync(path.resolve(file), 'utf8')) : starterTopology()) as {
    gateway: { cloudIp?: unknown; vpnIp?: unknown };
    seconds?: unknown[];
  };
  if (seconds !== undefined) {
    const cloud = String(raw.gateway.cloudIp).split('.').map(Number);
    const [vpnAddr, bits] = String(raw.gateway.vpnIp).split('/');
    const vpn = vpnAddr.split('.').map(Number);
    raw.seconds = Array.from({ length: seconds }, (_, i) => ({
      name: i === 0 ? 'second' : `second-${i + 1}`,
      host: 'lab',
      cloudIp: [cloud[0], cloud[1], cloud[2], cloud[3] + 1 + i].join('.'),
      vpnIp: `${[vpn[0], vpn[1], vpn[2], vpn[3] + 1 + i].join('.')}/${bits}`,
    }));
  }
  const r = validateTopology(raw);
  for (const d of r.diagnostics) print(formatDiagnostic(d, file ? path.basename(file) : 'rosvpn.json (starter)'));
  if (r.topology && r.topology.tunnel !== 'vxlan') {
    print(
      `tunnel ${r.topology.tunnel}: this machine's kernel has no GRE support ("Unknown device type"), so the lab cannot run gretap; use "tunnel": "vxlan"`,
    );
    return undefined;
  }
  return r.topology;
}

/** Runs the built CLI inside the controller namespace, exactly as a user would against cloud hosts. */
/** The argv that runs the CLI in the controller namespace (no default route), with the lab's HOME. */
export function controllerArgv(s: LabState, args: string[]): string[] {
  return ['ip', 'netns', 'exec', s.controllerNs, 'env', `HOME=${s.stateDir}`, 'SSH_AUTH_SOCK=', process.execPath, CLI, ...args];
}

export function controllerCli(s: LabState, args: string[]): RunResult {
  const [cmd, ...rest] = controllerArgv(s, args);
  return run(cmd, rest, { cwd: s.stateDir });
}

export function sshArgs(s: LabState): string[] {
  return ['--accept-new', '--known-hosts', s.knownHosts];
}

/** A DDS endpoint: the robot (its config names only its own NIC), or a lab host using the config
 * that provisioning installed there (/etc/rosvpn/cyclonedds.xml, pinned to rosbridge). */
export type DdsSide = { label: string; argv: string[] };

export function robotSide(s: LabState): DdsSide {
  const uri = `<CycloneDDS><Domain><General><Interfaces><NetworkInterface name="${s.robotIf}"/></Interfaces></General></Domain></CycloneDDS>`;
  return { label: 'robot', argv: ['ip', 'netns', 'exec', s.robotNs, 'env', `CYCLONEDDS_URI=${uri}`, 'ddsperf'] };
}

export function hostSide(h: LabHost): DdsSide {
  return {
    label: h.name,
    argv: [
      'nsenter',
      '-t',
      String(Lab.initPid(h)),
      '-m',
      '-u',
      '-i',
      '-n',
      '-p',
      '--',
      'env',
      'CYCLONEDDS_URI=file:///etc/rosvpn/cyclonedds.xml',
      'ddsperf',
    ],
  };
}

/**
 * Runs one ddsperf to its end and returns its output; a ddsperf that cannot start (missing, bad config, no
 * such interface) or fails is an error naming it, never an empty result that reads as "0 samples".
 */
async function ddsperf(side: DdsSide, args: string[]): Promise<string> {
  const { status, out } = await start([...side.argv, ...args]).done;
  if (status !== 0) {
    throw new Error(
      `ddsperf ${args.filter((a) => !/^-/.test(a) && !/^\d+$/.test(a)).join(' ')} on ${side.label} exited ${status}: ${out.trim().split('\n').slice(-3).join(' | ') || 'no output'}`,
    );
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FlowResult {
  from: string;
  to: string;
  size: number;
  samples: number;
  lost: number;
  ok: boolean;
}

/** `pub` on one side, `sub` on the other, for `seconds` s; ok when samples arrived and none were lost. */
export async function ddsFlow(
  from: DdsSide,
  to: DdsSide,
  opts: { seconds?: number; size?: number; rate?: string } = {},
): Promise<FlowResult> {
  const seconds = opts.seconds ?? 4;
  const size = opts.size ?? 64;
  const sub = ddsperf(to, ['-D', String(seconds + 2), 'sub']);
  sub.catch(() => undefined); // awaited below; a failure before the publisher ends must not go unhandled
  await sleep(300);
  await ddsperf(from, ['-D', String(seconds), 'pub', opts.rate ?? '100Hz', 'size', String(size)]);
  const out = await sub;
  let samples = 0;
  let lost = 0;
  for (const m of out.matchAll(/size \d+ total (\d+) lost (\d+)/g)) {
    samples = Number(m[1]);
    lost = Number(m[2]);
  }
  return { from: from.label, to: to.label, size, samples, lost, ok: samples > 0 && lost === 0 };
}

/** ddsperf ping from `from` against pong on `to`: the mean DDS round trip in microseconds. */
export async function ddsRoundTrip(from: DdsSide, to: DdsSide, seconds = 4): Promise<number | undefined> {
  const pong = ddsperf(to, ['-D', String(seconds + 2), 'pong']);
  pong.catch(() => undefined);
  await sleep(300);
  const out = await ddsperf(from, ['-D', String(seconds), 'ping', '50Hz']);
  await pong;
  const means = [...out.matchAll(/ mean ([\d.]+)us /g)].map((m) => Number(m[1]));
  return means.length ? means[means.length - 1] : undefined;
}

/** A don't-fragment ping with a 1472-byte payload (a full 1500-byte frame) from the robot. */
export function robotMtuPing(s: LabState, ip: string): boolean {
  return run('ip', ['netns', 'exec', s.robotNs, 'ping', '-c', '2', '-W', '2', '-M', 'do', '-s', '1472', ip]).status === 0;
}
