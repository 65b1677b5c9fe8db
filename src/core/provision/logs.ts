// `rosvpn logs`: journalctl over SSH, by default the unit that matters for the host's role.
import { NET_UNIT } from '../render/network';
import { OPENVPN_CLIENT_UNIT, OPENVPN_SERVER_UNIT } from '../render/openvpn';
import type { Role } from '../topology/types';

export function defaultUnit(role: Role): string {
  // A client host runs the same OpenVPN client unit as the desktop (openvpn-client@rosvpn), without a bridge.
  return role === 'gateway' ? OPENVPN_SERVER_UNIT : role === 'desktop' || role === 'client' ? OPENVPN_CLIENT_UNIT : NET_UNIT;
}

const UNIT_NAME = /^[A-Za-z0-9@._:-]{1,128}$/;

/** The journalctl command line; the unit name is checked since it reaches a remote shell. */
export function journalctlCommand(unit: string, follow: boolean, lines = 200): string {
  if (!UNIT_NAME.test(unit)) throw new Error(`invalid unit name ${JSON.stringify(unit)}: use letters, digits and @._:-`);
  return `journalctl --no-pager -o short-iso -n ${Math.max(0, Math.floor(lines))} -u '${unit}'${follow ? ' -f' : ''}`;
}

/** A journal cursor as journalctl prints it (`s=…;i=…;b=…;m=…;t=…;x=…`); checked before it reaches a shell. */
const CURSOR = /^[A-Za-z0-9=;_-]{1,512}$/;

/**
 * `journalctl -f` with one JSON object per line, so every line carries its cursor. After a dropped
 * connection the follow resumes with `--after-cursor`: nothing is shown twice and nothing is lost.
 */
export function journalFollowCommand(unit: string, opts: { lines?: number; afterCursor?: string } = {}): string {
  if (!UNIT_NAME.test(unit)) throw new Error(`invalid unit name ${JSON.stringify(unit)}: use letters, digits and @._:-`);
  const from =
    opts.afterCursor !== undefined
      ? (() => {
          if (!CURSOR.test(opts.afterCursor)) throw new Error('invalid journal cursor');
          return `--after-cursor='${opts.afterCursor}'`;
        })()
      : `-n ${Math.max(0, Math.floor(opts.lines ?? 50))}`;
  return `journalctl --no-pager -o json -u '${unit}' ${from} -f`;
}

export interface JournalLine {
  /** `2026-11-27T05:10:00.123Z host ident[pid]: message`, like `-o short-iso`. */
  text: string;
  cursor?: string;
}

/** One line of `journalctl -o json` as a readable log line; anything that is not JSON is passed through. */
export function formatJournalJson(line: string): JournalLine {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { text: line };
  }
  if (!e || typeof e !== 'object') return { text: line };
  const str = (k: string) => (typeof e[k] === 'string' ? (e[k] as string) : undefined);
  let message = str('MESSAGE');
  // journald sends messages that are not valid UTF-8 as byte arrays.
  if (message === undefined && Array.isArray(e.MESSAGE)) message = Buffer.from(e.MESSAGE as number[]).toString('utf8');
  const usec = Number(str('__REALTIME_TIMESTAMP'));
  const when = Number.isFinite(usec) && usec > 0 ? new Date(Math.floor(usec / 1000)).toISOString() : '';
  const ident = str('SYSLOG_IDENTIFIER') ?? str('_COMM') ?? '';
  const pid = str('_PID');
  const who = ident ? `${ident}${pid ? `[${pid}]` : ''}:` : '';
  return { text: [when, str('_HOSTNAME') ?? '', who, message ?? ''].filter(Boolean).join(' '), cursor: str('__CURSOR') };
}
