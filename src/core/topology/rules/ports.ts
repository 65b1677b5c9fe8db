// Ports on the gateway: OpenVPN, the VXLAN underlay and sshd must not share a socket.

import { formatPath, type PathSegment } from '../text';
import { DEFAULTS } from '../types';
import { asObject, valueAt, type RuleContext } from './context';

export function gatewayPortRules(ctx: RuleContext): void {
  const { doc, gateway, out } = ctx;
  if (!gateway) return;
  /** A number at `segments` (its default when absent), or undefined when it has an error. */
  const num = (segments: readonly PathSegment[], dflt: number): number | undefined => {
    const v = valueAt(doc, segments);
    if (v === undefined) return dflt;
    return typeof v === 'number' && !out.bad.has(formatPath(segments)) ? v : undefined;
  };
  const proto = typeof gateway.openvpnProto === 'string' ? gateway.openvpnProto : DEFAULTS.openvpnProto;
  const ovpn = num(['gateway', 'openvpnPort'], DEFAULTS.openvpnPort);
  const vxPort = num(['vxlan', 'port'], DEFAULTS.vxlanPort);
  const tunnel = typeof doc.tunnel === 'string' ? doc.tunnel : DEFAULTS.tunnel;
  if (proto === 'udp' && tunnel === 'vxlan' && ovpn !== undefined && ovpn === vxPort) {
    const explicit = asObject(doc.vxlan)?.port !== undefined;
    out.error(
      explicit ? 'vxlan.port' : 'gateway.openvpnPort',
      explicit
        ? `UDP ${vxPort} is also gateway.openvpnPort: OpenVPN and VXLAN cannot share a UDP port on the gateway`
        : `UDP ${ovpn} is also the VXLAN port (vxlan.port, default ${DEFAULTS.vxlanPort}): OpenVPN and VXLAN cannot share a UDP port on the gateway`,
      explicit
        ? `use another vxlan.port, e.g. ${ovpn === DEFAULTS.vxlanPort ? 4790 : DEFAULTS.vxlanPort}`
        : `use another openvpnPort, e.g. ${DEFAULTS.openvpnPort}`,
    );
  }
  if (proto === 'tcp' && ovpn === 22) {
    out.error(
      'gateway.openvpnPort',
      'TCP 22 is SSH on the gateway: OpenVPN over TCP cannot listen there',
      `use another port, e.g. ${DEFAULTS.openvpnPort} or 443`,
    );
  }
}
