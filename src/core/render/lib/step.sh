# shellcheck shell=bash
# step.sh: ROS VPN's step reporting (::step / ::warn / ::summary lines on stdout), the tally shared with
# nested scripts, and the ERR trap that turns any failed command into a failed step.
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

# ---- step reporting -----------------------------------------------------------
STEP=preflight
STEP_CHANGED=0
# Each ::step line ends with the step's duration, ms=N: from bash's clock $EPOCHREALTIME (no process forked),
# in microseconds with the decimal point removed (0 throughout on a bash without it).
STEP_T0=${EPOCHREALTIME:-0}
STEP_T0=${STEP_T0/[.,]/}
# Step results are tallied in a file so that nested scripts (net-up.sh) count towards one summary.
if [ -z "${ROSVPN_TALLY:-}" ]; then
  ROSVPN_TALLY=$(mktemp /tmp/rosvpn-tally.XXXXXX)
  ROSVPN_TALLY_OWNER=1
  export ROSVPN_TALLY
fi

msg_escape() { local m=$*; m=${m//\"/\'}; printf '%s' "${m//$'\n'/ }"; }
report() { # report NAME STATUS [MESSAGE]: the time since step_begin as ms= (0 for a skipped step)
  local ms=0 now=${EPOCHREALTIME:-0}
  if [ "$2" != skipped ]; then ms=$(((10#${now/[.,]/} - 10#$STEP_T0) / 1000)); fi
  if [ -n "${3:-}" ]; then
    printf '::step name=%s status=%s msg="%s" ms=%s\n' "$1" "$2" "$(msg_escape "$3")" "$ms"
  else
    printf '::step name=%s status=%s ms=%s\n' "$1" "$2" "$ms"
  fi
  printf '%s\n' "$2" >>"$ROSVPN_TALLY"
}
info() { printf '  %s\n' "$*"; }
warn() { printf '::warn msg="%s"\n' "$(msg_escape "$*")"; }
step_begin() { STEP=$1; STEP_CHANGED=0; STEP_T0=${EPOCHREALTIME:-0}; STEP_T0=${STEP_T0/[.,]/}; }
changed() { STEP_CHANGED=1; if [ $# -gt 0 ]; then info "$*"; fi; }
step_end() { if [ "$STEP_CHANGED" -eq 1 ]; then report "$STEP" changed; else report "$STEP" ok; fi; }
step_skip() { report "$1" skipped "$2"; }
summary() { # summary FAILED: the tally of every step, and the CPU time of this run (the script and what it ran)
  [ "${ROSVPN_TALLY_OWNER:-0}" = 1 ] || return 0
  local c=0 o=0 s=0 r
  while IFS= read -r r; do
    case "$r" in changed) c=$((c + 1)) ;; ok) o=$((o + 1)) ;; skipped) s=$((s + 1)) ;; esac
  done <"$ROSVPN_TALLY"
  cpu_ms
  printf '::summary role=%s host=%s changed=%s ok=%s skipped=%s failed=%s cpu_ms=%s\n' "$ROLE" "$HOST_NAME" "$c" "$o" "$s" "$1" "$CPU_MS"
  rm -f "$ROSVPN_TALLY"
}
# cpu_ms: CPU_MS = user + system time of this shell and its children so far, in ms. From bash's `times`, into a
# file rather than $(...): a subshell would report its own times, not this shell's.
cpu_ms() {
  local t m sec frac
  CPU_MS=0
  times >"$ROSVPN_TALLY.cpu"
  for t in $(<"$ROSVPN_TALLY.cpu"); do
    t=${t%s} m=${t%%m*} sec=${t#*m}
    frac=${sec#*.}000
    CPU_MS=$((CPU_MS + 10#$m * 60000 + 10#${sec%.*} * 1000 + 10#${frac:0:3}))
  done
  rm -f "$ROSVPN_TALLY.cpu"
}
die() { # die MESSAGE: fail the current step with a message an admin can act on
  trap - ERR
  report "$STEP" failed "$*"
  summary 1
  exit 1
}
die_code() { # die_code CODE MESSAGE: like die, with a code the orchestrator branches on (e.g. CA_LOCKED)
  trap - ERR
  local code=$1 now=${EPOCHREALTIME:-0}
  shift
  printf '::step name=%s status=failed code=%s msg="%s" ms=%s\n' "$STEP" "$code" "$(msg_escape "$*")" "$(((10#${now/[.,]/} - 10#$STEP_T0) / 1000))"
  printf 'failed\n' >>"$ROSVPN_TALLY"
  summary 1
  exit 1
}
on_error() {
  local rc=$? line=$1 cmd=$2
  trap - ERR
  report "$STEP" failed "command failed (exit $rc) at line $line: $cmd"
  summary 1
  exit "$rc"
}
trap 'on_error "$LINENO" "$BASH_COMMAND"' ERR
