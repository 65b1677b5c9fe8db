// Seconds that left rosvpn.json while their hosts still run ROS VPN. `rosvpn provision` offers to unprovision
// each one first (its SSH details come from this machine's record of what it provisioned), and
// `rosvpn unprovision --host NAME` reaches it the same way; without a terminal, provision prints the command.
import * as path from 'path';
import type { ProvisionReport } from '../core/provision/orchestrator';
import { forgetTracked, removedSeconds, type TrackedSecond, withRemovedSecond } from '../core/provision/tracked';
import type { ValidTopology } from '../core/topology/types';
import type { SshPool } from '../core/ssh/types';
import { type ConfirmIo, type RemoteIo, type SshFlags, unprovisionCommand } from './remote';

type Env = Record<string, string | undefined>;

/** A word for a POSIX shell: as is when it is plain, else single-quoted. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9._/:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command that removes ROS VPN from a second that left `file`. */
export function unprovisionHint(file: string, cwd: string, name: string): string {
  const rel = path.relative(cwd, file);
  const arg = rel === 'rosvpn.json' ? '' : ` ${shellWord(rel && !rel.startsWith('..') ? rel : file)}`;
  return `rosvpn unprovision${arg} --host ${name} --yes`;
}

function describe(file: string, r: TrackedSecond): string {
  const when = r.provisionedAt ? ` on ${r.provisionedAt.slice(0, 10)}` : '';
  return `second '${r.second.name}' (${r.second.host}) was provisioned from ${path.basename(file)}${when} and is no longer in it; its host still runs ROS VPN`;
}

/** The seconds a run left done (ok or changed): recorded after provisioning, forgotten after unprovisioning. */
export function secondsDone(report: ProvisionReport): string[] {
  return report.hosts.filter((h) => h.role === 'second' && (h.status === 'ok' || h.status === 'changed')).map((h) => h.label);
}

/**
 * Before provisioning: for each second that left `file`, ask whether to remove ROS VPN from it first (the
 * unprovision run shows what will change, then asks). No: it is forgotten and left as it is. Without a
 * terminal: a warning with the command, and it stays recorded. Returns false when an unprovision failed.
 */
export async function offerRemovedSeconds(
  io: ConfirmIo & { env: Env; cwd: string },
  file: string,
  t: ValidTopology,
  flags: SshFlags,
  poolFor?: (io: RemoteIo, flags: SshFlags) => Promise<SshPool>,
): Promise<boolean> {
  for (const r of removedSeconds(file, t, io.env)) {
    const name = r.second.name;
    if (!io.canPrompt()) {
      io.err(`warning: ${describe(file, r)}. Remove it: ${unprovisionHint(file, io.cwd, name)}`);
      continue;
    }
    io.out(`${describe(file, r)}.`);
    let answered: boolean | undefined;
    const confirm = async (q: string) => (answered = await io.confirm(`${q} (no: leave it as it is and stop tracking it)`));
    const code = await unprovisionCommand(
      { ...io, confirm },
      withRemovedSecond(t, r),
      { host: name },
      { purge: false, yes: false, onReport: (report) => forgetTracked(file, secondsDone(report), io.env) },
      flags,
      poolFor,
    );
    if (answered === false) {
      forgetTracked(file, [name], io.env);
      io.out(`'${name}' keeps ROS VPN and is no longer tracked.`);
    } else if (code !== 0) {
      io.err(
        `provision: stopped before provisioning: ROS VPN could not be removed from '${name}' (above). Fix that and rerun; answer no to leave it as it is.`,
      );
      return false;
    }
  }
  return true;
}
