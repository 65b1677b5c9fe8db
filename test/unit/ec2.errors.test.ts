// EC2 error mapping: each error a user meets becomes a message that says what to do.
import { strict as assert } from 'assert';
import { describeEc2Error, iamAction } from '../../src/core/ec2/errors';

const err = (name: string, message = 'x') => Object.assign(new Error(message), { name });

describe('EC2 error messages', () => {
  it('UnauthorizedOperation names the IAM action of the failed call', () => {
    const e = describeEc2Error(err('UnauthorizedOperation', 'You are not authorized to perform this operation.'), 'RunInstancesCommand', 'us-west-2');
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
