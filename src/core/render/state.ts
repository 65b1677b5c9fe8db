// What provisioning records on a host for unprovisioning to put it back: /etc/rosvpn/state/. The sysctl
// values before ROS VPN raised them are recorded by ensure_sysctl_min (lib/file.sh); the desktop's LAN
// addressing and the manager that owned its NIC by the snippet below, run where the NIC is about to move.
import { bash } from './bash';

export const STATE_DIR = '/etc/rosvpn/state';
export const SYSCTL_BEFORE = `${STATE_DIR}/sysctl.before`;
/** A copy of the desktop's rollback script, kept after the move is confirmed: the NIC's addressing before. */
export const LAN_BEFORE = `${STATE_DIR}/lan-rollback.sh`;
/** `LAN_MANAGER=NetworkManager|systemd-networkd|dhclient|none`: who configured the NIC before the move. */
export const LAN_MANAGER_FILE = `${STATE_DIR}/lan.env`;

/**
 * Bash for the desktop's network-guard step, after the rollback script ($1) is written and before the NIC
 * moves: keeps a copy of it and records which manager owns the NIC now (asked before release_from_managers
 * unmanages it). Each move overwrites both: while the NIC is outside the bridge, its state is the host's own.
 */
export function recordLanState(rollbackScript: string): string {
  return bash`ensure_dir ${STATE_DIR} 755
write_file ${LAN_BEFORE} 700 <${rollbackScript}
LAN_MANAGER=none
if systemctl is-active --quiet NetworkManager 2>/dev/null && nmcli -t -f DEVICE,STATE device 2>/dev/null | grep -qx "$LAN_IF:connected"; then
  LAN_MANAGER=NetworkManager
elif systemctl is-active --quiet systemd-networkd 2>/dev/null && networkctl list --no-legend "$LAN_IF" 2>/dev/null | grep -qw configured; then
  LAN_MANAGER=systemd-networkd
elif pgrep -f "dhclient.* $LAN_IF\$" >/dev/null 2>&1; then
  LAN_MANAGER=dhclient
fi
echo "LAN_MANAGER=$LAN_MANAGER" | write_file ${LAN_MANAGER_FILE} 644`;
}
