import { strict as assert } from 'node:assert';
import type { Diagnostic } from '../../src/core/topology/types';
import { formatDiagnostic, hasErrors, validateTopology, type ValidationResult } from '../../src/core/topology/validate';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Doc = any;

/** A valid topology that yields no diagnostics at all. */
function base(): Doc {
  return {
    name: 'demo',
    robotSubnet: '192.168.0.0/24',
    cloudSubnet: '172.31.1.0/24',
    tunnel: 'vxlan',
    ssh: { user: 'ubuntu', identityFile: '~/.ssh/id_ed25519' },
    gateway: { host: 'ros-openvpn', publicAddress: '44.232.53.80', cloudIp: '172.31.1.11', vpnIp: '192.168.0.130/24', openvpnPort: 1194 },
    seconds: [{ name: 'second', host: '172.31.1.12', jump: 'gateway', cloudIp: '172.31.1.12', vpnIp: '192.168.0.131/24' }],
    desktop: { host: 'localhost', lanInterface: 'eno1' },
  };
}

function run(mutate: (t: Doc) => void): ValidationResult {
  const t = base();
  mutate(t);
  return validateTopology(t);
}

function at(r: ValidationResult, path: string, severity: Diagnostic['severity'] = 'error'): Diagnostic {
  const found = r.diagnostics.filter((d) => d.path === path && d.severity === severity);
  assert.equal(found.length, 1, `expected one ${severity} at ${path}, got:\n${r.diagnostics.map((d) => formatDiagnostic(d)).join('\n')}`);
  const d = found[0] as Diagnostic;
  assert.ok(d.fix && d.fix.length > 5, `diagnostic at ${path} has a fix`);
  if (severity === 'error') assert.equal(r.topology, undefined, 'no topology when there is an error');
  return d;
}

function clean(r: ValidationResult, path?: string): void {
  const relevant = path === undefined ? r.diagnostics : r.diagnostics.filter((d) => d.path === path);
  assert.deepEqual(
    relevant.map((d) => formatDiagnostic(d)),
    [],
  );
  assert.ok(r.topology, 'a topology is returned');
}

describe('validateTopology', () => {
  it('accepts the base topology with no diagnostics at all', () => {
    const r = validateTopology(base());
    clean(r);
  });

  describe('formatDiagnostic', () => {
    it('formats the issue example exactly', () => {
      const r = run((t) => t.seconds.push({ name: 'second-2', host: 'h2', cloudIp: '172.31.1.13', vpnIp: '192.168.1.5/24' }));
      const line = formatDiagnostic(at(r, 'seconds[1].vpnIp'));
      const prefix = 'rosvpn.json: seconds[1].vpnIp: 192.168.1.5/24 is outside robotSubnet 192.168.0.0/24';
      assert.ok(line.startsWith(prefix), line);
      assert.ok(line.includes(' — choose a free address inside 192.168.0.0/24'), line);
    });
    it('prefixes warnings, uses the given file name, and handles an empty path', () => {
      assert.equal(
        formatDiagnostic({ severity: 'warning', path: 'gateway.vpnip', message: 'unknown key', fix: 'did you mean vpnIp?' }, 'lab.json'),
        'lab.json: warning: gateway.vpnip: unknown key — did you mean vpnIp?',
      );
      assert.equal(formatDiagnostic({ severity: 'error', path: '', message: 'bad', fix: 'fix it' }), 'rosvpn.json: bad — fix it');
    });
    it('hasErrors looks at severity', () => {
      assert.equal(hasErrors([{ severity: 'warning', path: 'a', message: 'm' }]), false);
      assert.equal(
        hasErrors([
          { severity: 'warning', path: 'a', message: 'm' },
          { severity: 'error', path: 'b', message: 'm' },
        ]),
        true,
      );
    });
  });

  describe('normalization', () => {
    it('fills every default and keeps only known keys', () => {
      const r = validateTopology({
        name: 'n',
        robotSubnet: '10.9.0.0/24',
        gateway: {
          host: 'gw',
          publicAddress: 'vpn.example.com',
          cloudIp: '172.31.1.11',
          vpnIp: '10.9.0.2/24',
          'x-note': 'kept in the file only',
        },
        seconds: [{ name: 's', host: 's', cloudIp: '172.31.1.12', vpnIp: '10.9.0.3/24', _c: 1 }],
        desktop: { host: 'localhost', lanInterface: 'eno1', address: '10.9.0.9/24' },
        'x-top': { a: 1 },
      });
      assert.deepEqual(r.topology, {
        name: 'n',
        robotSubnet: '10.9.0.0/24',
        tunnel: 'vxlan',
        mtu: 1500,
        vxlan: { vni: 42, port: 4789 },
        features: { docker: false, ros2: false },
        filter: { enabled: true, domains: [0], multicastBudgetKbps: 100 },
        ssh: {},
        gateway: {
          host: 'gw',
          publicAddress: 'vpn.example.com',
          cloudIp: '172.31.1.11',
          vpnIp: '10.9.0.2/24',
          openvpnPort: 1194,
          openvpnProto: 'udp',
        },
        seconds: [{ name: 's', host: 's', cloudIp: '172.31.1.12', vpnIp: '10.9.0.3/24' }],
        desktop: { host: 'localhost', lanInterface: 'eno1', addressing: 'dhcp' },
        clients: [],
      });
      // desktop.address with dhcp is ignored, with a warning
      assert.match(at(r, 'desktop.address', 'warning').message, /10\.9\.0\.9\/24 is ignored because desktop.addressing is dhcp/);
    });
    it('defaults seconds to [] and is a deep copy', () => {
      const t = base();
      delete t.seconds;
      const r = validateTopology(t);
      assert.deepEqual(r.topology?.seconds, []);
      const t2 = base();
      const r2 = validateTopology(t2);
      t2.gateway.host = 'changed';
      t2.seconds[0].name = 'changed';
      assert.equal(r2.topology?.gateway.host, 'ros-openvpn');
      assert.equal(r2.topology?.seconds[0]?.name, 'second');
    });
    it('passes on ssh overrides and explicit settings', () => {
      const r = run((t) => {
        t.mtu = 8950;
        t.tunnel = 'gretap';
        t.vxlan = { vni: 7, port: 8472 };
        t.features = { docker: true };
        t.gateway.port = 2222;
        t.gateway.openvpnProto = 'tcp';
        t.desktop = {
          host: 'desk',
          lanInterface: 'enp3s0',
          addressing: 'static',
          address: '192.168.0.10/24',
          defaultGateway: '192.168.0.1',
          user: 'me',
        };
      });
      clean(r);
      assert.equal(r.topology?.mtu, 8950);
      assert.equal(r.topology?.tunnel, 'gretap');
      assert.deepEqual(r.topology?.vxlan, { vni: 7, port: 8472 });
      assert.deepEqual(r.topology?.features, { docker: true, ros2: false });
      assert.equal(r.topology?.gateway.port, 2222);
      assert.equal(r.topology?.gateway.openvpnProto, 'tcp');
      assert.deepEqual(r.topology?.desktop, {
        host: 'desk',
        lanInterface: 'enp3s0',
        addressing: 'static',
        address: '192.168.0.10/24',
        defaultGateway: '192.168.0.1',
        user: 'me',
      });
    });
  });

  describe('rule 1: structure (JSON Schema)', () => {
    it('reports a wrong type once, with the value, the expected type and a hint', () => {
      const r = run((t) => (t.seconds[0].vpnIp = 5));
      const d = at(r, 'seconds[0].vpnIp');
      assert.equal(d.message, '5 is a number; expected a string');
      assert.equal(d.fix, 'use an IPv4 address with prefix length inside robotSubnet, e.g. 192.168.0.131/24');
      assert.equal(r.diagnostics.length, 1, 'no redundant $ref/properties/items units');
    });
    it('reports a missing required field at the field path', () => {
      const r = run((t) => delete t.gateway.cloudIp);
      const d = at(r, 'gateway.cloudIp');
      assert.match(d.message, /missing/);
      assert.match(d.fix as string, /^add "cloudIp": .*172\.31\.1\.11/);
    });
    it('reports a missing top-level field', () => {
      const r = run((t) => delete t.name);
      assert.match(at(r, 'name').fix as string, /add "name"/);
    });
    it('reports an object given as a string once', () => {
      const r = run((t) => (t.desktop = 'eno1'));
      const d = at(r, 'desktop');
      assert.equal(d.message, '"eno1" is a string; expected an object');
      assert.equal(r.diagnostics.length, 1);
    });
    it('gives one diagnostic per bad field', () => {
      const r = run((t) => {
        t.mtu = '1500';
        t.gateway.openvpnPort = 'x';
        t.seconds[0].cloudIp = true;
      });
      assert.deepEqual(r.diagnostics.map((d) => d.path).sort(), ['gateway.openvpnPort', 'mtu', 'seconds[0].cloudIp']);
      assert.equal(at(r, 'mtu').message, '"1500" is a string; expected an integer');
    });
    it('explains enum mismatches and suggests the lowercase spelling', () => {
      const r = run((t) => (t.tunnel = 'VXLAN'));
      const d = at(r, 'tunnel');
      assert.equal(d.message, 'VXLAN is not one of: vxlan, gretap');
      assert.equal(d.fix, 'write vxlan (lowercase)');
    });
    it('reports non-integers', () => {
      assert.match(
        at(
          run((t) => (t.mtu = 1500.5)),
          'mtu',
        ).message,
        /1500\.5 is a number with a fraction; expected an integer/,
      );
    });
    it('limits seconds to 200', () => {
      const r = run((t) => {
        t.robotSubnet = '10.0.0.0/16';
        t.gateway.vpnIp = '10.0.0.1/16';
        t.cloudSubnet = '172.31.0.0/16';
        t.seconds = Array.from({ length: 201 }, (_, i) => ({
          name: `s${i}`,
          host: `h${i}`,
          cloudIp: `172.31.2.${i + 1}`,
          vpnIp: `10.0.1.${i + 1}/16`,
        }));
      });
      assert.match(at(r, 'seconds').message, /has 201 entries; at most 200/);
    });
  });

  describe('rule 2: strict IPv4 and CIDR syntax', () => {
    it('rejects leading zeros as ambiguous', () => {
      const d = at(
        run((t) => (t.gateway.cloudIp = '010.1.1.1')),
        'gateway.cloudIp',
      );
      assert.match(d.message, /^010\.1\.1\.1 has the octet "010" with a leading zero/);
      assert.match(d.message, /ambiguous/);
      assert.equal(d.fix, 'write 10.1.1.1');
    });
    it('rejects octets above 255 and prefixes above 32', () => {
      assert.match(
        at(
          run((t) => (t.seconds[0].cloudIp = '172.31.1.256')),
          'seconds[0].cloudIp',
        ).message,
        /172\.31\.1\.256 has the octet 256, larger than 255/,
      );
      assert.match(
        at(
          run((t) => (t.robotSubnet = '192.168.0.0/33')),
          'robotSubnet',
        ).message,
        /prefix length \/33, larger than 32/,
      );
      assert.match(
        at(
          run((t) => (t.robotSubnet = '192.168.0.0/024')),
          'robotSubnet',
        ).message,
        /"\/024" with a leading zero/,
      );
      assert.match(
        at(
          run((t) => (t.gateway.vpnIp = '192.168.0/24')),
          'gateway.vpnIp',
        ).message,
        /four numbers separated by dots/,
      );
    });
    it('requires a prefix on CIDR fields and no prefix on plain addresses', () => {
      const d = at(
        run((t) => (t.gateway.vpnIp = '192.168.0.130')),
        'gateway.vpnIp',
      );
      assert.match(d.message, /192\.168\.0\.130 has no prefix length/);
      assert.equal(d.fix, 'write 192.168.0.130/24');
      const d2 = at(
        run((t) => (t.gateway.cloudIp = '172.31.1.11/24')),
        'gateway.cloudIp',
      );
      assert.match(d2.message, /has a prefix length/);
      assert.equal(d2.fix, 'write 172.31.1.11');
    });
    it('requires network addresses for robotSubnet and cloudSubnet', () => {
      const d = at(
        run((t) => (t.robotSubnet = '192.168.0.5/24')),
        'robotSubnet',
      );
      assert.equal(d.message, '192.168.0.5/24 is not a network address (host bits are set)');
      assert.equal(d.fix, 'use 192.168.0.0/24');
      assert.equal(
        at(
          run((t) => (t.cloudSubnet = '172.31.1.7/24')),
          'cloudSubnet',
        ).fix,
        'use 172.31.1.0/24',
      );
    });
    it('rejects a robot subnet too small for hosts', () => {
      assert.match(
        at(
          run((t) => (t.robotSubnet = '192.168.0.130/31')),
          'robotSubnet',
        ).message,
        /no room for hosts/,
      );
    });
    it('accepts valid edge values', () => {
      clean(
        run((t) => {
          t.robotSubnet = '10.0.0.0/8';
          t.gateway.vpnIp = '10.255.255.254/8';
          t.seconds[0].vpnIp = '10.0.0.1/8';
        }),
      );
    });
  });

  describe('rule 3: addresses on the robot LAN', () => {
    it('requires the robot subnet prefix length', () => {
      const d = at(
        run((t) => (t.seconds[0].vpnIp = '192.168.0.131/16')),
        'seconds[0].vpnIp',
      );
      assert.equal(d.message, '192.168.0.131/16 has prefix length /16 but robotSubnet 192.168.0.0/24 is a /24');
      assert.equal(d.fix, 'write 192.168.0.131/24');
    });
    it('rejects the network and broadcast addresses', () => {
      assert.match(
        at(
          run((t) => (t.gateway.vpnIp = '192.168.0.0/24')),
          'gateway.vpnIp',
        ).message,
        /192\.168\.0\.0\/24 is the network address of robotSubnet 192\.168\.0\.0\/24/,
      );
      assert.match(
        at(
          run((t) => (t.seconds[0].vpnIp = '192.168.0.255/24')),
          'seconds[0].vpnIp',
        ).message,
        /is the broadcast address/,
      );
    });
    it('names the other field that holds the same address', () => {
      const d = at(
        run((t) => (t.seconds[0].vpnIp = '192.168.0.130/24')),
        'seconds[0].vpnIp',
      );
      assert.equal(d.message, '192.168.0.130/24 is already used by gateway.vpnIp');
      assert.match(d.fix as string, /e\.g\. 192\.168\.0\.131\/24/);
      const d2 = at(
        run((t) => (t.desktop = { host: 'localhost', lanInterface: 'eno1', addressing: 'static', address: '192.168.0.131/24' })),
        'desktop.address',
      );
      assert.equal(d2.message, '192.168.0.131/24 is already used by seconds[0].vpnIp');
    });
    it('checks a static desktop address against robotSubnet', () => {
      const d = at(
        run((t) => (t.desktop = { host: 'localhost', lanInterface: 'eno1', addressing: 'static', address: '10.0.0.5/24' })),
        'desktop.address',
      );
      assert.match(d.message, /10\.0\.0\.5\/24 is outside robotSubnet 192\.168\.0\.0\/24/);
    });
    it('checks desktop.defaultGateway', () => {
      const desk = (gw: string) => (t: Doc) =>
        (t.desktop = { host: 'localhost', lanInterface: 'eno1', addressing: 'static', address: '192.168.0.10/24', defaultGateway: gw });
      assert.match(at(run(desk('10.0.0.1')), 'desktop.defaultGateway').message, /10\.0\.0\.1 is outside robotSubnet 192\.168\.0\.0\/24/);
      assert.equal(at(run(desk('192.168.0.130')), 'desktop.defaultGateway').message, '192.168.0.130 is already used by gateway.vpnIp');
      assert.equal(at(run(desk('192.168.0.10')), 'desktop.defaultGateway').message, '192.168.0.10 is already used by desktop.address');
      assert.match(at(run(desk('192.168.0.255')), 'desktop.defaultGateway').message, /broadcast/);
      clean(run(desk('192.168.0.1')));
    });
    it('accepts distinct addresses inside the subnet', () => {
      clean(run((t) => t.seconds.push({ name: 'second-2', host: 'h2', cloudIp: '172.31.1.13', vpnIp: '192.168.0.132/24' })));
    });
  });

  describe('rule 4: cloud addresses', () => {
    it('rejects duplicates, naming the other field', () => {
      const d = at(
        run((t) => (t.seconds[0].cloudIp = '172.31.1.11')),
        'seconds[0].cloudIp',
      );
      assert.equal(d.message, '172.31.1.11 is already used by gateway.cloudIp');
    });
    it('requires cloud IPs inside cloudSubnet', () => {
      const d = at(
        run((t) => (t.gateway.cloudIp = '172.31.2.11')),
        'gateway.cloudIp',
      );
      assert.equal(d.message, '172.31.2.11 is outside cloudSubnet 172.31.1.0/24');
    });
    it('rejects the network and broadcast address of cloudSubnet', () => {
      assert.match(
        at(
          run((t) => (t.gateway.cloudIp = '172.31.1.0')),
          'gateway.cloudIp',
        ).message,
        /172\.31\.1\.0 is the network address of cloudSubnet/,
      );
      assert.match(
        at(
          run((t) => (t.seconds[0].cloudIp = '172.31.1.255')),
          'seconds[0].cloudIp',
        ).message,
        /172\.31\.1\.255 is the broadcast address of cloudSubnet/,
      );
    });
    it('accepts any distinct cloud IPs when cloudSubnet is not given', () => {
      clean(
        run((t) => {
          delete t.cloudSubnet;
          t.gateway.cloudIp = '10.1.2.3';
          t.seconds[0].cloudIp = '172.16.9.9';
        }),
      );
    });
  });

  describe('rule 5: robot LAN vs VPC', () => {
    it('rejects overlapping subnets as a routing conflict', () => {
      const r = run((t) => (t.cloudSubnet = '192.168.0.0/16'));
      const d = at(r, 'robotSubnet');
      assert.match(d.message, /^192\.168\.0\.0\/24 overlaps cloudSubnet 192\.168\.0\.0\/16 \(routing conflict/);
    });
    it('rejects a cloud IP inside robotSubnet', () => {
      const r = run((t) => {
        delete t.cloudSubnet;
        t.seconds[0].cloudIp = '192.168.0.50';
      });
      assert.match(at(r, 'seconds[0].cloudIp').message, /192\.168\.0\.50 lies inside robotSubnet 192\.168\.0\.0\/24 \(routing conflict\)/);
    });
    it('accepts separate subnets', () => {
      clean(
        run((t) => {
          t.cloudSubnet = '192.168.1.0/24';
          t.gateway.cloudIp = '192.168.1.11';
          t.seconds[0].cloudIp = '192.168.1.12';
        }),
      );
    });
  });

  describe('rule 6: warnings', () => {
    const moveRobot = (subnet: string, a: string, b: string) => (t: Doc) => {
      t.robotSubnet = subnet;
      t.gateway.vpnIp = a;
      t.seconds[0].vpnIp = b;
    };
    it("warns when robotSubnet overlaps Docker's 172.17.0.0/16", () => {
      const r = run(moveRobot('172.17.5.0/24', '172.17.5.2/24', '172.17.5.3/24'));
      assert.match(at(r, 'robotSubnet', 'warning').message, /172\.17\.5\.0\/24 overlaps Docker's default bridge network 172\.17\.0\.0\/16/);
      assert.ok(r.topology, 'still valid');
    });
    it("warns when robotSubnet overlaps OpenVPN's 192.168.255.0/24", () => {
      const r = run(moveRobot('192.168.255.0/24', '192.168.255.2/24', '192.168.255.3/24'));
      assert.match(at(r, 'robotSubnet', 'warning').message, /overlaps OpenVPN's server address pool 192\.168\.255\.0\/24/);
      assert.ok(r.topology);
    });
    it('does not warn for other subnets', () => {
      clean(run(moveRobot('172.18.0.0/24', '172.18.0.2/24', '172.18.0.3/24')));
    });
    it('warns when gateway.publicAddress is missing', () => {
      const r = run((t) => delete t.gateway.publicAddress);
      const d = at(r, 'gateway.publicAddress', 'warning');
      assert.match(d.message, /needed to render the OpenVPN client profile/);
      assert.match(d.fix as string, /rosvpn cloud up/);
      assert.ok(r.topology);
      assert.equal(r.topology?.gateway.publicAddress, undefined);
    });
    it('warns when there are no seconds', () => {
      const r = run((t) => (t.seconds = []));
      assert.match(at(r, 'seconds', 'warning').message, /0 second instances/);
      assert.ok(r.topology);
    });
    it('warns about unknown keys with a suggestion, and keeps the file valid', () => {
      const r = run((t) => (t.gateway.vpnip = '1'));
      assert.equal(
        formatDiagnostic(at(r, 'gateway.vpnip', 'warning')),
        'rosvpn.json: warning: gateway.vpnip: unknown key — did you mean vpnIp?',
      );
      assert.ok(r.topology);
      assert.equal(Object.prototype.hasOwnProperty.call(r.topology?.gateway, 'vpnip'), false);
      const r2 = run((t) => (t.seconds[0].frobnicate = true));
      assert.match(at(r2, 'seconds[0].frobnicate', 'warning').fix as string, /remove it, or rename it to x-frobnicate/);
      const r3 = run((t) => (t.robotsubnet = '1'));
      assert.equal(at(r3, 'robotsubnet', 'warning').fix, 'did you mean robotSubnet?');
    });
    it('is silent about x- and _ keys and the top-level $schema', () => {
      clean(
        run((t) => {
          t.$schema = './rosvpn.schema.json';
          t['x-owner'] = 'me';
          t._comment = 'note';
          t.gateway['x-ami'] = 'ami-123';
          t.seconds[0]._note = { any: ['thing'] };
          t.desktop['x-room'] = 42;
        }),
      );
    });
  });

  describe('rule 7: Linux interface names', () => {
    const nic = (name: string) => run((t) => (t.desktop.lanInterface = name));
    it('rejects bad names', () => {
      assert.match(at(nic('a/b'), 'desktop.lanInterface').message, /a\/b contains '\/'/);
      assert.match(at(nic('.'), 'desktop.lanInterface').message, /is not a valid Linux interface name/);
      assert.match(at(nic('..'), 'desktop.lanInterface').message, /is not a valid Linux interface name/);
      assert.match(at(nic('eth0:1'), 'desktop.lanInterface').message, /contains ':'/);
      assert.match(at(nic('abcdefghijklmnop'), 'desktop.lanInterface').message, /16 characters long; the limit is 15/);
      assert.match(at(nic('en o1'), 'desktop.lanInterface').message, /contains whitespace/);
      assert.match(at(nic(''), 'desktop.lanInterface').message, /must start with/);
    });
    it('rejects the interfaces rosvpn creates', () => {
      assert.match(at(nic('rosbridge'), 'desktop.lanInterface').message, /rosbridge is the bridge rosvpn creates/);
      assert.match(at(nic('tap0'), 'desktop.lanInterface').message, /tap0 is an OpenVPN tap device/);
      assert.match(at(nic('tapx'), 'desktop.lanInterface').message, /tap device/);
    });
    it('accepts real interface names', () => {
      for (const n of ['eno1', 'enp3s0', 'eth0.100', 'abcdefghijklmno', 'br_lan', 'wlp2s0']) clean(nic(n));
    });
  });

  describe('rule 8: names', () => {
    it('rejects bad deployment and second names', () => {
      const d = at(
        run((t) => (t.name = 'Demo')),
        'name',
      );
      assert.match(d.message, /Demo contains uppercase letters/);
      assert.equal(d.fix, 'write demo');
      assert.match(
        at(
          run((t) => (t.name = '-demo')),
          'name',
        ).message,
        /"-demo" starts with '-'/,
      );
      assert.match(
        at(
          run((t) => (t.seconds[0].name = 'second-')),
          'seconds[0].name',
        ).message,
        /starts or ends with '-'/,
      );
      assert.match(
        at(
          run((t) => (t.seconds[0].name = 'my_second')),
          'seconds[0].name',
        ).message,
        /contains '_'/,
      );
      assert.match(
        at(
          run((t) => (t.name = 'a'.repeat(41))),
          'name',
        ).message,
        /41 characters long; the limit is 40/,
      );
    });
    it('requires unique second names', () => {
      const r = run((t) => t.seconds.push({ name: 'second', host: 'h2', cloudIp: '172.31.1.13', vpnIp: '192.168.0.132/24' }));
      const d = at(r, 'seconds[1].name');
      assert.equal(d.message, 'second is already the name of seconds[0]');
    });
    it('reserves gateway and desktop', () => {
      assert.match(
        at(
          run((t) => (t.seconds[0].name = 'gateway')),
          'seconds[0].name',
        ).message,
        /gateway is reserved/,
      );
      assert.match(
        at(
          run((t) => (t.seconds[0].name = 'desktop')),
          'seconds[0].name',
        ).message,
        /desktop is reserved/,
      );
    });
    it('accepts good names', () => {
      clean(
        run((t) => {
          t.name = 'a'.repeat(40);
          t.seconds[0].name = 'second-2';
        }),
      );
      clean(run((t) => (t.name = '0')));
    });
  });

  describe('rule 9: ports, tunnel, mtu, addressing', () => {
    it('rejects ports outside 1–65535', () => {
      assert.equal(
        at(
          run((t) => (t.gateway.openvpnPort = 0)),
          'gateway.openvpnPort',
        ).message,
        '0 is out of range 1–65535',
      );
      assert.equal(
        at(
          run((t) => (t.gateway.openvpnPort = 65536)),
          'gateway.openvpnPort',
        ).message,
        '65536 is out of range 1–65535',
      );
      assert.equal(
        at(
          run((t) => (t.ssh.port = 70000)),
          'ssh.port',
        ).message,
        '70000 is out of range 1–65535',
      );
      assert.equal(
        at(
          run((t) => (t.seconds[0].port = -1)),
          'seconds[0].port',
        ).message,
        '-1 is out of range 1–65535',
      );
      assert.equal(
        at(
          run((t) => (t.vxlan = { port: 0 })),
          'vxlan.port',
        ).message,
        '0 is out of range 1–65535',
      );
      assert.match(
        at(
          run((t) => (t.seconds[0].jump = 'ubuntu@bastion:70000')),
          'seconds[0].jump',
        ).message,
        /has port 70000, outside 1–65535/,
      );
    });
    it('accepts ports at the limits', () => {
      clean(
        run((t) => {
          t.gateway.openvpnPort = 1;
          t.ssh.port = 65535;
          t.vxlan = { port: 65535, vni: 16777215 };
          t.seconds[0].jump = 'ubuntu@bastion:22';
        }),
      );
    });
    it('knows the tunnel modes', () => {
      assert.equal(
        at(
          run((t) => (t.tunnel = 'ipip')),
          'tunnel',
        ).message,
        'ipip is not one of: vxlan, gretap',
      );
      clean(run((t) => (t.tunnel = 'gretap')));
    });
    it('limits mtu to 1280..8950', () => {
      assert.equal(
        at(
          run((t) => (t.mtu = 1279)),
          'mtu',
        ).message,
        '1279 is out of range 1280–8950',
      );
      assert.equal(
        at(
          run((t) => (t.mtu = 8951)),
          'mtu',
        ).message,
        '8951 is out of range 1280–8950',
      );
      clean(run((t) => (t.mtu = 1280)));
    });
    it('requires address with static addressing', () => {
      const d = at(
        run((t) => (t.desktop.addressing = 'static')),
        'desktop.address',
      );
      assert.match(d.message, /missing; desktop.addressing is static/);
      assert.match(d.fix as string, /add "address"/);
    });
    it('warns that address and defaultGateway are ignored with dhcp', () => {
      const r = run((t) => {
        t.desktop.addressing = 'dhcp';
        t.desktop.address = '192.168.0.10/24';
        t.desktop.defaultGateway = '192.168.0.1';
      });
      assert.match(at(r, 'desktop.address', 'warning').message, /ignored because desktop.addressing is dhcp/);
      assert.match(at(r, 'desktop.defaultGateway', 'warning').message, /192\.168\.0\.1 is ignored/);
      assert.ok(r.topology);
      assert.equal(r.topology?.desktop?.address, undefined);
    });
  });

  describe('rule 10: jumps', () => {
    it('rejects the gateway jumping through itself', () => {
      assert.match(
        at(
          run((t) => (t.gateway.jump = 'gateway')),
          'gateway.jump',
        ).message,
        /the gateway cannot jump through itself/,
      );
    });
    it('rejects the desktop jumping through the gateway', () => {
      assert.match(
        at(
          run((t) => (t.desktop.jump = 'gateway')),
          'desktop.jump',
        ).message,
        /the desktop is on the robot LAN, not in the VPC/,
      );
    });
    it('rejects an inherited ssh.jump = gateway', () => {
      const r = run((t) => (t.ssh.jump = 'gateway'));
      const ds = r.diagnostics.filter((d) => d.path === 'ssh.jump');
      assert.equal(ds.length, 2);
      assert.match(ds[0]?.message as string, /inherited by the gateway/);
      assert.match(ds[1]?.message as string, /inherited by the desktop/);
    });
    it('accepts jump on seconds, and overrides', () => {
      clean(
        run((t) => {
          t.ssh.jump = 'gateway';
          t.gateway.jump = 'bastion';
          t.desktop.jump = 'lan-hop';
        }),
      );
    });
  });

  describe('rule 11: hostile and malformed documents', () => {
    it('requires a JSON object', () => {
      for (const v of [[], null, 'rosvpn', 5, true, undefined]) {
        const r = validateTopology(v);
        assert.equal(r.topology, undefined);
        assert.equal(r.diagnostics.length, 1);
        assert.equal(r.diagnostics[0]?.path, '');
        assert.match(r.diagnostics[0]?.message as string, /must be a JSON object/);
      }
    });
    it('names non-ASCII code points', () => {
      const d = at(
        run((t) => (t.gateway.vpnIp = '192.168.0.13\uFF11/24')),
        'gateway.vpnIp',
      );
      assert.match(d.message, /contains U\+FF11 FULLWIDTH DIGIT ONE/);
      assert.match(d.fix as string, /type plain ASCII/);
      assert.match(d.fix as string, /'1'/);
    });
    it('names control characters and never echoes them', () => {
      const d = at(
        run((t) => (t.gateway.host = 'ros\u001b[31m')),
        'gateway.host',
      );
      assert.match(d.message, /contains the control character U\+001B ESCAPE/);
      assert.ok(!formatDiagnostic(d).includes('\u001b'), 'escape sequences are not printed raw');
      assert.match(
        at(
          run((t) => (t.name = 'a\nb')),
          'name',
        ).message,
        /U\+000A LINE FEED/,
      );
    });
    it('rejects command substitution and metacharacters', () => {
      assert.match(
        at(
          run((t) => (t.seconds[0].host = '$(reboot)')),
          'seconds[0].host',
        ).message,
        /command substitution \$\(…\)/,
      );
      assert.match(
        at(
          run((t) => (t.seconds[0].host = 'a;b')),
          'seconds[0].host',
        ).message,
        /shell metacharacter ';'/,
      );
    });
    it('allows backslash, colon and space in identityFile only', () => {
      clean(run((t) => (t.ssh.identityFile = 'C:\\Users\\me\\My Keys\\id_ed25519')));
      assert.match(
        at(
          run((t) => (t.ssh.user = 'a\\b')),
          'ssh.user',
        ).message,
        /backslash/,
      );
      assert.match(
        at(
          run((t) => (t.ssh.identityFile = '~/.ssh/$KEY')),
          'ssh.identityFile',
        ).message,
        /'\$'/,
      );
      assert.match(
        at(
          run((t) => (t.ssh.identityFile = "~/.ssh/it's")),
          'ssh.identityFile',
        ).message,
        /single quote/,
      );
    });
    it('rejects a leading - in host, user and jump (ssh option injection)', () => {
      for (const p of [
        ['gateway', 'host'],
        ['ssh', 'user'],
        ['seconds', 0, 'jump'],
      ] as const) {
        const r = run((t) => {
          let o = t;
          for (const s of p.slice(0, -1)) o = o[s];
          o[p[p.length - 1] as string] = '-oProxyCommand=x';
        });
        const path = p.length === 3 ? 'seconds[0].jump' : p.join('.');
        assert.match(at(r, path).message, /starts with '-', which ssh would read as an option/);
      }
    });
    it('rejects hostile values before interpreting anything else', () => {
      const r = run((t) => {
        t.gateway.vpnIp = '$(reboot)';
        t.mtu = 'not a number';
        t.seconds[0].vpnIp = '10.0.0.1/24';
      });
      assert.deepEqual(
        r.diagnostics.map((d) => d.path),
        ['gateway.vpnIp'],
      );
    });
    it('rejects hostile keys anywhere, and caps unknown strings at 4096', () => {
      assert.match(
        at(
          run((t) => (t.gateway['a;b'] = 1)),
          'gateway["a;b"]',
        ).message,
        /^key "a;b" contains the shell metacharacter ';'/,
      );
      assert.match(
        at(
          run((t) => (t['x-\u202e'] = 1)),
          '["x-\\u202E"]',
        ).message,
        /U\+202E RIGHT-TO-LEFT OVERRIDE/,
      );
      assert.match(
        at(
          run((t) => (t['x-long'] = 'a'.repeat(5000))),
          'x-long',
        ).message,
        /5000 characters long; no string may exceed 4096/,
      );
      clean(run((t) => (t['x-long'] = 'a'.repeat(4096))));
    });
    it('rejects documents nested deeper than 32 levels', () => {
      const nest = (n: number): unknown => {
        let v: unknown = 0;
        for (let i = 0; i < n; i++) v = [v];
        return v;
      };
      const r = run((t) => (t['x-deep'] = nest(40)));
      assert.equal(r.topology, undefined);
      assert.match(r.diagnostics[0]?.message as string, /nesting is deeper than 32 levels/);
      assert.ok((r.diagnostics[0]?.path as string).startsWith('x-deep[0][0]'));
      clean(run((t) => (t['x-deep'] = nest(20))));
    });
    it('rejects more than 10,000 values', () => {
      const r = run((t) => (t['x-big'] = new Array(10_001).fill(0)));
      assert.equal(r.topology, undefined);
      assert.match(r.diagnostics[0]?.message as string, /10001 entries/);
      const r2 = run((t) => (t['x-big'] = Array.from({ length: 100 }, () => new Array(100).fill(0))));
      assert.match(r2.diagnostics[0]?.message as string, /more than 10000 values/);
      clean(run((t) => (t['x-big'] = new Array(9_000).fill(0))));
    });
    it('never throws: cycles, throwing getters, non-JSON values', () => {
      const cyclic = base();
      cyclic['x-self'] = cyclic;
      assert.match(validateTopology(cyclic).diagnostics[0]?.message as string, /nesting is deeper/);
      const getter = base();
      Object.defineProperty(getter, 'x-boom', {
        enumerable: true,
        get: () => {
          throw new Error('boom');
        },
      });
      const rg = validateTopology(getter);
      assert.equal(rg.topology, undefined);
      assert.match(rg.diagnostics[0]?.message as string, /internal error.*boom/);
      assert.match(
        at(
          run((t) => (t.mtu = NaN)),
          'mtu',
        ).message,
        /NaN is not a JSON number/,
      );
      assert.match(
        at(
          run((t) => (t['x-f'] = () => 1)),
          'x-f',
        ).message,
        /not a JSON value \(function\)/,
      );
      assert.match(
        at(
          run((t) => (t.gateway.x = new Date(0))),
          'gateway.x',
        ).message,
        /not a plain JSON object/,
      );
      assert.match(
        at(
          run((t) => (t['x-b'] = 10n)),
          'x-b',
        ).message,
        /not a JSON value \(bigint\)/,
      );
    });
    it('keeps __proto__ an ordinary key', () => {
      const doc = JSON.parse(JSON.stringify(base()).replace('{', '{"__proto__":{"polluted":true},'));
      const r = validateTopology(doc);
      clean(r);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal((r.topology as unknown as Record<string, unknown>).polluted, undefined);
    });
    it('treats properties set to undefined as absent', () => {
      clean(run((t) => (t.cloudSubnet = undefined)));
    });
  });
  describe('rule 12: what AWS reserves, private ranges, ports and names the engine uses', () => {
    it('rejects every cloudIp AWS reserves in cloudSubnet (network, .1, .2, .3, broadcast), naming the usable range', () => {
      const cases: [string, RegExp][] = [
        ['172.31.1.0', /network address/],
        ['172.31.1.1', /VPC router/],
        ['172.31.1.2', /Amazon DNS server/],
        ['172.31.1.3', /future use/],
        ['172.31.1.255', /broadcast address/],
      ];
      for (const [ip, why] of cases) {
        const d = at(
          run((t) => (t.gateway.cloudIp = ip)),
          'gateway.cloudIp',
        );
        assert.match(d.message, why, ip);
        assert.match(d.message, /AWS reserves it/);
        assert.equal(d.fix, 'use a free address from 172.31.1.4 to 172.31.1.254');
      }
      // Negative control: the first and the last address AWS hands out are fine.
      clean(run((t) => (t.gateway.cloudIp = '172.31.1.4')));
      clean(run((t) => (t.seconds[0].cloudIp = '172.31.1.254')));
    });
    it('requires a private robotSubnet (RFC 1918 or 100.64.0.0/10), not link-local', () => {
      const robot = (subnet: string, a: string, b: string) => (t: Doc) => {
        t.robotSubnet = subnet;
        t.gateway.vpnIp = a;
        t.seconds[0].vpnIp = b;
      };
      assert.match(
        at(run(robot('44.232.53.0/24', '44.232.53.2/24', '44.232.53.3/24')), 'robotSubnet').message,
        /44\.232\.53\.0\/24 is not a private range/,
      );
      assert.match(at(run(robot('172.0.0.0/8', '172.0.0.2/8', '172.0.0.3/8')), 'robotSubnet').message, /is not a private range/);
      assert.match(
        at(run(robot('169.254.10.0/24', '169.254.10.2/24', '169.254.10.3/24')), 'robotSubnet').message,
        /overlaps the link-local range 169\.254\.0\.0\/16/,
      );
      for (const [a, b, c] of [
        ['10.20.0.0/16', '10.20.0.2/16', '10.20.0.3/16'],
        ['172.16.4.0/24', '172.16.4.2/24', '172.16.4.3/24'],
        ['100.64.1.0/24', '100.64.1.2/24', '100.64.1.3/24'],
      ]) {
        clean(run(robot(a, b, c)));
      }
    });
    it('refuses OpenVPN and VXLAN on the same UDP port, and OpenVPN over TCP on 22', () => {
      assert.match(
        at(
          run((t) => (t.vxlan = { port: 1194 })),
          'vxlan.port',
        ).message,
        /UDP 1194 is also gateway\.openvpnPort/,
      );
      assert.match(
        at(
          run((t) => (t.gateway.openvpnPort = 4789)),
          'gateway.openvpnPort',
        ).message,
        /UDP 4789 is also the VXLAN port/,
      );
      assert.match(
        at(
          run((t) => Object.assign(t.gateway, { openvpnProto: 'tcp', openvpnPort: 22 })),
          'gateway.openvpnPort',
        ).message,
        /TCP 22 is SSH on the gateway/,
      );
      // Negative controls: different protocols or tunnels do not share a socket.
      clean(run((t) => Object.assign(t.gateway, { openvpnProto: 'tcp', openvpnPort: 4789 })));
      clean(run((t) => Object.assign(t, { tunnel: 'gretap', vxlan: { port: 1194 } })));
      clean(run((t) => (t.gateway.openvpnPort = 22)));
    });
    it('refuses a lanInterface rosvpn or Docker creates', () => {
      const nic = (name: string) => run((t) => (t.desktop.lanInterface = name));
      assert.match(at(nic('rosvx0'), 'desktop.lanInterface').message, /VXLAN device rosvpn creates/);
      assert.match(at(nic('rosgre0'), 'desktop.lanInterface').message, /gretap device name rosvpn creates/);
      assert.match(at(nic('rosgre12'), 'desktop.lanInterface').message, /gretap/);
      assert.match(at(nic('docker0'), 'desktop.lanInterface').message, /docker0 is Docker's bridge/);
      for (const ok of ['eno1', 'enp3s0', 'docker1', 'rosbr', 'eth0']) clean(nic(ok));
    });
    it('refuses a publicAddress that is 0.0.0.0, loopback or private; documentation and public addresses pass', () => {
      for (const [addr, why] of [
        ['0.0.0.0', /unspecified/],
        ['127.0.0.1', /loopback/],
        ['10.1.2.3', /private/],
        ['172.16.0.9', /private/],
        ['192.168.7.1', /private/],
        ['169.254.169.254', /link-local/],
        ['localhost', /loopback/],
      ] as const) {
        const d = at(
          run((t) => (t.gateway.publicAddress = addr)),
          'gateway.publicAddress',
        );
        assert.match(d.message, why, addr);
      }
      for (const ok of ['44.232.53.80', '203.0.113.10', '198.51.100.7', 'vpn.example.com'])
        clean(run((t) => (t.gateway.publicAddress = ok)));
    });
    it('refuses second names whose script collides with a file the engine uploads', () => {
      assert.match(
        at(
          run((t) => (t.seconds[0].name = 'gateway')),
          'seconds[0].name',
        ).message,
        /~\/rosvpn-gateway\.sh/,
      );
      assert.match(
        at(
          run((t) => (t.seconds[0].name = 'desktop')),
          'seconds[0].name',
        ).message,
        /~\/rosvpn-desktop\.sh/,
      );
      clean(run((t) => (t.seconds[0].name = 'gateway-2')));
    });
    it('accepts a deployment id of 16 hex digits and refuses anything else', () => {
      const r = run((t) => (t.deployment = '3f9c0a7d5e2b8c41'));
      clean(r);
      assert.equal(r.topology?.deployment, '3f9c0a7d5e2b8c41');
      for (const bad of ['3F9C0A7D5E2B8C41', '3f9c0a7d', 'demo', '3f9c0a7d5e2b8c41a']) {
        assert.match(
          at(
            run((t) => (t.deployment = bad)),
            'deployment',
          ).fix as string,
          /16 hex digits/,
          bad,
        );
      }
    });
  });
  describe('rule 13: clients (issue I)', () => {
    const client = (over: Doc = {}): Doc => ({ name: 'alice-laptop', vpnIp: '192.168.0.254/24', ...over });
    const withClients = (...cs: Doc[]) => run((t) => (t.clients = cs));

    it('accepts clients with and without host, and normalizes them (ssh settings kept, keys unknown to the schema dropped)', () => {
      const r = withClients(
        client(),
        client({ name: 'field', vpnIp: '192.168.0.253/24', host: 'field.local', user: 'rosuser', port: 2222 }),
      );
      clean(r);
      assert.deepEqual(r.topology?.clients, [
        { name: 'alice-laptop', vpnIp: '192.168.0.254/24' },
        { name: 'field', vpnIp: '192.168.0.253/24', host: 'field.local', user: 'rosuser', port: 2222 },
      ]);
      assert.deepEqual(validateTopology(base()).topology?.clients, []);
    });

    it('requires name and vpnIp, naming the field and an example', () => {
      const r = withClients({ vpnIp: '192.168.0.254/24' });
      assert.match(at(r, 'clients[0].name').fix as string, /add "name": .*alice-laptop/);
      assert.match(at(withClients({ name: 'bob' }), 'clients[0].vpnIp').fix as string, /add "vpnIp": .*inside robotSubnet/);
      assert.match(
        at(
          run((t) => (t.clients = {})),
          'clients',
        ).message,
        /expected a list/,
      );
    });

    it('refuses names that are not a lowercase letter then up to 30 of [a-z0-9-], suggesting a fix', () => {
      const cases: [string, RegExp, RegExp][] = [
        ['Alice', /uppercase/, /write alice/],
        ['alice_laptop', /contains '_'/, /write alice-laptop/],
        ['9lives', /must start with a lowercase letter/, /write lives/],
        ['-x', /starts with '-'/, /remove the leading '-'/],
        ['a'.repeat(32), /32 characters long; the limit is 31.*names are at most 31 characters/, /at most 31/],
      ];
      for (const [name, message, fix] of cases) {
        const d = at(withClients(client({ name })), 'clients[0].name');
        assert.match(d.message, message, name);
        assert.match(d.fix as string, fix, name);
      }
      clean(withClients(client({ name: 'a' }), client({ name: 'b'.repeat(31), vpnIp: '192.168.0.253/24' })));
      clean(withClients(client({ name: 'lab-2-' })));
    });

    it('reserves gateway, desktop, server, robot and ros_local_gateway', () => {
      for (const name of ['gateway', 'desktop', 'server', 'robot']) {
        const d = at(withClients(client({ name })), 'clients[0].name');
        assert.match(d.message, new RegExp(`${name} is reserved`));
        assert.match(d.fix as string, /choose another name, e\.g\. [a-z]+-laptop/);
      }
      // The desktop's certificate name cannot even be written (the pattern has no '_').
      assert.match(at(withClients(client({ name: 'ros_local_gateway' })), 'clients[0].name').message, /contains '_'/);
    });

    it('requires names unique across clients and seconds', () => {
      const dup = at(withClients(client(), client({ vpnIp: '192.168.0.253/24' })), 'clients[1].name');
      assert.match(dup.message, /alice-laptop is already the name of clients\[0\]/);
      assert.match(dup.fix as string, /e\.g\. alice-laptop-2/);
      const second = at(withClients(client({ name: 'second' })), 'clients[0].name');
      assert.match(second.message, /second is already the name of seconds\[0\]/);
      assert.match(second.fix as string, /every client and second its own name/);
    });

    it('requires vpnIp inside robotSubnet with its prefix, not the network or broadcast address', () => {
      const outside = at(withClients(client({ vpnIp: '192.168.1.5/24' })), 'clients[0].vpnIp');
      assert.match(outside.message, /192\.168\.1\.5\/24 is outside robotSubnet 192\.168\.0\.0\/24/);
      // The example counts from the top of the subnet down, where clients live.
      assert.match(outside.fix as string, /e\.g\. 192\.168\.0\.254\/24/);
      const prefix = at(withClients(client({ vpnIp: '192.168.0.254/25' })), 'clients[0].vpnIp');
      assert.match(prefix.message, /prefix length \/25 but robotSubnet 192\.168\.0\.0\/24 is a \/24/);
      assert.match(prefix.fix as string, /write 192\.168\.0\.254\/24/);
      assert.match(at(withClients(client({ vpnIp: '192.168.0.0/24' })), 'clients[0].vpnIp').message, /network address/);
      assert.match(at(withClients(client({ vpnIp: '192.168.0.255/24' })), 'clients[0].vpnIp').message, /broadcast address/);
      assert.match(at(withClients(client({ vpnIp: '192.168.0.254' })), 'clients[0].vpnIp').fix as string, /192\.168\.0\.254\/24/);
    });

    it("refuses a vpnIp held by the gateway, a second, a static desktop, the desktop's router or another client", () => {
      const gw = at(withClients(client({ vpnIp: '192.168.0.130/24' })), 'clients[0].vpnIp');
      assert.match(gw.message, /192\.168\.0\.130\/24 is already used by gateway\.vpnIp/);
      assert.match(
        gw.fix as string,
        /every host needs its own address; choose a free address inside 192\.168\.0\.0\/24, e\.g\. 192\.168\.0\.254\/24/,
      );
      assert.match(
        at(withClients(client({ vpnIp: '192.168.0.131/24' })), 'clients[0].vpnIp').message,
        /already used by seconds\[0\]\.vpnIp/,
      );
      const staticDesktop = (t: Doc) =>
        (t.desktop = {
          host: 'localhost',
          lanInterface: 'eno1',
          addressing: 'static',
          address: '192.168.0.10/24',
          defaultGateway: '192.168.0.1',
        });
      assert.match(
        at(
          run((t) => {
            staticDesktop(t);
            t.clients = [client({ vpnIp: '192.168.0.10/24' })];
          }),
          'clients[0].vpnIp',
        ).message,
        /already used by desktop\.address/,
      );
      assert.match(
        at(
          run((t) => {
            staticDesktop(t);
            t.clients = [client({ vpnIp: '192.168.0.1/24' })];
          }),
          'desktop.defaultGateway',
        ).message,
        /192\.168\.0\.1 is already used by clients\[0\]\.vpnIp/,
      );
      const two = at(withClients(client(), client({ name: 'bob' })), 'clients[1].vpnIp');
      assert.match(two.message, /already used by clients\[0\]\.vpnIp/);
      assert.match(two.fix as string, /e\.g\. 192\.168\.0\.253\/24/);
    });

    it('validates ssh settings like other hosts, and warns about settings without host', () => {
      assert.match(at(withClients(client({ host: '-oProxyCommand=x' })), 'clients[0].host').message, /option injection/);
      assert.match(at(withClients(client({ host: 'a b' })), 'clients[0].host').message, /space|metacharacter/);
      assert.match(at(withClients(client({ host: 'lap', port: 70000 })), 'clients[0].port').message, /out of range/);
      assert.match(at(withClients(client({ host: 'lap', user: 'a$(x)' })), 'clients[0].user').message, /command substitution/);
      assert.match(at(withClients(client({ host: 'lap', jump: 'me@bastion:99999' })), 'clients[0].jump').message, /outside 1–65535/);
      const viaGateway = at(withClients(client({ host: 'lap', jump: 'gateway' })), 'clients[0].jump');
      assert.match(viaGateway.message, /outside the VPC/);
      assert.match(viaGateway.fix as string, /remove jump/);
      const orphan = at(withClients(client({ user: 'alice' })), 'clients[0].user', 'warning');
      assert.match(orphan.message, /ignored: clients\[0\] has no host/);
      assert.match(orphan.fix as string, /add "host"/);
      assert.match(at(withClients(client({ hostt: 'x' })), 'clients[0].hostt', 'warning').fix as string, /did you mean host\?/);
    });

    it('limits clients to 200', () => {
      const many = Array.from({ length: 201 }, (_, i) =>
        client({ name: `c${i}`, vpnIp: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}/16` }),
      );
      assert.match(at(withClients(...many), 'clients').message, /201 entries; at most 200/);
    });
  });
});
