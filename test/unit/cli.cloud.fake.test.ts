// The team scenario, end to end: the `rosvpn` CLI in its own process (real SDK client, real HTTP) against the
// stateful fake EC2 Query API on loopback, in an account where a colleague already runs a topology with the
// same name. Every request is recorded; each claim is checked on the requests and on the fake's state:
// the colleague's instance, group and Elastic IP survive up, stop, start and down; a rerun sends no mutating
// call; every launch carries IMDSv2 and an encrypted root volume; SSH is never world-open unless written; a
// narrowed CIDR is revoked; teardown lists every id, DryRuns every delete and deletes exactly that list.
// The check-IP service of `--ssh-cidr auto` is a loopback fake too (ROSVPN_CHECKIP_URL).
import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_VPC, startFakeEc2, type FakeEc2 } from '../support/fakeEc2';

const ROOT = path.join(__dirname, '..', '..');
const COLLEAGUE = 'fedcba9876543210';
const MUTATING = new Set([
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
  'CreateTags',
]);
type Req = FakeEc2['requests'][number];

describe('rosvpn cloud in a shared account (CLI process against the fake EC2 endpoint)', function () {
  this.timeout(120_000);
  let fake: FakeEc2;
  let checkip: http.Server;
  let checkipUrl: string;
  let dir: string;
  let file: string;

  /** Runs `rosvpn cloud ARGS FILE` in a child process; only loopback endpoints are configured. */
  const cli = (...args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string; from: number }>((resolve) => {
      const from = fake.requests.length;
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '--require',
          path.join(ROOT, 'scripts/register-text.cjs'),
          path.join(ROOT, 'src/cli/index.ts'),
          'cloud',
          ...args,
          file,
          '--region',
          'us-west-2',
          '--no-wait-ssh',
        ],
        {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH,
            HOME: dir,
            AWS_ENDPOINT_URL_EC2: fake.url,
            AWS_EC2_METADATA_DISABLED: 'true',
            AWS_ACCESS_KEY_ID: 'AKIDTESTONLY',
            AWS_SECRET_ACCESS_KEY: 'test-only',
            AWS_CONFIG_FILE: '/nonexistent',
            AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
            ROSVPN_CHECKIP_URL: checkipUrl,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('exit', (code) => resolve({ code, out, err, from }));
    });
  const since = (from: number): Req[] => fake.requests.slice(from);
  const mutating = (from: number) =>
    since(from)
      .filter((r) => MUTATING.has(r.action))
      .map((r) => `${r.action}${r.params.DryRun === 'true' ? ' (DryRun)' : ''}`);
  const idsIn = (r: Req) =>
    Object.entries(r.params)
      .filter(([k]) => /^InstanceId\.\d+$/.test(k))
      .map(([, v]) => v);
  const tagsIn = (r: Req, n: number) =>
    Object.fromEntries(
      Object.entries(r.params)
        .filter(([k]) => new RegExp(`^TagSpecification\\.${n}\\.Tag\\.\\d+\\.Key$`).test(k))
        .map(([k, v]) => [v, r.params[k.replace(/Key$/, 'Value')]]),
    );
  const deployment = () => JSON.parse(fs.readFileSync(file, 'utf8')).deployment as string | undefined;
  const colleague = () => ({
    instance: fake.state.instances.find((i) => i.id === 'i-0c011ea9e0000000a'),
    group: fake.state.groups.find((g) => g.id === 'sg-0c011ea9e0000000a'),
    address: fake.state.addresses.find((a) => a.allocationId === 'eipalloc-0c011ea9e000000a'),
  });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-shared-'));
    file = path.join(dir, 'rosvpn.json');
    fs.copyFileSync(path.join(ROOT, 'test/fixtures/topologies/vxlan-1.json'), file);
    checkip = http.createServer((_req, res) => res.end('198.51.100.23\n'));
    await new Promise<void>((r) => checkip.listen(0, '127.0.0.1', () => r()));
    checkipUrl = `http://127.0.0.1:${(checkip.address() as AddressInfo).port}/`;
    const tags = (host: string) => ({
      Name: `rosvpn-demo-${host}`,
      'rosvpn:topology': 'demo',
      'rosvpn:deployment': COLLEAGUE,
      'rosvpn:role': host,
      'rosvpn:host': host,
    });
    // The colleague's `demo`, in the same VPC and subnet: an instance, an old-style group (no deployment tag,
    // world-open SSH) and an Elastic IP on the instance.
    fake = await startFakeEc2({
      seed: {
        instances: [
          {
            id: 'i-0c011ea9e0000000a',
            privateIp: '172.31.1.50',
            groupIds: ['sg-0c011ea9e0000000a'],
            tags: tags('gateway'),
            publicIp: '203.0.113.99',
          },
        ],
        groups: [
          {
            id: 'sg-0c011ea9e0000000a',
            name: 'rosvpn-demo',
            tags: { 'rosvpn:topology': 'demo' },
            ingress: [{ protocol: 'tcp', from: 22, to: 22, cidr: '0.0.0.0/0' }],
          },
        ],
        addresses: [
          {
            allocationId: 'eipalloc-0c011ea9e000000a',
            publicIp: '203.0.113.99',
            instanceId: 'i-0c011ea9e0000000a',
            associationId: 'eipassoc-0c011ea9e00000a',
            tags: tags('gateway'),
          },
        ],
        vpcs: [{ id: 'vpc-0e15e0e15e0e15e0e', cidr: '10.50.0.0/16' }],
        subnets: [{ id: 'subnet-0e15e0e15e0e15e0e', vpcId: 'vpc-0e15e0e15e0e15e0e', cidr: '10.50.1.0/24' }],
      },
    });
  });
  after(async () => {
    await fake?.close();
    await new Promise<void>((r) => checkip.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('up without an SSH CIDR refuses before any request, naming --ssh-cidr, the setting and auto', async () => {
    const r = await cli('up', '--yes', '--key-name', 'k1');
    assert.equal(r.code, 1);
    assert.match(r.err, /no SSH CIDR.*--ssh-cidr CIDR.*rosvpn\.aws\.sshCidr.*'auto'/);
    assert.deepEqual(since(r.from), []);
    assert.equal(deployment(), undefined);
  });

  it("status and down without a deployment id find nothing of ours, list the colleague's resources, and touch nothing", async () => {
    const st = await cli('status');
    assert.equal(st.code, 0, st.err);
    assert.match(st.out, /no deployment id/);
    assert.match(
      st.out,
      new RegExp(`not ours: instance i-0c011ea9e0000000a \\(gateway, running, 172\\.31\\.1\\.50\\) rosvpn:deployment=${COLLEAGUE}`),
    );
    assert.match(st.out, /not ours: security group sg-0c011ea9e0000000a \(rosvpn-demo\) no rosvpn:deployment tag/);
    assert.match(st.out, /not ours: Elastic IP eipalloc-0c011ea9e000000a \(203\.0\.113\.99 on i-0c011ea9e0000000a\)/);
    const down = await cli('down', '--yes');
    assert.equal(down.code, 0, down.err);
    assert.match(down.out, /down: nothing to delete/);
    assert.deepEqual(mutating(st.from), []);
  });

  it('plan with --ssh-cidr auto asks the check-IP service and plans SSH from that address only; the colleague shows as not ours', async () => {
    const r = await cli('plan', '--ssh-cidr', 'auto', '--key-name', 'k1');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /public address is 198\.51\.100\.23\/32/);
    assert.match(r.out, /SSH and ping from 198\.51\.100\.23\/32 and from the group itself/);
    assert.match(r.out, /tls-crypt/);
    assert.match(r.out, /not ours: instance i-0c011ea9e0000000a/);
    assert.deepEqual(mutating(r.from), []);
  });

  it('up: a deployment id is written first; everything it creates carries it; IMDSv2 and an encrypted root on every launch; SSH from the CIDR and the group', async () => {
    const r = await cli('up', '--yes', '--key-name', 'k1', '--ssh-cidr', '198.51.100.0/24');
    assert.equal(r.code, 0, r.err + r.out);
    const id = deployment();
    assert.match(id ?? '', /^[0-9a-f]{16}$/);
    const reqs = since(r.from);
    const firstReal = reqs.findIndex((x) => MUTATING.has(x.action) && x.params.DryRun !== 'true');
    const dry = reqs.filter((x) => x.params.DryRun === 'true');
    assert.deepEqual(
      dry.map((x) => x.action),
      ['CreateSecurityGroup', 'RunInstances', 'AllocateAddress'],
    );
    assert.ok(reqs.findIndex((x) => x.params.DryRun === 'true' && x.action === 'AllocateAddress') < firstReal);
    assert.equal(dry[1].params['NetworkInterface.1.PrivateIpAddress'], '172.31.1.11', 'the DryRun launch names the private IP');
    const runs = reqs.filter((x) => x.action === 'RunInstances');
    assert.equal(runs.length, 3);
    for (const x of runs) {
      assert.equal(x.params['MetadataOptions.HttpTokens'], 'required');
      assert.equal(x.params['MetadataOptions.HttpPutResponseHopLimit'], '1');
      assert.equal(x.params['BlockDeviceMapping.1.DeviceName'], '/dev/sda1');
      assert.equal(x.params['BlockDeviceMapping.1.Ebs.Encrypted'], 'true');
      assert.equal(tagsIn(x, 1)['rosvpn:deployment'], id);
      assert.equal(tagsIn(x, 2)['rosvpn:deployment'], id, 'the volume is tagged too');
    }
    for (const a of ['CreateSecurityGroup', 'AllocateAddress'])
      assert.equal(
        tagsIn(
          reqs.find((x) => x.action === a && x.params.DryRun !== 'true')!,
          1,
        )['rosvpn:deployment'],
        id,
        a,
      );
    const ours = fake.state.instances.filter((i) => i.tags['rosvpn:deployment'] === id);
    assert.deepEqual(
      ours.map((i) => `${i.tags['rosvpn:host']} ${i.privateIp} ${i.metadata.httpTokens} ${i.volumes[0].encrypted}`),
      ['gateway 172.31.1.11 required true', 'second 172.31.1.12 required true'],
    );
    const g = fake.state.groups.find((x) => x.tags['rosvpn:deployment'] === id)!;
    assert.equal(g.name, `rosvpn-demo-${id}`, "a group name of its own: the colleague's rosvpn-demo is in the same VPC");
    assert.deepEqual(g.ingress.map((x) => `${x.protocol}/${x.from} ${x.cidr ?? (x.groupId === g.id ? 'self' : x.groupId)}`).sort(), [
      'icmp/8 198.51.100.0/24',
      'icmp/8 self',
      'tcp/22 198.51.100.0/24',
      'tcp/22 self',
      'udp/1194 0.0.0.0/0',
      'udp/4789 self',
    ]);
    assert.match(r.out, /not ours: instance i-0c011ea9e0000000a/);
    assert.deepEqual(colleague().instance?.state, 'running');
  });

  it('a rerun sends no mutating call at all (no DryRun either) and asks nothing', async () => {
    const r = await cli('up', '--yes', '--key-name', 'k1', '--ssh-cidr', '198.51.100.0/24');
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(mutating(r.from), []);
    assert.match(r.out, /nothing to change/);
  });

  it("stop and start act only on our instances: never the colleague's, never ours in another VPC", async () => {
    const id = deployment()!;
    // An instance with our deployment id in another VPC (someone ran up against another subnet): not ours here.
    fake.state.instances.push({
      ...fake.state.instances[0],
      id: 'i-0e15e0e15e0e15e0e',
      reservationId: 'r-0e15e0e15e0e15e0e',
      subnetId: 'subnet-0e15e0e15e0e15e0e',
      vpcId: 'vpc-0e15e0e15e0e15e0e',
      privateIp: '10.50.1.11',
      groupIds: [],
      state: 'running',
      tags: { 'rosvpn:topology': 'demo', 'rosvpn:deployment': id, 'rosvpn:host': 'gateway' },
    });
    const ours = fake.state.instances.filter((i) => i.tags['rosvpn:deployment'] === id && i.vpcId === DEFAULT_VPC).map((i) => i.id);
    const stop = await cli('stop');
    assert.equal(stop.code, 0, stop.err);
    const stops = since(stop.from).filter((x) => x.action === 'StopInstances');
    assert.deepEqual(stops.map(idsIn), [ours]);
    const st = await cli('status'); // stopping -> stopped
    assert.match(
      st.out,
      new RegExp(
        `not ours: instance i-0e15e0e15e0e15e0e \\(gateway, running, 10\\.50\\.1\\.11\\) rosvpn:deployment=${id} \\(ours, but in vpc-0e15e0e15e0e15e0e\\)`,
      ),
    );
    const start = await cli('start');
    assert.equal(start.code, 0, start.err);
    assert.deepEqual(
      since(start.from)
        .filter((x) => x.action === 'StartInstances')
        .map(idsIn),
      [ours],
    );
    assert.equal(colleague().instance?.state, 'running');
    assert.equal(fake.state.instances.find((i) => i.id === 'i-0e15e0e15e0e15e0e')?.state, 'running');
  });

  it('a narrowed SSH CIDR: the plan says revoke; up authorizes the new rules, then revokes the old ones', async () => {
    const plan = await cli('plan', '--ssh-cidr', '198.51.100.7/32');
    assert.match(plan.out, /revoke rule tcp 22 from 198\.51\.100\.0\/24/);
    assert.match(plan.out, /authorize rule tcp 22 from 198\.51\.100\.7\/32/);
    const r = await cli('up', '--yes', '--key-name', 'k1', '--ssh-cidr', '198.51.100.7/32');
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(mutating(r.from), [
      'AuthorizeSecurityGroupIngress (DryRun)',
      'RevokeSecurityGroupIngress (DryRun)',
      'AuthorizeSecurityGroupIngress',
      'RevokeSecurityGroupIngress',
    ]);
    const g = fake.state.groups.find((x) => x.tags['rosvpn:deployment'] === deployment())!;
    assert.ok(!g.ingress.some((x) => x.cidr === '198.51.100.0/24'), 'the old, wider rule is gone');
    assert.deepEqual(
      colleague().group?.ingress,
      [{ protocol: 'tcp', from: 22, to: 22, cidr: '0.0.0.0/0' }],
      "the colleague's group is not converged",
    );
  });

  it("down lists every id, DryRuns every delete, then deletes exactly that list; the colleague's resources survive", async () => {
    const id = deployment()!;
    const ours = fake.state.instances.filter((i) => i.tags['rosvpn:deployment'] === id && i.vpcId === DEFAULT_VPC);
    const g = fake.state.groups.find((x) => x.tags['rosvpn:deployment'] === id)!;
    const a = fake.state.addresses.find((x) => x.tags['rosvpn:deployment'] === id)!;
    const r = await cli('down', '--yes');
    assert.equal(r.code, 0, r.err + r.out);
    const listed = r.out.slice(r.out.indexOf('down will delete'), r.out.indexOf('terminated'));
    for (const x of [...ours.map((i) => i.id), a.allocationId, g.id])
      assert.ok(listed.includes(x), `${x} listed before the first deletion:\n${r.out}`);
    assert.ok(!listed.includes('i-0c011ea9e0000000a') || /not ours: instance i-0c011ea9e0000000a/.test(listed));
    assert.deepEqual(mutating(r.from), [
      'TerminateInstances (DryRun)',
      'ReleaseAddress (DryRun)',
      'DeleteSecurityGroup (DryRun)',
      'TerminateInstances',
      'ReleaseAddress',
      'DeleteSecurityGroup',
    ]);
    const reqs = since(r.from);
    const terminate = reqs.filter((x) => x.action === 'TerminateInstances');
    assert.deepEqual(terminate.map(idsIn), [ours.map((i) => i.id), ours.map((i) => i.id)]);
    assert.deepEqual(
      reqs.filter((x) => x.action === 'ReleaseAddress').map((x) => x.params.AllocationId),
      [a.allocationId, a.allocationId],
    );
    assert.deepEqual(
      reqs.filter((x) => x.action === 'DeleteSecurityGroup').map((x) => x.params.GroupId),
      [g.id, g.id],
    );
    // No new query between the list and the first deletion.
    const firstDry = reqs.findIndex((x) => x.params.DryRun === 'true');
    assert.ok(
      reqs
        .slice(
          firstDry,
          reqs.findIndex((x) => x.action === 'TerminateInstances' && x.params.DryRun !== 'true'),
        )
        .every((x) => x.params.DryRun === 'true'),
    );
    const c = colleague();
    assert.equal(c.instance?.state, 'running');
    assert.ok(c.group && c.address?.instanceId === 'i-0c011ea9e0000000a');
    assert.equal(
      fake.state.instances.find((i) => i.id === 'i-0e15e0e15e0e15e0e')?.state,
      'running',
      'ours-by-tag in another VPC is left alone',
    );
    assert.deepEqual(
      ours.map((i) => i.state),
      ['terminated', 'terminated'],
    );
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).gateway.instanceId, undefined);
  });

  it("negative control: with the colleague's deployment id in rosvpn.json, their instance is the one listed as ours", async () => {
    const mine = file;
    file = path.join(dir, 'colleague.json');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(mine, 'utf8')), deployment: COLLEAGUE }));
    try {
      const r = await cli('status');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^gateway\s+gateway\s+i-0c011ea9e0000000a\s+running/m);
      assert.deepEqual(mutating(r.from), []);
    } finally {
      file = mine;
    }
  });
});
