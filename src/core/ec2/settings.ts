// The cloud settings (region, profile, instance type, key pair, AMI, subnet, who may reach SSH and OpenVPN)
// from CLI flags or VS Code settings, validated before any of them reaches an API call. Errors name the
// flag or setting the user wrote and what to write instead. No SDK import; never imports `vscode`.
import { parseCidr } from '../topology/ipv4';
import { CLOUD_DEFAULTS, type CloudSettings } from './model';

export type CloudSettingKey = 'region' | 'profile' | 'instanceType' | 'keyName' | 'amiId' | 'subnetId' | 'sshCidr' | 'openvpnCidr';

/** What the user wrote; empty strings count as unset (VS Code settings default to ""). */
export type RawCloudSettings = Partial<Record<CloudSettingKey, string | undefined>>;

export class CloudSettingsError extends Error {
  constructor(
    message: string,
    readonly key: CloudSettingKey,
  ) {
    super(message);
    this.name = 'CloudSettingsError';
  }
}

/** The checks of the settings that have a fixed form (package.json's patterns must say the same: a test holds them equal). */
export const PATTERNS: Record<Exclude<CloudSettingKey, 'sshCidr' | 'openvpnCidr'>, { re: RegExp; example: string }> = {
  region: { re: /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, example: 'us-west-2' },
  // Profile names are free text in ~/.aws/config, but never contain whitespace or brackets.
  profile: { re: /^[A-Za-z0-9_.@+-]{1,128}$/, example: 'robotics-dev' },
  instanceType: { re: /^[a-z][a-z0-9-]*\.[a-z0-9]+$/, example: 't3.small' },
  keyName: { re: /^[\x21-\x7e][\x20-\x7e]{0,254}$/, example: 'robots' },
  amiId: { re: /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/, example: 'ami-0123456789abcdef0' },
  subnetId: { re: /^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/, example: 'subnet-0123456789abcdef0' },
};

/**
 * Validates and fills in defaults. `name(key)` is how the user knows the field (`--region` for the CLI,
 * `rosvpn.aws.region` in VS Code); `regionFallback` is the standard chain's region (AWS_REGION, …).
 */
export function resolveCloudSettings(
  raw: RawCloudSettings,
  name: (key: CloudSettingKey) => string,
  regionFallback?: string,
): CloudSettings {
  const get = (k: CloudSettingKey) => {
    const v = raw[k]?.trim();
    return v ? v : undefined;
  };
  for (const [k, p] of Object.entries(PATTERNS) as [keyof typeof PATTERNS, (typeof PATTERNS)[keyof typeof PATTERNS]][]) {
    const v = get(k);
    if (v !== undefined && !p.re.test(v))
      throw new CloudSettingsError(`${name(k)} '${v.slice(0, 80)}' is not valid: write something like ${p.example}`, k);
  }
  const cidr = (k: 'sshCidr' | 'openvpnCidr', v: string) => {
    if (k === 'sshCidr' && v.toLowerCase() === 'auto') return 'auto';
    const c = parseCidr(v);
    if (!c.ok)
      throw new CloudSettingsError(
        `${name(k)} '${v.slice(0, 40)}' ${c.problem}: write an IPv4 network like ${c.suggestion ?? '203.0.113.0/24'}${k === 'sshCidr' ? ", or 'auto' for this machine's public address" : ' (or 0.0.0.0/0 for anywhere)'}`,
        k,
      );
    if (c.text !== c.networkText) throw new CloudSettingsError(`${name(k)} '${v}' has host bits set: write ${c.networkText}`, k);
    return c.text;
  };
  const ssh = get('sshCidr');
  const region = get('region') ?? (regionFallback?.trim() || undefined);
  if (!region) throw new CloudSettingsError(`no AWS region: set ${name('region')} (e.g. us-west-2) or AWS_REGION`, 'region');
  if (!PATTERNS.region.re.test(region))
    throw new CloudSettingsError(`AWS region '${region.slice(0, 40)}' is not valid: write something like us-west-2`, 'region');
  const opt = <K extends CloudSettingKey>(k: K, key: keyof CloudSettings) => (get(k) !== undefined ? { [key]: get(k) } : {});
  return {
    region,
    ...opt('profile', 'profile'),
    instanceType: get('instanceType') ?? CLOUD_DEFAULTS.instanceType,
    ...opt('keyName', 'keyName'),
    ...opt('amiId', 'amiId'),
    ...opt('subnetId', 'subnetId'),
    ...(ssh !== undefined ? { sshCidr: cidr('sshCidr', ssh) } : {}),
    openvpnCidr: cidr('openvpnCidr', get('openvpnCidr') ?? CLOUD_DEFAULTS.openvpnCidr),
  } as CloudSettings;
}

/** The VS Code setting of each key, e.g. `rosvpn.aws.keyName`. */
export const settingName = (k: CloudSettingKey): string => `rosvpn.aws.${k}`;

/** The CLI flag of each key, e.g. `--key-name`. */
export const flagName = (k: CloudSettingKey): string =>
  ({
    region: '--region',
    profile: '--profile',
    instanceType: '--instance-type',
    keyName: '--key-name',
    amiId: '--ami',
    subnetId: '--subnet',
    sshCidr: '--ssh-cidr',
    openvpnCidr: '--openvpn-cidr',
  })[k];

/** Said wherever an SSH CIDR is missing: every way to give one. */
export const SSH_CIDR_HOW =
  "pass --ssh-cidr CIDR (CLI) or set rosvpn.aws.sshCidr (VS Code), e.g. 198.51.100.0/24 for your office, or 'auto' for this machine's public address as AWS sees it (checkip.amazonaws.com); 0.0.0.0/0 opens SSH and ping to the whole internet and must be written out";

/** `up` needs to know who may reach SSH: nothing is world-open unless asked for by name. */
export function requireSshCidr(s: CloudSettings): string {
  if (!s.sshCidr || s.sshCidr === 'auto')
    throw new CloudSettingsError(
      `no SSH CIDR: the instances' SSH (TCP 22) and ping are open only to the addresses you name: ${SSH_CIDR_HOW}`,
      'sshCidr',
    );
  return s.sshCidr;
}

/** Replaces `auto` by this machine's public address as a /32, from `lookup` (checkip.ts). */
export async function resolveSshCidr(s: CloudSettings, lookup: () => Promise<string>): Promise<CloudSettings> {
  if (s.sshCidr !== 'auto') return s;
  return { ...s, sshCidr: `${await lookup()}/32` };
}
