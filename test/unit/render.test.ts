// Rendering: golden scripts per role for vxlan and gretap with 1 and 3 seconds, shellcheck and bash -n
// on every script and every file a script installs, and the guarantees the scripts make.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { renderClientStatus, renderGatewayPki, renderTopology, renderUnprovision, type RenderedScript } from '../../src/core/render';
import { q, UnsafeValueError } from '../../src/core/render/bash';
import { PROFILE_BLOCKS, PROFILE_DIRECTIVES, renderClientOptions, renderProfileCheck } from '../../src/core/render/openvpn';
import { netmask } from '../../src/core/render/pki';
import type { ValidTopology } from '../../src/core/topology/types';
import { requireTool, run } from '../../lab/sh';
import { loadFixture } from '../support/fixtures';

const GOLDEN = path.join(__dirname, '..', 'golden');
const CASES = ['vxlan-1', 'vxlan-3', 'gretap-1', 'gretap-3', 'clients-2'];

function renderFixture(name: string): RenderedScript[] {
  const r = renderTopology(loadFixture(name));
  assert.deepEqual(r.diagnostics, []);
  return r.scripts;
}

/** Every script of a fixture: renderTopology's, the gateway's pki.sh and client status script, and each host's unprovision script. */
function renderAll(name: string): RenderedScript[] {
  const t = loadFixture(name);
  const status = {
    role: 'gateway' as const,
    hostName: 'gateway',
    fileName: 'client-status.sh',
    content: renderClientStatus(t),
    embedded: [],
  };
  const hosts = renderFixture(name);
  const unprovision = hosts.map((s) => renderUnprovision(t, s.hostName, { purge: false }));
  return [...hosts, renderGatewayPki(t), status, ...unprovision];
}

function script(scripts: RenderedScript[], file: string): string {
  const s = scripts.find((x) => x.fileName === file);
  assert.ok(s, `no ${file} among ${scripts.map((x) => x.fileName).join(', ')}`);
  return s.content;
}

describe('render: golden scripts', () => {
  for (const c of CASES) {
    it(`${c}: every script equals test/golden/${c}/ (UPDATE_GOLDEN=1 to accept a change)`, () => {
      const scripts = renderAll(c);
      const dir = path.join(GOLDEN, c);
      if (process.env.UPDATE_GOLDEN === '1') {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
        for (const s of scripts) fs.writeFileSync(path.join(dir, s.fileName), s.content);
      }
      const expected = fs.readdirSync(dir).sort();
      assert.deepEqual(scripts.map((s) => s.fileName).sort(), expected);
      for (const s of scripts) {
        assert.equal(s.content, fs.readFileSync(path.join(dir, s.fileName), 'utf8'), `${c}/${s.fileName} differs from golden`);
      }
    });
  }
});

describe('render: lint', () => {
  before(() => requireTool('shellcheck'));

  for (const c of CASES) {
    it(`${c}: scripts and installed scripts pass bash -n and shellcheck with no findings`, () => {
      const t = loadFixture(c);
      const rotate = t.clients.length ? [renderGatewayPki(t, { rotate: [t.clients[0].name] })] : [];
      for (const s of [...renderAll(c), ...rotate]) {
        const units = [
          { name: s.fileName, content: s.content, shell: 'bash' },
          ...s.embedded.map((e) => ({ name: `${s.fileName}:${e.path}`, content: e.content, shell: e.shell })),
        ];
        for (const u of units) {
          if (!u.shell) continue;
          const syntax = run(u.shell === 'sh' ? 'sh' : 'bash', ['-n'], { input: u.content });
          assert.equal(syntax.status, 0, `${u.name}: ${u.shell} -n: ${syntax.stderr}`);
          const lint = run('shellcheck', ['-s', u.shell, '-f', 'gcc', '-'], { input: u.content });
          assert.equal(lint.stdout + lint.stderr, '', `${u.name}: shellcheck findings`);
          assert.equal(lint.status, 0);
        }
      }
    });
  }

  it('shellcheck does flag a bad script (the lint can fail)', () => {
    const lint = run('shellcheck', ['-s', 'bash', '-f', 'gcc', '-'], { input: '#!/bin/bash\nrm -rf $DIR/*\n' });
    assert.notEqual(lint.status, 0);
    assert.match(lint.stdout, /SC2086|SC2115/);
  });
});

describe('render: what each role gets', () => {
  it('one script per host: gateway.sh, <second>.sh, desktop.sh', () => {
    assert.deepEqual(
      renderFixture('vxlan-3').map((s) => s.fileName),
      ['gateway.sh', 'second.sh', 'second-2.sh', 'second-3.sh', 'desktop.sh'],
    );
  });

  it('every script is strict, root-only, non-interactive and reports steps and a summary', () => {
    for (const s of renderFixture('vxlan-1')) {
      assert.match(s.content, /^#!\/usr\/bin\/env bash\n/);
      assert.match(s.content, /\nset -euo pipefail\n/);
      assert.match(s.content, /DEBIAN_FRONTEND=noninteractive/);
      assert.match(s.content, /die "run as root/);
      assert.match(s.content, /::step name=%s status=%s/);
      assert.match(s.content, /\nsummary 0\n$/);
    }
  });

  it('vxlan: the gateway floods to every second; each second to the gateway and every other second', () => {
    const scripts = renderFixture('vxlan-3');
    assert.match(script(scripts, 'gateway.sh'), /PEERS=\('172\.31\.1\.12' '172\.31\.1\.13' '172\.31\.1\.14'\)/);
    assert.match(script(scripts, 'second-2.sh'), /PEERS=\('172\.31\.1\.11' '172\.31\.1\.12' '172\.31\.1\.14'\)/);
    assert.match(script(scripts, 'second-2.sh'), /BRIDGE_ADDR='192\.168\.0\.132\/24'/);
  });

  it('gretap: point-to-point, one device per second on the gateway, one to the gateway on a second', () => {
    const scripts = renderFixture('gretap-3');
    assert.match(script(scripts, 'gateway.sh'), /TUNNEL='gretap'/);
    assert.match(script(scripts, 'gateway.sh'), /PEERS=\('172\.31\.1\.12' '172\.31\.1\.13' '172\.31\.1\.14'\)/);
    assert.match(script(scripts, 'second-3.sh'), /PEERS=\('172\.31\.1\.11'\)/);
    assert.match(script(scripts, 'second-3.sh'), /type gretap local "\$LOCAL_IP" remote "\$peer" ttl 64/);
  });

  it("explicit MTU everywhere and the underlay checked (the guide's 1462-byte gretap defect)", () => {
    const gw = script(renderFixture('gretap-1'), 'gateway.sh');
    assert.match(gw, /OVERHEAD='38'/);
    assert.match(gw, /ensure_mtu "\$dev" "\$TUNNEL_MTU"/);
    assert.match(gw, /ensure_mtu "\$BRIDGE" "\$MTU"/);
    assert.match(gw, /^tun-mtu 1500$/m);
    assert.match(script(renderFixture('vxlan-1'), 'gateway.sh'), /OVERHEAD='50'/);
  });

  it('the gateway: OpenVPN tap bridged, AEAD, tls-crypt, no compression, PKI in batch mode, profile 0600', () => {
    const gw = script(renderFixture('vxlan-1'), 'gateway.sh');
    for (const line of [
      'dev tap',
      'data-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305',
      'allow-compression no',
      'dh none',
      'keepalive 5 30',
      'up /usr/local/lib/rosvpn/tap-up.sh',
      'remote 44.232.53.80 1194',
    ]) {
      assert.ok(gw.split('\n').includes(line), `missing line: ${line}`);
    }
    assert.doesNotMatch(gw, /comp-lzo|^cipher /m);
    assert.match(gw, /EASYRSA_BATCH=1/);
    assert.match(gw, /openvpn --genkey secret/);
    assert.match(gw, /^PROFILE_DIR='\/etc\/rosvpn'$/m);
    assert.match(gw, /write_file "\$PROFILE_DIR\/\$CLIENT\.ovpn" 600 <<<"\$text"/);
    assert.match(gw, /write_file "\$home\/\$CLIENT\.ovpn" 600 "\$owner:\$group" <<<"\$text"/);
  });

  it('the desktop: bridge over the LAN NIC with rollback, OpenVPN client unit, CycloneDDS', () => {
    const d = script(renderFixture('vxlan-3'), 'desktop.sh');
    assert.match(d, /LAN_IF='eno1'/);
    assert.match(d, /ADDRESS='192\.168\.0\.10\/24'/);
    assert.match(d, /systemd-run --quiet --unit=rosvpn-rollback --on-active=90/);
    assert.match(d, /ensure_service openvpn-client@rosvpn\.service/);
    assert.match(d, /<NetworkInterface name="rosbridge"\/>/);
    // DHCP belongs to the manager that owns the NIC; no end-of-life dhclient is installed for it.
    const dhcp = script(renderFixture('vxlan-1'), 'desktop.sh');
    assert.match(dhcp, /^ADDRESSING='dhcp'$/m);
    assert.doesNotMatch(dhcp, /isc-dhcp-client|DHCP_PACKAGE/);
    assert.match(dhcp, /^After=network-pre\.target NetworkManager\.service systemd-networkd\.service$/m);
  });

  it("Docker and ROS 2 only when enabled; Docker's FORWARD drop is handled where Docker is present", () => {
    const off = script(renderFixture('vxlan-1'), 'gateway.sh');
    assert.match(off, /step_skip docker "features\.docker is off"/);
    assert.doesNotMatch(off, /download\.docker\.com/);
    const on = script(renderFixture('gretap-3'), 'second.sh');
    assert.match(on, /download\.docker\.com/);
    assert.match(on, /packages\.ros\.org/);
    for (const s of [off, on]) assert.match(s, /DOCKER-USER -i rosbridge -o rosbridge -j ACCEPT/);
  });

  it('a gateway without publicAddress is not rendered, with a diagnostic naming the field', () => {
    const t = loadFixture('vxlan-1');
    const r = renderTopology({ ...t, gateway: { ...t.gateway, publicAddress: undefined } } as ValidTopology);
    assert.equal(r.scripts.length, 0);
    assert.equal(r.diagnostics[0].path, 'gateway.publicAddress');
  });
});

describe('render: values reach a script only through the quoting guard', () => {
  it('q() quotes safe values and refuses anything else', () => {
    assert.equal(q('192.168.0.1/24'), "'192.168.0.1/24'");
    for (const bad of ["a'b", '$(reboot)', '`id`', 'a b', 'a\nb', 'a;b', '\u0661', 'x'.repeat(600)]) {
      assert.throws(() => q(bad), UnsafeValueError, bad);
    }
  });

  it('a forged topology (validation bypassed) with a hostile value throws instead of rendering', () => {
    const t = loadFixture('vxlan-1');
    const forged = { ...t, seconds: [{ ...t.seconds[0], vpnIp: "192.168.0.131/24'; reboot; '" }] } as ValidTopology;
    assert.throws(() => renderTopology(forged), UnsafeValueError);
  });
});

describe('render: identities (clients, pki.sh, the profile allow-list)', () => {
  const t = loadFixture('clients-2'); // alice-laptop (no host), field-pc (host 10.20.0.5)

  it('a client with a host gets its own script, after the desktop; one without a host gets none', () => {
    const scripts = renderTopology(t).scripts;
    assert.deepEqual(
      scripts.map((s) => `${s.role}:${s.hostName}:${s.fileName}`),
      ['gateway:gateway:gateway.sh', 'second:second:second.sh', 'desktop:desktop:desktop.sh', 'client:field-pc:field-pc.sh'],
    );
    const c = script(scripts, 'field-pc.sh');
    assert.match(c, /^VPN_ADDR='192\.168\.0\.141'$/m);
    assert.match(c, /^config \/etc\/openvpn\/client\/rosvpn\.ovpn\ndev rosvpn0\ndev-type tap\nuser nobody\ngroup nogroup\n/m);
    assert.doesNotMatch(c, /^(script-security|up) /m, 'a client host runs no OpenVPN scripts');
    assert.match(c, /<NetworkInterface name="rosvpn0"\/>/);
    assert.match(c, /check_profile "\$PROFILE"\nfi\nstep_end/);
    // Run by rosvpn provision alongside the gateway: the profile is checked once it has arrived.
    assert.match(c, /^if \[ "\$PROFILE_WAIT" = 1 \]; then\n {2}wait_profile\n {2}check_profile "\$PROFILE"\nfi\nOPENVPN_DIRTY=0$/m);
  });

  it('the gateway declares the clients with the address each gets pushed, and revokes any other', () => {
    const gw = script(renderTopology(t).scripts, 'gateway.sh');
    assert.match(gw, /^CLIENT_NAMES=\('alice-laptop' 'field-pc'\)$/m);
    assert.match(gw, /^CLIENT_IPS=\('192\.168\.0\.140' '192\.168\.0\.141'\)$/m);
    assert.match(gw, /^CLIENT_MASKS=\('255\.255\.255\.0' '255\.255\.255\.0'\)$/m);
    assert.match(gw, /^ROTATE=\(\)$/m);
    for (const line of ['client-config-dir /etc/openvpn/server/rosvpn-ccd', 'ccd-exclusive', 'management /run/rosvpn-mgmt/mgmt.sock unix'])
      assert.ok(gw.split('\n').includes(line), line);
    assert.match(gw, /^management-client-user root$/m);
    assert.match(gw, /\[Service\]\nRuntimeDirectory=rosvpn-mgmt\nRuntimeDirectoryMode=0700\n/);
    assert.match(gw, /^ca_pass_args "\$@"$/m);
    assert.match(gw, /ensure_packages iproute2 openvpn easy-rsa openssl python3/);
    // Publishing the CRL never restarts OpenVPN (it re-reads a changed crl-verify file).
    const publish = gw.slice(gw.indexOf('if ! files_same "$PKI/crl.pem" "$CRL_PUBLIC"'), gw.indexOf('published the CRL'));
    assert.ok(publish.length > 0 && !publish.includes('OPENVPN_DIRTY'), publish);
  });

  it('pki.sh: only the identities, with the names to rotate; an undeclared name cannot be rotated', () => {
    const pki = renderGatewayPki(t, { rotate: ['field-pc'] });
    assert.deepEqual([pki.role, pki.hostName, pki.fileName], ['gateway', 'gateway', 'pki.sh']);
    assert.match(pki.content, /^ROTATE=\('field-pc'\)$/m);
    assert.match(pki.content, /sudo bash pki\.sh \[--ca-pass-file \/dev\/shm\/rosvpn-ca\.XXXX\]/);
    assert.doesNotMatch(
      pki.content,
      /^(ensure_packages|ensure_service) |^\/usr\/local\/lib\/rosvpn\/net-up\.sh$|write_file \/etc\/openvpn\/server\/rosvpn\.conf/m,
    );
    assert.deepEqual(
      [...pki.content.matchAll(/^step_begin (\S+)$/gm)].map((m) => m[1]),
      ['preflight', 'pki', 'client-config', 'openvpn-reload', 'client-profile'],
    );
    assert.throws(() => renderGatewayPki(t, { rotate: ['mallory'] }), /cannot rotate 'mallory': not a client/);
  });

  it('the client status script is read-only: it makes, writes and restarts nothing', () => {
    const st = renderClientStatus(t);
    assert.match(st, /^CLIENT_NAMES=\('alice-laptop' 'field-pc'\)$/m);
    assert.doesNotMatch(st, /write_file|easyrsa|rm -|systemctl|install -|client-kill/);
  });

  it('netmask: the dotted form of a prefix length', () => {
    assert.deepEqual([0, 8, 20, 24, 30, 32].map(netmask), [
      '0.0.0.0',
      '255.0.0.0',
      '255.255.240.0',
      '255.255.255.0',
      '255.255.255.252',
      '255.255.255.255',
    ]);
    assert.throws(() => netmask(33));
  });

  describe('check_profile (bash, generated from PROFILE_DIRECTIVES and PROFILE_BLOCKS)', () => {
    const check = renderProfileCheck('download it again');
    const good = [
      ...renderClientOptions(t.name, t.gateway, t.mtu).trimEnd().split('\n'),
      ...PROFILE_BLOCKS.flatMap((b) => [
        `<${b}>`,
        '-----BEGIN X-----',
        '# a comment inside a block is data',
        'AAAA',
        '-----END X-----',
        `</${b}>`,
      ]),
    ];
    const verdict = (lines: string[]) =>
      run('bash', ['-c', `die() { echo "DIE: $*"; exit 1; }\n${check}\ncheck_profile "$1" && echo OK`, 'x', '/dev/stdin'], {
        input: lines.join('\n') + '\n',
      }).stdout.trim();
    const at = (n: number, line: string) => [...good.slice(0, n - 1), line, ...good.slice(n - 1)];

    it('accepts the profile the gateway writes (also with CRLF line ends, comments and blank lines)', () => {
      assert.equal(verdict(good), 'OK');
      assert.equal(verdict(good.map((l) => `${l}\r`)), 'OK');
      assert.equal(verdict(at(5, '  ; a comment')), 'OK');
      assert.deepEqual(
        PROFILE_DIRECTIVES.filter((d) => !good.some((l) => l.split(' ')[0] === d)),
        [],
        'the options use every allowed directive',
      );
    });

    it('refuses any other directive, naming the line, however it is written', () => {
      assert.equal(
        verdict(at(12, 'up /bin/sh')),
        "DIE: /dev/stdin line 12: directive 'up' is not allowed in a ROS VPN profile (only the options rosvpn writes: no scripts, plugins or includes); download it again",
      );
      for (const line of [
        '--up /bin/sh',
        '   script-security 2',
        'config /etc/shadow',
        'plugin x.so',
        'tls-verify /bin/sh',
        'UP /bin/sh',
        '"up" /bin/sh',
        'ca /etc/ssl/x.pem',
      ])
        assert.match(verdict(at(3, line)), /^DIE: \/dev\/stdin line 3: directive '[^']+' is not allowed/, line);
    });

    it('refuses a dev other than tap, a foreign or unclosed block, and a profile without its keys', () => {
      assert.match(verdict(good.map((l) => (l === 'dev tap' ? 'dev tun' : l))), /line \d+: dev must be tap, not 'tun'/);
      assert.match(
        verdict([...good, '<connection>', 'remote evil 1194', '</connection>']),
        /line \d+: inline block <connection> is not allowed/,
      );
      assert.match(verdict([...good, '</ca>']), /closing tag <\/ca> without its opening tag/);
      assert.match(verdict(good.filter((l) => l !== '</key>')), /line \d+: <key> is not closed/);
      assert.match(verdict(good.slice(0, good.indexOf('<key>'))), /^DIE: \/dev\/stdin: it has no <key>: not a ROS VPN profile/);
      assert.match(verdict(good.filter((l) => !l.startsWith('remote '))), /it has no 'remote'/);
    });
  });
});

describe('render: unprovision scripts', () => {
  const t = loadFixture('clients-2');
  const names = (s: string) => [...s.matchAll(/^step_begin (\S+)/gm)].map((m) => m[1]);

  it('one per host, named unprovision-<label>.sh, with the role of the label; an unknown label throws', () => {
    const labels = renderFixture('clients-2').map((s) => s.hostName);
    for (const label of labels) {
      const s = renderUnprovision(t, label, { purge: false });
      assert.equal(s.fileName, `unprovision-${label}.sh`);
      assert.equal(s.hostName, label);
    }
    assert.deepEqual(
      labels.map((l) => renderUnprovision(t, l, { purge: false }).role),
      renderFixture('clients-2').map((s) => s.role),
    );
    assert.throws(() => renderUnprovision(t, 'nobody', { purge: false }), /no host 'nobody'/);
  });

  it('steps per role: cloud hosts guard their SSH session first; the desktop moves its NIC back before anything is deleted', () => {
    const gw = renderUnprovision(t, 'gateway', { purge: false }).content;
    assert.deepEqual(names(gw), ['preflight', 'services', 'links', 'sysctl', 'pki', 'files']);
    assert.match(gw, /for dev in \$\(rosvpn_links\); do guard "\$dev"; done/);
    assert.match(gw, /remove_unit "\$unit"; done/);
    assert.match(gw, /openvpn-server@rosvpn\.service rosvpn-net\.service rosvpn-guard\.service rosvpn-rollback\.timer/);
    assert.deepEqual(names(renderUnprovision(t, 'second', { purge: false }).content), [
      'preflight',
      'services',
      'links',
      'sysctl',
      'files',
    ]);
    const desk = renderUnprovision(t, 'desktop', { purge: false }).content;
    assert.deepEqual(names(desk), ['preflight', 'services', 'lan-restore', 'links', 'sysctl', 'files']);
    assert.doesNotMatch(desk, /SSH_IFACES/);
    assert.match(desk, /systemd-run --quiet --unit=rosvpn-unprovision-guard --on-active="\$GUARD_SECONDS" "\$DESKTOP_NET_UP"/);
    assert.match(desk, /^LAN_BEFORE='\/etc\/rosvpn\/state\/lan-rollback\.sh'$/m);
    const client = renderUnprovision(t, t.clients.find((c) => c.host)!.name, { purge: false }).content;
    assert.match(client, /openvpn-client@rosvpn\.service rosvpn-rollback\.timer/);
    assert.match(client, /'\/etc\/openvpn\/client\/rosvpn\.ovpn'/);
  });

  it('the PKI is kept in a backup unless purge', () => {
    assert.match(renderUnprovision(t, 'gateway', { purge: false }).content, /^PURGE='0'$/m);
    assert.match(renderUnprovision(t, 'gateway', { purge: true }).content, /^PURGE='1'$/m);
  });

  it("provisioning keeps what unprovisioning needs: sysctl.before, the desktop's rollback copy and its NIC's manager", () => {
    const desktop = script(renderFixture('clients-2'), 'desktop.sh');
    assert.match(desktop, /write_file \/etc\/rosvpn\/state\/lan-rollback\.sh 700 <\/etc\/rosvpn\/lan-rollback\.sh/);
    assert.match(
      desktop,
      /"LAN_MANAGER=\$LAN_MANAGER" "LAN_CONNECTION=\$LAN_CONNECTION" "LAN_NETPLAN_ID=\$LAN_NETPLAN_ID" "LAN_DHCP_ID=\$LAN_DHCP_ID" \|\n +write_file \/etc\/rosvpn\/state\/lan\.env 644/,
    );
    // The manager is recorded before the rollback script is written: the rollback hands the NIC back to it.
    assert.ok(desktop.indexOf('write_file /etc/rosvpn/state/lan.env') < desktop.indexOf('write_file /etc/rosvpn/lan-rollback.sh 700'));
    assert.match(script(renderFixture('clients-2'), 'gateway.sh'), /record_sysctl_before "\$key" "\$cur"/);
  });
});
