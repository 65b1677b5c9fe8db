// `rosvpn cloud plan|up|status|down`: the EC2 side of a topology. The AWS SDK loads only here.
import type { CloudSettings } from '../core/ec2/model';
import type { ValidTopology } from '../core/topology/types';
import * as path from 'node:path';
import { askYesNo, canPrompt } from './prompt';

// The SDK warns on every run under Node < 22 that its *future* releases will need 22; the version locked
// here runs on Node 20, so the warning would only bury the command's output. The user's setting wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Loaded on first use (require, which the bundle evaluates lazily and tsx resolves in tests), so that
// commands without EC2 never load the AWS SDK.
/* eslint-disable @typescript-eslint/no-require-imports */
const ec2 = {
  model: () => require('../core/ec2/model') as typeof import('../core/ec2/model'),
  client: () => require('../core/ec2/client') as typeof import('../core/ec2/client'),
  discover: () => require('../core/ec2/discover') as typeof import('../core/ec2/discover'),
  up: () => require('../core/ec2/up') as typeof import('../core/ec2/up'),
  down: () => require('../core/ec2/down') as typeof import('../core/ec2/down'),
  owned: () => require('../core/ec2/owned') as typeof import('../core/ec2/owned'),
  power: () => require('../core/ec2/power') as typeof import('../core/ec2/power'),
};

export interface CloudIo {
  out(line: string): void;
  err(line: string): void;
}

export interface CloudFlags {
  region?: string;
  profile?: string;
  instanceType?: string;
  keyName?: string;
  ami?: string;
  subnet?: string;
  sshCidr?: string;
  openvpnCidr?: string;
  yes?: boolean;
  waitSsh?: boolean;
  /** start/stop: these host labels only (default: every cloud host). */
  hosts?: string[];
}

export async function cloudSettings(f: CloudFlags): Promise<CloudSettings> {
  const { resolveCloudSettings, flagName } = require('../core/ec2/settings') as typeof import('../core/ec2/settings');
  return resolveCloudSettings(
    {
      region: f.region,
      profile: f.profile,
      instanceType: f.instanceType,
      keyName: f.keyName,
      amiId: f.ami,
      subnetId: f.subnet,
      sshCidr: f.sshCidr,
      openvpnCidr: f.openvpnCidr,
    },
    flagName,
    process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
  );
}

async function confirm(io: CloudIo, f: CloudFlags, question: string): Promise<boolean> {
  if (f.yes) return true;
  if (!canPrompt()) {
    io.err(`${question} — not confirmed: rerun with --yes to proceed without a prompt`);
    return false;
  }
  return askYesNo(question);
}

/** Writes what `up` learnt (or `down` ended) into the topology file, keeping everything else in it. */
async function applyWriteBack(io: CloudIo, file: string, w: import('../core/ec2/writeBack').WriteBack): Promise<void> {
  const { applyTopologyEdit, loadTopology, writeTopologyFile } = require('../core/topology/file') as typeof import('../core/topology/file');
  const name = path.basename(file);
  if (w.changes.length) {
    const loaded = await loadTopology(file);
    await writeTopologyFile(file, applyTopologyEdit(loaded.raw as Record<string, unknown>, w.edit));
    io.out(`wrote into ${name}:`);
    for (const c of w.changes) io.out(`  ${c}`);
  } else io.out(`${name}: nothing to change`);
  for (const n of w.notes) io.out(`note: ${n}`);
}

type Ec2Client = import('@aws-sdk/client-ec2').EC2Client;

/** What each subcommand gets: the validated topology, its file, the flags and settings, and a client. */
interface CloudRun {
  io: CloudIo;
  t: ValidTopology;
  file: string;
  f: CloudFlags;
  s: CloudSettings;
  client: Ec2Client;
}

export async function cloudCommand(io: CloudIo, sub: string, topology: ValidTopology, file: string, f: CloudFlags): Promise<number> {
  let client: Ec2Client | undefined;
  try {
    const settings = require('../core/ec2/settings') as typeof import('../core/ec2/settings');
    let s = await cloudSettings(f);
    // Before any EC2 call: up needs to know who may reach SSH, and nothing is world-open by default.
    if (sub === 'up') settings.requireSshCidr(s);
    if (sub === 'plan' || sub === 'up') {
      const { publicIpv4 } = require('../core/ec2/checkip') as typeof import('../core/ec2/checkip');
      s = await settings.resolveSshCidr(s, () => publicIpv4());
      if (f.sshCidr?.trim().toLowerCase() === 'auto') io.out(`--ssh-cidr auto: this machine's public address is ${s.sshCidr}`);
    }
    client = ec2.client().createEc2Client(s);
    const r: CloudRun = { io, t: topology, file, f, s, client };
    if (sub === 'plan' || sub === 'up') return await planOrUp(r, sub === 'up');
    if (sub === 'status') return await status(r);
    if (sub === 'start' || sub === 'stop') return await power(r, sub);
    if (sub === 'down') return await down(r);
    throw new Error(`unknown cloud command '${sub}': use plan, up, status, start, stop or down`);
  } catch (e) {
    io.err(`cloud ${sub}: ${(e as Error).message}`);
    return 1;
  } finally {
    client?.destroy();
  }
}

async function planOrUp({ io, t, file, f, s, client }: CloudRun, up: boolean): Promise<number> {
  const { discover, planCloud, planLines, planChanges } = ec2.discover();
  const d = await discover(client, t, s);
  const plan = planCloud(t, s, d);
  for (const line of planLines(t, s, plan, d)) io.out(line);
  if (!up) return 0;
  // Before the confirmation: a launch without a key pair would fail after it.
  const { checkKeyPair, hostsToLaunch, cloudUp } = ec2.up();
  checkKeyPair(s, hostsToLaunch(t, d));
  // A rerun with nothing to change costs nothing and asks nothing.
  if (planChanges(plan) && !(await confirm(io, f, `make these changes in ${s.region}?`))) return 1;
  const wb = require('../core/ec2/writeBack') as typeof import('../core/ec2/writeBack');
  if (!t.deployment) {
    const id = wb.newDeploymentId();
    await applyWriteBack(io, file, wb.deploymentWriteBack(t, id));
    t = { ...t, deployment: id } as ValidTopology;
  }
  const { waitRunning, waitSsh } = ec2.client();
  const r = await cloudUp(client, t, s, {
    onEvent: (l) => io.out(l),
    waitRunning,
    waitSsh: f.waitSsh === false ? async () => undefined : (a) => waitSsh(a),
  });
  io.out(`up: gateway ${r.instances.gateway} at ${r.publicIp}; ${Object.keys(r.instances).length} instance(s) in ${r.groupId}`);
  await applyWriteBack(io, file, wb.cloudWriteBack(t, r));
  return 0;
}

async function status({ io, t, s, client }: CloudRun): Promise<number> {
  const { cloudStatus, hasOwned, nothingOursLines } = ec2.down();
  const st = await cloudStatus(client, t, s);
  if (!hasOwned(st)) {
    for (const l of nothingOursLines(t, st, s.region)) io.out(l);
    return 0;
  }
  io.out(`deployment ${st.deployment} of topology ${t.name} in ${st.vpcId}, ${s.region}:`);
  for (const i of st.instances)
    io.out(
      `${i.host.padEnd(12)} ${i.role.padEnd(8)} ${i.id.padEnd(20)} ${i.state.padEnd(10)} ${i.privateIp ?? ''} ${i.publicIp ?? ''}`.trimEnd(),
    );
  if (st.address)
    io.out(
      `Elastic IP ${st.address.publicIp} (${st.address.allocationId})${st.address.instanceId ? ` on ${st.address.instanceId}` : ', not associated (still billed)'}`,
    );
  if (st.groupId) io.out(`security group ${st.groupName} (${st.groupId})`);
  for (const l of ec2.owned().foreignLines(t, st.foreign, st.vpcId)) io.out(l);
  return 0;
}

async function power({ io, t, f, s, client }: CloudRun, sub: 'start' | 'stop'): Promise<number> {
  const r = await ec2.power().setPower(client, t, sub, s, f.hosts);
  for (const c of r.changed) io.out(`${sub === 'start' ? 'starting' : 'stopping'} ${c.host} (${c.id}, was ${c.from})`);
  for (const u of r.unchanged) io.out(`${u.host} (${u.id}) is already ${u.state}`);
  if (sub === 'stop' && r.changed.length)
    io.out(
      'stopped instances keep their disks (billed) and the Elastic IP stays allocated (billed while idle); rosvpn cloud down removes both',
    );
  return 0;
}

async function down({ io, t, file, f, s, client }: CloudRun): Promise<number> {
  const { cloudStatus, cloudDown, hasOwned, nothingOursLines, teardownItems } = ec2.down();
  // The list shown is the list deleted: no new query between the confirmation and the deletion.
  const st = await cloudStatus(client, t, s);
  if (!hasOwned(st)) {
    for (const l of nothingOursLines(t, st, s.region)) io.out(l);
    io.out('down: nothing to delete');
    return 0;
  }
  io.out(`down will delete, in ${s.region} (deployment ${st.deployment}, ${st.vpcId}):`);
  const items = teardownItems(st);
  for (const x of items) io.out(`  ${x}`);
  for (const l of ec2.owned().foreignLines(t, st.foreign, st.vpcId)) io.out(l);
  if (!(await confirm(io, f, `terminate, release and delete these ${items.length} resource(s)? The instances' disks are deleted too`)))
    return 1;
  const r = await cloudDown(client, st, s.region, { onEvent: (l) => io.out(l), waitTerminated: ec2.client().waitTerminated });
  if (r.ok) {
    io.out('down: nothing of this deployment is left in EC2');
    const wb = require('../core/ec2/writeBack') as typeof import('../core/ec2/writeBack');
    await applyWriteBack(io, file, wb.cloudForget(t));
    return 0;
  }
  io.err(`down: FAILED: ${r.error}`);
  io.err(r.done.length ? 'still there:' : 'nothing was deleted; still there:');
  for (const x of r.remaining) io.err(`  ${x}`);
  return 1;
}
