// `cloud up`: a DryRun permission check before anything is created, then the security group, one instance
// per cloud host at its topology private IP, and an Elastic IP on the gateway. Idempotent: what discovery
// finds (by tags and names) is reused, a stopped instance is started, nothing is created twice.
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  type EC2Client,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import type { ValidTopology } from '../topology/types';
import { discover, type Discovery } from './discover';
import { CloudSettingsError } from './settings';
import { describeEc2Error } from './errors';
import { commandName } from './names';
import { cloudHosts, ingressRules, resourceTags, securityGroupName, type CloudSettings } from './model';

export interface UpOptions {
  onEvent?(line: string): void;
  /** Waits until the instances run; default: the SDK's waiter. Tests pass their own. */
  waitRunning(client: EC2Client, ids: string[]): Promise<void>;
  /** Waits until SSH answers on the address. */
  waitSsh(address: string): Promise<void>;
}

export interface UpResult {
  groupId: string;
  /** Instance id by host label. */
  instances: Record<string, string>;
  publicIp: string;
  allocationId: string;
}

// Any EC2 command; send()'s own overloads do not accept a union of command types.
type Sendable = object;

/** Sends one command; errors become Ec2Errors naming the IAM action. */
async function call<T>(client: EC2Client, command: Sendable, region: string): Promise<T> {
  try {
    return (await client.send(command as never)) as T;
  } catch (e) {
    throw describeEc2Error(e, commandName(command), region);
  }
}

/** DryRun: EC2 answers DryRunOperation when the call would be allowed. */
async function dryRun(client: EC2Client, command: Sendable, region: string): Promise<void> {
  try {
    await client.send(command as never);
  } catch (e) {
    if ((e as { name?: string }).name === 'DryRunOperation') return;
    throw describeEc2Error(e, commandName(command), region);
  }
}

function runInput(t: ValidTopology, s: CloudSettings, d: Discovery, groupId: string, h: ReturnType<typeof cloudHosts>[number]): RunInstancesCommandInput {
  return {
    ImageId: d.image.id,
    InstanceType: s.instanceType as RunInstancesCommandInput['InstanceType'],
    ...(s.keyName ? { KeyName: s.keyName } : {}),
    MinCount: 1,
    MaxCount: 1,
    // Every host needs the internet for apt; the gateway's address is replaced by its Elastic IP.
    NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: d.subnet.id, PrivateIpAddress: h.privateIp, Groups: [groupId], AssociatePublicIpAddress: true }],
    TagSpecifications: [
      { ResourceType: 'instance', Tags: resourceTags(t, h.role, h.label) },
      { ResourceType: 'volume', Tags: resourceTags(t, h.role, h.label) },
    ],
  };
}

/** Without a key pair new instances could never be provisioned over SSH: refuse before any cost. */
export function checkKeyPair(s: CloudSettings, newHosts: string[]): void {
  if (newHosts.length && !s.keyName) {
    throw new CloudSettingsError(
      `no EC2 key pair for the new instance(s) ${newHosts.join(', ')}: set rosvpn.aws.keyName (VS Code) or pass --key-name NAME (CLI), naming a key pair of ${s.region} whose private key ssh uses`,
      'keyName',
    );
  }
}

/** The hosts discovery did not find: the instances `up` would launch. */
export function hostsToLaunch(t: ValidTopology, d: Discovery): string[] {
  return cloudHosts(t).filter((h) => !d.instances.has(h.label)).map((h) => h.label);
}

export async function cloudUp(client: EC2Client, t: ValidTopology, s: CloudSettings, o: UpOptions): Promise<UpResult> {
  const say = (line: string) => o.onEvent?.(line);
  const d = await discover(client, t, s);
  const hosts = cloudHosts(t);
  const missing = hosts.filter((h) => !d.instances.has(h.label));
  checkKeyPair(s, missing.map((h) => h.label));

  // Permissions first: nothing is created (or billed) unless every mutating call would be allowed.
  say('checking permissions (DryRun)');
  if (!d.group) await dryRun(client, new CreateSecurityGroupCommand({ DryRun: true, GroupName: securityGroupName(t), Description: 'x', VpcId: d.subnet.vpcId }), s.region);
  if (missing.length) await dryRun(client, new RunInstancesCommand({ ...runInput(t, s, d, d.group?.id ?? 'sg-00000000000000000', missing[0]), NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: d.subnet.id, AssociatePublicIpAddress: true }], DryRun: true }), s.region);
  if (!d.address) await dryRun(client, new AllocateAddressCommand({ DryRun: true, Domain: 'vpc' }), s.region);

  let groupId = d.group?.id;
  if (!groupId) {
    const created = await call<{ GroupId?: string }>(client, new CreateSecurityGroupCommand({
      GroupName: securityGroupName(t),
      Description: `ROS VPN topology ${t.name}: OpenVPN, SSH, ping, ${t.tunnel} between its hosts`,
      VpcId: d.subnet.vpcId,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: resourceTags(t) }],
    }), s.region);
    groupId = created.GroupId as string;
    await call(client, new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: ingressRules(t, s, groupId) }), s.region);
    say(`created security group ${securityGroupName(t)} (${groupId})`);
  } else {
    // Rules may have been edited by hand: add back any that are missing, one at a time.
    for (const rule of ingressRules(t, s, groupId)) {
      try {
        await client.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [rule] }));
      } catch (e) {
        if ((e as { name?: string }).name !== 'InvalidPermission.Duplicate') throw describeEc2Error(e, 'AuthorizeSecurityGroupIngressCommand', s.region);
      }
    }
    say(`reusing security group ${securityGroupName(t)} (${groupId})`);
  }

  const instances: Record<string, string> = {};
  for (const h of hosts) {
    const found = d.instances.get(h.label);
    if (found) {
      instances[h.label] = found.id;
      if (found.state === 'stopped') {
        await call(client, new StartInstancesCommand({ InstanceIds: [found.id] }), s.region);
        say(`started ${h.label} (${found.id})`);
      } else say(`reusing ${h.label} (${found.id}, ${found.state})`);
      continue;
    }
    const r = await call<{ Instances?: { InstanceId?: string }[] }>(client, new RunInstancesCommand(runInput(t, s, d, groupId, h)), s.region);
    instances[h.label] = r.Instances?.[0]?.InstanceId as string;
    say(`launched ${h.label} (${instances[h.label]}) at ${h.privateIp}`);
  }
  await o.waitRunning(client, Object.values(instances));

  let allocationId = d.address?.allocationId;
  let publicIp = d.address?.publicIp;
  if (!allocationId) {
    const a = await call<{ AllocationId?: string; PublicIp?: string }>(client, new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: resourceTags(t, 'gateway', 'gateway') }] }), s.region);
    allocationId = a.AllocationId as string;
    publicIp = a.PublicIp as string;
    say(`allocated Elastic IP ${publicIp}`);
  }
  if (d.address?.associatedWith !== instances.gateway) {
    await call(client, new AssociateAddressCommand({ AllocationId: allocationId, InstanceId: instances.gateway }), s.region);
    say(`associated ${publicIp} with the gateway`);
  }
  await o.waitSsh(publicIp as string);
  say(`SSH answers on ${publicIp}`);
  return { groupId, instances, publicIp: publicIp as string, allocationId };
}
