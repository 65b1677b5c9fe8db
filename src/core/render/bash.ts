// Bash building blocks shared by every rendered script.
// Values are interpolated only through `q()`, which re-checks them against a strict character set
// (defence in depth: the validator has already rejected anything else).

const SAFE_VALUE = /^[A-Za-z0-9._:/@+-]*$/;

export class UnsafeValueError extends Error {}

/**
 * Tag for bash blocks: raw text where `\${` stands for bash's `${`, and `${x}` interpolates a JS value
 * (used only for constants such as file paths; topology values go through `q()`).
 */
export function bash(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  const unescape = (raw: string) => raw.replace(/\\\$\{/g, '${');
  return strings.raw.reduce((out, raw, i) => out + unescape(raw) + (i < values.length ? String(values[i]) : ''), '');
}

/** Single-quote a validated value for bash. Throws on any character outside the safe set. */
export function q(value: string | number): string {
  const s = String(value);
  if (!SAFE_VALUE.test(s) || s.length > 512) {
    throw new UnsafeValueError(`refusing to render unsafe value ${JSON.stringify(s).slice(0, 80)}`);
  }
  return `'${s}'`;
}

/** A validated value for a config file written through a quoted heredoc (no shell expansion there). */
export function v(value: string | number): string {
  return q(value).slice(1, -1);
}

/** A bash array literal of validated values. */
export function qArray(values: readonly (string | number)[]): string {
  return `(${values.map(q).join(' ')})`;
}

/** A heredoc delimiter that cannot occur in rendered content (checked). */
export function heredoc(command: string, content: string, delimiter = 'ROSVPN_EOF'): string {
  if (content.split('\n').includes(delimiter)) throw new Error(`content contains heredoc delimiter ${delimiter}`);
  const body = content.endsWith('\n') ? content : `${content}\n`;
  return `${command} <<'${delimiter}'\n${body}${delimiter}`;
}

/**
 * Step reporting, failure trap and small idempotent helpers. Every script embeds this block so that it
 * stays self-contained. Output protocol (stdout, one line each):
 *   ::step name=NAME status=ok|changed|skipped|failed [msg="..."]
 *   ::warn msg="..."
 *   ::summary role=ROLE host=HOST changed=N ok=N skipped=N failed=N
 */
export const STEP_LIB = bash`# ---- step reporting -----------------------------------------------------------
STEP=preflight
STEP_CHANGED=0
# Step results are tallied in a file so that nested scripts (net-up.sh) count towards one summary.
if [ -z "\${ROSVPN_TALLY:-}" ]; then
  ROSVPN_TALLY=$(mktemp /tmp/rosvpn-tally.XXXXXX)
  ROSVPN_TALLY_OWNER=1
  export ROSVPN_TALLY
fi

msg_escape() { local m=$*; m=\${m//\"/\'}; printf '%s' "\${m//$'\n'/ }"; }
report() { # report NAME STATUS [MESSAGE]
  if [ -n "\${3:-}" ]; then
    printf '::step name=%s status=%s msg="%s"\n' "$1" "$2" "$(msg_escape "$3")"
  else
    printf '::step name=%s status=%s\n' "$1" "$2"
  fi
  printf '%s\n' "$2" >>"$ROSVPN_TALLY"
}
info() { printf '  %s\n' "$*"; }
warn() { printf '::warn msg="%s"\n' "$(msg_escape "$*")"; }
step_begin() { STEP=$1; STEP_CHANGED=0; }
changed() { STEP_CHANGED=1; if [ $# -gt 0 ]; then info "$*"; fi; }
step_end() { if [ "$STEP_CHANGED" -eq 1 ]; then report "$STEP" changed; else report "$STEP" ok; fi; }
step_skip() { report "$1" skipped "$2"; }
summary() { # summary FAILED
  [ "\${ROSVPN_TALLY_OWNER:-0}" = 1 ] || return 0
  local c o s
  c=$(grep -cx changed "$ROSVPN_TALLY" || true)
  o=$(grep -cx ok "$ROSVPN_TALLY" || true)
  s=$(grep -cx skipped "$ROSVPN_TALLY" || true)
  printf '::summary role=%s host=%s changed=%s ok=%s skipped=%s failed=%s\n' "$ROLE" "$HOST_NAME" "$c" "$o" "$s" "$1"
  rm -f "$ROSVPN_TALLY"
}
die() { # die MESSAGE: fail the current step with a message an admin can act on
  trap - ERR
  report "$STEP" failed "$*"
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
`;

/**
 * Link attributes from iproute2, not /sys/class/net: in containers (systemd-nspawn, LXD) sysfs may show
 * another network namespace than the one the script runs in. Part of FILE_LIB and of NET_LIB.
 */
const LINK_LIB = bash`# Link attributes come from iproute2, not /sys/class/net: in containers (systemd-nspawn, LXD) sysfs may
# show another network namespace than the one the script runs in.
# link_field IFACE KEY: the word after KEY in 'ip -d -o link show IFACE' (mtu, master, link/ether, stp_state...)
link_field() {
  ip -d -o link show dev "$1" 2>/dev/null | tr ' ' '\n' | awk -v k="$2" 'prev == k { print; exit } { prev = $0 }'
}
has_tap_port() { # has_tap_port BRIDGE: an OpenVPN tap has joined the bridge
  ip -o link show master "$1" 2>/dev/null | grep -q '^[0-9]*: tap'
}
`;

/** Idempotent file, directory, package and service helpers (need STEP_LIB). */
export const FILE_LIB = LINK_LIB + bash`# ---- idempotent helpers ------------------------------------------------------
# write_file PATH MODE [OWNER:GROUP] < CONTENT: replaces PATH atomically, only when content, mode or owner differ.
# Sets WROTE=1 when it wrote, so callers can restart what reads the file.
write_file() {
  local path=$1 mode=$2 owner=\${3:-root:root} tmp
  WROTE=0
  tmp=$(mktemp "$(dirname "$path")/.rosvpn.XXXXXX")
  cat >"$tmp"
  if [ -f "$path" ] && cmp -s "$tmp" "$path" && [ "$(stat -c '%a %U:%G' "$path")" = "$mode $owner" ]; then
    rm -f "$tmp"
    return 0
  fi
  chmod "$mode" "$tmp"
  chown "$owner" "$tmp"
  mv -f "$tmp" "$path"
  WROTE=1
  changed "wrote $path"
}
ensure_dir() { # ensure_dir PATH MODE
  if [ ! -d "$1" ]; then
    install -d -m "$2" "$1"
    changed "created $1"
  elif [ "$(stat -c '%a' "$1")" != "$2" ]; then
    chmod "$2" "$1"
    changed "set mode $2 on $1"
  fi
}
# set_env_line FILE KEY VALUE: KEY=VALUE in a KEY=VALUE file such as /etc/environment, other lines kept.
set_env_line() {
  local file=$1 key=$2 value=$3 mode=644
  [ -f "$file" ] && mode=$(stat -c '%a' "$file")
  { if [ -f "$file" ]; then grep -v "^$key=" "$file" || true; fi; printf '%s=%s\n' "$key" "$value"; } |
    write_file "$file" "$mode"
}
# ensure_sysctl_min FILE MIN KEY...: each kernel limit KEY at least MIN, now and after a reboot (FILE, in
# /etc/sysctl.d). Never lowers a limit set higher; warns where the host does not let it be raised (a
# container). Sets SYSCTL_RAISED=1 when it raised one, so callers can restart what sized itself by it.
ensure_sysctl_min() {
  local file=$1 min=$2 key cur lines=''
  shift 2
  # shellcheck disable=SC2034 # read by the caller (the seconds' scripts carry the helper but do not call it)
  SYSCTL_RAISED=0
  for key in "$@"; do
    if ! cur=$(sysctl -n "$key" 2>/dev/null); then
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
      changed "raised $key from $cur to $min"
    fi
    if [ "$cur" -lt "$min" ] || grep -qx "$key = $min" "$file" 2>/dev/null; then lines+="$key = $min"$'\n'; fi
  done
  if [ -n "$lines" ]; then
    printf '# ROS VPN (generated by rosvpn): room for the socket buffers in its OpenVPN config.\n%s' "$lines" | write_file "$file" 644
  fi
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
ensure_packages() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='\${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ \${#missing[@]} -eq 0 ] && return 0
  info "installing \${missing[*]}"
  apt_get update
  apt_get install --no-install-recommends "\${missing[@]}"
  changed "installed \${missing[*]}"
}
# ensure_service UNIT [RESTART]: enabled and active; restarted when RESTART=1 (its configuration changed).
ensure_service() {
  local unit=$1 restart=\${2:-0}
  if ! systemctl is-enabled --quiet "$unit" 2>/dev/null; then
    systemctl enable --quiet "$unit"
    changed "enabled $unit"
  fi
  if ! systemctl is-active --quiet "$unit"; then
    systemctl start "$unit"
    changed "started $unit"
  elif [ "$restart" = 1 ]; then
    systemctl restart "$unit"
    changed "restarted $unit"
  fi
}
daemon_reload_if() { if [ "$1" = 1 ]; then systemctl daemon-reload; fi; }
`;

/**
 * The SSH guard of the cloud hosts: SSH_IFACES lists the interfaces holding the local address of an
 * established sshd connection, and `guard IFACE` refuses to change one of them.
 */
export const SSH_GUARD_LIB = bash`# ---- SSH guard ---------------------------------------------------------------
SSH_IFACES=$(
  ss -Htnp state established 2>/dev/null | awk '/sshd/ { print $3 }' | while read -r local_addr; do
    a=\${local_addr%:*}; a=\${a#[}; a=\${a%]}; a=\${a#::ffff:}
    ip -o addr show to "$a" 2>/dev/null | awk '{ print $2 }'
  done | sort -u | tr '\n' ' '
)
# guard IFACE: refuse to change an interface that carries this SSH session.
guard() {
  case " $SSH_IFACES " in
    *" $1 "*) die "refusing to reconfigure $1: it carries the SSH session running this script; connect over another interface (for example the cloud address) and rerun" ;;
  esac
}
`;

/** Idempotent link helpers for net-up scripts; every change passes `guard IFACE` first (defined by the caller). */
export const NET_LIB = LINK_LIB + bash`# ---- network helpers ---------------------------------------------------------
link_exists() { ip link show dev "$1" >/dev/null 2>&1; }
ensure_mtu() { # ensure_mtu IFACE MTU
  if [ "$(link_field "$1" mtu)" != "$2" ]; then guard "$1"; ip link set dev "$1" mtu "$2"; changed "set $1 mtu $2"; fi
}
ensure_up() {
  if ! ip -o link show dev "$1" | grep -q '[<,]UP[,>]'; then guard "$1"; ip link set dev "$1" up; changed "brought $1 up"; fi
}
ensure_master() { # ensure_master PORT BRIDGE
  if [ "$(link_field "$1" master)" != "$2" ]; then
    guard "$1"; ip link set dev "$1" master "$2"; changed "added $1 to $2"
  fi
}
ensure_mac() { # ensure_mac IFACE MAC
  if [ "$(link_field "$1" link/ether)" != "$2" ]; then guard "$1"; ip link set dev "$1" address "$2"; changed "set $1 address $2"; fi
}
# ensure_bridge NAME: STP off (no BPDUs into the tunnel, no 30 s listening delay), multicast snooping off
# (DDS discovery is multicast and must be flooded to every port).
ensure_bridge() {
  if ! link_exists "$1"; then
    guard "$1"
    ip link add name "$1" type bridge stp_state 0 mcast_snooping 0
    changed "created bridge $1"
  fi
  if [ "$(link_field "$1" stp_state)" != 0 ]; then guard "$1"; ip link set dev "$1" type bridge stp_state 0; changed "STP off on $1"; fi
  if [ "$(link_field "$1" mcast_snooping)" != 0 ]; then guard "$1"; ip link set dev "$1" type bridge mcast_snooping 0; changed "multicast snooping off on $1"; fi
}
# ensure_only_address IFACE CIDR: exactly this IPv4 address on IFACE.
ensure_only_address() {
  local a
  for a in $(ip -o -4 addr show dev "$1" | awk '{ print $4 }'); do
    if [ "$a" != "$2" ]; then guard "$1"; ip addr del "$a" dev "$1"; changed "removed stale address $a from $1"; fi
  done
  if ! ip -o -4 addr show dev "$1" | awk '{ print $4 }' | grep -qxF "$2"; then
    guard "$1"; ip addr add "$2" dev "$1"; changed "address $2 on $1"
  fi
}
# ensure_no_address IFACE: bridge ports carry no IPv4 address (an address on a bridged port breaks; the guide's defect).
ensure_no_address() {
  local a
  for a in $(ip -o -4 addr show dev "$1" | awk '{ print $4 }'); do
    guard "$1"; ip addr del "$a" dev "$1"; changed "removed address $a from bridge port $1"
  done
}
`;
