// The EC2 layer's discovery and plan against the real SDK client with its transport mocked
// (aws-sdk-client-mock): no request ever leaves the process, and the test proves it.
import { strict as assert } from 'assert';
import * as net from 'net';
import {
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { discover, planCloud } from '../../src/core/ec2/discover';
import { CLOUD_DEFAULTS, ingressRules, resourceTags, type CloudSettings } from '../../src/core/ec2/model';
import { loadFixture } from '../support/fixtures';

// No real endpoint, no instance metadata, static dummy credentials.
process.env.AWS_EC2_METADATA_DISABLED = 'true';
const credentials = { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'test-only-secret' };
const settings: CloudSettings = { region: 'us-west-2', ...CLOUD_DEFAULTS, keyName: 'robots' };

function subnets() {
  return { Subnets: [
    { SubnetId: 'subnet-other', VpcId: 'vpc-1', CidrBlock: '172.31.2.0/24' },
    { SubnetId: 'subnet-ros', VpcId: 'vpc-1', CidrBlock: '172.31.1.0/24' },
  ] };
}

describe('EC2: discovery and plan (mocked SDK client)', () => {
  const ec2 = mockClient(EC2Client);
  const t = loadFixture('vxlan-3');
  let client: EC2Client;
  let connects = 0;
  const realConnect = net.Socket.prototype.connect;

  before(() => {
    // Any socket the SDK might open is counted (and refused): the mock must answer everything.
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      connects++;
      return (realConnect as (...a: unknown[]) => net.Socket).apply(this, ['/nonexistent-rosvpn-socket', ...args.slice(1)]);
    } as typeof net.Socket.prototype.connect;
  });
  after(() => {
    net.Socket.prototype.connect = realConnect;
    ec2.restore();
  });
  beforeEach(() => {
    ec2.reset();
    client = new EC2Client({ region: settings.region, credentials });
    ec2.on(DescribeSubnetsCommand).resolves(subnets());
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [] });
    ec2.on(DescribeImagesCommand).resolves({ Images: [
      { ImageId: 'ami-old', Name: 'ubuntu-noble-24.04-amd64-server-20250101', CreationDate: '2025-01-01T00:00:00.000Z' },
      { ImageId: 'ami-new', Name: 'ubuntu-noble-24.04-amd64-server-20261101', CreationDate: '2026-11-01T00:00:00.000Z' },
    ] });
  });

  it('a fresh topology: the subnet holding the cloud IPs, the newest Canonical image, everything else created', async () => {
    const d = await discover(client, t, settings);
    assert.equal(d.subnet.id, 'subnet-ros');
    assert.equal(d.image.id, 'ami-new');
    const images = ec2.commandCalls(DescribeImagesCommand)[0].args[0].input;
    assert.deepEqual(images.Owners, ['099720109477']);
    const plan = planCloud(t, settings, d);
    assert.deepEqual(plan.map((p) => `${p.action} ${p.resource}`), [
      'reuse subnet subnet-ros',
      'create security group rosvpn-demo',
      'create instance gateway',
      'create instance second',
      'create instance second-2',
      'create instance second-3',
      'create Elastic IP for the gateway',
    ]);
    assert.match(plan[2].detail, /private IP 172\.31\.1\.11/);
    assert.deepEqual(plan.flatMap((p) => p.calls), ['CreateSecurityGroup', 'AuthorizeSecurityGroupIngress', 'RunInstances', 'RunInstances', 'RunInstances', 'RunInstances', 'AllocateAddress', 'AssociateAddress']);
  });

  it('a rerun finds the tagged instances, group and address and creates nothing', async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-1', GroupName: 'rosvpn-demo' }] });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: ['gateway', 'second', 'second-2', 'second-3'].map((h, i) => ({
      InstanceId: `i-${i}`, State: { Name: i === 3 ? 'stopped' : 'running' }, Tags: [{ Key: 'rosvpn:host', Value: h }, { Key: 'rosvpn:topology', Value: 'demo' }],
    })) }] });
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [{ AllocationId: 'eipalloc-1', PublicIp: '44.232.53.80', InstanceId: 'i-0' }] });
    const plan = planCloud(t, settings, await discover(client, t, settings));
    assert.deepEqual(plan.filter((p) => p.action === 'create'), []);
    assert.deepEqual(plan.filter((p) => p.action === 'start').map((p) => p.resource), ['instance second-3 (i-3)']);
    const filters = ec2.commandCalls(DescribeInstancesCommand)[0].args[0].input.Filters;
    assert.deepEqual(filters?.[0], { Name: 'tag:rosvpn:topology', Values: ['demo'] });
  });

  it('no subnet holding every cloud IP: an error that names the IPs and the fix', async () => {
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: 'subnet-other', VpcId: 'vpc-1', CidrBlock: '172.31.2.0/24' }] });
    await assert.rejects(discover(client, t, settings), (e: Error & { code?: string }) => e.code === 'SUBNET_NOT_FOUND' && /gateway 172\.31\.1\.11/.test(e.message) && /create a subnet/.test(e.message));
  });

  it('security-group rules per tunnel mode: VXLAN UDP port or GRE (47), only from the group itself', () => {
    const vx = ingressRules(t, settings, 'sg-1');
    assert.deepEqual(vx[3], { IpProtocol: 'udp', FromPort: 4789, ToPort: 4789, UserIdGroupPairs: [{ GroupId: 'sg-1', Description: 'vxlan between ROS VPN hosts' }] });
    assert.deepEqual(vx[0].IpRanges, [{ CidrIp: '0.0.0.0/0', Description: 'OpenVPN (desktop gateway)' }]);
    assert.equal(vx[0].IpProtocol, 'udp');
    assert.equal(vx[0].FromPort, 1194);
    const gre = ingressRules(loadFixture('gretap-1'), { ...settings, sshCidr: '203.0.113.0/24' }, 'sg-2');
    assert.deepEqual(gre[3], { IpProtocol: '47', UserIdGroupPairs: [{ GroupId: 'sg-2', Description: 'gretap between ROS VPN hosts' }] });
    assert.deepEqual(gre[1].IpRanges, [{ CidrIp: '203.0.113.0/24', Description: 'SSH (provisioning)' }]);
    assert.deepEqual(resourceTags(t, 'second', 'second-2'), [
      { Key: 'Name', Value: 'rosvpn-demo-second-2' },
      { Key: 'rosvpn:topology', Value: 'demo' },
      { Key: 'rosvpn:role', Value: 'second' },
      { Key: 'rosvpn:host', Value: 'second-2' },
    ]);
  });

  it('nothing reached the network: no socket was opened during these tests', async () => {
    await discover(client, t, settings);
    assert.ok(ec2.calls().length >= 5, 'the mock answered the calls');
    assert.equal(connects, 0);
  });

  it('negative control: the socket guard does count a connection attempt', async () => {
    const before = connects;
    await new Promise<void>((resolve) => {
      const sock = net.connect(9, '127.0.0.1');
      sock.on('error', () => resolve());
      sock.on('connect', () => (sock.destroy(), resolve()));
    });
    assert.equal(connects, before + 1);
    connects = before;
  });
});
