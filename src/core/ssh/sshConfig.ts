// Endpoint resolution as OpenSSH does it: ~/.ssh/config (parsed by `ssh-config`, `Include` expanded)
// supplies HostName, User, Port, IdentityFile, ProxyJump, HostKeyAlias, IdentityAgent and HashKnownHosts;
// explicit endpoint fields win, as command-line options do.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { type Line, parse as parseSshConfig, type SSHConfig } from 'ssh-config';
import { type SshEndpoint, SshError } from './types';

export interface ResolvedEndpoint {
  /** The endpoint as given. */
  endpoint: SshEndpoint;
  label: string;
  /** Real host name or address to connect to (HostName applied). */
  hostname: string;
  port: number;
  user: string;
  /** Identity files in the order OpenSSH tries them (explicit, then config, else the defaults that exist). */
  identityFiles: string[];
  /** undefined: the pool's agent; null: no agent (`IdentityAgent none`); else a socket path. */
  identityAgent?: string | null;
  hostKeyAlias?: string;
  hashKnownHosts?: boolean;
  jump?: ResolvedEndpoint;
  /** Pool key: `user@host:port`, followed by ` via <jump key>`. */
  key: string;
}

export interface ResolveOptions {
  configPath: string;
  defaultIdentityFiles: string[];
}

const MAX_JUMPS = 8;

function localUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? 'root';
  }
}

function wildcardRe(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
}

/** Files an `Include` argument names: relative to ~/.ssh, `~` expanded, wildcards in the last component. */
function includeFiles(arg: string, baseDir: string): string[] {
  const out: string[] = [];
  for (const word of arg.split(/\s+/).filter(Boolean)) {
    let p = word.replace(/^~(?=\/|$)/, os.homedir());
    if (!path.isAbsolute(p)) p = path.join(baseDir, p);
    const dir = path.dirname(p);
    const base = path.basename(p);
    if (/[*?]/.test(base)) {
      let names: string[];
      try {
        names = fs.readdirSync(dir).sort();
      } catch {
        continue;
      }
      const re = wildcardRe(base);
      for (const n of names) if (re.test(n)) out.push(path.join(dir, n));
    } else {
      out.push(p);
    }
  }
  return out;
}

function directiveValue(line: Line): string {
  if (!('value' in line)) return '';
  const v = line.value;
  return typeof v === 'string' ? v : v.map((x) => x.val).join(' ');
}

/** Replaces `Include` directives by the lines of the files they name (at top level and inside sections). */
function expandIncludes(lines: Line[], baseDir: string, depth: number): Line[] {
  const out: Line[] = [];
  for (const line of lines) {
    if ('param' in line && /^include$/i.test(line.param)) {
      if (depth > 8) continue;
      for (const f of includeFiles(directiveValue(line), baseDir)) {
        let text: string;
        try {
          text = fs.readFileSync(f, 'utf8');
        } catch {
          continue;
        }
        out.push(...expandIncludes(parseSshConfig(text), baseDir, depth + 1));
      }
      continue;
    }
    if ('config' in line && line.config) {
      const inner = expandIncludes(line.config, baseDir, depth);
      line.config.splice(0, line.config.length, ...inner);
    }
    out.push(line);
  }
  return out;
}

/** Parses the ssh config file; a missing file is an empty config. */
export function loadSshConfig(configPath: string): SSHConfig {
  let text = '';
  try {
    text = fs.readFileSync(configPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new SshError(`cannot read ${configPath}: ${(e as Error).message}`, 'CONFIG', { cause: e });
    }
  }
  let config: SSHConfig;
  try {
    config = parseSshConfig(text);
  } catch (e) {
    throw new SshError(`cannot parse ${configPath}: ${(e as Error).message}`, 'CONFIG', { cause: e });
  }
  const expanded = expandIncludes(config, path.dirname(configPath), 0);
  config.splice(0, config.length, ...expanded);
  return config;
}

export interface JumpSpec {
  user?: string;
  host: string;
  port?: number;
}

/** One ProxyJump element: `[user@]host[:port]`, `[user@][v6addr]:port` or `ssh://[user@]host[:port]`. */
export function parseJumpSpec(spec: string): JumpSpec {
  const s = spec
    .trim()
    .replace(/^ssh:\/\//, '')
    .replace(/\/$/, '');
  const m = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s[\]]+)(?::(\d+))?$/.exec(s);
  if (!m) throw new SshError(`invalid ProxyJump element ${JSON.stringify(spec)}: expected [user@]host[:port]`, 'CONFIG');
  const port = m[3] ? Number(m[3]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) throw new SshError(`invalid port in ProxyJump ${JSON.stringify(spec)}`, 'CONFIG');
  return { user: m[1], host: m[2].replace(/^\[|\]$/g, ''), port };
}

/** A ProxyJump chain `a,b,c` as the endpoint of its last hop, reached through the ones before it. */
export function jumpChainEndpoint(value: string): SshEndpoint | undefined {
  if (value.trim().toLowerCase() === 'none') return undefined;
  let prev: SshEndpoint | undefined;
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const j = parseJumpSpec(part);
    const e: SshEndpoint = { label: `jump ${j.host}`, host: j.host, user: j.user, port: j.port };
    if (prev) e.jump = prev;
    prev = e;
  }
  return prev;
}

function first(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v[0] : v;
}

function all(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}

/** `~` and the `%` tokens OpenSSH expands in IdentityFile/IdentityAgent. */
function expandPath(p: string, t: { host: string; original: string; user: string; port: number }): string {
  const local = localUser();
  let out = unquote(p).replace(/%([%dhLlnpru])/g, (_m, c: string) => {
    switch (c) {
      case '%':
        return '%';
      case 'd':
        return os.homedir();
      case 'h':
        return t.host;
      case 'L':
        return os.hostname().split('.')[0];
      case 'l':
        return os.hostname();
      case 'n':
        return t.original;
      case 'p':
        return String(t.port);
      case 'r':
        return t.user;
      case 'u':
        return local;
      default:
        return _m;
    }
  });
  out = out.replace(/^~(?=\/|$)/, os.homedir());
  return out;
}

function parsePort(v: string | undefined, where: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new SshError(`invalid Port ${JSON.stringify(v)} ${where}`, 'CONFIG');
  return n;
}

/** Resolves an endpoint (and its jump chain) against the ssh config. */
export function resolveEndpoint(endpoint: SshEndpoint, config: SSHConfig, opts: ResolveOptions, depth = 0): ResolvedEndpoint {
  if (depth > MAX_JUMPS) {
    throw new SshError(`ProxyJump chain for ${endpoint.host} is longer than ${MAX_JUMPS} hops (a loop in ${opts.configPath}?)`, 'CONFIG');
  }
  if (!endpoint.host || /\s/.test(endpoint.host))
    throw new SshError(`invalid host ${JSON.stringify(endpoint.host)} for ${endpoint.label}`, 'CONFIG');
  const c = config.compute(
    { Host: endpoint.host, User: endpoint.user },
    {
      ignoreCase: true,
      // Match exec would run shell commands from the config; never done here.
      matchExec: false,
    },
  );
  const hostnameRaw = first(c.hostname);
  const hostname = hostnameRaw ? unquote(hostnameRaw).replace(/%h/g, endpoint.host).replace(/%%/g, '%') : endpoint.host;
  const port = endpoint.port ?? parsePort(first(c.port), `for ${endpoint.host} in ${opts.configPath}`) ?? 22;
  const user = endpoint.user ?? (first(c.user) ? unquote(first(c.user)!) : localUser());
  const tok = { host: hostname, original: endpoint.host, user, port };

  const files: string[] = [];
  const add = (f: string) => {
    if (!files.includes(f)) files.push(f);
  };
  if (endpoint.identityFile) add(expandPath(endpoint.identityFile, tok));
  for (const f of all(c.identityfile)) if (f.toLowerCase() !== 'none') add(expandPath(f, tok));
  if (!files.length) for (const f of opts.defaultIdentityFiles) add(f);

  let identityAgent: string | null | undefined;
  const ia = first(c.identityagent);
  if (ia !== undefined) {
    const v = unquote(ia);
    if (v.toLowerCase() === 'none') identityAgent = null;
    else if (v === 'SSH_AUTH_SOCK') identityAgent = undefined;
    else if (v.startsWith('$')) identityAgent = process.env[v.slice(1).replace(/^\{|\}$/g, '')] ?? null;
    else identityAgent = expandPath(v, tok);
  }

  const hostKeyAlias = first(c.hostkeyalias);
  const hashRaw = first(c.hashknownhosts);
  const hashKnownHosts = hashRaw === undefined ? undefined : hashRaw.toLowerCase() === 'yes';

  let jumpEndpoint: SshEndpoint | undefined = endpoint.jump;
  if (!jumpEndpoint) {
    const pj = first(c.proxyjump);
    if (pj) jumpEndpoint = jumpChainEndpoint(pj);
  }
  const jump = jumpEndpoint ? resolveEndpoint(jumpEndpoint, config, opts, depth + 1) : undefined;
  const key = `${user}@${hostname}:${port}${jump ? ` via ${jump.key}` : ''}`;
  return {
    endpoint,
    label: endpoint.label,
    hostname,
    port,
    user,
    identityFiles: files,
    identityAgent,
    hostKeyAlias,
    hashKnownHosts,
    jump,
    key,
  };
}

/** `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa` that exist, in that order (OpenSSH's defaults that ssh2 can use). */
export function defaultIdentityFiles(): string[] {
  const dir = path.join(os.homedir(), '.ssh');
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((n) => path.join(dir, n)).filter((f) => fs.existsSync(f));
}
