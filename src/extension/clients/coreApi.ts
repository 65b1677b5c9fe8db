// The core's client operations (src/core/clients) exactly as the extension uses them, in one file: the
// extension reaches the core's client API only through here.
import { validateProfile } from '../../core/clients';

export {
  addClientToDocument,
  clientStatuses,
  fetchClientProfile,
  removeClientFromDocument,
  runPki,
  type CaPassphraseSource,
  type ClientExtras,
  type ClientStatus,
  type PkiOptions,
} from '../../core/clients';

/** The profile's problems, each naming its line; [] for a profile rosvpn accepts. */
export function profileProblems(text: string): string[] {
  return validateProfile(text).errors;
}
