// The client operations that change the gateway: the PKI step alone (pki.sh: issue, revoke, publish the CRL,
// disconnect a revoked client, write the profiles), run like any provisioning of the gateway — with the CA
// passphrase as a file in /dev/shm and the same asking and rerunning (see the orchestrator).
import { renderGatewayPki, type RenderedScript } from '../render';
import { provision, type CaPassphraseSource, type ProvisionEvent, type ProvisionReport } from '../provision/orchestrator';
import type { SshPool } from '../ssh/types';
import type { ValidTopology } from '../topology/types';
import { ClientError } from './document';

export interface PkiOptions {
  caPassphrase?: CaPassphraseSource;
  /** Clients whose certificates are revoked and issued anew in this run. */
  rotate?: string[];
  signal?: AbortSignal;
  onEvent?(event: ProvisionEvent): void;
  /** The script to run instead of renderGatewayPki(t, { rotate }); tests pass a harmless one. */
  script?: RenderedScript;
}

/**
 * Runs the gateway's PKI step (pki.sh) for topology `t`: every declared client gets a valid certificate and
 * profile, every issued client certificate not declared is revoked (CRL published, the client disconnected
 * now), the `rotate` ones are revoked and re-issued. The report has the one host, the gateway.
 */
export async function runPki(t: ValidTopology, pool: SshPool, opts: PkiOptions = {}): Promise<ProvisionReport> {
  for (const name of opts.rotate ?? []) declared(t, name, 'rotate');
  const script = opts.script ?? renderGatewayPki(t, { rotate: opts.rotate ?? [] });
  return provision(t, {
    pool,
    select: { host: 'gateway' },
    scripts: [script],
    ...(opts.caPassphrase ? { caPassphrase: opts.caPassphrase } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
}

function declared(t: ValidTopology, name: string, what: string) {
  const c = t.clients.find((x) => x.name === name);
  if (!c) {
    const names = t.clients.map((x) => x.name);
    throw new ClientError(
      `cannot ${what} ${name}: no client of that name in rosvpn.json${names.length ? ` (clients: ${names.join(', ')})` : ''}`,
      'CLIENT_UNKNOWN',
    );
  }
  return c;
}

/**
 * Revokes client `name` now: `t` is the topology as rosvpn.json says it AFTER the client was removed from it
 * (removeClientFromDocument, then written), so that the gateway's declared state no longer has it and its
 * run revokes the certificate, publishes the CRL and disconnects the client. A `t` that still declares the
 * client is refused: the next provisioning would issue it again.
 */
export async function revokeClient(
  t: ValidTopology,
  pool: SshPool,
  name: string,
  opts: Omit<PkiOptions, 'rotate'> = {},
): Promise<ProvisionReport> {
  if (t.clients.some((c) => c.name === name)) {
    throw new ClientError(
      `${name} is still in rosvpn.json's clients: remove it from the file first (removeClientFromDocument), or the next provisioning issues it again`,
      'CLIENT_EXISTS',
    );
  }
  return runPki(t, pool, opts);
}

export interface RotateResult {
  /** The gateway's PKI run (old certificate revoked, a new one issued, the profile rewritten). */
  pki: ProvisionReport;
  /** For a client with host, when the PKI run succeeded: provisioning it with its new profile. */
  client?: ProvisionReport;
}

/**
 * A new certificate for client `name` (the old one revoked): the PKI step with rotate, then, for a client
 * with host, provisioning that host so that it uses the new profile at once.
 */
export async function rotateClient(
  t: ValidTopology,
  pool: SshPool,
  name: string,
  opts: Omit<PkiOptions, 'rotate'> & { clientScripts?: RenderedScript[] } = {},
): Promise<RotateResult> {
  const c = declared(t, name, 'rotate');
  const pki = await runPki(t, pool, { ...opts, rotate: [name] });
  if (!pki.ok || !c.host) return { pki };
  const client = await provision(t, {
    pool,
    select: { host: name },
    ...(opts.clientScripts ? { scripts: opts.clientScripts } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
  return { pki, client };
}
