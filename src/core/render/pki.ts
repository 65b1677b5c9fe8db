// The gateway's identities: the CA (its key encrypted with a passphrase rosvpn never stores), one
// certificate per identity declared in rosvpn.json (server, desktop gateway, each client), revocation of
// every other, the CRL, the client-config-dir files and the profiles. The bash is fixed (lib/pki.sh,
// lib/mgmt.sh, lib/client-status.sh); what is rendered here is the declared state and the scripts around it:
// the PKI steps of gateway.sh, pki.sh (what `rosvpn client add/revoke/rotate` run) and the status script.
import { CLIENT_PROFILE_NAME, CLIENT_PROFILES_DIR, type ValidTopology } from '../topology/types';
import { bash, heredoc, libBody, q, qArray, v, FILE_LIB, STEP_LIB } from './bash';
import clientStatusSh from './lib/client-status.sh';
import mgmtSh from './lib/mgmt.sh';
import pkiSh from './lib/pki.sh';
import { type RenderedScript, scriptHeader } from './script';
import {
  CCD_DIR,
  CRL_PUBLIC,
  MGMT_SOCK,
  OPENVPN_SERVER_CONF,
  OPENVPN_SERVER_UNIT,
  PKI_DIR,
  renderClientOptions,
  TLS_CRYPT_KEY,
} from './openvpn';

export const EASYRSA_DIR = '/usr/share/easy-rsa';
/** Root's copies of the profiles: the desktop's PROFILE_DIR/ros_local_gateway.ovpn, a client's PROFILE_DIR/clients/NAME.ovpn. */
export const PROFILE_DIR = '/etc/rosvpn';

/** One command to the management socket (python3). */
export const MGMT_LIB = libBody('mgmt.sh', mgmtSh);
/** The PKI, client-config-dir and profile functions (pki_certs, ccd_sync, profiles_sync). */
export const PKI_LIB = libBody('pki.sh', pkiSh);
const CLIENT_STATUS_BODY = libBody('client-status.sh', clientStatusSh);

/** The dotted netmask of a prefix length, e.g. 24 -> 255.255.255.0 (ifconfig-push in tap mode wants it). */
export function netmask(prefix: number): string {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`bad prefix length ${prefix}`);
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 0xff).join('.');
}

function addressOf(cidr: string): { ip: string; mask: string } {
  const [ip, prefix] = cidr.split('/');
  return { ip, mask: netmask(prefix === undefined ? 32 : Number(prefix)) };
}

/** Variables the PKI functions read: paths, and the declared identities. */
function pkiVars(t: ValidTopology, rotate: readonly string[]): string {
  const clients = t.clients.map((c) => ({ name: c.name, ...addressOf(c.vpnIp) }));
  return `# The gateway's PKI and what the server reads (kept in variables, one place for every path).
TOPOLOGY=${q(t.name)}
PKI=${q(PKI_DIR)}
EASYRSA_DIR=${q(EASYRSA_DIR)}
CCD_DIR=${q(CCD_DIR)}
CRL_PUBLIC=${q(CRL_PUBLIC)}
TLS_CRYPT_KEY=${q(TLS_CRYPT_KEY)}
MGMT_SOCK=${q(MGMT_SOCK)}
PROFILE_DIR=${q(PROFILE_DIR)}
CLIENT_PROFILES_DIR=${q(CLIENT_PROFILES_DIR)}
# The declared identities: the desktop gateway and the clients of rosvpn.json (with the address each gets
# pushed). Any other certificate is revoked.
CLIENT=${q(CLIENT_PROFILE_NAME)}
CLIENT_NAMES=${qArray(clients.map((c) => c.name))}
CLIENT_IPS=${qArray(clients.map((c) => c.ip))}
CLIENT_MASKS=${qArray(clients.map((c) => c.mask))}
# Revoked and issued again in this run (rosvpn client rotate).
ROTATE=${qArray(rotate)}
`;
}

/** The profile's options (profile() in lib/pki.sh appends the inline keys). */
function profileOptionsFunction(t: ValidTopology): string {
  return ['profile_options() {', heredoc('  cat', renderClientOptions(t.name, t.gateway, t.mtu)), '}'].join('\n');
}

/** Libraries and variables of a gateway script with the PKI, and the argument --ca-pass-file parsed. */
export function pkiPreamble(t: ValidTopology, rotate: readonly string[] = []): { vars: string; libs: string[] } {
  for (const name of rotate) {
    if (!t.clients.some((c) => c.name === name)) throw new Error(`cannot rotate '${name}': not a client in rosvpn.json`);
  }
  return {
    vars: pkiVars(t, rotate),
    libs: [STEP_LIB, FILE_LIB, MGMT_LIB, PKI_LIB, profileOptionsFunction(t), 'ca_pass_args "$@"'],
  };
}

/** The PKI step: the passphrase is used here and removed at its end; then the client-config-dir files. */
export const PKI_STEPS = bash`OPENVPN_DIRTY=0
step_begin pki
pki_certs
step_end

step_begin client-config
ccd_sync
step_end`;

/** The gateway's step that writes the profiles: once it reports done, rosvpn provision copies them on. */
export const PROFILE_STEP_NAME = 'client-profile';
export const PROFILE_STEP = bash`step_begin ${PROFILE_STEP_NAME}
profiles_sync
step_end`;

/**
 * pki.sh: the gateway's identities only (no packages, network or server config), for `rosvpn client
 * add/revoke/rotate`: `sudo bash pki.sh [--ca-pass-file /dev/shm/rosvpn-ca.XXXX]`.
 */
export function renderGatewayPki(t: ValidTopology, opts: { rotate?: string[] } = {}): RenderedScript {
  const rotate = opts.rotate ?? [];
  const { vars, libs } = pkiPreamble(t, rotate);
  const content = [
    scriptHeader(
      'gateway',
      'gateway',
      t,
      `The gateway's identities: certificates of the desktop and ${t.clients.length} client(s), revocation, CRL, client-config-dir and profiles.`,
      'pki.sh [--ca-pass-file /dev/shm/rosvpn-ca.XXXX]',
    ) +
      `SERVER_CONF=${q(OPENVPN_SERVER_CONF)}\n` +
      vars,
    ...libs,
    '# ---- steps -------------------------------------------------------------------',
    bash`step_begin preflight
[ "$(id -u)" -eq 0 ] || die "run as root: sudo bash $0"
[ -x "$EASYRSA_DIR/easyrsa" ] || die "easy-rsa is not installed: provision the gateway first (rosvpn provision --host gateway)"
grep -q '^client-config-dir ' "$SERVER_CONF" 2>/dev/null ||
  die "the OpenVPN server in $SERVER_CONF has no client identities yet: provision the gateway first (rosvpn provision --host gateway)"
step_end`,
    PKI_STEPS,
    bash`# A new server certificate or tls-crypt key is read only at start; the CRL and client-config-dir need no restart.
step_begin openvpn-reload
if [ "$OPENVPN_DIRTY" = 1 ] && systemctl is-active --quiet ${OPENVPN_SERVER_UNIT} 2>/dev/null; then
  systemctl restart ${OPENVPN_SERVER_UNIT}
  changed "restarted ${OPENVPN_SERVER_UNIT} (its certificate or keys changed)"
fi
step_end`,
    PROFILE_STEP,
    'summary 0',
  ].join('\n\n');
  return { role: 'gateway', hostName: 'gateway', fileName: 'pki.sh', content: `${content}\n`, embedded: [] };
}

/**
 * The read-only status of every identity, for `rosvpn client list` and `check` (run with sudo on the gateway):
 * `::cert name=… kind=… status=… [not_after=…]` and `::conn name=… real=… since=…` lines (lib/client-status.sh).
 */
export function renderClientStatus(t: ValidTopology): string {
  return [
    '#!/usr/bin/env bash',
    `# ROS VPN client status of topology '${v(t.name)}' on the gateway (read-only; generated by rosvpn). Run as root.`,
    `PKI=${q(PKI_DIR)}`,
    `MGMT_SOCK=${q(MGMT_SOCK)}`,
    `CLIENT=${q(CLIENT_PROFILE_NAME)}`,
    `CLIENT_NAMES=${qArray(t.clients.map((c) => c.name))}`,
    MGMT_LIB,
    CLIENT_STATUS_BODY,
  ].join('\n');
}
