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
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { discover, planCloud } from '../../src/core/ec2/discover';
import { CLOUD_DEFAULTS, ingressRules, resourceTags, type CloudSettings } from '../../src/core/ec2/model';
import { loadFixture } from '../support/fixtures';

// No real endpoint, no instance metadata, static dummy credentials.
process.env.AWS_EC2_METADATA_DISABLED = 'true';
const credentials = { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'test-only-secret' };
const settings: CloudSettings = { region: 'us-west-2', ...CLOUD_DEFAULTS, keyName: 'robots', sshCidr: '198.51.100.0/24' };
const ID = '0123456789abcdef';

function subnets() {
  return {
    Subnets: [
      { SubnetId: 'subnet-other', VpcId: 'vpc-1', CidrBlock: '172.31.2.0/24' },
      { SubnetId: 'subnet-ros', VpcId: 'vpc-1', CidrBlock: '172.31.1.0/24' },
    ],
  };
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
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-1', CidrBlock: '172.31.0.0/16' }] });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [] });
    ec2.on(DescribeImagesCommand).resolves({
      Images: [
        {
          ImageId: 'ami-old',
          Name: 'ubuntu-noble-24.04-amd64-server-20250101',
          CreationDate: '2025-01-01T00:00:00.000Z',
          RootDeviceName: '/dev/sda1',
        },
        {
          ImageId: 'ami-new',
          Name: 'ubuntu-noble-24.04-amd64-server-20261101',
          CreationDate: '2026-11-01T00:00:00.000Z',
          RootDeviceName: '/dev/xvda',
        },
      ],
    });
  });

  it('a fresh topology: the subnet holding the cloud IPs, the newest Canonical image, everything else created', async () => {
    const d = await discover(client, t, settings);
    assert.equal(d.subnet.id, 'subnet-ros');
    assert.equal(d.image.id, 'ami-new');
    assert.equal(d.image.rootDeviceName, '/dev/xvda', 'the root device comes from DescribeImages');
    const images = ec2.commandCalls(DescribeImagesCommand)[0].args[0].input;
    assert.deepEqual(images.Owners, ['099720109477']);
    const plan = planCloud(t, settings, d);
    assert.deepEqual(
      plan.map((p) => `${p.action} ${p.resource}`),
      [
        'reuse subnet subnet-ros',
        'create security group rosvpn-demo-<new deployment id>',
        'create instance gateway',
        'create instance second',
        'create instance second-2',
        'create instance second-3',
        'create Elastic IP for the gateway',
      ],
    );
    assert.match(plan[2].detail, /private IP 172\.31\.1\.11/);
    assert.deepEqual(
      plan.flatMap((p) => p.calls),
      [
        'CreateSecurityGroup',
        'AuthorizeSecurityGroupIngress',
        'RunInstances',
        'RunInstances',
        'RunInstances',
        'RunInstances',
        'AllocateAddress',
        'AssociateAddress',
      ],
    );
  });

  it("a rerun finds its deployment's instances, group and address in the VPC and creates nothing", async () => {
    const td = { ...t, deployment: ID } as typeof t;
    const tags = (h?: string) => [
      { Key: 'rosvpn:topology', Value: 'demo' },
      { Key: 'rosvpn:deployment', Value: ID },
      ...(h ? [{ Key: 'rosvpn:host', Value: h }] : []),
    ];
    const sg = 'sg-1';
    ec2.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [
        { GroupId: sg, GroupName: `rosvpn-demo-${ID}`, VpcId: 'vpc-1', Tags: tags(), IpPermissions: ingressRules(td, settings, sg) },
      ],
    });
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: ['gateway', 'second', 'second-2', 'second-3'].map((h, i) => ({
            InstanceId: `i-${i}`,
            VpcId: 'vpc-1',
            State: { Name: i === 3 ? 'stopped' : 'running' },
            Tags: tags(h),
          })),
        },
      ],
    });
    ec2
      .on(DescribeAddressesCommand)
      .resolves({ Addresses: [{ AllocationId: 'eipalloc-1', PublicIp: '44.232.53.80', InstanceId: 'i-0', Tags: tags('gateway') }] });
    const plan = planCloud(td, settings, await discover(client, td, settings));
    assert.deepEqual(
      plan.filter((p) => p.action !== 'reuse' && p.action !== 'start'),
      [],
      'nothing to create, authorize or revoke',
    );
    assert.deepEqual(
      plan.filter((p) => p.action === 'start').map((p) => p.resource),
      ['instance second-3 (i-3)'],
    );
    const filters = ec2.commandCalls(DescribeInstancesCommand)[0].args[0].input.Filters;
    assert.deepEqual(filters?.slice(0, 2), [
      { Name: 'tag:rosvpn:deployment', Values: [ID] },
      { Name: 'vpc-id', Values: ['vpc-1'] },
    ]);
  });

  it('a cloud IP AWS reserves in the real subnet is refused before anything, naming the field and the usable range', async () => {
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: 'subnet-ros', VpcId: 'vpc-1', CidrBlock: '172.31.1.8/29' }] });
    const small = { ...loadFixture('vxlan-1'), gateway: { ...loadFixture('vxlan-1').gateway, cloudIp: '172.31.1.11' } } as typeof t;
    // 172.31.1.8/29: .8 network, .9 router, .10 DNS, .11 reserved, .15 broadcast.
    await assert.rejects(
      discover(client, small, settings),
      (e: Error & { code?: string }) =>
        e.code === 'CONFIG' &&
        /gateway\.cloudIp 172\.31\.1\.11 is reserved by AWS for future use of subnet-ros/.test(e.message) &&
        /from 172\.31\.1\.12 to 172\.31\.1\.14/.test(e.message),
    );
  });

  it('a robot subnet inside any CIDR block of the VPC is refused, even where it has no subnet; one outside passes', async () => {
    ec2.on(DescribeVpcsCommand).resolves({
      Vpcs: [
        {
          VpcId: 'vpc-1',
          CidrBlock: '172.31.0.0/16',
          CidrBlockAssociationSet: [
            { CidrBlock: '172.31.0.0/16', CidrBlockState: { State: 'associated' } },
            { CidrBlock: '192.168.0.0/20', CidrBlockState: { State: 'associated' } },
          ],
        },
      ],
    });
    await assert.rejects(
      discover(client, t, settings),
      (e: Error & { code?: string }) =>
        e.code === 'CONFIG' && /robotSubnet 192\.168\.0\.0\/24 overlaps vpc-1 \(192\.168\.0\.0\/20\)/.test(e.message),
    );
    assert.deepEqual(ec2.commandCalls(DescribeVpcsCommand).at(-1)?.args[0].input, { VpcIds: ['vpc-1'] });
    // negative controls: a block being disassociated, and a VPC without the block, pass
    ec2.on(DescribeVpcsCommand).resolves({
      Vpcs: [
        {
          VpcId: 'vpc-1',
          CidrBlock: '172.31.0.0/16',
          CidrBlockAssociationSet: [{ CidrBlock: '192.168.0.0/20', CidrBlockState: { State: 'disassociated' } }],
        },
      ],
    });
    await discover(client, t, settings);
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-1', CidrBlock: '172.31.0.0/16' }] });
    await discover(client, t, settings);
  });

  it('no subnet holding every cloud IP: an error that names the IPs and the fix', async () => {
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: 'subnet-other', VpcId: 'vpc-1', CidrBlock: '172.31.2.0/24' }] });
    await assert.rejects(
      discover(client, t, settings),
      (e: Error & { code?: string }) =>
        e.code === 'SUBNET_NOT_FOUND' && /gateway 172\.31\.1\.11/.test(e.message) && /create a subnet/.test(e.message),
    );
  });

  it('security-group rules per tunnel mode: VXLAN UDP port or GRE (47), only from the group itself', () => {
    const vx = ingressRules(t, settings, 'sg-1');
    assert.deepEqual(vx[3], {
      IpProtocol: 'udp',
      FromPort: 4789,
      ToPort: 4789,
      UserIdGroupPairs: [{ GroupId: 'sg-1', Description: 'vxlan between ROS VPN hosts' }],
    });
    assert.deepEqual(vx[0].IpRanges, [{ CidrIp: '0.0.0.0/0', Description: 'OpenVPN (desktop gateway; tls-crypt)' }]);
    assert.equal(vx[0].IpProtocol, 'udp');
    assert.equal(vx[0].FromPort, 1194);
    // SSH and ping: from the SSH CIDR and from the group itself (the gateway jumps to the seconds); never world-open.
    assert.deepEqual(vx[1], {
      IpProtocol: 'tcp',
      FromPort: 22,
      ToPort: 22,
      IpRanges: [{ CidrIp: '198.51.100.0/24', Description: 'SSH (provisioning)' }],
      UserIdGroupPairs: [{ GroupId: 'sg-1', Description: 'SSH from the gateway (jump host)' }],
    });
    assert.deepEqual(vx[2], {
      IpProtocol: 'icmp',
      FromPort: 8,
      ToPort: -1,
      IpRanges: [{ CidrIp: '198.51.100.0/24', Description: 'ping' }],
      UserIdGroupPairs: [{ GroupId: 'sg-1', Description: 'ping between ROS VPN hosts' }],
    });
    assert.ok(!JSON.stringify(vx.slice(1)).includes('0.0.0.0/0'));
    const gre = ingressRules(loadFixture('gretap-1'), { ...settings, sshCidr: '203.0.113.0/24' }, 'sg-2');
    assert.deepEqual(gre[3], { IpProtocol: '47', UserIdGroupPairs: [{ GroupId: 'sg-2', Description: 'gretap between ROS VPN hosts' }] });
    assert.deepEqual(gre[1].IpRanges, [{ CidrIp: '203.0.113.0/24', Description: 'SSH (provisioning)' }]);
    // Negative control: without an SSH CIDR only the group's own rules, no CIDR for SSH at all.
    const none = ingressRules(t, { openvpnCidr: '0.0.0.0/0' }, 'sg-1');
    assert.deepEqual(none[1], {
      IpProtocol: 'tcp',
      FromPort: 22,
      ToPort: 22,
      UserIdGroupPairs: [{ GroupId: 'sg-1', Description: 'SSH from the gateway (jump host)' }],
    });
    assert.deepEqual(resourceTags({ ...t, deployment: ID } as typeof t, 'second', 'second-2'), [
      { Key: 'Name', Value: 'rosvpn-demo-second-2' },
      { Key: 'rosvpn:topology', Value: 'demo' },
      { Key: 'rosvpn:deployment', Value: ID },
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
