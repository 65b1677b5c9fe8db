// The CA key's passphrase in the CLI: from a file (--ca-passphrase-file, or ROSVPN_CA_PASSPHRASE_FILE), else
// asked on the terminal when the gateway says it needs it (a new one typed twice). Never from an argument or
// an environment variable holding the passphrase itself: those end up in shell history and process lists.
import * as fs from 'fs';
import * as path from 'path';
import type { CaPassphraseNeed, CaPassphraseSource } from '../core/provision/orchestrator';
import { caPassphraseProblem } from '../core/provision/orchestrator';
import { askHidden, canPrompt } from './prompt';

export const CA_PASSPHRASE_ENV = 'ROSVPN_CA_PASSPHRASE_FILE';

export interface PassphraseIo {
  err(line: string): void;
}

/** The terminal, replaceable in tests. */
export interface Terminal {
  canPrompt(): boolean;
  askHidden(question: string): Promise<string | undefined>;
}

const TTY: Terminal = { canPrompt, askHidden };

/** Thrown for a passphrase file that cannot be used; the message names the flag or variable and the fix. */
export class PassphraseFileError extends Error {}

/**
 * The passphrase in `file`: its first line (a trailing newline is not part of it). A file others may read
 * draws a warning, as ssh does for keys.
 */
export function readPassphraseFile(io: PassphraseIo, file: string, from: string): string {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new PassphraseFileError(`${from}: ${file} is not a regular file`);
    if (st.size > 4096) throw new PassphraseFileError(`${from}: ${file} is ${st.size} bytes; a passphrase file holds one line`);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      io.err(`warning: ${from}: ${file} can be read by others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 ${file}`);
    }
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof PassphraseFileError) throw e;
    throw new PassphraseFileError(`${from}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const passphrase = text.replace(/\r?\n$/, '');
  const problem = caPassphraseProblem(passphrase, 'unlock');
  if (problem) throw new PassphraseFileError(`${from}: ${file}: ${problem}`);
  return passphrase;
}

/** Where a passphrase file was named, if anywhere: the flag wins over the environment. */
export function passphraseFileOption(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  cwd: string,
): { file: string; from: string } | undefined {
  if (flag) return { file: path.resolve(cwd, flag), from: '--ca-passphrase-file' };
  const e = env[CA_PASSPHRASE_ENV];
  if (e) return { file: path.resolve(cwd, e), from: CA_PASSPHRASE_ENV };
  return undefined;
}

const WHY_NEW =
  'Keep it in a password manager: without it nothing new can be issued or revoked (the tunnels keep working); see the README, "The CA key".';

/**
 * The CLI's source: the file's passphrase as known(), read once up front (so a bad file fails before any
 * SSH); ask() on a terminal, or, without one, a message naming the flag and the variable and no answer.
 */
export function cliCaPassphrase(
  io: PassphraseIo,
  option: { file: string; from: string } | undefined,
  term: Terminal = TTY,
): CaPassphraseSource {
  const known = option ? readPassphraseFile(io, option.file, option.from) : undefined;
  let told = false;
  return {
    known: async () => known,
    async ask(need: CaPassphraseNeed, why: string) {
      if (!term.canPrompt()) {
        if (!told) {
          io.err(
            `the gateway needs the CA passphrase (${why}); there is no terminal to ask on: give it with --ca-passphrase-file FILE or ${CA_PASSPHRASE_ENV}=FILE`,
          );
        }
        told = true;
        return undefined;
      }
      io.err(`the gateway needs the CA passphrase: ${why}`);
      if (need !== 'new') return term.askHidden(need === 'retry' ? 'That did not open the CA key. CA passphrase: ' : 'CA passphrase: ');
      io.err(`Choose a passphrase for the CA key (at least 8 characters). ${WHY_NEW}`);
      for (let i = 0; i < 3; i++) {
        const first = await term.askHidden('New CA passphrase: ');
        if (first === undefined) return undefined;
        const problem = caPassphraseProblem(first, 'new');
        if (problem) {
          io.err(problem);
          continue;
        }
        const again = await term.askHidden('The same again: ');
        if (again === undefined) return undefined;
        if (again === first) return first;
        io.err('the two passphrases differ; once more');
      }
      return undefined;
    },
  };
}
