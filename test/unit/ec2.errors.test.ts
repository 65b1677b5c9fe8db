// EC2 error mapping: each error a user meets becomes a message that says what to do.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as ec2Sdk from '@aws-sdk/client-ec2';
import { describeEc2Error, iamAction } from '../../src/core/ec2/errors';
import { commandName } from '../../src/core/ec2/names';

const err = (name: string, message = 'x') => Object.assign(new Error(message), { name });

describe('EC2 error messages', () => {
  it('UnauthorizedOperation names the IAM action of the failed call', () => {
    const e = describeEc2Error(
      err('UnauthorizedOperation', 'You are not authorized to perform this operation.'),
      'RunInstancesCommand',
      'us-west-2',
    );
    assert.equal(e.code, 'UNAUTHORIZED');
    assert.equal(e.action, 'ec2:RunInstances');
    assert.match(e.message, /add "ec2:RunInstances" to the IAM policy/);
    assert.equal(iamAction('AllocateAddressCommand'), 'ec2:AllocateAddress');
  });

  it('no credentials, expired SSO, capacity, address in use, subnet not found', () => {
    const cases: [Error, string, RegExp][] = [
      [err('CredentialsProviderError', 'Could not load credentials from any providers'), 'NO_CREDENTIALS', /aws configure|aws sso login/],
      [err('Error', 'The SSO session associated with this profile has expired or is otherwise invalid.'), 'SSO_EXPIRED', /aws sso login/],
      [err('InsufficientInstanceCapacity'), 'CAPACITY', /another instance type/],
      [err('InvalidIPAddress.InUse', 'Address 172.31.1.11 is in use.'), 'ADDRESS_IN_USE', /172\.31\.1\.11.*cloudIp/],
      [err('InvalidSubnetID.NotFound'), 'SUBNET_NOT_FOUND', /subnetId/],
    ];
    for (const [e, code, fix] of cases) {
      const m = describeEc2Error(e, 'RunInstancesCommand', 'us-west-2');
      assert.equal(m.code, code, e.message);
      assert.match(m.message, fix);
    }
  });

  it('anything else keeps the AWS error name and message', () => {
    const m = describeEc2Error(err('VcpuLimitExceeded', 'You have requested more vCPU capacity'), 'RunInstancesCommand', 'eu-west-1');
    assert.equal(m.code, 'OTHER');
    assert.match(m.message, /ec2:RunInstances failed: VcpuLimitExceeded: You have requested more vCPU capacity/);
  });
});

describe('EC2: the action named in errors survives minification', () => {
  it('every command the core sends has its action name (not constructor.name, which a minifier renames)', () => {
    const sdk = ec2Sdk as unknown as Record<string, new (input: object) => object>;
    const dir = path.join(__dirname, '..', '..', 'src', 'core', 'ec2');
    const used = new Set<string>();
    for (const f of fs.readdirSync(dir))
      for (const m of fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/new (\w+Command)\(/g)) used.add(m[1]);
    assert.ok(used.size >= 10, `found only ${[...used].join(', ')}`);
    for (const name of used) assert.equal(commandName(new sdk[name]({})), name);
    // A renamed class (as in the minified bundle) still maps by identity; an unknown one is an internal error.
    class Renamed extends (sdk.RunInstancesCommand as unknown as new (i: object) => object) {}
    assert.throws(() => commandName(new Renamed({})), /missing from src\/core\/ec2\/names\.ts/);
  });
});
