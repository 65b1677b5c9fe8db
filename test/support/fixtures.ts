// Topology fixtures (test/fixtures/topologies/*.json), validated as the CLI would.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { ValidTopology } from '../../src/core/topology/types';
import { validateTopology } from '../../src/core/topology/validate';

export const FIXTURES = path.join(__dirname, '..', 'fixtures', 'topologies');

export function loadFixture(name: string): ValidTopology {
  const raw = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));
  const result = validateTopology(raw);
  assert.ok(result.topology, `fixture ${name} must be valid: ${JSON.stringify(result.diagnostics)}`);
  return result.topology;
}
