// Client profiles for the tests: what the gateway writes (renderClientOptions and the four inline blocks),
// with harmless stand-ins for the PEM content; validateProfile accepts them.
import { renderClientOptions } from '../../src/core/render/openvpn';
import type { GatewayConfig } from '../../src/core/topology/types';

const pem = (label: string, body = 'MIIBszCCAVmgAwIBAgIUQ2Fu\nbm90IGJlIHVzZWQ=') =>
  `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`;

/** The inline blocks; `tag` goes into the key's body, so that profiles of different clients differ. */
export function profileBlocks(tag = 'bm90IGJlIHVzZWQ='): string {
  return [
    `<ca>\n${pem('CERTIFICATE')}\n</ca>`,
    `<cert>\nCertificate:\n    Data:\n        Version: 3 (0x2)\n${pem('CERTIFICATE')}\n</cert>`,
    `<key>\n${pem('PRIVATE KEY', tag)}\n</key>`,
    `<tls-crypt>\n#\n# 2048 bit OpenVPN static key\n#\n${pem('OpenVPN Static key V1')}\n</tls-crypt>`,
  ].join('\n');
}

const LAB_GATEWAY: GatewayConfig = {
  host: 'gw',
  publicAddress: '203.0.113.1',
  cloudIp: '172.31.1.11',
  vpnIp: '192.168.0.130/24',
  openvpnPort: 1194,
  openvpnProto: 'udp',
};

/** A valid profile; `tag` makes it unique (e.g. the client's name in base64-ish letters). */
export function fakeProfile(opts: { gateway?: GatewayConfig; name?: string; mtu?: number; tag?: string } = {}): string {
  return `${renderClientOptions(opts.name ?? 'lab', opts.gateway ?? LAB_GATEWAY, opts.mtu ?? 1500)}${profileBlocks(opts.tag)}\n`;
}
