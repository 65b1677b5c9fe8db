// Removing one named entry (a second, a client) from rosvpn.json as text: the entry is cut out of its list
// and everything else stays byte for byte as the user wrote it — indentation, key order, line ends, notes.
// What the lifecycle demo (lab/lifecycle.ts) and `removeClientFromDocument` use; never imports `vscode`.

import { parseTopologyText } from './file';
import { jsonLayout, type JsonNode } from './jsonLayout';
import type { ValidTopology } from './types';
import { formatDiagnostic, hasErrors, validateTopology } from './validate';

/**
 * `body` (JSON that scanJson accepted, without a byte-order mark) without the entry of list `listKey` whose
 * `name` is `name`; undefined when the list has no such entry. The comma between it and its neighbour goes
 * with it; the last entry leaves `[]`.
 */
export function removeNamedEntry(body: string, listKey: string, name: string): string | undefined {
  const root = jsonLayout(body);
  const list = root.children.find((c) => c.key === listKey)?.node;
  const entries = list?.kind === 'array' ? list.children.map((c) => c.node) : [];
  const index = entries.findIndex((e) => {
    const n = e.children.find((c) => c.key === 'name')?.node;
    return n?.kind === 'string' && JSON.parse(body.slice(n.start, n.end)) === name;
  });
  if (!list || index < 0) return undefined;
  const entry = entries[index] as JsonNode;
  const prev = entries[index - 1];
  const next = entries[index + 1];
  if (prev) return body.slice(0, prev.end) + body.slice(entry.end); // ", <entry>" after the previous one
  if (next) return body.slice(0, entry.start) + body.slice(next.start); // "<entry>, " before the next one
  return body.slice(0, list.start) + '[]' + body.slice(list.end);
}

/**
 * A rosvpn.json text parsed and validated once: its topology when it has no error, and the error-level
 * problems, formatted (an empty file is one). Shared by every edit of the document as text.
 */
export function checkDocument(text: string): { topology?: ValidTopology; errors: string[] } {
  const parsed = parseTopologyText(text);
  const result = parsed.raw !== undefined ? validateTopology(parsed.raw) : undefined;
  const diagnostics = [...parsed.diagnostics, ...(result?.diagnostics ?? [])];
  const errors = diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d));
  if (parsed.raw === undefined && !hasErrors(diagnostics)) errors.push('rosvpn.json is empty');
  return { topology: errors.length ? undefined : result?.topology, errors };
}

/**
 * rosvpn.json's text without second instance `name` (the rest as it was). Throws when the file has errors,
 * when there is no second of that name (listing the seconds), or when the result would not be valid.
 */
export function removeSecondFromDocument(text: string, name: string): string {
  const bom = text.charCodeAt(0) === 0xfeff ? '\ufeff' : '';
  const body = text.slice(bom.length);
  const before = checkDocument(text);
  if (!before.topology)
    throw new Error(`cannot remove second ${name}: rosvpn.json has errors; fix them first:\n${before.errors.join('\n')}`);
  const out = removeNamedEntry(body, 'seconds', name);
  if (out === undefined) {
    const names = before.topology.seconds.map((s) => s.name);
    throw new Error(`no second instance named ${name} in rosvpn.json; ${names.length ? `seconds: ${names.join(', ')}` : 'it has none'}`);
  }
  const after = checkDocument(bom + out).errors;
  if (after.length) throw new Error(`cannot remove second ${name}; rosvpn.json would not be valid:\n${after.join('\n')}`);
  return bom + out;
}
