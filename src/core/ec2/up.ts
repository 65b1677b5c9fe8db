// `cloud up`: a DryRun permission check before anything is created, then the security group, one instance
// per cloud host at its topology private IP (IMDSv2 only, encrypted root volume), and an Elastic IP on the
// gateway, everything tagged with the deployment id. Idempotent: what discovery finds of this deployment is
// reused, a stopped instance is started, the group's rules are made the wanted ones (missing rules authorized,
// others revoked), and a rerun that finds everything as wanted sends no mutating call at all.
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  type EC2Client,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import type { ValidTopology } from '../topology/types';
import { discover, groupRuleChanges, type Discovery } from './discover';
import { CloudSettingsError, requireSshCidr } from './settings';
import { describeEc2Error } from './errors';
import { commandName } from './names';
import { cloudHosts, ingressRules, resourceTags, securityGroupName, toIpPermissions, type CloudSettings } from './model';
import { CloudError } from './owned';

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
export async function dryRun(client: EC2Client, command: Sendable, region: string): Promise<void> {
  try {
    await client.send(command as never);
  } catch (e) {
    if ((e as { name?: string }).name === 'DryRunOperation') return;
    throw describeEc2Error(e, commandName(command), region);
  }
  // A DryRun that succeeds was not a DryRun: an endpoint that ignores the flag must not go unnoticed.
  throw new CloudError(
    `${commandName(command).replace(/Command$/, '')} with DryRun did not answer DryRunOperation: the EC2 endpoint ignored DryRun; stopping`,
    'CONFIG',
  );
}

/** The launch of one host: its private IP, the group, tags on instance and volume, IMDSv2, encrypted root. */
export function runInput(
  t: ValidTopology,
  s: CloudSettings,
  d: Discovery,
  groupId: string | undefined,
  h: ReturnType<typeof cloudHosts>[number],
): RunInstancesCommandInput {
  return {
    ImageId: d.image.id,
    InstanceType: s.instanceType as RunInstancesCommandInput['InstanceType'],
    ...(s.keyName ? { KeyName: s.keyName } : {}),
    MinCount: 1,
    MaxCount: 1,
    // Every host needs the internet for apt; the gateway's address is replaced by its Elastic IP.
    NetworkInterfaces: [
      {
        DeviceIndex: 0,
        SubnetId: d.subnet.id,
        PrivateIpAddress: h.privateIp,
        ...(groupId ? { Groups: [groupId] } : {}),
        AssociatePublicIpAddress: true,
      },
    ],
    // Session tokens only (IMDSv2), and one hop: containers on the host cannot reach the metadata service.
    MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' },
    // The root volume holds the CA and the client keys: encrypted (the account's default EBS key).
    BlockDeviceMappings: [{ DeviceName: d.image.rootDeviceName, Ebs: { Encrypted: true, DeleteOnTermination: true } }],
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
  return cloudHosts(t)
    .filter((h) => !d.instances.has(h.label))
    .map((h) => h.label);
}

// long: the launch in the order of its API calls (DryRun of each first, then group, rules, instances,
// address), with what is billed after each step noted where it happens; split, the order would be hidden.
export async function cloudUp(client: EC2Client, t: ValidTopology, s: CloudSettings, o: UpOptions): Promise<UpResult> {
  const say = (line: string) => o.onEvent?.(line);
  requireSshCidr(s);
  if (!t.deployment)
    throw new CloudError('internal: cloud up needs the deployment id in rosvpn.json first (the CLI and VS Code write it)', 'CONFIG');
  const d = await discover(client, t, s);
  const hosts = cloudHosts(t);
  const missing = hosts.filter((h) => !d.instances.has(h.label));
  const stopped = hosts
    .map((h) => d.instances.get(h.label))
    .filter((i) => i?.state === 'stopped')
    .map((i) => i!.id);
  checkKeyPair(
    s,
    missing.map((h) => h.label),
  );
  const rules = groupRuleChanges(t, s, d);

  // Permissions first: nothing is created (or billed) unless every mutating call would be allowed. A rerun
  // with nothing to do sends none of these either.
  if (!d.group || missing.length || stopped.length || !d.address || rules.authorize.length || rules.revoke.length)
    say('checking permissions (DryRun)');
  if (!d.group)
    await dryRun(
      client,
      new CreateSecurityGroupCommand({ DryRun: true, GroupName: securityGroupName(t), Description: 'x', VpcId: d.subnet.vpcId }),
      s.region,
    );
  if (d.group && rules.authorize.length)
    await dryRun(
      client,
      new AuthorizeSecurityGroupIngressCommand({ DryRun: true, GroupId: d.group.id, IpPermissions: toIpPermissions(rules.authorize) }),
      s.region,
    );
  if (d.group && rules.revoke.length)
    await dryRun(
      client,
      new RevokeSecurityGroupIngressCommand({ DryRun: true, GroupId: d.group.id, IpPermissions: toIpPermissions(rules.revoke) }),
      s.region,
    );
  if (missing.length)
    await dryRun(client, new RunInstancesCommand({ ...runInput(t, s, d, d.group?.id, missing[0]), DryRun: true }), s.region);
  if (stopped.length) await dryRun(client, new StartInstancesCommand({ DryRun: true, InstanceIds: stopped }), s.region);
  if (!d.address) await dryRun(client, new AllocateAddressCommand({ DryRun: true, Domain: 'vpc' }), s.region);

  let groupId = d.group?.id;
  if (!groupId) {
    const created = await call<{ GroupId?: string }>(
      client,
      new CreateSecurityGroupCommand({
        GroupName: securityGroupName(t),
        Description: `ROS VPN topology ${t.name}, deployment ${t.deployment}: OpenVPN, SSH, ping, ${t.tunnel} between its hosts`,
        VpcId: d.subnet.vpcId,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: resourceTags(t) }],
      }),
      s.region,
    );
    groupId = created.GroupId as string;
    await call(
      client,
      new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: ingressRules(t, s, groupId) }),
      s.region,
    );
    say(`created security group ${securityGroupName(t)} (${groupId})`);
  } else {
    // Added before the old ones go, so that narrowing a CIDR never leaves a moment without access.
    if (rules.authorize.length) {
      await call(
        client,
        new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: toIpPermissions(rules.authorize) }),
        s.region,
      );
      say(`authorized ${rules.authorize.length} rule(s) on ${groupId}`);
    }
    if (rules.revoke.length) {
      await call(
        client,
        new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: toIpPermissions(rules.revoke) }),
        s.region,
      );
      say(`revoked ${rules.revoke.length} rule(s) on ${groupId}`);
    }
    say(`reusing security group ${d.group!.name} (${groupId})`);
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
    const r = await call<{ Instances?: { InstanceId?: string }[] }>(
      client,
      new RunInstancesCommand(runInput(t, s, d, groupId, h)),
      s.region,
    );
    instances[h.label] = r.Instances?.[0]?.InstanceId as string;
    say(`launched ${h.label} (${instances[h.label]}) at ${h.privateIp}`);
  }
  await o.waitRunning(client, Object.values(instances));

  let allocationId = d.address?.allocationId;
  let publicIp = d.address?.publicIp;
  if (!allocationId) {
    const a = await call<{ AllocationId?: string; PublicIp?: string }>(
      client,
      new AllocateAddressCommand({
        Domain: 'vpc',
        TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: resourceTags(t, 'gateway', 'gateway') }],
      }),
      s.region,
    );
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
