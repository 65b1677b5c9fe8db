// Addresses on the robot LAN (rule 3): the gateway's, every second's and every client's vpnIp, and a static
// desktop's address, each a host address inside robotSubnet with its prefix length, and no two the same.

import {
  firstFreeAddress,
  inside,
  lastFreeAddress,
  parseCidr,
  parseIpv4,
  sameAddress,
  type IpProblem,
  type ParsedCidr,
  type ParsedIpv4,
} from '../ipv4';
import { formatPath, show, type PathSegment } from '../text';
import { DEFAULTS } from '../types';
import { isPlainObject, type RuleContext } from './context';

interface LanEntry {
  segments: PathSegment[];
  value: string;
  parsed: ParsedCidr;
}

/** What the desktop rules need from this pass. */
export interface RobotLan {
  /** desktop.addressing, or its default, when there is a desktop. */
  addressing: unknown;
  /** desktop.defaultGateway when the desktop is static and the value has no error yet; and it parsed. */
  gatewayDefault?: string;
  parsedDefault?: ParsedIpv4 | IpProblem;
  /** Address (no prefix) to the path that holds it. */
  holder: Map<string, string>;
}

/** The LAN address fields present, parsed; a value that does not parse is reported and left out. */
function lanEntries(ctx: RuleContext, robot: ParsedCidr | undefined, addressing: unknown): LanEntry[] {
  const { gateway, desktop, seconds, clients } = ctx;
  const lan: LanEntry[] = [];
  const lanCandidates: PathSegment[][] = [];
  if (gateway) lanCandidates.push(['gateway', 'vpnIp']);
  seconds?.forEach((s, i) => {
    if (isPlainObject(s)) lanCandidates.push(['seconds', i, 'vpnIp']);
  });
  if (desktop && addressing === 'static') lanCandidates.push(['desktop', 'address']);
  // Clients last: a clash is reported on the client, the newest kind of entry.
  clients?.forEach((c, i) => {
    if (isPlainObject(c)) lanCandidates.push(['clients', i, 'vpnIp']);
  });
  for (const segments of lanCandidates) {
    const v = ctx.str(segments);
    if (v === undefined) continue;
    const p = parseCidr(v, robot?.prefix ?? 24);
    if (!p.ok) {
      ctx.out.error(segments, `${show(v)} ${p.problem}`, p.suggestion ? `write ${p.suggestion}` : `use ${ctx.hint(segments)}`);
      continue;
    }
    lan.push({ segments, value: v, parsed: p });
  }
  return lan;
}

/** Why an address does not fit robotSubnet, as [message, fix], or undefined when it fits. */
function outsideRobotLan(e: LanEntry, robot: ParsedCidr, example: (e: LanEntry) => string): [string, string] | undefined {
  const { value, parsed } = e;
  if (!inside(parsed.addr, robot)) {
    return [`${value} is outside robotSubnet ${robot.networkText}`, `choose a free address inside ${robot.networkText}${example(e)}`];
  }
  if (parsed.prefix !== robot.prefix) {
    return [
      `${value} has prefix length /${parsed.prefix} but robotSubnet ${robot.networkText} is a /${robot.prefix}`,
      `write ${parsed.addr.toString()}/${robot.prefix}`,
    ];
  }
  if (sameAddress(parsed.addr, robot.network)) {
    return [
      `${value} is the network address of robotSubnet ${robot.networkText}`,
      `choose a free host address inside ${robot.networkText}${example(e)}`,
    ];
  }
  if (sameAddress(parsed.addr, robot.broadcast)) {
    return [
      `${value} is the broadcast address of robotSubnet ${robot.networkText}`,
      `choose a free host address inside ${robot.networkText}${example(e)}`,
    ];
  }
  return undefined;
}

export function robotLanRules(ctx: RuleContext, robot: ParsedCidr | undefined): RobotLan {
  const { desktop, out } = ctx;
  const addressing = desktop ? (desktop.addressing ?? DEFAULTS.addressing) : undefined;
  const lan = lanEntries(ctx, robot, addressing);
  const gatewayDefault = desktop && addressing === 'static' ? ctx.str(['desktop', 'defaultGateway']) : undefined;
  const parsedDefault = gatewayDefault !== undefined ? parseIpv4(gatewayDefault) : undefined;
  const usedLan = new Set<string>(lan.map((e) => e.parsed.addr.toString()));
  if (parsedDefault?.ok) usedLan.add(parsedDefault.text);
  const gatewayLan = lan.find((e) => e.segments[0] === 'gateway');
  const example = (e: LanEntry): string => {
    if (!robot) return '';
    // Clients take addresses from the top of the subnet downward (as `rosvpn client add` picks them).
    const free = e.segments[0] === 'clients' ? lastFreeAddress(robot, usedLan) : firstFreeAddress(robot, usedLan, gatewayLan?.parsed.addr);
    return free ? `, e.g. ${free.toString()}/${robot.prefix}` : '';
  };
  const holder = new Map<string, string>();
  for (const e of lan) {
    const path = formatPath(e.segments);
    const outside = robot ? outsideRobotLan(e, robot, example) : undefined;
    if (outside) {
      out.error(path, ...outside);
      continue;
    }
    const key = e.parsed.addr.toString();
    const other = holder.get(key);
    if (other !== undefined) {
      out.error(
        path,
        `${e.value} is already used by ${other}`,
        `every host needs its own address; choose a free address${robot ? ` inside ${robot.networkText}${example(e)}` : ''}`,
      );
      continue;
    }
    holder.set(key, path);
  }
  return { addressing, gatewayDefault, parsedDefault, holder };
}
