// `cloud status` and `cloud down` on the mocked SDK client: teardown order, and on a failure the exact list
// of what is still there and billed.
import { strict as assert } from 'assert';
import {
  DeleteSecurityGroupCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  ReleaseAddressCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { cloudDown, cloudStatus } from '../../src/core/ec2/down';
import { setPower } from '../../src/core/ec2/power';
import { loadFixture } from '../support/fixtures';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
const awsError = (name: string) => Object.assign(new Error(name), { name, $metadata: {} });

describe('EC2: cloud status and down (mocked SDK client)', () => {
  const ec2 = mockClient(EC2Client);
  const t = loadFixture('vxlan-1');
  let client: EC2Client;
  const waited: string[][] = [];
  const opts = { waitTerminated: async (_c: EC2Client, ids: string[]) => void waited.push(ids) };

  after(() => ec2.restore());
  beforeEach(() => {
    ec2.reset();
    waited.length = 0;
    client = new EC2Client({ region: 'us-west-2', credentials: { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'test-only' } });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [
      { InstanceId: 'i-gw', State: { Name: 'running' }, PrivateIpAddress: '172.31.1.11', Tags: [{ Key: 'rosvpn:host', Value: 'gateway' }, { Key: 'rosvpn:role', Value: 'gateway' }] },
      { InstanceId: 'i-s', State: { Name: 'stopped' }, PrivateIpAddress: '172.31.1.12', Tags: [{ Key: 'rosvpn:host', Value: 'second' }, { Key: 'rosvpn:role', Value: 'second' }] },
    ] }] });
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [{ AllocationId: 'eipalloc-1', PublicIp: '44.232.53.80', InstanceId: 'i-gw' }] });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-1' }] });
    ec2.on(TerminateInstancesCommand).resolves({});
    ec2.on(ReleaseAddressCommand).resolves({});
    ec2.on(DeleteSecurityGroupCommand).resolves({});
  });

  it('status lists the tagged instances with their state, the Elastic IP and the group', async () => {
    const st = await cloudStatus(client, t, 'us-west-2');
    assert.deepEqual(st.instances.map((i) => `${i.host} ${i.role} ${i.id} ${i.state}`), ['gateway gateway i-gw running', 'second second i-s stopped']);
    assert.deepEqual(st.address, { allocationId: 'eipalloc-1', publicIp: '44.232.53.80', instanceId: 'i-gw' });
    assert.equal(st.groupId, 'sg-1');
  });

  it('stop stops only the running instance; start starts only the stopped one; an unknown host is refused', async () => {
    ec2.on(StopInstancesCommand).resolves({});
    ec2.on(StartInstancesCommand).resolves({});
    const stop = await setPower(client, t, 'stop', 'us-west-2');
    assert.deepEqual(stop.changed, [{ host: 'gateway', id: 'i-gw', from: 'running' }]);
    assert.deepEqual(ec2.commandCalls(StopInstancesCommand).map((c) => c.args[0].input.InstanceIds), [['i-gw']]);
    const start = await setPower(client, t, 'start', 'us-west-2', ['second']);
    assert.deepEqual(start.changed, [{ host: 'second', id: 'i-s', from: 'stopped' }]);
    assert.deepEqual(ec2.commandCalls(StartInstancesCommand).map((c) => c.args[0].input.InstanceIds), [['i-s']]);
    await assert.rejects(setPower(client, t, 'start', 'us-west-2', ['nope']), /no instance of topology demo for nope/);
  });

  it('a refused StopInstances names the IAM action', async () => {
    ec2.on(StopInstancesCommand).rejects(awsError('UnauthorizedOperation'));
    await assert.rejects(setPower(client, t, 'stop', 'us-west-2'), /ec2:StopInstances/);
  });

  it('down: instances, then (after they terminate) the Elastic IP, then the group', async () => {
    const r = await cloudDown(client, t, 'us-west-2', opts);
    assert.ok(r.ok, r.error);
    const order = ec2.calls().map((c) => (c.args[0] as object).constructor.name).filter((n) => !n.startsWith('Describe'));
    assert.deepEqual(order, ['TerminateInstancesCommand', 'ReleaseAddressCommand', 'DeleteSecurityGroupCommand']);
    assert.deepEqual(ec2.commandCalls(TerminateInstancesCommand)[0].args[0].input, { InstanceIds: ['i-gw', 'i-s'] });
    assert.deepEqual(waited, [['i-gw', 'i-s']]);
    assert.deepEqual(r.remaining, []);
  });

  it('a failed release reports the Elastic IP as still billed, and the group as left', async () => {
    ec2.on(ReleaseAddressCommand).rejects(awsError('UnauthorizedOperation'));
    const r = await cloudDown(client, t, 'us-west-2', opts);
    assert.equal(r.ok, false);
    assert.match(r.error!, /ec2:ReleaseAddress/);
    assert.deepEqual(r.done, ['terminated gateway (i-gw), second (i-s)']);
    assert.deepEqual(r.remaining, ['Elastic IP 44.232.53.80 eipalloc-1 (billed while allocated)', 'security group rosvpn-demo sg-1 (free)']);
    assert.equal(ec2.commandCalls(DeleteSecurityGroupCommand).length, 0);
  });

  it('a failed terminate reports every instance as still billed', async () => {
    ec2.on(TerminateInstancesCommand).rejects(awsError('UnauthorizedOperation'));
    const r = await cloudDown(client, t, 'us-west-2', opts);
    assert.equal(r.ok, false);
    assert.deepEqual(r.remaining.slice(0, 2), ['instance gateway i-gw (running: billed)', 'instance second i-s (stopped: its volume is billed)']);
  });
});
