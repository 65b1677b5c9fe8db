# shellcheck shell=bash
# unprovision.sh: ROS VPN's idempotent removal helpers for the unprovision scripts (unprovision.ts): units,
# links, files, /etc/environment lines, the sysctl values recorded before provisioning raised them, and the
# gateway's PKI moved into a dated backup. Each changes only what is there, so a rerun reports only ok.
# Needs step.sh (changed, info, warn, die), link.sh and a `guard IFACE` (ssh-guard.sh, or the desktop's own).
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

# ---- removal helpers ----------------------------------------------------------
# Every command substitution here ends in `|| true` where its command may fail: with errtrace the ERR trap
# runs inside $(…) too, and would record a failed step in the tally and its message in the captured words.
RELOAD=0
# remove_unit UNIT: stopped, disabled, its ROS VPN unit file (or drop-in) removed. Packaged templates
# (openvpn-server@.service) stay: only the instance is disabled and ROS VPN's drop-in removed.
remove_unit() {
  local unit=$1
  if systemctl is-active --quiet "$unit" 2>/dev/null; then systemctl stop "$unit"; changed "stopped $unit"; fi
  # Only what an [Install] section enabled: static and transient units (systemd-run) cannot be disabled.
  case "$(systemctl is-enabled "$unit" 2>/dev/null || true)" in enabled | enabled-runtime | linked) systemctl disable --quiet "$unit"; changed "disabled $unit" ;; esac
  if [ -f "/etc/systemd/system/$unit" ]; then rm -f "/etc/systemd/system/$unit"; RELOAD=1; changed "removed /etc/systemd/system/$unit"; fi
  if [ -f "/etc/systemd/system/$unit.d/rosvpn.conf" ]; then
    rm -f "/etc/systemd/system/$unit.d/rosvpn.conf"
    rmdir "/etc/systemd/system/$unit.d" 2>/dev/null || true
    RELOAD=1
    changed "removed the drop-in /etc/systemd/system/$unit.d/rosvpn.conf"
  fi
  if systemctl is-failed --quiet "$unit" 2>/dev/null; then systemctl reset-failed "$unit" 2>/dev/null || true; fi
}
reload_units() {
  if [ "$RELOAD" = 1 ]; then systemctl daemon-reload; RELOAD=0; changed "systemd reloaded"; fi
}
# remove_link IFACE: deleted, unless it carries this SSH session (guard).
remove_link() {
  if ip link show dev "$1" >/dev/null 2>&1; then guard "$1"; ip link del dev "$1"; changed "deleted $1"; fi
}
# rosvpn_links: ROS VPN's devices on this host (bridge, its tunnel and tap ports, a client's tap).
rosvpn_links() {
  local dev
  for dev in $(ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
    case "$dev" in rosgre[0-9]* | "$VXLAN_DEV" | "$CLIENT_TAP" | "$BRIDGE") echo "$dev" ;; esac
  done
  ip -o link show master "$BRIDGE" 2>/dev/null | awk -F': ' '$2 ~ /^tap/ { sub(/@.*/, "", $2); print $2 }' || true
}
remove_path() { # remove_path PATH...: files or directories, gone
  local p
  for p in "$@"; do
    if [ -e "$p" ] || [ -L "$p" ]; then rm -rf -- "$p"; changed "removed $p"; fi
  done
}
# remove_env_line FILE KEY VALUE: the line KEY=VALUE gone from a KEY=VALUE file (only ROS VPN's value).
remove_env_line() {
  local file=$1 line="$2=$3" mode
  if [ ! -f "$file" ] || ! grep -qxF "$line" "$file"; then return 0; fi
  mode=$(stat -c '%a' "$file")
  write_file "$file" "$mode" < <(grep -vxF "$line" "$file" || true)
  if [ "$WROTE" = 1 ]; then changed "removed $2 from $file"; fi
}
# restore_sysctl: the values recorded before provisioning first raised them written back, unless changed
# since by someone else; without a record (provisioned by an older rosvpn) the running value stays.
restore_sysctl() {
  local key eq old cur set
  if [ -f "$SYSCTL_BEFORE" ]; then
    while read -r key eq old; do
      [ "$eq" = '=' ] || continue
      cur=$(sysctl -n "$key" 2>/dev/null || true)
      if [ -z "$cur" ]; then warn "cannot read $key: left as it is"; continue; fi
      set=$(awk -v k="$key" '$1 == k && $2 == "=" { print $3 }' "$SYSCTL_FILE" 2>/dev/null || true)
      if [ "$cur" = "$old" ]; then continue; fi
      if [ -n "$set" ] && [ "$cur" != "$set" ]; then
        warn "$key is $cur, not the $set ROS VPN set: changed since by someone else, so left as it is (it was $old before)"
      elif sysctl -q -w "$key=$old" >/dev/null 2>&1; then
        changed "restored $key to $old (from $cur)"
      else
        warn "cannot set $key back to $old on this host: left at $cur"
      fi
    done <"$SYSCTL_BEFORE"
    rm -f "$SYSCTL_BEFORE"
    changed "removed $SYSCTL_BEFORE"
  elif [ -f "$SYSCTL_FILE" ]; then
    while read -r key eq _; do
      [ "$eq" = '=' ] || continue
      warn "no record of $key before ROS VPN raised it (provisioned by an older rosvpn): left at $(sysctl -n "$key" 2>/dev/null || echo '?') until the next reboot"
    done <"$SYSCTL_FILE"
  fi
  remove_path "$SYSCTL_FILE"
}
# backup_pki PATH...: the gateway's CA, keys and profiles moved into one dated root-only directory under
# /var/backups (PURGE=1: deleted), so that a new gateway can be given the same identities.
backup_pki() {
  local p dest=''
  for p in "$@"; do
    [ -e "$p" ] || continue
    if [ "$PURGE" = 1 ]; then
      rm -rf -- "$p"
      changed "deleted $p (--purge)"
      continue
    fi
    if [ -z "$dest" ]; then
      dest=/var/backups/rosvpn-pki-$(date -u +%Y%m%dT%H%M%S)
      mkdir -p /var/backups
      install -d -m 700 "$dest"
    fi
    install -d -m 700 "$dest$(dirname "$p")"
    mv -- "$p" "$dest$p"
    changed "moved $p to $dest$p"
  done
  if [ -n "$dest" ]; then info "the PKI and profiles are in $dest (root only); delete it when no longer needed"; fi
}
