// Reads what already exists of this deployment (owned.ts: our deployment id, our VPC) and plans what
// `cloud up` would do, before any money is spent: every resource as reuse, start or create, every rule to
// authorize or revoke, with the API calls, and the same-named resources that are not ours.
import { DescribeImagesCommand, type DescribeImagesCommandOutput, type EC2Client } from '@aws-sdk/client-ec2';
import type { ValidTopology } from '../topology/types';
import {
  CANONICAL_OWNER,
  cloudHosts,
  ruleChanges,
  ruleText,
  securityGroupName,
  UBUNTU_IMAGE_NAME,
  wantedRules,
  type CloudSettings,
  type Rule,
} from './model';
import { CloudError, findOwned, findSubnet, foreignLines, sender, type Foreign } from './owned';

export { CloudError } from './owned';

export interface Discovery {
  subnet: { id: string; vpcId: string; cidr: string };
  group?: { id: string; name: string; rules: Rule[] };
  /** Our live (not terminated, not shutting down) instances, by host label. */
  instances: Map<string, { id: string; state: string; privateIp?: string; publicIp?: string }>;
  address?: { allocationId: string; publicIp: string; associatedWith?: string };
  image: { id: string; name: string; found: 'configured' | 'looked-up'; rootDeviceName: string };
  /** Resources with our topology name that are not ours. */
  foreign: Foreign[];
}

export async function discover(client: EC2Client, t: ValidTopology, s: CloudSettings): Promise<Discovery> {
  const send = sender(client, s.region);
  const subnet = await findSubnet(send, t, s.region, s.subnetId);
  const owned = await findOwned(send, t, subnet.vpcId);
  const instances: Discovery['instances'] = new Map();
  for (const i of owned.instances)
    if (i.state !== 'shutting-down' && !instances.has(i.host))
      instances.set(i.host, { id: i.id, state: i.state, privateIp: i.privateIp, publicIp: i.publicIp });
  // The root device of the image: its volume is the one to encrypt (BlockDeviceMappings name it).
  let image: Discovery['image'];
  if (s.amiId) {
    let found: DescribeImagesCommandOutput['Images'];
    try {
      found = (await send<DescribeImagesCommandOutput>(new DescribeImagesCommand({ ImageIds: [s.amiId] }))).Images;
    } catch (e) {
      if (!/InvalidAMIID/.test(`${(e as Error).message}`)) throw e;
    }
    const x = found?.find((i) => i.ImageId === s.amiId);
    if (!x) throw new CloudError(`AMI ${s.amiId} was not found in ${s.region}: check rosvpn.aws.amiId / --ami and the region`, 'NO_IMAGE');
    if (!x.RootDeviceName)
      throw new CloudError(`AMI ${s.amiId} names no root device; choose an EBS-backed image (rosvpn.aws.amiId / --ami)`, 'NO_IMAGE');
    image = { id: s.amiId, name: x.Name ?? s.amiId, found: 'configured', rootDeviceName: x.RootDeviceName };
  } else {
    const images =
      (
        await send<DescribeImagesCommandOutput>(
          new DescribeImagesCommand({
            Owners: [CANONICAL_OWNER],
            Filters: [
              { Name: 'name', Values: [UBUNTU_IMAGE_NAME] },
              { Name: 'state', Values: ['available'] },
              { Name: 'architecture', Values: ['x86_64'] },
            ],
          }),
        )
      ).Images ?? [];
    const newest = images
      .filter((x) => x.ImageId && x.CreationDate && x.RootDeviceName)
      .sort((x, y) => (y.CreationDate as string).localeCompare(x.CreationDate as string))[0];
    if (!newest)
      throw new CloudError(`no Canonical Ubuntu 24.04 image found in ${s.region}: set one with rosvpn.aws.amiId / --ami`, 'NO_IMAGE');
    image = {
      id: newest.ImageId as string,
      name: newest.Name ?? (newest.ImageId as string),
      found: 'looked-up',
      rootDeviceName: newest.RootDeviceName as string,
    };
  }
  return {
    subnet,
    group: owned.group,
    instances,
    address: owned.address
      ? { allocationId: owned.address.allocationId, publicIp: owned.address.publicIp, associatedWith: owned.address.instanceId }
      : undefined,
    image,
    foreign: owned.foreign,
  };
}

export interface PlanStep {
  action: 'reuse' | 'create' | 'start' | 'authorize' | 'revoke';
  resource: string;
  detail: string;
  /** The EC2 API calls this step makes. */
  calls: string[];
}

/** The rule changes `up` makes on an existing group (none for a new one: it gets every wanted rule). */
export function groupRuleChanges(t: ValidTopology, s: CloudSettings, d: Discovery): { authorize: Rule[]; revoke: Rule[] } {
  if (!d.group) return { authorize: [], revoke: [] };
  const sshKnown = !!s.sshCidr && s.sshCidr !== 'auto';
  return ruleChanges(d.group.rules, wantedRules(t, s, d.group.id), sshKnown);
}

// long: one step per resource, in the order the plan prints them and up makes them (subnet, group and its
// rules, instances, Elastic IP); each step keeps its API calls beside it.
/** What `cloud up` would do, given what exists. Pure: the same discovery gives the same plan. */
export function planCloud(t: ValidTopology, s: CloudSettings, d: Discovery): PlanStep[] {
  const steps: PlanStep[] = [
    {
      action: 'reuse',
      resource: `subnet ${d.subnet.id}`,
      detail: `${d.subnet.cidr} in ${d.subnet.vpcId}, holds every cloud IP`,
      calls: [],
    },
  ];
  if (d.group) {
    const c = groupRuleChanges(t, s, d);
    steps.push({
      action: 'reuse',
      resource: `security group ${d.group.name} (${d.group.id})`,
      detail: c.authorize.length || c.revoke.length ? 'rules changed as below' : 'rules as wanted',
      calls: [],
    });
    for (const r of c.authorize)
      steps.push({
        action: 'authorize',
        resource: `rule ${ruleText(r, d.group.id)}`,
        detail: `on ${d.group.id}`,
        calls: ['AuthorizeSecurityGroupIngress'],
      });
    for (const r of c.revoke)
      steps.push({
        action: 'revoke',
        resource: `rule ${ruleText(r, d.group.id)}`,
        detail: `on ${d.group.id}: not wanted any more`,
        calls: ['RevokeSecurityGroupIngress'],
      });
  } else {
    const ssh = s.sshCidr && s.sshCidr !== 'auto' ? s.sshCidr : '(no SSH CIDR yet: up refuses)';
    steps.push({
      action: 'create',
      resource: `security group ${t.deployment ? securityGroupName(t) : `rosvpn-${t.name}-<new deployment id>`}`,
      detail: `OpenVPN ${t.gateway.openvpnProto}/${t.gateway.openvpnPort} from ${s.openvpnCidr}, SSH and ping from ${ssh} and from the group itself, ${t.tunnel === 'vxlan' ? `UDP ${t.vxlan.port}` : 'IP protocol 47'} only from the group`,
      calls: ['CreateSecurityGroup', 'AuthorizeSecurityGroupIngress'],
    });
  }
  for (const h of cloudHosts(t)) {
    const found = d.instances.get(h.label);
    if (found && found.state === 'stopped')
      steps.push({
        action: 'start',
        resource: `instance ${h.label} (${found.id})`,
        detail: `stopped; ${h.privateIp}`,
        calls: ['StartInstances'],
      });
    else if (found)
      steps.push({
        action: 'reuse',
        resource: `instance ${h.label} (${found.id})`,
        detail: `${found.state}; ${found.privateIp ?? h.privateIp}`,
        calls: [],
      });
    else
      steps.push({
        action: 'create',
        resource: `instance ${h.label}`,
        detail: `${s.instanceType}, ${d.image.name}, private IP ${h.privateIp}, key pair ${s.keyName ?? '(none: up refuses; set a key pair)'}, IMDSv2 only, encrypted root volume ${d.image.rootDeviceName}`,
        calls: ['RunInstances'],
      });
  }
  steps.push(
    d.address
      ? {
          action: 'reuse',
          resource: `Elastic IP ${d.address.publicIp} (${d.address.allocationId})`,
          detail: d.address.associatedWith ? `associated with ${d.address.associatedWith}` : 'to be associated with the gateway',
          calls: d.address.associatedWith ? [] : ['AssociateAddress'],
        }
      : {
          action: 'create',
          resource: 'Elastic IP for the gateway',
          detail: 'the address the desktop gateway connects to',
          calls: ['AllocateAddress', 'AssociateAddress'],
        },
  );
  return steps;
}

/** The plan as text lines, the same in the CLI and in VS Code. */
export function planLines(t: ValidTopology, s: CloudSettings, plan: PlanStep[], d?: Discovery): string[] {
  const creates = planChanges(plan);
  const notes: string[] = [];
  if (!t.deployment)
    notes.push(
      'deployment: none yet; up writes a new random id into rosvpn.json and tags everything it creates with it (rosvpn:deployment)',
    );
  else
    notes.push(
      `deployment ${t.deployment}: only resources tagged rosvpn:deployment=${t.deployment} in ${d?.subnet.vpcId ?? "the subnet's VPC"} are ours`,
    );
  if (!s.sshCidr)
    notes.push(
      `up refuses: no SSH CIDR; ${"pass --ssh-cidr CIDR (CLI) or set rosvpn.aws.sshCidr (VS Code), or auto for this machine's public address"}`,
    );
  if (s.sshCidr === '0.0.0.0/0')
    notes.push('warning: SSH and ping are open to the whole internet (0.0.0.0/0, as asked); prefer your own network or auto');
  notes.push(
    `OpenVPN from ${s.openvpnCidr}: ${s.openvpnCidr === '0.0.0.0/0' ? 'open to every address, which is fine: ' : ''}tls-crypt drops every packet not signed with this topology's key, unanswered`,
  );
  return [
    `plan for topology ${t.name} in ${s.region}:`,
    ...plan.map((p) => `  ${p.action.padEnd(6)} ${p.resource}: ${p.detail}${p.calls.length ? `  [${p.calls.join(', ')}]` : ''}`),
    ...notes.map((n) => `  ${n}`),
    ...(d ? foreignLines(t, d.foreign, d.subnet.vpcId).map((l) => `  ${l}`) : []),
    creates
      ? `${creates} change(s). Instances and the Elastic IP are billed by AWS from creation until 'rosvpn cloud down'.`
      : 'nothing to change: everything exists as wanted.',
  ];
}

/** How many steps of the plan change something (and may cost money). */
export function planChanges(plan: PlanStep[]): number {
  return plan.filter((p) => p.action !== 'reuse').length;
}
