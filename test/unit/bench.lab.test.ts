// The lab bench reads per-host figures from `rosvpn provision --timings`: this ties its parser to the table the CLI
// prints, so a change to one without the other fails here rather than as NaN rows in BENCHMARKS.md.
import * as assert from 'assert';
import { hostScripts } from '../../bench/lab';
import { timingsTable } from '../../src/cli/remote';

describe('bench/lab hostScripts', () => {
  it('reads every host of the --timings table: script CPU, steps total, host wall', () => {
    const table = timingsTable([
      {
        host: 'gateway',
        steps: [
          { name: 'packages', status: 'ok', ms: 40 },
          { name: 'openvpn-server', status: 'changed', ms: 700 },
        ],
        totalMs: 1900,
        cpuMs: 1002,
      },
      { host: 'second-2', steps: [{ name: 'packages', status: 'ok', ms: 30 }], totalMs: 600, cpuMs: 164 },
      { host: 'desktop', steps: [{ name: 'packages', status: 'ok' }] },
    ]).join('\n');
    assert.deepStrictEqual(hostScripts(`summary line\n${table}\n`), {
      gateway: { cpuMs: 1002, stepsMs: 740, wallMs: 1900 },
      'second-2': { cpuMs: 164, stepsMs: 30, wallMs: 600 },
      desktop: { stepsMs: 0 },
    });
  });

  it('ignores output that is not the table', () => {
    assert.deepStrictEqual(hostScripts('gateway  gateway  ok  0 17 0  1.0s\n  script CPU  12\n'), {});
  });
});
