// Starting points for a rosvpn.json: the starter example, or the original guide's four environment variables.
// Never import `vscode` here.

import { parseCidr, parseIpv4 } from './ipv4';
import { checkHostileString, show, type StringPolicy } from './text';
import type { Diagnostic, SecondConfig, TopologyDocument } from './types';
import { validateTopology } from './validate';

/** The starter topology: the original guide's example deployment, with documentation addresses (RFC 5737) where
 * the guide had a real public one, so a starter copied as is never points at somebody's host. Valid; set
 * gateway.publicAddress to yours. */
export function starterTopology(name = 'demo'): TopologyDocument {
  return {
    name,
    robotSubnet: '192.168.0.0/24',
    tunnel: 'vxlan',
    ssh: { user: 'ubuntu', identityFile: '~/.ssh/id_ed25519' },
    gateway: {
      host: 'ros-openvpn',
      publicAddress: '203.0.113.10',
      cloudIp: '172.31.1.11',
      vpnIp: '192.168.0.130/24',
      openvpnPort: 1194,
    },
    seconds: [{ name: 'second', host: '172.31.1.12', cloudIp: '172.31.1.12', vpnIp: '192.168.0.131/24' }],
    desktop: { host: 'localhost', lanInterface: 'eno1' },
  };
}

/** The original guide's variables, plus two optional ones of ours. */
export const ENV = {
  gatewayCloudIp: 'ROSVPN_GATEWAY_CLOUD_IP',
  secondCloudIp: 'ROSVPN_SECOND_CLOUD_IP',
  gatewayVpnIp: 'ROSVPN_GATEWAY_VPN_IP',
  secondVpnIp: 'ROSVPN_SECOND_VPN_IP',
  gatewayHost: 'ROSVPN_GATEWAY_HOST',
  gatewayPublicIp: 'ROSVPN_GATEWAY_PUBLIC_IP',
} as const;

/** The guide's example values, used in fixes. */
const EXAMPLE: Record<string, string> = {
  [ENV.gatewayCloudIp]: '172.31.1.11',
  [ENV.secondCloudIp]: '172.31.1.12',
  [ENV.gatewayVpnIp]: '192.168.0.130/24',
  [ENV.secondVpnIp]: '192.168.0.131/24',
  [ENV.gatewayHost]: 'ros-openvpn',
  [ENV.gatewayPublicIp]: '203.0.113.10',
};

/** The ssh alias the guide uses for the cloud gateway. */
export const DEFAULT_GATEWAY_HOST = 'ros-openvpn';

export interface FromEnvResult {
  /** Set when there is no error diagnostic. */
  topology?: TopologyDocument;
  /** Paths are variable names where the problem is in a variable (`ROSVPN_SECOND_VPN_IP`). */
  diagnostics: Diagnostic[];
}

/** The name of the i-th second (0-based): second, second-2, second-3, ... */
export function secondName(i: number): string {
  return i === 0 ? 'second' : `second-${i + 1}`;
}

function exportLine(name: string, value: string): string {
  return /^[A-Za-z0-9._/:,-]+$/.test(value) ? `export ${name}=${value}` : `export ${name}="${value}"`;
}

type Report = (variable: string, message: string, fix: string) => void;

/** One variable, trimmed and checked for hostile text; a problem is reported and gives undefined. */
function readVariable(
  env: Record<string, string | undefined>,
  report: Report,
  variable: string,
  required: boolean,
  policy: StringPolicy,
): string | undefined {
  const rawValue: unknown = env[variable];
  if (typeof rawValue !== 'string' || rawValue.trim() === '') {
    if (required) report(variable, 'not set', exportLine(variable, EXAMPLE[variable] as string));
    return undefined;
  }
  const value = rawValue.trim();
  const problem = checkHostileString(value, policy);
  if (problem) {
    report(variable, problem.message, `${problem.fix}, e.g. ${exportLine(variable, EXAMPLE[variable] as string)}`);
    return undefined;
  }
  return value;
}

type ItemParse = (item: string) => { ok: true; value: string } | { ok: false; problem: string; suggestion?: string };

/** A comma- or space-separated list, each item parsed; any bad item is reported (with the fixed list when every
 * bad item has a suggestion) and the list is then undefined. */
function parseList(report: Report, variable: string, text: string | undefined, parse: ItemParse): string[] | undefined {
  const items = text === undefined ? undefined : text.split(/[\s,]+/).filter((s) => s !== '');
  if (!items) return undefined;
  if (items.length === 0) {
    report(variable, 'holds no addresses', exportLine(variable, EXAMPLE[variable] as string));
    return undefined;
  }
  const out: string[] = [];
  const fixed: string[] = [];
  let bad = false;
  let fixable = true;
  items.forEach((item, i) => {
    const r = parse(item);
    if (r.ok) {
      out.push(r.value);
      fixed.push(r.value);
      return;
    }
    bad = true;
    if (r.suggestion === undefined) fixable = false;
    fixed.push(r.suggestion ?? item);
    const where = items.length > 1 ? `item ${i + 1}: ` : '';
    report(
      variable,
      `${where}${show(item)} ${r.problem}`,
      exportLine(
        variable,
        fixable && r.suggestion !== undefined ? fixed.concat(items.slice(i + 1)).join(',') : (EXAMPLE[variable] as string),
      ),
    );
  });
  return bad ? undefined : out;
}

/** The values read from the variables, each parsed (undefined where a problem was reported). */
interface EnvValues {
  gatewayCloudIp?: string;
  gatewayVpnIp?: string;
  robotSubnet?: string;
  secondCloudIps?: string[];
  secondVpnIps?: string[];
  hostText?: string;
  publicText?: string;
}

function readGatewayCloudIp(report: Report, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const p = parseIpv4(text);
  if (p.ok) return p.text;
  report(
    ENV.gatewayCloudIp,
    `${show(text)} ${p.problem}`,
    exportLine(ENV.gatewayCloudIp, p.suggestion ?? (EXAMPLE[ENV.gatewayCloudIp] as string)),
  );
  return undefined;
}

/** The gateway's VPN IP, and the robot subnet and prefix length derived from it. */
function readGatewayVpnIp(report: Report, text: string | undefined): { vpnIp?: string; robotSubnet?: string; prefix: number } {
  if (text === undefined) return { prefix: 24 };
  const p = parseCidr(text, 24);
  if (p.ok) return { vpnIp: p.text, robotSubnet: p.networkText, prefix: p.prefix };
  const what = p.missingPrefix
    ? `${show(text)} has no prefix length (/NN); the robot subnet is derived from it`
    : `${show(text)} ${p.problem}`;
  report(ENV.gatewayVpnIp, what, exportLine(ENV.gatewayVpnIp, p.suggestion ?? (EXAMPLE[ENV.gatewayVpnIp] as string)));
  return { prefix: 24 };
}

function readEnv(env: Record<string, string | undefined>, report: Report): EnvValues {
  const read = (variable: string, required: boolean, policy: StringPolicy) => readVariable(env, report, variable, required, policy);
  const single: StringPolicy = { maxLength: 64 };
  const list: StringPolicy = { maxLength: 4096 };
  const gwCloudText = read(ENV.gatewayCloudIp, true, single);
  const gwVpnText = read(ENV.gatewayVpnIp, true, single);
  const secCloudText = read(ENV.secondCloudIp, true, list);
  const secVpnText = read(ENV.secondVpnIp, true, list);
  const hostText = read(ENV.gatewayHost, false, { maxLength: 253, sshArgument: true });
  const publicText = read(ENV.gatewayPublicIp, false, { maxLength: 253 });

  const gatewayCloudIp = readGatewayCloudIp(report, gwCloudText);
  const { vpnIp: gatewayVpnIp, robotSubnet, prefix } = readGatewayVpnIp(report, gwVpnText);
  const secondCloudIps = parseList(report, ENV.secondCloudIp, secCloudText, (item) => {
    const p = parseIpv4(item);
    return p.ok ? { ok: true, value: p.text } : p;
  });
  const secondVpnIps = parseList(report, ENV.secondVpnIp, secVpnText, (item) => {
    const p = parseCidr(item, prefix);
    if (p.ok) return { ok: true, value: p.text };
    return p.missingPrefix ? { ...p, problem: 'has no prefix length (/NN)' } : p;
  });
  if (secondCloudIps && secondVpnIps && secondCloudIps.length !== secondVpnIps.length) {
    const n = secondCloudIps.length;
    report(
      ENV.secondVpnIp,
      `lists ${secondVpnIps.length} address${secondVpnIps.length === 1 ? '' : 'es'} but ${ENV.secondCloudIp} lists ${n}`,
      `give one VPN IP per second instance, in the same order as ${ENV.secondCloudIp}`,
    );
  }
  return { gatewayCloudIp, gatewayVpnIp, robotSubnet, secondCloudIps, secondVpnIps, hostText, publicText };
}

function envTopology(v: Required<Omit<EnvValues, 'hostText' | 'publicText'>> & EnvValues, name: string): TopologyDocument {
  const starter = starterTopology(name);
  const seconds: SecondConfig[] = v.secondCloudIps.map((cloudIp, i) => ({
    name: secondName(i),
    host: cloudIp,
    jump: 'gateway',
    cloudIp,
    vpnIp: v.secondVpnIps[i] as string,
  }));
  return {
    name,
    robotSubnet: v.robotSubnet,
    tunnel: 'vxlan',
    ...(starter.ssh ? { ssh: starter.ssh } : {}),
    gateway: {
      host: v.hostText ?? DEFAULT_GATEWAY_HOST,
      ...(v.publicText !== undefined ? { publicAddress: v.publicText } : {}),
      cloudIp: v.gatewayCloudIp,
      vpnIp: v.gatewayVpnIp,
      openvpnPort: 1194,
    },
    seconds,
    ...(starter.desktop ? { desktop: starter.desktop } : {}),
  };
}

/** The validation's diagnostics, with a field that came from a variable named by that variable. */
function byVariable(diagnostics: readonly Diagnostic[], secondCount: number, hostFromEnv: boolean): Diagnostic[] {
  const fromVariable = (path: string): { variable: string; item?: number } | undefined => {
    if (path === 'gateway.cloudIp') return { variable: ENV.gatewayCloudIp };
    if (path === 'gateway.vpnIp' || path === 'robotSubnet') return { variable: ENV.gatewayVpnIp };
    if (path === 'gateway.publicAddress') return { variable: ENV.gatewayPublicIp };
    if (path === 'gateway.host' && hostFromEnv) return { variable: ENV.gatewayHost };
    const m = /^seconds\[(\d+)\]\.(cloudIp|host|vpnIp)$/.exec(path);
    if (m) return { variable: m[2] === 'vpnIp' ? ENV.secondVpnIp : ENV.secondCloudIp, item: Number(m[1]) };
    return undefined;
  };
  const describe = (path: string): string => {
    const v = fromVariable(path);
    if (!v) return path;
    return v.item !== undefined && secondCount > 1 ? `${v.variable} item ${v.item + 1}` : v.variable;
  };
  return diagnostics.map((d) => {
    const v = fromVariable(d.path);
    if (!v) return d;
    const where = v.item !== undefined && secondCount > 1 ? `item ${v.item + 1}: ` : '';
    // Name other fields by their variables too ("is already used by ROSVPN_GATEWAY_VPN_IP").
    const message = d.message.replace(
      /\b(gateway\.(?:cloudIp|vpnIp|publicAddress|host)|seconds\[\d+\]\.(?:cloudIp|host|vpnIp)|robotSubnet(?= ))/g,
      (p) => (p === 'robotSubnet' ? 'the robot subnet' : describe(p)),
    );
    const fix =
      d.path === 'gateway.publicAddress' && d.severity === 'warning'
        ? `${d.fix ?? ''}, e.g. ${exportLine(ENV.gatewayPublicIp, EXAMPLE[ENV.gatewayPublicIp] as string)}`
        : d.fix;
    return { ...d, path: v.variable, message: `${where}${message}`, ...(fix !== undefined ? { fix } : {}) };
  });
}

/**
 * Build a topology from the original guide's variables: ROSVPN_GATEWAY_CLOUD_IP, ROSVPN_SECOND_CLOUD_IP,
 * ROSVPN_GATEWAY_VPN_IP, ROSVPN_SECOND_VPN_IP (the SECOND ones may hold comma- or space-separated lists of
 * equal length, one entry per second instance), and optionally ROSVPN_GATEWAY_HOST (default ros-openvpn, the
 * guide's ssh alias) and ROSVPN_GATEWAY_PUBLIC_IP. The robot subnet is the gateway VPN IP's network. The
 * result is validated; diagnostics about a value that came from a variable name the variable.
 */
export function topologyFromEnv(env: Record<string, string | undefined>, name = 'demo'): FromEnvResult {
  const diagnostics: Diagnostic[] = [];
  const report: Report = (variable, message, fix) => {
    diagnostics.push({ severity: 'error', path: variable, message, fix });
  };
  const v = readEnv(env, report);
  const { gatewayCloudIp, gatewayVpnIp, robotSubnet, secondCloudIps, secondVpnIps } = v;
  if (diagnostics.length > 0 || !gatewayCloudIp || !gatewayVpnIp || !robotSubnet || !secondCloudIps || !secondVpnIps) {
    return { diagnostics };
  }
  const topology = envTopology({ ...v, gatewayCloudIp, gatewayVpnIp, robotSubnet, secondCloudIps, secondVpnIps }, name);
  // Validate, and point at the variable that a bad field came from.
  const result = validateTopology(topology);
  diagnostics.push(...byVariable(result.diagnostics, secondCloudIps.length, v.hostText !== undefined));
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return { topology, diagnostics };
}
