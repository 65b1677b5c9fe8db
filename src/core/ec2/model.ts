// What ROS VPN creates in EC2 for a topology, as plain data: names, tags, security-group rules and the
// settings that choose them. Exact request shapes live here so that tests pin them. Never imports `vscode`.
import type { IpPermission, Tag } from '@aws-sdk/client-ec2';
import type { Role, ValidTopology } from '../topology/types';

/** Canonical's AWS account: the owner of the official Ubuntu images. */
export const CANONICAL_OWNER = '099720109477';
/** Ubuntu 24.04 LTS server images for x86_64 on gp3 SSDs, Canonical's naming. */
export const UBUNTU_IMAGE_NAME = 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*';

export const TAG_TOPOLOGY = 'rosvpn:topology';
/** The deployment id of rosvpn.json: what makes a resource ours. The topology name alone is not unique. */
export const TAG_DEPLOYMENT = 'rosvpn:deployment';
export const TAG_ROLE = 'rosvpn:role';
export const TAG_HOST = 'rosvpn:host';

export interface CloudSettings {
  region: string;
  /** Named profile of the shared config (SSO profiles too); default: the standard chain. */
  profile?: string;
  instanceType: string;
  /** EC2 key pair for the `ubuntu` login. */
  keyName?: string;
  /** An AMI to use instead of the newest Canonical Ubuntu LTS. */
  amiId?: string;
  /** The subnet to use; default: the one that contains the topology's cloud IPs. */
  subnetId?: string;
  /**
   * Who may reach SSH (TCP 22) and ping: a CIDR, `auto` until resolveSshCidr() replaced it by this machine's
   * public address, or undefined when the user gave none (`up` refuses then).
   */
  sshCidr?: string;
  /** Who may reach the OpenVPN server. */
  openvpnCidr: string;
}

// No SSH default: a world-open SSH port is something to ask for by name (--ssh-cidr 0.0.0.0/0), not to get.
// OpenVPN may stay open: tls-crypt drops every packet not signed with the topology's key, unanswered.
export const CLOUD_DEFAULTS = { instanceType: 't3.small', openvpnCidr: '0.0.0.0/0' };

/** Security group names are unique per VPC: the deployment id keeps a colleague's same-named topology apart. */
export function securityGroupName(t: ValidTopology): string {
  return t.deployment ? `rosvpn-${t.name}-${t.deployment}` : `rosvpn-${t.name}`;
}

/** Tags on everything ROS VPN creates; `rosvpn:deployment` is how a rerun (and only a rerun) finds it again. */
export function resourceTags(t: ValidTopology, role?: Role, host?: string): Tag[] {
  const tags: Tag[] = [
    { Key: 'Name', Value: host ? `rosvpn-${t.name}-${host}` : `rosvpn-${t.name}` },
    { Key: TAG_TOPOLOGY, Value: t.name },
    ...(t.deployment ? [{ Key: TAG_DEPLOYMENT, Value: t.deployment }] : []),
  ];
  if (role) tags.push({ Key: TAG_ROLE, Value: role });
  if (host) tags.push({ Key: TAG_HOST, Value: host });
  return tags;
}

/**
 * One inbound rule to one peer, the unit EC2 adds, reports duplicates in and revokes. Protocols are
 * normalized (`tcp`, `udp`, `icmp`, or a number such as `47`); ports only for tcp, udp and icmp (type, code).
 */
export interface Rule {
  protocol: string;
  from?: number;
  to?: number;
  cidr?: string;
  cidrV6?: string;
  groupId?: string;
  prefixListId?: string;
  description?: string;
}

const PROTOCOL_NAMES: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6' };
const normProtocol = (p: string): string => PROTOCOL_NAMES[p] ?? p.toLowerCase();
const hasPorts = (p: string): boolean => ['tcp', 'udp', 'icmp', 'icmpv6'].includes(p);

/** What identifies a rule (its description does not). */
export function ruleKey(r: Rule): string {
  const peer = r.cidr ?? (r.cidrV6 ? `v6:${r.cidrV6}` : r.groupId ? `sg:${r.groupId}` : `pl:${r.prefixListId}`);
  return `${r.protocol}/${r.from ?? ''}/${r.to ?? ''} ${peer}`;
}

/** `tcp 22 from 198.51.100.0/24`, `icmp echo from the group itself`, `IP protocol 47 from …`. */
export function ruleText(r: Rule, groupId?: string): string {
  const peer = r.groupId ? (r.groupId === groupId ? 'the group itself' : r.groupId) : (r.cidr ?? r.cidrV6 ?? r.prefixListId);
  return `${trafficText(r)} from ${peer}${r.description ? ` (${r.description})` : ''}`;
}

function trafficText(r: Rule): string {
  if (r.protocol === 'icmp' && r.from === 8) return 'ping (icmp echo)';
  if (r.protocol === '-1') return 'all traffic';
  if (hasPorts(r.protocol)) return `${r.protocol} ${r.from === r.to || r.to === undefined ? r.from : `${r.from}-${r.to}`}`;
  return `IP protocol ${r.protocol}`;
}

/**
 * The security group's inbound rules: OpenVPN from `openvpnCidr`; SSH and ping from `sshCidr` and from the
 * group itself (the gateway is the jump host of the seconds); the tunnel only from the group itself: UDP
 * `vxlan.port` for VXLAN, IP protocol 47 for gretap. Without an SSH CIDR only the group's own rules.
 */
export function wantedRules(t: ValidTopology, s: Pick<CloudSettings, 'sshCidr' | 'openvpnCidr'>, groupId: string): Rule[] {
  const ssh = s.sshCidr && s.sshCidr !== 'auto' ? s.sshCidr : undefined;
  const rules: Rule[] = [
    {
      protocol: t.gateway.openvpnProto,
      from: t.gateway.openvpnPort,
      to: t.gateway.openvpnPort,
      cidr: s.openvpnCidr,
      description: 'OpenVPN (desktop gateway; tls-crypt)',
    },
    ...(ssh ? [{ protocol: 'tcp', from: 22, to: 22, cidr: ssh, description: 'SSH (provisioning)' }] : []),
    { protocol: 'tcp', from: 22, to: 22, groupId, description: 'SSH from the gateway (jump host)' },
    ...(ssh ? [{ protocol: 'icmp', from: 8, to: -1, cidr: ssh, description: 'ping' }] : []),
    { protocol: 'icmp', from: 8, to: -1, groupId, description: 'ping between ROS VPN hosts' },
    t.tunnel === 'vxlan'
      ? { protocol: 'udp', from: t.vxlan.port, to: t.vxlan.port, groupId, description: 'vxlan between ROS VPN hosts' }
      : { protocol: '47', groupId, description: 'gretap between ROS VPN hosts' },
  ];
  return rules;
}

/** Rules as IpPermissions, one per protocol and port range with all of its peers (as EC2 reports them). */
export function toIpPermissions(rules: Rule[]): IpPermission[] {
  const out = new Map<string, IpPermission>();
  for (const r of rules) {
    const k = `${r.protocol}/${r.from ?? ''}/${r.to ?? ''}`;
    let p = out.get(k);
    if (!p) {
      p = { IpProtocol: r.protocol, ...(r.from !== undefined ? { FromPort: r.from, ToPort: r.to ?? r.from } : {}) };
      out.set(k, p);
    }
    const d = r.description ? { Description: r.description } : {};
    if (r.cidr) (p.IpRanges ??= []).push({ CidrIp: r.cidr, ...d });
    if (r.cidrV6) (p.Ipv6Ranges ??= []).push({ CidrIpv6: r.cidrV6, ...d });
    if (r.groupId) (p.UserIdGroupPairs ??= []).push({ GroupId: r.groupId, ...d });
    if (r.prefixListId) (p.PrefixListIds ??= []).push({ PrefixListId: r.prefixListId, ...d });
  }
  return [...out.values()];
}

/** The group's IpPermissions (DescribeSecurityGroups) as one rule per peer. */
export function rulesOf(perms: IpPermission[] | undefined): Rule[] {
  const out: Rule[] = [];
  for (const p of perms ?? []) {
    const protocol = normProtocol(p.IpProtocol ?? '-1');
    const ports = hasPorts(protocol) && p.FromPort !== undefined ? { from: p.FromPort, to: p.ToPort ?? p.FromPort } : {};
    for (const x of p.IpRanges ?? []) if (x.CidrIp) out.push({ protocol, ...ports, cidr: x.CidrIp, description: x.Description });
    for (const x of p.Ipv6Ranges ?? []) if (x.CidrIpv6) out.push({ protocol, ...ports, cidrV6: x.CidrIpv6, description: x.Description });
    for (const x of p.UserIdGroupPairs ?? [])
      if (x.GroupId) out.push({ protocol, ...ports, groupId: x.GroupId, description: x.Description });
    for (const x of p.PrefixListIds ?? [])
      if (x.PrefixListId) out.push({ protocol, ...ports, prefixListId: x.PrefixListId, description: x.Description });
  }
  return out;
}

/**
 * What makes the group's rules the wanted ones: the missing to authorize, the others to revoke. Without an SSH
 * CIDR (a plan before the user gave one) the existing SSH and ping rules from CIDRs are left alone.
 */
export function ruleChanges(existing: Rule[], wanted: Rule[], sshKnown = true): { authorize: Rule[]; revoke: Rule[] } {
  const have = new Set(existing.map(ruleKey));
  const want = new Set(wanted.map(ruleKey));
  const undecided = (r: Rule) =>
    !sshKnown &&
    r.cidr !== undefined &&
    ((r.protocol === 'tcp' && r.from === 22 && r.to === 22) || (r.protocol === 'icmp' && r.from === 8));
  return {
    authorize: wanted.filter((r) => !have.has(ruleKey(r))),
    revoke: existing.filter((r) => !want.has(ruleKey(r)) && !undecided(r)),
  };
}

/** The wanted rules as IpPermissions (what a new group is given). */
export function ingressRules(t: ValidTopology, s: Pick<CloudSettings, 'sshCidr' | 'openvpnCidr'>, groupId: string): IpPermission[] {
  return toIpPermissions(wantedRules(t, s, groupId));
}

/** The instances a topology needs: the gateway and every second (the desktop is not in the cloud). */
export function cloudHosts(t: ValidTopology): { label: string; role: Role; privateIp: string }[] {
  return [
    { label: 'gateway', role: 'gateway' as Role, privateIp: t.gateway.cloudIp },
    ...t.seconds.map((s) => ({ label: s.name, role: 'second' as Role, privateIp: s.cloudIp })),
  ];
}
