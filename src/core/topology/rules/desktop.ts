// The desktop gateway (rules 3, 7, 9, 10): a static desktop's address and default gateway, values that dhcp
// ignores, and a LAN interface that is not a device rosvpn (or Docker, or the kernel) already owns.

import { firstFreeAddress, inside, sameAddress, type ParsedCidr } from '../ipv4';
import { show } from '../text';
import { BRIDGE_NAME, VXLAN_DEVICE } from '../types';
import type { RobotLan } from './addresses';
import type { RuleContext } from './context';

/** A static desktop's default gateway: the LAN's router, inside robotSubnet, not a rosvpn host. */
function defaultGatewayRule(ctx: RuleContext, robot: ParsedCidr | undefined, lan: RobotLan): void {
  const { gatewayDefault, parsedDefault, holder } = lan;
  if (gatewayDefault === undefined || !parsedDefault) return;
  const { out } = ctx;
  const path = 'desktop.defaultGateway';
  if (!parsedDefault.ok) {
    out.error(
      path,
      `${show(gatewayDefault)} ${parsedDefault.problem}`,
      parsedDefault.suggestion ? `write ${parsedDefault.suggestion}` : `use ${ctx.hint(['desktop', 'defaultGateway'])}`,
    );
  } else if (robot && !inside(parsedDefault.addr, robot)) {
    out.error(
      path,
      `${gatewayDefault} is outside robotSubnet ${robot.networkText}`,
      `use the LAN router's address inside ${robot.networkText}, e.g. ${firstFreeAddress(robot, new Set())?.toString() ?? robot.network.toString()}`,
    );
  } else if (robot && (sameAddress(parsedDefault.addr, robot.network) || sameAddress(parsedDefault.addr, robot.broadcast))) {
    out.error(
      path,
      `${gatewayDefault} is the ${sameAddress(parsedDefault.addr, robot.network) ? 'network' : 'broadcast'} address of robotSubnet ${robot.networkText}`,
      "use the LAN router's address",
    );
  } else if (holder.has(parsedDefault.text)) {
    out.error(
      path,
      `${gatewayDefault} is already used by ${holder.get(parsedDefault.text) as string}`,
      "the default gateway is the LAN's router; it cannot be a rosvpn host's address",
    );
  }
}

/** Whose device `nic` is, when it is not a LAN NIC the user owns. */
function ownedDevice(nic: string): string | undefined {
  if (nic === BRIDGE_NAME) return `${nic} is the bridge rosvpn creates`;
  if (nic.startsWith('tap')) return `${nic} is an OpenVPN tap device (rosvpn creates tap devices itself)`;
  if (nic === VXLAN_DEVICE) return `${nic} is the VXLAN device rosvpn creates`;
  if (nic.startsWith('rosgre')) return `${nic} is a gretap device name rosvpn creates`;
  if (nic === 'docker0') return `${nic} is Docker's bridge`;
  if (nic === 'lo') return `${nic} is the loopback interface`;
  return undefined;
}

export function desktopRules(ctx: RuleContext, robot: ParsedCidr | undefined, lan: RobotLan): void {
  const { desktop, out } = ctx;
  if (!desktop) return;
  if (lan.addressing === 'static' && !out.bad.has('desktop.addressing')) {
    if (desktop.address === undefined) {
      out.error(
        'desktop.address',
        'is missing; desktop.addressing is static',
        `add "address": ${ctx.hint(['desktop', 'address'])}, or set "addressing": "dhcp"`,
      );
    }
    defaultGatewayRule(ctx, robot, lan);
  } else if (lan.addressing === 'dhcp') {
    for (const key of ['address', 'defaultGateway'] as const) {
      if (desktop[key] !== undefined) {
        out.warn(
          `desktop.${key}`,
          `${show(desktop[key])} is ignored because desktop.addressing is dhcp`,
          `remove it, or set "addressing": "static" to use it`,
        );
      }
    }
  }
  const nic = ctx.str(['desktop', 'lanInterface']);
  const owner = nic !== undefined ? ownedDevice(nic) : undefined;
  if (owner)
    out.error(
      'desktop.lanInterface',
      `${owner}, not the LAN NIC`,
      'use the physical NIC that connects to the robot LAN, as shown by "ip link", e.g. eno1',
    );
}
