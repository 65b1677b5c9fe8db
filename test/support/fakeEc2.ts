// A stateful fake of the EC2 Query API on a loopback port, for tests that drive the real @aws-sdk/client-ec2
// (via its `endpoint` option or AWS_ENDPOINT_URL_EC2) from another process, where in-process mocks cannot
// reach. It implements only what src/core/ec2 uses, in EC2's wire format: form-encoded requests, XML answers
// in the 2016-11-15 namespace with <item> lists, and EC2's error codes and HTTP statuses. Node built-ins only.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

type Tags = Record<string, string>;
export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';
export interface FakeVpc {
  id: string;
  cidr: string;
  tags: Tags;
}
export interface FakeSubnet {
  id: string;
  vpcId: string;
  cidr: string;
  az: string;
  tags: Tags;
}
export interface FakeImage {
  id: string;
  name: string;
  ownerId: string;
  creationDate: string;
  architecture: string;
  state: string;
  tags: Tags;
  rootDeviceName: string;
}
/** One ingress rule to one peer (a CIDR or a group): the unit EC2 reports duplicates in. */
export interface FakeRule {
  protocol: string;
  from?: number;
  to?: number;
  cidr?: string;
  groupId?: string;
  description?: string;
}
export interface FakeGroup {
  id: string;
  name: string;
  description: string;
  vpcId: string;
  tags: Tags;
  ingress: FakeRule[];
}
/** An EBS volume attached at launch, as RunInstances made it from the image and the BlockDeviceMappings. */
export interface FakeVolume {
  deviceName: string;
  encrypted: boolean;
  deleteOnTermination: boolean;
}
/** The instance metadata service options (RunInstances MetadataOptions; EC2's defaults when not given). */
export interface FakeMetadataOptions {
  httpTokens: 'optional' | 'required';
  hopLimit: number;
  httpEndpoint: 'enabled' | 'disabled';
}
export interface FakeInstance {
  id: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  keyName?: string;
  subnetId: string;
  vpcId: string;
  privateIp: string;
  publicIp?: string;
  groupIds: string[];
  state: InstanceStateName;
  tags: Tags;
  launchTime: string;
  rootDeviceName: string;
  volumes: FakeVolume[];
  metadata: FakeMetadataOptions;
}
export interface FakeAddress {
  allocationId: string;
  publicIp: string;
  instanceId?: string;
  associationId?: string;
  tags: Tags;
}
export interface FakeEc2State {
  vpcs: FakeVpc[];
  subnets: FakeSubnet[];
  images: FakeImage[];
  groups: FakeGroup[];
  instances: FakeInstance[];
  addresses: FakeAddress[];
  /** Public IPs that AllocateAddress hands out, in order. */
  addressPool: string[];
}
/** Added to the defaults (one VPC, subnet and Canonical image) unless `noDefaults`; omitted fields get defaults. */
export interface FakeEc2Seed {
  noDefaults?: boolean;
  vpcs?: (Partial<FakeVpc> & { id: string })[];
  subnets?: (Partial<FakeSubnet> & { id: string; cidr: string })[];
  images?: (Partial<FakeImage> & { id: string; name: string })[];
  groups?: (Partial<FakeGroup> & { id: string; name: string })[];
  instances?: (Partial<FakeInstance> & { id: string; privateIp: string })[];
  addresses?: (Partial<FakeAddress> & { allocationId: string; publicIp: string })[];
  addressPool?: string[];
}
export interface FakeEc2Error {
  code: string;
  message: string;
  status?: number;
}
export interface FakeEc2 {
  url: string;
  requests: { action: string; params: Record<string, string> }[];
  state: FakeEc2State;
  /**
   * Answer `action` with `err` for the next `times` calls (default: until cleared with `undefined`). DryRun calls
   * only meet permission errors (UnauthorizedOperation, AuthFailure, …), as on EC2, which checks nothing else then.
   */
  fail(action: string, err: FakeEc2Error | undefined, times?: number): void;
  close(): Promise<void>;
}

export const DEFAULT_VPC = 'vpc-0a1b2c3d4e5f60718';
export const DEFAULT_SUBNET = 'subnet-0123456789abcdef0';
export const DEFAULT_IMAGE = 'ami-0abcdef1234567890';
const OWNER = '123456789012';
const NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const STATE_CODE: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};
// Transitional states advance one step per DescribeInstances, so a waiter sees `pending` once, then `running`.
const NEXT: Partial<Record<InstanceStateName, InstanceStateName>> = {
  pending: 'running',
  stopping: 'stopped',
  'shutting-down': 'terminated',
};
// EC2's statuses for the codes tests inject; capacity errors are server errors (the SDK retries them).
const STATUS: Record<string, number> = {
  DryRunOperation: 412,
  UnauthorizedOperation: 403,
  AuthFailure: 403,
  InsufficientInstanceCapacity: 500,
  InternalError: 500,
  Unavailable: 503,
  RequestLimitExceeded: 503,
};
const PERMISSION_ERRORS = new Set(['UnauthorizedOperation', 'AuthFailure', 'Blocked', 'OptInRequired']);

class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = STATUS[code] ?? 400,
  ) {
    super(message);
  }
}

function initialState(seed: FakeEc2Seed = {}): FakeEc2State {
  const d = !seed.noDefaults;
  const vpcs: FakeVpc[] = [...(d ? [{ id: DEFAULT_VPC, cidr: '172.31.0.0/16' }] : []), ...(seed.vpcs ?? [])].map((v) => ({
    cidr: '10.0.0.0/16',
    tags: {},
    ...v,
  }));
  return {
    vpcs,
    subnets: [...(d ? [{ id: DEFAULT_SUBNET, cidr: '172.31.0.0/20' }] : []), ...(seed.subnets ?? [])].map((s) => ({
      vpcId: vpcs[0]?.id ?? DEFAULT_VPC,
      az: 'us-west-2a',
      tags: {},
      ...s,
    })),
    images: [
      ...(d ? [{ id: DEFAULT_IMAGE, name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261101' }] : []),
      ...(seed.images ?? []),
    ].map((i) => ({
      ownerId: '099720109477',
      creationDate: '2026-11-01T00:00:00.000Z',
      architecture: 'x86_64',
      state: 'available',
      tags: {},
      rootDeviceName: '/dev/sda1',
      ...i,
    })),
    groups: (seed.groups ?? []).map((g) => ({ description: g.name, vpcId: vpcs[0]?.id ?? DEFAULT_VPC, tags: {}, ingress: [], ...g })),
    instances: (seed.instances ?? []).map((i) => ({
      reservationId: `r-${i.id.slice(2)}`,
      imageId: DEFAULT_IMAGE,
      instanceType: 't3.small',
      subnetId: DEFAULT_SUBNET,
      vpcId: vpcs[0]?.id ?? DEFAULT_VPC,
      groupIds: [],
      state: 'running' as const,
      tags: {},
      launchTime: '2026-11-02T00:00:00.000Z',
      rootDeviceName: '/dev/sda1',
      volumes: [{ deviceName: '/dev/sda1', encrypted: false, deleteOnTermination: true }],
      metadata: { httpTokens: 'optional' as const, hopLimit: 2, httpEndpoint: 'enabled' as const },
      ...i,
    })),
    addresses: (seed.addresses ?? []).map((a) => ({ tags: {}, ...a })),
    addressPool: seed.addressPool ? [...seed.addressPool] : Array.from({ length: 245 }, (_, n) => `203.0.113.${n + 10}`),
  };
}

// --- Query-protocol parsing: `Filter.1.Name`, `Filter.1.Value.1`, `InstanceId.1`, … ---------------------

/** The indexed members under `prefix` (1-based, in index order), each as its sub-keys ('' for a scalar member). */
function members(p: Record<string, string>, prefix: string): Record<string, string>[] {
  const byIndex = new Map<number, Record<string, string>>();
  for (const [k, v] of Object.entries(p)) {
    const m = k.startsWith(`${prefix}.`) ? /^(\d+)(?:\.(.+))?$/.exec(k.slice(prefix.length + 1)) : null;
    if (m) (byIndex.get(+m[1]) ?? byIndex.set(+m[1], {}).get(+m[1])!)[m[2] ?? ''] = v;
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
}
const list = (p: Record<string, string>, prefix: string) =>
  members(p, prefix)
    .map((m) => m[''])
    .filter((v) => v !== undefined);
/** Tags of one resource type from `TagSpecification.N`. */
const specTags = (p: Record<string, string>, type: string): Tags =>
  Object.fromEntries(
    members(p, 'TagSpecification')
      .filter((s) => s.ResourceType === type)
      .flatMap((s) => members(s, 'Tag').map((t) => [t.Key, t.Value ?? ''])),
  );

const glob = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    's',
  ).test(value);

type Getter<T> = (r: T) => string | string[] | undefined;
/** EC2 filter semantics: AND across filters, OR across values, `*`/`?` wildcards; unknown names are an error. */
function applyFilters<T extends { tags?: Tags }>(p: Record<string, string>, items: T[], fields: Record<string, Getter<T>>): T[] {
  const filters = members(p, 'Filter').map((f) => ({ name: f.Name ?? '', values: list(f, 'Value') }));
  for (const f of filters) {
    if (!fields[f.name] && !f.name.startsWith('tag:') && f.name !== 'tag-key')
      throw new ApiError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
  }
  return items.filter((r) =>
    filters.every((f) => {
      const got = f.name.startsWith('tag:')
        ? r.tags?.[f.name.slice(4)]
        : f.name === 'tag-key'
          ? Object.keys(r.tags ?? {})
          : fields[f.name](r);
      const vals = ([] as (string | undefined)[]).concat(got).filter((v): v is string => v !== undefined);
      return f.values.some((pat) => vals.some((v) => glob(pat, v)));
    }),
  );
}

// --- IPv4 helpers (the fake stays independent of src/) ---------------------------------------------------

const ipNum = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const numIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipNum(ip) / size) === Math.floor(ipNum(base) / size);
}

// --- XML ------------------------------------------------------------------------------------------------

const esc = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
/** An element, or nothing when the value is undefined (EC2 omits absent fields). */
const el = (name: string, v: string | number | boolean | undefined) => (v === undefined ? '' : `<${name}>${esc(String(v))}</${name}>`);
const set = (name: string, items: string[]) =>
  items.length ? `<${name}>${items.map((i) => `<item>${i}</item>`).join('')}</${name}>` : `<${name}/>`;
const tagSet = (t: Tags) =>
  Object.keys(t).length
    ? set(
        'tagSet',
        Object.entries(t).map(([k, v]) => el('key', k) + el('value', v)),
      )
    : '';

export async function startFakeEc2(opts: { host?: string; port?: number; seed?: FakeEc2Seed; logFile?: string } = {}): Promise<FakeEc2> {
  const state = initialState(opts.seed);
  const requests: FakeEc2['requests'] = [];
  const faults = new Map<string, { err: FakeEc2Error; times: number }>();
  const tokens = new Map<string, string>(); // RunInstances ClientToken -> its answer: a retried launch launches nothing new
  let seq = 0;
  const id = (prefix: string) => `${prefix}-0f${(++seq).toString(16).padStart(15, '0')}`; // 17 hex digits, as EC2's
  let publicSeq = 10;

  const instance = (iid: string) => {
    const i = state.instances.find((x) => x.id === iid);
    if (!i) throw new ApiError('InvalidInstanceID.NotFound', `The instance ID '${iid}' does not exist`);
    return i;
  };
  const group = (gid: string) => {
    const g = state.groups.find((x) => x.id === gid);
    if (!g) throw new ApiError('InvalidGroup.NotFound', `The security group '${gid}' does not exist`);
    return g;
  };
  const address = (p: Record<string, string>) => {
    const a = state.addresses.find((x) => (p.AllocationId ? x.allocationId === p.AllocationId : x.publicIp === p.PublicIp));
    if (!a) throw new ApiError('InvalidAllocationID.NotFound', `The allocation ID '${p.AllocationId ?? p.PublicIp}' does not exist`);
    return a;
  };
  const live = (i: FakeInstance) => i.state !== 'terminated';

  const instanceXml = (i: FakeInstance) => {
    const sub = state.subnets.find((s) => s.id === i.subnetId);
    return (
      el('instanceId', i.id) +
      el('imageId', i.imageId) +
      `<instanceState>${el('code', STATE_CODE[i.state])}${el('name', i.state)}</instanceState>` +
      el(
        'privateDnsName',
        live(i) ? `ip-${i.privateIp.replace(/\./g, '-')}.${(sub?.az ?? 'us-west-2a').slice(0, -1)}.compute.internal` : '',
      ) +
      el('dnsName', '') +
      el('keyName', i.keyName) +
      el('amiLaunchIndex', 0) +
      el('instanceType', i.instanceType) +
      el('launchTime', i.launchTime) +
      `<placement>${el('availabilityZone', sub?.az)}${el('tenancy', 'default')}</placement>` +
      (live(i)
        ? el('subnetId', i.subnetId) + el('vpcId', i.vpcId) + el('privateIpAddress', i.privateIp) + el('ipAddress', i.publicIp)
        : '') +
      set(
        'groupSet',
        i.groupIds.map((g) => el('groupId', g) + el('groupName', state.groups.find((x) => x.id === g)?.name)),
      ) +
      el('architecture', 'x86_64') +
      el('rootDeviceType', 'ebs') +
      el('rootDeviceName', i.rootDeviceName) +
      set(
        'blockDeviceMapping',
        live(i)
          ? i.volumes.map(
              (v, n) =>
                el('deviceName', v.deviceName) +
                `<ebs>${el('volumeId', `vol-${i.id.slice(2)}${n}`)}${el('status', 'attached')}${el('deleteOnTermination', v.deleteOnTermination)}</ebs>`,
            )
          : [],
      ) +
      `<metadataOptions>${el('state', 'applied')}${el('httpTokens', i.metadata.httpTokens)}${el('httpPutResponseHopLimit', i.metadata.hopLimit)}${el('httpEndpoint', i.metadata.httpEndpoint)}</metadataOptions>` +
      el('virtualizationType', 'hvm') +
      tagSet(i.tags)
    );
  };
  const reservationsXml = (items: FakeInstance[]) =>
    set(
      'reservationSet',
      [...new Set(items.map((i) => i.reservationId))].map(
        (r) =>
          el('reservationId', r) +
          el('ownerId', OWNER) +
          set('groupSet', []) +
          set('instancesSet', items.filter((i) => i.reservationId === r).map(instanceXml)),
      ),
    );
  const stateChange = (i: FakeInstance, prev: InstanceStateName) =>
    el('instanceId', i.id) +
    `<currentState>${el('code', STATE_CODE[i.state])}${el('name', i.state)}</currentState><previousState>${el('code', STATE_CODE[prev])}${el('name', prev)}</previousState>`;
  /** Start/Stop/Terminate: every id must exist before any changes (EC2 validates the whole call first). */
  const transition = (p: Record<string, string>, change: (i: FakeInstance) => void) =>
    set(
      'instancesSet',
      list(p, 'InstanceId')
        .map(instance)
        .map((i) => {
          const prev = i.state;
          change(i);
          return stateChange(i, prev);
        }),
    );
  // As EC2 reports them: one permission per protocol and port range, with every peer (CIDR or group) inside it.
  const ruleXml = (rules: FakeRule[]) => {
    const keys = [...new Set(rules.map((r) => `${r.protocol}/${r.from}/${r.to}`))];
    return keys.map((k) => {
      const same = rules.filter((r) => `${r.protocol}/${r.from}/${r.to}` === k);
      const r = same[0];
      return (
        el('ipProtocol', r.protocol) +
        el('fromPort', r.from) +
        el('toPort', r.to) +
        set(
          'groups',
          same.filter((x) => x.groupId).map((x) => el('userId', OWNER) + el('groupId', x.groupId) + el('description', x.description)),
        ) +
        set(
          'ipRanges',
          same.filter((x) => x.cidr).map((x) => el('cidrIp', x.cidr) + el('description', x.description)),
        ) +
        set('ipv6Ranges', []) +
        set('prefixListIds', [])
      );
    });
  };
  /** The rules of an Authorize/RevokeSecurityGroupIngress request, one per peer. */
  const requestedRules = (p: Record<string, string>): FakeRule[] => {
    const rules = members(p, 'IpPermissions').flatMap((m) => {
      if (!m.IpProtocol) throw new ApiError('MissingParameter', 'The request must contain the parameter ipProtocol');
      const protocol = ({ '6': 'tcp', '17': 'udp', '1': 'icmp' } as Tags)[m.IpProtocol] ?? m.IpProtocol?.toLowerCase();
      // Ports mean something only for tcp, udp and icmp (type and code); EC2 drops them for other protocols.
      const ports =
        ['tcp', 'udp', 'icmp'].includes(protocol) && m.FromPort !== undefined
          ? { from: Number(m.FromPort), to: Number(m.ToPort ?? m.FromPort) }
          : {};
      return [
        ...members(m, 'IpRanges').map((r) => ({ protocol, ...ports, cidr: r.CidrIp, description: r.Description })),
        ...members(m, 'Groups').map((r) => ({ protocol, ...ports, groupId: group(r.GroupId).id, description: r.Description })),
      ];
    });
    if (!rules.length) throw new ApiError('MissingParameter', 'No IpPermissions, or none with a peer (IpRanges or Groups)');
    return rules;
  };
  const sameRule = (a: FakeRule) => (x: FakeRule) =>
    x.protocol === a.protocol && x.from === a.from && x.to === a.to && x.cidr === a.cidr && x.groupId === a.groupId;

  const actions: Record<string, (p: Record<string, string>) => string> = {
    DescribeVpcs(p) {
      const ids = list(p, 'VpcId');
      for (const v of ids)
        if (!state.vpcs.some((x) => x.id === v)) throw new ApiError('InvalidVpcID.NotFound', `The vpc ID '${v}' does not exist`);
      const items = applyFilters(
        p,
        state.vpcs.filter((v) => !ids.length || ids.includes(v.id)),
        {
          'vpc-id': (v) => v.id,
          'cidr-block': (v) => v.cidr,
          state: () => 'available',
        },
      );
      return set(
        'vpcSet',
        items.map(
          (v) =>
            el('vpcId', v.id) +
            el('state', 'available') +
            el('cidrBlock', v.cidr) +
            set('cidrBlockAssociationSet', [
              el('associationId', `vpc-cidr-assoc-${v.id.slice(4)}`) +
                el('cidrBlock', v.cidr) +
                `<cidrBlockState>${el('state', 'associated')}</cidrBlockState>`,
            ]) +
            el('dhcpOptionsId', 'dopt-0123456789abcdef0') +
            el('instanceTenancy', 'default') +
            el('isDefault', v.id === DEFAULT_VPC) +
            el('ownerId', OWNER) +
            tagSet(v.tags),
        ),
      );
    },
    DescribeSubnets(p) {
      const ids = list(p, 'SubnetId');
      for (const s of ids)
        if (!state.subnets.some((x) => x.id === s)) throw new ApiError('InvalidSubnetID.NotFound', `The subnet ID '${s}' does not exist`);
      const items = applyFilters(
        p,
        state.subnets.filter((s) => !ids.length || ids.includes(s.id)),
        {
          'subnet-id': (s) => s.id,
          'vpc-id': (s) => s.vpcId,
          'cidr-block': (s) => s.cidr,
          'availability-zone': (s) => s.az,
          state: () => 'available',
        },
      );
      return set(
        'subnetSet',
        items.map(
          (s) =>
            el('subnetId', s.id) +
            el('state', 'available') +
            el('vpcId', s.vpcId) +
            el('cidrBlock', s.cidr) +
            el('availableIpAddressCount', 2 ** (32 - Number(s.cidr.split('/')[1])) - 5) +
            el('availabilityZone', s.az) +
            el('defaultForAz', s.id === DEFAULT_SUBNET) +
            el('mapPublicIpOnLaunch', false) +
            el('ownerId', OWNER) +
            tagSet(s.tags),
        ),
      );
    },
    DescribeImages(p) {
      const owners = list(p, 'Owner'),
        ids = list(p, 'ImageId');
      const items = applyFilters(
        p,
        state.images.filter((i) => (!owners.length || owners.includes(i.ownerId)) && (!ids.length || ids.includes(i.id))),
        {
          name: (i) => i.name,
          state: (i) => i.state,
          architecture: (i) => i.architecture,
          'owner-id': (i) => i.ownerId,
          'image-id': (i) => i.id,
        },
      );
      return set(
        'imagesSet',
        items.map(
          (i) =>
            el('imageId', i.id) +
            el('imageLocation', `${i.ownerId}/${i.name}`) +
            el('imageState', i.state) +
            el('imageOwnerId', i.ownerId) +
            el('creationDate', i.creationDate) +
            el('isPublic', true) +
            el('architecture', i.architecture) +
            el('imageType', 'machine') +
            el('name', i.name) +
            el('rootDeviceType', 'ebs') +
            el('rootDeviceName', i.rootDeviceName) +
            set('blockDeviceMapping', [
              el('deviceName', i.rootDeviceName) +
                `<ebs>${el('snapshotId', `snap-${i.id.slice(4)}`)}${el('volumeSize', 8)}${el('deleteOnTermination', true)}${el('volumeType', 'gp3')}${el('encrypted', false)}</ebs>`,
            ]) +
            el('virtualizationType', 'hvm') +
            tagSet(i.tags),
        ),
      );
    },
    DescribeSecurityGroups(p) {
      const ids = list(p, 'GroupId'),
        names = list(p, 'GroupName');
      ids.forEach(group);
      const items = applyFilters(
        p,
        state.groups.filter((g) => (!ids.length || ids.includes(g.id)) && (!names.length || names.includes(g.name))),
        {
          'group-name': (g) => g.name,
          'group-id': (g) => g.id,
          'vpc-id': (g) => g.vpcId,
          description: (g) => g.description,
        },
      );
      return set(
        'securityGroupInfo',
        items.map(
          (g) =>
            el('ownerId', OWNER) +
            el('groupId', g.id) +
            el('groupName', g.name) +
            el('groupDescription', g.description) +
            el('vpcId', g.vpcId) +
            set('ipPermissions', ruleXml(g.ingress)) +
            set('ipPermissionsEgress', ruleXml([{ protocol: '-1', cidr: '0.0.0.0/0' }])) +
            tagSet(g.tags),
        ),
      );
    },
    DescribeInstances(p) {
      const ids = list(p, 'InstanceId');
      ids.forEach(instance);
      const items = applyFilters(
        p,
        state.instances.filter((i) => !ids.length || ids.includes(i.id)),
        {
          'instance-id': (i) => i.id,
          'instance-state-name': (i) => i.state,
          'instance-state-code': (i) => String(STATE_CODE[i.state]),
          'vpc-id': (i) => i.vpcId,
          'subnet-id': (i) => i.subnetId,
          'private-ip-address': (i) => i.privateIp,
          'ip-address': (i) => i.publicIp,
          'image-id': (i) => i.imageId,
          'instance-type': (i) => i.instanceType,
          'key-name': (i) => i.keyName,
          'instance.group-id': (i) => i.groupIds,
          'instance.group-name': (i) => i.groupIds.map((g) => state.groups.find((x) => x.id === g)?.name ?? ''),
        },
      );
      const xml = reservationsXml(items);
      for (const i of state.instances) i.state = NEXT[i.state] ?? i.state;
      return xml;
    },
    DescribeAddresses(p) {
      const ids = list(p, 'AllocationId'),
        ips = list(p, 'PublicIp');
      for (const a of ids) address({ AllocationId: a });
      const items = applyFilters(
        p,
        state.addresses.filter((a) => (!ids.length || ids.includes(a.allocationId)) && (!ips.length || ips.includes(a.publicIp))),
        {
          'allocation-id': (a) => a.allocationId,
          'public-ip': (a) => a.publicIp,
          'instance-id': (a) => a.instanceId,
          'association-id': (a) => a.associationId,
          domain: () => 'vpc',
        },
      );
      return set(
        'addressesSet',
        items.map((a) => {
          const i = state.instances.find((x) => x.id === a.instanceId);
          return (
            el('publicIp', a.publicIp) +
            el('allocationId', a.allocationId) +
            el('domain', 'vpc') +
            el('instanceId', a.instanceId) +
            el('associationId', a.associationId) +
            el('privateIpAddress', i?.privateIp) +
            el('publicIpv4Pool', 'amazon') +
            el('networkBorderGroup', 'us-west-2') +
            tagSet(a.tags)
          );
        }),
      );
    },
    CreateSecurityGroup(p) {
      const vpcId = p.VpcId ?? state.vpcs[0]?.id;
      if (!state.vpcs.some((v) => v.id === vpcId)) throw new ApiError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
      if (!p.GroupName || !p.GroupDescription)
        throw new ApiError('MissingParameter', 'The request must contain the parameters GroupName and GroupDescription');
      if (state.groups.some((g) => g.vpcId === vpcId && g.name === p.GroupName))
        throw new ApiError('InvalidGroup.Duplicate', `The security group '${p.GroupName}' already exists for VPC '${vpcId}'`);
      const g: FakeGroup = {
        id: id('sg'),
        name: p.GroupName,
        description: p.GroupDescription,
        vpcId: vpcId as string,
        tags: specTags(p, 'security-group'),
        ingress: [],
      };
      state.groups.push(g);
      return el('return', true) + el('groupId', g.id) + tagSet(g.tags);
    },
    AuthorizeSecurityGroupIngress(p) {
      const g = p.GroupId ? group(p.GroupId) : (state.groups.find((x) => x.name === p.GroupName) ?? group(p.GroupName ?? ''));
      const rules = requestedRules(p);
      for (const r of rules) {
        const same = sameRule(r);
        if (g.ingress.some(same) || rules.filter(same).length > 1) {
          throw new ApiError(
            'InvalidPermission.Duplicate',
            `the specified rule "peer: ${r.cidr ?? r.groupId}, ${r.protocol.toUpperCase()}, from port: ${r.from ?? '-'}, to port: ${r.to ?? '-'}, ALLOW" already exists`,
          );
        }
      }
      g.ingress.push(...rules);
      return el('return', true);
    },
    RevokeSecurityGroupIngress(p) {
      const g = p.GroupId ? group(p.GroupId) : (state.groups.find((x) => x.name === p.GroupName) ?? group(p.GroupName ?? ''));
      const rules = requestedRules(p);
      // EC2 revokes nothing when a rule of the request does not exist in the group.
      const unknown = rules.find((r) => !g.ingress.some(sameRule(r)));
      if (unknown)
        throw new ApiError(
          'InvalidPermission.NotFound',
          `The specified rule does not exist in this security group (peer: ${unknown.cidr ?? unknown.groupId}, ${unknown.protocol}, ${unknown.from ?? '-'}-${unknown.to ?? '-'}).`,
        );
      g.ingress = g.ingress.filter((x) => !rules.some((r) => sameRule(r)(x)));
      return el('return', true);
    },
    DeleteSecurityGroup(p) {
      const g = p.GroupId ? group(p.GroupId) : (state.groups.find((x) => x.name === p.GroupName) ?? group(p.GroupName ?? ''));
      if (state.instances.some((i) => live(i) && i.groupIds.includes(g.id)))
        throw new ApiError('DependencyViolation', `resource ${g.id} has a dependent object`);
      state.groups.splice(state.groups.indexOf(g), 1);
      return el('return', true) + el('groupId', g.id);
    },
    RunInstances(p) {
      if (p.ClientToken && tokens.has(p.ClientToken)) return tokens.get(p.ClientToken) as string;
      const ni = members(p, 'NetworkInterface')[0] ?? {};
      const subnetId = ni.SubnetId ?? p.SubnetId ?? DEFAULT_SUBNET;
      const subnet = state.subnets.find((s) => s.id === subnetId);
      if (!subnet) throw new ApiError('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
      const image = state.images.find((i) => i.id === p.ImageId);
      if (!image) throw new ApiError('InvalidAMIID.NotFound', `The image id '[${p.ImageId}]' does not exist`);
      // The image's root volume, changed by a mapping on its device; a mapping on another device is a new volume,
      // which EC2 can make only from a size or a snapshot.
      const volumes: FakeVolume[] = [{ deviceName: image.rootDeviceName, encrypted: false, deleteOnTermination: true }];
      for (const m of members(p, 'BlockDeviceMapping')) {
        if (!m.DeviceName) throw new ApiError('MissingParameter', 'The request must contain the parameter BlockDeviceMapping.N.DeviceName');
        const ebs = { encrypted: m['Ebs.Encrypted'] === 'true', deleteOnTermination: m['Ebs.DeleteOnTermination'] !== 'false' };
        if (m.DeviceName === image.rootDeviceName) Object.assign(volumes[0], ebs);
        else if (m['Ebs.VolumeSize'] || m['Ebs.SnapshotId']) volumes.push({ deviceName: m.DeviceName, ...ebs });
        else
          throw new ApiError(
            'InvalidBlockDeviceMapping',
            `The device '${m.DeviceName}' is not the image's root device (${image.rootDeviceName}) and has neither a volume size nor a snapshot`,
          );
      }
      const httpTokens = p['MetadataOptions.HttpTokens'] ?? 'optional';
      const hopLimit = Number(p['MetadataOptions.HttpPutResponseHopLimit'] ?? 2);
      if (!['optional', 'required'].includes(httpTokens))
        throw new ApiError('InvalidParameterValue', `Value (${httpTokens}) for parameter HttpTokens is invalid`);
      if (!Number.isInteger(hopLimit) || hopLimit < 1 || hopLimit > 64)
        throw new ApiError('InvalidParameterValue', `Value (${hopLimit}) for parameter HttpPutResponseHopLimit is invalid`);
      const metadata: FakeMetadataOptions = {
        httpTokens: httpTokens as FakeMetadataOptions['httpTokens'],
        hopLimit,
        httpEndpoint: p['MetadataOptions.HttpEndpoint'] === 'disabled' ? 'disabled' : 'enabled',
      };
      const groupIds = [...list(ni, 'SecurityGroupId'), ...list(p, 'SecurityGroupId')];
      groupIds.forEach(group);
      const count = Number(p.MaxCount ?? 1);
      const fixedIp = ni.PrivateIpAddress ?? p.PrivateIpAddress;
      if (fixedIp && count > 1)
        throw new ApiError('InvalidParameterCombination', 'A private IP address can only be given for a single instance');
      const used = (ip: string) => state.instances.some((i) => live(i) && i.subnetId === subnetId && i.privateIp === ip);
      if (fixedIp && !inCidr(fixedIp, subnet.cidr))
        throw new ApiError('InvalidParameterValue', `Address ${fixedIp} does not fall within the subnet's address range`);
      if (fixedIp && used(fixedIp)) throw new ApiError('InvalidIPAddress.InUse', `Address ${fixedIp} is in use.`);
      const reservationId = id('r');
      const launched = Array.from({ length: count }, () => {
        let ip = fixedIp;
        for (let n = ipNum(subnet.cidr.split('/')[0]) + 4; !ip; n++) if (!used(numIp(n))) ip = numIp(n); // AWS reserves the first four
        const i: FakeInstance = {
          id: id('i'),
          reservationId,
          imageId: p.ImageId,
          instanceType: p.InstanceType ?? 'm1.small',
          keyName: p.KeyName,
          subnetId,
          vpcId: subnet.vpcId,
          privateIp: ip,
          publicIp: (ni.AssociatePublicIpAddress ?? 'false') === 'true' ? `198.51.100.${publicSeq++}` : undefined,
          groupIds,
          state: 'pending',
          tags: specTags(p, 'instance'),
          launchTime: new Date().toISOString().replace(/\.\d+Z$/, '.000Z'),
          rootDeviceName: image.rootDeviceName,
          volumes: volumes.map((v) => ({ ...v })),
          metadata: { ...metadata },
        };
        state.instances.push(i);
        return i;
      });
      const xml =
        el('reservationId', reservationId) + el('ownerId', OWNER) + set('groupSet', []) + set('instancesSet', launched.map(instanceXml));
      if (p.ClientToken) tokens.set(p.ClientToken, xml);
      return xml;
    },
    StartInstances: (p) =>
      transition(p, (i) => {
        if (i.state === 'stopped') i.state = 'pending';
        else if (i.state !== 'running' && i.state !== 'pending')
          throw new ApiError('IncorrectInstanceState', `The instance '${i.id}' is not in a state from which it can be started.`);
      }),
    StopInstances: (p) =>
      transition(p, (i) => {
        if (i.state === 'running' || i.state === 'pending') {
          i.state = 'stopping';
          if (!state.addresses.some((a) => a.instanceId === i.id)) i.publicIp = undefined; // an auto-assigned public IP does not survive a stop
        } else if (i.state !== 'stopped' && i.state !== 'stopping')
          throw new ApiError('IncorrectInstanceState', `The instance '${i.id}' is not in a state from which it can be stopped.`);
      }),
    TerminateInstances: (p) =>
      transition(p, (i) => {
        if (i.state === 'terminated' || i.state === 'shutting-down') return;
        i.state = 'shutting-down';
        i.publicIp = undefined;
        for (const a of state.addresses) if (a.instanceId === i.id) Object.assign(a, { instanceId: undefined, associationId: undefined });
      }),
    AllocateAddress(p) {
      const ip = state.addressPool.shift();
      if (!ip) throw new ApiError('AddressLimitExceeded', 'The maximum number of addresses has been reached.');
      const a: FakeAddress = { allocationId: id('eipalloc'), publicIp: ip, tags: specTags(p, 'elastic-ip') };
      state.addresses.push(a);
      return (
        el('publicIp', a.publicIp) +
        el('domain', 'vpc') +
        el('allocationId', a.allocationId) +
        el('publicIpv4Pool', 'amazon') +
        el('networkBorderGroup', 'us-west-2')
      );
    },
    AssociateAddress(p) {
      const a = address(p),
        i = instance(p.InstanceId ?? '');
      if (i.state !== 'running' && i.state !== 'stopped')
        throw new ApiError('InvalidInstanceID', `The ${i.state} instance '${i.id}' is not in a valid state for this operation.`);
      if (a.instanceId && a.instanceId !== i.id && p.AllowReassociation !== 'true')
        throw new ApiError(
          'Resource.AlreadyAssociated',
          `resource ${a.allocationId} is already associated with associate-id ${a.associationId}`,
        );
      for (const other of state.addresses)
        if (other !== a && other.instanceId === i.id) Object.assign(other, { instanceId: undefined, associationId: undefined });
      const prev = state.instances.find((x) => x.id === a.instanceId);
      if (prev) prev.publicIp = undefined;
      Object.assign(a, { instanceId: i.id, associationId: a.instanceId === i.id ? a.associationId : id('eipassoc') });
      i.publicIp = a.publicIp;
      return el('return', true) + el('associationId', a.associationId);
    },
    ReleaseAddress(p) {
      const a = address(p);
      if (a.instanceId) throw new ApiError('InvalidIPAddress.InUse', `Address ${a.publicIp} is in use.`);
      state.addresses.splice(state.addresses.indexOf(a), 1);
      return el('return', true);
    },
  };

  const handle = (params: Record<string, string>, authorization: string | undefined): string => {
    const { Action: action = '', Version: _v, ...rest } = params;
    requests.push({ action, params: rest });
    if (opts.logFile) fs.appendFileSync(opts.logFile, `${JSON.stringify({ action, params: rest })}\n`);
    // The real SDK always signs; an unsigned request means the client was not configured as intended.
    if (!authorization?.startsWith('AWS4-HMAC-SHA256 Credential='))
      throw new ApiError('AuthFailure', 'AWS was not able to validate the provided access credentials');
    const run = actions[action];
    if (!run) throw new ApiError('InvalidAction', `The action ${action || '(none)'} is not valid for this web service.`);
    const dryRun = rest.DryRun === 'true';
    const fault = faults.get(action);
    // DryRun checks permissions only, so only permission faults answer it (a capacity fault waits for the real call).
    if (fault && (!dryRun || PERMISSION_ERRORS.has(fault.err.code))) {
      if (--fault.times <= 0) faults.delete(action);
      throw new ApiError(fault.err.code, fault.err.message, fault.err.status);
    }
    if (dryRun) throw new ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
    return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${NS}">${el('requestId', randomUUID())}${run(rest)}</${action}Response>`;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // EC2 accepts the parameters in the query string (GET) or the form body (POST, what the SDK sends).
      const params = Object.fromEntries([
        ...new URL(req.url ?? '/', 'http://x').searchParams,
        ...new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
      ]);
      let status = 200;
      let body: string;
      try {
        body = handle(params, req.headers.authorization);
      } catch (e) {
        const err = e instanceof ApiError ? e : new ApiError('InternalError', `fake EC2: ${(e as Error).message}`, 500);
        status = err.status;
        body = `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>${el('Code', err.code)}${el('Message', err.message)}</Error></Errors>${el('RequestID', randomUUID())}</Response>`;
      }
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { address: host, port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    requests,
    state,
    fail(action, err, times = Infinity) {
      if (err) faults.set(action, { err, times });
      else faults.delete(action);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // the SDK keeps sockets alive; close() alone would wait for them
      }),
  };
}
