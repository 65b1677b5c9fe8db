import { strict as assert } from 'assert';

/** The definition of bash function `name` in a rendered script, as rendered (one line, or up to its `}` line). */
export function fn(script: string, name: string): string {
  const lines = script.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${name}() {`));
  assert.ok(start >= 0, `${name}() not in the script`);
  if (lines[start].trimEnd().endsWith('}')) return lines[start];
  const end = lines.findIndex((l, i) => i > start && l === '}');
  return lines.slice(start, end + 1).join('\n');
}
