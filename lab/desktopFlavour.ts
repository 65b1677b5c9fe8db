// The desktop as users have it (`--desktop plain|networkmanager|networkd`): the base image has every flavour's
// packages with NetworkManager, systemd-networkd and ifupdown's networking.service off; the lab switches one
// flavour on in the desktop's own overlay before it boots, with that manager's own configuration for the LAN
// NIC (DHCP from the LAN router's dnsmasq, or the topology's static address) and for the internet leg.
//   networkmanager  Ubuntu Desktop: NetworkManager with keyfiles (DHCP by NM's internal client)
//   networkd        Ubuntu Server: a netplan YAML (renderer networkd); netplan's generator writes networkd's files at boot
//   plain           no manager: with DHCP, ifupdown's `iface LAN inet dhcp` (dhclient) at boot; static: set by the lab
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { must } from './sh';

export const DESKTOP_FLAVOURS = ['plain', 'networkmanager', 'networkd'] as const;
export type DesktopFlavour = (typeof DESKTOP_FLAVOURS)[number];

export interface DesktopNet {
  flavour: DesktopFlavour;
  lanIf: string;
  /** The static LAN address (CIDR) and default gateway; none: DHCP. */
  lanStatic?: { address: string; gateway?: string };
  /** The desktop's own leg on the internet switch (none behind NAT): interface, address (CIDR), host routes. */
  inet?: { ifname: string; address: string; routes: string[] };
}

export function isFlavour(x: string): x is DesktopFlavour {
  return (DESKTOP_FLAVOURS as readonly string[]).includes(x);
}

/** Whether the lab itself sets the desktop's addresses from outside (only when no manager owns them). */
export function labSetsAddresses(n: DesktopNet): { lan: boolean; inet: boolean } {
  return n.flavour === 'plain' ? { lan: !!n.lanStatic, inet: !!n.inet } : { lan: false, inet: false };
}

function write(root: string, file: string, text: string, mode: number): void {
  const p = path.join(root, file);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text, { mode });
  fs.chmodSync(p, mode);
}

function nmKeyfile(id: string, ifname: string, ipv4: string[]): string {
  return [
    '[connection]',
    `id=${id}`,
    `uuid=${randomUUID()}`,
    'type=ethernet',
    `interface-name=${ifname}`,
    'autoconnect=true',
    '',
    '[ethernet]',
    '',
    '[ipv4]',
    ...ipv4,
    '',
    '[ipv6]',
    'method=disabled',
    '',
  ].join('\n');
}

function netplanEthernet(ifname: string, dhcp: boolean, address?: string, gateway?: string, hostRoutes: string[] = []): string[] {
  const routes = [
    ...(gateway ? [`        - to: default\n          via: ${gateway}`] : []),
    ...hostRoutes.map((r) => `        - to: ${r}\n          scope: link`),
  ];
  return [
    `    ${ifname}:`,
    `      dhcp4: ${dhcp}`,
    '      dhcp6: false',
    '      accept-ra: false',
    ...(address ? [`      addresses: [${address}]`] : []),
    ...(routes.length ? ['      routes:', ...routes] : []),
  ];
}

/** Writes the flavour's configuration into the desktop's mounted overlay root and enables its manager there. */
export function applyDesktopFlavour(root: string, n: DesktopNet): void {
  if (n.flavour === 'networkmanager') {
    // NM creates no "Wired connection N" for other links; it manages exactly the connections below.
    write(root, 'etc/NetworkManager/conf.d/80-rosvpn-lab.conf', '[main]\nno-auto-default=*\n', 0o644);
    const lan = n.lanStatic
      ? ['method=manual', `address1=${n.lanStatic.address}${n.lanStatic.gateway ? `,${n.lanStatic.gateway}` : ''}`]
      : ['method=auto'];
    write(root, `etc/NetworkManager/system-connections/${n.lanIf}.nmconnection`, nmKeyfile(n.lanIf, n.lanIf, lan), 0o600);
    if (n.inet) {
      const inet = [
        'method=manual',
        `address1=${n.inet.address}`,
        'never-default=true',
        ...n.inet.routes.map((r, i) => `route${i + 1}=${r}`),
      ];
      write(
        root,
        `etc/NetworkManager/system-connections/${n.inet.ifname}.nmconnection`,
        nmKeyfile(n.inet.ifname, n.inet.ifname, inet),
        0o600,
      );
    }
    must('chroot', [root, 'systemctl', 'enable', '--quiet', 'NetworkManager.service']);
  } else if (n.flavour === 'networkd') {
    const yaml = [
      'network:',
      '  version: 2',
      '  renderer: networkd',
      '  ethernets:',
      ...netplanEthernet(n.lanIf, !n.lanStatic, n.lanStatic?.address, n.lanStatic?.gateway),
      ...(n.inet ? netplanEthernet(n.inet.ifname, false, n.inet.address, undefined, n.inet.routes) : []),
      '',
    ].join('\n');
    write(root, 'etc/netplan/90-rosvpn-lab.yaml', yaml, 0o600);
    must('chroot', [root, 'systemctl', 'enable', '--quiet', 'systemd-networkd.service']);
  } else if (!n.lanStatic) {
    // Debian's default for a wired NIC without a manager: ifupdown brings it up with dhclient at boot.
    write(root, `etc/network/interfaces.d/${n.lanIf}`, `auto ${n.lanIf}\niface ${n.lanIf} inet dhcp\n`, 0o644);
    must('chroot', [root, 'systemctl', 'enable', '--quiet', 'networking.service']);
  }
}
