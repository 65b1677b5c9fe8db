// The robot LAN and the VPC subnet: well-formed networks, private, and clear of each other and of the ranges
// the hosts already use (link-local, Docker's bridge, OpenVPN's pool).

import { isPrivateNetwork, knownNetwork, overlaps, parseCidr, sameAddress, type ParsedCidr } from '../ipv4';
import { show } from '../text';
import type { RuleContext } from './context';

const DOCKER_DEFAULT = knownNetwork('172.17.0.0/16');
const OPENVPN_POOL = knownNetwork('192.168.255.0/24');
const LINK_LOCAL = knownNetwork('169.254.0.0/16');

export interface Subnets {
  /** Unset when robotSubnet is missing or has an error: rules that need it then say nothing. */
  robot?: ParsedCidr;
  cloud?: ParsedCidr;
}

/** One subnet, parsed, or undefined (reported) when it is not a usable network. */
function subnet(ctx: RuleContext, key: 'robotSubnet' | 'cloudSubnet', what: string): ParsedCidr | undefined {
  const { out } = ctx;
  const v = ctx.str([key]);
  if (v === undefined) return undefined;
  const p = parseCidr(v);
  if (!p.ok) {
    out.error(key, `${show(v)} ${p.problem}`, p.suggestion ? `write ${p.suggestion}` : `use ${ctx.hint([key])}`);
    return undefined;
  }
  if (!sameAddress(p.addr, p.network)) {
    out.error(key, `${v} is not a network address (host bits are set)`, `use ${p.networkText}`);
    return undefined;
  }
  if (p.prefix > 30) {
    out.error(
      key,
      `${v} is too small for ${what} (a /${p.prefix} has no room for hosts)`,
      `use a larger network, e.g. ${knownNetwork(`${p.network.toString()}/24`).networkText}`,
    );
    return undefined;
  }
  return p;
}

/** Rules 2, 5, 6. */
export function subnetRules(ctx: RuleContext): Subnets {
  const { out } = ctx;
  let robot = subnet(ctx, 'robotSubnet', 'the robot LAN');
  const cloud = subnet(ctx, 'cloudSubnet', 'the VPC subnet');
  if (robot && overlaps(robot, LINK_LOCAL)) {
    out.error(
      'robotSubnet',
      `${robot.networkText} overlaps the link-local range ${LINK_LOCAL.networkText} (EC2's instance metadata and DNS live there)`,
      'use a private range, e.g. 192.168.0.0/24',
    );
    robot = undefined;
  } else if (robot && !isPrivateNetwork(robot)) {
    out.error(
      'robotSubnet',
      `${robot.networkText} is not a private range: the bridge would hide public addresses of that range from every host`,
      'use a range inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10, e.g. 192.168.0.0/24',
    );
    robot = undefined;
  }
  if (robot && cloud && overlaps(robot, cloud)) {
    out.error(
      'robotSubnet',
      `${robot.networkText} overlaps cloudSubnet ${cloud.networkText} (routing conflict: the cloud hosts could not tell robot LAN addresses from VPC addresses)`,
      'choose a robot LAN subnet that does not overlap the VPC subnet, or give the instances a VPC subnet elsewhere',
    );
  }
  if (robot && overlaps(robot, DOCKER_DEFAULT)) {
    out.warn(
      'robotSubnet',
      `${robot.networkText} overlaps Docker's default bridge network ${DOCKER_DEFAULT.networkText}`,
      'hosts running Docker would route these addresses to docker0; pick another robot subnet or move Docker\'s bridge ("bip" in /etc/docker/daemon.json)',
    );
  }
  if (robot && overlaps(robot, OPENVPN_POOL)) {
    out.warn(
      'robotSubnet',
      `${robot.networkText} overlaps OpenVPN's server address pool ${OPENVPN_POOL.networkText} (the original guide's "server" line)`,
      'pick another robot subnet so the pool and its route cannot shadow the LAN',
    );
  }
  return { robot, cloud };
}
