# shellcheck shell=bash
# snap.sh: what this host is, read once per run. The systemd units and the files a provisioning script
# manages are each read with one command (snap_units, snap_files, rendered after the libraries); the apt
# packages and kernel limits of a step with one command per step. A rerun where nothing changes then
# decides every step from these instead of a process per check.
# Trusted one way only: a unit the snapshot shows enabled and active, a file whose mode and owner are as
# wanted, is left alone; anything else is checked again live, exactly as without the snapshot. What the
# script changes it records (or forgets, and reads again). Needs step.sh; rendered before file.sh.
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

# ---- state snapshot ------------------------------------------------------------
declare -A SNAP_UNIT_FILE=() SNAP_UNIT_ACTIVE=() SNAP_FILE=()
# snap_units UNIT...: UnitFileState and ActiveState of every UNIT, one systemctl call for all. systemctl
# show prints one block per unit, in the order asked; if the count differs, nothing is recorded.
snap_units() {
  local out block i line key value
  local -a blocks=() units=("$@")
  [ $# -gt 0 ] || return 0
  out=$(systemctl show -p UnitFileState -p ActiveState -- "$@" 2>/dev/null) || return 0
  block=''
  while IFS= read -r line; do
    if [ -z "$line" ]; then blocks+=("$block"); block=''; else block+="$line"$'\n'; fi
  done <<<"$out"
  blocks+=("$block")
  [ ${#blocks[@]} -eq $# ] || return 0
  for i in "${!blocks[@]}"; do
    while IFS='=' read -r key value; do
      case "$key" in
        UnitFileState) SNAP_UNIT_FILE[${units[$i]}]=$value ;;
        ActiveState) SNAP_UNIT_ACTIVE[${units[$i]}]=$value ;;
      esac
    done <<<"${blocks[$i]}"
  done
}
snap_forget_units() { SNAP_UNIT_FILE=(); SNAP_UNIT_ACTIVE=(); }
unit_enabled() { [ "${SNAP_UNIT_FILE[$1]:-}" = enabled ] || systemctl is-enabled --quiet "$1" 2>/dev/null; }
unit_active() { [ "${SNAP_UNIT_ACTIVE[$1]:-}" = active ] || systemctl is-active --quiet "$1"; }

# snap_files PATH...: mode and owner ('%a %U:%G') of each PATH that exists, one stat call for all.
snap_files() {
  local mode owner path
  [ $# -gt 0 ] || return 0
  while read -r mode owner path; do
    SNAP_FILE[$path]="$mode $owner"
  done < <(stat -c '%a %U:%G %n' -- "$@" 2>/dev/null || true)
}
# meta_is PATH 'MODE OWNER:GROUP': PATH has this mode and owner (the snapshot, else stat now).
meta_is() { [ "${SNAP_FILE[$1]:-}" = "$2" ] || [ "$(stat -c '%a %U:%G' -- "$1" 2>/dev/null)" = "$2" ]; }
# mode_is PATH MODE: PATH has this mode (the snapshot, else stat now).
mode_is() {
  local m=${SNAP_FILE[$1]:-}
  { [ -n "$m" ] && [ "${m%% *}" = "$2" ]; } || [ "$(stat -c '%a' -- "$1" 2>/dev/null)" = "$2" ]
}
# file_mode PATH: its mode (the snapshot, else stat now), printed.
file_mode() { if [ -n "${SNAP_FILE[$1]:-}" ]; then printf '%s\n' "${SNAP_FILE[$1]%% *}"; else stat -c '%a' -- "$1"; fi; }
snap_file_set() { SNAP_FILE[$1]=$2; } # snap_file_set PATH 'MODE OWNER:GROUP': what the script just made it
snap_file_forget() { unset 'SNAP_FILE[$1]'; }
# file_same PATH TEXT: PATH is a file holding exactly TEXT (bash's read, no process; a NUL byte differs).
file_same() {
  local old
  [ -f "$1" ] || return 1
  if IFS= read -r -d '' old <"$1"; then return 1; fi
  [ "$old" = "$2" ]
}
files_same() { # files_same A B: two text files with the same content (read by bash; cmp where a NUL byte is in A)
  local a
  [ -f "$1" ] || return 1
  if IFS= read -r -d '' a <"$1"; then cmp -s -- "$1" "$2"; else file_same "$2" "$a"; fi
}
