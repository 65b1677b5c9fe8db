// ssh2 and the AWS SDK are most of the extension's code. They are built as bundles of their own
// (dist/lazy/ssh.js, dist/lazy/ec2.js, see esbuild.js) and required on first use, so that loading the
// extension compiles only what activation needs (a dynamic import inside one bundle still costs the
// compile of the whole file at load).
import * as path from 'path';

/* eslint-disable @typescript-eslint/no-require-imports */
const load = <T>(name: string): Promise<T> => Promise.resolve().then(() => require(path.join(__dirname, 'lazy', `${name}.js`)) as T);

export const loadSsh = () => load<typeof import('../core/ssh')>('ssh');
export const loadEc2 = () => load<typeof import('../core/ec2')>('ec2');
