// Provisioning scripts for the cloud hosts: the gateway (bridge + tunnels + OpenVPN server + PKI)
// and the second instances (bridge + tunnel). Both share net-up.sh and the CycloneDDS/Docker steps.
import { BRIDGE_NAME, CLIENT_PROFILE_NAME, type SecondConfig, type ValidTopology } from '../topology/types';
import { bash, heredoc, q, v, FILE_LIB, STEP_LIB } from './bash';
import { PREFLIGHT, scriptHeader, type ScriptParts } from './script';
import { cycloneDdsStep, featureSteps, FEATURE_LIB } from './cyclonedds';
import { guardPackages, guardStep } from './guard';
import { NET_UNIT, NET_UP_PATH, renderNetUp } from './network';
import {
  MGMT_RUNTIME_DIR,
  openvpnConfigLines,
  OPENVPN_SERVER_CONF,
  OPENVPN_SERVER_UNIT,
  renderServerConfig,
  renderTapUpHook,
  TAP_UP_HOOK,
} from './openvpn';
import { pkiPreamble, PKI_STEPS, PROFILE_STEP } from './pki';

export const CLIENT_PROFILE_SYSTEM_PATH = `/etc/rosvpn/${CLIENT_PROFILE_NAME}.ovpn`;

export type { EmbeddedFile, ScriptParts } from './script';

function netUnit(after: string): string {
  return `[Unit]
Description=ROS VPN layer-2 network (${BRIDGE_NAME} and tunnel)
Documentation=file://${NET_UP_PATH}
Wants=network-online.target
After=network-online.target
Before=${after}

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${NET_UP_PATH}

[Install]
WantedBy=multi-user.target
`;
}

/** Write net-up.sh and its unit, run it (its own steps stream through), enable the unit for boot. */
function networkSteps(netUp: string, before: string): string {
  return [
    'step_begin network-config',
    'ensure_dir /usr/local/lib/rosvpn 755',
    heredoc(`write_file ${NET_UP_PATH} 755`, netUp),
    heredoc(`write_file /etc/systemd/system/${NET_UNIT} 644`, netUnit(before)),
    'daemon_reload_if "$WROTE"',
    'step_end',
    '',
    '# The network steps (underlay, bridge, tunnel) run from the installed script, exactly as at boot.',
    NET_UP_PATH,
    '',
    'step_begin network-service',
    `ensure_service ${NET_UNIT}`,
    'step_end',
  ].join('\n');
}

/** Helper libraries and the preflight step of a cloud host, which also checks that CLOUD_IP is on it. */
function cloudPreflight(t: ValidTopology, field: string, libs: string[] = [STEP_LIB, FILE_LIB]): string[] {
  return [
    ...libs,
    t.features.docker || t.features.ros2 ? FEATURE_LIB : '',
    '# ---- steps -------------------------------------------------------------------',
    PREFLIGHT +
      `
[ -n "$(ip -o -4 addr show to "$CLOUD_IP")" ] || die "this host has no address $CLOUD_IP: ${field} in rosvpn.json must be this instance's private IP"
step_end`,
  ];
}

function cloudPeers(t: ValidTopology, self: SecondConfig | 'gateway'): string[] {
  if (self === 'gateway') return t.seconds.map((s) => s.cloudIp);
  if (t.tunnel === 'gretap') return [t.gateway.cloudIp];
  return [t.gateway.cloudIp, ...t.seconds.filter((s) => s.name !== self.name).map((s) => s.cloudIp)];
}

/** OpenVPN 2.5 or newer, easy-rsa for the PKI, python3 to talk to OpenVPN's management socket, nftables for the guard. */
const gatewayPackages = (t: ValidTopology): string => bash`step_begin packages
ensure_packages iproute2 openvpn easy-rsa openssl python3${guardPackages(t.filter)}
openvpn_version
case "$OVPN_VERSION" in
  2.[0-4].*) die "OpenVPN $OVPN_VERSION is too old: 2.5 or newer is needed (AEAD data-ciphers, tls-crypt); use Ubuntu 22.04 or newer" ;;
esac
step_end`;

/** The OpenVPN server's config and service, healthy once its tap has joined the bridge. */
function openvpnServerSteps(serverConf: string, dropIn: string): string {
  return [
    'step_begin openvpn-config',
    ...openvpnConfigLines(OPENVPN_SERVER_CONF, serverConf, OPENVPN_SERVER_UNIT, dropIn),
    'step_end',
    '',
    'step_begin openvpn-service',
    `ensure_service ${OPENVPN_SERVER_UNIT} "$OPENVPN_DIRTY"`,
    '# Healthy when the tap has joined the bridge (the up hook ran).',
    `wait_tap_port ${BRIDGE_NAME} 10 || die "OpenVPN started but no tap device joined ${BRIDGE_NAME}; see: journalctl -u ${OPENVPN_SERVER_UNIT}"`,
    'step_end',
  ].join('\n');
}

export function renderGateway(t: ValidTopology): ScriptParts {
  const gw = t.gateway;
  const netUp = renderNetUp({
    role: 'gateway',
    hostName: 'gateway',
    topologyName: t.name,
    vpnIp: gw.vpnIp,
    cloudIp: gw.cloudIp,
    mtu: t.mtu,
    tunnel: t.tunnel,
    vni: t.vxlan.vni,
    vxlanPort: t.vxlan.port,
    peers: cloudPeers(t, 'gateway'),
  });
  const serverConf = renderServerConfig(gw, t.mtu);
  const { vars, libs } = pkiPreamble(t);
  const dropIn = `# ROS VPN: the up hook enslaves the tap to ${BRIDGE_NAME}, which ${NET_UNIT} creates.
[Unit]
Requires=${NET_UNIT}
After=${NET_UNIT}

# The management socket's directory, root's only (the server keeps the socket after dropping privileges).
[Service]
RuntimeDirectory=${MGMT_RUNTIME_DIR}
RuntimeDirectoryMode=0700
`;
  const content = [
    scriptHeader(
      'gateway',
      'gateway',
      t,
      `Cloud gateway: ${BRIDGE_NAME} ${v(gw.vpnIp)}, ${v(t.tunnel)} to ${t.seconds.length} second(s), OpenVPN tap server on ${v(gw.openvpnProto)} ${v(gw.openvpnPort)}, ${t.clients.length} client(s).`,
      'gateway.sh [--ca-pass-file /dev/shm/rosvpn-ca.XXXX]',
    ) +
      `CLOUD_IP=${q(gw.cloudIp)}
` +
      vars,
    ...cloudPreflight(t, 'gateway.cloudIp', libs),
    gatewayPackages(t),
    featureSteps(t.features.docker, t.features.ros2),
    // Before the tap exists: no frame crosses it unguarded.
    guardStep('gateway', t.filter),
    networkSteps(netUp, OPENVPN_SERVER_UNIT),
    PKI_STEPS,
    openvpnServerSteps(serverConf, dropIn),
    PROFILE_STEP,
    cycloneDdsStep(BRIDGE_NAME, t.features.ros2),
    'summary 0',
    '',
  ]
    .filter((s) => s !== '')
    .join('\n\n');
  return {
    content,
    embedded: [
      { path: NET_UP_PATH, content: netUp, shell: 'bash' },
      { path: TAP_UP_HOOK, content: renderTapUpHook(), shell: 'sh' },
    ],
  };
}

export function renderSecond(t: ValidTopology, s: SecondConfig): ScriptParts {
  const netUp = renderNetUp({
    role: 'second',
    hostName: s.name,
    topologyName: t.name,
    vpnIp: s.vpnIp,
    cloudIp: s.cloudIp,
    mtu: t.mtu,
    tunnel: t.tunnel,
    vni: t.vxlan.vni,
    vxlanPort: t.vxlan.port,
    peers: cloudPeers(t, s),
  });
  const content = [
    scriptHeader(
      'second',
      s.name,
      t,
      `Second instance: ${BRIDGE_NAME} ${v(s.vpnIp)}, ${v(t.tunnel)} to the gateway${t.tunnel === 'vxlan' ? ' and every other second (full mesh)' : ''}.`,
    ) + `CLOUD_IP=${q(s.cloudIp)}\n`,
    ...cloudPreflight(t, 'its cloudIp'),
    bash`step_begin packages
ensure_packages iproute2
step_end`,
    featureSteps(t.features.docker, t.features.ros2),
    networkSteps(netUp, 'multi-user.target'),
    cycloneDdsStep(BRIDGE_NAME, t.features.ros2),
    'summary 0',
    '',
  ]
    .filter((x) => x !== '')
    .join('\n\n');
  return { content, embedded: [{ path: NET_UP_PATH, content: netUp, shell: 'bash' }] };
}
