// SSH jumps (rules 9, 10): a jump's port is a real port, and neither the gateway nor the desktop is reached
// through the gateway (by its own jump, or one inherited from ssh.jump).

import { show, type PathSegment } from '../text';
import type { Doc, RuleContext } from './context';

/** The gateway or the desktop jumping through the gateway, directly or by inheriting ssh.jump. */
function selfJumpRule(ctx: RuleContext, host: 'gateway' | 'desktop', obj: Doc | undefined, sshJump: string | undefined): void {
  if (!obj) return;
  const reason =
    host === 'gateway'
      ? 'the gateway cannot jump through itself'
      : 'the desktop is on the robot LAN, not in the VPC, so it is not reached through the cloud gateway';
  const fix =
    host === 'gateway'
      ? 'remove jump, or name a bastion host or ssh config alias'
      : 'remove jump (the desktop is usually localhost or reachable on the LAN)';
  const own = obj.jump !== undefined ? ctx.str([host, 'jump']) : undefined;
  if (own === 'gateway') {
    ctx.out.error([host, 'jump'], `gateway is not allowed here: ${reason}`, fix);
  } else if (obj.jump === undefined && sshJump === 'gateway') {
    ctx.out.error(
      ['ssh', 'jump'],
      `gateway is inherited by the ${host}: ${reason}`,
      `set "jump": "gateway" on the seconds only, or override ${host}.jump`,
    );
  }
}

export function jumpRules(ctx: RuleContext): void {
  const jumpPaths: PathSegment[][] = [
    ['ssh', 'jump'],
    ['gateway', 'jump'],
    ['desktop', 'jump'],
  ];
  ctx.seconds?.forEach((_, i) => jumpPaths.push(['seconds', i, 'jump']));
  ctx.clients?.forEach((_, i) => jumpPaths.push(['clients', i, 'jump']));
  for (const segments of jumpPaths) {
    const j = ctx.str(segments);
    const port = j !== undefined ? /:(\d+)$/.exec(j)?.[1] : undefined;
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
      ctx.out.error(
        segments,
        `${show(j)} has port ${port}, outside 1–65535`,
        'use user@host:port with a valid port, e.g. ubuntu@bastion:22',
      );
    }
  }
  // Read once: an error the gateway's check reports on ssh.jump must not hide it from the desktop's.
  const sshJump = ctx.str(['ssh', 'jump']);
  selfJumpRule(ctx, 'gateway', ctx.gateway, sshJump);
  selfJumpRule(ctx, 'desktop', ctx.desktop, sshJump);
}
