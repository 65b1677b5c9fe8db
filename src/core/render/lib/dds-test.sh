# shellcheck shell=bash
# dds-test.sh: one side of the DDS test (render/ddsTest.ts), the original guide's last test: a talker on a
# second, a listener on the desktop, both pinned to the bridge by provisioning's CycloneDDS config. MODE
# (pub|sub) and DURATION come from the header. ddsperf (cyclonedds-tools) where installed, else ROS 2's
# demo talker/listener; neither: says what to install. Output: one
# `::dds tool=ddsperf|ros2|none rc=N samples=N lost=N` line (samples and lost only from the listener).
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

# ROS 2's setup.bash reads unset variables: sourced before set -u.
for setup in /opt/ros/*/setup.bash; do
  if [ -f "$setup" ] && ! command -v ddsperf >/dev/null 2>&1; then
    # shellcheck disable=SC1090
    . "$setup" >/dev/null 2>&1
    break
  fi
done
set -u
export LC_ALL=C CYCLONEDDS_URI
if command -v ddsperf >/dev/null 2>&1; then
  if [ "$MODE" = sub ]; then
    out=$(ddsperf -D $((DURATION + 2)) sub 2>&1)
    rc=$?
    last=$(grep -o 'size [0-9]* total [0-9]* lost [0-9]*' <<<"$out" | tail -n 1)
    read -r _ _ _ samples _ lost <<<"${last:-size 0 total 0 lost 0}"
    echo "::dds tool=ddsperf rc=$rc samples=$samples lost=$lost"
  else
    ddsperf -D "$DURATION" pub 100Hz size 1k >/dev/null 2>&1
    echo "::dds tool=ddsperf rc=$? samples=0 lost=0"
  fi
elif command -v ros2 >/dev/null 2>&1; then
  export RMW_IMPLEMENTATION=rmw_cyclonedds_cpp
  if [ "$MODE" = sub ]; then
    out=$(timeout $((DURATION + 2)) ros2 run demo_nodes_cpp listener 2>&1)
    nums=$(grep -o 'I heard: \[Hello World: [0-9]*\]' <<<"$out" | grep -o '[0-9]*' | sort -n)
    samples=$(grep -c . <<<"$nums")
    lost=0
    if [ "$samples" -gt 0 ]; then lost=$(($(tail -n 1 <<<"$nums") - $(head -n 1 <<<"$nums") + 1 - samples)); fi
    echo "::dds tool=ros2 rc=0 samples=$samples lost=$lost"
  else
    timeout "$DURATION" ros2 run demo_nodes_cpp talker >/dev/null 2>&1
    echo "::dds tool=ros2 rc=0 samples=0 lost=0"
  fi
else
  echo "::dds tool=none rc=127 samples=0 lost=0"
fi
