// The seconds' names (rule 8): unique, and not one whose script would collide with the engine's own files.
// And a topology with no seconds at all gets a warning.

import { formatPath } from '../text';
import { EXAMPLE_SECOND, type RuleContext } from './context';

/** Second names whose script would collide with a file the engine writes or uploads. */
const RESERVED_SECOND_NAMES: Record<string, string> = {
  gateway: "the gateway's script gateway.sh (uploaded as ~/rosvpn-gateway.sh)",
  desktop: "the desktop's script desktop.sh (uploaded as ~/rosvpn-desktop.sh)",
};

export function secondNameRules(ctx: RuleContext): void {
  const { seconds, out } = ctx;
  if (seconds) {
    const names = new Map<string, string>();
    seconds.forEach((_, i) => {
      const segments = ['seconds', i, 'name'];
      const n = ctx.str(segments);
      if (n === undefined) return;
      if (Object.prototype.hasOwnProperty.call(RESERVED_SECOND_NAMES, n)) {
        out.error(
          segments,
          `${n} is reserved: a second's script is written as ${n}.sh and uploaded as ~/rosvpn-${n}.sh, which is ${RESERVED_SECOND_NAMES[n]}`,
          `choose another name, e.g. second-${i + 1}`,
        );
        return;
      }
      const other = names.get(n);
      if (other !== undefined) {
        out.error(segments, `${n} is already the name of ${other}`, `give each second a unique name, e.g. ${n}-${i + 1}`);
        return;
      }
      names.set(n, formatPath(['seconds', i]));
    });
  }
  if (seconds === undefined || seconds.length === 0) {
    if (!out.bad.has('seconds')) {
      out.warn(
        'seconds',
        '0 second instances are defined',
        `add one, e.g. ${EXAMPLE_SECOND} (without seconds only the desktop and the gateway share the robot LAN)`,
      );
    }
  }
}
