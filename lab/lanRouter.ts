// The robot LAN's router, like the office or home router a desktop gateway sits behind: a namespace on the
// LAN switch that hands out addresses with dnsmasq (DHCP only: no DNS), and with NAT (`--nat`) a second leg
// on the internet switch with a public-like address through which it forwards and masquerades (nftables).
import * as fs from 'fs';
import * as path from 'path';
import { must, run } from './sh';

/** The host addresses of an IPv4 subnet, in order (no network or broadcast address). */
export function subnetHosts(subnet: string): string[] {
  const [net, bits] = subnet.split('/');
  const base = net.split('.').reduce((a, o) => a * 256 + Number(o), 0) >>> 0;
  const size = 2 ** (32 - Number(bits));
  const out: string[] = [];
  for (let n = 1; n < size - 1; n++) {
    const v = base + n;
    out.push([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.'));
  }
  return out;
}

export function inSubnet(ip: string, subnet: string): boolean {
  return subnetHosts(subnet).includes(ip);
}

/** The first address of `prefer` (in order) that is a free host address of the subnet, else the lowest free one. */
export function freeAddress(subnet: string, used: ReadonlySet<string>, prefer: (string | undefined)[] = []): string {
  const hosts = subnetHosts(subnet);
  const ip = [...prefer.filter((p): p is string => !!p && hosts.includes(p)), ...hosts].find((a) => !used.has(a));
  if (!ip) throw new Error(`the robot subnet ${subnet} has no free address left for the lab`);
  return ip;
}

/**
 * The DHCP pool: the longest run of consecutive free addresses of the subnet, at most `max` of them from its
 * start, so that no address the topology, the robot, the router or the controller holds can be leased.
 */
export function dhcpRange(subnet: string, used: ReadonlySet<string>, max = 50): [string, string] {
  const hosts = subnetHosts(subnet);
  let best: [number, number] = [0, -1];
  let start = -1;
  hosts.forEach((h, i) => {
    if (used.has(h)) start = -1;
    else {
      if (start < 0) start = i;
      if (i - start > best[1] - best[0]) best = [start, i];
    }
  });
  if (best[1] < best[0]) throw new Error(`the robot subnet ${subnet} has no free address for a DHCP pool`);
  return [hosts[best[0]], hosts[Math.min(best[1], best[0] + max - 1)]];
}

export interface RouterPlan {
  ns: string;
  lanIf: string;
  lanIp: string;
  prefixLen: string;
  range: [string, string];
  /** With NAT: the leg on the internet switch, its public-like address, and extra routes there (the gateway's public address). */
  wan?: { ifname: string; ip: string; routes: string[] };
  stateDir: string;
}

export const LEASE_SECONDS = 120;

/** dnsmasq as the LAN's DHCP server (router option = itself, short lease, lease and log files in the lab's state dir). */
export function startDhcp(p: RouterPlan): void {
  must('ip', [
    'netns',
    'exec',
    p.ns,
    'dnsmasq',
    '--conf-file=/dev/null',
    '--port=0',
    `--interface=${p.lanIf}`,
    '--bind-interfaces',
    '--user=root',
    '--dhcp-authoritative',
    `--dhcp-range=${p.range[0]},${p.range[1]},${LEASE_SECONDS}s`,
    `--dhcp-option=option:router,${p.lanIp}`,
    `--dhcp-leasefile=${path.join(p.stateDir, 'dnsmasq.leases')}`,
    `--pid-file=${path.join(p.stateDir, 'dnsmasq.pid')}`,
    '--log-dhcp',
    `--log-facility=${path.join(p.stateDir, 'dnsmasq.log')}`,
  ]);
}

/** The router's NAT, as a home router does it: forward LAN -> WAN and replies, masquerade on the WAN leg, nothing in. */
export function natRuleset(lanIf: string, wanIf: string): string {
  return [
    'table ip rosvpnlab {',
    '  chain postrouting {',
    '    type nat hook postrouting priority 100; policy accept;',
    `    oifname "${wanIf}" counter masquerade`,
    '  }',
    '  chain forwarding {',
    '    type filter hook forward priority 0; policy drop;',
    '    ct state established,related counter accept',
    `    iifname "${lanIf}" oifname "${wanIf}" counter accept`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export function startNat(p: RouterPlan): void {
  if (!p.wan) return;
  must('ip', ['netns', 'exec', p.ns, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  must('ip', ['netns', 'exec', p.ns, 'nft', '-f', '-'], { input: natRuleset(p.lanIf, p.wan.ifname) });
}

/** The packets the router masqueraded so far (the counter of its masquerade rule), or undefined without NAT. */
export function masqueradedPackets(ns: string): number | undefined {
  const r = run('ip', ['netns', 'exec', ns, 'nft', 'list', 'chain', 'ip', 'rosvpnlab', 'postrouting']);
  const m = /counter packets (\d+) bytes \d+ masquerade/.exec(r.stdout);
  return m ? Number(m[1]) : undefined;
}

/** The leases dnsmasq has handed out: `expiry mac ip hostname client-id` lines. */
export function leases(stateDir: string): { mac: string; ip: string; host: string }[] {
  const f = path.join(stateDir, 'dnsmasq.leases');
  if (!fs.existsSync(f)) return [];
  return fs
    .readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '))
    .map((x) => ({ mac: x[1], ip: x[2], host: x[3] }));
}
