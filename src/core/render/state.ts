// What provisioning records on a host for unprovisioning to put it back: /etc/rosvpn/state/. The sysctl
// values before ROS VPN raised them are recorded by ensure_sysctl_min (lib/file.sh); the desktop's LAN
// addressing and the manager that owned its NIC by the snippet below, run where the NIC is about to move.
import { bash, q } from './bash';

export const STATE_DIR = '/etc/rosvpn/state';
export const SYSCTL_BEFORE = `${STATE_DIR}/sysctl.before`;
/** A copy of the desktop's rollback script, kept after the move is confirmed: the NIC's addressing before. */
export const LAN_BEFORE = `${STATE_DIR}/lan-rollback.sh`;
/** `LAN_MANAGER=NetworkManager|systemd-networkd|dhclient|none`: who configured the NIC before the move. */
export const LAN_MANAGER_FILE = `${STATE_DIR}/lan.env`;

// ---- the desktop's LAN NIC and the manager that owns it (and so the bridge) ------------------------

/** NetworkManager: the bridge connection and the NIC's port connection (keyfiles with fixed uuids). */
export const NM_BRIDGE_UUID = '5e0b6a1c-2f4d-4c8e-9a37-0d51b2c7e001';
export const NM_LAN_UUID = '5e0b6a1c-2f4d-4c8e-9a37-0d51b2c7e002';
export const NM_BRIDGE_FILE = '/etc/NetworkManager/system-connections/rosvpn-bridge.nmconnection';
export const NM_LAN_FILE = '/etc/NetworkManager/system-connections/rosvpn-lan.nmconnection';
/** systemd-networkd with netplan: our netplan file, and drop-ins for the units netplan generates for the bridge. */
export const NETPLAN_FILE = '/etc/netplan/90-rosvpn.yaml';
export const ND_NETPLAN_BRIDGE_DROPIN = '/etc/systemd/network/10-netplan-rosbridge.network.d/90-rosvpn.conf';
export const ND_NETPLAN_NETDEV_DROPIN = '/etc/systemd/network/10-netplan-rosbridge.netdev.d/90-rosvpn.conf';
/** systemd-networkd without netplan: our units, named to sort before the NIC's own. */
export const ND_NETDEV = '/etc/systemd/network/05-rosvpn-bridge.netdev';
export const ND_BRIDGE_NETWORK = '/etc/systemd/network/05-rosvpn-bridge.network';
export const ND_LAN_NETWORK = '/etc/systemd/network/05-rosvpn-lan.network';
/** An older rosvpn's drop-ins that told the managers to leave the NIC and the bridge alone. */
export const LEGACY_DROPINS = ['/etc/NetworkManager/conf.d/90-rosvpn.conf', '/etc/systemd/network/05-rosvpn-unmanaged.network'];
/** Every file through which a manager owns the bridge (and the legacy drop-ins): saved and restored by a re-run's rollback. */
export const LAN_MANAGER_FILES = [
  ...LEGACY_DROPINS,
  NM_BRIDGE_FILE,
  NM_LAN_FILE,
  NETPLAN_FILE,
  ND_NETPLAN_BRIDGE_DROPIN,
  ND_NETPLAN_NETDEV_DROPIN,
  ND_NETDEV,
  ND_BRIDGE_NETWORK,
  ND_LAN_NETWORK,
];

/** The names of lanManagerVars() for the connections and files (all but LAN_STATE). */
export const MANAGER_FILE_VARS = [
  'NM_BRIDGE_UUID',
  'NM_LAN_UUID',
  'NM_BRIDGE_FILE',
  'NM_LAN_FILE',
  'NETPLAN_FILE',
  'ND_NETPLAN_BRIDGE_DROPIN',
  'ND_NETPLAN_NETDEV_DROPIN',
  'ND_NETDEV',
  'ND_BRIDGE_NETWORK',
  'ND_LAN_NETWORK',
];

/** The header lines that name the managers' files (desktop-net-up.sh, desktop.sh, unprovision-desktop.sh): all, or the names given. */
export function lanManagerVars(names?: string[]): string {
  const vars: [string, string][] = [
    ['LAN_STATE', LAN_MANAGER_FILE],
    ['NM_BRIDGE_UUID', NM_BRIDGE_UUID],
    ['NM_LAN_UUID', NM_LAN_UUID],
    ['NM_BRIDGE_FILE', NM_BRIDGE_FILE],
    ['NM_LAN_FILE', NM_LAN_FILE],
    ['NETPLAN_FILE', NETPLAN_FILE],
    ['ND_NETPLAN_BRIDGE_DROPIN', ND_NETPLAN_BRIDGE_DROPIN],
    ['ND_NETPLAN_NETDEV_DROPIN', ND_NETPLAN_NETDEV_DROPIN],
    ['ND_NETDEV', ND_NETDEV],
    ['ND_BRIDGE_NETWORK', ND_BRIDGE_NETWORK],
    ['ND_LAN_NETWORK', ND_LAN_NETWORK],
  ];
  return vars
    .filter(([k]) => !names || names.includes(k))
    .map(([k, val]) => `${k}=${q(val)}`)
    .join('\n');
}

/**
 * Bash for the desktop's network-guard step, at the first move of the NIC: who manages LAN_IF now, recorded
 * in LAN_MANAGER_FILE for desktop-net-up.sh (at every run and boot), re-runs and unprovisioning:
 * `LAN_MANAGER=NetworkManager|systemd-networkd|dhclient|none`, with NetworkManager the uuid of the NIC's own
 * connection (LAN_CONNECTION), with networkd the netplan id (LAN_NETPLAN_ID; '' without netplan, or when netplan
 * gives the NIC static addresses or routes, which another netplan file cannot remove) and the DHCP
 * client identity of its lease (LAN_DHCP_ID=mac|iaid:N). Sets those variables, and with ifupdown's dhclient its
 * command line (LAN_DHCLIENT, for the rollback script).
 */
export function recordLanManager(): string {
  return bash`ensure_dir ${STATE_DIR} 755
LAN_MANAGER=none LAN_CONNECTION='' LAN_NETPLAN_ID='' LAN_DHCP_ID='' LAN_DHCLIENT=''
if systemctl is-active --quiet NetworkManager 2>/dev/null && nmcli -t -f DEVICE,STATE device 2>/dev/null | grep -qx "$LAN_IF:connected"; then
  LAN_MANAGER=NetworkManager
  LAN_CONNECTION=$(nmcli -g GENERAL.CON-UUID device show "$LAN_IF" 2>/dev/null | tr -cd '0-9a-f-' || true)
elif systemctl is-active --quiet systemd-networkd 2>/dev/null && networkctl list --no-legend "$LAN_IF" 2>/dev/null | grep -qwE 'configured|configuring'; then
  LAN_MANAGER=systemd-networkd
  nd_file=$(networkctl status "$LAN_IF" 2>/dev/null | sed -n 's/^ *Network File: //p' || true)
  case "$nd_file" in /run/systemd/network/10-netplan-*.network) LAN_NETPLAN_ID=\${nd_file#/run/systemd/network/10-netplan-} ;; esac
  LAN_NETPLAN_ID=$(printf '%s' "\${LAN_NETPLAN_ID%.network}" | tr -cd 'A-Za-z0-9_.-')
  # netplan merges lists across its files: addresses or routes of the NIC cannot be taken off it by another
  # file, so such a NIC is bridged with networkd units that outrank netplan's (05-rosvpn-* before 10-netplan-*).
  if [ -n "$LAN_NETPLAN_ID" ] && netplan get "ethernets.$LAN_NETPLAN_ID" 2>/dev/null | grep -qE '^(addresses|routes|gateway4):'; then LAN_NETPLAN_ID=''; fi
  client_id=$(sed -n 's/^CLIENTID=//p' "/run/systemd/netif/leases/$(ip -o link show dev "$LAN_IF" | cut -d: -f1)" 2>/dev/null || true)
  case "$client_id" in
    01*) LAN_DHCP_ID=mac ;;
    ff????????*) LAN_DHCP_ID="iaid:$((16#\${client_id:2:8}))" ;;
  esac
elif pgrep --ns 1 --nslist pid -f "dhclient.* $LAN_IF\$" >/dev/null 2>&1; then
  LAN_MANAGER=dhclient
  # Its command line (ifupdown's), for the rollback to start it again as it was; only a plain one.
  LAN_DHCLIENT=$(pgrep --ns 1 --nslist pid -af "dhclient.* $LAN_IF\$" | head -n 1 | cut -d' ' -f2- || true)
  case "$LAN_DHCLIENT" in dhclient\ * | /sbin/dhclient\ * | /usr/sbin/dhclient\ *) ;; *) LAN_DHCLIENT='' ;; esac
  case "$LAN_DHCLIENT" in *[!A-Za-z0-9\ ./_:=-]*) LAN_DHCLIENT='' ;; esac
fi
printf '%s\n' "LAN_MANAGER=$LAN_MANAGER" "LAN_CONNECTION=$LAN_CONNECTION" "LAN_NETPLAN_ID=$LAN_NETPLAN_ID" "LAN_DHCP_ID=$LAN_DHCP_ID" |
  write_file ${LAN_MANAGER_FILE} 644`;
}

/** Bash for network-guard, after the rollback script ($1) is written: a copy kept for unprovisioning. */
export function keepLanBefore(rollbackScript: string): string {
  return `write_file ${LAN_BEFORE} 700 <${rollbackScript}`;
}
