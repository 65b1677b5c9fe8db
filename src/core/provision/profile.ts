// A client profile is data, not code: OpenVPN runs as root on the desktop and on client hosts, and a profile
// may name scripts (up, down, route-up, plugin, …) that it would run. So before rosvpn writes a profile to
// this machine or uploads one to a host, it parses it and accepts only what the gateway writes: the
// directives of PROFILE_DIRECTIVES and the inline blocks of PROFILE_BLOCKS (the same list the desktop and
// client scripts check again on the host). Anything else is refused, naming the line.
import { errorMessage } from '../errors';
import { PROFILE_BLOCKS, PROFILE_DIRECTIVES } from '../render/openvpn';
import type { SshPool } from '../ssh/types';
import { CLIENT_PROFILE_NAME, CLIENT_PROFILES_DIR } from '../topology/types';
import type { TopologyHost } from './endpoints';
import { homePath } from './remote';

/** A profile with its inline certificates and keys is a few kilobytes; anything this large is not one. */
export const MAX_PROFILE_BYTES = 256 * 1024;
/** OpenVPN reads config lines of at most 256 characters; a PEM line is 64. Longer lines are refused. */
const MAX_LINE = 512;
/** At most this many problems are listed; the rest are counted. */
const MAX_LISTED = 20;

const DIRECTIVES: ReadonlySet<string> = new Set(PROFILE_DIRECTIVES);
const BLOCKS: ReadonlySet<string> = new Set(PROFILE_BLOCKS);
const ALLOWED = `${PROFILE_DIRECTIVES.join(', ')} and the blocks ${PROFILE_BLOCKS.map((b) => `<${b}>`).join(', ')}`;
/** What each block holds, for messages. */
const BLOCK_WHAT: Record<string, string> = {
  ca: 'the CA certificate',
  cert: "the client's certificate",
  key: "the client's private key",
  'tls-crypt': 'the tls-crypt key',
};
/** The PEM header each block's content must carry. */
const BLOCK_BEGIN: Record<string, RegExp> = {
  ca: /^-----BEGIN CERTIFICATE-----$/,
  cert: /^-----BEGIN CERTIFICATE-----$/,
  key: /^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----$/,
  'tls-crypt': /^-----BEGIN OpenVPN Static key V1-----$/,
};

export interface ProfileCheck {
  ok: boolean;
  /** One line per problem, each starting with `line N: `; empty when ok. */
  errors: string[];
}

/** A profile that failed validateProfile; `errors` are its lines. */
export class InvalidProfileError extends Error {
  readonly code = 'PROFILE_INVALID';
  constructor(
    message: string,
    readonly errors: string[],
  ) {
    super(message);
    this.name = 'InvalidProfileError';
  }
}

function describeChar(code: number): string {
  if (code === 0) return 'NUL';
  if (code < 0x20 || code === 0x7f) return `the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `the non-ASCII character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The first character that is not printable ASCII or a tab, with its column; undefined when none. */
function badChar(line: string, allowNonAscii: boolean): string | undefined {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x09) continue;
    if (c < 0x20 || c === 0x7f || (c > 0x7e && !allowNonAscii) || (c >= 0x80 && c <= 0x9f)) {
      return `${describeChar(c)} at column ${i + 1}`;
    }
  }
  return undefined;
}

/** The text, or why the bytes are not a text profile at all. */
function decode(input: string | Uint8Array): { text?: string; error?: string } {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  if (size > MAX_PROFILE_BYTES) {
    return { error: `line 1: the profile is ${size} bytes; a ROS VPN profile is a few kilobytes (at most ${MAX_PROFILE_BYTES})` };
  }
  if (typeof input === 'string') return { text: input };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(input) };
  } catch {
    const bytes = Buffer.from(input);
    const line = bytes
      .subarray(
        0,
        Math.max(
          0,
          bytes.findIndex((b) => b > 0x7f),
        ),
      )
      .toString('latin1')
      .split('\n').length;
    return { error: `line ${line}: the profile is not text (bytes that are not UTF-8): binary data, not an OpenVPN profile` };
  }
}

interface OpenBlock {
  name: string;
  line: number;
  begin: boolean;
  end: boolean;
}

/** The parse: one pass over the lines, collecting problems. */
class ProfileParser {
  readonly errors: string[] = [];
  private open: OpenBlock | undefined;
  private readonly seen = new Map<string, number>();

  private problem(line: number, message: string): void {
    this.errors.push(`line ${line}: ${message}`);
  }

  parse(text: string): void {
    const lines = text.split('\n');
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    lines.forEach((raw, i) => this.line(raw.endsWith('\r') ? raw.slice(0, -1) : raw, i + 1));
    const last = lines.length;
    if (this.open) this.problem(this.open.line, `<${this.open.name}> is never closed: add </${this.open.name}> after its content`);
    for (const b of PROFILE_BLOCKS) {
      if (!this.seen.has(b)) this.problem(last, `(end of file) the <${b}> block is missing: a profile holds ${BLOCK_WHAT[b]}`);
    }
  }

  private line(line: string, n: number): void {
    if (line.length > MAX_LINE) return this.problem(n, `the line is ${line.length} characters long; OpenVPN reads at most 256`);
    const trimmed = line.trim();
    if (this.open) return this.blockLine(trimmed, n, this.open);
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) {
      const bad = badChar(line, true);
      if (bad) this.problem(n, `${bad}: a profile is plain text`);
      return;
    }
    const bad = badChar(line, false);
    if (bad) return this.problem(n, `${bad}: a profile is plain ASCII text`);
    if (trimmed.startsWith('</')) return this.problem(n, `${trimmed.slice(0, 40)} closes a block that is not open`);
    const tag = /^<([^<>\s]*)>$/.exec(trimmed);
    if (tag) return this.openBlock(tag[1] as string, n);
    const [first = '', ...args] = trimmed.split(/[ \t]+/);
    // OpenVPN accepts `--name` in a file as well; it is the same directive.
    const name = first.startsWith('--') ? first.slice(2) : first;
    if (!/^[a-z][a-z0-9-]*$/.test(name)) {
      return this.problem(
        n,
        `cannot read ${JSON.stringify(first.slice(0, 40))} as a directive name; a ROS VPN profile holds only ${ALLOWED}`,
      );
    }
    if (!DIRECTIVES.has(name)) {
      return this.problem(n, `directive '${name}' is not allowed in a ROS VPN profile (it holds only ${ALLOWED})`);
    }
    const quoted = args.find((a) => /["'\\]/.test(a));
    if (quoted !== undefined)
      return this.problem(n, `'${name}' has quotes or a backslash in its arguments, which the gateway never writes`);
    if (name === 'dev' && (args.length !== 1 || args[0] !== 'tap')) {
      this.problem(n, `dev must be 'tap' (ROS VPN joins the robot LAN at layer 2), not ${JSON.stringify(args.join(' '))}`);
    }
  }

  private openBlock(name: string, n: number): void {
    if (!BLOCKS.has(name)) {
      return this.problem(n, `block <${name}> is not allowed in a ROS VPN profile (it holds only ${ALLOWED})`);
    }
    const first = this.seen.get(name);
    if (first !== undefined) this.problem(n, `a second <${name}> block (the first is at line ${first})`);
    else this.seen.set(name, n);
    this.open = { name, line: n, begin: false, end: false };
  }

  private blockLine(trimmed: string, n: number, open: OpenBlock): void {
    if (trimmed === `</${open.name}>`) {
      if (!open.begin || !open.end) {
        this.problem(open.line, `<${open.name}> does not hold ${BLOCK_WHAT[open.name]} (no PEM BEGIN/END lines)`);
      }
      this.open = undefined;
      return;
    }
    if (trimmed.startsWith('<')) {
      this.problem(n, `${trimmed.slice(0, 40)} inside <${open.name}> (opened at line ${open.line}): close </${open.name}> first`);
      this.open = undefined;
      return;
    }
    const bad = badChar(trimmed, false);
    if (bad) return this.problem(n, `${bad} inside <${open.name}>: keys and certificates are ASCII text`);
    if (BLOCK_BEGIN[open.name]?.test(trimmed)) open.begin = true;
    if (open.begin && /^-----END [A-Za-z0-9 ]+-----$/.test(trimmed)) open.end = true;
  }
}

/**
 * Checks a client profile against the allow-list: only PROFILE_DIRECTIVES, `dev tap`, the PROFILE_BLOCKS each
 * once and closed, printable text. Never throws; accepts bytes (binary junk is reported) or text.
 */
export function validateProfile(input: string | Uint8Array): ProfileCheck {
  const { text, error } = decode(input);
  if (error !== undefined || text === undefined) return { ok: false, errors: [error ?? 'line 1: the profile cannot be read'] };
  if (text.trim() === '') return { ok: false, errors: ['line 1: the profile is empty'] };
  const p = new ProfileParser();
  p.parse(text);
  const errors = p.errors.length > MAX_LISTED ? [...p.errors.slice(0, MAX_LISTED), `… and ${p.errors.length - MAX_LISTED} more`] : p.errors;
  return { ok: errors.length === 0, errors };
}

/** Throws InvalidProfileError, naming `what` (e.g. "alice-laptop.ovpn from the gateway") and every problem. */
export function assertValidProfile(input: string | Uint8Array, what: string): void {
  const r = validateProfile(input);
  if (r.ok) return;
  throw new InvalidProfileError(
    `${what} is not a ROS VPN profile, so it was not used:\n  ${r.errors.join('\n  ')}\n` +
      'A profile is data: it may not name scripts or plugins that OpenVPN would run as root. Provision the gateway again ' +
      '(rosvpn provision --host gateway) so that it writes a fresh profile, and do not edit profiles by hand.',
    r.errors,
  );
}

const CLIENT_NAME = /^[a-z][a-z0-9-]{0,30}$/;

/** The profile's file name: `ros_local_gateway.ovpn` for the desktop, `NAME.ovpn` for a client. */
export function profileFileName(client?: string): string {
  if (client === undefined) return `${CLIENT_PROFILE_NAME}.ovpn`;
  if (!CLIENT_NAME.test(client)) throw new Error(`invalid client name ${JSON.stringify(client)}: a lowercase letter, then a-z, 0-9, '-'`);
  return `${client}.ovpn`;
}

/** Where gateway provisioning leaves the profile, relative to the login user's home. */
export function gatewayProfilePath(client?: string): string {
  return client === undefined ? profileFileName() : `${CLIENT_PROFILES_DIR}/${profileFileName(client)}`;
}

/**
 * Downloads the profile that gateway provisioning left in the login user's home (the desktop's, or client
 * NAME's from ~/rosvpn-clients/) and validates it: an InvalidProfileError when it is not a ROS VPN profile.
 */
export async function fetchClientProfile(pool: SshPool, gateway: TopologyHost, client?: string): Promise<Buffer> {
  const session = await pool.session(gateway.endpoint);
  const path = await homePath(session, gatewayProfilePath(client));
  let profile: Buffer;
  try {
    profile = await session.download(path);
  } catch (e) {
    const why = errorMessage(e);
    throw new Error(
      client === undefined
        ? `cannot download ${path} from the gateway (${why}); provision the gateway first: rosvpn provision --host gateway`
        : `cannot download ${path} from the gateway (${why}); is '${client}' in rosvpn.json's clients, and has the gateway been provisioned since (rosvpn provision --host gateway)?`,
      { cause: e },
    );
  }
  assertValidProfile(profile, `${profileFileName(client)} from the gateway`);
  return profile;
}
