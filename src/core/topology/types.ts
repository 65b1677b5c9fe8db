// The topology model: what `rosvpn.json` describes, after validation and defaults.
// This module (like all of src/core) must never import `vscode`.

export type TunnelMode = 'vxlan' | 'gretap';
export type Role = 'gateway' | 'second' | 'desktop' | 'client';

/** SSH connection settings; each host may override the topology-wide defaults. */
export interface SshSettings {
  user?: string;
  port?: number;
  identityFile?: string;
  /** Reach this host through another: `gateway`, an ssh config alias, or `user@host:port`. */
  jump?: string;
}

export interface HostBase extends SshSettings {
  /** Hostname, IPv4 address or ~/.ssh/config alias used to reach the host over SSH. */
  host: string;
}

export interface GatewayConfig extends HostBase {
  /** Address (Elastic IP or DNS name) the desktop's OpenVPN client connects to. */
  publicAddress?: string;
  /** The gateway's private address in the VPC subnet (the guide's ROSVPN_GATEWAY_CLOUD_IP). */
  cloudIp: string;
  /** Static address of `rosbridge` in the robot subnet, CIDR (the guide's ROSVPN_GATEWAY_VPN_IP). */
  vpnIp: string;
  openvpnPort: number;
  openvpnProto: 'udp' | 'tcp';
  /** EC2 instance id, written by `rosvpn cloud up` (informational: the cloud commands find instances by tag). */
  instanceId?: string;
}

export interface SecondConfig extends HostBase {
  name: string;
  /** Private address in the VPC subnet (the guide's ROSVPN_SECOND_CLOUD_IP). */
  cloudIp: string;
  /** Static address of this host's `rosbridge` in the robot subnet, CIDR (ROSVPN_SECOND_VPN_IP). */
  vpnIp: string;
  /** EC2 instance id, written by `rosvpn cloud up`. */
  instanceId?: string;
}

export type DesktopAddressing = 'dhcp' | 'static';

export interface DesktopConfig extends HostBase {
  /** The LAN NIC that is bridged into `rosbridge` (the robot's LAN). */
  lanInterface: string;
  addressing: DesktopAddressing;
  /** With static addressing: the desktop's LAN address, CIDR, which moves from the NIC to the bridge. */
  address?: string;
  /** With static addressing: the LAN's default gateway, if the desktop has one. */
  defaultGateway?: string;
}

/**
 * A machine that joins the robot LAN with an identity of its own (a developer's laptop, a field laptop, a
 * second site): its own certificate, its own tap and robot-subnet address, pushed by the gateway.
 */
export interface ClientConfig extends SshSettings {
  /** Certificate common name and profile name: lowercase letters, digits and '-'. */
  name: string;
  /** The client tap's address in the robot subnet, CIDR; the gateway pushes it (ifconfig-push). */
  vpnIp: string;
  /** SSH host when rosvpn should set the client up (OpenVPN client unit, profile, CycloneDDS); optional. */
  host?: string;
}

export interface Features {
  /** Install Docker CE from Docker's apt repository (off by default). */
  docker: boolean;
  /** Install ROS 2 from the ROS apt repository (off by default). */
  ros2: boolean;
}

export interface VxlanSettings {
  /** VXLAN network identifier. */
  vni: number;
  /** UDP destination port. */
  port: number;
}

/**
 * The bridge guard (nftables, bridge family) on the desktop's and the gateway's tap port: ARP, unicast and DDS
 * discovery of `domains` pass; other multicast and broadcast pass up to `multicastBudgetKbps`, the rest drops.
 */
export interface FilterSettings {
  enabled: boolean;
  /** DDS domain ids (0..232) whose SPDP discovery multicast (239.255.0.1, UDP 7400 + 250 × id) passes. */
  domains: number[];
  /** Other multicast and broadcast passed per direction, kbit/s (1..100000). */
  multicastBudgetKbps: number;
}

export interface Topology {
  name: string;
  /** Random id of the EC2 deployment (16 hex digits), written by the first `rosvpn cloud up`. */
  deployment?: string;
  robotSubnet: string;
  cloudSubnet?: string;
  tunnel: TunnelMode;
  /** Layer-2 MTU inside the bridge and tunnels; 1500 matches the robot LAN. */
  mtu: number;
  vxlan: VxlanSettings;
  features: Features;
  filter: FilterSettings;
  ssh: SshSettings;
  gateway: GatewayConfig;
  seconds: SecondConfig[];
  desktop?: DesktopConfig;
  /** Machines with an identity of their own (one certificate each); [] when none. */
  clients: ClientConfig[];
}

/**
 * rosvpn.json as a user writes it: fields with defaults may be left out. This is what starterTopology() and
 * topologyFromEnv() build and what applyTopologyEdit() accepts (a Topology is one too).
 */
export interface TopologyDocument {
  name: string;
  deployment?: string;
  robotSubnet: string;
  cloudSubnet?: string;
  tunnel?: TunnelMode;
  mtu?: number;
  vxlan?: Partial<VxlanSettings>;
  features?: Partial<Features>;
  filter?: Partial<FilterSettings>;
  ssh?: SshSettings;
  gateway: Omit<GatewayConfig, 'openvpnPort' | 'openvpnProto'> & Partial<Pick<GatewayConfig, 'openvpnPort' | 'openvpnProto'>>;
  seconds?: SecondConfig[];
  desktop?: Omit<DesktopConfig, 'addressing'> & { addressing?: DesktopAddressing };
  clients?: ClientConfig[];
}

declare const validated: unique symbol;
/** A topology that passed validation. Only the validator produces one; only it may be rendered. */
export type ValidTopology = Topology & { readonly [validated]: true };

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** Field path in the file, e.g. `seconds[1].vpnIp`; empty for the whole file. */
  path: string;
  /** What is wrong, naming the offending value. */
  message: string;
  /** How to fix it. */
  fix?: string;
  /** 1-based position in the file text, when known (JSON syntax errors, duplicate keys). */
  line?: number;
  /** 1-based column (UTF-16 code units), with `line`. */
  column?: number;
}

/** Names used on every host. Fixed so that admins and the guide's instructions recognise them. */
export const BRIDGE_NAME = 'rosbridge';
export const VXLAN_DEVICE = 'rosvx0';
export const CLIENT_PROFILE_NAME = 'ros_local_gateway';
export const OPENVPN_INSTANCE = 'rosvpn';
export const TOPOLOGY_FILE = 'rosvpn.json';
/** The tap device of a client host (not bridged: CycloneDDS is pinned to it). */
export const CLIENT_TAP = 'rosvpn0';
/** Folder in the gateway login user's home that holds one profile per client: `~/rosvpn-clients/NAME.ovpn`. */
export const CLIENT_PROFILES_DIR = 'rosvpn-clients';

export const DEFAULTS = {
  tunnel: 'vxlan' as TunnelMode,
  mtu: 1500,
  vni: 42,
  vxlanPort: 4789,
  openvpnPort: 1194,
  openvpnProto: 'udp' as const,
  addressing: 'dhcp' as DesktopAddressing,
  sshUser: 'ubuntu',
  filterDomains: [0] as readonly number[],
  multicastBudgetKbps: 100,
};
