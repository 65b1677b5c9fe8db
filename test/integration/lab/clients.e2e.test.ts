// Clients end to end in the lab (issue I), on a topology the demo never uses: another robot subnet, a static
// desktop, a public address outside the lab's internet range, two clients with names of our own. Each
// client is a lab host on the internet side only; provisioning gives each its own certificate and profile;
// DDS flows both ways robot <-> client and client <-> second; then one client is revoked with the core API
// and the gateway must refuse it while the desktop and the other client keep flowing. The negative
// controls: the revoked client's DDS check must fail, and before provisioning no client reaches the robot.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { clientHosts, proveClient, revokeAndProve, tapAddresses } from '../../../lab/clients';
import { controllerCli, loadLabTopology, sshArgs } from '../../../lab/demo';
import { INET_PREFIX, Lab, labDown, type LabState } from '../../../lab/lab';
import { run } from '../../../lab/sh';
import type { ValidTopology } from '../../../src/core/topology/types';

const TOPOLOGY = {
  name: 'field-site',
  robotSubnet: '10.88.5.0/24',
  tunnel: 'vxlan',
  ssh: { user: 'ubuntu' },
  gateway: { host: 'gw.example', publicAddress: '198.51.100.23', cloudIp: '172.31.9.11', vpnIp: '10.88.5.200/24', openvpnPort: 1194 },
  seconds: [{ name: 'sim', host: '172.31.9.12', cloudIp: '172.31.9.12', vpnIp: '10.88.5.201/24', jump: 'gateway' }],
  desktop: { host: 'workstation', lanInterface: 'enp3s0', addressing: 'static', address: '10.88.5.10/24' },
  clients: [
    { name: 'field-tablet', vpnIp: '10.88.5.77/24' },
    { name: 'alice-laptop', vpnIp: '10.88.5.9/24' },
  ],
};
const REVOKED = 'field-tablet';
const KEPT = 'alice-laptop';

describe('lab e2e: clients (own certificates, taps, revocation) on an unseen topology', function () {
  this.timeout(900000);
  const lab = new Lab(`rvc${process.pid % 1000}`);
  let s: LabState;
  let t: ValidTopology;
  let provisioned = false;

  before(function () {
    if (process.getuid?.() !== 0) throw new Error('the lab needs root; CI runs as root');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rvc-')), 'rosvpn.json');
    fs.writeFileSync(file, JSON.stringify(TOPOLOGY));
    const loaded = loadLabTopology(file, undefined, () => undefined);
    assert.ok(loaded, 'the test topology is valid');
    t = loaded;
    s = lab.up(t);
  });

  after(() => {
    const left = labDown(lab.prefix);
    assert.deepEqual(left, [], 'teardown left something behind');
    assert.equal(run('ip', ['netns', 'list']).stdout.includes(lab.prefix), false);
  });

  it('boots one host per client, on the internet side only, and writes them into the lab topology with their addresses', () => {
    const hosts = clientHosts(s);
    assert.deepEqual(
      hosts.map((h) => h.name),
      TOPOLOGY.clients.map((c) => c.name),
    );
    const written = JSON.parse(fs.readFileSync(s.topologyFile, 'utf8')) as { clients: { name: string; vpnIp: string; host: string }[] };
    assert.deepEqual(
      written.clients,
      hosts.map((h) => ({ name: h.name, vpnIp: TOPOLOGY.clients.find((c) => c.name === h.name)!.vpnIp, host: h.inetIp })),
    );
    for (const h of hosts) {
      assert.match(h.inetIp ?? '', new RegExp(`^${INET_PREFIX.replace(/\./g, '\\.')}\\.\\d+$`));
      // sshd listens, as on the other hosts; the only links are lo and the internet switch.
      assert.match(run('ip', ['netns', 'exec', h.ns, 'ss', '-Hltn']).stdout, /:22\b/);
      const links = run('ip', ['-n', h.ns, '-o', 'link', 'show']).stdout;
      assert.deepEqual([...links.matchAll(/^\d+: ([^:@]+)/gm)].map((m) => m[1]).sort(), ['inet0', 'lo'], links);
      // It reaches the gateway's public address (198.51.100.23, outside the switch's range) and not the robot.
      assert.equal(run('ip', ['netns', 'exec', h.ns, 'ping', '-c', '1', '-W', '2', TOPOLOGY.gateway.publicAddress]).status, 0);
      const toRobot = run('ip', ['netns', 'exec', h.ns, 'ping', '-c', '1', '-W', '1', s.robotIp]);
      assert.notEqual(toRobot.status, 0, `${h.name} reaches the robot without a tunnel`);
      assert.equal(tapAddresses(h), undefined, `${h.name} has a tap before provisioning`);
    }
  });

  it('provisioning from the controller sets up every client host with its own profile', async () => {
    const r = controllerCli(s, ['provision', s.topologyFile, ...sshArgs(s)]);
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 0, out);
    for (const c of TOPOLOGY.clients) assert.match(out, new RegExp(`^${c.name}\\s+client\\s+changed`, 'm'), out);
    for (const h of clientHosts(s)) {
      const ip = TOPOLOGY.clients.find((c) => c.name === h.name)!.vpnIp.split('/')[0];
      const deadline = Date.now() + 30000;
      while (!tapAddresses(h)?.includes(ip) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
      assert.ok(tapAddresses(h)?.includes(ip), `${h.name}: rosvpn0 never got ${ip}`);
      // Its certificate is its own: the installed profile's certificate names it.
      const cert = Lab.inHost(h, [
        'sh',
        '-c',
        'sed -n "/<cert>/,/<\\/cert>/p" /etc/openvpn/client/rosvpn.ovpn | sed "1d;\\$d" | openssl x509 -noout -subject',
      ]);
      assert.match(cert.stdout, new RegExp(`CN ?= ?${h.name}\\b`), cert.stdout + cert.stderr);
    }
    provisioned = true;
  });

  it('DDS flows both ways robot <-> each client and each client <-> the second', async () => {
    assert.ok(provisioned, 'provisioning failed: see the test above');
    const seconds = s.hosts.filter((h) => h.role === 'second');
    for (const h of clientHosts(s)) {
      const row = await proveClient(s, h, seconds);
      assert.ok(row.ok, row.line);
    }
  });

  it(`revoking ${REVOKED} with the core API: refused by the gateway, DDS to it stops; the desktop and ${KEPT} keep flowing`, async () => {
    assert.ok(provisioned, 'provisioning failed: see the test above');
    const proof = await revokeAndProve(s, t, REVOKED);
    for (const c of proof.checks) console.log(`      ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}: ${c.detail}`);
    console.log(`      ${proof.line}`);
    assert.ok(proof.ok, JSON.stringify(proof.checks, null, 2));
    // DDS stopped as a negative: a subscriber ran and got nothing (the tap was still up), or the tap was gone.
    assert.match(proof.checks.find((c) => c.what === 'DDS to it stops')!.detail, new RegExp(`robot->${REVOKED}: (0 samples|rosvpn0 )`));
    assert.match(proof.line, new RegExp(`^revoked ${REVOKED}: refused \\(.*CN=${REVOKED}`));
    assert.deepEqual(proof.others.map((r) => r.name).sort(), ['alice-laptop', 'desktop']);
    // It left rosvpn.json, as `rosvpn client revoke` does.
    const written = JSON.parse(fs.readFileSync(s.topologyFile, 'utf8')) as { clients?: { name: string }[] };
    assert.deepEqual(
      (written.clients ?? []).map((c) => c.name),
      [KEPT],
    );
  });

  it('negative control: the DDS check that passed before does not pass for the revoked client', async () => {
    assert.ok(provisioned, 'provisioning failed: see the test above');
    const h = clientHosts(s).find((x) => x.name === REVOKED)!;
    const ip = TOPOLOGY.clients.find((c) => c.name === REVOKED)!.vpnIp.split('/')[0];
    let passed: boolean;
    try {
      const row = await proveClient(s, h, []);
      passed = row.ok;
      console.log(`      ${row.line}`);
    } catch (e) {
      // Its ddsperf cannot even start: that must be because rosvpn0 holds no address, nothing else.
      passed = false;
      const msg = (e as Error).message;
      console.log(`      ${REVOKED}: ${msg}`);
      assert.match(msg, new RegExp(`on ${REVOKED} exited`), msg);
      assert.ok(!tapAddresses(h)?.includes(ip), `${REVOKED}'s ddsperf failed although rosvpn0 holds ${ip}: ${msg}`);
    }
    assert.equal(passed, false, `the DDS check passes for the revoked client ${REVOKED}`);
  });
});
