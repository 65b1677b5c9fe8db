# shellcheck shell=bash
# check-guard.sh: the bridge guard's part of the health check script (check.ts) of a desktop or a gateway,
# read-only. GUARD_WANTED (1: filter.enabled) and GUARD_TABLE come from the script's header. Prints
#   ::guard-state on|off|missing|unreadable
#   ::guard-load <boot id>/<table handle>       (only when on: what the counters count since)
#   ::guard <counter> packets=<n> bytes=<n>      (one per named counter of the table, only when on)
# The format, the states and the counter names: src/core/render/guard.ts (GUARD_LINE_FORMAT); read by src/core/provision/guard.ts (parseGuardLines).
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

if [ "$GUARD_WANTED" != 1 ]; then
  echo '::guard-state off'
elif [ "$(id -u)" -ne 0 ]; then
  # nft needs root (CAP_NET_ADMIN) even to list: the background check runs as the login user.
  echo '::guard-state unreadable'
elif guard_out=$(nft list counters table bridge "$GUARD_TABLE" 2>/dev/null); then
  echo '::guard-state on'
  # The counters count since the table was loaded: this boot's id and the table's handle (nft gives a re-created
  # table a new one) name that load, so a reboot or a reload is seen even when every counter has since grown past
  # its value at the previous check.
  guard_handle=$(nft -a list table bridge "$GUARD_TABLE" 2>/dev/null | sed -n '1s/.*# handle \([0-9]\{1,10\}\)$/\1/p') || true
  guard_boot=$(</proc/sys/kernel/random/boot_id) || true
  if [ -n "$guard_handle" ] && [ -n "$guard_boot" ]; then echo "::guard-load $guard_boot/$guard_handle"; fi
  # nft prints each named counter as: counter NAME { / packets N bytes M / }
  awk '$1 == "counter" && $2 ~ /^[a-z_]+$/ { name = $2; next }
    $1 == "packets" && $3 == "bytes" && name != "" && $2 ~ /^[0-9]+$/ && $4 ~ /^[0-9]+$/ {
      printf "::guard %s packets=%s bytes=%s\n", name, $2, $4
      name = ""
    }' <<<"$guard_out"
else
  echo '::guard-state missing'
fi
