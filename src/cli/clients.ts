// `rosvpn client list|add|revoke|rotate`: thin over src/core/clients. The file edits keep rosvpn.json's
// formatting; the gateway's PKI step (pki.sh) runs over SSH with the CA passphrase from the file, the
// environment or the terminal.
import * as fs from 'fs';
import * as path from 'path';
import type { ClientStatus } from '../core/clients';
import type { ProvisionReport } from '../core/provision/orchestrator';
import type { CaPassphraseSource } from '../core/provision/orchestrator';
import type { ValidTopology } from '../core/topology/types';
import { openPool, printEvent, summaryTable, type RemoteIo, type SshFlags } from './remote';

export interface ClientCommandIo extends RemoteIo {
  /** Asks yes/no on the terminal; false without one. */
  confirm(question: string): Promise<boolean>;
  canPrompt(): boolean;
}

export interface ClientCommandOptions {
  file: string;
  flags: SshFlags;
  /** Built only when the command needs the gateway's PKI step (a bad passphrase file fails first). */
  caPassphrase: () => CaPassphraseSource;
  /** Loads and validates rosvpn.json, printing its diagnostics; undefined when invalid. */
  load(): Promise<ValidTopology | undefined>;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function certText(c: ClientStatus): string {
  if (c.cert === 'missing') return c.declared ? 'not issued yet' : 'missing';
  if (c.cert === 'revoked') return 'revoked';
  if (!c.notAfter) return 'valid';
  const days = c.expiresInDays ?? 0;
  const soon = days <= 30 ? (days < 0 ? ' EXPIRED' : ' — renew soon') : '';
  return `valid until ${c.notAfter.slice(0, 10)} (${days} d)${soon}`;
}

function connText(c: ClientStatus): string {
  if (!c.connected) return 'no';
  return `since ${c.connectedSince?.replace('T', ' ').replace(/:\d\dZ$/, ' UTC') ?? '?'} from ${c.realAddress ?? '?'}`;
}

/** The `client list` table: one row per client, the undeclared ones marked. */
export function clientTable(list: readonly ClientStatus[]): string[] {
  if (!list.length) return ['no clients (add one: rosvpn client add NAME)'];
  const rows = list.map((c) => [c.name, c.declared ? (c.vpnIp ?? '') : '(not in rosvpn.json)', c.host ?? '-', certText(c), connText(c)]);
  const head = ['name', 'address', 'host', 'certificate', 'connected'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (r: string[]) =>
    r
      .map((x, i) => (i === r.length - 1 ? x : pad(x, widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

/** Runs `fn` with a pool and a signal that Ctrl-C aborts; the pool is closed afterwards. */
async function withPool<T>(
  io: RemoteIo,
  flags: SshFlags,
  fn: (pool: Awaited<ReturnType<typeof openPool>>, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const pool = await openPool(io, flags);
  const abort = new AbortController();
  const onInt = () => abort.abort();
  process.once('SIGINT', onInt);
  try {
    return await fn(pool, abort.signal);
  } finally {
    process.removeListener('SIGINT', onInt);
    await pool.dispose();
  }
}

/** Prints the summary table; returns whether the run succeeded. */
function printReport(io: RemoteIo, report: ProvisionReport): boolean {
  io.out('');
  for (const line of summaryTable(report.hosts)) io.out(line);
  return report.ok;
}

async function editFile(file: string, edit: (text: string) => string): Promise<void> {
  const { writeTopologyText } = await import('../core/topology/file');
  await writeTopologyText(file, edit(fs.readFileSync(file, 'utf8')));
}

export async function clientList(io: RemoteIo, t: ValidTopology, json: boolean, flags: SshFlags): Promise<number> {
  const { clientStatuses } = await import('../core/clients');
  return withPool(json ? { out: () => undefined, err: io.err } : io, flags, async (pool, signal) => {
    const list = await clientStatuses(t, pool, { signal });
    if (json) io.out(JSON.stringify(list, null, 2));
    else for (const line of clientTable(list)) io.out(line);
    return 0;
  });
}

export async function clientAdd(
  io: ClientCommandIo,
  name: string,
  vpnIp: string | undefined,
  host: string | undefined,
  o: ClientCommandOptions,
): Promise<number> {
  const { addClientToDocument, runPki } = await import('../core/clients');
  const caPassphrase = o.caPassphrase();
  await editFile(o.file, (text) => addClientToDocument(text, name, vpnIp, host ? { host } : {}));
  const t = await o.load();
  if (!t) return 1;
  const c = t.clients.find((x) => x.name === name);
  io.out(`added client ${name} (${c?.vpnIp ?? '?'}) to ${path.basename(o.file)}; issuing its certificate on the gateway`);
  const width = 7;
  const report = await withPool(io, o.flags, (pool, signal) =>
    runPki(t, pool, { caPassphrase, signal, onEvent: (e) => printEvent(io, e, width) }),
  );
  if (!printReport(io, report)) {
    io.err(
      `client add: ${name} is in ${path.basename(o.file)}, but the gateway has not issued its certificate; the next rosvpn provision --host gateway does`,
    );
    return 1;
  }
  io.out(
    c?.host
      ? `client add: done. Set it up: rosvpn provision --host ${name}`
      : `client add: done. Its profile: rosvpn fetch-ovpn --client ${name} (writes ${name}.ovpn; it holds a private key: keep it secret)`,
  );
  return 0;
}

export async function clientRevoke(io: ClientCommandIo, name: string, yes: boolean, o: ClientCommandOptions): Promise<number> {
  const { removeClientFromDocument, revokeClient } = await import('../core/clients');
  const before = await o.load();
  if (!before) return 1;
  const declared = before.clients.some((c) => c.name === name);
  if (!yes) {
    if (!io.canPrompt()) {
      io.err(`client revoke: refusing to revoke ${name} without confirmation (no terminal to ask on); rerun with --yes`);
      return 2;
    }
    const ok = await io.confirm(
      `Revoke client ${name}? Its certificate is revoked and it is disconnected now; its profile can never connect again.`,
    );
    if (!ok) {
      io.err('client revoke: nothing changed');
      return 1;
    }
  }
  const caPassphrase = o.caPassphrase();
  if (declared) {
    await editFile(o.file, (text) => removeClientFromDocument(text, name));
    io.out(`removed client ${name} from ${path.basename(o.file)}; revoking its certificate on the gateway`);
  } else {
    io.out(`${name} is not in ${path.basename(o.file)}; the gateway's PKI step revokes any certificate it still has`);
  }
  const t = await o.load();
  if (!t) return 1;
  const report = await withPool(io, o.flags, (pool, signal) =>
    revokeClient(t, pool, name, { caPassphrase, signal, onEvent: (e) => printEvent(io, e, 7) }),
  );
  if (!printReport(io, report)) {
    io.err(
      `client revoke: ${name} is no longer in ${path.basename(o.file)}, but the gateway did not finish; run rosvpn provision --host gateway to revoke it`,
    );
    return 1;
  }
  io.out(`client revoke: ${name} revoked (a new CRL is published; a connected ${name} was disconnected)`);
  return 0;
}

export async function clientRotate(io: ClientCommandIo, name: string, o: ClientCommandOptions): Promise<number> {
  const { rotateClient } = await import('../core/clients');
  const t = await o.load();
  if (!t) return 1;
  const caPassphrase = o.caPassphrase();
  const width = Math.max(7, name.length);
  const r = await withPool(io, o.flags, (pool, signal) =>
    rotateClient(t, pool, name, { caPassphrase, signal, onEvent: (e) => printEvent(io, e, width) }),
  );
  const ok = printReport(io, { hosts: [...r.pki.hosts, ...(r.client?.hosts ?? [])], ok: r.pki.ok && (r.client?.ok ?? true) });
  if (!r.pki.ok) {
    io.err(`client rotate: the gateway did not finish; ${name}'s certificate is unchanged`);
    return 1;
  }
  if (!ok) {
    io.err(`client rotate: ${name} has a new certificate, but setting up ${name} failed; rerun: rosvpn provision --host ${name}`);
    return 1;
  }
  io.out(
    r.client
      ? `client rotate: ${name} has a new certificate and uses it`
      : `client rotate: ${name} has a new certificate; its old profile no longer connects. The new one: rosvpn fetch-ovpn --client ${name} --force`,
  );
  return 0;
}
