// The OpenSSH command line for an endpoint, for an interactive terminal: the user's own `ssh` then
// reads ~/.ssh/config, the agent and known_hosts exactly as it does outside the editor.
import type { SshEndpoint } from './types';

function target(e: SshEndpoint): string {
  return e.user ? `${e.user}@${e.host}` : e.host;
}

function jumpSpec(e: SshEndpoint): string {
  return `${target(e)}${e.port ? `:${e.port}` : ''}`;
}

export interface OpensshFiles {
  /** known_hosts to read and record into (`-o UserKnownHostsFile=`). */
  knownHostsFile?: string;
  /** ssh config file (`-F`). */
  configFile?: string;
}

/** Arguments for `ssh` (no shell involved: each is passed as is). */
export function opensshArgs(e: SshEndpoint, files: OpensshFiles = {}): string[] {
  const args: string[] = [];
  if (files.configFile) args.push('-F', files.configFile);
  if (files.knownHostsFile) args.push('-o', `UserKnownHostsFile=${files.knownHostsFile}`);
  if (e.port) args.push('-p', String(e.port));
  if (e.identityFile) args.push('-i', e.identityFile);
  const jumps: string[] = [];
  for (let j = e.jump; j; j = j.jump) jumps.unshift(jumpSpec(j));
  if (jumps.length) args.push('-J', jumps.join(','));
  args.push(target(e));
  return args;
}
