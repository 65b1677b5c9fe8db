// The desktop's bridge under each network manager, as the generated desktop-net-up.sh writes it: the
// NetworkManager keyfiles, the netplan file and the networkd units, from the settings of rosvpn.json and from
// what the NIC's own connection says (a fake nmcli / netplan here; the lab runs the real ones:
// test/integration/lab/desktopManagers.e2e.test.ts). Also: what reaches those files from the host is reduced to
// safe characters, one line.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import { renderTopology } from '../../src/core/render';
import { DESKTOP_NET_UP } from '../../src/core/render/desktop';
import { NM_BRIDGE_UUID, NM_LAN_UUID } from '../../src/core/render/state';
import type { DesktopConfig, ValidTopology } from '../../src/core/topology/types';
import { run } from '../../lab/sh';
import { loadFixture } from '../support/fixtures';
import { fn } from '../support/bashFunction';

const t = loadFixture('vxlan-3'); // static 192.168.0.10/24 via 192.168.0.1 on eno1
const STATIC = t.desktop!;
const DHCP: DesktopConfig = { ...STATIC, addressing: 'dhcp', address: undefined, defaultGateway: undefined };

function netUp(d: DesktopConfig): string {
  return renderTopology({ ...t, desktop: d } as ValidTopology)
    .scripts.find((s) => s.role === 'desktop')!
    .embedded.find((e) => e.path === DESKTOP_NET_UP)!.content;
}

/** Runs `call` with the script's KEY='VALUE' header, the named functions, and `fakes` (bash) before them. */
function callIn(d: DesktopConfig, fns: string[], fakes: string, call: string, env = ''): string {
  const s = netUp(d);
  const vars = s
    .split('\n')
    .filter((l) => /^[A-Z_0-9]+='[^']*'$/.test(l))
    .join('\n');
  const r = run('bash', ['-c', ['set -euo pipefail', vars, env, fakes, ...fns.map((f) => fn(s, f)), call].join('\n')]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** A bash $'...' string of any text. */
const ansiC = (text: string) => `$'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;

/** A fake nmcli: `nmcli -g PROPERTY connection show uuid UUID` answers from the table, byte for byte (terse escaping, as nmcli). */
function fakeNmcli(props: Record<string, string>): string {
  const cases = Object.entries(props)
    .map(([k, val]) => `    ${k}) printf '%s\\n' ${ansiC(val)} ;;`)
    .join('\n');
  return `nmcli() {
  [ "$1 $3 $4 $5" = "-g connection show uuid" ] || return 1
  case "$2" in
${cases}
    *) echo '' ;;
  esac
}`;
}

const NM_FNS = ['nm_get', 'nm_bridge_keyfile'];
const ORIGINAL = { 'ipv6.method': 'auto', 'ipv4.dns': '192.168.0.53,1.1.1.1', 'ipv4.dns-search': 'lab.example', 'ipv4.dhcp-client-id': '' };
const keyfile = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#'));

describe('desktop under NetworkManager: the keyfiles of the bridge and its port', () => {
  it('dhcp: a bridge connection with the NIC MAC, no STP, no snooping, DHCP, the DNS and IPv6 of the NIC connection', () => {
    const out = callIn(DHCP, NM_FNS, fakeNmcli(ORIGINAL), 'nm_bridge_keyfile 52:54:00:12:34:56', "LAN_CONNECTION='1111-aaaa'");
    assert.deepEqual(keyfile(out), [
      '[connection]',
      'id=rosvpn-bridge',
      `uuid=${NM_BRIDGE_UUID}`,
      'type=bridge',
      'interface-name=rosbridge',
      'autoconnect=true',
      'autoconnect-priority=100',
      'autoconnect-slaves=1',
      '[ethernet]',
      'cloned-mac-address=52:54:00:12:34:56',
      '[bridge]',
      'stp=false',
      'multicast-snooping=false',
      '[ipv4]',
      'method=auto',
      'dns=192.168.0.53;1.1.1.1;',
      'dns-search=lab.example;',
      '[ipv6]',
      'method=auto',
    ]);
  });

  it("static: the address and gateway of rosvpn.json; the NIC connection's client-id only matters to DHCP", () => {
    const out = callIn(
      STATIC,
      NM_FNS,
      fakeNmcli({ ...ORIGINAL, 'ipv4.dhcp-client-id': 'duid', 'ipv6.method': 'disabled' }),
      'nm_bridge_keyfile 52:54:00:12:34:56',
      "LAN_CONNECTION='1111-aaaa'",
    );
    const k = keyfile(out);
    assert.deepEqual(k.slice(k.indexOf('[ipv4]')), [
      '[ipv4]',
      'method=manual',
      'address1=192.168.0.10/24,192.168.0.1',
      'dns=192.168.0.53;1.1.1.1;',
      'dns-search=lab.example;',
      '[ipv6]',
      'method=disabled',
    ]);
  });

  it("dhcp: an explicit client-id of the NIC connection is kept (terse escaping undone), so the bridge asks for the NIC's lease", () => {
    const out = callIn(
      DHCP,
      NM_FNS,
      fakeNmcli({ 'ipv4.dhcp-client-id': '01\\:52\\:54\\:00\\:12\\:34\\:56' }),
      'nm_bridge_keyfile m',
      "LAN_CONNECTION='x'",
    );
    assert.ok(keyfile(out).includes('dhcp-client-id=01:52:54:00:12:34:56'), out);
  });

  it('what the host says is one line of safe characters: a hostile DNS value cannot add keys or run anything', () => {
    const out = callIn(
      DHCP,
      NM_FNS,
      fakeNmcli({ 'ipv4.dns': '1.1.1.1\n[ipv4]\nmethod=disabled', 'ipv6.method': 'manual$(touch /tmp/rosvpn-pwned)' }),
      'nm_bridge_keyfile m',
      "LAN_CONNECTION='x'",
    );
    const k = keyfile(out);
    assert.equal(k.filter((l) => l.startsWith('method=')).length, 2, out);
    assert.ok(k.includes('dns=1.1.1.1;'), out);
    assert.ok(k.includes('method=auto'), 'an IPv6 method other than the known ones falls back to auto');
    assert.equal(fs.existsSync('/tmp/rosvpn-pwned'), false);
  });

  it('without a recorded connection, nothing is copied (and nmcli is not asked)', () => {
    const out = callIn(DHCP, NM_FNS, 'nmcli() { echo "asked" >&2; return 1; }', 'nm_bridge_keyfile m', "LAN_CONNECTION=''");
    assert.doesNotMatch(out, /^dns/m);
  });

  it('the port: the NIC in the bridge (by uuid), before the NIC connection at boot', () => {
    const out = callIn(DHCP, ['nm_lan_keyfile'], '', 'nm_lan_keyfile');
    assert.deepEqual(keyfile(out), [
      '[connection]',
      'id=rosvpn-lan',
      `uuid=${NM_LAN_UUID}`,
      'type=ethernet',
      'interface-name=eno1',
      `master=${NM_BRIDGE_UUID}`,
      'slave-type=bridge',
      'autoconnect=true',
      'autoconnect-priority=100',
      '[ethernet]',
    ]);
  });
});

describe('desktop under systemd-networkd: the netplan file, or the networkd units', () => {
  const ND = ['nd_dhcp_id', 'netplan_yaml', 'nd_netdev', 'nd_bridge_network', 'nd_lan_network'];
  const fakeNetplan = `netplan() { [ "$1 $2" = "get ethernets.lan0.nameservers.addresses" ] && printf -- '- 192.168.0.53\\n- 1.1.1.1\\n'; }`;

  it('netplan, dhcp: the NIC (by its netplan id) without DHCP, the bridge with its MAC and DHCP', () => {
    const out = callIn(DHCP, ND, fakeNetplan, 'netplan_yaml 52:54:00:12:34:56', "LAN_NETPLAN_ID='lan0'");
    assert.equal(
      keyfile(out).join('\n'),
      [
        'network:',
        '  version: 2',
        '  ethernets:',
        '    lan0:',
        '      dhcp4: false',
        '      dhcp6: false',
        '  bridges:',
        '    rosbridge:',
        '      interfaces: [lan0]',
        '      macaddress: 52:54:00:12:34:56',
        '      parameters:',
        '        stp: false',
        '        forward-delay: 0',
        '      dhcp4: true',
      ].join('\n'),
    );
  });

  it("netplan, static: the address, default route and the NIC's nameservers on the bridge", () => {
    const out = callIn(STATIC, ND, fakeNetplan, 'netplan_yaml m', "LAN_NETPLAN_ID='lan0'");
    const k = keyfile(out);
    assert.deepEqual(k.slice(k.indexOf('      addresses: [192.168.0.10/24]')), [
      '      addresses: [192.168.0.10/24]',
      '      routes:',
      '        - to: default',
      '          via: 192.168.0.1',
      '      nameservers:',
      '        addresses: [192.168.0.53,1.1.1.1]',
    ]);
  });

  it("the NIC's DHCP client identity goes to the bridge: the IAID of its lease, or the MAC", () => {
    assert.equal(callIn(DHCP, ND, '', 'nd_dhcp_id', "LAN_DHCP_ID='iaid:2893155942'"), 'IAID=2893155942\n');
    assert.equal(callIn(DHCP, ND, '', 'nd_dhcp_id', "LAN_DHCP_ID='mac'"), 'ClientIdentifier=mac\n');
    assert.equal(callIn(DHCP, ND, '', 'nd_dhcp_id', "LAN_DHCP_ID=''"), '');
  });

  it('without netplan: a bridge netdev, its network with DHCP and the IAID, the NIC as a port', () => {
    const out = callIn(DHCP, ND, '', 'nd_netdev 52:54:00:12:34:56; nd_bridge_network; nd_lan_network', "LAN_DHCP_ID='iaid:7'");
    assert.deepEqual(keyfile(out), [
      '[NetDev]',
      'Name=rosbridge',
      'Kind=bridge',
      'MACAddress=52:54:00:12:34:56',
      '[Bridge]',
      'STP=no',
      'MulticastSnooping=no',
      '[Match]',
      'Name=rosbridge',
      '[Network]',
      'LinkLocalAddressing=no',
      'DHCP=ipv4',
      '[DHCPv4]',
      'IAID=7',
      '[Match]',
      'Name=eno1',
      '[Network]',
      'Bridge=rosbridge',
      'LinkLocalAddressing=no',
    ]);
  });
});
