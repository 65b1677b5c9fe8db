// What every network rule sees: the document (after the pre-pass, so plain JSON), the diagnostics so far, and
// small accessors. The rules run in validate.ts's order; each module checks one concern.

import type { PathSegment } from '../text';

export type Doc = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Doc {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function asObject(v: unknown): Doc | undefined {
  return isPlainObject(v) ? v : undefined;
}

export function valueAt(doc: unknown, segments: readonly PathSegment[]): unknown {
  let cur: unknown = doc;
  for (const s of segments) {
    if (typeof s === 'number') cur = Array.isArray(cur) ? cur[s] : undefined;
    else cur = isPlainObject(cur) && Object.prototype.hasOwnProperty.call(cur, s) ? cur[s] : undefined;
  }
  return cur;
}

export const EXAMPLE_CLIENT = '{ "name": "alice-laptop", "vpnIp": "192.168.0.254/24" }';

export const EXAMPLE_SECOND = '{ "name": "second", "host": "172.31.1.12", "cloudIp": "172.31.1.12", "vpnIp": "192.168.0.131/24" }';

/** Where the rules report (validate.ts's collector). */
export interface Diagnostics {
  /** Paths that already have an error; rules skip them so each bad field gets one message. */
  readonly bad: ReadonlySet<string>;
  error(path: string | readonly PathSegment[], message: string, fix: string): void;
  warn(path: string | readonly PathSegment[], message: string, fix: string): void;
}

export interface RuleContext {
  readonly doc: Doc;
  readonly out: Diagnostics;
  readonly gateway: Doc | undefined;
  readonly desktop: Doc | undefined;
  readonly seconds: unknown[] | undefined;
  readonly clients: unknown[] | undefined;
  /** A string at `segments` that has no error yet. */
  str(segments: readonly PathSegment[]): string | undefined;
  /** What a good value at `segments` looks like (the schema pass's hints). */
  hint(segments: readonly PathSegment[]): string;
}
