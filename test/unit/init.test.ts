import { strict as assert } from 'node:assert';
import { starterTopology, topologyFromEnv } from '../../src/core/topology/init';
import type { Diagnostic } from '../../src/core/topology/types';
import { formatDiagnostic, validateTopology } from '../../src/core/topology/validate';

const GUIDE = {
  ROSVPN_GATEWAY_CLOUD_IP: '172.31.1.11',
  ROSVPN_SECOND_CLOUD_IP: '172.31.1.12',
  ROSVPN_GATEWAY_VPN_IP: '192.168.0.130/24',
  ROSVPN_SECOND_VPN_IP: '192.168.0.131/24',
};

function errorsFor(ds: Diagnostic[], variable: string): Diagnostic[] {
  return ds.filter((d) => d.path === variable && d.severity === 'error');
}

describe('starterTopology', () => {
  it('is the documented example', () => {
    assert.deepEqual(starterTopology(), {
      name: 'demo',
      robotSubnet: '192.168.0.0/24',
      tunnel: 'vxlan',
      ssh: { user: 'ubuntu', identityFile: '~/.ssh/id_ed25519' },
      gateway: { host: 'ros-openvpn', publicAddress: '203.0.113.10', cloudIp: '172.31.1.11', vpnIp: '192.168.0.130/24', openvpnPort: 1194 },
      seconds: [{ name: 'second', host: '172.31.1.12', cloudIp: '172.31.1.12', vpnIp: '192.168.0.131/24' }],
      desktop: { host: 'localhost', lanInterface: 'eno1' },
    });
  });

  it('is valid, with no diagnostics', () => {
    const r = validateTopology(starterTopology());
    assert.deepEqual(r.diagnostics, []);
    assert.ok(r.topology);
  });

  it('takes a name and returns a fresh object each time', () => {
    assert.equal(starterTopology('lab-2').name, 'lab-2');
    const a = starterTopology();
    a.gateway.host = 'changed';
    assert.equal(starterTopology().gateway.host, 'ros-openvpn');
    assert.match(validateTopology(starterTopology('Bad Name')).diagnostics[0]?.message as string, /uppercase|space/);
  });
});

describe('topologyFromEnv', () => {
  it("builds exactly the guide's topology from its four variables", () => {
    const r = topologyFromEnv(GUIDE);
    assert.deepEqual(r.topology, {
      name: 'demo',
      robotSubnet: '192.168.0.0/24',
      tunnel: 'vxlan',
      ssh: { user: 'ubuntu', identityFile: '~/.ssh/id_ed25519' },
      gateway: { host: 'ros-openvpn', cloudIp: '172.31.1.11', vpnIp: '192.168.0.130/24', openvpnPort: 1194 },
      seconds: [{ name: 'second', host: '172.31.1.12', jump: 'gateway', cloudIp: '172.31.1.12', vpnIp: '192.168.0.131/24' }],
      desktop: { host: 'localhost', lanInterface: 'eno1' },
    });
    // Only the missing public address is worth a word, and it names the variable to set.
    assert.equal(r.diagnostics.length, 1);
    const d = r.diagnostics[0] as Diagnostic;
    assert.equal(d.severity, 'warning');
    assert.equal(d.path, 'ROSVPN_GATEWAY_PUBLIC_IP');
    assert.match(d.fix as string, /export ROSVPN_GATEWAY_PUBLIC_IP=203\.0\.113\.10/);
  });

  it('uses ROSVPN_GATEWAY_HOST, ROSVPN_GATEWAY_PUBLIC_IP and the name', () => {
    const r = topologyFromEnv({ ...GUIDE, ROSVPN_GATEWAY_HOST: 'my-gw', ROSVPN_GATEWAY_PUBLIC_IP: '44.232.53.80' }, 'lab');
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.topology?.name, 'lab');
    assert.equal(r.topology?.gateway.host, 'my-gw');
    assert.equal(r.topology?.gateway.publicAddress, '44.232.53.80');
    assert.ok(validateTopology(r.topology).topology);
  });

  it('derives robotSubnet from the gateway VPN IP', () => {
    const r = topologyFromEnv({ ...GUIDE, ROSVPN_GATEWAY_VPN_IP: '10.20.30.40/16', ROSVPN_SECOND_VPN_IP: '10.20.30.41/16' });
    assert.equal(r.topology?.robotSubnet, '10.20.0.0/16');
  });

  it('takes lists of seconds, comma- or space-separated', () => {
    for (const [clouds, vpns] of [
      ['172.31.1.12,172.31.1.13,172.31.1.14', '192.168.0.131/24,192.168.0.132/24,192.168.0.133/24'],
      ['172.31.1.12 172.31.1.13  172.31.1.14', ' 192.168.0.131/24, 192.168.0.132/24 ,192.168.0.133/24 '],
    ] as const) {
      const r = topologyFromEnv({
        ...GUIDE,
        ROSVPN_SECOND_CLOUD_IP: clouds,
        ROSVPN_SECOND_VPN_IP: vpns,
        ROSVPN_GATEWAY_PUBLIC_IP: '44.232.53.80',
      });
      assert.deepEqual(r.diagnostics, []);
      assert.deepEqual(r.topology?.seconds, [
        { name: 'second', host: '172.31.1.12', jump: 'gateway', cloudIp: '172.31.1.12', vpnIp: '192.168.0.131/24' },
        { name: 'second-2', host: '172.31.1.13', jump: 'gateway', cloudIp: '172.31.1.13', vpnIp: '192.168.0.132/24' },
        { name: 'second-3', host: '172.31.1.14', jump: 'gateway', cloudIp: '172.31.1.14', vpnIp: '192.168.0.133/24' },
      ]);
    }
  });

  it('names each missing variable, with an export line', () => {
    for (const [variable, example] of Object.entries(GUIDE)) {
      const env: Record<string, string | undefined> = { ...GUIDE };
      delete env[variable];
      const r = topologyFromEnv(env);
      assert.equal(r.topology, undefined);
      const d = errorsFor(r.diagnostics, variable);
      assert.equal(d.length, 1, variable);
      assert.equal(formatDiagnostic(d[0] as Diagnostic), `rosvpn.json: ${variable}: not set — export ${variable}=${example}`);
      // empty counts as unset
      assert.equal(errorsFor(topologyFromEnv({ ...GUIDE, [variable]: '  ' }).diagnostics, variable).length, 1);
    }
    assert.equal(topologyFromEnv({}).diagnostics.filter((d) => d.message === 'not set').length, 4);
  });

  it('rejects a VPN IP without prefix, with a fix', () => {
    const d = errorsFor(topologyFromEnv({ ...GUIDE, ROSVPN_GATEWAY_VPN_IP: '192.168.0.130' }).diagnostics, 'ROSVPN_GATEWAY_VPN_IP');
    assert.equal(d.length, 1);
    assert.match(d[0]?.message as string, /192\.168\.0\.130 has no prefix length/);
    assert.equal(d[0]?.fix, 'export ROSVPN_GATEWAY_VPN_IP=192.168.0.130/24');
    const s = errorsFor(topologyFromEnv({ ...GUIDE, ROSVPN_SECOND_VPN_IP: '192.168.0.131' }).diagnostics, 'ROSVPN_SECOND_VPN_IP');
    assert.equal(s[0]?.fix, 'export ROSVPN_SECOND_VPN_IP=192.168.0.131/24');
  });

  it('rejects bad values, naming the variable', () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ ROSVPN_GATEWAY_CLOUD_IP: '172.31.1.300' }, 'ROSVPN_GATEWAY_CLOUD_IP', /172\.31\.1\.300 has the octet 300, larger than 255/],
      [{ ROSVPN_GATEWAY_CLOUD_IP: '172.31.1.11/24' }, 'ROSVPN_GATEWAY_CLOUD_IP', /has a prefix length/],
      [
        { ROSVPN_SECOND_CLOUD_IP: '172.31.1.12,172.31.01.13' },
        'ROSVPN_SECOND_CLOUD_IP',
        /^item 2: 172\.31\.01\.13 has the octet "01" with a leading zero/,
      ],
      [{ ROSVPN_SECOND_CLOUD_IP: '172.31.1.12 172.31.1.13' }, 'ROSVPN_SECOND_VPN_IP', /lists 1 address but ROSVPN_SECOND_CLOUD_IP lists 2/],
      [{ ROSVPN_SECOND_VPN_IP: '$(reboot)' }, 'ROSVPN_SECOND_VPN_IP', /command substitution/],
      [{ ROSVPN_GATEWAY_VPN_IP: '192.168.0.130/24\n' + 'x' }, 'ROSVPN_GATEWAY_VPN_IP', /U\+000A LINE FEED/],
      [{ ROSVPN_GATEWAY_HOST: '-oProxyCommand=x' }, 'ROSVPN_GATEWAY_HOST', /ssh would read as an option/],
      [{ ROSVPN_GATEWAY_PUBLIC_IP: '44.232.53.８' }, 'ROSVPN_GATEWAY_PUBLIC_IP', /U\+FF18 FULLWIDTH DIGIT EIGHT/],
      [{ ROSVPN_SECOND_CLOUD_IP: ',,' }, 'ROSVPN_SECOND_CLOUD_IP', /holds no addresses/],
    ];
    for (const [patch, variable, re] of cases) {
      const r = topologyFromEnv({ ...GUIDE, ...patch });
      assert.equal(r.topology, undefined, variable);
      const d = errorsFor(r.diagnostics, variable);
      assert.equal(d.length, 1, `${variable}: ${r.diagnostics.map((x) => formatDiagnostic(x)).join('\n')}`);
      assert.match(d[0]?.message as string, re);
      assert.ok((d[0]?.fix as string).length > 5);
    }
  });

  it('maps validation errors back to the variables', () => {
    const outside = topologyFromEnv({
      ...GUIDE,
      ROSVPN_SECOND_CLOUD_IP: '172.31.1.12,172.31.1.13',
      ROSVPN_SECOND_VPN_IP: '192.168.0.131/24,192.168.1.5/24',
    });
    const d = errorsFor(outside.diagnostics, 'ROSVPN_SECOND_VPN_IP');
    assert.equal(d.length, 1);
    assert.equal(d[0]?.message, 'item 2: 192.168.1.5/24 is outside the robot subnet 192.168.0.0/24');
    assert.match(d[0]?.fix as string, /choose a free address inside 192\.168\.0\.0\/24/);

    const dup = topologyFromEnv({ ...GUIDE, ROSVPN_SECOND_CLOUD_IP: '172.31.1.11' });
    assert.equal(
      errorsFor(dup.diagnostics, 'ROSVPN_SECOND_CLOUD_IP')[0]?.message,
      '172.31.1.11 is already used by ROSVPN_GATEWAY_CLOUD_IP',
    );

    const same = topologyFromEnv({ ...GUIDE, ROSVPN_SECOND_VPN_IP: '192.168.0.130/24' });
    assert.equal(
      errorsFor(same.diagnostics, 'ROSVPN_SECOND_VPN_IP')[0]?.message,
      '192.168.0.130/24 is already used by ROSVPN_GATEWAY_VPN_IP',
    );

    const net = topologyFromEnv({ ...GUIDE, ROSVPN_GATEWAY_VPN_IP: '192.168.0.0/24' });
    assert.match(errorsFor(net.diagnostics, 'ROSVPN_GATEWAY_VPN_IP')[0]?.message as string, /is the network address/);

    const conflict = topologyFromEnv({ ...GUIDE, ROSVPN_GATEWAY_CLOUD_IP: '192.168.0.11' });
    assert.match(
      errorsFor(conflict.diagnostics, 'ROSVPN_GATEWAY_CLOUD_IP')[0]?.message as string,
      /lies inside the robot subnet 192\.168\.0\.0\/24/,
    );
  });
});
