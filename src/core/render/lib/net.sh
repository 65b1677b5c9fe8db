# shellcheck shell=bash
# net.sh: ROS VPN's idempotent link, bridge and address helpers for the net-up scripts. Every change
# passes `guard IFACE` first (ssh-guard.sh, or the desktop's own); rendered after link.sh.
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

# ---- network helpers ---------------------------------------------------------
link_exists() {
  if [ "$LINK_SNAP_ON" = 1 ]; then link_snap_fresh; [ -n "${LINK_SNAP[$1]:-}" ]; else ip link show dev "$1" >/dev/null 2>&1; fi
}
link_is_up() { # link_is_up IFACE: its flags hold UP
  local re='[<,]UP[,>]'
  link_line "$1" && [[ $LINK_LINE =~ $re ]]
}
ensure_mtu() { # ensure_mtu IFACE MTU
  link_get "$1" mtu
  if [ "$LINK_VALUE" != "$2" ]; then guard "$1"; ip link set dev "$1" mtu "$2"; changed "set $1 mtu $2"; fi
}
ensure_up() {
  if ! link_is_up "$1"; then guard "$1"; ip link set dev "$1" up; changed "brought $1 up"; fi
}
ensure_master() { # ensure_master PORT BRIDGE
  link_get "$1" master
  if [ "$LINK_VALUE" != "$2" ]; then
    guard "$1"; ip link set dev "$1" master "$2"; changed "added $1 to $2"
  fi
}
ensure_mac() { # ensure_mac IFACE MAC
  link_get "$1" link/ether
  if [ "$LINK_VALUE" != "$2" ]; then guard "$1"; ip link set dev "$1" address "$2"; changed "set $1 address $2"; fi
}
# ensure_bridge NAME: STP off (no BPDUs into the tunnel, no 30 s listening delay), multicast snooping off
# (DDS discovery is multicast and must be flooded to every port).
ensure_bridge() {
  if ! link_exists "$1"; then
    guard "$1"
    ip link add name "$1" type bridge stp_state 0 mcast_snooping 0
    changed "created bridge $1"
  fi
  link_get "$1" stp_state
  if [ "$LINK_VALUE" != 0 ]; then guard "$1"; ip link set dev "$1" type bridge stp_state 0; changed "STP off on $1"; fi
  link_get "$1" mcast_snooping
  if [ "$LINK_VALUE" != 0 ]; then guard "$1"; ip link set dev "$1" type bridge mcast_snooping 0; changed "multicast snooping off on $1"; fi
}
# ensure_only_address IFACE CIDR: exactly this IPv4 address on IFACE.
ensure_only_address() {
  local a
  link_addrs "$1"
  for a in "${LINK_ADDRS[@]}"; do
    if [ "$a" != "$2" ]; then guard "$1"; ip addr del "$a" dev "$1"; changed "removed stale address $a from $1"; fi
  done
  link_addrs "$1"
  if ! in_words "$2" "${LINK_ADDRS[@]}"; then
    guard "$1"; ip addr add "$2" dev "$1"; changed "address $2 on $1"
  fi
}
in_words() { # in_words WORD LIST...
  local w=$1 x
  shift
  for x in "$@"; do [ "$x" = "$w" ] && return 0; done
  return 1
}
# ensure_no_address IFACE: bridge ports carry no IPv4 address (an address on a bridged port breaks; the guide's defect).
ensure_no_address() {
  local a
  link_addrs "$1"
  for a in "${LINK_ADDRS[@]}"; do
    guard "$1"; ip addr del "$a" dev "$1"; changed "removed address $a from bridge port $1"
  done
}
