// After `cloud up`: what goes back into rosvpn.json — instance ids, the gateway's Elastic IP as its
// publicAddress and, when the SSH target was a stale public address, as its host. Pure; no SDK import, so
// the extension can use it without loading the AWS SDK. Never imports `vscode`.
import { randomBytes } from 'node:crypto';
import { parseIpv4 } from '../topology/ipv4';
import type { TopologyEdit } from '../topology/file';
import type { ValidTopology } from '../topology/types';

export interface LaunchedInstances {
  /** Instance id by host label (`gateway` or a second's name). */
  instances: Record<string, string>;
  /** The gateway's Elastic IP. */
  publicIp: string;
}

export interface WriteBack {
  /** The edit for applyTopologyEdit(); empty when the file already says all of it. */
  edit: TopologyEdit;
  /** One line per field that changes, e.g. `gateway.publicAddress: 44.232.53.80 -> 203.0.113.10`. */
  changes: string[];
  /** What the user may still have to do by hand (an ssh alias that must point at the new address). */
  notes: string[];
}

/** True for a public IPv4 literal: an old Elastic IP, not an ssh alias or a private address. */
function isPublicLiteral(host: string): boolean {
  const a = parseIpv4(host);
  return a.ok && !['private', 'loopback', 'linkLocal', 'carrierGradeNat', 'unspecified'].includes(a.addr.range());
}

export function cloudWriteBack(t: ValidTopology, up: LaunchedInstances): WriteBack {
  const changes: string[] = [];
  const notes: string[] = [];
  const g = t.gateway;
  const gateway: Record<string, string> = {};
  const set = (obj: Record<string, string>, path: string, key: string, old: string | undefined, value: string | undefined) => {
    if (value === undefined || old === value) return;
    obj[key] = value;
    changes.push(`${path}: ${old ?? '(unset)'} -> ${value}`);
  };
  set(gateway, 'gateway.instanceId', 'instanceId', g.instanceId, up.instances.gateway);
  set(gateway, 'gateway.publicAddress', 'publicAddress', g.publicAddress, up.publicIp);
  // SSH reaches the gateway at its Elastic IP; an alias or DNS name is the user's and stays.
  if (g.host !== up.publicIp) {
    if (g.host === g.publicAddress || isPublicLiteral(g.host)) set(gateway, 'gateway.host', 'host', g.host, up.publicIp);
    else
      notes.push(
        `gateway.host is '${g.host}': make sure it reaches ${up.publicIp} (e.g. HostName ${up.publicIp} under Host ${g.host} in ~/.ssh/config)`,
      );
  }
  const edit: TopologyEdit = {};
  if (Object.keys(gateway).length) edit.gateway = gateway as unknown as TopologyEdit['gateway'];
  let secondsChanged = false;
  const seconds = t.seconds.map((s) => {
    const id = up.instances[s.name];
    if (!id || id === s.instanceId) return s;
    secondsChanged = true;
    changes.push(`seconds[${t.seconds.indexOf(s)}].instanceId: ${s.instanceId ?? '(unset)'} -> ${id}`);
    return { ...s, instanceId: id };
  });
  if (secondsChanged) edit.seconds = seconds;
  return { edit, changes, notes };
}

/** After `cloud down`: the instance ids in rosvpn.json name terminated instances; remove them. */
export function cloudForget(t: ValidTopology): WriteBack {
  const changes: string[] = [];
  const edit: TopologyEdit = {};
  if (t.gateway.instanceId) {
    edit.gateway = { instanceId: undefined } as unknown as TopologyEdit['gateway'];
    changes.push(`gateway.instanceId: ${t.gateway.instanceId} -> (removed)`);
  }
  if (t.seconds.some((s) => s.instanceId)) {
    edit.seconds = t.seconds.map((s, i) => {
      if (s.instanceId) changes.push(`seconds[${i}].instanceId: ${s.instanceId} -> (removed)`);
      return { ...s, instanceId: undefined };
    });
  }
  return { edit, changes, notes: [] };
}

/** A new deployment id: 16 hex digits from the system's CSPRNG, so two people's `demo` never share one. */
export function newDeploymentId(): string {
  return randomBytes(8).toString('hex');
}

/**
 * Before the first `cloud up` creates anything: the deployment id goes into rosvpn.json, so that whatever
 * is created (even by a run that fails half-way) is found again by the next run, and by nothing else.
 */
export function deploymentWriteBack(t: ValidTopology, id: string): WriteBack {
  if (t.deployment === id) return { edit: {}, changes: [], notes: [] };
  return {
    edit: { deployment: id },
    changes: [`deployment: ${t.deployment ?? '(unset)'} -> ${id}`],
    notes: [`everything cloud up creates is tagged rosvpn:deployment=${id}; the cloud commands act only on resources with this tag`],
  };
}
