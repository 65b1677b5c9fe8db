// Bash building blocks shared by every rendered script.
// Values are interpolated only through `q()`, which re-checks them against a strict character set
// (defence in depth: the validator has already rejected anything else). Fixed bash, with nothing to
// interpolate (these helper libraries, the net-up and check bodies), is in files under ./lib/, shellchecked
// as files and imported as text.
import fileSh from './lib/file.sh';
import linkSh from './lib/link.sh';
import netSh from './lib/net.sh';
import snapSh from './lib/snap.sh';
import sshGuardSh from './lib/ssh-guard.sh';
import stepSh from './lib/step.sh';

const SAFE_VALUE = /^[A-Za-z0-9._:/@+-]*$/;

export class UnsafeValueError extends Error {}

/**
 * Tag for bash blocks: raw text where `\${` stands for bash's `${`, and `${x}` interpolates a JS value
 * (used only for constants such as file paths; topology values go through `q()`).
 */
export function bash(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  const unescape = (raw: string) => raw.replace(/\\\$\{/g, '${');
  return strings.raw.reduce((out, raw, i) => out + unescape(raw) + (i < values.length ? String(values[i]) : ''), '');
}

/** Single-quote a validated value for bash. Throws on any character outside the safe set. */
export function q(value: string | number): string {
  const s = String(value);
  if (!SAFE_VALUE.test(s) || s.length > 512) {
    throw new UnsafeValueError(`refusing to render unsafe value ${JSON.stringify(s).slice(0, 80)}`);
  }
  return `'${s}'`;
}

/** A validated value for a config file written through a quoted heredoc (no shell expansion there). */
export function v(value: string | number): string {
  return q(value).slice(1, -1);
}

/** A bash array literal of validated values. */
export function qArray(values: readonly (string | number)[]): string {
  return `(${values.map(q).join(' ')})`;
}

/** A heredoc delimiter that cannot occur in rendered content (checked). */
export function heredoc(command: string, content: string, delimiter = 'ROSVPN_EOF'): string {
  if (content.split('\n').includes(delimiter)) throw new Error(`content contains heredoc delimiter ${delimiter}`);
  const body = content.endsWith('\n') ? content : `${content}\n`;
  return `${command} <<'${delimiter}'\n${body}${delimiter}`;
}

/**
 * A helper library from ./lib/ as embedded into the scripts: the file without its header, the leading block
 * of `#` comment lines up to and including the first blank line, which opens with `# shellcheck shell=bash`
 * (what the file is, shellcheck directives for checking it on its own). Checked, so that a header that lost
 * its blank line cannot leak into every script, nor a body lose its last newline.
 */
export function libBody(name: string, text: string): string {
  const end = text.indexOf('\n\n');
  const header = end < 0 ? [] : text.slice(0, end).split('\n');
  if (header[0] !== '# shellcheck shell=bash' || !header.every((line) => line.startsWith('#'))) {
    throw new Error(`${name}: must start with a header of # comment lines, opened by "# shellcheck shell=bash" and ended by a blank line`);
  }
  const body = text.slice(end + 2);
  if (text.includes('\r') || !body.endsWith('\n')) throw new Error(`${name}: needs LF line ends and a final newline`);
  return body;
}

/**
 * Step reporting, failure trap and small idempotent helpers. Every script embeds this block so that it
 * stays self-contained. Output protocol (stdout, one line each):
 *   ::step name=NAME status=ok|changed|skipped|failed [code=CODE] [msg="..."] ms=N   (N: the step's duration)
 *   ::warn msg="..."
 *   ::summary role=ROLE host=HOST changed=N ok=N skipped=N failed=N
 */
export const STEP_LIB = libBody('step.sh', stepSh);

/**
 * Link attributes from iproute2, not /sys/class/net: in containers (systemd-nspawn, LXD) sysfs may show
 * another network namespace than the one the script runs in. Part of FILE_LIB and of NET_LIB.
 */
const LINK_LIB = libBody('link.sh', linkSh);

/** Idempotent file, directory, package and service helpers (need STEP_LIB), and the state snapshot they read. */
export const FILE_LIB = LINK_LIB + libBody('snap.sh', snapSh) + libBody('file.sh', fileSh);

const STEPS_MARK = '# ---- steps -------------------------------------------------------------------\n';

/**
 * The state snapshot of a provisioning script (snap.sh): the units it ensures and the files and directories it
 * writes under a fixed path, each kind read with one command before the first step. Found in the script itself
 * (\`ensure_service UNIT\`, \`unit_enabled UNIT\`; \`write_file\`, \`ensure_dir\`, \`ensure_sysctl_min\`, \`set_env_line PATH\`), so that it cannot miss one
 * that a step names; a path built at run time is read when its step gets there. Inserted after the first steps
 * marker; a script without FILE_LIB or the marker is returned as it is.
 */
export function withSnapshot(content: string): string {
  const at = content.indexOf(STEPS_MARK);
  if (at < 0 || !content.includes('\nsnap_units() {')) return content;
  const found = (re: RegExp) => [...new Set([...content.matchAll(re)].map((m) => m[1]))];
  const units = found(/^\s*(?:ensure_service|unit_enabled) ([A-Za-z0-9@._-]+\.(?:service|timer))\b/gm);
  const files = found(/^\s*(?:write_file|ensure_dir|ensure_sysctl_min|set_env_line) (\/[A-Za-z0-9@._/-]+) /gm);
  const lines = [
    '# The state snapshot (snap.sh): what the steps below check, read once.',
    units.length ? `snap_units ${units.map(q).join(' ')}` : '',
    files.length ? `snap_files ${files.map(q).join(' ')}` : '',
  ].filter((l) => l);
  const end = at + STEPS_MARK.length;
  return `${content.slice(0, end)}\n${lines.join('\n')}\n${content.slice(end)}`;
}

/**
 * The SSH guard of the cloud hosts: SSH_IFACES lists the interfaces holding the local address of an
 * established sshd connection (read at the first `guard`), and `guard IFACE` refuses to change one of them.
 */
export const SSH_GUARD_LIB = libBody('ssh-guard.sh', sshGuardSh);

/** Idempotent link helpers for net-up scripts; every change passes `guard IFACE` first (defined by the caller). */
export const NET_LIB = LINK_LIB + libBody('net.sh', netSh);
