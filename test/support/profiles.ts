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

/**
 * The part of a stand-in host script that behaves like the real one run with `--wait-for-profile PATH`: waits
 * for PATH (polling every 0.05 s, `tries` times), fails the openvpn-client step when PATH.failed appears, records
 * when the profile came in MARKS/LABEL.profile-time, and shifts the two arguments away.
 */
export function waitForProfileBash(label: string, marks: string, tries: number, okSteps = 0): string {
  return `if [ "\${1:-}" = --wait-for-profile ]; then
  for _ in $(seq 1 ${tries}); do
    if [ -e "$2.failed" ]; then
      echo "::step name=openvpn-client status=failed msg=\\"no profile from the gateway: $(cat "$2.failed")\\""
      echo "::summary role=x host=${label} changed=0 ok=${okSteps} skipped=0 failed=1"
      exit 1
    fi
    if [ -s "$2" ]; then break; fi
    sleep 0.05
  done
  date +%s%N > '${marks}/${label}.profile-time'
  shift
fi`;
}
