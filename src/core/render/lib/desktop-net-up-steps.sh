# shellcheck shell=bash
# desktop-net-up-steps.sh: the steps of the desktop's desktop-net-up.sh (LAN NIC into the bridge, its
# addressing carried over), after the header renderDesktopNetUp (desktop.ts) writes with BRIDGE, LAN_IF,
# ADDRESSING... and step.sh, link.sh and net.sh. Defines its own no-op guard (see below).
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

# The desktop must move its LAN NIC, which may carry the SSH session: instead of refusing, the provisioning
# script arms a rollback timer before running this and disarms it once connectivity is confirmed.
guard() { :; }

# Stop other network managers from fighting over the NIC and the bridge.
release_from_managers() {
  if systemctl is-active --quiet NetworkManager 2>/dev/null; then
    write_conf /etc/NetworkManager/conf.d/90-rosvpn.conf < <(printf '[keyfile]\nunmanaged-devices=interface-name:%s;interface-name:%s;interface-name:tap*\n' "$LAN_IF" "$BRIDGE")
    if [ "$WROTE" = 1 ]; then nmcli general reload conf || true; fi
  fi
  if systemctl is-active --quiet systemd-networkd 2>/dev/null; then
    write_conf /etc/systemd/network/05-rosvpn-unmanaged.network < <(printf '# ROS VPN: these links are configured by %s\n[Match]\nName=%s %s tap*\n\n[Link]\nUnmanaged=yes\n' "$0" "$LAN_IF" "$BRIDGE")
    if [ "$WROTE" = 1 ]; then networkctl reload || true; fi
  fi
  # ifupdown's DHCP client for the NIC would put the address back on it.
  if pgrep -f "dhclient.* $LAN_IF\$" >/dev/null 2>&1; then
    pkill -f "dhclient.* $LAN_IF\$" || true
    changed "stopped the DHCP client of $LAN_IF (remove $LAN_IF from /etc/network/interfaces if it is listed there)"
  fi
}
write_conf() { # write_conf PATH < CONTENT: a config file for another network manager
  local tmp
  WROTE=0
  install -d -m 755 "$(dirname "$1")"
  tmp=$(mktemp)
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; return 0; fi
  install -m 644 "$tmp" "$1"
  rm -f "$tmp"
  WROTE=1
  changed "wrote $1"
}
dhcp_running() { pgrep -f "dhclient.* $BRIDGE\$" >/dev/null 2>&1; }
start_dhcp() {
  dhclient -nw -pf "/run/rosvpn-dhclient.pid" -lf "/var/lib/dhcp/dhclient.$BRIDGE.leases" "$BRIDGE"
  changed "DHCP client started on $BRIDGE"
}

step_begin lan-interface
link_exists "$LAN_IF" || die "LAN interface $LAN_IF does not exist here; set desktop.lanInterface in rosvpn.json to one of: $(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); printf "%s ", $2 }')"
[ -d "/sys/class/net/$LAN_IF/wireless" ] && die "$LAN_IF is a Wi-Fi interface: Wi-Fi clients cannot be bridged; use a wired NIC for desktop.lanInterface"
master=$(link_field "$LAN_IF" master)
case "$master" in '' | "$BRIDGE") ;; *) die "$LAN_IF is already a port of $master; free it first" ;; esac
step_end

step_begin bridge
release_from_managers
LAN_MAC=$(link_field "$LAN_IF" link/ether)
LAN_MTU=$(link_field "$LAN_IF" mtu)
ensure_bridge "$BRIDGE"
# The bridge keeps the NIC's MAC, so DHCP leases and the neighbours' ARP caches stay valid.
ensure_mac "$BRIDGE" "$LAN_MAC"
ensure_mtu "$BRIDGE" "$LAN_MTU"
ensure_up "$BRIDGE"
step_end

step_begin lan-port
if [ "$master" != "$BRIDGE" ]; then
  # Carry the NIC's current addresses and default route over to the bridge in one batch, so that
  # connections (this SSH session) keep their address; a static address from rosvpn.json replaces them below.
  old_addrs=$(ip -o -4 addr show dev "$LAN_IF" scope global | awk '{ print $4 }')
  old_gw=$(ip -4 route show default dev "$LAN_IF" | awk '{ print $3; exit }')
  {
    for a in $old_addrs; do echo "addr replace $a dev $BRIDGE"; done
    echo "link set dev $LAN_IF master $BRIDGE"
    echo "link set dev $LAN_IF up"
    for a in $old_addrs; do echo "addr del $a dev $LAN_IF"; done
    if [ -n "$old_gw" ]; then echo "route replace default via $old_gw dev $BRIDGE"; fi
  } | ip -batch -
  changed "moved $LAN_IF into $BRIDGE (addresses: ${old_addrs:-none}, default route: ${old_gw:-none})"
fi
ensure_no_address "$LAN_IF"
# The bridge's LAN ports are a declared set: desktop.lanInterface and the OpenVPN taps. A NIC that was the
# lanInterface before (rosvpn.json changed) leaves the bridge, or both NICs would bridge the LAN to itself.
for port in $(ip -o link show master "$BRIDGE" | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
  case "$port" in
    "$LAN_IF" | tap*) ;;
    *) guard "$port"; ip link set dev "$port" nomaster; changed "released $port from $BRIDGE (no longer desktop.lanInterface)" ;;
  esac
done
step_end

step_begin lan-addressing
if [ "$ADDRESSING" = static ]; then
  # A DHCP client left from dhcp addressing would put its lease back next to the static address.
  if dhcp_running; then pkill -f "dhclient.* $BRIDGE\$" || true; changed "stopped the DHCP client of $BRIDGE (static addressing)"; fi
  ensure_only_address "$BRIDGE" "$ADDRESS"
  if [ -n "$DEFAULT_GW" ] && ! ip -4 route show default | grep -q "via $DEFAULT_GW dev $BRIDGE"; then
    ip route replace default via "$DEFAULT_GW" dev "$BRIDGE"
    changed "default route via $DEFAULT_GW"
  fi
else
  dhcp_running || start_dhcp
fi
step_end

summary 0
