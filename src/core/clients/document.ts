// Adding and removing a client in rosvpn.json as text: the entry is spliced into (or cut out of) the
// `clients` list and everything else stays as the user wrote it — indentation, key order, line ends, notes.
// The result is validated before it is returned; an edit that would make the file invalid is an error that
// names the field and the fix.

import { jsonLayout, layoutValue, lineIndent, type JsonNode } from '../topology/jsonLayout';
import { checkDocument, removeNamedEntry } from '../topology/document';
import { lastFreeAddress, parseCidr } from '../topology/ipv4';
import type { ClientConfig, ValidTopology } from '../topology/types';

export type ClientErrorCode = 'CLIENT_EXISTS' | 'CLIENT_UNKNOWN' | 'NO_FREE_ADDRESS' | 'TOPOLOGY_INVALID';

/** Why a client edit was refused; `code` for callers to branch on, the message for the user. */
export class ClientError extends Error {
  constructor(
    message: string,
    readonly code: ClientErrorCode,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

/** What a client entry may hold besides name and vpnIp. */
export interface ClientExtras {
  host?: string;
}

/** The robot-subnet addresses (no prefix) that a host, the desktop's router or a client holds. */
function usedAddresses(t: ValidTopology): Set<string> {
  const used = [t.gateway.vpnIp, ...t.seconds.map((s) => s.vpnIp), ...t.clients.map((c) => c.vpnIp)];
  if (t.desktop?.address) used.push(t.desktop.address);
  const out = new Set(used.map((c) => c.split('/')[0] as string));
  if (t.desktop?.defaultGateway) out.add(t.desktop.defaultGateway);
  return out;
}

/**
 * The address for a new client: the highest free host address of robotSubnet, counting down from the top
 * (the gateway and the seconds count up from theirs), as CIDR with robotSubnet's prefix.
 */
export function pickClientAddress(t: ValidTopology): string {
  const net = parseCidr(t.robotSubnet);
  const free = net.ok ? lastFreeAddress(net, usedAddresses(t)) : undefined;
  if (!net.ok || !free) {
    throw new ClientError(`robotSubnet ${t.robotSubnet} has no free address left for a client`, 'NO_FREE_ADDRESS');
  }
  return `${free.toString()}/${net.prefix}`;
}

interface Parsed {
  /** The text without a byte-order mark, and the mark to put back. */
  body: string;
  bom: string;
  root: JsonNode;
  topology: ValidTopology;
}

function parseValid(text: string, what: string): Parsed {
  const bom = text.charCodeAt(0) === 0xfeff ? '\ufeff' : '';
  const body = text.slice(bom.length);
  const { topology, errors } = checkDocument(text);
  if (!topology) throw new ClientError(`cannot ${what}: rosvpn.json has errors; fix them first:\n${errors.join('\n')}`, 'TOPOLOGY_INVALID');
  return { body, bom, root: jsonLayout(body), topology };
}

/** The edited text, validated; a problem the edit would cause is reported against the edited file. */
function checked(text: string, what: string): string {
  const { errors } = checkDocument(text);
  if (errors.length) throw new ClientError(`cannot ${what}; rosvpn.json would not be valid:\n${errors.join('\n')}`, 'TOPOLOGY_INVALID');
  return text;
}

/** How the document lays out its members: indentation unit and line end, or undefined when it is on one line. */
function styleOf(body: string, root: JsonNode): { unit: string; newline: string } | undefined {
  const first = root.children[0];
  const unit = first?.keyStart !== undefined ? lineIndent(body, first.keyStart) : undefined;
  if (unit === undefined || unit === '') return undefined;
  return { unit, newline: body.includes('\r\n') ? '\r\n' : '\n' };
}

/**
 * rosvpn.json's text with client `name` added at the end of `clients` (the list is created after the last
 * member when there is none). `vpnIp` defaults to pickClientAddress. Throws a ClientError when the name is
 * taken, there is no free address, or the result would not be valid (e.g. a vpnIp outside robotSubnet).
 */
export function addClientToDocument(text: string, name: string, vpnIp?: string, extras: ClientExtras = {}): string {
  const what = `add client ${name}`;
  const { body, bom, root, topology } = parseValid(text, what);
  const clash = topology.clients.find((c) => c.name === name);
  if (clash) {
    throw new ClientError(
      `a client named ${name} is already in rosvpn.json (${clash.vpnIp}); choose another name, or give it a new certificate with: rosvpn client rotate ${name}`,
      'CLIENT_EXISTS',
    );
  }
  const entry: ClientConfig = { name, vpnIp: vpnIp ?? pickClientAddress(topology), ...(extras.host ? { host: extras.host } : {}) };
  const style = styleOf(body, root);
  const member = root.children.find((c) => c.key === 'clients');
  let out: string;
  if (member && member.node.kind === 'array' && member.node.children.length > 0) {
    const last = member.node.children[member.node.children.length - 1] as { node: JsonNode };
    const indent = lineIndent(body, last.node.start);
    const layout = style && indent !== undefined ? { ...style, indent } : undefined;
    const sep = layout ? `,${layout.newline}${indent}` : ', ';
    out = body.slice(0, last.node.end) + sep + layoutValue(entry, layout) + body.slice(last.node.end);
  } else if (member && member.node.kind === 'array') {
    const indent = member.keyStart !== undefined ? lineIndent(body, member.keyStart) : undefined;
    const layout = style && indent !== undefined ? { ...style, indent: indent + style.unit } : undefined;
    const list = layout
      ? `[${layout.newline}${layout.indent}${layoutValue(entry, layout)}${layout.newline}${indent}]`
      : `[${JSON.stringify(entry)}]`;
    out = body.slice(0, member.node.start) + list + body.slice(member.node.end);
  } else {
    // No list yet: a new last member `"clients": [ entry ]`, indented like the other members.
    const last = root.children[root.children.length - 1];
    const elementIndent = style ? style.unit + style.unit : '';
    const value = style
      ? `[${style.newline}${elementIndent}${layoutValue(entry, { ...style, indent: elementIndent })}${style.newline}${style.unit}]`
      : `[${JSON.stringify(entry)}]`;
    const prop = `"clients": ${value}`;
    out = last
      ? body.slice(0, last.node.end) + (style ? `,${style.newline}${style.unit}` : ', ') + prop + body.slice(last.node.end)
      : `{${prop}}`;
  }
  return bom + checked(out, what);
}

/**
 * rosvpn.json's text without client `name` (the rest of the list, and the file, as they were). Throws a
 * ClientError CLIENT_UNKNOWN, listing the clients, when there is none of that name.
 */
export function removeClientFromDocument(text: string, name: string): string {
  const what = `remove client ${name}`;
  const { body, bom, topology } = parseValid(text, what);
  const out = removeNamedEntry(body, 'clients', name);
  if (out === undefined) {
    const names = topology.clients.map((c) => c.name);
    throw new ClientError(
      `no client named ${name} in rosvpn.json; ${names.length ? `clients: ${names.join(', ')}` : 'it has no clients'}`,
      'CLIENT_UNKNOWN',
    );
  }
  return bom + checked(out, what);
}
