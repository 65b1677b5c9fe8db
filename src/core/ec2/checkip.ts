// `--ssh-cidr auto`: this machine's public IPv4 address as AWS sees it, from AWS's check-IP service
// (https://checkip.amazonaws.com answers the caller's address as one line of text). ROSVPN_CHECKIP_URL
// replaces the service (tests point it at a loopback fake). The answer is remote data: only a public IPv4
// address is accepted. No SDK; never imports `vscode`.
import { parseIpv4 } from '../topology/ipv4';
import { CloudSettingsError } from './settings';

export const CHECKIP_URL = 'https://checkip.amazonaws.com';

const NOT_PUBLIC = new Set(['unspecified', 'loopback', 'private', 'linkLocal', 'multicast', 'broadcast', 'carrierGradeNat']);

/** The service's URL: ROSVPN_CHECKIP_URL when set (http or https only), else checkip.amazonaws.com. */
export function checkIpUrl(env: NodeJS.ProcessEnv = process.env): string {
  const u = env.ROSVPN_CHECKIP_URL?.trim();
  if (!u) return CHECKIP_URL;
  let parsed: URL;
  try {
    parsed = new URL(u);
  } catch {
    throw new CloudSettingsError(`ROSVPN_CHECKIP_URL '${u.slice(0, 80)}' is not a URL: unset it to use ${CHECKIP_URL}`, 'sshCidr');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new CloudSettingsError(`ROSVPN_CHECKIP_URL must be an http(s) URL, not '${u.slice(0, 80)}'`, 'sshCidr');
  return parsed.toString();
}

/** This machine's public IPv4 address (dotted quad), or an error that says to give the CIDR by hand. */
export async function publicIpv4(url = checkIpUrl(), timeoutMs = 10_000, fetchImpl: typeof fetch = fetch): Promise<string> {
  const fail = (why: string) =>
    new CloudSettingsError(
      `--ssh-cidr / rosvpn.aws.sshCidr 'auto': ${why}: give your network instead, e.g. --ssh-cidr 198.51.100.0/24`,
      'sshCidr',
    );
  let text: string;
  try {
    const res = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    if (!res.ok) throw fail(`${url} answered HTTP ${res.status}`);
    text = (await res.text()).slice(0, 100);
  } catch (e) {
    if ((e as Error).name === 'CloudSettingsError') throw e;
    throw fail(`could not ask ${url} for this machine's public address (${(e as Error).message})`);
  }
  const answer = text.trim();
  const ip = parseIpv4(answer);
  if (!ip.ok) throw fail(`${url} answered ${JSON.stringify(answer.slice(0, 40))}, not an IPv4 address`);
  if (NOT_PUBLIC.has(ip.addr.range())) throw fail(`${url} answered ${ip.text}, which is not a public address`);
  return ip.text;
}
