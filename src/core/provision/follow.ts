// Following a systemd unit's journal over SSH, surviving dropped connections: each line carries its
// journal cursor (`-o json`), and a reconnect resumes with `--after-cursor`, so nothing is lost or repeated.
// The extension's log task and benchmarks use it; it never imports `vscode`.
import { errorMessage, isSshError } from '../errors';
import type { SshEndpoint, SshErrorCode, SshPool } from '../ssh/types';
import { formatJournalJson, journalFollowCommand } from './logs';

export interface FollowOptions {
  pool: SshPool;
  endpoint: SshEndpoint;
  unit: string;
  /** Lines of history shown first; default 100. */
  lines?: number;
  signal: AbortSignal;
  /** One formatted journal line. */
  onLine(text: string): void;
  /** journalctl's own error output. */
  onStderr?(text: string): void;
  /** Reconnects and other news about the follow itself. */
  onNotice?(text: string): void;
  /** First and maximum wait before reconnecting; default 1000 and 15000 ms. */
  retryMs?: number;
  maxRetryMs?: number;
}

/** Errors that a retry cannot fix: they end the follow. */
const FATAL: ReadonlySet<SshErrorCode> = new Set<SshErrorCode>([
  'HOST_KEY_CHANGED',
  'HOST_KEY_REJECTED',
  'AUTH_FAILED',
  'SUDO_FAILED',
  'CONFIG',
]);

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });

/** Follows until `signal` aborts (resolves) or a fatal SSH error (rejects). */
export async function followJournal(o: FollowOptions): Promise<void> {
  const first = o.retryMs ?? 1000;
  let delay = first;
  let cursor: string | undefined;
  const where = o.endpoint.label;
  while (!o.signal.aborted) {
    try {
      const session = await o.pool.session(o.endpoint);
      delay = first;
      const r = await session.exec(journalFollowCommand(o.unit, { lines: o.lines ?? 100, afterCursor: cursor }), {
        sudo: true,
        signal: o.signal,
        onStdout: (line) => {
          const j = formatJournalJson(line);
          if (j.cursor) cursor = j.cursor;
          o.onLine(j.text);
        },
        onStderr: (line) => o.onStderr?.(line),
      });
      if (o.signal.aborted) return;
      o.onNotice?.(`journalctl on ${where} ended (exit ${r.code ?? r.signal}); following again in ${delay / 1000} s`);
    } catch (e) {
      if (o.signal.aborted) return;
      if (isSshError(e) && FATAL.has(e.code)) throw e;
      o.onNotice?.(`connection to ${where} lost (${errorMessage(e)}); reconnecting in ${delay / 1000} s`);
    }
    await sleep(delay, o.signal);
    delay = Math.min(delay * 2, o.maxRetryMs ?? 15000);
  }
}
