# shellcheck shell=bash
# net-up-steps.sh: the steps of a cloud host's net-up.sh (underlay, bridge, tunnel, flood peers), after
# the header renderNetUp (network.ts) writes with ROLE, BRIDGE, MTU, TUNNEL, PEERS... and step.sh,
# ssh-guard.sh, link.sh and net.sh.
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

# ---- steps -------------------------------------------------------------------
step_begin underlay
UNDERLAY_IF=$(ip -o -4 addr show to "$LOCAL_IP" | awk '{ print $2; exit }')
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
  for dev in $(gretap_devices); do
    n=${dev#rosgre}
    if [ "$n" -ge "$1" ] 2>/dev/null; then guard "$dev"; ip link del dev "$dev"; changed "removed $dev"; fi
  done
}
gretap_devices() { ip -o link show type gretap 2>/dev/null | awk -F': ' '{ print $2 }' | cut -d@ -f1 | grep '^rosgre[0-9]' || true; }
gretap_remote() { link_field "$1" remote; }
# The gretap devices are a declared set, one per peer, numbered in PEERS order (rosgre0..N-1, which the
# health check counts). A device to an address that is no longer a peer (a second removed from rosvpn.json)
# is deleted; a peer whose device has another number (a second before it was removed) moves to its own,
# first deleting the old one: the kernel refuses two gretap devices with the same endpoints.
converge_gretaps() {
  local dev peer remote other i=0
  for dev in $(gretap_devices); do
    remote=$(gretap_remote "$dev")
    case " ${PEERS[*]} " in
      *" $remote "*) ;;
      *) guard "$dev"; ip link del dev "$dev"; changed "removed peer ${remote:-unknown} ($dev)" ;;
    esac
  done
  for peer in "${PEERS[@]}"; do
    dev="rosgre$i"
    for other in $(gretap_devices); do
      if [ "$other" != "$dev" ] && [ "$(gretap_remote "$other")" = "$peer" ]; then
        guard "$other"; ip link del dev "$other"; changed "removed $other (peer $peer moves to $dev)"
      fi
    done
    if link_exists "$dev"; then
      case "$(ip -d -o link show dev "$dev")" in
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
  if link_exists "$VXLAN_DEV"; then
    details=$(ip -d -o link show dev "$VXLAN_DEV")
    case "$details" in
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

if [ "$TUNNEL" = vxlan ]; then
  step_begin tunnel-peers
  current=$(bridge fdb show dev "$VXLAN_DEV" | awk '$1 == "00:00:00:00:00:00" { for (i = 2; i < NF; i++) if ($i == "dst") print $(i + 1) }')
  for peer in "${PEERS[@]}"; do
    if ! grep -qxF "$peer" <<<"$current"; then
      bridge fdb append 00:00:00:00:00:00 dev "$VXLAN_DEV" dst "$peer"
      changed "flood to peer $peer"
    fi
  done
  for old in $current; do
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
  while read -r mac old; do
    case " ${PEERS[*]} " in
      *" $old "*) ;;
      *) bridge fdb del "$mac" dev "$VXLAN_DEV" dst "$old" 2>/dev/null || true; changed "forgot $mac behind removed peer $old" ;;
    esac
  done < <(bridge fdb show dev "$VXLAN_DEV" | awk '$1 != "00:00:00:00:00:00" { for (i = 2; i < NF; i++) if ($i == "dst") print $1, $(i + 1) }')
  step_end
else
  step_skip tunnel-peers "gretap tunnels are point-to-point"
fi

summary 0
