# shellcheck shell=bash
# check.sh: the start of every health check script (check.ts): the ::check line helpers, then the bridge
# and its address, after the header with HOST_NAME, BRIDGE and ADDR.
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

set -u
export LC_ALL=C
check() { printf '::check name=%s status=%s msg="%s"\n' "$1" "$2" "${3//\"/\'}"; }
pass() { check "$1" pass "$2"; }
fail() { check "$1" fail "$2"; }
if ip -o link show dev "$BRIDGE" 2>/dev/null | grep -q '[<,]UP[,>]'; then
  pass bridge "$BRIDGE is up"
else
  fail bridge "$BRIDGE is missing or down (provision this host: rosvpn provision --host $HOST_NAME)"
fi
if [ -n "$ADDR" ]; then
  if ip -o -4 addr show dev "$BRIDGE" 2>/dev/null | grep -qF " $ADDR "; then pass bridge-address "$ADDR on $BRIDGE"; else fail bridge-address "$ADDR is not on $BRIDGE"; fi
fi
