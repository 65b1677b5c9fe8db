// known_hosts as OpenSSH reads and writes it: plain and hashed (`|1|salt|hmac`) host fields, comma lists with
// `*`/`?` wildcards and `!` negation, `[host]:port` for ports other than 22, `@revoked` (refused) and
// `@cert-authority` (ignored: ssh2 does not do host certificates).
import { createHash, createHmac, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

export interface KnownHostEntry {
  file: string;
  /** 1-based line number. */
  line: number;
  marker?: '@revoked' | '@cert-authority';
  /** The host field as written (a comma list or one hashed name). */
  hosts: string;
  keyType: string;
  blob: Buffer;
}

export type HostKeyStatus =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'changed'; recorded: KnownHostEntry[] }
  | { status: 'revoked'; entry: KnownHostEntry }
  | { status: 'unknown' };

/** `SHA256:` + unpadded base64 of the SHA-256 of the key blob, as `ssh-keygen -l` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type: the first string of the SSH wire-format key blob. */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  if (n > blob.length - 4 || n > 64) return 'unknown';
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** The name OpenSSH looks up: `host` on port 22, else `[host]:port`; HostKeyAlias is used verbatim. */
export function knownHostName(hostname: string, port: number, hostKeyAlias?: string): string {
  if (hostKeyAlias) return hostKeyAlias.toLowerCase();
  const h = hostname.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (!raw || raw.startsWith('#')) continue;
    const f = raw.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (f[0].startsWith('@')) {
      if (f[0] !== '@revoked' && f[0] !== '@cert-authority') continue;
      marker = f.shift() as KnownHostEntry['marker'];
    }
    if (f.length < 3) continue;
    const [hosts, keyType, b64] = f;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    out.push({ file, line: i + 1, marker, hosts, keyType, blob: Buffer.from(b64, 'base64') });
  }
  return out;
}

export function readKnownHosts(files: string[]): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    out.push(...parseKnownHosts(text, file));
  }
  return out;
}

function hashName(name: string, salt: Buffer): string {
  return createHmac('sha1', salt).update(name).digest('base64');
}

function wildcard(pattern: string, s: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 's').test(s);
}

/** Whether a known_hosts host field names `name` (already lower-case, possibly `[host]:port`). */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hmac] = field.split('|');
    if (!salt || !hmac) return false;
    return hashName(name, Buffer.from(salt, 'base64')) === hmac;
  }
  let positive = false;
  for (const p of field.toLowerCase().split(',')) {
    if (!p) continue;
    if (p.startsWith('!')) {
      if (wildcard(p.slice(1), name)) return false;
    } else if (wildcard(p, name)) {
      positive = true;
    }
  }
  return positive;
}

/** What known_hosts says about `blob` offered by `name`. Entries of any key type for the name count. */
export function checkHostKey(entries: KnownHostEntry[], name: string, blob: Buffer): HostKeyStatus {
  const forHost = entries.filter((e) => e.marker !== '@cert-authority' && hostFieldMatches(e.hosts, name));
  const revoked = forHost.find((e) => e.marker === '@revoked' && e.blob.equals(blob));
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = forHost.filter((e) => !e.marker);
  const same = plain.find((e) => e.blob.equals(blob));
  if (same) return { status: 'known', entry: same };
  if (plain.length) return { status: 'changed', recorded: plain };
  return { status: 'unknown' };
}

/** Key types recorded for `name`, so the handshake can prefer them as OpenSSH does. */
export function knownKeyTypes(entries: KnownHostEntry[], name: string): string[] {
  const types: string[] = [];
  for (const e of entries) {
    if (e.marker || !hostFieldMatches(e.hosts, name)) continue;
    if (!types.includes(e.keyType)) types.push(e.keyType);
  }
  return types;
}

/** Whether the file holds hashed names (then new entries are hashed too, as `ssh-keygen -H` would). */
export function fileUsesHashing(file: string): boolean {
  try {
    return /^\|1\|/m.test(fs.readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

export function knownHostsLine(name: string, blob: Buffer, hashed: boolean): string {
  let field = name;
  if (hashed) {
    const salt = randomBytes(20);
    field = `|1|${salt.toString('base64')}|${hashName(name, salt)}`;
  }
  return `${field} ${keyTypeOf(blob)} ${blob.toString('base64')}`;
}

/** Appends an entry, creating the directory (0700) and the file (0600) when missing. */
export function appendKnownHost(file: string, name: string, blob: Buffer, hashed: boolean): void {
  const dir = path.dirname(file);
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const cur = fs.readFileSync(file);
    if (cur.length && cur[cur.length - 1] !== 0x0a) prefix = '\n';
  } catch {
    // new file
  }
  fs.appendFileSync(file, `${prefix}${knownHostsLine(name, blob, hashed)}\n`, { mode: 0o600 });
}

/** Host key algorithms to offer in the handshake for the key types known for a host (known first). */
export function preferredHostKeyAlgorithms(knownTypes: string[]): string[] {
  const all = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  const forType = (t: string): string[] => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : all.includes(t) ? [t] : []);
  const first: string[] = [];
  for (const t of knownTypes) for (const a of forType(t)) if (!first.includes(a)) first.push(a);
  return [...first, ...all.filter((a) => !first.includes(a))];
}
