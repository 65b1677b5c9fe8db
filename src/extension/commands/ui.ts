// Shared pieces of the commands: picking a host (from the tree node or a QuickPick). Errors are reported by
// the command registry (registry.ts).
import * as vscode from 'vscode';
import { selectHosts, type TopologyHost } from '../../core/provision/endpoints';
import type { Role, ValidTopology } from '../../core/topology/types';
import type { TreeNode } from '../tree/model';
import { UserError } from './userError';

export interface HostPick {
  topology: ValidTopology;
  host: TopologyHost;
}

function isTreeNode(x: unknown): x is TreeNode {
  return !!x && typeof x === 'object' && typeof (x as TreeNode).id === 'string' && typeof (x as TreeNode).kind === 'string';
}

/** The host a command acts on: the tree node it was invoked on, or one the user picks. undefined = cancelled. */
export async function pickHost(
  t: ValidTopology,
  arg: unknown,
  roles: readonly Role[],
  placeHolder: string,
): Promise<TopologyHost | undefined> {
  const hosts = selectHosts(t).filter((h) => roles.includes(h.role));
  if (isTreeNode(arg) && arg.host) {
    const found = hosts.find((h) => h.label === arg.host);
    if (found) return found;
  }
  if (typeof arg === 'string') {
    const found = hosts.find((h) => h.label === arg);
    if (found) return found;
  }
  if (hosts.length === 0)
    throw new UserError(`rosvpn.json has no ${roles.join(' or ')} host: add one in the setup form ("ROS VPN: Open Setup Form").`);
  // A role with one host (the gateway, the desktop) needs no question; of seconds and clients there may be more.
  if (hosts.length === 1 && roles.length === 1 && roles[0] !== 'second' && roles[0] !== 'client') return hosts[0];
  const picked = await vscode.window.showQuickPick(
    hosts.map((h) => ({
      label: h.label,
      description: `${h.role} · ${h.endpoint.user ? `${h.endpoint.user}@` : ''}${h.endpoint.host}`,
      host: h,
    })),
    { title: 'ROS VPN', placeHolder },
  );
  return picked?.host;
}

export { isTreeNode };
