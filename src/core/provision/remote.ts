// Running a generated script on a host: upload it to the login user's home over SFTP (readable by the
// admin afterwards), then run it with sudo. Not fed through stdin, which sudo may need for a password.
import { WAIT_FOR_PROFILE_ARG } from '../render/openvpn';
import type { ExecOptions, ExecResult, SshSession } from '../ssh/types';

const SAFE_PATH = /^\/[A-Za-z0-9._/@+-]*$/;
/** The gateway script's option that names the CA passphrase file (its path follows). */
export const CA_PASS_FILE_ARG = '--ca-pass-file';
/** The options a generated script takes besides paths. */
const SCRIPT_OPTIONS: ReadonlySet<string> = new Set([CA_PASS_FILE_ARG, WAIT_FOR_PROFILE_ARG]);

/** Absolute remote path for a file in the login user's home (`~` would mean root's home under sudo). */
export async function homePath(session: SshSession, name: string): Promise<string> {
  const r = await session.exec('printf %s "$HOME"');
  const home = r.stdout.trim();
  if (r.code !== 0) {
    const why = r.code === null ? `killed by ${r.signal ?? 'a signal'}` : `exit ${r.code}`;
    throw new Error(
      `cannot read the login user's home directory on ${session.endpoint.label} (${why}${r.stderr.trim() ? `: ${r.stderr.trim().slice(0, 300)}` : ''})`,
    );
  }
  if (!SAFE_PATH.test(home)) throw new Error(`cannot use the remote home directory ${JSON.stringify(home)} of ${session.endpoint.label}`);
  return `${home.replace(/\/$/, '')}/${name}`;
}

export async function runUploadedScript(
  session: SshSession,
  fileName: string,
  content: string,
  args: string[],
  options: ExecOptions,
): Promise<ExecResult> {
  const remote = await homePath(session, fileName);
  await session.upload(remote, content, 0o700);
  for (const a of args) if (!SAFE_PATH.test(a) && !SCRIPT_OPTIONS.has(a)) throw new Error(`unsafe script argument ${JSON.stringify(a)}`);
  // With sudo unless the caller says otherwise (the background check runs as the login user).
  return session.exec(['bash', remote, ...args].map((a) => `'${a}'`).join(' '), { ...options, sudo: options.sudo ?? true });
}
