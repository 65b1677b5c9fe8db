// Topology fixtures (test/fixtures/topologies/*.json), validated as the CLI would.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { ValidTopology } from '../../src/core/topology/types';
import { validateTopology } from '../../src/core/topology/validate';

export const FIXTURES = path.join(__dirname, '..', 'fixtures', 'topologies');

/** Fixture `name`, optionally edited as JSON first (`edit` changes the raw document), then validated. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the fixture as JSON, edited per test
export function loadFixture(name: string, edit: (raw: Record<string, any>) => void = () => undefined): ValidTopology {
  const raw = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));
  edit(raw);
  const result = validateTopology(raw);
  assert.ok(result.topology, `fixture ${name} must be valid: ${JSON.stringify(result.diagnostics)}`);
  return result.topology;
}
