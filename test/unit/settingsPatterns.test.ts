// The rosvpn.aws.* settings: the patterns package.json gives VS Code's Settings editor must accept exactly
// what the core accepts, so that a value the editor lets through is never refused later, and the other way.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { PATTERNS, resolveCloudSettings, settingName, type CloudSettingKey } from '../../src/core/ec2/settings';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
const props: Record<string, { pattern?: string; default?: unknown }> = manifest.contributes.configuration.properties;

describe('settings: package.json patterns = the core checks', () => {
  it('each fixed-form setting has the core pattern (plus "^$|" where empty means unset)', () => {
    for (const [key, p] of Object.entries(PATTERNS)) {
      const prop = props[settingName(key as CloudSettingKey)];
      assert.ok(prop, `package.json has no ${settingName(key as CloudSettingKey)}`);
      const wanted = prop.default === '' ? `^$|${p.re.source}` : p.re.source;
      assert.equal(prop.pattern, wanted, `${settingName(key as CloudSettingKey)}: package.json's pattern differs from the core's`);
    }
  });

  it('every rosvpn.aws.* setting is one the core reads, and has a pattern', () => {
    const keys = Object.keys(props).filter((k) => k.startsWith('rosvpn.aws.'));
    const core: CloudSettingKey[] = ['region', 'profile', 'instanceType', 'keyName', 'amiId', 'subnetId', 'sshCidr', 'openvpnCidr'];
    assert.deepEqual(keys.sort(), core.map(settingName).sort());
    for (const k of keys) assert.ok(props[k].pattern, `${k} has no pattern`);
  });

  it('the CIDR settings: the editor pattern accepts every value the core accepts (corpus, with rejects as controls)', () => {
    const corpus = [
      '0.0.0.0/0',
      '203.0.113.0/24',
      '198.51.100.7/32',
      '10.0.0.0/8',
      'auto',
      'AUTO',
      '',
      '10.0.0.1/8',
      '300.1.1.1/8',
      '1.2.3.4',
      'x/8',
      '1.2.3.0/33',
      ' 1.2.3.0/24',
    ];
    for (const key of ['sshCidr', 'openvpnCidr'] as const) {
      const re = new RegExp(props[settingName(key)].pattern!);
      let accepted = 0;
      for (const v of corpus) {
        let core = true;
        try {
          resolveCloudSettings({ region: 'us-west-2', [key]: v }, settingName);
        } catch {
          core = false;
        }
        if (core && v.trim() !== '') {
          accepted++;
          assert.ok(re.test(v.trim()), `${settingName(key)}: the core accepts '${v}', the editor pattern refuses it`);
        }
      }
      assert.ok(accepted >= 4, `${key}: the corpus exercised only ${accepted} accepted values`);
    }
    // negative control: a pattern that is too strict is caught
    assert.equal(new RegExp('^\\d{1,3}(\\.\\d{1,3}){3}/\\d$').test('10.0.0.0/16'), false);
  });
});
