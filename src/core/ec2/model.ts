// What ROS VPN creates in EC2 for a topology, as plain data: names, tags, security-group rules and the
// settings that choose them. Exact request shapes live here so that tests pin them. Never imports `vscode`.
import type { IpPermission, Tag } from '@aws-sdk/client-ec2';
import type { Role, ValidTopology } from '../topology/types';

/** Canonical's AWS account: the owner of the official Ubuntu images. */
export const CANONICAL_OWNER = '099720109477';
/** Ubuntu 24.04 LTS server images for x86_64 on gp3 SSDs, Canonical's naming. */
export const UBUNTU_IMAGE_NAME = 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*';

export const TAG_TOPOLOGY = 'rosvpn:topology';
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
  /** Who may reach SSH (TCP 22) and ping. */
  sshCidr: string;
  /** Who may reach the OpenVPN server. */
  openvpnCidr: string;
}

export const CLOUD_DEFAULTS = { instanceType: 't3.small', sshCidr: '0.0.0.0/0', openvpnCidr: '0.0.0.0/0' };

export function securityGroupName(t: ValidTopology): string {
  return `rosvpn-${t.name}`;
}

/** Tags on everything ROS VPN creates; `rosvpn:topology` is how a rerun finds it again. */
export function resourceTags(t: ValidTopology, role?: Role, host?: string): Tag[] {
  const tags: Tag[] = [
    { Key: 'Name', Value: host ? `rosvpn-${t.name}-${host}` : `rosvpn-${t.name}` },
    { Key: TAG_TOPOLOGY, Value: t.name },
  ];
  if (role) tags.push({ Key: TAG_ROLE, Value: role });
  if (host) tags.push({ Key: TAG_HOST, Value: host });
  return tags;
}

/**
 * The security group's inbound rules: OpenVPN from `openvpnCidr`, SSH and ICMP echo from `sshCidr`, and the
 * tunnel only from members of the group itself: UDP `vxlan.port` for VXLAN, IP protocol 47 for gretap.
 */
export function ingressRules(t: ValidTopology, s: CloudSettings, groupId: string): IpPermission[] {
  const self = { UserIdGroupPairs: [{ GroupId: groupId, Description: `${t.tunnel} between ROS VPN hosts` }] };
  const tunnel: IpPermission =
    t.tunnel === 'vxlan'
      ? { IpProtocol: 'udp', FromPort: t.vxlan.port, ToPort: t.vxlan.port, ...self }
      : { IpProtocol: '47', ...self };
  return [
    { IpProtocol: t.gateway.openvpnProto, FromPort: t.gateway.openvpnPort, ToPort: t.gateway.openvpnPort, IpRanges: [{ CidrIp: s.openvpnCidr, Description: 'OpenVPN (desktop gateway)' }] },
    { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: s.sshCidr, Description: 'SSH (provisioning)' }] },
    { IpProtocol: 'icmp', FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: s.sshCidr, Description: 'ping' }] },
    tunnel,
  ];
}

/** The instances a topology needs: the gateway and every second (the desktop is not in the cloud). */
export function cloudHosts(t: ValidTopology): { label: string; role: Role; privateIp: string }[] {
  return [{ label: 'gateway', role: 'gateway' as Role, privateIp: t.gateway.cloudIp }, ...t.seconds.map((s) => ({ label: s.name, role: 'second' as Role, privateIp: s.cloudIp }))];
}
