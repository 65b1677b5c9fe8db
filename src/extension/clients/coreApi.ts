// The core's client operations (src/core/clients, the other half of issue I) exactly as the extension uses
// them, in one file: the extension imports them only from here, so joining the two halves changes this file
// alone. Until src/core/clients is merged, the types are the contract of the brief and the functions
// refuse with a clear message.
// TODO(merge core/clients): replace this whole file with (checked against i-b 958319b merged with i-a, i-d:
// tsc, the unit tests and test/ui/clients.ui.test.ts pass):
//   import { validateProfile } from '../../core/clients';
//   export { addClientToDocument, clientStatuses, fetchClientProfile, removeClientFromDocument, runPki,
//     type CaPassphraseSource, type ClientExtras, type ClientStatus, type PkiOptions } from '../../core/clients';
//   export function profileProblems(text: string): string[] { return validateProfile(text).errors; }
import type { ProvisionEvent, ProvisionReport } from '../../core/provision/orchestrator';
import type { TopologyHost } from '../../core/provision/endpoints';
import { PROFILE_BLOCKS, PROFILE_DIRECTIVES } from '../../core/render/openvpn';
import type { SshPool } from '../../core/ssh/types';
import type { ValidTopology } from '../../core/topology/types';

/** One client's certificate and connection, from the gateway (renderClientStatus) merged with rosvpn.json. */
export interface ClientStatus {
  name: string;
  vpnIp?: string;
  declared: boolean;
  host?: string;
  cert: 'valid' | 'revoked' | 'missing';
  notAfter?: string;
  expiresInDays?: number;
  connected: boolean;
  connectedSince?: string;
  realAddress?: string;
}

/** Where the CA key's passphrase comes from (ProvisionOptions.caPassphrase). */
export interface CaPassphraseSource {
  /** A passphrase known without asking (CLI file/env, SecretStorage, the lab); undefined if none. */
  known(): Promise<string | undefined>;
  /** Ask the user; `new` = choose one for a new CA (confirm it), `unlock` = the existing CA's, `retry` = the last was wrong. undefined cancels. */
  ask(need: 'new' | 'unlock' | 'retry', why: string): Promise<string | undefined>;
}

/** What a PKI-only run of the gateway (pki.sh) takes: `rotate` names are revoked and re-issued in that run. */
export interface PkiOptions {
  caPassphrase?: CaPassphraseSource;
  rotate?: string[];
  signal?: AbortSignal;
  onEvent?: (e: ProvisionEvent) => void;
}

const NOT_MERGED = 'the client operations of the core (src/core/clients) are not part of this build yet';

export async function clientStatuses(_t: ValidTopology, _pool: SshPool): Promise<ClientStatus[]> {
  throw new Error(NOT_MERGED);
}

/** What a client entry may hold besides name and vpnIp. */
export interface ClientExtras {
  host?: string;
}

export function addClientToDocument(_text: string, _name: string, _vpnIp?: string, _extras: ClientExtras = {}): string {
  throw new Error(NOT_MERGED);
}

export function removeClientFromDocument(_text: string, _name: string): string {
  throw new Error(NOT_MERGED);
}

export async function runPki(_t: ValidTopology, _pool: SshPool, _opts: PkiOptions): Promise<ProvisionReport> {
  throw new Error(NOT_MERGED);
}

/**
 * The problems of a profile (each naming its line), [] when it holds only what the gateway writes.
 * Interim check against the allow-list the scripts use (PROFILE_DIRECTIVES / PROFILE_BLOCKS); after the
 * merge, an adapter over the core's validateProfile(text).
 */
export function profileProblems(text: string): string[] {
  const directives = new Set<string>(PROFILE_DIRECTIVES);
  const blocks = new Set<string>(PROFILE_BLOCKS);
  const problems: string[] = [];
  let inBlock: string | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (inBlock) {
      if (line === `</${inBlock}>`) inBlock = undefined;
      return;
    }
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const open = /^<([a-z-]+)>$/.exec(line);
    if (open) {
      // A refused block is named once; its content is not read as directives.
      if (!blocks.has(open[1])) problems.push(`line ${i + 1}: block <${open[1]}> is not allowed in a profile`);
      inBlock = open[1];
    } else if (!directives.has(line.split(/\s+/)[0]))
      problems.push(`line ${i + 1}: directive '${line.split(/\s+/)[0]}' is not allowed in a profile`);
  });
  if (inBlock) problems.push(`block <${inBlock}> is not closed`);
  return problems;
}

/** The desktop's profile (no client) or client `client`'s (~/rosvpn-clients/NAME.ovpn) from the gateway.
 *  Adapter over the core's fetchClientProfile(pool, gateway[, client]). */
export async function fetchClientProfile(pool: SshPool, gateway: TopologyHost, client?: string): Promise<Buffer> {
  if (client !== undefined) throw new Error(NOT_MERGED);
  const core = await import('../../core/provision/orchestrator');
  return core.fetchClientProfile(pool, gateway);
}
