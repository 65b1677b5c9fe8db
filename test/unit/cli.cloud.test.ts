// `rosvpn cloud` through the CLI's own entry point, on the real SDK client with a mocked transport:
// plan prints before anything is spent, up asks for confirmation, status and down report by tags.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  EC2Client,
  ReleaseAddressCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { run } from '../../src/cli/main';

// A 17-hex-digit instance id per private IP, e.g. 172.31.1.11 -> i-0000000000000000b.
const idFor = (ip: string) => `i-${Number(ip.split('.')[3]).toString(16).padStart(17, '0')}`;
const awsError = (name: string) => Object.assign(new Error(name), { name, $metadata: {} });

describe('rosvpn cloud (mocked SDK client)', () => {
  const ec2 = mockClient(EC2Client);
  let dir: string;
  let file: string;
  const saved = { ...process.env };

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(['cloud', ...args, file, '--region', 'us-west-2'], { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } as never);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
  const mutating = () => ec2.calls().map((c) => (c.args[0] as object).constructor.name).filter((n) => !n.startsWith('Describe'));

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-cloud-'));
    file = path.join(dir, 'rosvpn.json');
    fs.copyFileSync(path.join(__dirname, '..', 'fixtures', 'topologies', 'vxlan-1.json'), file);
    // Never a real endpoint or the metadata service: static dummy credentials.
    Object.assign(process.env, { AWS_EC2_METADATA_DISABLED: 'true', AWS_ACCESS_KEY_ID: 'AKIDTESTONLY', AWS_SECRET_ACCESS_KEY: 'test-only', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' });
  });
  after(() => {
    ec2.restore();
    // Restore key by key: replacing process.env with a plain object would cut it off from the real
    // environment (os.homedir() would stop following HOME for every later test).
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    ec2.reset();
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: 'subnet-ros', VpcId: 'vpc-1', CidrBlock: '172.31.1.0/24' }] });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    ec2.on(DescribeInstancesCommand).callsFake((input) =>
      input.InstanceIds ? { Reservations: [{ Instances: input.InstanceIds.map((id: string) => ({ InstanceId: id, State: { Name: 'running' } })) }] } : { Reservations: [] },
    );
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [] });
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-new', Name: 'ubuntu-noble', CreationDate: '2026-11-01T00:00:00.000Z' }] });
    for (const C of [CreateSecurityGroupCommand, RunInstancesCommand, AllocateAddressCommand]) ec2.on(C as never, { DryRun: true }).rejects(awsError('DryRunOperation'));
    ec2.on(CreateSecurityGroupCommand, { GroupName: 'rosvpn-demo' }).resolves({ GroupId: 'sg-1' });
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({});
    ec2.on(RunInstancesCommand).callsFake((input) => {
      if (input.DryRun) throw awsError('DryRunOperation');
      return { Instances: [{ InstanceId: idFor(input.NetworkInterfaces[0].PrivateIpAddress) }] };
    });
    ec2.on(AllocateAddressCommand).resolves({ AllocationId: 'eipalloc-1', PublicIp: '203.0.113.10' });
    ec2.on(AssociateAddressCommand).resolves({});
  });

  it('plan prints every resource and API call and makes only Describe calls', async () => {
    const r = await cli('plan');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /create instance gateway: t3\.small, ubuntu-noble, private IP 172\.31\.1\.11/);
    assert.match(r.out, /\[CreateSecurityGroup, AuthorizeSecurityGroupIngress\]/);
    assert.match(r.out, /billed by AWS/);
    assert.deepEqual(mutating(), []);
  });

  it('up without --yes and without a terminal creates nothing and says how to confirm', async () => {
    const r = await cli('up');
    assert.equal(r.code, 1);
    assert.match(r.err, /--yes/);
    assert.deepEqual(mutating(), []);
  });

  it('up without a key pair refuses before any call that costs, naming the setting and the flag', async () => {
    const before = fs.readFileSync(file, 'utf8');
    const r = await cli('up', '--yes', '--no-wait-ssh');
    assert.equal(r.code, 1);
    assert.match(r.err, /no EC2 key pair.*rosvpn\.aws\.keyName.*--key-name/);
    assert.deepEqual(mutating(), []);
    assert.equal(fs.readFileSync(file, 'utf8'), before);
  });

  it('up --yes creates group, instances and Elastic IP, waits for them, and writes ids and the address into rosvpn.json', async () => {
    const before = JSON.parse(fs.readFileSync(file, 'utf8'));
    const r = await cli('up', '--yes', '--no-wait-ssh', '--key-name', 'robots');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /up: gateway i-0000000000000000b at 203\.0\.113\.10/);
    assert.ok(ec2.commandCalls(DescribeInstancesCommand).some((c) => c.args[0].input.InstanceIds?.length === 2), 'waited for both instances');
    const after = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(after.gateway.instanceId, 'i-0000000000000000b');
    assert.equal(after.gateway.publicAddress, '203.0.113.10');
    assert.equal(after.seconds[0].instanceId, 'i-0000000000000000c');
    // The ssh alias is the user's: kept, with a note on where it must point.
    assert.equal(after.gateway.host, 'ros-openvpn');
    assert.match(r.out, /note: gateway\.host is 'ros-openvpn': make sure it reaches 203\.0\.113\.10/);
    // Everything else in the file is as it was.
    const strip = (j: { gateway: Record<string, unknown>; seconds: Record<string, unknown>[] }) => {
      delete j.gateway.instanceId;
      delete j.gateway.publicAddress;
      for (const x of j.seconds) delete x.instanceId;
      return j;
    };
    assert.deepEqual(strip(after), strip(before));
  });

  it('an unauthorized DryRun names the IAM action and creates nothing', async () => {
    ec2.on(RunInstancesCommand, { DryRun: true }).rejects(awsError('UnauthorizedOperation'));
    const r = await cli('up', '--yes', '--no-wait-ssh', '--key-name', 'robots');
    assert.equal(r.code, 1);
    assert.match(r.err, /ec2:RunInstances/);
    assert.deepEqual(ec2.commandCalls(RunInstancesCommand).filter((c) => !c.args[0].input.DryRun), []);
  });

  it('down --yes tears down by tags; a failure lists what is still billed', async () => {
    ec2.on(DescribeInstancesCommand).callsFake((input) => ({ Reservations: [{ Instances: input.InstanceIds
      ? input.InstanceIds.map((id: string) => ({ InstanceId: id, State: { Name: 'terminated' } }))
      : [{ InstanceId: 'i-gw', State: { Name: 'running' }, Tags: [{ Key: 'rosvpn:host', Value: 'gateway' }, { Key: 'rosvpn:role', Value: 'gateway' }] }] }] }));
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [{ AllocationId: 'eipalloc-1', PublicIp: '44.232.53.80', InstanceId: 'i-gw' }] });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-1' }] });
    ec2.on(TerminateInstancesCommand).resolves({});
    ec2.on(ReleaseAddressCommand).rejects(awsError('UnauthorizedOperation'));
    ec2.on(DeleteSecurityGroupCommand).resolves({});
    const status = await cli('status');
    assert.match(status.out, /gateway\s+gateway\s+i-gw\s+running/);
    const r = await cli('down', '--yes');
    assert.equal(r.code, 1);
    assert.match(r.err, /Elastic IP 44\.232\.53\.80 eipalloc-1 \(billed while allocated\)/);
  });
});
