// `cloud status` and `cloud down`: what a topology has in EC2 (found by its tags), and its teardown in
// the order AWS allows — instances, then the Elastic IP, then the security group. When a step fails the
// result says exactly what is still there and which of it is still billed.
import {
  DeleteSecurityGroupCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  ReleaseAddressCommand,
  TerminateInstancesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import type { ValidTopology } from '../topology/types';
import { describeEc2Error } from './errors';
import { commandName } from './names';
import { securityGroupName, TAG_HOST, TAG_ROLE, TAG_TOPOLOGY } from './model';

export interface CloudStatus {
  instances: { host: string; role: string; id: string; state: string; privateIp?: string; publicIp?: string }[];
  address?: { allocationId: string; publicIp: string; instanceId?: string };
  groupId?: string;
}

export async function cloudStatus(client: EC2Client, t: ValidTopology, region: string): Promise<CloudStatus> {
  let step = 'DescribeInstancesCommand';
  try {
    return await statusOf(client, t, (s) => (step = s));
  } catch (e) {
    throw describeEc2Error(e, step, region);
  }
}

async function statusOf(client: EC2Client, t: ValidTopology, at: (step: string) => void): Promise<CloudStatus> {
  const tagged = [{ Name: `tag:${TAG_TOPOLOGY}`, Values: [t.name] }];
  const res = (await client.send(new DescribeInstancesCommand({ Filters: [...tagged, { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] }] }))).Reservations ?? [];
  const tag = (i: { Tags?: { Key?: string; Value?: string }[] }, k: string) => i.Tags?.find((x) => x.Key === k)?.Value ?? '?';
  const instances = res.flatMap((r) => r.Instances ?? []).filter((i) => i.InstanceId).map((i) => ({
    host: tag(i, TAG_HOST), role: tag(i, TAG_ROLE), id: i.InstanceId as string, state: i.State?.Name ?? 'unknown', privateIp: i.PrivateIpAddress, publicIp: i.PublicIpAddress,
  }));
  at('DescribeAddressesCommand');
  const a = ((await client.send(new DescribeAddressesCommand({ Filters: tagged }))).Addresses ?? []).find((x) => x.AllocationId);
  at('DescribeSecurityGroupsCommand');
  const g = ((await client.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [securityGroupName(t)] }] }))).SecurityGroups ?? [])[0];
  return {
    instances,
    address: a ? { allocationId: a.AllocationId as string, publicIp: a.PublicIp ?? '?', instanceId: a.InstanceId } : undefined,
    groupId: g?.GroupId,
  };
}

export interface DownResult {
  ok: boolean;
  done: string[];
  /** What still exists after a failure; billed items say so. */
  remaining: string[];
  error?: string;
}

export interface DownOptions {
  onEvent?(line: string): void;
  /** Waits until the instances are terminated (the group cannot be deleted before). */
  waitTerminated(client: EC2Client, ids: string[]): Promise<void>;
}

export async function cloudDown(client: EC2Client, t: ValidTopology, region: string, o: DownOptions): Promise<DownResult> {
  const st = await cloudStatus(client, t, region);
  const done: string[] = [];
  const left = {
    instances: st.instances.filter((i) => i.state !== 'shutting-down'),
    address: st.address,
    group: st.groupId,
  };
  const remaining = () => [
    ...left.instances.map((i) => `instance ${i.host} ${i.id} (${i.state}${i.state === 'stopped' ? ': its volume is billed' : ': billed'})`),
    ...(left.address ? [`Elastic IP ${left.address.publicIp} ${left.address.allocationId} (billed while allocated)`] : []),
    ...(left.group ? [`security group ${securityGroupName(t)} ${left.group} (free)`] : []),
  ];
  const step = async (what: string, command: object, after: () => void) => {
    try {
      await client.send(command as never);
    } catch (e) {
      throw describeEc2Error(e, commandName(command), region);
    }
    after();
    done.push(what);
    o.onEvent?.(what);
  };
  try {
    const ids = st.instances.map((i) => i.id);
    if (ids.length) {
      await step(`terminated ${st.instances.map((i) => `${i.host} (${i.id})`).join(', ')}`, new TerminateInstancesCommand({ InstanceIds: ids }), () => (left.instances = []));
      await o.waitTerminated(client, ids);
    }
    if (st.address) await step(`released Elastic IP ${st.address.publicIp}`, new ReleaseAddressCommand({ AllocationId: st.address.allocationId }), () => (left.address = undefined));
    if (st.groupId) await step(`deleted security group ${securityGroupName(t)}`, new DeleteSecurityGroupCommand({ GroupId: st.groupId }), () => (left.group = undefined));
    return { ok: true, done, remaining: [] };
  } catch (e) {
    return { ok: false, done, remaining: remaining(), error: (e as Error).message };
  }
}
