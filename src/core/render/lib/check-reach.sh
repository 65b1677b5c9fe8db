# shellcheck shell=bash
# check-reach.sh: the last part of every health check script (check.ts): all pings at once, so the check
# takes one timeout however many hosts there are. TARGETS and TARGET_NAMES come from the script's header.
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

results=$(mktemp -d)
for i in "${!TARGETS[@]}"; do
  { if ping -c 2 -i 0.2 -W 2 "${TARGETS[$i]}" >/dev/null 2>&1; then echo pass; else echo fail; fi >"$results/$i"; } &
done
wait
for i in "${!TARGETS[@]}"; do
  if [ "$(cat "$results/$i")" = pass ]; then
    pass "reach:${TARGET_NAMES[$i]}" "${TARGETS[$i]} answers"
  else
    fail "reach:${TARGET_NAMES[$i]}" "${TARGETS[$i]} does not answer across $BRIDGE"
  fi
done
rm -rf "$results"
