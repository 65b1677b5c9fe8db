// Which EC2 resources are this topology's. Ours means: tagged with the deployment id of rosvpn.json
// (rosvpn:deployment) and in the VPC of the topology's subnet. The topology name is not unique in an account
// (the starter is called `demo`), so a resource with our name but another deployment id, none, or another VPC
// is never ours: it is reported as "not ours", with its owner tag, and never adopted, stopped or deleted.
// Only Describe calls; filters do the selection and every result is checked again here.
import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  type DescribeAddressesCommandOutput,
  type DescribeInstancesCommandOutput,
  type DescribeSecurityGroupsCommandOutput,
  type DescribeSubnetsCommandOutput,
  type DescribeVpcsCommandOutput,
  type EC2Client,
  type Filter,
  type IpPermission,
  type Tag,
} from '@aws-sdk/client-ec2';
import { awsReserved, awsUsableRange, inside, knownNetwork, overlaps, parseCidr, parseIpv4 } from '../topology/ipv4';
import type { ValidTopology } from '../topology/types';
import { describeEc2Error } from './errors';
import { commandName } from './names';
import { cloudHosts, rulesOf, TAG_DEPLOYMENT, TAG_HOST, TAG_ROLE, TAG_TOPOLOGY, type Rule } from './model';

/** An error whose message says what to change; `code` lets callers branch. */
export type CloudErrorCode = 'SUBNET_NOT_FOUND' | 'NO_IMAGE' | 'CONFIG';

export class CloudError extends Error {
  constructor(
    message: string,
    readonly code: CloudErrorCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CloudError';
  }
}

export type Send = <T>(command: object) => Promise<T>;

/** A sender whose errors name the IAM action of the call (no credentials, expired SSO, UnauthorizedOperation, …). */
export function sender(client: EC2Client, region: string): Send {
  return async <T>(command: object): Promise<T> => {
    try {
      return (await client.send(command as never)) as T;
    } catch (e) {
      throw describeEc2Error(e, commandName(command), region);
    }
  };
}

export interface SubnetInfo {
  id: string;
  vpcId: string;
  cidr: string;
}

/**
 * The subnet of the topology: the configured one, or the one holding every cloud IP. Then the checks only
 * EC2 can answer: no cloud IP AWS reserves in it, and no subnet of its VPC inside the robot LAN.
 */
export async function findSubnet(send: Send, t: ValidTopology, region: string, subnetId?: string): Promise<SubnetInfo> {
  const hosts = cloudHosts(t);
  const subnets =
    (await send<DescribeSubnetsCommandOutput>(new DescribeSubnetsCommand(subnetId ? { SubnetIds: [subnetId] } : {}))).Subnets ?? [];
  const holdsAll = (cidr: string) => {
    const net = parseCidr(cidr);
    return (
      net.ok &&
      hosts.every((h) => {
        const ip = parseIpv4(h.privateIp);
        return ip.ok && inside(ip.addr, net);
      })
    );
  };
  const subnet = subnets.find((x) => x.SubnetId && x.VpcId && x.CidrBlock && holdsAll(x.CidrBlock));
  if (!subnet) {
    const ips = hosts.map((h) => `${h.label} ${h.privateIp}`).join(', ');
    throw new CloudError(
      subnetId
        ? `subnet ${subnetId} does not contain every cloud IP of the topology (${ips}): choose cloud IPs inside it, or another subnet (rosvpn.aws.subnetId / --subnet)`
        : `no subnet in ${region} contains every cloud IP of the topology (${ips}): create a subnet for them, pick the region that has it, or change the cloud IPs`,
      'SUBNET_NOT_FOUND',
    );
  }
  const info = { id: subnet.SubnetId as string, vpcId: subnet.VpcId as string, cidr: subnet.CidrBlock as string };
  const net = knownNetwork(info.cidr);
  hosts.forEach((h, i) => {
    const ip = parseIpv4(h.privateIp);
    const why = ip.ok ? awsReserved(ip.addr, net) : undefined;
    if (why) {
      const [first, last] = awsUsableRange(net);
      const field = i === 0 ? 'gateway.cloudIp' : `seconds[${i - 1}].cloudIp`;
      throw new CloudError(
        `${field} ${h.privateIp} is ${why} of ${info.id} (${info.cidr}); AWS reserves it in every subnet: use a free address from ${first} to ${last}`,
        'CONFIG',
      );
    }
  });
  // The VPC's own address ranges (every CIDR block associated with it, subnets or not): the cloud hosts
  // route all of them through the VPC, so a robot LAN inside one could not be told apart from it.
  const vpc = (await send<DescribeVpcsCommandOutput>(new DescribeVpcsCommand({ VpcIds: [info.vpcId] }))).Vpcs?.find(
    (v) => v.VpcId === info.vpcId,
  );
  const blocks = new Set([
    vpc?.CidrBlock,
    ...(vpc?.CidrBlockAssociationSet ?? [])
      .filter((a) => !a.CidrBlockState?.State || a.CidrBlockState.State === 'associated')
      .map((a) => a.CidrBlock),
  ]);
  const robot = knownNetwork(t.robotSubnet);
  for (const b of blocks) {
    const c = b ? parseCidr(b) : undefined;
    if (c?.ok && overlaps(c, robot)) {
      throw new CloudError(
        `robotSubnet ${robot.networkText} overlaps ${info.vpcId} (${c.networkText}): the cloud hosts could not tell robot LAN addresses from VPC addresses; choose a robot subnet outside ${c.networkText}, or another VPC`,
        'CONFIG',
      );
    }
  }
  return info;
}

const tagOf = (tags: Tag[] | undefined, key: string): string | undefined => tags?.find((x) => x.Key === key)?.Value;

export interface OwnedInstance {
  host: string;
  role: string;
  id: string;
  state: string;
  privateIp?: string;
  publicIp?: string;
}

/** A resource with our topology name that is not ours, as the user should see it. */
export interface Foreign {
  kind: 'instance' | 'security group' | 'Elastic IP';
  id: string;
  /** Host and state, group name, or public address. */
  detail: string;
  /** Its rosvpn:deployment tag (the owner), if any. */
  deployment?: string;
  /** Its VPC, when EC2 says. */
  vpcId?: string;
}

export interface Owned {
  /** Not terminated; by host tag, in EC2's order. */
  instances: OwnedInstance[];
  group?: { id: string; name: string; rules: Rule[] };
  address?: { allocationId: string; publicIp: string; instanceId?: string };
  foreign: Foreign[];
}

const LIVE = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

// long: one query per kind of resource (instances, groups, addresses), each with its ownership rule beside
// it, so that what counts as ours can be read in one place.
/** Ours and the same-named rest. Without a deployment id nothing is ours. */
export async function findOwned(send: Send, t: ValidTopology, vpcId: string): Promise<Owned> {
  const id = t.deployment;
  const byName: Filter = { Name: `tag:${TAG_TOPOLOGY}`, Values: [t.name] };
  const byId: Filter[] = id ? [{ Name: `tag:${TAG_DEPLOYMENT}`, Values: [id] }] : [];
  // The query asked for our VPC; an answer naming another one is not ours (one naming none is taken as asked).
  const isOurs = (tags: Tag[] | undefined, vpc: string | undefined) =>
    !!id && tagOf(tags, TAG_DEPLOYMENT) === id && (vpc ?? vpcId) === vpcId;

  const instancesOf = async (filters: Filter[]) =>
    (
      (
        await send<DescribeInstancesCommandOutput>(
          new DescribeInstancesCommand({ Filters: [...filters, { Name: 'instance-state-name', Values: LIVE }] }),
        )
      ).Reservations ?? []
    )
      .flatMap((r) => r.Instances ?? [])
      .filter((i) => i.InstanceId);
  const mine = id
    ? (await instancesOf([...byId, { Name: 'vpc-id', Values: [vpcId] }])).filter(
        (i) => isOurs(i.Tags, i.VpcId) && LIVE.includes(i.State?.Name ?? ''),
      )
    : [];
  const instances: OwnedInstance[] = mine.map((i) => ({
    host: tagOf(i.Tags, TAG_HOST) ?? '?',
    role: tagOf(i.Tags, TAG_ROLE) ?? '?',
    id: i.InstanceId as string,
    state: i.State?.Name ?? 'unknown',
    privateIp: i.PrivateIpAddress,
    publicIp: i.PublicIpAddress,
  }));
  const ownIds = new Set(instances.map((i) => i.id));
  const foreign: Foreign[] = (await instancesOf([byName]))
    .filter((i) => !ownIds.has(i.InstanceId as string))
    .map((i) => ({
      kind: 'instance',
      id: i.InstanceId as string,
      detail: `${tagOf(i.Tags, TAG_HOST) ?? '?'}, ${i.State?.Name ?? '?'}${i.PrivateIpAddress ? `, ${i.PrivateIpAddress}` : ''}`,
      deployment: tagOf(i.Tags, TAG_DEPLOYMENT),
      vpcId: i.VpcId,
    }));

  const groupsOf = async (filters: Filter[]) =>
    (
      (await send<DescribeSecurityGroupsCommandOutput>(new DescribeSecurityGroupsCommand({ Filters: filters }))).SecurityGroups ?? []
    ).filter((g) => g.GroupId);
  const g = id ? (await groupsOf([...byId, { Name: 'vpc-id', Values: [vpcId] }])).find((x) => isOurs(x.Tags, x.VpcId)) : undefined;
  for (const x of await groupsOf([byName])) {
    if (x.GroupId !== g?.GroupId)
      foreign.push({
        kind: 'security group',
        id: x.GroupId as string,
        detail: x.GroupName ?? '?',
        deployment: tagOf(x.Tags, TAG_DEPLOYMENT),
        vpcId: x.VpcId,
      });
  }

  // Elastic IPs belong to no VPC: ours when tagged with our id and free or on one of our instances.
  const addressesOf = async (filters: Filter[]) =>
    ((await send<DescribeAddressesCommandOutput>(new DescribeAddressesCommand({ Filters: filters }))).Addresses ?? []).filter(
      (a) => a.AllocationId,
    );
  const a = id
    ? (await addressesOf(byId)).find((x) => tagOf(x.Tags, TAG_DEPLOYMENT) === id && (!x.InstanceId || ownIds.has(x.InstanceId)))
    : undefined;
  for (const x of await addressesOf([byName])) {
    if (x.AllocationId !== a?.AllocationId)
      foreign.push({
        kind: 'Elastic IP',
        id: x.AllocationId as string,
        detail: `${x.PublicIp ?? '?'}${x.InstanceId ? ` on ${x.InstanceId}` : ''}`,
        deployment: tagOf(x.Tags, TAG_DEPLOYMENT),
      });
  }
  return {
    instances,
    group: g
      ? {
          id: g.GroupId as string,
          name: g.GroupName ?? (g.GroupId as string),
          rules: rulesOf(g.IpPermissions as IpPermission[] | undefined),
        }
      : undefined,
    address: a ? { allocationId: a.AllocationId as string, publicIp: a.PublicIp ?? '?', instanceId: a.InstanceId } : undefined,
    foreign,
  };
}

/** `not ours: instance i-… (gateway, running, 172.31.1.11) rosvpn:deployment=…, vpc-…` — the collision, visibly. */
export function foreignLines(t: ValidTopology, foreign: Foreign[], vpcId?: string): string[] {
  return foreign.map((f) => {
    const owner =
      f.deployment === undefined
        ? `no ${TAG_DEPLOYMENT} tag`
        : f.deployment === t.deployment
          ? `${TAG_DEPLOYMENT}=${f.deployment} (ours, but in ${f.vpcId ?? 'another VPC'})`
          : `${TAG_DEPLOYMENT}=${f.deployment}`;
    const vpc = f.vpcId && f.vpcId !== vpcId && f.deployment !== t.deployment ? `, ${f.vpcId}` : '';
    return `not ours: ${f.kind} ${f.id} (${f.detail}) ${owner}${vpc}: same topology name '${t.name}', left alone`;
  });
}
