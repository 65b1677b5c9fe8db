// The project's EC2 layer against the loopback fake EC2 (test/support/fakeEc2.ts) through the real SDK client
// and its real HTTP transport: discovery and plan, `cloud up` with the SDK's own waiter, an idempotent rerun,
// status and teardown, injected faults, and controls that show the fake is strict rather than agreeable.
// A socket guard refuses (and records) any connection that is not to a loopback port.
import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import {
  AssociateAddressCommand,
  DeleteSecurityGroupCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
  type EC2ClientConfig,
  ReleaseAddressCommand,
  RunInstancesCommand,
  waitUntilInstanceRunning,
} from '@aws-sdk/client-ec2';
import { waitRunning, waitTerminated } from '../../src/core/ec2/client';
import { discover, planCloud } from '../../src/core/ec2/discover';
import { cloudDown, cloudStatus } from '../../src/core/ec2/down';
import { CLOUD_DEFAULTS, type CloudSettings } from '../../src/core/ec2/model';
import { setPower } from '../../src/core/ec2/power';
import type { ValidTopology } from '../../src/core/topology/types';
import { cloudUp } from '../../src/core/ec2/up';
import { DEFAULT_IMAGE, DEFAULT_SUBNET, DEFAULT_VPC, startFakeEc2, type FakeEc2 } from '../support/fakeEc2';
import { loadFixture } from '../support/fixtures';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'dummy' };
const settings: CloudSettings = { region: 'us-west-2', ...CLOUD_DEFAULTS, keyName: 'robots', sshCidr: '198.51.100.0/24' };
const ID = '0123456789abcdef';
const MUTATING = [
  'CreateSecurityGroup',
  'AuthorizeSecurityGroupIngress',
  'RevokeSecurityGroupIngress',
  'RunInstances',
  'StartInstances',
  'StopInstances',
  'AllocateAddress',
  'AssociateAddress',
  'TerminateInstances',
  'ReleaseAddress',
  'DeleteSecurityGroup',
];
type AwsError = Error & { $metadata?: { httpStatusCode?: number }; code?: string };

/**
 * An EC2Client whose `send` is the SDK's own, even while another test file's aws-sdk-client-mock has stubbed
 * EC2Client.prototype.send (those files call mockClient when mocha loads them, before any test runs).
 */
function realClient(config: EC2ClientConfig): EC2Client {
  const c = new EC2Client(config);
  c.send = (Object.getPrototypeOf(EC2Client.prototype) as EC2Client).send;
  return c;
}
/** The same SDK waiter as src/core/ec2/client.ts, polling every 50 ms, for tests not about the wait itself. */
const quickRunning = (c: EC2Client, ids: string[]) =>
  waitUntilInstanceRunning({ client: c, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 }, { InstanceIds: ids }).then(() => undefined);
const noSsh = { waitSsh: async () => {} };

describe('EC2 layer against the fake EC2 endpoint (real SDK client over loopback HTTP)', function () {
  this.timeout(40_000);
  const t = { ...loadFixture('vxlan-1'), deployment: ID } as ValidTopology;
  let fake: FakeEc2;
  let client: EC2Client;
  const targets: string[] = [];
  const realConnect = net.Socket.prototype.connect;
  /** `Action` or `Action (DryRun)` for every request the fake saw that mutates state. */
  const mutating = () =>
    fake.requests.filter((r) => MUTATING.includes(r.action)).map((r) => `${r.action}${r.params.DryRun === 'true' ? ' (DryRun)' : ''}`);

  before(() => {
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      const a0 = args[0] as unknown;
      const o = (Array.isArray(a0) ? a0[0] : typeof a0 === 'object' ? a0 : { port: a0, host: args[1] }) as {
        host?: string;
        port?: number;
        path?: string;
      };
      const target = o.path ?? `${o.host ?? 'localhost'}:${o.port}`;
      targets.push(target);
      if (o.path || ['127.0.0.1', 'localhost', '::1'].includes(o.host ?? 'localhost'))
        return (realConnect as (...a: unknown[]) => net.Socket).apply(this, args);
      return (realConnect as (...a: unknown[]) => net.Socket).apply(this, [{ path: '/nonexistent-rosvpn-socket' }]);
    } as typeof net.Socket.prototype.connect;
  });
  after(() => {
    net.Socket.prototype.connect = realConnect;
    assert.deepEqual(
      targets.filter((x) => !/^(127\.0\.0\.1|localhost|::1):\d+$/.test(x)),
      [],
      'only the loopback fake was contacted',
    );
  });
  beforeEach(async () => {
    fake = await startFakeEc2();
    client = realClient({ region: settings.region, endpoint: fake.url, credentials });
  });
  afterEach(async () => {
    client.destroy();
    await fake.close();
  });

  it('discovery on an empty account finds the default subnet and the newest Canonical image; the plan creates everything', async () => {
    fake.state.images.push({
      id: 'ami-0old',
      name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20250101',
      ownerId: '099720109477',
      creationDate: '2025-01-01T00:00:00.000Z',
      architecture: 'x86_64',
      state: 'available',
      tags: {},
      rootDeviceName: '/dev/sda1',
    });
    fake.state.images.push({
      id: 'ami-0arm',
      name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20270101',
      ownerId: '099720109477',
      creationDate: '2027-01-01T00:00:00.000Z',
      architecture: 'arm64',
      state: 'available',
      tags: {},
      rootDeviceName: '/dev/sda1',
    });
    fake.state.images.push({
      id: 'ami-0fake',
      name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20270102',
      ownerId: '666666666666',
      creationDate: '2027-01-02T00:00:00.000Z',
      architecture: 'x86_64',
      state: 'available',
      tags: {},
      rootDeviceName: '/dev/sda1',
    });
    const d = await discover(client, t, settings);
    assert.deepEqual(d.subnet, { id: DEFAULT_SUBNET, vpcId: DEFAULT_VPC, cidr: '172.31.0.0/20' });
    assert.deepEqual(d.image, {
      id: DEFAULT_IMAGE,
      name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261101',
      found: 'looked-up',
      rootDeviceName: '/dev/sda1',
    });
    assert.equal(d.group, undefined);
    assert.equal(d.instances.size, 0);
    assert.equal(d.address, undefined);
    assert.deepEqual(
      planCloud(t, settings, d).map((s) => `${s.action} ${s.resource}`),
      [
        `reuse subnet ${DEFAULT_SUBNET}`,
        `create security group rosvpn-demo-${ID}`,
        'create instance gateway',
        'create instance second',
        'create Elastic IP for the gateway',
      ],
    );
    const images = fake.requests.find((r) => r.action === 'DescribeImages')!.params;
    assert.equal(images['Owner.1'], '099720109477');
    assert.equal(images['Filter.1.Value.1'], 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*');
  });

  it('cloud up: DryRun first, then group, instances (the SDK waiter sees pending, then running) and the Elastic IP', async () => {
    const events: string[] = [];
    const r = await cloudUp(client, t, settings, { waitRunning, ...noSsh, onEvent: (l) => events.push(l) });
    assert.deepEqual(mutating(), [
      'CreateSecurityGroup (DryRun)',
      'RunInstances (DryRun)',
      'AllocateAddress (DryRun)',
      'CreateSecurityGroup',
      'AuthorizeSecurityGroupIngress',
      'RunInstances',
      'RunInstances',
      'AllocateAddress',
      'AssociateAddress',
    ]);
    const [gw, second] = fake.state.instances;
    assert.deepEqual(r, {
      groupId: fake.state.groups[0].id,
      instances: { gateway: gw.id, second: second.id },
      publicIp: '203.0.113.10',
      allocationId: fake.state.addresses[0].allocationId,
    });
    // The waiter polled the new instances at least twice: once pending, then running.
    assert.ok(fake.requests.filter((x) => x.action === 'DescribeInstances' && x.params['InstanceId.1'] === gw.id).length >= 2);
    assert.deepEqual(
      fake.state.instances.map((i) => `${i.tags['rosvpn:host']} ${i.state} ${i.privateIp} ${i.subnetId} ${i.keyName} ${i.imageId}`),
      [
        `gateway running 172.31.1.11 ${DEFAULT_SUBNET} robots ${DEFAULT_IMAGE}`,
        `second running 172.31.1.12 ${DEFAULT_SUBNET} robots ${DEFAULT_IMAGE}`,
      ],
    );
    assert.equal(gw.publicIp, '203.0.113.10');
    assert.deepEqual(gw.groupIds, [r.groupId]);
    const g = fake.state.groups[0];
    assert.equal(g.name, `rosvpn-demo-${ID}`);
    assert.equal(g.tags['rosvpn:deployment'], ID);
    assert.deepEqual(
      g.ingress.map((x) => `${x.protocol}/${x.from}-${x.to} ${x.cidr ?? x.groupId}`),
      [
        'udp/1194-1194 0.0.0.0/0',
        'tcp/22-22 198.51.100.0/24',
        `tcp/22-22 ${g.id}`,
        'icmp/8--1 198.51.100.0/24',
        `icmp/8--1 ${g.id}`,
        `udp/4789-4789 ${g.id}`,
      ],
    );
    assert.deepEqual(fake.state.addresses[0], {
      allocationId: r.allocationId,
      publicIp: '203.0.113.10',
      instanceId: gw.id,
      associationId: fake.state.addresses[0].associationId,
      tags: {
        Name: 'rosvpn-demo-gateway',
        'rosvpn:topology': 'demo',
        'rosvpn:deployment': ID,
        'rosvpn:role': 'gateway',
        'rosvpn:host': 'gateway',
      },
    });
    // Every launch: IMDSv2 only with one hop, the image's root volume encrypted.
    for (const i of fake.state.instances) {
      assert.deepEqual(i.metadata, { httpTokens: 'required', hopLimit: 1, httpEndpoint: 'enabled' });
      assert.deepEqual(i.volumes, [{ deviceName: '/dev/sda1', encrypted: true, deleteOnTermination: true }]);
      assert.equal(i.tags['rosvpn:deployment'], ID);
    }
    assert.ok(events.includes(`launched gateway (${gw.id}) at 172.31.1.11`), events.join('\n'));
  });

  it('a rerun reuses everything and sends no mutating call at all, not even a DryRun', async () => {
    const first = await cloudUp(client, t, settings, { waitRunning: quickRunning, ...noSsh });
    fake.requests.length = 0;
    const again = await cloudUp(client, t, settings, { waitRunning, ...noSsh });
    assert.deepEqual(again, first);
    assert.deepEqual(mutating(), []);
    assert.ok(
      fake.requests.every((r) => r.action.startsWith('Describe')),
      fake.requests.map((r) => r.action).join(' '),
    );
    assert.equal(fake.state.instances.length, 2);
    assert.equal(fake.state.groups[0].ingress.length, 6);
    const plan = planCloud(t, settings, await discover(client, t, settings));
    assert.deepEqual(
      plan.map((s) => s.action),
      ['reuse', 'reuse', 'reuse', 'reuse', 'reuse'],
    );
  });

  it('rules converge: a narrowed SSH CIDR is authorized, then the old one revoked (shown as revoke in the plan); a rule added by hand goes', async () => {
    await cloudUp(client, t, settings, { waitRunning: quickRunning, ...noSsh });
    const g = fake.state.groups[0];
    g.ingress.push({ protocol: 'tcp', from: 3389, to: 3389, cidr: '0.0.0.0/0' });
    const narrow = { ...settings, sshCidr: '198.51.100.7/32' };
    const plan = planCloud(t, narrow, await discover(client, t, narrow));
    assert.deepEqual(
      plan.filter((p) => p.action === 'authorize' || p.action === 'revoke').map((p) => `${p.action} ${p.resource}`),
      [
        'authorize rule tcp 22 from 198.51.100.7/32 (SSH (provisioning))',
        'authorize rule ping (icmp echo) from 198.51.100.7/32 (ping)',
        'revoke rule tcp 22 from 198.51.100.0/24 (SSH (provisioning))',
        'revoke rule ping (icmp echo) from 198.51.100.0/24 (ping)',
        'revoke rule tcp 3389 from 0.0.0.0/0',
      ],
    );
    fake.requests.length = 0;
    await cloudUp(client, t, narrow, { waitRunning: quickRunning, ...noSsh });
    assert.deepEqual(mutating(), [
      'AuthorizeSecurityGroupIngress (DryRun)',
      'RevokeSecurityGroupIngress (DryRun)',
      'AuthorizeSecurityGroupIngress',
      'RevokeSecurityGroupIngress',
    ]);
    assert.deepEqual(g.ingress.map((x) => `${x.protocol}/${x.from} ${x.cidr ?? 'group'}`).sort(), [
      'icmp/8 198.51.100.7/32',
      'icmp/8 group',
      'tcp/22 198.51.100.7/32',
      'tcp/22 group',
      'udp/1194 0.0.0.0/0',
      'udp/4789 group',
    ]);
    // Negative control: the same settings again change nothing.
    fake.requests.length = 0;
    await cloudUp(client, t, narrow, { waitRunning: quickRunning, ...noSsh });
    assert.deepEqual(mutating(), []);
  });

  it('a second stopped by setPower is planned as "start" and started by the rerun', async () => {
    const first = await cloudUp(client, t, settings, { waitRunning: quickRunning, ...noSsh });
    const stop = await setPower(client, t, 'stop', settings, ['second']);
    assert.deepEqual(stop.changed, [{ host: 'second', id: first.instances.second, from: 'running' }]);
    const d = await discover(client, t, settings); // the describe that moves stopping -> stopped
    assert.equal(d.instances.get('second')?.state, 'stopping');
    assert.equal(d.instances.get('second')?.publicIp, undefined, 'an auto-assigned public IP does not survive a stop');
    const plan = planCloud(t, settings, await discover(client, t, settings));
    assert.deepEqual(
      plan.filter((s) => s.action === 'start').map((s) => s.resource),
      [`instance second (${first.instances.second})`],
    );
    fake.requests.length = 0;
    await cloudUp(client, t, settings, { waitRunning: quickRunning, ...noSsh });
    assert.deepEqual(mutating(), ['StartInstances (DryRun)', 'StartInstances']);
    assert.equal(fake.state.instances[1].state, 'running');
  });

  it('status lists what exists; down terminates (SDK waiter), releases and deletes, leaving nothing', async () => {
    const up = await cloudUp(client, t, settings, { waitRunning: quickRunning, ...noSsh });
    const st = await cloudStatus(client, t, settings);
    assert.deepEqual(
      st.instances.map((i) => `${i.host} ${i.role} ${i.state} ${i.privateIp} ${i.publicIp ?? '-'}`),
      ['gateway gateway running 172.31.1.11 203.0.113.10', 'second second running 172.31.1.12 198.51.100.11'],
    );
    assert.deepEqual(st.address, { allocationId: up.allocationId, publicIp: '203.0.113.10', instanceId: up.instances.gateway });
    assert.equal(st.groupId, up.groupId);
    fake.requests.length = 0;
    const r = await cloudDown(client, st, 'us-west-2', { waitTerminated });
    assert.ok(r.ok, r.error);
    assert.deepEqual(mutating(), [
      'TerminateInstances (DryRun)',
      'ReleaseAddress (DryRun)',
      'DeleteSecurityGroup (DryRun)',
      'TerminateInstances',
      'ReleaseAddress',
      'DeleteSecurityGroup',
    ]);
    assert.deepEqual(
      fake.state.instances.map((i) => i.state),
      ['terminated', 'terminated'],
    );
    assert.deepEqual([fake.state.addresses, fake.state.groups], [[], []]);
    assert.deepEqual(await cloudStatus(client, t, settings), {
      deployment: ID,
      vpcId: DEFAULT_VPC,
      instances: [],
      address: undefined,
      groupId: undefined,
      groupName: undefined,
      foreign: [],
    });
    assert.equal((await discover(client, t, settings)).instances.size, 0);
  });

  it('EC2 ordering rules hold: no association before running, no release while associated, no group delete while used', async () => {
    const d = await discover(client, t, settings);
    const up = await cloudUp(client, t, settings, { waitRunning: quickRunning, ...noSsh });
    const launched = await client.send(
      new RunInstancesCommand({ ImageId: d.image.id, MinCount: 1, MaxCount: 1, SubnetId: d.subnet.id, SecurityGroupIds: [up.groupId] }),
    );
    const pendingId = launched.Instances![0].InstanceId!;
    assert.equal(launched.Instances![0].State?.Name, 'pending');
    assert.equal(launched.Instances![0].PrivateIpAddress, '172.31.0.4'); // first address AWS does not reserve
    await assert.rejects(client.send(new AssociateAddressCommand({ AllocationId: up.allocationId, InstanceId: pendingId })), {
      name: 'InvalidInstanceID',
    });
    await assert.rejects(client.send(new ReleaseAddressCommand({ AllocationId: up.allocationId })), { name: 'InvalidIPAddress.InUse' });
    await assert.rejects(client.send(new DeleteSecurityGroupCommand({ GroupId: up.groupId })), { name: 'DependencyViolation' });
    await assert.rejects(client.send(new DescribeInstancesCommand({ InstanceIds: ['i-0000000000000dead'] })), {
      name: 'InvalidInstanceID.NotFound',
    });
  });

  it('a private IP held by another live instance fails RunInstances as ADDRESS_IN_USE', async () => {
    fake.state.instances.push({
      id: 'i-0other00000000001',
      reservationId: 'r-0other',
      imageId: DEFAULT_IMAGE,
      instanceType: 't3.micro',
      subnetId: DEFAULT_SUBNET,
      vpcId: DEFAULT_VPC,
      privateIp: '172.31.1.12',
      groupIds: [],
      state: 'running',
      tags: {},
      launchTime: '2026-01-01T00:00:00.000Z',
      rootDeviceName: '/dev/sda1',
      volumes: [],
      metadata: { httpTokens: 'required', hopLimit: 1, httpEndpoint: 'enabled' },
    });
    await assert.rejects(
      cloudUp(client, t, settings, { waitRunning: quickRunning, ...noSsh }),
      (e: AwsError) => e.code === 'ADDRESS_IN_USE' && /172\.31\.1\.12.*cloudIp/.test(e.message),
    );
    assert.deepEqual(
      fake.state.instances.map((i) => i.privateIp),
      ['172.31.1.12', '172.31.1.11'],
    ); // the gateway was launched before the failure
  });

  it('injected InsufficientInstanceCapacity on RunInstances becomes CAPACITY (the SDK retries the same ClientToken first)', async () => {
    fake.fail('RunInstances', {
      code: 'InsufficientInstanceCapacity',
      message: 'We currently do not have sufficient t3.small capacity in the Availability Zone you requested (us-west-2a).',
    });
    await assert.rejects(
      cloudUp(client, t, settings, { waitRunning: quickRunning, ...noSsh }),
      (e: AwsError) => e.code === 'CAPACITY' && /another instance type/.test(e.message),
    );
    const runs = fake.requests.filter((r) => r.action === 'RunInstances' && r.params.DryRun !== 'true');
    assert.ok(runs.length > 1, 'a 500 is retried by the SDK');
    assert.equal(new Set(runs.map((r) => r.params.ClientToken)).size, 1);
    assert.equal(fake.state.instances.length, 0);
    assert.equal(fake.state.groups.length, 1, 'DryRun passed, so the group was created before the launch failed');
  });

  it('injected UnauthorizedOperation on CreateSecurityGroup stops at the DryRun: UNAUTHORIZED, nothing created', async () => {
    fake.fail('CreateSecurityGroup', { code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.' });
    await assert.rejects(
      cloudUp(client, t, settings, { waitRunning: quickRunning, ...noSsh }),
      (e: AwsError) => e.code === 'UNAUTHORIZED' && /"ec2:CreateSecurityGroup"/.test(e.message),
    );
    assert.deepEqual(mutating(), ['CreateSecurityGroup (DryRun)']);
    assert.deepEqual([fake.state.groups, fake.state.instances, fake.state.addresses], [[], [], []]);
  });

  it('a missing delete permission deletes nothing (the DryRun meets it first); a fault for N calls expires', async () => {
    await cloudUp(client, t, settings, { waitRunning: quickRunning, ...noSsh });
    fake.fail('ReleaseAddress', { code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.' }, 1);
    const quickTerminated = async () => {};
    fake.requests.length = 0;
    const r = await cloudDown(client, await cloudStatus(client, t, settings), 'us-west-2', { waitTerminated: quickTerminated });
    assert.equal(r.ok, false);
    assert.match(r.error!, /ec2:ReleaseAddress/);
    assert.deepEqual(r.done, []);
    assert.deepEqual(mutating(), ['TerminateInstances (DryRun)', 'ReleaseAddress (DryRun)']);
    assert.deepEqual(
      fake.state.instances.map((i) => i.state),
      ['running', 'running'],
    );
    assert.equal(r.remaining.length, 4);
    assert.deepEqual(r.remaining.slice(2), [
      'Elastic IP 203.0.113.10 ' + fake.state.addresses[0].allocationId + ' (billed while allocated)',
      `security group rosvpn-demo-${ID} ${fake.state.groups[0].id} (free)`,
    ]);
    // A real deletion that fails after its DryRun passed: what is left is listed exactly.
    fake.fail('DeleteSecurityGroup', { code: 'DependencyViolation', message: 'resource has a dependent object' }, 1);
    const half = await cloudDown(client, await cloudStatus(client, t, settings), 'us-west-2', { waitTerminated: quickTerminated });
    assert.equal(half.ok, false);
    assert.deepEqual(half.remaining, [`security group rosvpn-demo-${ID} ${fake.state.groups[0].id} (free)`]);
    await client.send(new DescribeInstancesCommand({})); // shutting-down -> terminated
    const again = await cloudDown(client, await cloudStatus(client, t, settings), 'us-west-2', { waitTerminated: quickTerminated });
    assert.ok(again.ok, again.error);
    assert.deepEqual([fake.state.addresses, fake.state.groups], [[], []]);
  });

  it('controls: an unknown action, an unknown filter and an unsigned request are rejected; DryRun answers 412 DryRunOperation', async () => {
    await assert.rejects(
      client.send(new DescribeVolumesCommand({})),
      (e: AwsError) => e.name === 'InvalidAction' && e.$metadata?.httpStatusCode === 400,
    );
    await assert.rejects(client.send(new DescribeInstancesCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] })), {
      name: 'InvalidParameterValue',
    });
    for (const cmd of [
      new DescribeInstancesCommand({ DryRun: true }),
      new RunInstancesCommand({ DryRun: true, ImageId: DEFAULT_IMAGE, MinCount: 1, MaxCount: 1 }),
    ]) {
      await assert.rejects(
        client.send(cmd as never),
        (e: AwsError) => e.name === 'DryRunOperation' && e.$metadata?.httpStatusCode === 412 && /DryRun flag is set/.test(e.message),
      );
    }
    assert.equal(fake.state.instances.length, 0);
    const raw = await fetch(fake.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DescribeInstances&Version=2016-11-15',
    });
    assert.equal(raw.status, 403);
    assert.match(await raw.text(), /^<\?xml[^]*<Response><Errors><Error><Code>AuthFailure<\/Code>/);
    assert.ok(fake.url.startsWith('http://127.0.0.1:'));
  });

  it('the CLI prints its URL, logs requests as JSON lines, injects --fail, serves AWS_ENDPOINT_URL_EC2 and exits on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-ec2-'));
    const log = path.join(dir, 'requests.jsonl');
    const seed = path.join(dir, 'seed.json');
    fs.writeFileSync(seed, JSON.stringify({ addressPool: ['192.0.2.77'] }));
    const server = path.join(__dirname, '..', 'support', 'fakeEc2Server.ts');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        server,
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--log',
        log,
        '--seed',
        seed,
        '--fail',
        'RunInstances=InsufficientInstanceCapacity:no: capacity',
      ],
      { cwd: path.join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const m = /^FAKE_EC2_URL=(http:\/\/127\.0\.0\.1:\d+)\n/.exec(out);
          if (m) resolve(m[1]);
        });
        void exited.then(() => reject(new Error(`server exited: ${stderr}`)));
      });
      const saved = process.env.AWS_ENDPOINT_URL_EC2;
      process.env.AWS_ENDPOINT_URL_EC2 = url;
      const viaEnv = realClient({ region: 'us-west-2', credentials, maxAttempts: 1 });
      try {
        const d = await discover(viaEnv, t, settings);
        assert.equal(d.subnet.id, DEFAULT_SUBNET);
        await assert.rejects(viaEnv.send(new RunInstancesCommand({ ImageId: DEFAULT_IMAGE, MinCount: 1, MaxCount: 1 })), {
          name: 'InsufficientInstanceCapacity',
          message: 'no: capacity',
        });
      } finally {
        viaEnv.destroy();
        if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_EC2;
        else process.env.AWS_ENDPOINT_URL_EC2 = saved;
      }
      const lines = fs
        .readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { action: string; params: Record<string, string> });
      assert.deepEqual(
        lines.map((l) => l.action),
        [
          'DescribeSubnets',
          'DescribeVpcs',
          'DescribeInstances',
          'DescribeInstances',
          'DescribeSecurityGroups',
          'DescribeSecurityGroups',
          'DescribeAddresses',
          'DescribeAddresses',
          'DescribeImages',
          'RunInstances',
        ],
      );
      assert.deepEqual(
        [lines[2].params['Filter.1.Name'], lines[2].params['Filter.1.Value.1'], lines[2].params['Filter.2.Name']],
        ['tag:rosvpn:deployment', ID, 'vpc-id'],
      );
      assert.equal(lines[3].params['Filter.1.Name'], 'tag:rosvpn:topology');
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
