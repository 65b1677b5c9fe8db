// The API action of a command object, for error messages naming the IAM action. Not constructor.name:
// a minified bundle renames classes (the browser test saw "ec2:dq"), but it keeps their identity.
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  ReleaseAddressCommand,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';

const NAMES = new Map<unknown, string>([
  [AllocateAddressCommand, 'AllocateAddressCommand'],
  [AssociateAddressCommand, 'AssociateAddressCommand'],
  [AuthorizeSecurityGroupIngressCommand, 'AuthorizeSecurityGroupIngressCommand'],
  [CreateSecurityGroupCommand, 'CreateSecurityGroupCommand'],
  [DeleteSecurityGroupCommand, 'DeleteSecurityGroupCommand'],
  [DescribeAddressesCommand, 'DescribeAddressesCommand'],
  [DescribeImagesCommand, 'DescribeImagesCommand'],
  [DescribeInstancesCommand, 'DescribeInstancesCommand'],
  [DescribeSecurityGroupsCommand, 'DescribeSecurityGroupsCommand'],
  [DescribeSubnetsCommand, 'DescribeSubnetsCommand'],
  [DescribeVpcsCommand, 'DescribeVpcsCommand'],
  [ReleaseAddressCommand, 'ReleaseAddressCommand'],
  [RevokeSecurityGroupIngressCommand, 'RevokeSecurityGroupIngressCommand'],
  [RunInstancesCommand, 'RunInstancesCommand'],
  [StartInstancesCommand, 'StartInstancesCommand'],
  [StopInstancesCommand, 'StopInstancesCommand'],
  [TerminateInstancesCommand, 'TerminateInstancesCommand'],
]);

/** `new RunInstancesCommand(…)` -> `RunInstancesCommand`. */
export function commandName(command: object): string {
  const name = NAMES.get(command.constructor);
  if (!name) throw new Error(`internal: ${command.constructor.name} is missing from src/core/ec2/names.ts`);
  return name;
}
