// Clients (issue I): each name is a certificate common name and a profile file name, so it must not be a name
// the PKI or the engine already uses, nor another client's or a second's (host labels are shared). Their
// addresses are checked with the other robot-LAN addresses (addresses.ts); their SSH settings here.

import { formatPath } from '../text';
import { isPlainObject, type RuleContext } from './context';

/** Names a client cannot have, and why: each is a certificate or a host the engine already has. */
export const RESERVED_CLIENT_NAMES: Readonly<Record<string, string>> = {
  gateway: 'the cloud gateway',
  desktop: 'the desktop gateway',
  server: "the OpenVPN server's certificate",
  ros_local_gateway: "the desktop gateway's certificate",
  robot: 'the robot (the robot LAN itself)',
};

const SSH_KEYS = ['user', 'port', 'identityFile', 'jump'] as const;

/** A free name like `base`, `base-2`, … not in `taken`. */
function freeName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

export function clientRules(ctx: RuleContext): void {
  const { clients, seconds, out } = ctx;
  if (!clients) return;
  const taken = new Map<string, string>();
  seconds?.forEach((_, i) => {
    const n = ctx.str(['seconds', i, 'name']);
    if (n !== undefined && !taken.has(n)) taken.set(n, formatPath(['seconds', i]));
  });
  const allNames = new Set<string>([...taken.keys(), ...Object.keys(RESERVED_CLIENT_NAMES)]);
  clients.forEach((_, i) => {
    const n = ctx.str(['clients', i, 'name']);
    if (n !== undefined) allNames.add(n);
  });
  clients.forEach((c, i) => {
    if (!isPlainObject(c)) return;
    const segments = ['clients', i, 'name'];
    const n = ctx.str(segments);
    if (n !== undefined) {
      if (Object.prototype.hasOwnProperty.call(RESERVED_CLIENT_NAMES, n)) {
        out.error(
          segments,
          `${n} is reserved: it is ${RESERVED_CLIENT_NAMES[n]}`,
          `choose another name, e.g. ${freeName(`${n}-laptop`, allNames)}`,
        );
      } else if (taken.has(n)) {
        out.error(
          segments,
          `${n} is already the name of ${taken.get(n) as string}`,
          `give every client and second its own name (they name certificates and hosts), e.g. ${freeName(n, allNames)}`,
        );
      } else {
        taken.set(n, formatPath(['clients', i]));
      }
    }
    if (c.host === undefined) {
      for (const key of SSH_KEYS) {
        if (c[key] !== undefined) {
          out.warn(
            ['clients', i, key],
            `is ignored: clients[${i}] has no host, so rosvpn never connects to it`,
            `add "host" to let rosvpn set the client up over SSH, or remove ${key}`,
          );
        }
      }
    }
    if (ctx.str(['clients', i, 'jump']) === 'gateway') {
      out.error(
        ['clients', i, 'jump'],
        'gateway is not allowed here: a client is outside the VPC (it connects to the gateway over the internet), so it is not reached through the cloud gateway',
        'remove jump, or name a bastion host or ssh config alias that reaches the client',
      );
    }
  });
}
