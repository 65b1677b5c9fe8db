// OpenVPN 2.5/2.6 in tap mode, bridged. The guide's configuration with its defects fixed: AEAD data
// ciphers instead of 2.4 defaults, tls-crypt instead of tls-auth, ECDH instead of a slow dh.pem, no
// compression (comp-lzo mismatch warnings, VORACLE), no unused address pool, explicit MTU.
import { BRIDGE_NAME, type GatewayConfig, OPENVPN_INSTANCE } from '../topology/types';
import { bash, heredoc, v } from './bash';

export const OPENVPN_SERVER_CONF = `/etc/openvpn/server/${OPENVPN_INSTANCE}.conf`;
export const OPENVPN_CLIENT_CONF = `/etc/openvpn/client/${OPENVPN_INSTANCE}.conf`;
/** Where Debian's openvpn-server@ unit keeps the server's status file (who is connected), rewritten every 5 s. */
export const OPENVPN_STATUS_FILE = `/run/openvpn-server/status-${OPENVPN_INSTANCE}.log`;
export const OPENVPN_SERVER_UNIT = `openvpn-server@${OPENVPN_INSTANCE}.service`;
export const OPENVPN_CLIENT_UNIT = `openvpn-client@${OPENVPN_INSTANCE}.service`;
/** A client host's profile, as installed (the desktop's keeps its name, ros_local_gateway.ovpn). */
export const CLIENT_HOST_PROFILE = `/etc/openvpn/client/${OPENVPN_INSTANCE}.ovpn`;
export const TAP_UP_HOOK = '/usr/local/lib/rosvpn/tap-up.sh';
export const PKI_DIR = '/etc/openvpn/pki';
export const TLS_CRYPT_KEY = `/etc/openvpn/server/${OPENVPN_INSTANCE}-tls-crypt.key`;
/** OpenVPN re-reads the CRL after dropping privileges to nobody, and the PKI is private: a public copy. */
export const CRL_PUBLIC = `/etc/openvpn/server/${OPENVPN_INSTANCE}-crl.pem`;
export const DATA_CIPHERS = 'AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305';
/**
 * OpenVPN's UDP socket buffers (the kernel doubles them). With the kernel default (208 KiB) bursts of
 * fragmented 64 KB DDS samples overflow them and DDS throughput halves (BENCHMARKS.md); the kernel caps
 * them at net.core.rmem_max/wmem_max, which the scripts raise to this.
 */
export const SOCKET_BUFFER = 4194304;
export const SYSCTL_FILE = '/etc/sysctl.d/60-rosvpn.conf';
/** One file per certificate name the server admits (ccd-exclusive): a client's pushes its address. */
export const CCD_DIR = `/etc/openvpn/server/${OPENVPN_INSTANCE}-ccd`;
/** The management interface, a unix socket only root may use (its directory: RuntimeDirectory of the unit). */
export const MGMT_RUNTIME_DIR = 'rosvpn-mgmt';
export const MGMT_SOCK = `/run/${MGMT_RUNTIME_DIR}/mgmt.sock`;

/**
 * The directives a client profile may hold: exactly those renderClientOptions writes, plus the inline key
 * blocks. A profile is data: the desktop and client scripts (and rosvpn before uploading one) refuse any
 * other directive, e.g. up, down, route-up, plugin, script-security, tls-verify, ipchange, config.
 */
export const PROFILE_DIRECTIVES = [
  'client',
  'dev',
  'proto',
  'remote',
  'nobind',
  'resolv-retry',
  'remote-cert-tls',
  'verify-x509-name',
  'tls-version-min',
  'data-ciphers',
  'allow-compression',
  'tun-mtu',
  'sndbuf',
  'rcvbuf',
  'txqueuelen',
  'explicit-exit-notify',
  'persist-key',
  'persist-tun',
  'verb',
] as const;
/** The tap's transmit queue in frames (the kernel's default is 1000): room for a large DDS sample's burst. */
export const TAP_TXQUEUELEN = 10000;
export const PROFILE_BLOCKS = ['ca', 'cert', 'key', 'tls-crypt'] as const;
/** What every profile holds: without them it is not a ROS VPN profile. */
export const PROFILE_REQUIRED = ['client', 'dev', 'remote', ...PROFILE_BLOCKS] as const;

/** The desktop's and a client's script option: the profile at PATH is on its way; wait for it (wait_profile). */
export const WAIT_FOR_PROFILE_ARG = '--wait-for-profile';
/** How long such a script waits for the gateway's profile (the gateway's run, a CA passphrase asked on the way). */
export const PROFILE_WAIT_SECONDS = 300;

/**
 * Bash: the option --wait-for-profile, then the profile's path, as PROFILE_WAIT (0|1) and PROFILE. With it, the
 * openvpn-client step waits (wait_profile) for rosvpn provision to put the gateway's profile at PROFILE the
 * moment the gateway has written it (atomically: written aside, then renamed), or to write PROFILE.failed,
 * holding why, when the gateway failed before. `gateway` names the gateway in the messages.
 */
export function renderProfileWait(gateway: string): string {
  return bash`PROFILE_WAIT=0
if [ "\${1:-}" = ${WAIT_FOR_PROFILE_ARG} ]; then PROFILE_WAIT=1; shift; fi
PROFILE=\${1:-}
# wait_profile: polls for PROFILE (every 0.2 s, at most ${PROFILE_WAIT_SECONDS} s); dies at once on PROFILE.failed.
wait_profile() {
  local i
  for ((i = 0; i < ${PROFILE_WAIT_SECONDS * 5}; i++)); do
    if [ -e "$PROFILE.failed" ]; then die "no profile from the gateway (${v(gateway)}): $(head -c 600 "$PROFILE.failed" 2>/dev/null)"; fi
    if [ -s "$PROFILE" ]; then return 0; fi
    sleep 0.2
  done
  die "no profile from the gateway (${v(gateway)}) within ${PROFILE_WAIT_SECONDS} s: did its run end? Provision the gateway first (rosvpn provision --host gateway), then this host"
}`;
}

/**
 * Bash: `check_profile FILE` dies unless FILE holds only PROFILE_DIRECTIVES (with `dev tap`) and closed
 * PROFILE_BLOCKS, naming the line: `FILE line 12: directive 'up' is not allowed ...`. Like OpenVPN, it reads
 * the first word of a line as the directive (a leading `--` dropped, `#` and `;` comments skipped). `fix`
 * says where a good profile comes from.
 */
export function renderProfileCheck(fix: string): string {
  const allowed = PROFILE_DIRECTIVES.map(v).join(' ');
  const blocks = PROFILE_BLOCKS.map(v).join(' ');
  const required = PROFILE_REQUIRED.map(v).join(' ');
  return bash`# check_profile FILE: a profile is data. Only the directives rosvpn writes and the inline key blocks are
# accepted: any other (up, down, script-security, plugin, config, ...) could make OpenVPN run code as root.
check_profile() {
  local problem line
  problem=$(awk -v allowed='${allowed}' -v blocks='${blocks}' -v required='${required}' -v q="'" '
    BEGIN {
      n = split(allowed, a, " "); for (i = 1; i <= n; i++) ok[a[i]] = 1
      n = split(blocks, a, " "); for (i = 1; i <= n; i++) okb[a[i]] = 1
    }
    function fail(where, msg) { if (!failed) print where " " msg; failed = 1; exit }
    { sub(/\r$/, "") }
    open != "" { if ($1 == "</" open ">" && NF == 1) open = ""; next }
    NF == 0 || $1 ~ /^[#;]/ { next }
    $1 ~ /^</ {
      if ($1 ~ /^<\//) fail(NR, "closing tag " $1 " without its opening tag")
      name = substr($1, 2, length($1) - 2)
      if ($1 !~ />$/ || NF != 1 || !(name in okb)) fail(NR, "inline block " $1 " is not allowed (only <ca>, <cert>, <key> and <tls-crypt>)")
      open = name; opened = NR; has[name] = 1; next
    }
    {
      d = $1; sub(/^--/, "", d)
      if (!(d in ok)) fail(NR, "directive " q d q " is not allowed in a ROS VPN profile (only the options rosvpn writes: no scripts, plugins or includes)")
      if (d == "dev" && $2 != "tap") fail(NR, "dev must be tap, not " q $2 q)
      has[d] = 1
    }
    END {
      if (failed) exit
      if (open != "") { print opened " <" open "> is not closed"; exit }
      n = split(required, a, " ")
      for (i = 1; i <= n; i++) if (!(a[i] in has)) { print "0 it has no " (a[i] in okb ? "<" a[i] ">" : q a[i] q) ": not a ROS VPN profile"; exit }
    }' "$1")
  [ -z "$problem" ] && return 0
  line=\${problem%% *}
  if [ "$line" = 0 ]; then
    die "$1: \${problem#* }; ${fix}"
  else
    die "$1 line $line: \${problem#* }; ${fix}"
  fi
}`;
}

/** The up hook: OpenVPN calls it with the tap device as $1, before it drops privileges. */
export function renderTapUpHook(bridge = BRIDGE_NAME): string {
  return `#!/bin/sh
# ROS VPN: OpenVPN up hook (generated by rosvpn). Enslaves the tap device to ${bridge} so that the
# VPN carries the robot LAN at layer 2. OpenVPN passes the device name as $1.
set -eu
ip link set dev "$1" master ${bridge}
ip link set dev "$1" up
`;
}

/**
 * fast-io: OpenVPN writes to the UDP socket and the tap without a poll first. Measured one option at a time in the
 * lab (BENCHMARKS.md, OpenVPN options): DDS throughput 1.2x in each of 3 rounds; the other options measured did not help.
 */
export const FAST_IO_WHY =
  'UDP and tap written without a poll first (fast-io): DDS throughput 1.2x in the lab; OpenVPN ignores it over TCP.';

export function renderServerConfig(gw: GatewayConfig, mtu: number): string {
  const udp = gw.openvpnProto === 'udp';
  return `# ROS VPN OpenVPN server (generated by rosvpn). Layer 2: the tap joins ${BRIDGE_NAME}.
mode server
tls-server
port ${v(gw.openvpnPort)}
proto ${udp ? 'udp' : 'tcp-server'}
dev tap
# The desktop gets no address or route from the server: it is bridged into the robot LAN. A client gets its
# robot-subnet address pushed from its file in the client-config-dir; a certificate name without a file
# there is refused (ccd-exclusive), so only the identities in rosvpn.json connect.
client-to-client
client-config-dir ${CCD_DIR}
ccd-exclusive
ca ${PKI_DIR}/ca.crt
cert ${PKI_DIR}/issued/server.crt
key ${PKI_DIR}/private/server.key
crl-verify ${CRL_PUBLIC}
dh none
tls-crypt ${TLS_CRYPT_KEY}
tls-version-min 1.2
data-ciphers ${DATA_CIPHERS}
allow-compression no
tun-mtu ${v(mtu)}
sndbuf ${SOCKET_BUFFER}
rcvbuf ${SOCKET_BUFFER}
# A 1 MB DDS sample reaches the tap as ~800 frames at once; the kernel's 1000-frame queue dropped some of them
# and each cost DDS a repair a round trip later (lab, 80 ms, no loss: 1 MB at 10 Hz 78–79 of 80 with 10000, 29–74 with 1000).
txqueuelen ${TAP_TXQUEUELEN}
# A ping every 5 s when nothing else was sent, restart after 30 s of silence (pushed to clients; the server waits
# twice that). Behind a NAT whose mapping changes (new public address, flushed or expired entry), the server
# learns the client's new address from its next packet (peer-id float), at the latest this ping: in the lab the
# tunnel was back within 5.7 s (10 60: 9.8 s), and a dead peer is noticed in 30 s instead of 60.
keepalive 5 30
${udp ? `# ${FAST_IO_WHY}\nfast-io\n# Tells clients at once when the server restarts, so they reconnect without waiting for the ping timeout.\nexplicit-exit-notify 1\n# Replies leave from the address the client sent to (an Elastic IP or a second address on the host).\nmultihome\n` : ''}persist-key
persist-tun
user nobody
group nogroup
script-security 2
up ${TAP_UP_HOOK}
# rosvpn disconnects a revoked client at once (client-kill) and lists the connected ones (status) here; root only.
management ${MGMT_SOCK} unix
management-client-user root
# The status file (where Debian's unit puts it) every 5 s, not every 60: rosvpn check reads who is connected
# there without root, and a client that just connected must not read as "no client connected" for a minute.
status ${OPENVPN_STATUS_FILE} 5
verb 3
`;
}

/** Client options; the gateway script appends the inline <ca>, <cert>, <key> and <tls-crypt> blocks. */
export function renderClientOptions(topologyName: string, gw: GatewayConfig, mtu: number): string {
  const udp = gw.openvpnProto === 'udp';
  const remote = gw.publicAddress ?? gw.cloudIp;
  return `# ROS VPN client profile for topology '${v(topologyName)}' (generated by rosvpn on the cloud gateway).
# It holds a private key: keep it secret (mode 0600), never commit it.
client
dev tap
proto ${udp ? 'udp' : 'tcp-client'}
remote ${v(remote)} ${v(gw.openvpnPort)}
nobind
resolv-retry infinite
remote-cert-tls server
verify-x509-name server name
tls-version-min 1.2
data-ciphers ${DATA_CIPHERS}
allow-compression no
tun-mtu ${v(mtu)}
sndbuf ${SOCKET_BUFFER}
rcvbuf ${SOCKET_BUFFER}
txqueuelen ${TAP_TXQUEUELEN}
${udp ? 'explicit-exit-notify 1\n' : ''}persist-key
persist-tun
verb 3
`;
}

/**
 * Bash lines that make room for the socket buffers and install the up hook, an OpenVPN config and the
 * unit's drop-in, setting OPENVPN_DIRTY=1 when any of them changed (the caller restarts the unit then).
 */
export function openvpnConfigLines(confPath: string, conf: string, unit: string, dropIn: string): string[] {
  return [
    `ensure_sysctl_min ${SYSCTL_FILE} ${SOCKET_BUFFER} net.core.rmem_max net.core.wmem_max`,
    'if [ "$SYSCTL_RAISED" = 1 ]; then OPENVPN_DIRTY=1; fi',
    'ensure_dir /usr/local/lib/rosvpn 755',
    heredoc(`write_file ${TAP_UP_HOOK} 755`, renderTapUpHook()),
    'if [ "$WROTE" = 1 ]; then OPENVPN_DIRTY=1; fi',
    heredoc(`write_file ${confPath} 644`, conf),
    'if [ "$WROTE" = 1 ]; then OPENVPN_DIRTY=1; fi',
    `ensure_dir /etc/systemd/system/${unit}.d 755`,
    heredoc(`write_file /etc/systemd/system/${unit}.d/rosvpn.conf 644`, dropIn),
    'daemon_reload_if "$WROTE"',
  ];
}
