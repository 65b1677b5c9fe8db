// A new client's fields checked as the user types, by the core's own validator: the candidate is appended to
// the clients of rosvpn.json as it is, and the first error at that entry's field is the answer. No `vscode`.
import { validateTopology } from '../../core/topology/validate';

export interface ClientCandidate {
  name: string;
  vpnIp?: string;
  host?: string;
}

/** The validator's message (and fix) for `field` of the new client, or undefined when it has none. */
export function clientFieldError(
  raw: Record<string, unknown>,
  candidate: ClientCandidate,
  field: keyof ClientCandidate,
): string | undefined {
  if (field === 'name' && candidate.name === '') return 'Type a name, e.g. alice-laptop.';
  const existing = Array.isArray(raw.clients) ? raw.clients : [];
  const entry = Object.fromEntries(Object.entries(candidate).filter(([, v]) => v !== undefined));
  const path = `clients[${existing.length}].${field}`;
  const d = validateTopology({ ...raw, clients: [...existing, entry] }).diagnostics.find(
    (x) => x.severity === 'error' && (x.path === path || x.path.startsWith(`${path}.`)),
  );
  return d ? `${d.message}${d.fix ? ` — ${d.fix}` : ''}` : undefined;
}
