// `cloud up` on the real SDK client with a mocked transport: DryRun before anything is created, exact
// request shapes, an idempotent rerun, and a missing permission that creates (and bills) nothing.
import { strict as assert } from 'assert';
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  RunInstancesCommand,
  StartInstancesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { CLOUD_DEFAULTS, ingressRules, type CloudSettings } from '../../src/core/ec2/model';
import type { ValidTopology } from '../../src/core/topology/types';
import { cloudUp } from '../../src/core/ec2/up';
import { loadFixture } from '../support/fixtures';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
const settings: CloudSettings = { region: 'us-west-2', ...CLOUD_DEFAULTS, keyName: 'robots', sshCidr: '198.51.100.0/24' };
const ID = '0123456789abcdef';
const awsError = (name: string) => Object.assign(new Error(name), { name, $metadata: {} });
const MUTATING = [
  'CreateSecurityGroupCommand',
  'AuthorizeSecurityGroupIngressCommand',
  'RunInstancesCommand',
  'StartInstancesCommand',
  'AllocateAddressCommand',
  'AssociateAddressCommand',
];

describe('EC2: cloud up (mocked SDK client)', () => {
  const ec2 = mockClient(EC2Client);
  const t = { ...loadFixture('vxlan-1'), deployment: ID } as ValidTopology;
  let client: EC2Client;
  const waited: string[][] = [];
  const sshWaited: string[] = [];
  const opts = {
    waitRunning: async (_c: EC2Client, ids: string[]) => void waited.push(ids),
    waitSsh: async (a: string) => void sshWaited.push(a),
  };
  /** The commands sent, in order, DryRun ones marked. */
  const sent = () =>
    ec2.calls().map((c) => {
      const cmd = c.args[0] as { constructor: { name: string }; input: { DryRun?: boolean } };
      return `${cmd.constructor.name}${cmd.input.DryRun ? ' (DryRun)' : ''}`;
    });

  after(() => ec2.restore());
  beforeEach(() => {
    ec2.reset();
    waited.length = 0;
    sshWaited.length = 0;
    client = new EC2Client({ region: settings.region, credentials: { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'test-only' } });
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: 'subnet-ros', VpcId: 'vpc-1', CidrBlock: '172.31.1.0/24' }] });
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-1', CidrBlock: '172.31.0.0/16' }] });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [] });
    ec2.on(DescribeImagesCommand).resolves({
      Images: [{ ImageId: 'ami-new', Name: 'ubuntu-noble', CreationDate: '2026-11-01T00:00:00.000Z', RootDeviceName: '/dev/sda1' }],
    });
    ec2.on(CreateSecurityGroupCommand).callsFake((input) => {
      if (input.DryRun) throw awsError('DryRunOperation');
      return input.GroupName === `rosvpn-demo-${ID}` ? { GroupId: 'sg-1' } : {};
    });
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({});
    // A DryRun answers DryRunOperation, as EC2 does (an answer with a result would stop cloudUp).
    ec2.on(RunInstancesCommand).callsFake((input) => {
      if (input.DryRun) throw awsError('DryRunOperation');
      return { Instances: [{ InstanceId: `i-${input.NetworkInterfaces[0].PrivateIpAddress}` }] };
    });
    ec2.on(AllocateAddressCommand).callsFake((input) => {
      if (input.DryRun) throw awsError('DryRunOperation');
      return { AllocationId: 'eipalloc-1', PublicIp: '44.232.53.80' };
    });
    ec2.on(AssociateAddressCommand).resolves({});
  });

  it('checks every mutating call with DryRun first, then creates group, instances and Elastic IP', async () => {
    const r = await cloudUp(client, t, settings, opts);
    const order = sent().filter((c) => MUTATING.some((m) => c.startsWith(m)));
    assert.deepEqual(order, [
      'CreateSecurityGroupCommand (DryRun)',
      'RunInstancesCommand (DryRun)',
      'AllocateAddressCommand (DryRun)',
      'CreateSecurityGroupCommand',
      'AuthorizeSecurityGroupIngressCommand',
      'RunInstancesCommand',
      'RunInstancesCommand',
      'AllocateAddressCommand',
      'AssociateAddressCommand',
    ]);
    assert.deepEqual(r, {
      groupId: 'sg-1',
      instances: { gateway: 'i-172.31.1.11', second: 'i-172.31.1.12' },
      publicIp: '44.232.53.80',
      allocationId: 'eipalloc-1',
    });
    const run = ec2.commandCalls(RunInstancesCommand).filter((c) => !c.args[0].input.DryRun)[1].args[0].input;
    assert.equal(run.ImageId, 'ami-new');
    assert.equal(run.KeyName, 'robots');
    assert.deepEqual(run.NetworkInterfaces, [
      { DeviceIndex: 0, SubnetId: 'subnet-ros', PrivateIpAddress: '172.31.1.12', Groups: ['sg-1'], AssociatePublicIpAddress: true },
    ]);
    assert.deepEqual(run.MetadataOptions, { HttpTokens: 'required', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' });
    assert.deepEqual(run.BlockDeviceMappings, [{ DeviceName: '/dev/sda1', Ebs: { Encrypted: true, DeleteOnTermination: true } }]);
    assert.deepEqual(run.TagSpecifications?.[0].Tags, [
      { Key: 'Name', Value: 'rosvpn-demo-second' },
      { Key: 'rosvpn:topology', Value: 'demo' },
      { Key: 'rosvpn:deployment', Value: ID },
      { Key: 'rosvpn:role', Value: 'second' },
      { Key: 'rosvpn:host', Value: 'second' },
    ]);
    // The DryRun launch carries the same private IP and hardening as the real one.
    const dry = ec2.commandCalls(RunInstancesCommand).find((c) => c.args[0].input.DryRun)!.args[0].input;
    assert.equal(dry.NetworkInterfaces?.[0].PrivateIpAddress, '172.31.1.11');
    assert.deepEqual([dry.MetadataOptions, dry.BlockDeviceMappings], [run.MetadataOptions, run.BlockDeviceMappings]);
    const rules = ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)[0].args[0].input.IpPermissions!;
    assert.deepEqual(
      rules.map((x) => `${x.IpProtocol}/${x.FromPort ?? ''}`),
      ['udp/1194', 'tcp/22', 'icmp/8', 'udp/4789'],
    );
    assert.deepEqual(ec2.commandCalls(AssociateAddressCommand)[0].args[0].input, {
      AllocationId: 'eipalloc-1',
      InstanceId: 'i-172.31.1.11',
    });
    assert.deepEqual(waited, [['i-172.31.1.11', 'i-172.31.1.12']]);
    assert.deepEqual(sshWaited, ['44.232.53.80']);
  });

  it('a rerun finds everything by its deployment tag: no create, no rule call, only the stopped second is started', async () => {
    const tags = (h?: string) => [{ Key: 'rosvpn:deployment', Value: ID }, ...(h ? [{ Key: 'rosvpn:host', Value: h }] : [])];
    ec2.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [
        {
          GroupId: 'sg-1',
          GroupName: `rosvpn-demo-${ID}`,
          VpcId: 'vpc-1',
          Tags: tags(),
          IpPermissions: ingressRules(t, settings, 'sg-1'),
        },
      ],
    });
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            { InstanceId: 'i-gw', VpcId: 'vpc-1', State: { Name: 'running' }, Tags: tags('gateway') },
            { InstanceId: 'i-s', VpcId: 'vpc-1', State: { Name: 'stopped' }, Tags: tags('second') },
          ],
        },
      ],
    });
    ec2
      .on(DescribeAddressesCommand)
      .resolves({ Addresses: [{ AllocationId: 'eipalloc-1', PublicIp: '44.232.53.80', InstanceId: 'i-gw', Tags: tags('gateway') }] });
    ec2.on(StartInstancesCommand).callsFake((input) => {
      if (input.DryRun) throw awsError('DryRunOperation');
      return {};
    });
    const r = await cloudUp(client, t, settings, opts);
    assert.deepEqual(r.instances, { gateway: 'i-gw', second: 'i-s' });
    const mutating = sent().filter((c) => MUTATING.some((m) => c.startsWith(m)));
    assert.deepEqual(mutating, ['StartInstancesCommand (DryRun)', 'StartInstancesCommand']);
  });

  it('refuses without an SSH CIDR or a deployment id before any call', async () => {
    await assert.rejects(cloudUp(client, t, { ...settings, sshCidr: undefined }, opts), /no SSH CIDR.*--ssh-cidr/);
    await assert.rejects(cloudUp(client, loadFixture('vxlan-1'), settings, opts), /deployment id/);
    assert.deepEqual(sent(), []);
  });

  it('a DryRun answered with a result (an endpoint ignoring DryRun) stops before anything real', async () => {
    ec2.on(AllocateAddressCommand).resolves({ AllocationId: 'eipalloc-x', PublicIp: '44.232.53.81' });
    await assert.rejects(cloudUp(client, t, settings, opts), /AllocateAddress with DryRun did not answer DryRunOperation/);
    assert.deepEqual(
      sent().filter((c) => MUTATING.some((m) => c.startsWith(m)) && !c.endsWith('(DryRun)')),
      [],
    );
  });

  it('a missing permission stops before anything is created, naming the IAM action', async () => {
    ec2.on(RunInstancesCommand).rejects(awsError('UnauthorizedOperation'));
    await assert.rejects(
      cloudUp(client, t, settings, opts),
      (e: Error & { code?: string }) => e.code === 'UNAUTHORIZED' && /ec2:RunInstances/.test(e.message),
    );
    assert.deepEqual(
      sent().filter((c) => MUTATING.some((m) => c.startsWith(m)) && !c.endsWith('(DryRun)')),
      [],
    );
  });

  it("an address already in use is reported against the host's cloudIp", async () => {
    ec2.on(RunInstancesCommand).callsFake((input) => {
      throw awsError(input.DryRun ? 'DryRunOperation' : 'InvalidIPAddress.InUse');
    });
    await assert.rejects(
      cloudUp(client, t, settings, opts),
      (e: Error & { code?: string }) => e.code === 'ADDRESS_IN_USE' && /cloudIp/.test(e.message),
    );
  });
});
