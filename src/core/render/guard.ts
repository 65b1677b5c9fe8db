// The bridge guard: an nftables table (bridge family) on the tap port of the desktop's and the gateway's
// bridge. ARP, unicast and the DDS discovery (SPDP) multicast of the configured domains cross the OpenVPN
// link; any other multicast and broadcast crosses only up to a small rate budget per direction, the rest is
// dropped. So a camera stream sent to a multicast group in the cloud never floods the robot's control LAN, and
// the robot LAN's chatter never floods the cloud.
//
// The check script (check.ts) prints the guard's state and counters as machine lines (GUARD_LINE_FORMAT);
// src/core/provision/guard.ts (parseGuardLines) reads them back, as untrusted data.
import type { FilterSettings } from '../topology/types';
import { bash, heredoc } from './bash';
import { OPENVPN_CLIENT_UNIT, OPENVPN_SERVER_UNIT } from './openvpn';

/** The nftables table, in the bridge family (`nft list table bridge rosvpn_guard`). */
export const GUARD_TABLE = 'rosvpn_guard';
export const GUARD_FAMILY = 'bridge';
/** The ruleset file the unit loads (`nft -f`); it replaces the table atomically. */
export const GUARD_FILE = '/etc/rosvpn/guard.nft';
export const GUARD_UNIT = 'rosvpn-guard.service';
/**
 * The OpenVPN tap devices: both the server (gateway) and the client (desktop) use `dev tap`, for which the
 * kernel names the device tap0, tap1, … (a client host's own tap, rosvpn0, is not bridged and not guarded).
 */
export const GUARD_TAP_PATTERN = 'tap*';
/** The roles whose bridge has a tap port, and so a guard. */
export const GUARD_ROLES = ['desktop', 'gateway'] as const;
export type GuardRole = (typeof GUARD_ROLES)[number];

/**
 * Directions, the same names on both hosts: `to_lan` towards the robot LAN (desktop: in from the tap;
 * gateway: out to the tap), `to_cloud` towards the cloud hosts (desktop: out to the tap; gateway: in from it).
 */
export const GUARD_DIRECTIONS = ['to_lan', 'to_cloud'] as const;
export type GuardDirection = (typeof GUARD_DIRECTIONS)[number];
/** What each direction's rules count, in rule order; all but `dropped` passed. */
export const GUARD_KINDS = ['arp', 'unicast', 'discovery', 'budget_pass', 'dropped'] as const;
export type GuardKind = (typeof GUARD_KINDS)[number];
export const GUARD_PASSED_KINDS: readonly GuardKind[] = ['arp', 'unicast', 'discovery', 'budget_pass'];

/** `to_lan_arp`, … `to_cloud_dropped`: the named nft counter objects, direction-major in rule order. */
export const GUARD_COUNTERS: readonly string[] = GUARD_DIRECTIONS.flatMap((d) => GUARD_KINDS.map((k) => `${d}_${k}`));
/** The named nft limit object of a direction: `to_lan_budget`, `to_cloud_budget`. */
export const guardLimitName = (d: GuardDirection): string => `${d}_budget`;

/**
 * The machine lines the check script prints on a host with a guard (desktop, gateway), in this order:
 *
 *   ::guard-state on|off|missing|unreadable
 *   ::guard-load <boot id>/<table handle>          (only with state `on`: names the load the counters count from)
 *   ::guard <counter> packets=<n> bytes=<n>        (one per GUARD_COUNTERS entry, only with state `on`)
 *
 * `on`: the table is loaded; `off`: filter.enabled is false in the topology; `missing`: expected but not
 * loaded (not provisioned since the filter came in, or removed: run provision); `unreadable`: the check ran
 * without root, which nft needs to list the table. Counters count since the table was loaded (boot, or a
 * provision that changed the filter settings): another load id, or a counter lower than at the previous check,
 * means a reboot or a reload.
 * Hosts without a guard (seconds, clients) print none of these lines.
 */
export const GUARD_LINE_FORMAT = '::guard <counter> packets=<n> bytes=<n>';
export const GUARD_STATES = ['on', 'off', 'missing', 'unreadable'] as const;
export type GuardState = (typeof GUARD_STATES)[number];
export const GUARD_LINE_RE = /^::guard ([a-z_]+) packets=(\d+) bytes=(\d+)$/;
export const GUARD_STATE_RE = /^::guard-state (on|off|missing|unreadable)$/;
/** The load id: the host's boot id (a UUID) and the table's handle. */
const LOAD_ID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/\d{1,10}/.source;
export const GUARD_LOAD_ID_RE = new RegExp(`^${LOAD_ID}$`);
export const GUARD_LOAD_RE = new RegExp(`^::guard-load (${LOAD_ID})$`);

// ---- the ruleset --------------------------------------------------------------------------------------

/** CycloneDDS's (and every RTPS implementation's) SPDP multicast group. */
export const SPDP_GROUP = '239.255.0.1';
/** RTPS port mapping: PB 7400, DG 250, d0 0. The metatraffic multicast port (SPDP) of domain d. */
export const spdpPort = (domain: number): number => 7400 + 250 * domain;
export const FILTER_LIMITS = { maxDomain: 232, minBudgetKbps: 1, maxBudgetKbps: 100000 } as const;

/**
 * The budget as nft's byte rate: kbit/s to kbytes/second, rounded up; the burst one second of it, at least
 * 4 kbytes (two full frames). nft's bucket holds rate + burst: a flood passes at most that, then the rate.
 */
export function budgetRate(kbps: number): { kbytesPerSecond: number; burstKbytes: number } {
  const kbytesPerSecond = Math.ceil(kbps / 8);
  return { kbytesPerSecond, burstKbytes: Math.max(kbytesPerSecond, 4) };
}

/** Defence in depth: the validator checked these already; the renderer refuses anything else. */
function checkedFilter(f: FilterSettings): FilterSettings {
  const int = (n: unknown, lo: number, hi: number) => typeof n === 'number' && Number.isInteger(n) && n >= lo && n <= hi;
  if (!Array.isArray(f.domains) || f.domains.length === 0 || !f.domains.every((d) => int(d, 0, FILTER_LIMITS.maxDomain))) {
    throw new Error(`refusing to render filter.domains ${JSON.stringify(f.domains)}`);
  }
  if (!int(f.multicastBudgetKbps, FILTER_LIMITS.minBudgetKbps, FILTER_LIMITS.maxBudgetKbps)) {
    throw new Error(`refusing to render filter.multicastBudgetKbps ${JSON.stringify(f.multicastBudgetKbps)}`);
  }
  return f;
}

function directionChain(d: GuardDirection, ports: readonly number[]): string {
  return `  chain ${d} {
    ether type arp counter name "${d}_arp" accept
    ether daddr & 01:00:00:00:00:00 == 00:00:00:00:00:00 counter name "${d}_unicast" accept
    ip daddr ${SPDP_GROUP} udp dport { ${ports.join(', ')} } counter name "${d}_discovery" accept
    limit name "${guardLimitName(d)}" counter name "${d}_budget_pass" accept
    counter name "${d}_dropped" drop
  }
`;
}

/**
 * /etc/rosvpn/guard.nft for a desktop or a gateway. Frames in from the tap are filtered at the bridge's
 * prerouting hook (once, before the bridge forwards them to its other ports or delivers them to this host),
 * frames out to the tap at postrouting (once per frame, whether forwarded from another port or sent by this
 * host). Unicast is told by the destination MAC's group bit, not by `meta pkttype`: a frame this host sends
 * carries pkttype host whatever its destination.
 */
export function renderGuardNft(role: GuardRole, filter: FilterSettings): string {
  const f = checkedFilter(filter);
  const ports = [...new Set(f.domains)].sort((a, b) => a - b).map(spdpPort);
  const { kbytesPerSecond, burstKbytes } = budgetRate(f.multicastBudgetKbps);
  const inbound: GuardDirection = role === 'desktop' ? 'to_lan' : 'to_cloud';
  const outbound: GuardDirection = role === 'desktop' ? 'to_cloud' : 'to_lan';
  const counters = GUARD_COUNTERS.map((c) => `  counter ${c} { }\n`).join('');
  const limits = GUARD_DIRECTIONS.map(
    (d) => `  limit ${guardLimitName(d)} { rate ${kbytesPerSecond} kbytes/second burst ${burstKbytes} kbytes }\n`,
  ).join('');
  return `#!/usr/sbin/nft -f
# ROS VPN bridge guard for the ${role} (generated by rosvpn; loaded by ${GUARD_UNIT}).
# On the OpenVPN tap port(s) (${GUARD_TAP_PATTERN}) of the bridge, per direction: ARP and unicast pass; DDS discovery
# (SPDP, UDP to ${SPDP_GROUP} port ${ports.join(', ')}: filter.domains ${f.domains.join(', ')}) passes; other multicast and
# broadcast pass up to ${f.multicastBudgetKbps} kbit/s (filter.multicastBudgetKbps); the rest is dropped.
# to_lan: towards the robot LAN; to_cloud: towards the cloud hosts. Counters: nft list counters table ${GUARD_FAMILY} ${GUARD_TABLE}
# The first two lines make a reload atomic: the table is replaced in one transaction.
table ${GUARD_FAMILY} ${GUARD_TABLE}
delete table ${GUARD_FAMILY} ${GUARD_TABLE}
table ${GUARD_FAMILY} ${GUARD_TABLE} {
${counters}${limits}${GUARD_DIRECTIONS.map((d) => directionChain(d, ports)).join('')}  chain from_tap {
    type filter hook prerouting priority filter; policy accept;
    iifname "${GUARD_TAP_PATTERN}" jump ${inbound}
  }
  chain to_tap {
    type filter hook postrouting priority filter; policy accept;
    oifname "${GUARD_TAP_PATTERN}" jump ${outbound}
  }
}
`;
}

// ---- the unit and the provisioning step ---------------------------------------------------------------

/** Where the nftables package puts nft on Debian and Ubuntu. */
export const NFT = '/usr/sbin/nft';

/**
 * rosvpn-guard.service: loads the ruleset at boot, before the network and OpenVPN (so no frame crosses the tap
 * unguarded), after nftables.service (whose /etc/nftables.conf may begin with `flush ruleset`).
 */
export function renderGuardUnit(role: GuardRole): string {
  const openvpn = role === 'desktop' ? OPENVPN_CLIENT_UNIT : OPENVPN_SERVER_UNIT;
  return `[Unit]
Description=ROS VPN bridge guard: DDS discovery crosses the OpenVPN tap, multicast floods do not
Documentation=file://${GUARD_FILE}
DefaultDependencies=no
After=nftables.service
Before=network-pre.target ${openvpn} shutdown.target
Wants=network-pre.target
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${NFT} -f ${GUARD_FILE}
ExecReload=${NFT} -f ${GUARD_FILE}
ExecStop=-${NFT} delete table ${GUARD_FAMILY} ${GUARD_TABLE}

[Install]
WantedBy=multi-user.target
`;
}

const TABLE = `${GUARD_FAMILY} ${GUARD_TABLE}`;

/**
 * The `guard` step of the desktop's and the gateway's script. Enabled: the ruleset and its unit written,
 * the unit enabled and active, the table loaded (again, atomically, when the file changed or the table is
 * gone). Disabled: the unit, the file and the table removed; a host without them reports the step skipped.
 * nftables itself is installed by the packages step.
 */
export function guardStep(role: GuardRole, filter: FilterSettings): string {
  const unitPath = `/etc/systemd/system/${GUARD_UNIT}`;
  if (!filter.enabled) {
    return bash`if [ -e ${unitPath} ] || [ -e ${GUARD_FILE} ] || { command -v nft >/dev/null 2>&1 && nft list table ${TABLE} >/dev/null 2>&1; }; then
  step_begin guard
  if [ -e ${unitPath} ]; then
    systemctl disable --now --quiet ${GUARD_UNIT} 2>/dev/null || true
    rm -f ${unitPath}
    daemon_reload_if 1
  fi
  rm -f ${GUARD_FILE}
  if command -v nft >/dev/null 2>&1 && nft list table ${TABLE} >/dev/null 2>&1; then nft delete table ${TABLE}; fi
  changed "removed the bridge guard (filter.enabled is false): the tap carries every frame"
  step_end
else
  step_skip guard "filter.enabled is false"
fi`;
  }
  return [
    'step_begin guard',
    'ensure_dir /etc/rosvpn 755',
    heredoc(`write_file ${GUARD_FILE} 644`, renderGuardNft(role, filter)),
    'GUARD_DIRTY=$WROTE',
    heredoc(`write_file ${unitPath} 644`, renderGuardUnit(role)),
    'daemon_reload_if "$WROTE"',
    `unit_enabled ${GUARD_UNIT} || { systemctl enable --quiet --no-reload ${GUARD_UNIT}; changed "enabled ${GUARD_UNIT}"; }`,
    `if ! unit_active ${GUARD_UNIT}; then`,
    `  systemctl start ${GUARD_UNIT} || service_failed ${GUARD_UNIT}`,
    `  changed "started ${GUARD_UNIT}: multicast and broadcast across the tap: DDS discovery, and others up to ${filter.multicastBudgetKbps} kbit/s"`,
    `elif [ "$GUARD_DIRTY" = 1 ] || ! nft list table ${TABLE} >/dev/null 2>&1; then`,
    '  # One transaction (the file replaces the table): no moment without the guard; its counters start at 0.',
    `  systemctl reload ${GUARD_UNIT} || service_failed ${GUARD_UNIT}`,
    `  changed "loaded ${GUARD_FILE} into nft table ${TABLE}"`,
    'fi',
    'step_end',
  ].join('\n');
}

/** The packages the guard needs, for the packages step ('' when it is off). */
export const guardPackages = (filter: FilterSettings): string => (filter.enabled ? ' nftables' : '');
