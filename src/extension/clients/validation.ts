// A new client's fields checked as the user types, by the core's own validator: the candidate is appended to
// the clients of rosvpn.json as it is, and the first error it brings about at that field is the answer (the
// validator may report a clash at either entry, so the errors the file already has are left out). No `vscode`.
import type { Diagnostic } from '../../core/topology/types';
import { validateTopology } from '../../core/topology/validate';

export interface ClientCandidate {
  name: string;
  vpnIp?: string;
  host?: string;
}

const key = (d: Diagnostic) => `${d.path}\n${d.message}`;

/** A checker for new clients of `raw`; it returns the validator's message (and fix) for `field`, or undefined. */
export function clientChecker(
  raw: Record<string, unknown>,
): (candidate: ClientCandidate, field: keyof ClientCandidate) => string | undefined {
  const existing = Array.isArray(raw.clients) ? raw.clients : [];
  const known = new Set(validateTopology(raw).diagnostics.map(key));
  return (candidate, field) => {
    if (field === 'name' && candidate.name === '') return 'Type a name, e.g. alice-laptop.';
    const entry = Object.fromEntries(Object.entries(candidate).filter(([, v]) => v !== undefined));
    const own = `clients[${existing.length}].${field}`;
    const d = validateTopology({ ...raw, clients: [...existing, entry] }).diagnostics.find(
      (x) =>
        x.severity === 'error' && (x.path === own || x.path.startsWith(`${own}.`) || (x.path.endsWith(`.${field}`) && !known.has(key(x)))),
    );
    return d ? `${d.message}${d.fix ? ` — ${d.fix}` : ''}` : undefined;
  };
}
