// The cloud side (rules 4, 5, 6): every instance's private VPC address, and the gateway's public address.

import { awsReserved, awsUsableRange, inside, parseIpv4, type ParsedCidr } from '../ipv4';
import { formatPath, show, type PathSegment } from '../text';
import { isPlainObject, type RuleContext } from './context';

/** Ranges of ipaddr.js that can never be the address a desktop reaches over the internet. */
const NOT_PUBLIC: Record<string, string> = {
  unspecified: 'an unspecified address (0.0.0.0/8)',
  loopback: 'a loopback address',
  private: 'a private (RFC 1918) address',
  linkLocal: 'a link-local address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
};

/** Rules 4, 5: each cloudIp a usable address of cloudSubnet, outside the robot LAN, and no two the same. */
export function cloudAddressRules(ctx: RuleContext, robot: ParsedCidr | undefined, cloud: ParsedCidr | undefined): void {
  const { gateway, seconds, out } = ctx;
  const cloudHolder = new Map<string, string>();
  const cloudCandidates: PathSegment[][] = [];
  if (gateway) cloudCandidates.push(['gateway', 'cloudIp']);
  seconds?.forEach((s, i) => {
    if (isPlainObject(s)) cloudCandidates.push(['seconds', i, 'cloudIp']);
  });
  for (const segments of cloudCandidates) {
    const v = ctx.str(segments);
    if (v === undefined) continue;
    const path = formatPath(segments);
    const p = parseIpv4(v);
    if (!p.ok) {
      out.error(path, `${show(v)} ${p.problem}`, p.suggestion ? `write ${p.suggestion}` : `use ${ctx.hint(segments)}`);
      continue;
    }
    if (cloud && !inside(p.addr, cloud)) {
      out.error(
        path,
        `${v} is outside cloudSubnet ${cloud.networkText}`,
        `use the instance's private address inside ${cloud.networkText} (EC2 console: Private IPv4 address), or correct cloudSubnet`,
      );
      continue;
    }
    const reserved = cloud ? awsReserved(p.addr, cloud) : undefined;
    if (cloud && reserved) {
      const [first, last] = awsUsableRange(cloud);
      out.error(
        path,
        `${v} is ${reserved} of cloudSubnet ${cloud.networkText}; AWS reserves it in every subnet`,
        `use a free address from ${first} to ${last}`,
      );
      continue;
    }
    if (robot && inside(p.addr, robot)) {
      out.error(
        path,
        `${v} lies inside robotSubnet ${robot.networkText} (routing conflict)`,
        'cloud IPs are VPC addresses and must lie outside the robot LAN; check the address, or move the robot subnet or the VPC',
      );
      continue;
    }
    const other = cloudHolder.get(p.text);
    if (other !== undefined) {
      out.error(
        path,
        `${v} is already used by ${other}`,
        "every instance has its own private address; copy this instance's from the EC2 console",
      );
      continue;
    }
    cloudHolder.set(p.text, path);
  }
}

/** Rule 6: the gateway's public address is set, and is one the desktop can reach over the internet. */
export function publicAddressRule(ctx: RuleContext, robot: ParsedCidr | undefined): void {
  const { gateway, out } = ctx;
  if (!gateway) return;
  if (gateway.publicAddress === undefined) {
    out.warn(
      'gateway.publicAddress',
      'is not set; it is needed to render the OpenVPN client profile',
      "'rosvpn cloud up' fills it in, or set it to the gateway's Elastic IP",
    );
    return;
  }
  const pub = ctx.str(['gateway', 'publicAddress']);
  if (pub !== undefined && /^[0-9.]+$/.test(pub)) {
    const p = parseIpv4(pub);
    if (!p.ok) {
      out.error(
        'gateway.publicAddress',
        `${show(pub)} ${p.problem}`,
        p.suggestion ? `write ${p.suggestion}` : `use ${ctx.hint(['gateway', 'publicAddress'])}`,
      );
    } else if (robot && inside(p.addr, robot)) {
      out.error(
        'gateway.publicAddress',
        `${pub} lies inside robotSubnet ${robot.networkText}; the VPN would be routed through itself`,
        "use the gateway's Elastic IP",
      );
    } else if (NOT_PUBLIC[p.addr.range()]) {
      out.error(
        'gateway.publicAddress',
        `${pub} is ${NOT_PUBLIC[p.addr.range()]}; the desktop reaches the gateway over the internet`,
        "use the gateway's Elastic IP or public DNS name ('rosvpn cloud up' writes it)",
      );
    }
  } else if (pub !== undefined && /^localhost\.?$|\.localhost\.?$/i.test(pub)) {
    out.error(
      'gateway.publicAddress',
      `${pub} names this machine (loopback); the desktop reaches the gateway over the internet`,
      "use the gateway's Elastic IP or public DNS name ('rosvpn cloud up' writes it)",
    );
  }
}
