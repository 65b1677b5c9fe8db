// `cloud status` and `cloud down`: what this deployment has in EC2 (owned.ts: our deployment id in the
// subnet's VPC), and its teardown. The teardown deletes exactly the list the user confirmed (no query in
// between), after a DryRun of every delete call, in the order AWS allows — instances, then the Elastic IP,
// then the security group. When a step fails the result says exactly what is still there and what is billed.
import { DeleteSecurityGroupCommand, ReleaseAddressCommand, TerminateInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { ValidTopology } from '../topology/types';
import { describeEc2Error } from './errors';
import { commandName } from './names';
import { findOwned, findSubnet, foreignLines, sender, type Foreign, type OwnedInstance } from './owned';
import { dryRun } from './up';

export interface CloudStatus {
  /** The deployment id the lookup used; undefined: rosvpn.json has none, so nothing is ours. */
  deployment?: string;
  vpcId: string;
  instances: OwnedInstance[];
  address?: { allocationId: string; publicIp: string; instanceId?: string };
  groupId?: string;
  groupName?: string;
  /** Same topology name, not ours: listed, never touched. */
  foreign: Foreign[];
}

export async function cloudStatus(client: EC2Client, t: ValidTopology, s: { region: string; subnetId?: string }): Promise<CloudStatus> {
  const send = sender(client, s.region);
  const subnet = await findSubnet(send, t, s.region, s.subnetId);
  const owned = await findOwned(send, t, subnet.vpcId);
  return {
    deployment: t.deployment,
    vpcId: subnet.vpcId,
    instances: owned.instances,
    address: owned.address,
    groupId: owned.group?.id,
    groupName: owned.group?.name,
    foreign: owned.foreign,
  };
}

/** Anything of ours at all? */
export function hasOwned(st: CloudStatus): boolean {
  return st.instances.length > 0 || !!st.address || !!st.groupId;
}

/** Every id teardown deletes, one per line: what the confirmation shows, and all that `cloudDown` touches. */
export function teardownItems(st: CloudStatus): string[] {
  return [
    ...st.instances.map((i) => `instance ${i.id} (${i.host}, ${i.state})`),
    ...(st.address ? [`Elastic IP ${st.address.allocationId} (${st.address.publicIp})`] : []),
    ...(st.groupId ? [`security group ${st.groupId} (${st.groupName ?? '?'})`] : []),
  ];
}

/** What to say when nothing is ours: why, and the same-named resources that are someone else's. */
export function nothingOursLines(t: ValidTopology, st: CloudStatus, region: string): string[] {
  const head = st.deployment
    ? `nothing of deployment ${st.deployment} (topology ${t.name}) in ${st.vpcId}, ${region}`
    : `rosvpn.json has no deployment id, so nothing in EC2 is known to be this topology's ('rosvpn cloud up' writes one when it creates resources)`;
  return [head, ...foreignLines(t, st.foreign, st.vpcId)];
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

/** Deletes exactly what `st` lists (from cloudStatus, as confirmed); DryRun of every delete first. */
export async function cloudDown(client: EC2Client, st: CloudStatus, region: string, o: DownOptions): Promise<DownResult> {
  const done: string[] = [];
  const ids = st.instances.map((i) => i.id);
  const left = {
    instances: st.instances.filter((i) => i.state !== 'shutting-down'),
    address: st.address,
    group: st.groupId,
  };
  const remaining = () => [
    ...left.instances.map((i) => `instance ${i.host} ${i.id} (${i.state}${i.state === 'stopped' ? ': its volume is billed' : ': billed'})`),
    ...(left.address ? [`Elastic IP ${left.address.publicIp} ${left.address.allocationId} (billed while allocated)`] : []),
    ...(left.group ? [`security group ${st.groupName ?? '?'} ${left.group} (free)`] : []),
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
    // A missing permission must delete nothing: every delete call is tried as a DryRun before the first.
    if (ids.length) await dryRun(client, new TerminateInstancesCommand({ DryRun: true, InstanceIds: ids }), region);
    if (st.address) await dryRun(client, new ReleaseAddressCommand({ DryRun: true, AllocationId: st.address.allocationId }), region);
    if (st.groupId) await dryRun(client, new DeleteSecurityGroupCommand({ DryRun: true, GroupId: st.groupId }), region);
    if (ids.length) {
      await step(
        `terminated ${st.instances.map((i) => `${i.host} (${i.id})`).join(', ')}`,
        new TerminateInstancesCommand({ InstanceIds: ids }),
        () => (left.instances = []),
      );
      await o.waitTerminated(client, ids);
    }
    if (st.address)
      await step(
        `released Elastic IP ${st.address.publicIp} (${st.address.allocationId})`,
        new ReleaseAddressCommand({ AllocationId: st.address.allocationId }),
        () => (left.address = undefined),
      );
    if (st.groupId)
      await step(
        `deleted security group ${st.groupName ?? '?'} (${st.groupId})`,
        new DeleteSecurityGroupCommand({ GroupId: st.groupId }),
        () => (left.group = undefined),
      );
    return { ok: true, done, remaining: [] };
  } catch (e) {
    return { ok: false, done, remaining: remaining(), error: (e as Error).message };
  }
}
