// Reads what already exists for a topology (by its tags and names) and plans what `cloud up` would do,
// before any money is spent: every resource as "reuse" or "create", with the API call that does it.
import {
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  type DescribeAddressesCommandOutput,
  type DescribeImagesCommandOutput,
  type DescribeInstancesCommandOutput,
  type DescribeSecurityGroupsCommandOutput,
  type DescribeSubnetsCommandOutput,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { inside, parseCidr, parseIpv4 } from '../topology/ipv4';
import type { ValidTopology } from '../topology/types';
import { describeEc2Error } from './errors';
import { commandName } from './names';
import { CANONICAL_OWNER, cloudHosts, securityGroupName, TAG_HOST, TAG_TOPOLOGY, UBUNTU_IMAGE_NAME, type CloudSettings } from './model';

export interface Discovery {
  subnet: { id: string; vpcId: string; cidr: string };
  group?: { id: string };
  /** Live (not terminated) instances of this topology, by host label. */
  instances: Map<string, { id: string; state: string; privateIp?: string; publicIp?: string }>;
  address?: { allocationId: string; publicIp: string; associatedWith?: string };
  image: { id: string; name: string; found: 'configured' | 'looked-up' };
}

/** An error whose message says what to change; `code` lets callers branch. */
export class CloudError extends Error {
  constructor(message: string, readonly code: 'SUBNET_NOT_FOUND' | 'NO_IMAGE' | 'CONFIG') {
    super(message);
    this.name = 'CloudError';
  }
}

export async function discover(client: EC2Client, t: ValidTopology, s: CloudSettings): Promise<Discovery> {
  // Every call's error names its IAM action (no credentials, expired SSO, UnauthorizedOperation, …).
  const send = async <T>(command: { input: unknown }): Promise<T> => {
    try {
      return (await client.send(command as never)) as T;
    } catch (e) {
      throw describeEc2Error(e, commandName(command), s.region);
    }
  };
  const hosts = cloudHosts(t);
  const subnets = (await send<DescribeSubnetsCommandOutput>(new DescribeSubnetsCommand(s.subnetId ? { SubnetIds: [s.subnetId] } : {}))).Subnets ?? [];
  const holdsAll = (cidr: string) => {
    const net = parseCidr(cidr);
    return net.ok && hosts.every((h) => {
      const ip = parseIpv4(h.privateIp);
      return ip.ok && inside(ip.addr, net);
    });
  };
  const subnet = subnets.find((x) => x.SubnetId && x.VpcId && x.CidrBlock && holdsAll(x.CidrBlock));
  if (!subnet) {
    const ips = hosts.map((h) => `${h.label} ${h.privateIp}`).join(', ');
    throw new CloudError(
      s.subnetId
        ? `subnet ${s.subnetId} does not contain every cloud IP of the topology (${ips}): choose cloud IPs inside it, or another subnet (rosvpn.aws.subnetId / --subnet)`
        : `no subnet in ${s.region} contains every cloud IP of the topology (${ips}): create a subnet for them, pick the region that has it, or change the cloud IPs`,
      'SUBNET_NOT_FOUND',
    );
  }
  const vpcId = subnet.VpcId as string;
  const groups = (await send<DescribeSecurityGroupsCommandOutput>(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [securityGroupName(t)] }, { Name: 'vpc-id', Values: [vpcId] }] }))).SecurityGroups ?? [];
  const reservations = (await send<DescribeInstancesCommandOutput>(new DescribeInstancesCommand({
    Filters: [{ Name: `tag:${TAG_TOPOLOGY}`, Values: [t.name] }, { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] }],
  }))).Reservations ?? [];
  const instances: Discovery['instances'] = new Map();
  for (const i of reservations.flatMap((r) => r.Instances ?? [])) {
    const host = i.Tags?.find((x) => x.Key === TAG_HOST)?.Value;
    if (host && i.InstanceId) instances.set(host, { id: i.InstanceId, state: i.State?.Name ?? 'unknown', privateIp: i.PrivateIpAddress, publicIp: i.PublicIpAddress });
  }
  const addresses = (await send<DescribeAddressesCommandOutput>(new DescribeAddressesCommand({ Filters: [{ Name: `tag:${TAG_TOPOLOGY}`, Values: [t.name] }] }))).Addresses ?? [];
  const a = addresses.find((x) => x.AllocationId && x.PublicIp);
  let image: Discovery['image'];
  if (s.amiId) image = { id: s.amiId, name: s.amiId, found: 'configured' };
  else {
    const images = (await send<DescribeImagesCommandOutput>(new DescribeImagesCommand({
      Owners: [CANONICAL_OWNER],
      Filters: [{ Name: 'name', Values: [UBUNTU_IMAGE_NAME] }, { Name: 'state', Values: ['available'] }, { Name: 'architecture', Values: ['x86_64'] }],
    }))).Images ?? [];
    const newest = images.filter((x) => x.ImageId && x.CreationDate).sort((x, y) => (y.CreationDate as string).localeCompare(x.CreationDate as string))[0];
    if (!newest) throw new CloudError(`no Canonical Ubuntu 24.04 image found in ${s.region}: set one with rosvpn.aws.amiId / --ami`, 'NO_IMAGE');
    image = { id: newest.ImageId as string, name: newest.Name ?? (newest.ImageId as string), found: 'looked-up' };
  }
  return {
    subnet: { id: subnet.SubnetId as string, vpcId, cidr: subnet.CidrBlock as string },
    group: groups[0]?.GroupId ? { id: groups[0].GroupId } : undefined,
    instances,
    address: a ? { allocationId: a.AllocationId as string, publicIp: a.PublicIp as string, associatedWith: a.InstanceId } : undefined,
    image,
  };
}

export interface PlanStep {
  action: 'reuse' | 'create' | 'start';
  resource: string;
  detail: string;
  /** The EC2 API calls this step makes. */
  calls: string[];
}

/** What `cloud up` would do, given what exists. Pure: the same discovery gives the same plan. */
export function planCloud(t: ValidTopology, s: CloudSettings, d: Discovery): PlanStep[] {
  const steps: PlanStep[] = [
    { action: 'reuse', resource: `subnet ${d.subnet.id}`, detail: `${d.subnet.cidr} in ${d.subnet.vpcId}, holds every cloud IP`, calls: [] },
    d.group
      ? { action: 'reuse', resource: `security group ${securityGroupName(t)} (${d.group.id})`, detail: 'rules brought up to date', calls: ['AuthorizeSecurityGroupIngress (missing rules only)'] }
      : { action: 'create', resource: `security group ${securityGroupName(t)}`, detail: `OpenVPN ${t.gateway.openvpnProto}/${t.gateway.openvpnPort} from ${s.openvpnCidr}, SSH and ping from ${s.sshCidr}, ${t.tunnel === 'vxlan' ? `UDP ${t.vxlan.port}` : 'IP protocol 47'} only from the group`, calls: ['CreateSecurityGroup', 'AuthorizeSecurityGroupIngress'] },
  ];
  for (const h of cloudHosts(t)) {
    const found = d.instances.get(h.label);
    if (found && found.state === 'stopped') steps.push({ action: 'start', resource: `instance ${h.label} (${found.id})`, detail: `stopped; ${h.privateIp}`, calls: ['StartInstances'] });
    else if (found) steps.push({ action: 'reuse', resource: `instance ${h.label} (${found.id})`, detail: `${found.state}; ${found.privateIp ?? h.privateIp}`, calls: [] });
    else steps.push({ action: 'create', resource: `instance ${h.label}`, detail: `${s.instanceType}, ${d.image.name}, private IP ${h.privateIp}, key pair ${s.keyName ?? '(none: up refuses; set a key pair)'}`, calls: ['RunInstances'] });
  }
  steps.push(
    d.address
      ? { action: 'reuse', resource: `Elastic IP ${d.address.publicIp} (${d.address.allocationId})`, detail: d.address.associatedWith ? `associated with ${d.address.associatedWith}` : 'to be associated with the gateway', calls: d.address.associatedWith ? [] : ['AssociateAddress'] }
      : { action: 'create', resource: 'Elastic IP for the gateway', detail: 'the address the desktop gateway connects to', calls: ['AllocateAddress', 'AssociateAddress'] },
  );
  return steps;
}

/** The plan as text lines, the same in the CLI and in VS Code. */
export function planLines(t: ValidTopology, s: CloudSettings, plan: PlanStep[]): string[] {
  const creates = plan.filter((p) => p.action !== 'reuse').length;
  return [
    `plan for topology ${t.name} in ${s.region}:`,
    ...plan.map((p) => `  ${p.action.padEnd(6)} ${p.resource}: ${p.detail}${p.calls.length ? `  [${p.calls.join(', ')}]` : ''}`),
    creates ? `${creates} change(s). Instances and the Elastic IP are billed by AWS from creation until 'rosvpn cloud down'.` : 'nothing to create: everything exists.',
  ];
}

/** How many steps of the plan create or start something (and so cost money). */
export function planChanges(plan: PlanStep[]): number {
  return plan.filter((p) => p.action !== 'reuse').length;
}
