// SSH endpoints of the topology's hosts: per-host settings over the topology-wide `ssh` defaults, and
// `jump` resolved to the endpoint to go through (`gateway` means the cloud gateway's own endpoint).
import type { SshEndpoint } from '../ssh/types';
import type { HostBase, Role, SshSettings, ValidTopology } from '../topology/types';

export interface TopologyHost {
  /** `gateway`, `desktop` or the second's name. */
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

function endpoint(label: string, h: HostBase, defaults: SshSettings, gateway: SshEndpoint | undefined): SshEndpoint {
  const jumpSpec = h.jump ?? (label === 'gateway' || label === 'desktop' ? undefined : defaults.jump);
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

/** Every host of the topology in provisioning order: gateway, seconds, desktop. */
export function topologyHosts(t: ValidTopology): TopologyHost[] {
  const gw = endpoint('gateway', t.gateway, t.ssh, undefined);
  const hosts: TopologyHost[] = [{ label: 'gateway', role: 'gateway', endpoint: gw }];
  for (const s of t.seconds) hosts.push({ label: s.name, role: 'second', endpoint: endpoint(s.name, s, t.ssh, gw) });
  if (t.desktop) hosts.push({ label: 'desktop', role: 'desktop', endpoint: endpoint('desktop', t.desktop, t.ssh, gw) });
  return hosts;
}

export type HostSelector = { host?: string; role?: Role | 'all' };

/** The hosts a command acts on; an unknown host name is an error that lists the known ones. */
export function selectHosts(t: ValidTopology, sel: HostSelector = {}): TopologyHost[] {
  const all = topologyHosts(t);
  if (sel.host) {
    const found = all.filter((h) => h.label === sel.host);
    if (!found.length) throw new Error(`no host named '${sel.host}' in the topology; hosts: ${all.map((h) => h.label).join(', ')}`);
    return found;
  }
  if (!sel.role || sel.role === 'all') return all;
  return all.filter((h) => h.role === sel.role);
}
