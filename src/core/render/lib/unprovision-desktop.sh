# shellcheck shell=bash
# unprovision-desktop.sh: the desktop's lan-restore step: its LAN NIC out of bridge rosbridge with the
# addressing it had before provisioning, and back to the manager that owned it. Guarded like provisioning's
# move (commit-confirm): a timer re-runs the installed desktop-net-up.sh unless connectivity is confirmed.
# After the header renderUnprovision (unprovision.ts) writes (LAN_IF, BRIDGE, ADDRESSING, DESKTOP_NET_UP,
# LAN_BEFORE, LAN_MANAGER_FILE, ROLLBACK_SCRIPT, GUARD_SECONDS, the managers' files NM_*, NETPLAN_FILE, ND_*)
# and step.sh, link.sh, file.sh. With a manager that owned the bridge, LAN_BEFORE removes its files and has
# it configure the NIC again (NetworkManager: the NIC's own connection activated).
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

# The desktop's SSH session most likely runs over the bridge, so instead of refusing to touch it (the cloud
# hosts' guard), the move back is guarded by the timer below.
guard() { :; }

# lan_connected: every address an sshd connection uses is still on this host, and the old default gateway answers.
lan_connected() {
  local a
  for a in $(ss -Htnp state established 2>/dev/null | awk '/sshd/ { print $3 }' || true); do
    a=${a%:*}; a=${a#[}; a=${a%]}; a=${a#::ffff:}
    ip -o addr show to "$a" | grep -q . || { info "address $a of an SSH session is not on this host (yet)"; return 1; }
  done
  if [ -n "$PING_TARGET" ] && ! ping -c 1 -W 2 "$PING_TARGET" >/dev/null 2>&1; then
    info "default gateway $PING_TARGET does not answer (yet)"
    return 1
  fi
}
# restored_gateway FILE: the default gateway that a rollback script gives back ('' when it restores none). The
# gateway to ping after the move is the NIC's own from before provisioning, not the bridge's: a static desktop's
# defaultGateway from rosvpn.json may be one the NIC never had.
restored_gateway() { sed -n 's/^ip route replace default via \([^ ]*\) dev .*/\1/p' "$1" 2>/dev/null | head -n 1; }
# A DHCP client or network manager may take some seconds to configure the NIC: retried for up to 40 s,
# well within the guard's time.
confirm_lan() {
  local _
  for _ in $(seq 1 10); do
    lan_connected && return 0
    sleep 2
  done
  return 1
}
# give_back MANAGER: the NIC handed back to what configured it before, which renews a DHCP lease.
give_back() {
  case "$1" in
    NetworkManager)
      # The rollback script (LAN_BEFORE) has deleted ROS VPN's connections and activated the NIC's own.
      if ! nmcli -t -f DEVICE,STATE device 2>/dev/null | grep -qx "$LAN_IF:connected"; then
        nmcli device set "$LAN_IF" managed yes 2>/dev/null || true
        nmcli -w 30 device connect "$LAN_IF" >/dev/null || warn "NetworkManager did not activate a connection on $LAN_IF: see nmcli device status"
      fi
      changed "NetworkManager manages $LAN_IF again ($(nmcli -g GENERAL.CONNECTION device show "$LAN_IF" 2>/dev/null || true))" ;;
    systemd-networkd)
      networkctl reconfigure "$LAN_IF" 2>/dev/null || networkctl renew "$LAN_IF" || warn "systemd-networkd did not reconfigure $LAN_IF: see networkctl status $LAN_IF"
      changed "systemd-networkd manages $LAN_IF again" ;;
    *)
      [ "$ADDRESSING" = dhcp ] || [ "$1" = dhclient ] || return 0
      # The rollback script (LAN_BEFORE) of a newer rosvpn has started the NIC's own dhclient again.
      if pgrep --ns 1 --nslist pid -f "dhclient.* $LAN_IF\$" >/dev/null 2>&1; then changed "DHCP client of $LAN_IF running again"; return 0; fi
      if command -v dhclient >/dev/null 2>&1; then
        dhclient -nw -pf "/run/dhclient.$LAN_IF.pid" -lf "/var/lib/dhcp/dhclient.$LAN_IF.leases" "$LAN_IF"
        changed "DHCP lease of $LAN_IF renewed by dhclient"
      elif command -v udhcpc >/dev/null 2>&1; then
        udhcpc -b -q -i "$LAN_IF" >/dev/null 2>&1
        changed "DHCP lease of $LAN_IF renewed by udhcpc"
      elif systemctl is-active --quiet systemd-networkd 2>/dev/null; then
        networkctl renew "$LAN_IF"
        changed "DHCP lease of $LAN_IF renewed by networkctl"
      else
        warn "no DHCP client here (dhclient, udhcpc, systemd-networkd): $LAN_IF keeps the address it had, without a lease"
      fi ;;
  esac
}

step_begin lan-restore
if ip link show dev "$LAN_IF" >/dev/null 2>&1 && [ "$(link_field "$LAN_IF" master)" = "$BRIDGE" ]; then
  PING_TARGET=$(ip -4 route show default dev "$BRIDGE" 2>/dev/null | awk '{ print $3; exit }' || true)
  MANAGER=$(sed -n 's/^LAN_MANAGER=//p' "$LAN_MANAGER_FILE" 2>/dev/null || true)
  NM_CONF=0
  if [ -e /etc/NetworkManager/conf.d/90-rosvpn.conf ] || [ -e /etc/systemd/network/05-rosvpn-unmanaged.network ]; then NM_CONF=1; fi
  if [ -z "$MANAGER" ]; then
    # Provisioned by an older rosvpn: the manager that ROS VPN told to leave the NIC alone.
    MANAGER=none
    if [ -e /etc/NetworkManager/conf.d/90-rosvpn.conf ] && systemctl is-active --quiet NetworkManager 2>/dev/null; then MANAGER=NetworkManager; fi
    if [ -e /etc/systemd/network/05-rosvpn-unmanaged.network ] && systemctl is-active --quiet systemd-networkd 2>/dev/null; then MANAGER=systemd-networkd; fi
    warn "no record of who managed $LAN_IF before provisioning (an older rosvpn): handing it to ${MANAGER/none/no manager}"
  fi
  if [ -x "$DESKTOP_NET_UP" ]; then
    systemctl stop rosvpn-unprovision-guard.timer 2>/dev/null || true
    systemctl reset-failed rosvpn-unprovision-guard.service rosvpn-unprovision-guard.timer 2>/dev/null || true
    systemd-run --quiet --unit=rosvpn-unprovision-guard --on-active="$GUARD_SECONDS" "$DESKTOP_NET_UP"
    changed "guard armed: $BRIDGE comes back in $GUARD_SECONDS s unless connectivity is confirmed"
  else
    warn "$DESKTOP_NET_UP is gone, so nothing can bring $BRIDGE back: the move of $LAN_IF out of it is not guarded"
  fi
  # The DHCP client provisioning started on the bridge would keep renewing the bridge's lease.
  if [ -f /run/rosvpn-dhclient.pid ]; then kill "$(cat /run/rosvpn-dhclient.pid)" 2>/dev/null || true; rm -f /run/rosvpn-dhclient.pid; fi
  pkill --ns 1 --nslist pid -f "dhclient.* $BRIDGE\$" 2>/dev/null || true
  if [ -f "$LAN_BEFORE" ]; then
    /bin/sh "$LAN_BEFORE" >/dev/null 2>&1 || true
    PING_TARGET=$(restored_gateway "$LAN_BEFORE")
    changed "$LAN_IF out of $BRIDGE with its addressing before provisioning ($LAN_BEFORE)"
  elif [ -f "$ROLLBACK_SCRIPT" ]; then
    /bin/sh "$ROLLBACK_SCRIPT" >/dev/null 2>&1 || true
    PING_TARGET=$(restored_gateway "$ROLLBACK_SCRIPT")
    changed "$LAN_IF out of $BRIDGE with the addressing of the rollback script $ROLLBACK_SCRIPT"
  else
    addrs=$(ip -o -4 addr show dev "$BRIDGE" scope global | awk '{ print $4 }' || true)
    warn "no record of $LAN_IF's addressing before provisioning (an older rosvpn): it takes the bridge's ${addrs:-(none)}"
    {
      for a in $addrs; do echo "addr replace $a dev $LAN_IF"; done
      echo "link set dev $LAN_IF nomaster"
      echo "link del dev $BRIDGE"
      if [ -n "$PING_TARGET" ]; then echo "route replace default via $PING_TARGET dev $LAN_IF"; fi
    } | ip -batch -
    changed "$LAN_IF out of $BRIDGE with the bridge's addresses (${addrs:-none})"
  fi
  if [ -e /etc/NetworkManager/conf.d/90-rosvpn.conf ] || [ -e /etc/systemd/network/05-rosvpn-unmanaged.network ]; then NM_CONF=1; fi
  rm -f /etc/NetworkManager/conf.d/90-rosvpn.conf /etc/systemd/network/05-rosvpn-unmanaged.network
  if [ "$NM_CONF" = 1 ]; then
    if systemctl is-active --quiet NetworkManager 2>/dev/null; then nmcli general reload conf || true; fi
    if systemctl is-active --quiet systemd-networkd 2>/dev/null; then networkctl reload || true; fi
    changed "removed ROS VPN's unmanaged-devices drop-ins of NetworkManager / systemd-networkd"
  fi
  give_back "$MANAGER"
  # The timer stays armed while connectivity is checked: if this session dies meanwhile, it restores the bridge.
  if confirm_lan; then
    systemctl stop rosvpn-unprovision-guard.timer 2>/dev/null || true
    changed "connectivity confirmed${PING_TARGET:+ (default gateway $PING_TARGET answers)}; guard disarmed"
  else
    systemctl stop rosvpn-unprovision-guard.timer 2>/dev/null || true
    if [ -x "$DESKTOP_NET_UP" ]; then "$DESKTOP_NET_UP" >/dev/null 2>&1 || true; fi
    die "connectivity lost after taking $LAN_IF out of $BRIDGE; the bridge is restored. Check how $LAN_IF was configured before ROS VPN ($LAN_BEFORE)"
  fi
fi
# Left over from an interrupted run: the drop-ins, or a manager's files, without the bridge.
left=0
for f in /etc/NetworkManager/conf.d/90-rosvpn.conf /etc/systemd/network/05-rosvpn-unmanaged.network "$NM_BRIDGE_FILE" "$NM_LAN_FILE" \
  "$NETPLAN_FILE" "$ND_NETPLAN_BRIDGE_DROPIN" "$ND_NETPLAN_NETDEV_DROPIN" "$ND_NETDEV" "$ND_BRIDGE_NETWORK" "$ND_LAN_NETWORK"; do
  if [ -e "$f" ]; then
    rm -f "$f"
    changed "removed $f"
    left=1
  fi
done
if [ "$left" = 1 ]; then
  if systemctl is-active --quiet NetworkManager 2>/dev/null; then
    nmcli connection delete uuid "$NM_LAN_UUID" uuid "$NM_BRIDGE_UUID" >/dev/null 2>&1 || true
    nmcli general reload conf || true
  fi
  if command -v netplan >/dev/null 2>&1; then netplan generate || true; fi
  if systemctl is-active --quiet systemd-networkd 2>/dev/null; then networkctl reload || true; fi
fi
step_end
