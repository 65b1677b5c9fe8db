# shellcheck shell=bash
# check-tunnel.sh: the tunnel check of the cloud hosts' health check scripts (check.ts): TUNNEL,
# VXLAN_DEV and PEERS come from the script's header, pass/fail from check.sh.
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

if [ "$TUNNEL" = vxlan ]; then
  if ip -o link show dev "$VXLAN_DEV" 2>/dev/null | grep -q "master $BRIDGE"; then
    flood=$(bridge fdb show dev "$VXLAN_DEV" | awk '$1 == "00:00:00:00:00:00" { print $3 }')
    missing=''
    for p in "${PEERS[@]}"; do grep -qxF "$p" <<<"$flood" || missing="$missing $p"; done
    if [ -z "$missing" ]; then pass tunnel "$VXLAN_DEV in $BRIDGE, flooding to ${#PEERS[@]} peer(s)"; else fail tunnel "$VXLAN_DEV lacks flood entries for:$missing"; fi
  else
    fail tunnel "$VXLAN_DEV is missing or not in $BRIDGE"
  fi
else
  n=0
  for i in "${!PEERS[@]}"; do
    if ip -o link show dev "rosgre$i" 2>/dev/null | grep -q "master $BRIDGE"; then n=$((n + 1)); fi
  done
  if [ "$n" -eq ${#PEERS[@]} ]; then pass tunnel "$n gretap tunnel(s) in $BRIDGE"; else fail tunnel "$n of ${#PEERS[@]} gretap tunnels are in $BRIDGE"; fi
fi
