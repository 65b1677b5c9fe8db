// `rosvpn cloud plan|up|status|down`: the EC2 side of a topology. The AWS SDK loads only here.
import type { CloudSettings } from '../core/ec2/model';
import type { ValidTopology } from '../core/topology/types';
import * as path from 'node:path';
import { askYesNo, canPrompt } from './prompt';

// Loaded on first use (require, which the bundle evaluates lazily and tsx resolves in tests), so that
// commands without EC2 never load the AWS SDK.
/* eslint-disable @typescript-eslint/no-require-imports */
const ec2 = {
  model: () => require('../core/ec2/model') as typeof import('../core/ec2/model'),
  client: () => require('../core/ec2/client') as typeof import('../core/ec2/client'),
  discover: () => require('../core/ec2/discover') as typeof import('../core/ec2/discover'),
  up: () => require('../core/ec2/up') as typeof import('../core/ec2/up'),
  down: () => require('../core/ec2/down') as typeof import('../core/ec2/down'),
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
    { region: f.region, profile: f.profile, instanceType: f.instanceType, keyName: f.keyName, amiId: f.ami, subnetId: f.subnet, sshCidr: f.sshCidr, openvpnCidr: f.openvpnCidr },
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

export async function cloudCommand(io: CloudIo, sub: string, t: ValidTopology, file: string, f: CloudFlags): Promise<number> {
  const s = await cloudSettings(f);
  const { createEc2Client, waitRunning, waitSsh, waitTerminated } = ec2.client();
  const client = createEc2Client(s);
  try {
    if (sub === 'plan' || sub === 'up') {
      const { discover, planCloud, planLines, planChanges } = ec2.discover();
      const plan = planCloud(t, s, await discover(client, t, s));
      for (const line of planLines(t, s, plan)) io.out(line);
      const creates = planChanges(plan);
      if (sub === 'plan') return 0;
      // A rerun with nothing to create costs nothing: it still checks the rules and writes the ids back.
      if (creates && !(await confirm(io, f, `create and start these resources in ${s.region}?`))) return 1;
      const { cloudUp } = ec2.up();
      const r = await cloudUp(client, t, s, {
        onEvent: (l) => io.out(l),
        waitRunning,
        waitSsh: f.waitSsh === false ? async () => undefined : (a) => waitSsh(a),
      });
      io.out(`up: gateway ${r.instances.gateway} at ${r.publicIp}; ${Object.keys(r.instances).length} instance(s) in ${r.groupId}`);
      await applyWriteBack(io, file, (require('../core/ec2/writeBack') as typeof import('../core/ec2/writeBack')).cloudWriteBack(t, r));
      return 0;
    }
    if (sub === 'status') {
      const { cloudStatus } = ec2.down();
      const st = await cloudStatus(client, t, s.region);
      if (!st.instances.length && !st.address && !st.groupId) io.out(`nothing of topology ${t.name} in ${s.region}`);
      for (const i of st.instances) io.out(`${i.host.padEnd(12)} ${i.role.padEnd(8)} ${i.id.padEnd(20)} ${i.state.padEnd(10)} ${i.privateIp ?? ''} ${i.publicIp ?? ''}`.trimEnd());
      if (st.address) io.out(`Elastic IP ${st.address.publicIp} (${st.address.allocationId})${st.address.instanceId ? ` on ${st.address.instanceId}` : ', not associated (still billed)'}`);
      if (st.groupId) io.out(`security group ${st.groupId}`);
      return 0;
    }
    if (sub === 'start' || sub === 'stop') {
      const { setPower } = ec2.power();
      const r = await setPower(client, t, sub, s.region, f.hosts);
      for (const c of r.changed) io.out(`${sub === 'start' ? 'starting' : 'stopping'} ${c.host} (${c.id}, was ${c.from})`);
      for (const u of r.unchanged) io.out(`${u.host} (${u.id}) is already ${u.state}`);
      if (sub === 'stop' && r.changed.length) io.out('stopped instances keep their disks (billed) and the Elastic IP stays allocated (billed while idle); rosvpn cloud down removes both');
      return 0;
    }
    if (sub === 'down') {
      if (!(await confirm(io, f, `terminate every instance of topology ${t.name}, release its Elastic IP and delete its security group in ${s.region}?`))) return 1;
      const { cloudDown } = ec2.down();
      const r = await cloudDown(client, t, s.region, { onEvent: (l) => io.out(l), waitTerminated });
      if (r.ok) {
        io.out('down: nothing of this topology is left in EC2');
        await applyWriteBack(io, file, (require('../core/ec2/writeBack') as typeof import('../core/ec2/writeBack')).cloudForget(t));
        return 0;
      }
      io.err(`down: FAILED: ${r.error}`);
      io.err('still there:');
      for (const x of r.remaining) io.err(`  ${x}`);
      return 1;
    }
    throw new Error(`unknown cloud command '${sub}': use plan, up, status, start, stop or down`);
  } catch (e) {
    io.err(`cloud ${sub}: ${(e as Error).message}`);
    return 1;
  } finally {
    client.destroy();
  }
}
