// EC2 errors as messages a user can act on: what failed, why, and what to do. The IAM action is named
// from the call that failed, so a missing permission reads as the line to add to the policy.

export type Ec2ErrorCode = 'NO_CREDENTIALS' | 'SSO_EXPIRED' | 'UNAUTHORIZED' | 'CAPACITY' | 'ADDRESS_IN_USE' | 'SUBNET_NOT_FOUND' | 'OTHER';

/** The SDK's error is the `cause`. */
export class Ec2Error extends Error {
  constructor(
    message: string,
    readonly code: Ec2ErrorCode,
    readonly action?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'Ec2Error';
  }
}

/** `RunInstancesCommand` -> `ec2:RunInstances`. */
export function iamAction(commandName: string): string {
  return `ec2:${commandName.replace(/Command$/, '')}`;
}

export function describeEc2Error(e: unknown, commandName: string, region: string): Ec2Error {
  const err = e as { name?: string; Code?: string; message?: string };
  const name = err.name ?? err.Code ?? '';
  const msg = err.message ?? String(e);
  const action = iamAction(commandName);
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(msg)) {
    return new Ec2Error(
      `no AWS credentials found: run "aws configure" or "aws sso login --profile NAME", or choose a profile (rosvpn.aws.profile / --profile)`,
      'NO_CREDENTIALS',
      action,
      { cause: e },
    );
  }
  if (/SSO session .*expired|Token is expired|refresh failed|TokenProviderError/i.test(`${name} ${msg}`)) {
    return new Ec2Error(`the AWS SSO session has expired: run "aws sso login" for the profile, then try again`, 'SSO_EXPIRED', action, {
      cause: e,
    });
  }
  if (name === 'UnauthorizedOperation' || name === 'AccessDenied' || name === 'AccessDeniedException') {
    return new Ec2Error(
      `not allowed to call ${action} in ${region}: add "${action}" to the IAM policy of these credentials (the README lists the whole least-privilege policy)`,
      'UNAUTHORIZED',
      action,
      { cause: e },
    );
  }
  if (name === 'InsufficientInstanceCapacity') {
    return new Ec2Error(
      `AWS has no capacity for this instance type in the subnet's availability zone right now: try again later, or choose another instance type (rosvpn.aws.instanceType / --instance-type)`,
      'CAPACITY',
      action,
      { cause: e },
    );
  }
  if (name === 'InvalidIPAddress.InUse') {
    return new Ec2Error(
      `a private IP of the topology is already in use in the subnet (${msg}): change that host's cloudIp in rosvpn.json, or stop what uses it`,
      'ADDRESS_IN_USE',
      action,
      { cause: e },
    );
  }
  if (name === 'InvalidSubnetID.NotFound' || name === 'InvalidSubnetId.NotFound') {
    return new Ec2Error(
      `the subnet was not found in ${region}: check rosvpn.aws.subnetId / --subnet and the region`,
      'SUBNET_NOT_FOUND',
      action,
      { cause: e },
    );
  }
  return new Ec2Error(`${action} failed: ${name ? `${name}: ` : ''}${msg}`, 'OTHER', action, { cause: e });
}
