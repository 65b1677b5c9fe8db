// `cloud status`, start/stop and `cloud down` on the mocked SDK client: only this deployment's resources,
// teardown order after a DryRun of every delete, and on a failure the exact list of what is still there.
import { strict as assert } from 'assert';
import {
  DeleteSecurityGroupCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  ReleaseAddressCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type Filter,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { cloudDown, cloudStatus, teardownItems } from '../../src/core/ec2/down';
import { setPower } from '../../src/core/ec2/power';
import type { ValidTopology } from '../../src/core/topology/types';
import { loadFixture } from '../support/fixtures';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
const awsError = (name: string) => Object.assign(new Error(name), { name, $metadata: {} });
const ID = '0123456789abcdef';
const S = { region: 'us-west-2' };
const tags = (host: string, deployment?: string) => [
  { Key: 'rosvpn:topology', Value: 'demo' },
  { Key: 'rosvpn:host', Value: host },
  { Key: 'rosvpn:role', Value: host === 'gateway' ? 'gateway' : 'second' },
  ...(deployment ? [{ Key: 'rosvpn:deployment', Value: deployment }] : []),
];
/** Which tag a Describe call selects by. */
const by = (filters: Filter[] | undefined) => (filters ?? []).find((f) => f.Name?.startsWith('tag:'))?.Name;

describe('EC2: cloud status, start/stop and down (mocked SDK client)', () => {
  const ec2 = mockClient(EC2Client);
  const t = { ...loadFixture('vxlan-1'), deployment: ID } as ValidTopology;
  let client: EC2Client;
  const waited: string[][] = [];
  const opts = { waitTerminated: async (_c: EC2Client, ids: string[]) => void waited.push(ids) };
  const mutating = () =>
    ec2
      .calls()
      .map((c) => c.args[0] as { constructor: { name: string }; input: { DryRun?: boolean } })
      .filter((c) => !c.constructor.name.startsWith('Describe'))
      .map((c) => `${c.constructor.name}${c.input.DryRun ? ' (DryRun)' : ''}`);

  after(() => ec2.restore());
  beforeEach(() => {
    ec2.reset();
    waited.length = 0;
    client = new EC2Client({ region: 'us-west-2', credentials: { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'test-only' } });
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: 'subnet-ros', VpcId: 'vpc-1', CidrBlock: '172.31.1.0/24' }] });
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-1', CidrBlock: '172.31.0.0/16' }] });
    const ours = [
      { InstanceId: 'i-gw', VpcId: 'vpc-1', State: { Name: 'running' }, PrivateIpAddress: '172.31.1.11', Tags: tags('gateway', ID) },
      { InstanceId: 'i-s', VpcId: 'vpc-1', State: { Name: 'stopped' }, PrivateIpAddress: '172.31.1.12', Tags: tags('second', ID) },
    ];
    // A colleague's instance with the same topology name, and one of ours in another VPC: never ours.
    const colleague = {
      InstanceId: 'i-colleague',
      VpcId: 'vpc-1',
      State: { Name: 'running' },
      PrivateIpAddress: '172.31.1.50',
      Tags: tags('gateway', 'fedcba9876543210'),
    };
    const otherVpc = {
      InstanceId: 'i-elsewhere',
      VpcId: 'vpc-2',
      State: { Name: 'running' },
      PrivateIpAddress: '10.0.0.11',
      Tags: tags('gateway', ID),
    };
    ec2.on(DescribeInstancesCommand).callsFake((input) => ({
      Reservations: [
        {
          Instances:
            by(input.Filters) === 'tag:rosvpn:deployment'
              ? // An endpoint that ignored the vpc-id filter: the layer checks the VPC itself.
                [...ours, otherVpc]
              : [...ours, colleague, otherVpc],
        },
      ],
    }));
    ec2.on(DescribeAddressesCommand).callsFake((input) => ({
      Addresses:
        by(input.Filters) === 'tag:rosvpn:deployment'
          ? [{ AllocationId: 'eipalloc-1', PublicIp: '44.232.53.80', InstanceId: 'i-gw', Tags: tags('gateway', ID) }]
          : [
              { AllocationId: 'eipalloc-1', PublicIp: '44.232.53.80', InstanceId: 'i-gw', Tags: tags('gateway', ID) },
              { AllocationId: 'eipalloc-c', PublicIp: '44.232.53.99', InstanceId: 'i-colleague', Tags: tags('gateway') },
            ],
    }));
    ec2.on(DescribeSecurityGroupsCommand).callsFake((input) => ({
      SecurityGroups:
        by(input.Filters) === 'tag:rosvpn:deployment'
          ? [{ GroupId: 'sg-1', GroupName: `rosvpn-demo-${ID}`, VpcId: 'vpc-1', Tags: tags('x', ID) }]
          : [
              { GroupId: 'sg-1', GroupName: `rosvpn-demo-${ID}`, VpcId: 'vpc-1', Tags: tags('x', ID) },
              { GroupId: 'sg-c', GroupName: 'rosvpn-demo', VpcId: 'vpc-1', Tags: tags('x') },
            ],
    }));
    for (const C of [TerminateInstancesCommand, ReleaseAddressCommand, DeleteSecurityGroupCommand]) {
      ec2.on(C as never).callsFake((input: { DryRun?: boolean }) => {
        if (input.DryRun) throw awsError('DryRunOperation');
        return {};
      });
    }
  });

  it("status lists only this deployment in the subnet's VPC, and the same-named rest as not ours", async () => {
    const st = await cloudStatus(client, t, S);
    assert.deepEqual(
      st.instances.map((i) => `${i.host} ${i.role} ${i.id} ${i.state}`),
      ['gateway gateway i-gw running', 'second second i-s stopped'],
    );
    assert.deepEqual(st.address, { allocationId: 'eipalloc-1', publicIp: '44.232.53.80', instanceId: 'i-gw' });
    assert.equal(st.groupId, 'sg-1');
    assert.deepEqual(st.foreign.map((f) => `${f.kind} ${f.id} ${f.deployment ?? '-'}`).sort(), [
      'Elastic IP eipalloc-c -',
      'instance i-colleague fedcba9876543210',
      `instance i-elsewhere ${ID}`,
      'security group sg-c -',
    ]);
    const filters = ec2.commandCalls(DescribeInstancesCommand)[0].args[0].input.Filters;
    assert.deepEqual(filters?.slice(0, 2), [
      { Name: 'tag:rosvpn:deployment', Values: [ID] },
      { Name: 'vpc-id', Values: ['vpc-1'] },
    ]);
  });

  it('without a deployment id nothing is ours (and no query by deployment is made)', async () => {
    const st = await cloudStatus(client, loadFixture('vxlan-1'), S);
    assert.deepEqual([st.instances, st.address, st.groupId], [[], undefined, undefined]);
    assert.equal(st.foreign.length, 8, 'every same-named resource is listed as not ours');
    assert.ok(ec2.commandCalls(DescribeInstancesCommand).every((c) => by(c.args[0].input.Filters) === 'tag:rosvpn:topology'));
    await assert.rejects(setPower(client, loadFixture('vxlan-1'), 'stop', S), /no deployment id/);
    assert.deepEqual(mutating(), []);
  });

  it('stop stops only our running instance; start starts only our stopped one; an unknown host is refused', async () => {
    ec2.on(StopInstancesCommand).resolves({});
    ec2.on(StartInstancesCommand).resolves({});
    const stop = await setPower(client, t, 'stop', S);
    assert.deepEqual(stop.changed, [{ host: 'gateway', id: 'i-gw', from: 'running' }]);
    assert.deepEqual(
      ec2.commandCalls(StopInstancesCommand).map((c) => c.args[0].input.InstanceIds),
      [['i-gw']],
    );
    const start = await setPower(client, t, 'start', S, ['second']);
    assert.deepEqual(start.changed, [{ host: 'second', id: 'i-s', from: 'stopped' }]);
    assert.deepEqual(
      ec2.commandCalls(StartInstancesCommand).map((c) => c.args[0].input.InstanceIds),
      [['i-s']],
    );
    await assert.rejects(
      setPower(client, t, 'start', S, ['nope']),
      new RegExp(`no instance of deployment ${ID} \\(topology demo\\) for nope`),
    );
  });

  it('a refused StopInstances names the IAM action', async () => {
    ec2.on(StopInstancesCommand).rejects(awsError('UnauthorizedOperation'));
    await assert.rejects(setPower(client, t, 'stop', S), /ec2:StopInstances/);
  });

  it('down: DryRun of every delete, then instances, (after they terminate) the Elastic IP, then the group — exactly the listed ids', async () => {
    const st = await cloudStatus(client, t, S);
    assert.deepEqual(teardownItems(st), [
      'instance i-gw (gateway, running)',
      'instance i-s (second, stopped)',
      'Elastic IP eipalloc-1 (44.232.53.80)',
      `security group sg-1 (rosvpn-demo-${ID})`,
    ]);
    ec2.resetHistory();
    const r = await cloudDown(client, st, 'us-west-2', opts);
    assert.ok(r.ok, r.error);
    assert.equal(
      ec2.calls().filter((c) => (c.args[0] as object).constructor.name.startsWith('Describe')).length,
      0,
      'no query between the list and the deletion',
    );
    assert.deepEqual(mutating(), [
      'TerminateInstancesCommand (DryRun)',
      'ReleaseAddressCommand (DryRun)',
      'DeleteSecurityGroupCommand (DryRun)',
      'TerminateInstancesCommand',
      'ReleaseAddressCommand',
      'DeleteSecurityGroupCommand',
    ]);
    assert.deepEqual(ec2.commandCalls(TerminateInstancesCommand)[1].args[0].input, { InstanceIds: ['i-gw', 'i-s'] });
    assert.deepEqual(waited, [['i-gw', 'i-s']]);
    assert.deepEqual(r.remaining, []);
  });

  it('a permission missing for the last delete deletes nothing at all (the DryRun says so first)', async () => {
    const st = await cloudStatus(client, t, S);
    ec2.on(DeleteSecurityGroupCommand).rejects(awsError('UnauthorizedOperation'));
    const r = await cloudDown(client, st, 'us-west-2', opts);
    assert.equal(r.ok, false);
    assert.match(r.error!, /ec2:DeleteSecurityGroup/);
    assert.deepEqual(r.done, []);
    assert.deepEqual(mutating(), [
      'TerminateInstancesCommand (DryRun)',
      'ReleaseAddressCommand (DryRun)',
      'DeleteSecurityGroupCommand (DryRun)',
    ]);
    assert.equal(r.remaining.length, 4);
  });

  it('a release that fails after its DryRun passed reports the Elastic IP as still billed, and the group as left', async () => {
    const st = await cloudStatus(client, t, S);
    ec2.on(ReleaseAddressCommand).callsFake((input) => {
      throw awsError(input.DryRun ? 'DryRunOperation' : 'InvalidIPAddress.InUse');
    });
    const r = await cloudDown(client, st, 'us-west-2', opts);
    assert.equal(r.ok, false);
    assert.deepEqual(r.done, ['terminated gateway (i-gw), second (i-s)']);
    assert.deepEqual(r.remaining, [
      'Elastic IP 44.232.53.80 eipalloc-1 (billed while allocated)',
      `security group rosvpn-demo-${ID} sg-1 (free)`,
    ]);
    assert.equal(ec2.commandCalls(DeleteSecurityGroupCommand).filter((c) => !c.args[0].input.DryRun).length, 0);
  });

  it('a failed terminate reports every instance as still billed', async () => {
    const st = await cloudStatus(client, t, S);
    ec2.on(TerminateInstancesCommand).callsFake((input) => {
      throw awsError(input.DryRun ? 'DryRunOperation' : 'IncorrectInstanceState');
    });
    const r = await cloudDown(client, st, 'us-west-2', opts);
    assert.equal(r.ok, false);
    assert.deepEqual(r.remaining.slice(0, 2), [
      'instance gateway i-gw (running: billed)',
      'instance second i-s (stopped: its volume is billed)',
    ]);
  });
});
