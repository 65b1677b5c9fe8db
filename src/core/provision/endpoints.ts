// SSH endpoints of the topology's hosts: per-host settings over the topology-wide `ssh` defaults, and
// `jump` resolved to the endpoint to go through (`gateway` means the cloud gateway's own endpoint).
// Hosts outside the VPC (the gateway itself, the desktop, the clients) do not inherit ssh.jump.
import type { SshEndpoint } from '../ssh/types';
import type { HostBase, Role, SshSettings, ValidTopology } from '../topology/types';

export interface TopologyHost {
  /** `gateway`, `desktop`, the second's name or the client's name. */
  label: string;
  role: Role;
  endpoint: SshEndpoint;
}

/** Parses a jump spec that is not `gateway`: an ssh config alias, `host`, `user@host` or `user@host:port`. */
export function parseJump(spec: string): SshEndpoint {
  const m = /^(?:([^@]+)@)?([^:@]+)(?::(\d+))?$/.exec(spec);
  if (!m) throw new Error(`invalid jump ${JSON.stringify(spec)}`);
  return { label: `jump ${m[2]}`, host: m[2], user: m[1], port: m[3] ? Number(m[3]) : undefined };
}

function endpoint(
  label: string,
  h: HostBase,
  defaults: SshSettings,
  gateway: SshEndpoint | undefined,
  inheritJump = label !== 'gateway' && label !== 'desktop',
): SshEndpoint {
  const jumpSpec = h.jump ?? (inheritJump ? defaults.jump : undefined);
  const e: SshEndpoint = {
    label,
    host: h.host,
    user: h.user ?? defaults.user,
    port: h.port ?? defaults.port,
    identityFile: h.identityFile ?? defaults.identityFile,
  };
  if (jumpSpec) e.jump = jumpSpec === 'gateway' ? gateway : { ...parseJump(jumpSpec), identityFile: e.identityFile };
  return e;
}

/** Every host of the topology in provisioning order: gateway, seconds, desktop, clients that have a host. */
export function topologyHosts(t: ValidTopology): TopologyHost[] {
  const gw = endpoint('gateway', t.gateway, t.ssh, undefined);
  const hosts: TopologyHost[] = [{ label: 'gateway', role: 'gateway', endpoint: gw }];
  for (const s of t.seconds) hosts.push({ label: s.name, role: 'second', endpoint: endpoint(s.name, s, t.ssh, gw) });
  if (t.desktop) hosts.push({ label: 'desktop', role: 'desktop', endpoint: endpoint('desktop', t.desktop, t.ssh, gw) });
  for (const c of t.clients) {
    if (c.host) hosts.push({ label: c.name, role: 'client', endpoint: endpoint(c.name, { ...c, host: c.host }, t.ssh, gw, false) });
  }
  return hosts;
}

export type HostSelector = { host?: string; role?: Role | 'all' };

/** The hosts a command acts on; an unknown host name is an error that lists the known ones. */
export function selectHosts(t: ValidTopology, sel: HostSelector = {}): TopologyHost[] {
  const all = topologyHosts(t);
  if (sel.host) {
    const found = all.filter((h) => h.label === sel.host);
    if (!found.length) {
      const i = t.clients.findIndex((c) => c.name === sel.host);
      if (i >= 0) {
        throw new Error(
          `client '${sel.host}' has no host in the topology, so rosvpn cannot reach it: add "host" to clients[${i}], or set it up yourself with its profile (rosvpn fetch-ovpn --client ${sel.host})`,
        );
      }
      throw new Error(`no host named '${sel.host}' in the topology; hosts: ${all.map((h) => h.label).join(', ')}`);
    }
    return found;
  }
  if (!sel.role || sel.role === 'all') return all;
  return all.filter((h) => h.role === sel.role);
}
