// Small edits the UI offers on a valid topology: the next second instance (name and free addresses
// suggested) and the guide's `export ROSVPN_...=...` lines pasted as text. Never imports `vscode`.
import { firstFreeAddress, parseCidr, parseIpv4 } from './ipv4';
import { secondName } from './init';
import type { SecondConfig, ValidTopology } from './types';

/** A new second with the next free name, cloud address (cloud subnet, else the gateway's /24) and VPN address. */
export function suggestSecond(t: ValidTopology): SecondConfig {
  const names = new Set(t.seconds.map((s) => s.name));
  let i = t.seconds.length;
  while (names.has(secondName(i))) i++;
  const usedCloud = new Set([t.gateway.cloudIp, ...t.seconds.map((s) => s.cloudIp)]);
  const cloudNet = parseCidr(t.cloudSubnet ?? `${t.gateway.cloudIp}/24`);
  const lastCloud = parseIpv4(t.seconds.at(-1)?.cloudIp ?? t.gateway.cloudIp);
  const cloudIp = cloudNet.ok ? firstFreeAddress(cloudNet, usedCloud, lastCloud.ok ? lastCloud.addr : undefined)?.toString() : undefined;
  const usedVpn = new Set(
    [t.gateway.vpnIp, ...t.seconds.map((s) => s.vpnIp), ...(t.desktop?.address ? [t.desktop.address] : [])].map((c) => c.split('/')[0]),
  );
  const vpnNet = parseCidr(t.gateway.vpnIp);
  const lastVpn = parseIpv4((t.seconds.at(-1)?.vpnIp ?? t.gateway.vpnIp).split('/')[0]);
  const vpnAddr = vpnNet.ok ? firstFreeAddress(vpnNet, usedVpn, lastVpn.ok ? lastVpn.addr : undefined)?.toString() : undefined;
  const prefix = vpnNet.ok ? vpnNet.prefix : 24;
  const second: SecondConfig = {
    name: secondName(i),
    host: cloudIp ?? '',
    cloudIp: cloudIp ?? '',
    vpnIp: vpnAddr ? `${vpnAddr}/${prefix}` : '',
  };
  // Seconds have no public address in the guide's design: reach them through the gateway.
  if (!t.ssh.jump) second.jump = 'gateway';
  return second;
}

/**
 * Variables from pasted shell text: `export NAME=value` or `NAME=value`, separated by newlines, `;` or
 * spaces; single or double quotes around a value are removed. Only ROSVPN_* names are taken.
 */
export function parseExportLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /(?:^|[\s;])(?:export\s+)?(ROSVPN_[A-Z0-9_]+)=("([^"]*)"|'([^']*)'|[^\s;]*)/g;
  for (const m of text.matchAll(re)) out[m[1]] = m[3] ?? m[4] ?? m[2];
  return out;
}
