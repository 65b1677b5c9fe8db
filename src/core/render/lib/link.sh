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
  ip -d -o link show dev "$1" 2>/dev/null | tr ' ' '\n' | awk -v k="$2" 'prev == k { print; exit } { prev = $0 }'
}
has_tap_port() { # has_tap_port BRIDGE: an OpenVPN tap has joined the bridge
  ip -o link show master "$1" 2>/dev/null | grep -q '^[0-9]*: tap'
}
