# shellcheck shell=bash
# file.sh: ROS VPN's idempotent file, directory, sysctl, apt package and systemd service helpers.
# Needs step.sh (changed, info, warn, die); rendered after link.sh.
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.
# shellcheck disable=SC2034 # WROTE is read by the callers of write_file, which this file does not contain

# ---- idempotent helpers ------------------------------------------------------
# write_file lists each temporary file it makes in $WRITE_PENDING before making it (write_tmp), so that the next run
# removes what a run cut short before its mv (the SSH session lost, Ctrl-C, a kill) left next to its target:
# .rosvpn.XXXXXX files. write_pending_clear runs in the preflight of every provisioning script.
WRITE_PENDING=/run/rosvpn-writes
write_pending_clear() {
  local f
  if [ -s "$WRITE_PENDING" ]; then
    while IFS= read -r f; do
      case $f in */.rosvpn.??????) rm -f -- "$f" ;; esac
    done <"$WRITE_PENDING"
  fi
  : >"$WRITE_PENDING"
}
# write_tmp DIR: sets tmp to a new empty file DIR/.rosvpn.XXXXXX (mode 600), listed in $WRITE_PENDING before it
# exists, so that no moment of a run cut short leaves an unlisted one (mktemp creates first, and a signal that ends
# the script before its name is listed left one behind: the faults e2e's cut and rerun, about 1 run in 5).
# The name comes from bash's RANDOM and the file is made with noclobber (O_EXCL): no process, and never an existing file.
WRITE_TMP_CHARS=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789
write_tmp() {
  local n i made tries=0
  while :; do
    n=''
    for i in 1 2 3 4 5 6; do n+=${WRITE_TMP_CHARS:RANDOM%62:1}; done
    tmp=$1/.rosvpn.$n
    printf '%s\n' "$tmp" >>"$WRITE_PENDING"
    # every script runs with umask 022 (its header); 077 only while the file is made, as mktemp would
    umask 077
    set -C
    if { : >"$tmp"; } 2>/dev/null; then made=1; else made=0; fi
    set +C
    umask 022
    [ "$made" = 0 ] || return 0
    # a name taken is tried again; anything else (no such directory, read-only, no space) is an error
    tries=$((tries + 1))
    if [ ! -e "$tmp" ] || [ "$tries" -ge 20 ]; then die "cannot create a file in ${1:-/} (to write it atomically): check that it exists and is writable"; fi
  done
}

# write_file PATH MODE [OWNER:GROUP] < CONTENT: replaces PATH atomically, only when content, mode or owner differ.
# Sets WROTE=1 when it wrote, so callers can restart what reads the file. Text is compared in bash (no
# process when nothing differs); content with a NUL byte goes through a temporary file and cmp.
write_file() {
  local path=$1 mode=$2 owner=${3:-root:root} dir tmp content
  WROTE=0
  dir=${path%/*}
  [ "$dir" != "$path" ] || dir=.
  if ! IFS= read -r -d '' content; then # all of stdin, and it holds no NUL byte
    if file_same "$path" "$content" && meta_is "$path" "$mode $owner"; then return 0; fi
    write_tmp "$dir"
    printf '%s' "$content" >"$tmp"
  else
    write_tmp "$dir"
    { printf '%s\0' "$content"; cat; } >"$tmp"
    if [ -f "$path" ] && cmp -s "$tmp" "$path" && meta_is "$path" "$mode $owner"; then
      rm -f "$tmp"
      return 0
    fi
  fi
  chmod "$mode" "$tmp"
  chown "$owner" "$tmp"
  mv -f "$tmp" "$path"
  snap_file_set "$path" "$mode $owner"
  WROTE=1
  changed "wrote $path"
}
ensure_dir() { # ensure_dir PATH MODE
  if [ ! -d "$1" ]; then
    install -d -m "$2" "$1"
    snap_file_forget "$1"
    changed "created $1"
  elif ! mode_is "$1" "$2"; then
    chmod "$2" "$1"
    snap_file_forget "$1"
    changed "set mode $2 on $1"
  fi
}
# set_env_line FILE KEY VALUE: KEY=VALUE in a KEY=VALUE file such as /etc/environment, other lines kept.
set_env_line() {
  local file=$1 key=$2 value=$3 mode=644 line text=''
  if [ -f "$file" ]; then
    mode=$(file_mode "$file")
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in "$key="*) ;; *) text+="$line"$'\n' ;; esac
    done <"$file"
  fi
  write_file "$file" "$mode" <<<"$text$key=$value"
}
# ensure_sysctl_min FILE MIN KEY...: each kernel limit KEY at least MIN, now and after a reboot (FILE, in
# /etc/sysctl.d). Never lowers a limit set higher; warns where the host does not let it be raised (a
# container). Sets SYSCTL_RAISED=1 when it raised one, so callers can restart what sized itself by it.
# The first time it raises a KEY it records `KEY = OLD` in $ROSVPN_STATE_DIR/sysctl.before (never
# overwritten later), so that unprovisioning can give the host its own value back.
ensure_sysctl_min() {
  local file=$1 min=$2 key cur lines='' k _ val current='' line
  local -A now=()
  shift 2
  # shellcheck disable=SC2034 # read by the caller (the seconds' scripts carry the helper but do not call it)
  SYSCTL_RAISED=0
  # All the keys at once ('KEY = VALUE' lines; a key the host lacks is left out), and FILE as it is.
  while read -r k _ val; do now[$k]=$val; done < <(sysctl "$@" 2>/dev/null || true)
  if [ -f "$file" ]; then
    while IFS= read -r line || [ -n "$line" ]; do current+="$line"$'\n'; done <"$file"
  fi
  for key in "$@"; do
    cur=${now[$key]:-}
    if ! [[ $cur =~ ^[0-9]+$ ]]; then
      warn "cannot read $key: left as it is"
      continue
    fi
    if [ "$cur" -lt "$min" ]; then
      if ! sysctl -q -w "$key=$min" >/dev/null 2>&1; then
        warn "cannot raise $key from $cur to $min on this host (a container?): OpenVPN gets smaller socket buffers and less throughput"
        continue
      fi
      # shellcheck disable=SC2034 # as above
      SYSCTL_RAISED=1
      record_sysctl_before "$key" "$cur"
      changed "raised $key from $cur to $min"
    fi
    if [ "$cur" -lt "$min" ] || [[ $'\n'$current == *$'\n'"$key = $min"$'\n'* ]]; then lines+="$key = $min"$'\n'; fi
  done
  if [ -n "$lines" ]; then
    write_file "$file" 644 <<<"# ROS VPN (generated by rosvpn): room for the socket buffers in its OpenVPN config."$'\n'"${lines%$'\n'}"
  fi
}
# Where provisioning records what unprovisioning needs to put the host back (a test points it elsewhere).
: "${ROSVPN_STATE_DIR:=/etc/rosvpn/state}"
record_sysctl_before() { # record_sysctl_before KEY OLD: only the first value ever seen before a raise counts
  local f=$ROSVPN_STATE_DIR/sysctl.before
  if [ -f "$f" ] && awk -v k="$1" '$1 == k { found = 1 } END { exit !found }' "$f"; then return 0; fi
  install -d -m 755 "$ROSVPN_STATE_DIR"
  printf '%s = %s\n' "$1" "$2" >>"$f"
}
# Wait while another package manager (unattended-upgrades on a fresh instance, an admin) holds apt's locks.
# dpkg and apt use fcntl locks, which /proc/locks lists by inode, so no extra tools are needed.
wait_for_apt_locks() {
  local f ino busy waited=0
  while :; do
    busy=''
    for f in /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock; do
      [ -e "$f" ] || continue
      ino=$(stat -c '%i' "$f")
      if awk -v ino="$ino" '{ n = split($0, f, " "); for (i = 1; i <= n; i++) if (f[i] ~ /^[0-9a-f]+:[0-9a-f]+:[0-9]+$/) { split(f[i], d, ":"); if (d[3] == ino) found = 1 } } END { exit !found }' /proc/locks; then
        busy=$f
        break
      fi
    done
    [ -z "$busy" ] && return 0
    if [ "$waited" -eq 0 ]; then info "waiting for another package manager to release $busy"; fi
    if [ "$waited" -ge 900 ]; then die "apt lock $busy still held after 900 s; wait for the other package manager (unattended-upgrades?) to finish, then rerun"; fi
    sleep 3
    waited=$((waited + 3))
  done
}
apt_get() {
  wait_for_apt_locks
  apt-get -q -y -o DPkg::Lock::Timeout=900 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}
# ensure_packages PKG...: installs the missing ones (apt-get update only when something is missing).
# One dpkg-query for all of them ('PACKAGE STATUS' lines; a package dpkg does not know is left out).
ensure_packages() {
  local p name status missing=()
  local -A installed=()
  while read -r name status; do
    case "$status" in *' ok installed') installed[${name%%:*}]=1 ;; esac
  done < <(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null || true)
  for p in "$@"; do
    [ -n "${installed[$p]:-}" ] || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  info "installing ${missing[*]}"
  apt_get update
  apt_get install --no-install-recommends "${missing[@]}"
  changed "installed ${missing[*]}"
}
# ensure_service UNIT [RESTART]: enabled and active; restarted when RESTART=1 (its configuration changed).
# Reads the snapshot (snap_units), and systemctl where it does not show the unit enabled and active.
# Enabled without the daemon-reload that enable implies (~0.1 s): the callers reload after writing a unit
# or drop-in (daemon_reload_if), and the symlinks enable makes are read at boot.
ensure_service() {
  local unit=$1 restart=${2:-0}
  if ! unit_enabled "$unit"; then
    systemctl enable --quiet --no-reload "$unit"
    changed "enabled $unit"
  fi
  if ! unit_active "$unit"; then
    systemctl start "$unit" || service_failed "$unit"
    changed "started $unit"
  elif [ "$restart" = 1 ]; then
    systemctl restart "$unit" || service_failed "$unit"
    changed "restarted $unit"
  fi
}
# service_failed UNIT: its last log lines in this run's output (systemctl only points at the journal), then fails.
service_failed() {
  journalctl -u "$1" -n 12 --no-pager -o cat 2>/dev/null | while IFS= read -r line; do info "$1: $line"; done
  die "$1 did not start; its last log lines are above (all of them: journalctl -u $1)"
}
# openvpn_version: OVPN_VERSION= the installed OpenVPN's version (the second word of its first line).
# shellcheck disable=SC2034 # read by the caller (a second's script carries the helper but does not call it)
openvpn_version() {
  local out _
  out=$(openvpn --version)
  read -r _ OVPN_VERSION _ <<<"${out%%$'\n'*}"
}
daemon_reload_if() { if [ "$1" = 1 ]; then systemctl daemon-reload; snap_forget_units; fi; }
