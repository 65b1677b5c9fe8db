# shellcheck shell=bash
# check-reach.sh: the last part of every health check script (check.ts): all pings at once, so the check
# takes one timeout however many hosts there are. TARGETS, TARGET_NAMES and MTU come from the script's
# header. Besides reachability, one MTU-sized frame with don't-fragment set per target: DDS sends
# full-size datagrams, which a tunnel with a smaller MTU would drop while small pings pass.
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

results=$(mktemp -d)
for i in "${!TARGETS[@]}"; do
  { if ping -c 2 -i 0.2 -W 2 "${TARGETS[$i]}" >/dev/null 2>&1; then echo pass; else echo fail; fi >"$results/$i"; } &
  { if ping -c 2 -i 0.2 -W 2 -Mdo -s $((MTU - 28)) "${TARGETS[$i]}" >/dev/null 2>&1; then echo pass; else echo fail; fi >"$results/mtu$i"; } &
done
wait
for i in "${!TARGETS[@]}"; do
  if [ "$(cat "$results/$i")" = pass ]; then
    pass "reach:${TARGET_NAMES[$i]}" "${TARGETS[$i]} answers"
  else
    fail "reach:${TARGET_NAMES[$i]}" "${TARGETS[$i]} does not answer across $BRIDGE"
  fi
  if [ "$(cat "$results/mtu$i")" = pass ]; then
    pass "mtu:${TARGET_NAMES[$i]}" "$MTU-byte frames with don't-fragment reach ${TARGETS[$i]}"
  else
    fail "mtu:${TARGET_NAMES[$i]}" "$MTU-byte frames with don't-fragment do not reach ${TARGETS[$i]} across $BRIDGE (a tunnel or underlay MTU below $MTU; see the tunnel's MTU warning of rosvpn provision)"
  fi
done
rm -rf "$results"
