// Start and stop this deployment's instances (owned.ts), e.g. to stop paying for compute overnight.
// A stopped instance keeps its disk and private IP; the gateway keeps its Elastic IP (billed while idle).
// Instances with the same topology name but not ours are never in the list, so never started or stopped.
import { StartInstancesCommand, StopInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { ValidTopology } from '../topology/types';
import { cloudStatus, nothingOursLines } from './down';
import { CloudError } from './owned';
import { describeEc2Error } from './errors';
import { commandName } from './names';

export type PowerAction = 'start' | 'stop';

export interface PowerResult {
  /** Instances a call was made for: host label, id and the state before. */
  changed: { host: string; id: string; from: string }[];
  /** Hosts already in the wanted state (or on their way there). */
  unchanged: { host: string; id: string; state: string }[];
}

/** Starts or stops the instances of `hosts` (host labels; default: every cloud host of the topology). */
export async function setPower(
  client: EC2Client,
  t: ValidTopology,
  action: PowerAction,
  s: { region: string; subnetId?: string },
  hosts?: string[],
): Promise<PowerResult> {
  const st = await cloudStatus(client, t, s);
  const live = st.instances.filter((i) => i.state !== 'shutting-down');
  const wanted = hosts ?? live.map((i) => i.host);
  const missing = wanted.filter((h) => !live.some((i) => i.host === h));
  if (missing.length || !live.length) {
    const why = st.deployment
      ? `no instance of deployment ${st.deployment} (topology ${t.name}) for ${missing.join(', ') || 'any host'} in ${s.region}: launch it with 'rosvpn cloud up' (or "ROS VPN: Launch Cloud Instances")`
      : nothingOursLines(t, st, s.region)[0];
    const others = nothingOursLines(t, st, s.region).slice(1);
    throw new CloudError([why, ...others].join('; '), 'CONFIG');
  }
  const target = live.filter((i) => wanted.includes(i.host));
  const done = action === 'start' ? ['pending', 'running'] : ['stopping', 'stopped'];
  const changed = target.filter((i) => !done.includes(i.state));
  const unchanged = target.filter((i) => done.includes(i.state)).map((i) => ({ host: i.host, id: i.id, state: i.state }));
  if (changed.length) {
    const ids = changed.map((i) => i.id);
    const command = action === 'start' ? new StartInstancesCommand({ InstanceIds: ids }) : new StopInstancesCommand({ InstanceIds: ids });
    try {
      await client.send(command as never);
    } catch (e) {
      throw describeEc2Error(e, commandName(command), s.region);
    }
  }
  return { changed: changed.map((i) => ({ host: i.host, id: i.id, from: i.state })), unchanged };
}
