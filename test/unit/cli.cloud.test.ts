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
  DescribeVpcsCommand,
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
    const code = await run(['cloud', ...args, file, '--region', 'us-west-2'], {
      out: (l: string) => out.push(l),
      err: (l: string) => err.push(l),
    } as never);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
  const mutating = () =>
    ec2
      .calls()
      .map((c) => (c.args[0] as object).constructor.name)
      .filter((n) => !n.startsWith('Describe'));

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-cloud-'));
    file = path.join(dir, 'rosvpn.json');
    fs.copyFileSync(path.join(__dirname, '..', 'fixtures', 'topologies', 'vxlan-1.json'), file);
    // Never a real endpoint or the metadata service: static dummy credentials.
    Object.assign(process.env, {
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ACCESS_KEY_ID: 'AKIDTESTONLY',
      AWS_SECRET_ACCESS_KEY: 'test-only',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    });
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
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-1', CidrBlock: '172.31.0.0/16' }] });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    ec2
      .on(DescribeInstancesCommand)
      .callsFake((input) =>
        input.InstanceIds
          ? { Reservations: [{ Instances: input.InstanceIds.map((id: string) => ({ InstanceId: id, State: { Name: 'running' } })) }] }
          : { Reservations: [] },
      );
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [] });
    ec2.on(DescribeImagesCommand).resolves({
      Images: [{ ImageId: 'ami-new', Name: 'ubuntu-noble', CreationDate: '2026-11-01T00:00:00.000Z', RootDeviceName: '/dev/sda1' }],
    });
    ec2.on(CreateSecurityGroupCommand).callsFake((input) => {
      if (input.DryRun) throw awsError('DryRunOperation');
      return { GroupId: 'sg-1' };
    });
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({});
    ec2.on(RunInstancesCommand).callsFake((input) => {
      if (input.DryRun) throw awsError('DryRunOperation');
      return { Instances: [{ InstanceId: idFor(input.NetworkInterfaces[0].PrivateIpAddress) }] };
    });
    ec2.on(AllocateAddressCommand).callsFake((input) => {
      if (input.DryRun) throw awsError('DryRunOperation');
      return { AllocationId: 'eipalloc-1', PublicIp: '203.0.113.10' };
    });
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

  it('up without an SSH CIDR refuses before any EC2 call, naming --ssh-cidr, the setting and auto', async () => {
    const r = await cli('up', '--yes', '--key-name', 'robots');
    assert.equal(r.code, 1);
    assert.match(r.err, /no SSH CIDR.*--ssh-cidr CIDR.*rosvpn\.aws\.sshCidr.*'auto'/);
    assert.equal(ec2.calls().length, 0);
    // Negative control: plan still shows what up would do, and says why up would refuse.
    const p = await cli('plan');
    assert.equal(p.code, 0, p.err);
    assert.match(p.out, /up refuses: no SSH CIDR/);
  });

  it('up without --yes and without a terminal creates nothing and says how to confirm', async () => {
    const r = await cli('up', '--ssh-cidr', '198.51.100.0/24', '--key-name', 'robots');
    assert.equal(r.code, 1);
    assert.match(r.err, /--yes/);
    assert.deepEqual(mutating(), []);
  });

  it('up without a key pair refuses before any call that costs, naming the setting and the flag', async () => {
    const before = fs.readFileSync(file, 'utf8');
    const r = await cli('up', '--yes', '--no-wait-ssh', '--ssh-cidr', '198.51.100.0/24');
    assert.equal(r.code, 1);
    assert.match(r.err, /no EC2 key pair.*rosvpn\.aws\.keyName.*--key-name/);
    assert.deepEqual(mutating(), []);
    assert.equal(fs.readFileSync(file, 'utf8'), before);
  });

  it('up --yes creates group, instances and Elastic IP, waits for them, and writes ids and the address into rosvpn.json', async () => {
    const before = JSON.parse(fs.readFileSync(file, 'utf8'));
    const r = await cli('up', '--yes', '--no-wait-ssh', '--key-name', 'robots', '--ssh-cidr', '198.51.100.0/24');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /up: gateway i-0000000000000000b at 203\.0\.113\.10/);
    assert.ok(
      ec2.commandCalls(DescribeInstancesCommand).some((c) => c.args[0].input.InstanceIds?.length === 2),
      'waited for both instances',
    );
    const after = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.match(after.deployment, /^[0-9a-f]{16}$/, 'the first up writes a random deployment id');
    assert.match(r.out, new RegExp(`deployment: \\(unset\\) -> ${after.deployment}`));
    assert.ok(
      ec2
        .commandCalls(CreateSecurityGroupCommand)
        .every(
          (c) =>
            c.args[0].input.TagSpecifications === undefined ||
            c.args[0].input.TagSpecifications[0].Tags!.some((x) => x.Key === 'rosvpn:deployment' && x.Value === after.deployment),
        ),
    );
    assert.equal(after.gateway.instanceId, 'i-0000000000000000b');
    assert.equal(after.gateway.publicAddress, '203.0.113.10');
    assert.equal(after.seconds[0].instanceId, 'i-0000000000000000c');
    // The ssh alias is the user's: kept, with a note on where it must point.
    assert.equal(after.gateway.host, 'ros-openvpn');
    assert.match(r.out, /note: gateway\.host is 'ros-openvpn': make sure it reaches 203\.0\.113\.10/);
    // Everything else in the file is as it was.
    const strip = (j: { gateway: Record<string, unknown>; seconds: Record<string, unknown>[] }) => {
      delete (j as { deployment?: string }).deployment;
      delete j.gateway.instanceId;
      delete j.gateway.publicAddress;
      for (const x of j.seconds) delete x.instanceId;
      return j;
    };
    assert.deepEqual(strip(after), strip(before));
  });

  it('an unauthorized DryRun names the IAM action and creates nothing', async () => {
    ec2.on(RunInstancesCommand, { DryRun: true }).rejects(awsError('UnauthorizedOperation'));
    const r = await cli('up', '--yes', '--no-wait-ssh', '--key-name', 'robots', '--ssh-cidr', '198.51.100.0/24');
    assert.equal(r.code, 1);
    assert.match(r.err, /ec2:RunInstances/);
    assert.deepEqual(
      ec2.commandCalls(RunInstancesCommand).filter((c) => !c.args[0].input.DryRun),
      [],
    );
  });

  it('down --yes prints every id, then deletes exactly those; a failure lists what is still billed', async () => {
    const id = JSON.parse(fs.readFileSync(file, 'utf8')).deployment as string;
    assert.match(id, /^[0-9a-f]{16}$/);
    const tags = (h: string, d?: string) => [
      { Key: 'rosvpn:topology', Value: 'demo' },
      { Key: 'rosvpn:host', Value: h },
      { Key: 'rosvpn:role', Value: h },
      ...(d ? [{ Key: 'rosvpn:deployment', Value: d }] : []),
    ];
    const byId = (f?: { Name?: string }[]) => !!f?.some((x) => x.Name === 'tag:rosvpn:deployment');
    ec2.on(DescribeInstancesCommand).callsFake((input) => ({
      Reservations: [
        {
          Instances: input.InstanceIds
            ? input.InstanceIds.map((x: string) => ({ InstanceId: x, State: { Name: 'terminated' } }))
            : [
                { InstanceId: 'i-gw', VpcId: 'vpc-1', State: { Name: 'running' }, Tags: tags('gateway', id) },
                ...(byId(input.Filters)
                  ? []
                  : [
                      {
                        InstanceId: 'i-colleague',
                        VpcId: 'vpc-1',
                        State: { Name: 'running' },
                        Tags: tags('gateway', 'fedcba9876543210'),
                      },
                    ]),
              ],
        },
      ],
    }));
    ec2
      .on(DescribeAddressesCommand)
      .resolves({ Addresses: [{ AllocationId: 'eipalloc-1', PublicIp: '44.232.53.80', InstanceId: 'i-gw', Tags: tags('gateway', id) }] });
    ec2
      .on(DescribeSecurityGroupsCommand)
      .resolves({ SecurityGroups: [{ GroupId: 'sg-1', GroupName: `rosvpn-demo-${id}`, VpcId: 'vpc-1', Tags: tags('x', id) }] });
    const deletes = (
      C: typeof TerminateInstancesCommand | typeof ReleaseAddressCommand | typeof DeleteSecurityGroupCommand,
      real: () => object,
    ) =>
      ec2.on(C as never).callsFake((input: { DryRun?: boolean }) => {
        if (input.DryRun) throw awsError('DryRunOperation');
        return real();
      });
    deletes(TerminateInstancesCommand, () => ({}));
    deletes(ReleaseAddressCommand, () => {
      throw awsError('UnauthorizedOperation');
    });
    deletes(DeleteSecurityGroupCommand, () => ({}));
    const status = await cli('status');
    assert.match(status.out, /gateway\s+gateway\s+i-gw\s+running/);
    assert.match(status.out, /not ours: instance i-colleague \(gateway, running\) rosvpn:deployment=fedcba9876543210/);
    const r = await cli('down', '--yes');
    assert.equal(r.code, 1);
    assert.match(
      r.out,
      /down will delete[^]*instance i-gw \(gateway, running\)[^]*Elastic IP eipalloc-1 \(44\.232\.53\.80\)[^]*security group sg-1/,
    );
    assert.ok(r.out.indexOf('down will delete') < r.out.indexOf('terminated'), 'the list comes before the first deletion');
    assert.deepEqual(
      ec2.commandCalls(TerminateInstancesCommand).map((c) => c.args[0].input.InstanceIds),
      [['i-gw'], ['i-gw']],
      "DryRun, then the real call; never the colleague's",
    );
    assert.match(r.err, /Elastic IP 44\.232\.53\.80 eipalloc-1 \(billed while allocated\)/);
  });
});
