// The topology tree as plain data: nodes, stable ids, labels, descriptions, tooltips, context values and
// a status per host from the last provision or check. No `vscode` import, so it is tested under mocha;
// the TreeDataProvider (provider.ts) only maps these nodes to TreeItems.
import type { CheckReport, PairCheck } from '../../core/provision/check';
import { DIRECTION_TEXT, flowWarning, formatBytes, formatCount, guardSummary, sinceText, type GuardView } from '../../core/provision/guard';
import type { ProvisionReport } from '../../core/provision/orchestrator';
import { DDS_DISCOVERY_GROUP } from '../../core/render/check';
import type { SshErrorCode } from '../../core/ssh/types';
import { BRIDGE_NAME, type ClientConfig, type ValidTopology } from '../../core/topology/types';
import type { ClientStatus } from '../clients/coreApi';

/** What the extension knows of a host now, from the last provision or check (the core's ProvisionOutcome
 *  is what one provisioning run did); `not provisioned` after Remove ROS VPN from Host removed it. */
export type HostHealth = 'unknown' | 'provisioning' | 'healthy' | 'failed' | 'unreachable' | 'not provisioned';

/** A cloud host's EC2 instance from the last cloud status: EC2's state name, or `not launched`. */
export interface CloudHostState {
  id?: string;
  state: string;
}
export type NodeKind = 'restricted' | 'robotNetwork' | 'desktop' | 'gateway' | 'seconds' | 'second' | 'clients' | 'client' | 'guard';

/** The clients' certificates and connections from the last status read of the gateway (nothing before the first). */
export interface ClientsView {
  statuses?: readonly ClientStatus[];
  reading?: boolean;
  /** Why the last read failed; the statuses before it (if any) are still shown. */
  error?: string;
  readAt?: Date;
}

/** A client as the tree shows it: `unknown` until the gateway was asked. */
export type ClientState = 'unknown' | 'connected' | 'offline' | 'revoked' | 'not issued';

export interface TreeNode {
  /** Stable across refreshes, so expansion and selection survive a change of rosvpn.json. */
  id: string;
  kind: NodeKind;
  label: string;
  description?: string;
  tooltip: string;
  /** For menus: `rosvpn.host.<role>` on hosts (plus ` ec2-<state>` once the cloud status is known), the kind elsewhere. */
  contextValue: string;
  /** The host label the core uses (`gateway`, `desktop`, a second's name). */
  host?: string;
  status?: HostHealth;
  children?: TreeNode[];
  /** A command id run when the node is clicked. */
  command?: string;
  /** Client nodes: the client's name and state (the icon follows the state). */
  client?: { name: string; state: ClientState; declared: boolean };
  /** Guard nodes: the budget was hit, or the guard is not as expected (a warning icon). */
  warning?: boolean;
}

/** Shown above the tree in Restricted Mode (the view's message). */
export const RESTRICTED_MESSAGE =
  'Restricted Mode: this folder is not trusted, so the topology is shown read-only. Provisioning, SSH and EC2 need trust.';

/** The first node in Restricted Mode: the way to trust the folder. */
export const RESTRICTED_NODE: TreeNode = {
  id: 'rosvpn:restricted',
  kind: 'restricted',
  label: 'Manage Workspace Trust',
  description: 'to provision, use SSH and EC2',
  tooltip:
    'Restricted Mode: ROS VPN shows the topology but runs nothing. Provisioning, SSH terminals, log streaming, the client profile download, connectivity checks and the EC2 commands need a trusted folder. Click to review and trust this folder.',
  contextValue: 'restricted',
  command: 'workbench.trust.manage',
};

const addr = (cidr: string) => cidr.split('/')[0];

export interface TreeOptions {
  trusted?: boolean;
  clients?: ClientsView;
  pairs?: ReadonlyMap<string, readonly PairResult[]>;
  /** The desktop's and the gateway's guard from the last check that read it. */
  guards?: ReadonlyMap<string, GuardView>;
}

export function buildTopologyTree(
  t: ValidTopology,
  statuses: ReadonlyMap<string, HostHealth> = new Map(),
  cloud: ReadonlyMap<string, CloudHostState> = new Map(),
  opts: TreeOptions = {},
): TreeNode[] {
  const status = (host: string) => statuses.get(host) ?? 'unknown';
  // The EC2 side, once known: in the description, the tooltip and (for Start/Stop menus) the context value.
  const ec2 = (host: string) => {
    const c = cloud.get(host);
    return c
      ? {
          description: ` · EC2 ${c.state}`,
          tooltip: `\nEC2 ${c.id ? `${c.id} ` : ''}${c.state}`,
          context: ` ec2-${c.state.replace(/\s+/g, '-')}`,
        }
      : { description: '', tooltip: '', context: '' };
  };
  const nodes: TreeNode[] = [
    // Untrusted: the same rows (plain data from rosvpn.json), led by the way out of Restricted Mode.
    ...(opts.trusted === false ? [RESTRICTED_NODE] : []),
    {
      id: 'rosvpn:robot',
      kind: 'robotNetwork',
      label: 'Robot network',
      description: t.robotSubnet,
      tooltip: `The robot's LAN ${t.robotSubnet}, extended at layer 2 to the cloud (${t.tunnel})`,
      contextValue: 'robotNetwork',
    },
  ];
  if (t.desktop) {
    const d = t.desktop;
    nodes.push({
      id: 'rosvpn:desktop',
      kind: 'desktop',
      label: 'Desktop Gateway',
      description: `${d.host} · ${d.lanInterface}${d.addressing === 'static' && d.address ? ` · ${d.address}` : ' · dhcp'}`,
      tooltip: `Desktop gateway ${d.host}: ${d.lanInterface} bridged into ${BRIDGE_NAME} (${d.addressing}); OpenVPN client · ${status('desktop')}`,
      contextValue: 'rosvpn.host.desktop',
      host: 'desktop',
      status: status('desktop'),
      ...guardChildren('desktop', opts.guards?.get('desktop')),
    });
  }
  const g = t.gateway;
  nodes.push({
    id: 'rosvpn:gateway',
    kind: 'gateway',
    label: 'Cloud Gateway',
    description: [g.publicAddress ?? 'no public address', g.cloudIp, addr(g.vpnIp)].join(' · ') + ec2('gateway').description,
    tooltip: `Cloud gateway ${g.host}\npublic ${g.publicAddress ?? '(not set)'} · cloud ${g.cloudIp} · VPN ${g.vpnIp}\nOpenVPN ${g.openvpnProto} ${g.openvpnPort} · ${status('gateway')}${ec2('gateway').tooltip}`,
    contextValue: `rosvpn.host.gateway${ec2('gateway').context}`,
    host: 'gateway',
    status: status('gateway'),
    ...guardChildren('gateway', opts.guards?.get('gateway')),
  });
  nodes.push({
    id: 'rosvpn:seconds',
    kind: 'seconds',
    label: 'Second instances',
    description: String(t.seconds.length),
    tooltip: `${t.seconds.length} second instance(s) joined to the gateway's bridge by ${t.tunnel}`,
    contextValue: 'seconds',
    children: t.seconds.map((s) => ({
      id: `rosvpn:second:${s.name}`,
      kind: 'second',
      label: s.name,
      description: `${s.cloudIp} · ${addr(s.vpnIp)}${ec2(s.name).description}`,
      tooltip: `Second instance ${s.name} (${s.host})\ncloud ${s.cloudIp} · VPN ${s.vpnIp} · ${status(s.name)}${ec2(s.name).tooltip}`,
      contextValue: `rosvpn.host.second${ec2(s.name).context}`,
      host: s.name,
      status: status(s.name),
    })),
  });
  nodes.push(clientsNode(t, opts.clients ?? {}, status));
  return withPairs(nodes, opts.pairs ?? new Map());
}

/**
 * The guard of a host as its children: one per direction (passed and dropped since the check before; a warning
 * icon when it dropped), or one `Guard` row when it is off or not as expected. None before a check read it.
 */
export function guardChildren(host: string, v: GuardView | undefined): { children?: TreeNode[] } {
  if (!v || v.state === 'unread') return {};
  const base = { kind: 'guard' as const, contextValue: 'guard' };
  if (v.state !== 'on') {
    const text: Record<string, string> = {
      off: 'off (filter.enabled false)',
      missing: 'not loaded: provision the host',
      stray: 'loaded though filter.enabled is false: provision the host',
      incomplete: 'not the current rules: provision the host',
    };
    const fix = v.state === 'off' ? '' : `\nProvisioning ${host} (Provision) ${v.state === 'stray' ? 'removes it' : 'loads it'}.`;
    return {
      children: [
        {
          ...base,
          id: `rosvpn:guard:${host}`,
          label: 'Guard',
          description: text[v.state],
          tooltip: `Multicast guard on ${host}: ${guardSummary(v)}${fix}`,
          ...(v.state === 'off' ? {} : { warning: true }),
        },
      ],
    };
  }
  const children = (v.flows ?? []).map((f): TreeNode => {
    const warning = flowWarning(host, v, f);
    return {
      ...base,
      id: `rosvpn:guard:${host}:${f.direction}`,
      label: f.direction === 'to_lan' ? 'Guard → robot LAN' : 'Guard → cloud',
      description: `passed ${formatBytes(f.passed.bytes)} · dropped ${formatBytes(f.dropped.bytes)}`,
      tooltip: [
        `Multicast guard on ${host}, frames ${DIRECTION_TEXT[f.direction]}, ${v.since ? sinceText(v.since) : ''}:`,
        `passed ${formatCount(f.passed)}: ARP, unicast, DDS discovery and multicast/broadcast within the budget`,
        `dropped ${formatCount(f.dropped)}: multicast/broadcast over the budget of ${v.budgetKbps} kbit/s (filter.multicastBudgetKbps)`,
        ...(warning ? [`WARNING: ${warning}`] : []),
      ].join('\n'),
      ...(warning ? { warning: true } : {}),
    };
  });
  return { children };
}

/** For the status bar: one line per guard and direction that dropped at the last check that read it. */
export function guardHitLines(guards: ReadonlyMap<string, GuardView>): string[] {
  return [...guards].flatMap(([host, v]) =>
    (v.flows ?? [])
      .filter((f) => flowWarning(host, v, f))
      .map((f) => `${host} dropped ${formatBytes(f.dropped.bytes)} ${DIRECTION_TEXT[f.direction]}`),
  );
}

/** Per host with a guard, its view after `check`; hosts whose guard was not read (no root) are absent. */
export function guardViewsFromCheck(report: CheckReport): Map<string, GuardView> {
  const m = new Map<string, GuardView>();
  for (const h of report.hosts) if (h.guard && h.guard.state !== 'unread') m.set(h.label, h.guard);
  return m;
}

/** One pair of the last check that probed pairs, as the tree and the status bar show it. */
export interface PairResult {
  text: string;
  ok: boolean;
}

/**
 * Each host's pairs from the last check: in its description how many passed or failed, in its tooltip every
 * pair with its result (✓ / ✗), so a passing DDS multicast is seen as well as a failing one.
 */
function withPairs(nodes: TreeNode[], pairs: ReadonlyMap<string, readonly PairResult[]>): TreeNode[] {
  const mark = (n: TreeNode): TreeNode => {
    const mine = n.host ? pairs.get(n.host) : undefined;
    const children = n.children?.map(mark);
    const base = children ? { ...n, children } : n;
    if (!mine?.length) return base;
    const failing = mine.filter((p) => !p.ok).length;
    const count = failing ? `${failing} of ${mine.length} pairs failing` : `${mine.length} pairs ok`;
    return {
      ...base,
      description: `${base.description ?? ''} · ${count}`.replace(/^ · /, ''),
      tooltip: `${base.tooltip}\nPairs (last check):\n${mine.map((p) => `${p.ok ? '✓' : '✗'} ${p.text}`).join('\n')}`,
    };
  };
  return nodes.map(mark);
}

/** `DDS multicast 239.255.0.1 gateway → second`, `1500-byte don't-fragment ping second → gateway`: what a pair check probed. */
export function describePair(p: PairCheck, mtu: number): string {
  return p.kind === 'mcast'
    ? `DDS multicast ${DDS_DISCOVERY_GROUP} ${p.from} → ${p.to}`
    : `${mtu}-byte don't-fragment ping ${p.from} → ${p.to}`;
}

/** Per host, its pairs after `check` (mcast as received, mtu as sent), failed ones first; hosts without pairs are absent. */
export function pairResultsFromCheck(report: CheckReport, mtu: number): Map<string, PairResult[]> {
  const m = new Map<string, PairResult[]>();
  for (const h of report.hosts) {
    const pairs = (h.pairs ?? []).map((p) => ({ text: describePair(p, mtu), ok: p.status === 'pass' }));
    if (pairs.length) m.set(h.label, [...pairs.filter((p) => !p.ok), ...pairs.filter((p) => p.ok)]);
  }
  return m;
}

const day = (iso: string | undefined): string | undefined => (iso && /^\d{4}-\d{2}-\d{2}/.test(iso) ? iso.slice(0, 10) : undefined);

/** `connectedSince` as a UTC time: the core gives ISO text (or epoch seconds, as the gateway prints them). */
function when(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const d = /^\d+$/.test(v) ? new Date(Number(v) * 1000) : new Date(v);
  return Number.isNaN(d.getTime()) ? v : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function certLine(s: ClientStatus | undefined, expires: string | undefined): string {
  if (s === undefined) return 'Certificate: not read yet (expand Clients or Refresh Topology View)';
  if (s.cert === 'revoked') return 'Certificate revoked: the gateway refuses it';
  if (s.cert === 'missing') return 'No certificate yet: provisioning the gateway issues it';
  const days = s.expiresInDays;
  const soon = days !== undefined && days <= 30 ? ': renewed by the next provisioning of the gateway' : '';
  return `Certificate valid until ${expires ?? 'an unknown date'}${days !== undefined ? ` (${days} days)` : ''}${soon}`;
}

function clientState(s: ClientStatus | undefined): ClientState {
  if (!s) return 'unknown';
  if (s.cert === 'revoked') return 'revoked';
  if (s.cert === 'missing') return 'not issued';
  return s.connected ? 'connected' : 'offline';
}

/** One client row: declared in rosvpn.json (`c`), issued on the gateway (`s`), or both. */
function clientNode(c: ClientConfig | undefined, s: ClientStatus | undefined, health: (host: string) => HostHealth): TreeNode {
  const name = (c?.name ?? s?.name) as string;
  const state = clientState(s);
  const declared = c !== undefined;
  const vpnIp = c?.vpnIp ?? s?.vpnIp;
  const host = c?.host;
  const expires = day(s?.notAfter);
  const parts = [
    ...(declared ? [] : ['not in rosvpn.json']),
    ...(vpnIp ? [addr(vpnIp)] : []),
    ...(state === 'connected' || state === 'offline' ? [...(expires ? [`expires ${expires}`] : []), state] : []),
    ...(state === 'not issued' ? [state] : []),
    // Revoked yet still in the server's client list: true for a moment after a revocation (the server ends
    // the session asynchronously); shown as it is, since anything longer would need looking into.
    ...(state === 'revoked' ? ['revoked', ...(s?.connected ? ['still connected'] : [])] : []),
  ];
  const cert = certLine(s, expires);
  const conn = s?.connected
    ? `Connected${s.connectedSince ? ` since ${when(s.connectedSince)}` : ''}${s.realAddress ? ` from ${s.realAddress}` : ''}`
    : s
      ? 'Not connected'
      : undefined;
  const tooltip = [
    `Client ${name}${vpnIp ? ` (${vpnIp})` : ''}`,
    cert,
    ...(conn ? [conn] : []),
    declared
      ? host
        ? `SSH host ${host}: Provision Client sets it up · ${health(name)}`
        : 'No SSH host: Download Client Profile and install it on the machine'
      : s?.cert === 'valid'
        ? 'Not in rosvpn.json: the next provisioning of the gateway revokes it'
        : 'Not in rosvpn.json',
  ].join('\n');
  return {
    id: `rosvpn:client:${name}`,
    kind: 'client',
    label: name,
    description: parts.join(' · '),
    tooltip,
    // Menus: rosvpn.client.<host|nohost>.<declared|undeclared> cert-<valid|revoked|missing|unknown>.
    contextValue: `rosvpn.client.${host ? 'host' : 'nohost'}.${declared ? 'declared' : 'undeclared'} cert-${s?.cert ?? 'unknown'}`,
    ...(host && declared ? { host: name, status: health(name) } : {}),
    client: { name, state, declared },
  };
}

/** The Clients node: every client of rosvpn.json, then those the gateway issued that rosvpn.json no longer declares. */
function clientsNode(t: ValidTopology, view: ClientsView, health: (host: string) => HostHealth): TreeNode {
  const statuses = view.statuses ?? [];
  const declared = new Set(t.clients.map((c) => c.name));
  const children = [
    ...t.clients.map((c) =>
      clientNode(
        c,
        statuses.find((s) => s.name === c.name),
        health,
      ),
    ),
    ...statuses.filter((s) => !declared.has(s.name)).map((s) => clientNode(undefined, s, health)),
  ];
  const connected = statuses.filter((s) => s.connected).length;
  const description = [
    children.length ? String(children.length) : 'none',
    ...(view.statuses ? [`${connected} connected`] : []),
    ...(view.reading ? ['reading…'] : view.error ? ['status unknown'] : []),
  ].join(' · ');
  const read = view.readAt ? `\nStatus read from the gateway at ${view.readAt.toISOString().slice(11, 19)} UTC` : '';
  return {
    id: 'rosvpn:clients',
    kind: 'clients',
    label: 'Clients',
    description,
    tooltip: `Machines with a certificate of their own that join the robot LAN (a laptop, a second site)${read}${view.error ? `\nThe last status read failed: ${view.error}` : ''}`,
    contextValue: t.clients.length ? 'clients' : 'clients.empty',
    children,
  };
}

/** The SSH failures that mean the host was not reached (or not trusted, or would not let us in). */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set<SshErrorCode>([
  'CONNECT_FAILED',
  'CONNECTION_LOST',
  'HOST_KEY_CHANGED',
  'HOST_KEY_REJECTED',
  'AUTH_FAILED',
]);

/** Host statuses after a provisioning run: a host that could not be reached is `unreachable`. */
export function statusesFromProvision(report: ProvisionReport): Map<string, HostHealth> {
  const m = new Map<string, HostHealth>();
  for (const h of report.hosts) {
    if (h.status === 'skipped') continue;
    // Decided on the code, never the message; a host that ran steps before losing the connection was reached.
    const unreachable = h.status === 'failed' && UNREACHABLE_CODES.has(h.code ?? '') && h.changed + h.ok === 0;
    m.set(h.label, h.status === 'failed' ? (unreachable ? 'unreachable' : 'failed') : 'healthy');
  }
  return m;
}

/** Host statuses after `check`: healthy only when every check passed; no SSH means unreachable. */
export function statusesFromCheck(report: CheckReport): Map<string, HostHealth> {
  const m = new Map<string, HostHealth>();
  for (const h of report.hosts) {
    const ssh = h.checks.find((c) => c.name === 'ssh');
    m.set(h.label, ssh?.status === 'fail' ? 'unreachable' : h.ok ? 'healthy' : 'failed');
  }
  return m;
}
