// Clients (issue I): machines with an identity of their own. The one entry point for the CLI, the extension
// and the lab: the gateway's view of the certificates and connections, editing rosvpn.json's `clients` as
// text, the PKI operations on the gateway, and the profile check. Never imports `vscode`.
export {
  EXPIRY_WARNING_DAYS,
  clientStatuses,
  clientStatusesFrom,
  daysUntil,
  expiryWarnings,
  parseClientStatus,
  readPkiStatus,
  type CertKind,
  type CertState,
  type CertStatus,
  type ClientStatus,
  type Connection,
  type ExpiryWarning,
  type PkiStatus,
  type StatusOptions,
} from './status';
export {
  ClientError,
  addClientToDocument,
  pickClientAddress,
  removeClientFromDocument,
  type ClientErrorCode,
  type ClientExtras,
} from './document';
export { revokeClient, rotateClient, runPki, type PkiOptions, type RotateResult } from './operations';
export {
  InvalidProfileError,
  assertValidProfile,
  fetchClientProfile,
  gatewayProfilePath,
  profileFileName,
  validateProfile,
  type ProfileCheck,
} from '../provision/profile';
export { caPassphraseProblem, type CaPassphraseNeed, type CaPassphraseSource } from '../provision/orchestrator';
