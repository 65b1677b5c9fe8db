# shellcheck shell=bash
# link.sh: ROS VPN's link attribute readers (iproute2, not sysfs); part of both file.sh's and net.sh's
# blocks in the rendered scripts.
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

# Link attributes come from iproute2, not /sys/class/net: in containers (systemd-nspawn, LXD) sysfs may
# show another network namespace than the one the script runs in.
# link_field IFACE KEY: the word after KEY in 'ip -d -o link show IFACE' (mtu, master, link/ether, stp_state...)
link_field() {
  if [ "$LINK_SNAP_ON" = 1 ]; then
    link_get "$1" "$2"
    if [ -n "$LINK_VALUE" ]; then printf '%s\n' "$LINK_VALUE"; fi
    return 0
  fi
  ip -d -o link show dev "$1" 2>/dev/null | tr ' ' '\n' | awk -v k="$2" 'prev == k { print; exit } { prev = $0 }'
}
has_tap_port() { # has_tap_port BRIDGE: an OpenVPN tap has joined the bridge
  local ports re=$'\n''[0-9]*: tap'
  ports=$(ip -o link show master "$1" 2>/dev/null) || return 1
  [[ $'\n'$ports =~ $re ]]
}
wait_tap_port() { # wait_tap_port BRIDGE SECONDS: until a tap joins BRIDGE (OpenVPN's up hook), polled every 0.05 s
  local i
  for ((i = 0; i < $2 * 20; i++)); do
    has_tap_port "$1" && return 0
    sleep 0.05
  done
  has_tap_port "$1"
}

# The link snapshot (cloud hosts' net-up.sh turns it on with link_snap_on): every link and IPv4 address
# read at once, with one 'ip -d -o link show' and one 'ip -o -4 addr show', and read again after a change
# (guard, which every change passes first, calls link_snap_forget). Off, each question runs ip as above.
LINK_SNAP_ON=0
LINK_SNAP_READ=0
LINK_VALUE=''
LINK_LINE=''
LINK_NAMES=()
LINK_ADDRS=()
declare -A LINK_SNAP=() ADDR_SNAP=() ADDR_DEV=()
link_snap_on() { LINK_SNAP_ON=1; link_snap_read; }
link_snap_forget() { LINK_SNAP_READ=0; }
link_snap_read() {
  local line name _ addr
  LINK_SNAP=()
  LINK_NAMES=()
  ADDR_SNAP=()
  ADDR_DEV=()
  while IFS= read -r line; do
    name=${line#*: }
    name=${name%%: *}
    name=${name%%@*}
    LINK_SNAP[$name]=$line
    LINK_NAMES+=("$name")
  done < <(ip -d -o link show 2>/dev/null || true)
  while read -r _ name _ addr _; do
    name=${name%%@*}
    ADDR_SNAP[$name]+="$addr "
    ADDR_DEV[${addr%/*}]=${ADDR_DEV[${addr%/*}]:-$name}
  done < <(ip -o -4 addr show 2>/dev/null || true)
  LINK_SNAP_READ=1
}
link_snap_fresh() { if [ "$LINK_SNAP_ON" = 1 ] && [ "$LINK_SNAP_READ" = 0 ]; then link_snap_read; fi; }
# link_get IFACE KEY: LINK_VALUE= what link_field prints, without a subshell (from the snapshot when on).
link_get() {
  local w prev=''
  local -a words
  LINK_VALUE=''
  if [ "$LINK_SNAP_ON" != 1 ]; then
    LINK_VALUE=$(link_field "$1" "$2")
    return 0
  fi
  link_snap_fresh
  read -ra words <<<"${LINK_SNAP[$1]:-}"
  for w in "${words[@]}"; do
    if [ "$prev" = "$2" ]; then LINK_VALUE=$w; return 0; fi
    prev=$w
  done
}
# link_line IFACE: LINK_LINE= its line of 'ip -d -o link show' (status 1, and '', when there is no such link).
link_line() {
  if [ "$LINK_SNAP_ON" = 1 ]; then
    link_snap_fresh
    LINK_LINE=${LINK_SNAP[$1]:-}
    [ -n "$LINK_LINE" ]
  else
    LINK_LINE=$(ip -d -o link show dev "$1" 2>/dev/null) || { LINK_LINE=''; return 1; }
  fi
}
# link_addrs IFACE: LINK_ADDRS=( its IPv4 addresses, CIDR ).
# shellcheck disable=SC2034 # read by the callers (net.sh), which a script with only this file does not have
link_addrs() {
  if [ "$LINK_SNAP_ON" = 1 ]; then
    link_snap_fresh
    read -ra LINK_ADDRS <<<"${ADDR_SNAP[$1]:-}"
  else
    mapfile -t LINK_ADDRS < <(ip -o -4 addr show dev "$1" | awk '{ print $4 }')
  fi
}
