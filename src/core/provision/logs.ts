// `rosvpn logs`: journalctl over SSH, by default the unit that matters for the host's role.
import { NET_UNIT } from '../render/network';
import { OPENVPN_CLIENT_UNIT, OPENVPN_SERVER_UNIT } from '../render/openvpn';
import { Role } from '../topology/types';

export function defaultUnit(role: Role): string {
  return role === 'gateway' ? OPENVPN_SERVER_UNIT : role === 'desktop' ? OPENVPN_CLIENT_UNIT : NET_UNIT;
}

const UNIT_NAME = /^[A-Za-z0-9@._:-]{1,128}$/;

/** The journalctl command line; the unit name is checked since it reaches a remote shell. */
export function journalctlCommand(unit: string, follow: boolean, lines = 200): string {
  if (!UNIT_NAME.test(unit)) throw new Error(`invalid unit name ${JSON.stringify(unit)}: use letters, digits and @._:-`);
  return `journalctl --no-pager -o short-iso -n ${Math.max(0, Math.floor(lines))} -u '${unit}'${follow ? ' -f' : ''}`;
}
