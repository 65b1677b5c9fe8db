// The `rosvpn` CLI as users run it: the built dist/cli.js in a temp working directory.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { run } from '../../lab/sh';

const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'topologies');
const GUIDE_ENV = {
  ROSVPN_GATEWAY_CLOUD_IP: '172.31.1.11',
  ROSVPN_SECOND_CLOUD_IP: '172.31.1.12',
  ROSVPN_GATEWAY_VPN_IP: '192.168.0.130/24',
  ROSVPN_SECOND_VPN_IP: '192.168.0.131/24',
};

function cli(cwd: string, args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ROSVPN_')));
  return run(process.execPath, [CLI, ...args], { cwd, env: { ...clean, ...env } });
}

describe('rosvpn CLI (dist/cli.js)', function () {
  this.timeout(20000);
  let dir: string;

  before(() => assert.ok(fs.existsSync(CLI), 'dist/cli.js missing: npm test builds it first (npm run build)'));
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-cli-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--help lists every command and exits 0; an unknown command exits 2', () => {
    const r = cli(dir, ['--help']);
    assert.equal(r.status, 0);
    for (const c of ['init [FILE] [--from-env] [--force]', 'validate [FILE] [--json]', 'render [FILE] --out DIR', 'schema']) {
      assert.ok(r.stdout.includes(c), `help lacks ${c}`);
    }
    const bad = cli(dir, ['frobnicate']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown command 'frobnicate'/);
    const badOpt = cli(dir, ['validate', '--nope']);
    assert.equal(badOpt.status, 2);
  });

  it('init writes a valid starter, then refuses to overwrite without --force', () => {
    const r = cli(dir, ['init']);
    assert.equal(r.status, 0, r.stderr);
    const written = fs.readFileSync(path.join(dir, 'rosvpn.json'), 'utf8');
    assert.equal(JSON.parse(written).gateway.vpnIp, '192.168.0.130/24');
    assert.equal(cli(dir, ['validate']).status, 0);
    fs.writeFileSync(path.join(dir, 'rosvpn.json'), '{"mine": true}\n');
    const again = cli(dir, ['init']);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already exists .* --force/);
    assert.equal(fs.readFileSync(path.join(dir, 'rosvpn.json'), 'utf8'), '{"mine": true}\n');
    assert.equal(cli(dir, ['init', '--force']).status, 0);
  });

  it("init --from-env builds the topology from the guide's four variables", () => {
    const r = cli(dir, ['init', '--from-env'], GUIDE_ENV);
    assert.equal(r.status, 0, r.stderr);
    const t = JSON.parse(fs.readFileSync(path.join(dir, 'rosvpn.json'), 'utf8'));
    assert.equal(t.robotSubnet, '192.168.0.0/24');
    assert.equal(t.gateway.cloudIp, '172.31.1.11');
    assert.deepEqual(
      t.seconds.map((s: { cloudIp: string; vpnIp: string }) => [s.cloudIp, s.vpnIp]),
      [['172.31.1.12', '192.168.0.131/24']],
    );
  });

  it('init --from-env with a variable missing names it, shows the export line, and writes nothing', () => {
    const { ROSVPN_SECOND_VPN_IP: _omit, ...partial } = GUIDE_ENV;
    const r = cli(dir, ['init', '--from-env'], partial);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /ROSVPN_SECOND_VPN_IP/);
    assert.match(r.stderr + r.stdout, /export ROSVPN_SECOND_VPN_IP=/);
    assert.equal(fs.existsSync(path.join(dir, 'rosvpn.json')), false);
  });

  it('validate: exit 1 with the field path and value for a VPN IP outside the robot subnet', () => {
    const t = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'vxlan-3.json'), 'utf8'));
    t.seconds[1].vpnIp = '192.168.1.5/24';
    fs.writeFileSync(path.join(dir, 'rosvpn.json'), JSON.stringify(t));
    const r = cli(dir, ['validate']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^rosvpn\.json: seconds\[1\]\.vpnIp: 192\.168\.1\.5\/24 is outside robotSubnet 192\.168\.0\.0\/24/m);
    const json = cli(dir, ['validate', '--json']);
    assert.equal(json.status, 1);
    const parsed = JSON.parse(json.stdout);
    assert.equal(parsed.valid, false);
    assert.ok(parsed.diagnostics.some((d: { path: string }) => d.path === 'seconds[1].vpnIp'));
  });

  it('validate: a missing file says how to create one', () => {
    const r = cli(dir, ['validate']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not found .* rosvpn init/);
  });

  it('render writes one executable script per host', () => {
    fs.copyFileSync(path.join(FIXTURES, 'vxlan-3.json'), path.join(dir, 'rosvpn.json'));
    const r = cli(dir, ['render', '--out', 'out']);
    assert.equal(r.status, 0, r.stderr);
    const files = fs.readdirSync(path.join(dir, 'out')).sort();
    assert.deepEqual(files, ['desktop.sh', 'gateway.sh', 'second-2.sh', 'second-3.sh', 'second.sh']);
    for (const f of files) assert.equal(fs.statSync(path.join(dir, 'out', f)).mode & 0o777, 0o755);
  });

  it('render: hostile input yields no script at all', () => {
    const t = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'vxlan-1.json'), 'utf8'));
    t.seconds[0].name = 'x$(reboot)';
    fs.writeFileSync(path.join(dir, 'rosvpn.json'), JSON.stringify(t));
    const r = cli(dir, ['render', '--out', 'out']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /seconds\[0\]\.name/);
    assert.match(r.stderr, /nothing rendered/);
    assert.equal(fs.existsSync(path.join(dir, 'out')), false);
  });

  it('render without --out is a usage error', () => {
    fs.copyFileSync(path.join(FIXTURES, 'vxlan-1.json'), path.join(dir, 'rosvpn.json'));
    const r = cli(dir, ['render']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--out DIR/);
  });

  it('schema prints the JSON Schema of rosvpn.json', () => {
    const r = cli(dir, ['schema']);
    assert.equal(r.status, 0);
    assert.equal(JSON.parse(r.stdout).title, 'ROS VPN topology (rosvpn.json)');
  });

  it("robot-config prints the robot's CycloneDDS XML for its NIC (the WAN tuning); a bad or missing --interface exits 2 naming it", () => {
    const r = cli(dir, ['robot-config', '--interface', 'enp3s0']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /<NetworkInterface name="enp3s0"\/>/);
    assert.match(r.stdout, /<MaxMessageSize>1344B<\/MaxMessageSize>/);
    assert.match(r.stdout, /<WhcHighInit>4MB<\/WhcHighInit>/);
    assert.match(r.stdout, /<AllowMulticast>spdp<\/AllowMulticast>/);
    for (const [args, msg] of [
      [['--interface', 'eth0"/><x'], /--interface "eth0\\"\/><x" is not a Linux interface name/],
      [['--interface', 'a-very-long-nic-name'], /is not a Linux interface name: up to 15/],
      [[], /--interface NIC is needed/],
    ] as [string[], RegExp][]) {
      const bad = cli(dir, ['robot-config', ...args]);
      assert.equal(bad.status, 2, args.join(' '));
      assert.match(bad.stderr, msg);
      assert.equal(bad.stdout, '', 'nothing printed for a bad --interface');
    }
  });
});
