// UserError: an error whose message is meant for the user as it is, and the buttons that help (e.g.
// "Open Settings" on a bad cloud setting). The command registry shows it without "Show Log"; no `vscode`
// import, so the plain-data parts of the extension and their tests can throw it.

/** A button on the error message and what it does. */
export interface UserErrorAction {
  title: string;
  run(): unknown;
}

/** What failed and how to fix it, in words for the user; `actions` become the message's buttons. */
export class UserError extends Error {
  readonly actions: readonly UserErrorAction[];

  constructor(message: string, options: { actions?: readonly UserErrorAction[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.actions = options.actions ?? [];
  }
}

/** By name, like the core's guards (src/core/errors.ts). */
export function isUserError(e: unknown): e is UserError {
  return typeof e === 'object' && e !== null && (e as Error).name === 'UserError' && typeof (e as Error).message === 'string';
}
