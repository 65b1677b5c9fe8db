// Cloud settings are validated before they reach an API call; errors name the flag or setting to fix.
import { strict as assert } from 'assert';
import { flagName, requireSshCidr, resolveCloudSettings, resolveSshCidr, settingName } from '../../src/core/ec2/settings';

describe('EC2: cloud settings from flags or VS Code settings', () => {
  it('fills in the defaults and drops empty strings (VS Code settings default to "")', () => {
    assert.deepEqual(resolveCloudSettings({ region: 'us-west-2', profile: '', keyName: 'robots', amiId: '' }, settingName), {
      region: 'us-west-2',
      instanceType: 't3.small',
      keyName: 'robots',
      openvpnCidr: '0.0.0.0/0',
    });
  });

  it('has no SSH CIDR by default: up refuses, naming the flag, the setting and auto; 0.0.0.0/0 only when written', () => {
    const none = resolveCloudSettings({ region: 'us-west-2', sshCidr: '' }, settingName);
    assert.equal(none.sshCidr, undefined);
    assert.throws(
      () => requireSshCidr(none),
      (e: Error & { key?: string }) =>
        e.key === 'sshCidr' && /--ssh-cidr CIDR/.test(e.message) && /rosvpn\.aws\.sshCidr/.test(e.message) && /'auto'/.test(e.message),
    );
    assert.throws(() => requireSshCidr({ ...none, sshCidr: 'auto' }), /no SSH CIDR/, 'auto must be resolved first');
    // Negative controls: a CIDR given by name, world-open included, is taken as written.
    assert.equal(requireSshCidr(resolveCloudSettings({ region: 'us-west-2', sshCidr: '0.0.0.0/0' }, flagName)), '0.0.0.0/0');
    assert.equal(requireSshCidr(resolveCloudSettings({ region: 'us-west-2', sshCidr: '198.51.100.0/24' }, flagName)), '198.51.100.0/24');
  });

  it("auto becomes this machine's public address as a /32, from the lookup", async () => {
    const s = resolveCloudSettings({ region: 'us-west-2', sshCidr: 'AUTO' }, flagName);
    assert.equal(s.sshCidr, 'auto');
    assert.equal((await resolveSshCidr(s, async () => '198.51.100.23')).sshCidr, '198.51.100.23/32');
    const fixed = resolveCloudSettings({ region: 'us-west-2', sshCidr: '203.0.113.0/24' }, flagName);
    assert.equal(await resolveSshCidr(fixed, async () => assert.fail('no lookup without auto')), fixed);
  });

  it('takes the region from the standard chain when none is set, and says where to set one otherwise', () => {
    assert.equal(resolveCloudSettings({}, flagName, 'eu-central-1').region, 'eu-central-1');
    assert.throws(() => resolveCloudSettings({}, settingName), /no AWS region: set rosvpn\.aws\.region \(e\.g\. us-west-2\) or AWS_REGION/);
    assert.throws(() => resolveCloudSettings({}, flagName), /set --region/);
  });

  for (const [key, value, pattern] of [
    ['region', 'Oregon', /rosvpn\.aws\.region 'Oregon' is not valid: write something like us-west-2/],
    ['amiId', 'ubuntu', /rosvpn\.aws\.amiId 'ubuntu' is not valid: write something like ami-0123456789abcdef0/],
    ['subnetId', 'subnet-xyz', /rosvpn\.aws\.subnetId 'subnet-xyz' is not valid/],
    ['instanceType', 'small', /rosvpn\.aws\.instanceType 'small' is not valid: write something like t3\.small/],
    ['sshCidr', '10.0.0.1', /rosvpn\.aws\.sshCidr '10\.0\.0\.1' has no prefix length.*write an IPv4 network like 10\.0\.0\.1\/24/],
    ['sshCidr', '198.51.100.7/24', /rosvpn\.aws\.sshCidr '198\.51\.100\.7\/24' has host bits set: write 198\.51\.100\.0\/24/],
    ['openvpnCidr', '300.1.1.0/24', /rosvpn\.aws\.openvpnCidr '300\.1\.1\.0\/24' has the octet 300/],
    ['profile', 'my profile', /rosvpn\.aws\.profile 'my profile' is not valid/],
  ] as const) {
    it(`refuses ${key} = ${JSON.stringify(value)}, naming the setting and the fix`, () => {
      assert.throws(
        () => resolveCloudSettings({ region: 'us-west-2', [key]: value }, settingName),
        (e: Error & { key?: string }) => {
          assert.match(e.message, pattern);
          assert.equal(e.key, key);
          return true;
        },
      );
    });
  }

  it('the CLI names its flags', () => {
    assert.throws(() => resolveCloudSettings({ region: 'us-west-2', keyName: '', amiId: 'x' }, flagName), /--ami 'x' is not valid/);
  });
});
