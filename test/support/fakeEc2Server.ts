// The fake EC2 endpoint as a process, for tests whose EC2 client runs elsewhere (the extension in code-server):
//   node --import tsx test/support/fakeEc2Server.ts [--host 127.0.0.1] [--port 0] [--log FILE] [--seed FILE.json]
//        [--fail Action=Code:Message ...] [--control FILE]
// Prints one line, FAKE_EC2_URL=http://HOST:PORT, once listening; with --log, every request is appended to FILE
// as a JSON line {action, params}. With --control, the file is watched: writing
// {"fail": {"Action": {"code": "...", "message": "...", "times": 1}}} injects faults while the server runs, and
// FILE.applied receives the same text once they are in force. Exits 0 on SIGTERM or SIGINT.
import * as fs from 'node:fs';
import { startFakeEc2, type FakeEc2Seed } from './fakeEc2';

function usage(message: string): never {
  process.stderr.write(
    `fakeEc2Server: ${message}\nusage: fakeEc2Server.ts [--host H] [--port N] [--log FILE] [--seed FILE.json] [--fail Action=Code:Message]...\n`,
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let host = '127.0.0.1',
    port = 0,
    logFile: string | undefined,
    seed: FakeEc2Seed | undefined,
    control: string | undefined;
  const fails: { action: string; code: string; message: string }[] = [];
  for (let n = 0; n < args.length; n++) {
    const value = () => args[++n] ?? usage(`${args[n - 1]} needs a value`);
    switch (args[n]) {
      case '--host':
        host = value();
        break;
      case '--port':
        port = Number(value());
        break;
      case '--log':
        logFile = value();
        break;
      case '--control':
        control = value();
        break;
      case '--seed':
        seed = JSON.parse(fs.readFileSync(value(), 'utf8')) as FakeEc2Seed;
        break;
      case '--fail': {
        const m = /^([A-Za-z]+)=([\w.]+)(?::(.*))?$/s.exec(value()) ?? usage('--fail takes Action=Code:Message');
        fails.push({ action: m[1], code: m[2], message: m[3] ?? `injected ${m[2]}` });
        break;
      }
      default:
        usage(`unknown argument ${args[n]}`);
    }
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage('--port must be 0..65535');
  const fake = await startFakeEc2({ host, port, seed, logFile });
  for (const f of fails) fake.fail(f.action, { code: f.code, message: f.message });
  if (control) {
    const file = control;
    let last = '';
    const apply = () => {
      const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      if (!text.trim() || text === last) return;
      last = text;
      const c = JSON.parse(text) as { fail?: Record<string, { code: string; message: string; times?: number }> };
      for (const [action, f] of Object.entries(c.fail ?? {})) fake.fail(action, { code: f.code, message: f.message }, f.times);
      fs.writeFileSync(`${file}.applied`, text);
    };
    apply();
    fs.watchFile(file, { interval: 100 }, apply);
  }
  const stop = () => {
    if (control) fs.unwatchFile(control);
    void fake.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write(`FAKE_EC2_URL=${fake.url}\n`);
}

main().catch((e) => {
  process.stderr.write(`fakeEc2Server: ${(e as Error).message}\n`);
  process.exit(1);
});
