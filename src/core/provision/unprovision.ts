// Removing ROS VPN from hosts: render each host's unprovision script, run it like a provisioning script
// (the same runScript, events and HostReport), and summarise. Order: the client hosts and the desktop first,
// then the seconds, then the gateway last — the desktop's commit-confirm rollback and the clients' own
// teardown must not lose their tunnel to the gateway halfway; and a gateway whose desktop or client failed
// to unprovision is kept (skipped), so that the failed host can be retried through it.
import { renderUnprovision, type RenderedScript } from '../render';
import { PKI_DIR, OPENVPN_CLIENT_UNIT, OPENVPN_SERVER_UNIT } from '../render/openvpn';
import { BRIDGE_NAME, CLIENT_TAP, type ValidTopology } from '../topology/types';
import { type HostSelector, selectHosts, type TopologyHost } from './endpoints';
import { type HostReport, type ProvisionEvent, type ProvisionReport, runScript, skipped } from './orchestrator';
import type { SshPool } from '../ssh/types';

export interface UnprovisionOptions {
  pool: SshPool;
  select?: HostSelector;
  /** Also delete the gateway's PKI (the CA and every certificate); default: kept in a dated backup. */
  purge?: boolean;
  onEvent?(event: ProvisionEvent): void;
  signal?: AbortSignal;
  /** The scripts to run, one per host label; default: renderUnprovision per host. Tests pass harmless ones. */
  scripts?: RenderedScript[];
}

/** The phases in the order they run; the hosts of one phase run at once. */
const PHASES: ReadonlyArray<ReadonlyArray<TopologyHost['role']>> = [['client', 'desktop'], ['second'], ['gateway']];

export async function unprovision(t: ValidTopology, opts: UnprovisionOptions): Promise<ProvisionReport> {
  const selected = selectHosts(t, opts.select);
  const purge = opts.purge ?? false;
  const byLabel = new Map((opts.scripts ?? []).map((s) => [s.hostName, s]));
  // Rendered up front, so that a topology the renderer refuses fails before any host changes.
  const scriptOf = new Map(
    selected.map((h) => [h.label, byLabel.get(h.label) ?? (opts.scripts ? undefined : renderUnprovision(t, h.label, { purge }))]),
  );
  const reports = new Map<string, HostReport>();
  for (const roles of PHASES) {
    const hosts = selected.filter((h) => roles.includes(h.role));
    const runs = hosts.map((h) => {
      const why = skipReason(h, reports, opts.signal);
      if (why) return Promise.resolve(skipped(h, why, opts));
      const script = scriptOf.get(h.label);
      if (!script) throw new Error(`no unprovision script for ${h.label}`);
      return runScript(h, script, opts);
    });
    for (const r of await Promise.all(runs)) reports.set(r.label, r);
  }
  // Reported in the topology's order (gateway, seconds, desktop, clients), like provision.
  const hosts = selected.map((h) => reports.get(h.label)).filter((r): r is HostReport => r !== undefined);
  return { hosts, ok: hosts.every((h) => h.status !== 'failed') };
}

/** Why a host does not run now: the run was cancelled, or (the gateway) a host that depends on it failed. */
function skipReason(h: TopologyHost, done: ReadonlyMap<string, HostReport>, signal: AbortSignal | undefined): string | undefined {
  if (signal?.aborted) return 'cancelled before this host was unprovisioned';
  if (h.role !== 'gateway') return undefined;
  const failed = [...done.values()].filter((r) => (r.role === 'desktop' || r.role === 'client') && r.status === 'failed');
  if (!failed.length) return undefined;
  const names = failed.map((r) => r.label).join(', ');
  return `kept, because ${names} failed to unprovision and reach${failed.length === 1 ? 'es' : ''} the LAN through it; fix that, then run again`;
}

/**
 * What unprovisioning will change on a host, one line each, for the confirmation the CLI and VS Code show
 * before anything runs. Describes the intent; the script reports what it actually changed, step by step.
 */
export function describeUnprovision(t: ValidTopology, host: TopologyHost, purge: boolean): string[] {
  const common = `ROS VPN's files removed (/etc/rosvpn, /usr/local/lib/rosvpn, its sysctl, profile and CycloneDDS settings), sysctl values restored to what they were before`;
  switch (host.role) {
    case 'gateway':
      return [
        `${OPENVPN_SERVER_UNIT} and rosvpn-net.service stopped, disabled and removed`,
        `bridge ${BRIDGE_NAME}, the tunnels to the seconds and the OpenVPN tap deleted`,
        common,
        purge
          ? `the PKI in ${PKI_DIR} and the profiles DELETED (--purge): the CA and every certificate; existing profiles stop working for good`
          : `the PKI in ${PKI_DIR} and the profiles (the CA and every certificate) moved to a dated backup in /var/backups`,
        `every connected client and the desktop gateway lose their VPN connection`,
      ];
    case 'second':
      return [`rosvpn-net.service stopped, disabled and removed`, `bridge ${BRIDGE_NAME} and its tunnel to the gateway deleted`, common];
    case 'desktop': {
      const d = t.desktop;
      const addressing =
        d?.addressing === 'static'
          ? `the static address ${d.address ?? '(as before)'}${d.defaultGateway ? ` and the default route via ${d.defaultGateway}` : ''} back on it`
          : `its DHCP lease renewed`;
      return [
        `${OPENVPN_CLIENT_UNIT}, rosvpn-desktop-net.service and the rollback timer stopped, disabled and removed`,
        `LAN NIC ${d?.lanInterface ?? '(lanInterface)'} taken out of ${BRIDGE_NAME} and handed back to the manager that owned it (NetworkManager or systemd-networkd drop-ins removed), with ${addressing}`,
        `bridge ${BRIDGE_NAME} and the OpenVPN tap deleted`,
        common,
        `guarded by the same commit-confirm rollback as provisioning: if this machine cannot reach the desktop afterwards, the change undoes itself`,
      ];
    }
    case 'client':
      return [
        `${OPENVPN_CLIENT_UNIT} stopped, disabled and removed; tap ${CLIENT_TAP} deleted`,
        `its certificate stays valid on the gateway until: rosvpn client revoke ${host.label}`,
        common,
      ];
  }
}
