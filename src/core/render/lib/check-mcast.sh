# shellcheck shell=bash
# check-mcast.sh: the DDS-level probe of the health check scripts (check.ts). DDS discovery is multicast
# (SPDP to 239.255.0.1), so a bridge that passes pings can still leave ROS 2 nodes blind to each other
# (IGMP snooping, a firewall, a tap that drops multicast). mcast_start runs, in the background while the
# other checks run, a python3 receiver joined to MCAST_GROUP on BRIDGE that also sends this host's label
# with TTL 1 out of BRIDGE; the orchestrator starts every host's script at once, so each receiver hears the
# others' senders within its window. Listens MCAST_WINDOW seconds and sends every 0.5 s from 0.5 s until
# 1 s before the end, so hosts started up to ~3 s apart still hear each other. No root needed: joining a
# group, sending, and binding a port above 1024 are unprivileged. mcast_report prints one
# ::check name=mcast:<from> per expected sender (MCAST_FROM, from the header).
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

mcast_start() {
  mcast_pid=''
  [ ${#MCAST_FROM[@]} -gt 0 ] || return 0
  mcast_out=$(mktemp)
  command -v python3 >/dev/null 2>&1 || return 0
  python3 - "$BRIDGE" "$MCAST_GROUP" "$MCAST_PORT" "$HOST_NAME" "$MCAST_WINDOW" >"$mcast_out" 2>&1 <<'PY' &
import select, socket, struct, sys, time
dev, group, port, me, window = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
try:
    # ip_mreqn by interface index: a DHCP desktop's address is not known here, the interface is.
    mreqn = struct.pack("4s4si", socket.inet_aton(group), socket.inet_aton("0.0.0.0"), socket.if_nametoindex(dev))
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    rx.bind((group, port))
    rx.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
except OSError as e:
    print("error", e)
    sys.exit(0)
start = time.monotonic()
sends = [0.5 * i for i in range(1, int(window * 2) - 1)]
counts, sent, err = {}, 0, ""
while True:
    now = time.monotonic() - start
    if now >= window:
        break
    while sends and now >= sends[0]:
        sends.pop(0)
        try:
            tx.sendto(("rosvpn-mcast " + me).encode(), (group, port))
            sent += 1
        except OSError as e:
            err = str(e)
    if select.select([rx], [], [], max(0.0, min(sends[0] if sends else window, window) - now))[0]:
        words = rx.recv(512).decode("utf-8", "replace").split()
        if len(words) == 2 and words[0] == "rosvpn-mcast" and words[1] != me:
            counts[words[1]] = counts.get(words[1], 0) + 1
print("sent", sent, err)
for k, n in counts.items():
    print("from", k, n)
PY
  mcast_pid=$!
}

mcast_report() {
  [ ${#MCAST_FROM[@]} -gt 0 ] || return 0
  if [ -z "$mcast_pid" ]; then
    for p in "${MCAST_FROM[@]}"; do fail "mcast:$p" "python3 is missing on $HOST_NAME, which the multicast probe needs: sudo apt-get install -y python3-minimal"; done
    rm -f "$mcast_out"
    return 0
  fi
  # Already reaped when check-reach.sh's wait (for every job) ran first: then bash no longer knows it.
  wait "$mcast_pid" 2>/dev/null || true
  err=$(awk '$1 == "error" { $1 = ""; print substr($0, 2) }' "$mcast_out")
  read -r _ sent senderr < <(grep '^sent ' "$mcast_out" || echo "sent 0")
  if [ -n "$err" ] || [ -n "${senderr:-}" ]; then
    fail mcast-send "cannot join or send to $MCAST_GROUP on $BRIDGE: ${err:-$senderr}"
  else
    pass mcast-send "$sent datagram(s) sent to $MCAST_GROUP:$MCAST_PORT out of $BRIDGE (TTL 1)"
  fi
  for p in "${MCAST_FROM[@]}"; do
    n=$(awk -v p="$p" '$1 == "from" && $2 == p { print $3 }' "$mcast_out")
    if [ -n "$n" ]; then
      pass "mcast:$p" "$n multicast datagram(s) from $p to $MCAST_GROUP:$MCAST_PORT arrived on $BRIDGE"
    else
      fail "mcast:$p" "no multicast from $p to $MCAST_GROUP:$MCAST_PORT on $BRIDGE, so DDS discovery between them fails (see $p's mcast-send; IGMP snooping, a firewall or a tunnel that drops multicast)"
    fi
  done
  rm -f "$mcast_out"
}
