// No function under src/ longer than 80 lines unless a comment before it says why ("long: ...").
// scripts/long-functions.ts does the walk (TypeScript's parser); `npx tsx scripts/long-functions.ts` lists them.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { longFunctions } from '../../scripts/long-functions';

const LIMIT = 80;

describe('source: long functions', () => {
  it(`no function in src/ over ${LIMIT} lines without a "long:" reason`, function () {
    const unexplained = longFunctions(LIMIT).filter((f) => !f.reason);
    assert.deepEqual(
      unexplained.map((f) => `${f.file}:${f.line} ${f.name} is ${f.lines} lines`),
      [],
      `split these, or put a comment with "long: <why>" before them`,
    );
  });

  it('the walk finds a long function, its nested ones, and honours a "long:" reason (controls)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-long-'));
    try {
      const body = (n: number) => Array.from({ length: n }, (_, i) => `  x += ${i};`).join('\n');
      fs.writeFileSync(
        path.join(dir, 'a.ts'),
        [
          `export function tooLong(): number {\n  let x = 0;\n${body(80)}\n  return x;\n}`,
          `export function short(): number {\n  let x = 0;\n${body(70)}\n  return x;\n}`,
          `// long: a table that reads best in one piece\nexport function explained(): number {\n  let x = 0;\n${body(90)}\n  return x;\n}`,
          `export class C {\n  /** long: kept in one piece on purpose */\n  m(): void {\n    const f = () => {\n      let x = 0;\n${body(85)}\n    };\n    f();\n  }\n}`,
        ].join('\n\n'),
      );
      const found = longFunctions(LIMIT, dir).map((f) => ({ name: f.name, lines: f.lines, reason: f.reason }));
      assert.deepEqual(found, [
        { name: 'tooLong', lines: 84, reason: undefined },
        { name: 'explained', lines: 94, reason: 'a table that reads best in one piece' },
        { name: 'C.m', lines: 91, reason: 'kept in one piece on purpose' },
        { name: 'C.m>f', lines: 88, reason: undefined },
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
