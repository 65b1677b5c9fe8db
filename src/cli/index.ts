// Entry point of the `rosvpn` binary (bundled to dist/cli.js).
import { run } from './main';

run(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`rosvpn: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  },
);
