// What the gateway knows of its identities: every certificate (CA, server, the desktop's, each client's)
// with its state and expiry, and who is connected now, as printed by the read-only status script
// (renderClientStatus, run with sudo). Parsed strictly: the lines come from another machine.
import { renderClientStatus } from '../render';
import type { SshPool } from '../ssh/types';
import type { ValidTopology } from '../topology/types';
import { selectHosts } from '../provision/endpoints';
import { runUploadedScript } from '../provision/remote';

export type CertKind = 'ca' | 'server' | 'desktop' | 'client';
export type CertState = 'valid' | 'revoked' | 'missing';

/** One `::cert` line. */
export interface CertStatus {
  name: string;
  kind: CertKind;
  status: CertState;
  /** ISO 8601 UTC, e.g. 2027-11-30T08:00:00Z; absent when missing. */
  notAfter?: string;
}

/** One `::conn` line: a client connected to the OpenVPN server now. */
export interface Connection {
  name: string;
  /** The address and port it connects from, as the server sees it. */
  realAddress: string;
  /** ISO 8601 UTC. */
  since: string;
}

export interface PkiStatus {
  certs: CertStatus[];
  connections: Connection[];
}

/** One client as `rosvpn client list` and the Clients node show it. */
export interface ClientStatus {
  name: string;
  vpnIp?: string;
  /** In rosvpn.json's clients; false for a certificate the gateway issued to a client no longer declared. */
  declared: boolean;
  host?: string;
  cert: CertState;
  notAfter?: string;
  /** Whole days until notAfter (negative once expired). */
  expiresInDays?: number;
  connected: boolean;
  connectedSince?: string;
  realAddress?: string;
}

const NAME = '[A-Za-z0-9][A-Za-z0-9_.-]{0,63}';
const CERT = new RegExp(
  `^::cert name=(${NAME}) kind=(ca|server|desktop|client) status=(valid|revoked|missing)(?: not_after=(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z))?$`,
);
const CONN = new RegExp(`^::conn name=(${NAME}) real=(\\S{1,64}) since=(\\d{1,12})$`);

/** The `::cert` and `::conn` lines of the status script's output; other lines are ignored. */
export function parseClientStatus(output: string | readonly string[]): PkiStatus {
  const lines = typeof output === 'string' ? output.split('\n') : output;
  const status: PkiStatus = { certs: [], connections: [] };
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    let m = CERT.exec(line);
    if (m) {
      const notAfter = m[4] !== undefined && !Number.isNaN(Date.parse(m[4])) ? m[4] : undefined;
      status.certs.push({
        name: m[1] as string,
        kind: m[2] as CertKind,
        status: m[3] as CertState,
        ...(notAfter && m[3] !== 'missing' ? { notAfter } : {}),
      });
      continue;
    }
    m = CONN.exec(line);
    if (m) {
      status.connections.push({
        name: m[1] as string,
        realAddress: m[2] as string,
        since: new Date(Number(m[3]) * 1000).toISOString().replace(/\.000Z$/, 'Z'),
      });
    }
  }
  return status;
}

const DAY_MS = 86_400_000;

/** Whole days from `now` until `iso` (negative when past). */
export function daysUntil(iso: string, now: Date = new Date()): number {
  return Math.floor((Date.parse(iso) - now.getTime()) / DAY_MS);
}

/**
 * Every client: the declared ones in rosvpn.json's order, then certificates the gateway issued to clients no
 * longer declared (declared: false), by name. A client's certificate is its valid one when it has one.
 */
export function clientStatusesFrom(t: ValidTopology, pki: PkiStatus, now: Date = new Date()): ClientStatus[] {
  const certOf = (name: string): CertStatus | undefined => {
    const mine = pki.certs.filter((c) => c.kind === 'client' && c.name === name);
    return mine.find((c) => c.status === 'valid') ?? mine.find((c) => c.status === 'revoked') ?? mine[0];
  };
  const status = (name: string, declared: boolean, extra: Partial<ClientStatus>): ClientStatus => {
    const cert = certOf(name);
    const conn = pki.connections.find((c) => c.name === name);
    return {
      name,
      ...extra,
      declared,
      cert: cert?.status ?? 'missing',
      ...(cert?.notAfter ? { notAfter: cert.notAfter, expiresInDays: daysUntil(cert.notAfter, now) } : {}),
      connected: !!conn,
      ...(conn ? { connectedSince: conn.since, realAddress: conn.realAddress } : {}),
    };
  };
  const declared = t.clients.map((c) => status(c.name, true, { vpnIp: c.vpnIp, ...(c.host ? { host: c.host } : {}) }));
  const names = new Set(t.clients.map((c) => c.name));
  const undeclared = [...new Set(pki.certs.filter((c) => c.kind === 'client' && !names.has(c.name)).map((c) => c.name))]
    .sort()
    .map((name) => status(name, false, {}));
  return [...declared, ...undeclared];
}

/** Warn this many days before a certificate expires. */
export const EXPIRY_WARNING_DAYS = 30;

export interface ExpiryWarning {
  name: string;
  kind: CertKind;
  notAfter: string;
  /** Whole days left (negative once expired). */
  days: number;
  /** What happens and what to do, for the user. */
  message: string;
}

/** What to do about an expiring certificate of each kind. */
function renewal(c: CertStatus): string {
  switch (c.kind) {
    case 'ca':
      return (
        'the CA cannot be renewed in place: make a new PKI before then — back up and delete /etc/openvpn/pki on the gateway, ' +
        'provision the gateway again (a new CA), then download every client profile again and provision the desktop and the client hosts'
      );
    case 'server':
      return 'provisioning the gateway renews it: rosvpn provision --host gateway';
    case 'desktop':
      return 'provisioning renews it: rosvpn provision --host gateway, then rosvpn provision --host desktop';
    default:
      return `provisioning the gateway renews it (rosvpn provision --host gateway, or rosvpn client rotate ${c.name}); then give the client its new profile (rosvpn provision --host ${c.name} for a client with host, else rosvpn fetch-ovpn --client ${c.name})`;
  }
}

const KIND_WORD: Record<CertKind, string> = { ca: 'CA', server: 'server', desktop: 'desktop', client: 'client' };

/**
 * A warning for each valid certificate that expires within `days` (30) or has expired: the CA, the
 * server, the desktop's and any client's. Revoked and missing certificates are not about expiry.
 */
export function expiryWarnings(certs: readonly CertStatus[], now: Date = new Date(), days = EXPIRY_WARNING_DAYS): ExpiryWarning[] {
  const out: ExpiryWarning[] = [];
  for (const c of certs) {
    if (c.status !== 'valid' || !c.notAfter) continue;
    const left = daysUntil(c.notAfter, now);
    if (left > days) continue;
    const date = c.notAfter.slice(0, 10);
    const when =
      left < 0
        ? `expired on ${date}`
        : left === 0
          ? `expires today (${c.notAfter})`
          : `expires in ${left} day${left === 1 ? '' : 's'} (${date})`;
    out.push({
      name: c.name,
      kind: c.kind,
      notAfter: c.notAfter,
      days: left,
      message: `the ${KIND_WORD[c.kind]} certificate ${c.name} ${when}: ${renewal(c)}`,
    });
  }
  return out.sort((a, b) => a.days - b.days);
}

export interface StatusOptions {
  signal?: AbortSignal;
  /** The status script to run; default renderClientStatus(t). Tests pass a harmless one. */
  script?: string;
}

/** Runs the read-only status script on the gateway (sudo) and parses it. Throws when it fails. */
export async function readPkiStatus(t: ValidTopology, pool: SshPool, opts: StatusOptions = {}): Promise<PkiStatus> {
  const gateway = selectHosts(t, { host: 'gateway' })[0];
  if (!gateway) throw new Error('the topology has no gateway');
  const session = await pool.session(gateway.endpoint);
  const r = await runUploadedScript(session, 'rosvpn-client-status.sh', opts.script ?? renderClientStatus(t), [], {
    signal: opts.signal,
    timeoutMs: 60000,
  });
  if (r.code !== 0) {
    const why = r.stderr.trim().split('\n').slice(-3).join(' ').slice(0, 300);
    throw new Error(
      `the client status script failed on the gateway (exit ${r.code ?? r.signal}${why ? `: ${why}` : ''}); is the gateway provisioned? rosvpn provision --host gateway`,
    );
  }
  return parseClientStatus(r.stdout);
}

/** Every client with its certificate and connection, from the gateway now (see clientStatusesFrom). */
export async function clientStatuses(t: ValidTopology, pool: SshPool, opts: StatusOptions & { now?: Date } = {}): Promise<ClientStatus[]> {
  return clientStatusesFrom(t, await readPkiStatus(t, pool, opts), opts.now);
}
