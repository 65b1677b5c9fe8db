import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatDiagnostic, validateTopology } from '../../src/core/topology/validate';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Doc = any;

interface Corpus {
  fieldGroups: Record<string, string[]>;
  values: { label: string; value: string; repeat?: number; fields: string; expect: string }[];
}

const corpus = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'hostile-values.json'), 'utf8')) as Corpus;

/** Valid, and uses every string field (static desktop addressing, ssh settings everywhere). */
function base(): Doc {
  return {
    name: 'demo',
    robotSubnet: '192.168.0.0/24',
    cloudSubnet: '172.31.1.0/24',
    tunnel: 'vxlan',
    ssh: { user: 'ubuntu', identityFile: '~/.ssh/id_ed25519', jump: 'bastion' },
    gateway: {
      host: 'ros-openvpn',
      publicAddress: '44.232.53.80',
      cloudIp: '172.31.1.11',
      vpnIp: '192.168.0.130/24',
      openvpnProto: 'udp',
      user: 'ubuntu',
      identityFile: '~/.ssh/gw',
      jump: 'bastion',
    },
    seconds: [
      {
        name: 'second',
        host: '172.31.1.12',
        cloudIp: '172.31.1.12',
        vpnIp: '192.168.0.131/24',
        user: 'ubuntu',
        identityFile: '~/.ssh/s',
        jump: 'gateway',
      },
    ],
    desktop: {
      host: 'localhost',
      lanInterface: 'eno1',
      addressing: 'static',
      address: '192.168.0.10/24',
      defaultGateway: '192.168.0.1',
      user: 'me',
      identityFile: '~/.ssh/d',
      jump: 'lan-hop',
    },
  };
}

function parsePath(p: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of p.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : (m[1] as string));
  return out;
}

function setPath(doc: Doc, p: string, value: unknown): boolean {
  const segs = parsePath(p);
  let cur = doc;
  for (let i = 0; i < segs.length - 1; i++) {
    const s = segs[i] as string | number;
    if (cur[s] === undefined) cur[s] = typeof segs[i + 1] === 'number' ? [] : {};
    cur = cur[s];
    if (typeof cur !== 'object' || cur === null) return false;
  }
  cur[segs[segs.length - 1] as string | number] = value;
  return true;
}

function deletePath(doc: Doc, p: string): void {
  const segs = parsePath(p);
  let cur = doc;
  for (let i = 0; i < segs.length - 1; i++) {
    cur = cur?.[segs[i] as string | number];
    if (typeof cur !== 'object' || cur === null) return;
  }
  if (Array.isArray(cur)) cur.splice(segs[segs.length - 1] as number, 1);
  else delete cur[segs[segs.length - 1] as string];
}

describe('hostile values', () => {
  it('the base topology is valid with no diagnostics', () => {
    const r = validateTopology(base());
    assert.deepEqual(r.diagnostics, []);
    assert.ok(r.topology);
  });

  it('every field group covers real fields', () => {
    assert.ok((corpus.fieldGroups.all as string[]).length >= 30);
    assert.ok(corpus.values.length >= 40);
  });

  for (const entry of corpus.values) {
    const value = entry.repeat ? entry.value.repeat(entry.repeat) : entry.value;
    const fields = corpus.fieldGroups[entry.fields];
    it(`rejects ${entry.label} in ${entry.fields} fields`, () => {
      assert.ok(fields && fields.length > 0, `field group ${entry.fields} exists`);
      for (const field of fields) {
        const doc = base();
        assert.ok(setPath(doc, field, value));
        const r = validateTopology(doc);
        const lines = r.diagnostics.map((d) => formatDiagnostic(d));
        assert.equal(r.topology, undefined, `${entry.label} at ${field}: no topology`);
        const hit = r.diagnostics.find((d) => d.severity === 'error' && d.path === field);
        assert.ok(hit, `${entry.label} at ${field}: an error at that path, got:\n${lines.join('\n')}`);
        assert.ok(hit.fix && hit.fix.length > 5, 'with a fix');
        if (entry.expect) assert.ok(hit.message.includes(entry.expect), `${field}: "${hit.message}" mentions ${entry.expect}`);
        for (const line of lines) {
          assert.ok(/^[\x20-\x7e\u2013\u2014\u2026]*$/.test(line), `terminal-safe output: ${JSON.stringify(line)}`);
          assert.ok(line.length < 600, 'messages are truncated');
        }
      }
    });
  }
});

// ---- fuzz ---------------------------------------------------------------------------------------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FRAGMENTS = [
  '192.168.0.',
  '172.31.1.',
  '10.0.0.1',
  '/24',
  '/33',
  '/8',
  '.',
  '..',
  '-',
  '-o',
  'eno1',
  'tap0',
  'rosbridge',
  'gateway',
  'desktop',
  'second',
  'ubuntu',
  '~/.ssh/id',
  'C:\\keys',
  '44.232.53.80',
  '$(',
  ')',
  '`',
  '${IFS}',
  ';',
  '|',
  '&',
  '<',
  '>',
  '"',
  "'",
  '\\',
  ' ',
  '\n',
  '\t',
  '\u0000',
  '\u001b[0m',
  '\u202e',
  '\u200b',
  '\uff11',
  '\u0663',
  '\u043e',
  '\ud835\udfcf',
  'é',
  '%',
  '#',
  '=',
  ',',
  '*',
  '?',
  '!',
  '{',
  '}',
  '@',
  ':22',
  '255',
  '256',
  '010',
  'A',
  'z',
];
const SAFE = /^[A-Za-z0-9._/:~+@ \\-]*$/;

const PATHS = [
  'name',
  'robotSubnet',
  'cloudSubnet',
  'tunnel',
  'mtu',
  'vxlan',
  'vxlan.vni',
  'vxlan.port',
  'features',
  'features.docker',
  'features.ros2',
  'ssh',
  'ssh.user',
  'ssh.port',
  'ssh.identityFile',
  'ssh.jump',
  'gateway',
  'gateway.host',
  'gateway.publicAddress',
  'gateway.cloudIp',
  'gateway.vpnIp',
  'gateway.openvpnPort',
  'gateway.openvpnProto',
  'gateway.user',
  'gateway.port',
  'gateway.identityFile',
  'gateway.jump',
  'seconds',
  'seconds[0]',
  'seconds[0].name',
  'seconds[0].host',
  'seconds[0].cloudIp',
  'seconds[0].vpnIp',
  'seconds[0].jump',
  'seconds[0].port',
  'seconds[1]',
  'seconds[1].name',
  'desktop',
  'desktop.host',
  'desktop.lanInterface',
  'desktop.addressing',
  'desktop.address',
  'desktop.defaultGateway',
  'desktop.jump',
  'x-extra',
  'gateway.x-extra',
  'unknownKey',
];

/** Plausible values, so that a good share of the fuzzed documents are valid and the property is exercised. */
const PLAUSIBLE: Record<string, unknown[]> = {
  name: ['demo', 'lab-2', 'x'],
  robotSubnet: ['192.168.0.0/24', '192.168.0.0/16'],
  cloudSubnet: ['172.31.0.0/16', '172.31.1.0/24'],
  tunnel: ['vxlan', 'gretap'],
  mtu: [1500, 9000, 1280],
  'vxlan.vni': [1, 42],
  'vxlan.port': [4789, 8472],
  'features.docker': [true, false],
  'features.ros2': [true],
  'ssh.user': ['ubuntu', 'ec2-user'],
  'ssh.port': [22, 2222],
  'ssh.identityFile': ['~/.ssh/k', 'C:\\Users\\me\\k 1'],
  'ssh.jump': ['bastion', 'u@h:22'],
  'gateway.host': ['gw', '1.2.3.4'],
  'gateway.publicAddress': ['vpn.example.com', '44.232.53.81'],
  'gateway.cloudIp': ['172.31.1.20'],
  'gateway.vpnIp': ['192.168.0.140/24'],
  'gateway.openvpnPort': [443],
  'gateway.openvpnProto': ['tcp'],
  'gateway.user': ['admin'],
  'gateway.port': [22],
  'gateway.identityFile': ['~/k'],
  'gateway.jump': ['bastion'],
  'seconds[0].name': ['s-1'],
  'seconds[0].host': ['h'],
  'seconds[0].cloudIp': ['172.31.1.30'],
  'seconds[0].vpnIp': ['192.168.0.150/24'],
  'seconds[0].jump': ['gateway'],
  'seconds[0].port': [22],
  'seconds[1]': [{ name: 'second-2', host: 'h2', cloudIp: '172.31.1.40', vpnIp: '192.168.0.160/24' }],
  'desktop.host': ['desk'],
  'desktop.lanInterface': ['enp3s0', 'eth0.100'],
  'desktop.addressing': ['dhcp'],
  'desktop.jump': ['hop'],
  'x-extra': ['anything $(really) goes here'],
  'gateway.x-extra': [{ a: [1, 2] }],
  unknownKey: [1],
};

function randomString(rnd: () => number): string {
  let s = '';
  const n = Math.floor(rnd() * 5);
  for (let i = 0; i < n; i++) s += FRAGMENTS[Math.floor(rnd() * FRAGMENTS.length)];
  if (rnd() < 0.03) s = s.repeat(2000);
  return s;
}

function randomValue(rnd: () => number, depth: number): unknown {
  const r = rnd();
  if (r < 0.4) return randomString(rnd);
  if (r < 0.55) return [0, 1, -1, 22, 1194, 65535, 65536, 1.5, 1e308, -0, 2 ** 53][Math.floor(rnd() * 11)];
  if (r < 0.62) return rnd() < 0.5;
  if (r < 0.68) return null;
  if (depth > 2) return randomString(rnd);
  if (r < 0.84) return Array.from({ length: Math.floor(rnd() * 4) }, () => randomValue(rnd, depth + 1));
  const o: Record<string, unknown> = {};
  const keys = ['name', 'host', 'cloudIp', 'vpnIp', 'jump', 'user', 'x-a', randomString(rnd)];
  for (let i = Math.floor(rnd() * 4); i > 0; i--) o[keys[Math.floor(rnd() * keys.length)] as string] = randomValue(rnd, depth + 1);
  return o;
}

function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      strings(x, out);
    }
  return out;
}

describe('fuzzed topologies (seeded)', () => {
  it('never throw and never yield a topology with unsafe characters (500 cases)', () => {
    const rnd = mulberry32(0x5eed);
    let valid = 0;
    let rejected = 0;
    for (let c = 0; c < 500; c++) {
      const doc = base();
      if (rnd() < 0.5) doc.desktop.addressing = 'dhcp';
      const edits = 1 + Math.floor(rnd() * 3);
      for (let e = 0; e < edits; e++) {
        const p = PATHS[Math.floor(rnd() * PATHS.length)] as string;
        const r = rnd();
        if (r < 0.1) deletePath(doc, p);
        else if (r < 0.45 && PLAUSIBLE[p])
          setPath(doc, p, (PLAUSIBLE[p] as unknown[])[Math.floor(rnd() * (PLAUSIBLE[p] as unknown[]).length)]);
        else setPath(doc, p, randomValue(rnd, 0));
      }
      let result;
      try {
        result = validateTopology(doc);
      } catch (e) {
        assert.fail(`case ${c} threw: ${String(e)}\n${JSON.stringify(doc)}`);
      }
      assert.ok(Array.isArray(result.diagnostics));
      if (result.topology) {
        valid++;
        assert.equal(result.diagnostics.filter((d) => d.severity === 'error').length, 0);
        for (const s of strings(result.topology)) assert.ok(SAFE.test(s), `case ${c}: unsafe string ${JSON.stringify(s)} in the topology`);
        // A normalized topology validates again, to itself.
        const again = validateTopology(JSON.parse(JSON.stringify(result.topology)));
        assert.deepEqual(again.topology, result.topology, `case ${c}: normalization is idempotent`);
      } else {
        rejected++;
        assert.ok(
          result.diagnostics.some((d) => d.severity === 'error'),
          `case ${c}: no topology only with an error`,
        );
      }
    }
    assert.ok(valid >= 50, `enough valid cases to exercise the property (${valid})`);
    assert.ok(rejected >= 100, `enough rejected cases (${rejected})`);
  });
});
