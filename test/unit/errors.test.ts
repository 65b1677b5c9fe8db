// The core's error guards (src/core/errors.ts): by name and code, so that an error from another bundle's
// copy of a class is recognised, and wrapped errors keep their cause.
import { strict as assert } from 'assert';
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  causeChain,
  describeError,
  errorCode,
  isCancellation,
  isCloudError,
  isCloudSettingsError,
  isEc2Error,
  isSshError,
} from '../../src/core/errors';
import { describeEc2Error, Ec2Error } from '../../src/core/ec2/errors';
import type { CloudSettingsError } from '../../src/core/ec2/settings';
import { SshError } from '../../src/core/ssh/types';

/** The classes as a lazy bundle holds them: the same source, bundled again, so a class of its own. */
function otherBundle(): { SshError: typeof SshError; Ec2Error: typeof Ec2Error; CloudSettingsError: typeof CloudSettingsError } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-errors-'));
  const out = path.join(dir, 'bundle.js');
  esbuild.buildSync({
    stdin: {
      contents:
        "export { SshError } from './ssh/types'; export { Ec2Error } from './ec2/errors'; export { CloudSettingsError } from './ec2/settings';",
      resolveDir: path.join(__dirname, '../../src/core'),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: out,
    logLevel: 'silent',
  });
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a second copy of the classes, from its own bundle
    return require(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('core error guards', () => {
  const other = otherBundle();

  it("an error from another bundle is no instance of this bundle's class, and the guards still know it", () => {
    const e = new other.SshError('authentication failed for u@h', 'AUTH_FAILED');
    assert.equal(e instanceof SshError, false, 'the premise: instanceof fails across bundles');
    assert.ok(isSshError(e));
    assert.equal(errorCode(e), 'AUTH_FAILED');
    const ec2 = new other.Ec2Error('not allowed', 'UNAUTHORIZED', 'ec2:RunInstances');
    assert.equal(ec2 instanceof Ec2Error, false);
    assert.ok(isEc2Error(ec2));
    assert.equal(ec2.action, 'ec2:RunInstances');
    const settings = new other.CloudSettingsError('no SSH CIDR', 'sshCidr');
    assert.ok(isCloudSettingsError(settings));
    assert.equal(settings.key, 'sshCidr');
  });

  it('a plain object with the right name and code passes; the wrong name or no message does not', () => {
    assert.ok(isSshError({ name: 'SshError', message: 'x', code: 'CONNECT_FAILED' }));
    assert.ok(isCloudError({ name: 'CloudError', message: 'x', code: 'NO_IMAGE' }));
    assert.equal(isSshError({ name: 'Ec2Error', message: 'x', code: 'AUTH_FAILED' }), false);
    assert.equal(isSshError({ name: 'SshError' }), false);
    assert.equal(isSshError(new Error('SshError AUTH_FAILED')), false, 'the message text decides nothing');
    for (const v of [undefined, null, 'SshError', 42]) assert.equal(isSshError(v), false);
  });

  it("errorCode: the error's own string code only, not its cause's", () => {
    assert.equal(errorCode(new SshError('x', 'TIMEOUT')), 'TIMEOUT');
    assert.equal(errorCode(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), 'ECONNREFUSED');
    assert.equal(errorCode(Object.assign(new Error('x'), { code: 1 })), undefined);
    assert.equal(errorCode(new Error('wrapper', { cause: new SshError('x', 'AUTH_FAILED') })), undefined);
    assert.equal(errorCode('AUTH_FAILED'), undefined);
  });

  it("cancellation: SshError ABORTED, AbortError, VS Code's CancellationError (named Canceled); not other errors", () => {
    assert.ok(isCancellation(new other.SshError('aborted', 'ABORTED')));
    assert.ok(isCancellation(Object.assign(new Error('Canceled'), { name: 'Canceled' })));
    const abort = new AbortController();
    abort.abort();
    assert.ok(isCancellation(abort.signal.reason));
    assert.equal(isCancellation(new SshError('timed out', 'TIMEOUT')), false);
    assert.equal(isCancellation(new Error('the user cancelled')), false, 'the message text decides nothing');
    assert.equal(isCancellation(undefined), false);
  });

  it('wrapped errors keep their cause; the log line names each with its code', () => {
    const root = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:22'), { code: 'ECONNREFUSED' });
    const ssh = new SshError('cannot connect to gateway (127.0.0.1:22): connect ECONNREFUSED', 'CONNECT_FAILED', { cause: root });
    const outer = new Error('cannot download the profile', { cause: ssh });
    assert.deepEqual(causeChain(outer), [outer, ssh, root]);
    assert.equal(
      describeError(outer),
      'Error: cannot download the profile\n  caused by SshError CONNECT_FAILED: cannot connect to gateway (127.0.0.1:22): connect ECONNREFUSED\n  caused by Error ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:22',
    );
    const loop = new Error('a') as Error & { cause?: unknown };
    loop.cause = loop;
    assert.equal(causeChain(loop).length, 1);
  });

  it("an EC2 error described for the user keeps the SDK's error as its cause", () => {
    const sdk = Object.assign(new Error('You are not authorized'), { name: 'UnauthorizedOperation' });
    const e = describeEc2Error(sdk, 'RunInstancesCommand', 'eu-west-1');
    assert.equal(e.code, 'UNAUTHORIZED');
    assert.equal(e.cause, sdk);
  });
});
