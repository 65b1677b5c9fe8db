# shellcheck shell=bash
# net-up-steps.sh: the steps of a cloud host's net-up.sh (underlay, bridge, tunnel, flood peers), after
# the header renderNetUp (network.ts) writes with ROLE, BRIDGE, MTU, TUNNEL, PEERS... and step.sh,
# ssh-guard.sh, link.sh and net.sh.
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

# Links and addresses read once (link.sh's snapshot); every change (guard) has them read again.
link_snap_on

# ---- steps -------------------------------------------------------------------
step_begin underlay
UNDERLAY_IF=${ADDR_DEV[$LOCAL_IP]:-}
[ -n "$UNDERLAY_IF" ] || die "no interface on this host has the cloud address $LOCAL_IP; check cloudIp in rosvpn.json against 'ip -4 addr' here"
UNDERLAY_MTU=$(link_field "$UNDERLAY_IF" mtu)
TUNNEL_MTU=$MTU
if [ $((UNDERLAY_MTU - OVERHEAD)) -lt "$MTU" ]; then
  TUNNEL_MTU=$((UNDERLAY_MTU - OVERHEAD))
  warn "$UNDERLAY_IF has MTU $UNDERLAY_MTU: the $TUNNEL tunnel carries frames of at most $TUNNEL_MTU bytes, less than the bridge's $MTU, so larger frames from the robot LAN are dropped. Raise $UNDERLAY_IF's MTU to $((MTU + OVERHEAD)) or more (AWS VPCs allow 9001)."
fi
info "underlay $UNDERLAY_IF ($LOCAL_IP, MTU $UNDERLAY_MTU); tunnel MTU $TUNNEL_MTU"
step_end

step_begin bridge
ensure_bridge "$BRIDGE"
ensure_mac "$BRIDGE" "$BRIDGE_MAC"
ensure_mtu "$BRIDGE" "$MTU"
ensure_up "$BRIDGE"
step_end

step_begin bridge-address
ensure_only_address "$BRIDGE" "$BRIDGE_ADDR"
step_end

# vxlan: one device, head-end replication of broadcast/multicast to every peer through static all-zeros
# FDB entries (no multicast underlay needed). gretap: one point-to-point device per peer.
remove_vxlan() {
  if link_exists "$VXLAN_DEV"; then guard "$VXLAN_DEV"; ip link del dev "$VXLAN_DEV"; changed "removed $VXLAN_DEV"; fi
}
remove_gretaps_from() { # remove_gretaps_from INDEX: delete rosgreN devices with N >= INDEX
  local dev n
  gretap_list
  for dev in "${GRETAPS[@]}"; do
    n=${dev#rosgre}
    if [ "$n" -ge "$1" ] 2>/dev/null; then guard "$dev"; ip link del dev "$dev"; changed "removed $dev"; fi
  done
}
gretap_list() { # GRETAPS=( the rosgreN gretap devices, in ip's order )
  local name
  GRETAPS=()
  link_snap_fresh
  for name in "${LINK_NAMES[@]}"; do
    if [[ $name =~ ^rosgre[0-9] && ${LINK_SNAP[$name]} == *' gretap remote '* ]]; then GRETAPS+=("$name"); fi
  done
}
# The gretap devices are a declared set, one per peer, numbered in PEERS order (rosgre0..N-1, which the
# health check counts). A device to an address that is no longer a peer (a second removed from rosvpn.json)
# is deleted; a peer whose device has another number (a second before it was removed) moves to its own,
# first deleting the old one: the kernel refuses two gretap devices with the same endpoints.
converge_gretaps() {
  local dev peer remote other i=0
  gretap_list
  for dev in "${GRETAPS[@]}"; do
    link_get "$dev" remote
    remote=$LINK_VALUE
    case " ${PEERS[*]} " in
      *" $remote "*) ;;
      *) guard "$dev"; ip link del dev "$dev"; changed "removed peer ${remote:-unknown} ($dev)" ;;
    esac
  done
  for peer in "${PEERS[@]}"; do
    dev="rosgre$i"
    gretap_list
    for other in "${GRETAPS[@]}"; do
      link_get "$other" remote
      if [ "$other" != "$dev" ] && [ "$LINK_VALUE" = "$peer" ]; then
        guard "$other"; ip link del dev "$other"; changed "removed $other (peer $peer moves to $dev)"
      fi
    done
    if link_line "$dev"; then
      case "$LINK_LINE" in
        *"gretap remote $peer local $LOCAL_IP "*) ;;
        *) guard "$dev"; ip link del dev "$dev"; changed "removed $dev (endpoints changed)" ;;
      esac
    fi
    if ! link_exists "$dev"; then
      guard "$dev"
      ip link add "$dev" type gretap local "$LOCAL_IP" remote "$peer" ttl 64 dev "$UNDERLAY_IF" ||
        die "cannot create gretap device $dev: this kernel lacks GRE (ip_gre) support or it is blocked; use \"tunnel\": \"vxlan\" in rosvpn.json"
      changed "created $dev to $peer"
    fi
    ensure_mtu "$dev" "$TUNNEL_MTU"
    ensure_no_address "$dev"
    ensure_master "$dev" "$BRIDGE"
    ensure_up "$dev"
    i=$((i + 1))
  done
  remove_gretaps_from "$i"
}

step_begin tunnel
if [ "$TUNNEL" = vxlan ]; then
  remove_gretaps_from 0
  if link_line "$VXLAN_DEV"; then
    case "$LINK_LINE" in
      *"vxlan id $VNI local $LOCAL_IP dev $UNDERLAY_IF "*"dstport $VXLAN_PORT "*) ;;
      *) remove_vxlan ;;
    esac
  fi
  if ! link_exists "$VXLAN_DEV"; then
    guard "$VXLAN_DEV"
    ip link add "$VXLAN_DEV" type vxlan id "$VNI" local "$LOCAL_IP" dev "$UNDERLAY_IF" dstport "$VXLAN_PORT"
    changed "created $VXLAN_DEV (vni $VNI, udp $VXLAN_PORT)"
  fi
  ensure_mtu "$VXLAN_DEV" "$TUNNEL_MTU"
  ensure_no_address "$VXLAN_DEV"
  ensure_master "$VXLAN_DEV" "$BRIDGE"
  ensure_up "$VXLAN_DEV"
else
  remove_vxlan
  converge_gretaps
fi
step_end

# fdb_read: the tunnel's forwarding entries, one 'bridge fdb show': FDB_FLOOD=( the peer of each all-zeros
# entry ), FDB_LEARNED=( 'MAC PEER' of each MAC learned behind a peer ).
fdb_read() {
  local fdb i
  local -a w
  FDB_FLOOD=()
  FDB_LEARNED=()
  fdb=$(bridge fdb show dev "$VXLAN_DEV")
  while read -ra w; do
    for ((i = 1; i < ${#w[@]} - 1; i++)); do
      if [ "${w[$i]}" != dst ]; then continue; fi
      if [ "${w[0]}" = 00:00:00:00:00:00 ]; then FDB_FLOOD+=("${w[i + 1]}"); else FDB_LEARNED+=("${w[0]} ${w[i + 1]}"); fi
    done
  done <<<"$fdb"
}

if [ "$TUNNEL" = vxlan ]; then
  step_begin tunnel-peers
  fdb_read
  for peer in "${PEERS[@]}"; do
    if ! in_words "$peer" "${FDB_FLOOD[@]}"; then
      bridge fdb append 00:00:00:00:00:00 dev "$VXLAN_DEV" dst "$peer"
      changed "flood to peer $peer"
    fi
  done
  for old in "${FDB_FLOOD[@]}"; do
    case " ${PEERS[*]} " in
      *" $old "*) ;;
      *)
        bridge fdb del 00:00:00:00:00:00 dev "$VXLAN_DEV" dst "$old"
        # Its entry in the underlay's neighbour cache (from VXLAN, or SSH jumps through this host) would linger.
        ip neigh del "$old" dev "$UNDERLAY_IF" 2>/dev/null || true
        changed "removed peer $old"
        ;;
    esac
  done
  # MACs learned behind a removed peer would age out in 5 minutes; forget them now, so that no trace is left.
  if [ "$STEP_CHANGED" = 1 ]; then fdb_read; fi
  for entry in "${FDB_LEARNED[@]}"; do
    read -r mac old <<<"$entry"
    case " ${PEERS[*]} " in
      *" $old "*) ;;
      *) bridge fdb del "$mac" dev "$VXLAN_DEV" dst "$old" 2>/dev/null || true; changed "forgot $mac behind removed peer $old" ;;
    esac
  done
  step_end
else
  step_skip tunnel-peers "gretap tunnels are point-to-point"
fi

summary 0
