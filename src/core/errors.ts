// The error classes of the core, recognised by name and code rather than by `instanceof`: ssh2 and the AWS
// SDK live in bundles of their own (dist/lazy/ssh.js, dist/lazy/ec2.js), each with its own copy of
// SshError, Ec2Error and the rest, so an error thrown there is no instance of the class the extension's
// bundle imports. The shells (CLI, extension) decide on `code`, never on message text.
// No SDK or ssh2 import here (types only), so every bundle can use it.
import type { SshErrorCode } from './ssh/types';
import type { Ec2ErrorCode } from './ec2/errors';
import type { CloudErrorCode } from './ec2/owned';

/** An error with a machine-readable code, as the core's error classes and Node's system errors carry. */
export interface CodedError<C extends string = string> extends Error {
  readonly code: C;
}

function isErrorLike(e: unknown): e is Error {
  return typeof e === 'object' && e !== null && typeof (e as Error).message === 'string';
}

const named =
  <T extends Error>(name: string) =>
  (e: unknown): e is T =>
    isErrorLike(e) && e.name === name;

/** An SSH failure (src/core/ssh): connect, authentication, host key, sudo, SFTP, timeout, abort. */
export const isSshError = named<CodedError<SshErrorCode>>('SshError');
/** A failed EC2 API call, described (no credentials, missing IAM permission, no capacity…). */
export const isEc2Error = named<CodedError<Ec2ErrorCode> & { readonly action?: string }>('Ec2Error');
/** What the user has to change before a cloud operation can go on (no subnet, no image…). */
export const isCloudError = named<CodedError<CloudErrorCode>>('CloudError');
/** A bad cloud setting or flag; `key` names it (`rosvpn.aws.<key>`, `--<flag>`). */
export const isCloudSettingsError = named<Error & { readonly key: string }>('CloudSettingsError');

/** A client profile that is not a ROS VPN profile (src/core/provision/profile.ts); `errors` name the lines. */
export const isInvalidProfileError = named<CodedError<'PROFILE_INVALID'> & { readonly errors: string[] }>('InvalidProfileError');

/** The error's own code (a string `code` property), or undefined. The cause chain is not searched: a
 *  wrapper that means to keep its cause's code says so by carrying it. */
export function errorCode(e: unknown): string | undefined {
  const code = isErrorLike(e) ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** The user called it off: an SshError ABORTED, an AbortSignal's AbortError, VS Code's CancellationError
 *  (named 'Canceled'). Not an error to report. */
export function isCancellation(e: unknown): boolean {
  if (!isErrorLike(e)) return false;
  return e.name === 'Canceled' || e.name === 'CancellationError' || e.name === 'AbortError' || errorCode(e) === 'ABORTED';
}

/** The error and its causes (ES2022 `cause`), outermost first; stops at a cycle or after 10. */
export function causeChain(e: unknown): unknown[] {
  const chain: unknown[] = [];
  for (
    let x: unknown = e;
    x !== undefined && x !== null && chain.length < 10 && !chain.includes(x);
    x = isErrorLike(x) ? (x as { cause?: unknown }).cause : undefined
  ) {
    chain.push(x);
  }
  return chain;
}

/** The message of any thrown value. */
export function errorMessage(e: unknown): string {
  return isErrorLike(e) ? e.message : String(e);
}

/** For logs: each error of the chain on a line, with its name and code (`SshError AUTH_FAILED: …`). */
export function describeError(e: unknown): string {
  return causeChain(e)
    .map((x, i) => {
      const code = errorCode(x);
      const name = isErrorLike(x) ? x.name : typeof x;
      return `${i ? '  caused by ' : ''}${name}${code ? ` ${code}` : ''}: ${errorMessage(x)}`;
    })
    .join('\n');
}
