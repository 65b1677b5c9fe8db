import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  MAX_TOPOLOGY_BYTES,
  applyTopologyEdit,
  loadTopology,
  parseTopologyText,
  serializeTopology,
  writeTopologyFile,
} from '../../src/core/topology/file';
import type { Diagnostic } from '../../src/core/topology/types';
import { formatDiagnostic, validateTopology } from '../../src/core/topology/validate';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Doc = any;

/** A file as a user might have it: unknown keys everywhere, defaults left out, its own key order. */
const USER_FILE = `{
  "x-owner": "robotics team",
  "name": "demo",
  "robotSubnet": "192.168.0.0/24",
  "_comment": { "why": ["notes", 1] },
  "gateway": {
    "x-ami": "ami-0123",
    "host": "ros-openvpn",
    "publicAddress": "44.232.53.80",
    "cloudIp": "172.31.1.11",
    "vpnIp": "192.168.0.130/24"
  },
  "seconds": [
    { "name": "second", "host": "172.31.1.12", "x-gpu": true, "cloudIp": "172.31.1.12", "vpnIp": "192.168.0.131/24" },
    { "name": "second-2", "host": "172.31.1.13", "cloudIp": "172.31.1.13", "vpnIp": "192.168.0.132/24", "x-role": "sim" }
  ],
  "desktop": { "host": "localhost", "x-room": "lab 2", "lanInterface": "eno1" },
  "x-tail": null
}
`;

function single(ds: Diagnostic[]): Diagnostic {
  assert.equal(ds.length, 1, ds.map((d) => formatDiagnostic(d)).join('\n'));
  return ds[0] as Diagnostic;
}

describe('parseTopologyText', () => {
  it('parses valid JSON', () => {
    const r = parseTopologyText(USER_FILE);
    assert.deepEqual(r.diagnostics, []);
    assert.equal((r.raw as Doc).gateway['x-ami'], 'ami-0123');
  });

  it('reports a trailing comma with line and column', () => {
    const d = single(parseTopologyText('{\n  "name": "demo",\n}\n').diagnostics);
    assert.equal(d.severity, 'error');
    assert.equal(d.line, 3);
    assert.equal(d.column, 1);
    assert.equal(d.message, "line 3, column 1: unexpected '}' after ','");
    assert.match(d.fix as string, /trailing commas/);
    assert.equal(
      formatDiagnostic(d),
      "rosvpn.json: line 3, column 1: unexpected '}' after ',' — remove the ',' before it: JSON does not allow trailing commas",
    );
  });

  it('reports other syntax errors at the right place', () => {
    const cases: [string, number, number, RegExp][] = [
      ['{"a": tru}', 1, 7, /unexpected word tru/],
      ['{\n  "a": 1\n  "b": 2\n}', 3, 3, /missing ',' between properties/],
      ["{'a': 1}", 1, 2, /double quotes, not single quotes/],
      ['{\n  // note\n  "a": 1\n}', 2, 3, /comments are not allowed/],
      ['{"a": "x\ny"}', 1, 9, /U\+000A LINE FEED is inside a string/],
      ['{"a": 1} {"b": 2}', 1, 10, /already ended/],
      ['{"a": [1, 2}', 1, 12, /expected ',' or ']'/],
      ['{"a": "unterminated}', 1, 7, /unterminated string/],
      ['{"a": 01}', 1, 7, /leading zeros/],
      ['{"a": }', 1, 7, /expected a value/],
      ['{"a": 1', 1, 8, /end of the file/],
      ['{a: 1}', 1, 2, /property names must be in double quotes/],
      ['[1,]', 1, 4, /trailing commas|after ','/],
    ];
    for (const [text, line, column, re] of cases) {
      const d = single(parseTopologyText(text).diagnostics);
      assert.equal(d.line, line, `${JSON.stringify(text)}: line (${d.message})`);
      assert.equal(d.column, column, `${JSON.stringify(text)}: column (${d.message})`);
      assert.match(d.message, re);
      assert.ok(d.message.startsWith(`line ${line}, column ${column}: `));
      assert.ok(!/[\x00-\x1f]/.test(d.message), 'no raw control characters in the message');
    }
  });

  it('strips a byte-order mark', () => {
    const r = parseTopologyText('\uFEFF{"name": "demo"}');
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.raw, { name: 'demo' });
  });

  it('rejects empty text and more than 1 MiB', () => {
    assert.match(single(parseTopologyText('  \n').diagnostics).message, /is empty/);
    const big = `{"x-pad": "${'a'.repeat(MAX_TOPOLOGY_BYTES)}"}`;
    const r = parseTopologyText(big, 'big.json');
    assert.equal(r.raw, undefined);
    assert.match(single(r.diagnostics).message, /^big\.json is \d+ bytes; a topology is limited to 1 MiB/);
  });

  it('warns about duplicate keys with their path', () => {
    const r = parseTopologyText('{"gateway": {"vpnIp": "1", "host": "h", "vpnIp": "2"}}');
    const d = single(r.diagnostics);
    assert.equal(d.severity, 'warning');
    assert.equal(d.path, 'gateway.vpnIp');
    assert.match(d.message, /duplicate key at line 1, column 41; JSON keeps only the last value/);
    assert.deepEqual(r.raw, { gateway: { vpnIp: '2', host: 'h' } });
  });

  it('returns non-object JSON for the validator to judge', () => {
    const r = parseTopologyText('[1, 2]');
    assert.deepEqual(r.raw, [1, 2]);
    assert.match(validateTopology(r.raw).diagnostics[0]?.message as string, /must be a JSON object/);
  });
});

describe('applyTopologyEdit + serializeTopology', () => {
  it('is a no-op when the edit is the normalized topology of the same file', () => {
    const raw = JSON.parse(USER_FILE);
    const topology = validateTopology(raw).topology;
    assert.ok(topology);
    assert.equal(serializeTopology(applyTopologyEdit(raw, topology)), serializeTopology(JSON.parse(USER_FILE)));
  });

  it('keeps unknown keys at the top level, in gateway, in seconds and in desktop through an edit', () => {
    const raw = JSON.parse(USER_FILE);
    const topology = validateTopology(raw).topology as Doc;
    const edited = structuredClone(topology);
    edited.gateway.vpnIp = '192.168.0.140/24';
    edited.seconds[0].vpnIp = '192.168.0.141/24';
    edited.desktop.lanInterface = 'enp3s0';
    edited.mtu = 8950;
    const out = applyTopologyEdit(raw, edited);
    const back = JSON.parse(serializeTopology(out));
    assert.equal(back['x-owner'], 'robotics team');
    assert.deepEqual(back._comment, { why: ['notes', 1] });
    assert.equal(back['x-tail'], null);
    assert.equal(back.gateway['x-ami'], 'ami-0123');
    assert.equal(back.gateway.vpnIp, '192.168.0.140/24');
    assert.equal(back.seconds[0]['x-gpu'], true);
    assert.equal(back.seconds[0].vpnIp, '192.168.0.141/24');
    assert.equal(back.seconds[1]['x-role'], 'sim');
    assert.equal(back.desktop['x-room'], 'lab 2');
    assert.equal(back.desktop.lanInterface, 'enp3s0');
    assert.equal(back.mtu, 8950);
    // Key order is kept; new keys go at the end; defaults the file left out stay out.
    assert.deepEqual(Object.keys(back), ['x-owner', 'name', 'robotSubnet', '_comment', 'gateway', 'seconds', 'desktop', 'x-tail', 'mtu']);
    assert.deepEqual(Object.keys(back.gateway), ['x-ami', 'host', 'publicAddress', 'cloudIp', 'vpnIp']);
    assert.deepEqual(Object.keys(back.seconds[0]), ['name', 'host', 'x-gpu', 'cloudIp', 'vpnIp']);
    assert.ok(validateTopology(back).topology, 'still valid');
    // The input was not modified.
    assert.deepEqual(raw, JSON.parse(USER_FILE));
  });

  it('matches seconds by name when reordered, and by index when renamed', () => {
    const raw = JSON.parse(USER_FILE);
    const topology = validateTopology(raw).topology as Doc;
    const reordered = applyTopologyEdit(raw, { seconds: [topology.seconds[1], topology.seconds[0]] }) as Doc;
    assert.deepEqual(
      reordered.seconds.map((s: Doc) => [s.name, s['x-gpu'], s['x-role']]),
      [
        ['second-2', undefined, 'sim'],
        ['second', true, undefined],
      ],
    );
    const renamed = applyTopologyEdit(raw, { seconds: [{ ...topology.seconds[0], name: 'alpha' }, topology.seconds[1]] }) as Doc;
    assert.equal(renamed.seconds[0].name, 'alpha');
    assert.equal(renamed.seconds[0]['x-gpu'], true, 'renamed entry keeps its unknown keys');
    assert.equal(renamed.seconds[1]['x-role'], 'sim');
  });

  it('removes a second that is no longer in the edit, and adds new ones', () => {
    const raw = JSON.parse(USER_FILE);
    const topology = validateTopology(raw).topology as Doc;
    const out = applyTopologyEdit(raw, {
      seconds: [topology.seconds[1], { name: 'third', host: 'h3', cloudIp: '172.31.1.14', vpnIp: '192.168.0.133/24' }],
    }) as Doc;
    assert.deepEqual(
      out.seconds.map((s: Doc) => s.name),
      ['second-2', 'third'],
    );
    assert.ok(!JSON.stringify(out).includes('x-gpu'), 'the removed second and its unknown keys are gone');
    assert.equal(out.seconds[0]['x-role'], 'sim');
    assert.deepEqual(applyTopologyEdit(raw, { seconds: [] }).seconds, []);
  });

  it('removes keys set to undefined and adds non-default values', () => {
    const raw = JSON.parse(USER_FILE);
    const out = applyTopologyEdit(raw, {
      desktop: undefined,
      cloudSubnet: '172.31.1.0/24',
      tunnel: 'vxlan',
      features: { docker: true, ros2: false },
    }) as Doc;
    assert.equal('desktop' in out, false);
    assert.equal(out.cloudSubnet, '172.31.1.0/24');
    assert.equal('tunnel' in out, false, 'a default the file left out is not written');
    assert.deepEqual(out.features, { docker: true });
    assert.equal(out['x-owner'], 'robotics team');
  });

  it('serializes with two spaces and a trailing newline, in key order', () => {
    assert.equal(serializeTopology({ b: 1, a: { c: [1, 2] } }), '{\n  "b": 1,\n  "a": {\n    "c": [\n      1,\n      2\n    ]\n  }\n}\n');
    const canonical = serializeTopology(JSON.parse(USER_FILE));
    assert.ok(canonical.startsWith('{\n  "x-owner": "robotics team",\n  "name": "demo",\n'));
    assert.equal(serializeTopology(JSON.parse(canonical)), canonical);
  });
});

describe('writeTopologyFile and loadTopology', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-file-test-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to write an invalid topology and leaves the old file byte-identical', async () => {
    const file = path.join(dir, 'rosvpn.json');
    fs.writeFileSync(file, USER_FILE);
    const before = fs.readFileSync(file);
    const bad = JSON.parse(USER_FILE);
    bad.seconds[1].vpnIp = '192.168.1.5/24';
    await assert.rejects(writeTopologyFile(file, bad), (e: Error) => {
      assert.match(e.message, /^refusing to write /);
      assert.ok(e.message.includes('rosvpn.json: seconds[1].vpnIp: 192.168.1.5/24 is outside robotSubnet 192.168.0.0/24'), e.message);
      return true;
    });
    assert.ok(fs.readFileSync(file).equals(before));
    assert.deepEqual(fs.readdirSync(dir), ['rosvpn.json'], 'no temporary file left behind');
  });

  it('writes atomically and keeps the file mode', async function () {
    if (process.platform === 'win32') this.skip();
    const file = path.join(dir, 'rosvpn.json');
    fs.writeFileSync(file, '{}\n');
    fs.chmodSync(file, 0o640);
    const raw = JSON.parse(USER_FILE);
    raw.gateway.vpnIp = '192.168.0.150/24';
    await writeTopologyFile(file, raw);
    assert.equal(fs.statSync(file).mode & 0o777, 0o640);
    assert.equal(fs.readFileSync(file, 'utf8'), serializeTopology(raw));
    assert.deepEqual(fs.readdirSync(dir), ['rosvpn.json']);
  });

  it('creates a new file and writes through a symlink', async function () {
    const file = path.join(dir, 'new.json');
    await writeTopologyFile(file, JSON.parse(USER_FILE));
    assert.equal(fs.readFileSync(file, 'utf8'), serializeTopology(JSON.parse(USER_FILE)));
    if (process.platform === 'win32') return;
    const link = path.join(dir, 'link.json');
    fs.symlinkSync(file, link);
    const raw = JSON.parse(USER_FILE);
    raw.name = 'via-link';
    await writeTopologyFile(link, raw);
    assert.ok(fs.lstatSync(link).isSymbolicLink(), 'the link survives');
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).name, 'via-link');
  });

  it('loads, parses and validates; diagnostics hold only read/parse problems', async () => {
    const file = path.join(dir, 'rosvpn.json');
    fs.writeFileSync(file, USER_FILE);
    const ok = await loadTopology(file);
    assert.deepEqual(ok.diagnostics, []);
    assert.ok(ok.result?.topology);
    assert.equal(ok.result?.topology?.seconds.length, 2);

    fs.writeFileSync(file, '{\n  "name": "demo",\n}\n');
    const bad = await loadTopology(file);
    assert.equal(bad.result, undefined);
    assert.equal(single(bad.diagnostics).line, 3);

    const missing = await loadTopology(path.join(dir, 'nope.json'));
    assert.match(single(missing.diagnostics).message, /^not found at /);
    assert.match(single(missing.diagnostics).fix as string, /rosvpn init/);

    fs.writeFileSync(file, Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]));
    assert.match(single((await loadTopology(file)).diagnostics).message, /is not valid UTF-8 text \(first bad byte at offset 6\)/);

    fs.writeFileSync(file, `\uFEFF${USER_FILE}`);
    const bom = await loadTopology(file);
    assert.deepEqual(bom.diagnostics, []);
    assert.ok(bom.result?.topology);

    const result = (await loadTopology(dir)).diagnostics;
    assert.match(single(result).message, /is not a regular file/);
  });
});
