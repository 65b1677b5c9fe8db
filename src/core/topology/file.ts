// Reading, editing and writing rosvpn.json without losing what we don't understand: unknown keys survive an
// edit, key order is kept, and a file is only ever replaced atomically by a valid document.
// Never import `vscode` here.

import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { scanJson, lineColumn } from './jsonText';
import { ROSVPN_SCHEMA, defaultOf, isObjectNode, itemsOf, propertiesOf, type SchemaNode } from './schema';
import { TOPOLOGY_FILE, type Diagnostic, type TopologyDocument } from './types';
import { formatDiagnostic, hasErrors, validateTopology, type ValidationResult } from './validate';

/** rosvpn.json files larger than this are refused unread. */
export const MAX_TOPOLOGY_BYTES = 1024 * 1024;

export interface ParsedTopologyText {
  /** The parsed JSON value (any JSON value; validateTopology judges it). Absent on syntax errors. */
  raw?: unknown;
  /** Size, encoding and JSON syntax problems, and duplicate-key warnings. */
  diagnostics: Diagnostic[];
}

export interface LoadedTopology {
  raw?: unknown;
  /** validateTopology(raw), when the file could be read and parsed. */
  result?: ValidationResult;
  /** Only the read/parse diagnostics; the validation diagnostics are in `result.diagnostics`. */
  diagnostics: Diagnostic[];
}

/** An edit of the known fields; an own property set to `undefined` removes that key. */
export type TopologyEdit = { [K in keyof TopologyDocument]?: TopologyDocument[K] | undefined };

function err(message: string, fix: string, at?: { line: number; column: number }): Diagnostic {
  return { severity: 'error', path: '', message, fix, ...(at ?? {}) };
}

/**
 * Parse the text of a rosvpn.json. Syntax errors come with line and column; a leading byte-order mark is
 * stripped; more than 1 MiB is refused.
 */
export function parseTopologyText(text: string, file = TOPOLOGY_FILE): ParsedTopologyText {
  if (typeof text !== 'string') return { diagnostics: [err(`${file} could not be read as text`, 'save it as UTF-8 text')] };
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_TOPOLOGY_BYTES) {
    return {
      diagnostics: [
        err(
          `${file} is ${bytes} bytes; a topology is limited to 1 MiB (${MAX_TOPOLOGY_BYTES} bytes)`,
          'check that this is the right file; a topology is a few kilobytes',
        ),
      ],
    };
  }
  // A UTF-8 byte-order mark (Windows editors) is not JSON; drop it. Offsets below are relative to `body`,
  // and the BOM is zero-width in editors, so line/column stay right.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') {
    return { diagnostics: [err(`${file} is empty`, 'start from the starter topology: rosvpn init')] };
  }
  const scan = scanJson(body);
  if (scan.error) {
    const at = lineColumn(body, scan.error.offset);
    return { diagnostics: [err(`line ${at.line}, column ${at.column}: ${scan.error.message}`, scan.error.fix, at)] };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (e) {
    // The scanner accepted it, so this should not happen; report JSON.parse's position if it has one.
    const pos = /position (\d+)/.exec(e instanceof Error ? e.message : '')?.[1];
    const at = pos !== undefined ? lineColumn(body, Number(pos)) : undefined;
    const where = at ? `line ${at.line}, column ${at.column}: ` : '';
    return { diagnostics: [err(`${where}invalid JSON`, 'check the syntax near that position', at)] };
  }
  const diagnostics: Diagnostic[] = scan.duplicates.map((d) => {
    const at = lineColumn(body, d.offset);
    return {
      severity: 'warning',
      path: d.path,
      message: `duplicate key at line ${at.line}, column ${at.column}; JSON keeps only the last value`,
      fix: 'remove one of the two',
      ...at,
    };
  });
  return { raw, diagnostics };
}

/** Read, parse and validate a rosvpn.json. Never throws; problems come back as diagnostics. */
export async function loadTopology(file: string): Promise<LoadedTopology> {
  const name = path.basename(file) || TOPOLOGY_FILE;
  let data: Buffer;
  try {
    const st = await fsp.stat(file);
    if (!st.isFile()) return { diagnostics: [err(`${file} is not a regular file`, 'point rosvpn at the rosvpn.json file')] };
    if (st.size > MAX_TOPOLOGY_BYTES) {
      return {
        diagnostics: [
          err(
            `${name} is ${st.size} bytes; a topology is limited to 1 MiB (${MAX_TOPOLOGY_BYTES} bytes)`,
            'check that this is the right file; a topology is a few kilobytes',
          ),
        ],
      };
    }
    data = await fsp.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { diagnostics: [err(`not found at ${file}`, 'create one with: rosvpn init')] };
    if (code === 'EACCES' || code === 'EPERM')
      return { diagnostics: [err(`cannot read ${file}: permission denied`, 'check the file permissions')] };
    return { diagnostics: [err(`cannot read ${file}: ${code ?? (e instanceof Error ? e.message : String(e))}`, 'check the path')] };
  }
  if (data.length > MAX_TOPOLOGY_BYTES) {
    return {
      diagnostics: [
        err(
          `${name} is ${data.length} bytes; a topology is limited to 1 MiB (${MAX_TOPOLOGY_BYTES} bytes)`,
          'check that this is the right file',
        ),
      ],
    };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(data);
  } catch {
    const bad = firstInvalidUtf8(data);
    return { diagnostics: [err(`${name} is not valid UTF-8 text (first bad byte at offset ${bad})`, 'save the file as UTF-8')] };
  }
  const parsed = parseTopologyText(text, name);
  if (parsed.raw === undefined) return { diagnostics: parsed.diagnostics };
  return { raw: parsed.raw, result: validateTopology(parsed.raw), diagnostics: parsed.diagnostics };
}

function firstInvalidUtf8(data: Buffer): number {
  // Streaming decodes only fail on bytes that can never become valid, so failure is monotonic in the prefix
  // length: binary search for the shortest failing prefix.
  const fails = (len: number): boolean => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(0, len), { stream: true });
      return false;
    } catch {
      return true;
    }
  };
  let lo = 1;
  let hi = data.length;
  if (!fails(hi)) return data.length; // only a truncated sequence at the very end
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (fails(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo - 1;
}

// ---- editing ------------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

function isPlainObject(v: unknown): v is Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function setOwn(obj: Obj, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function has(obj: Obj, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (isPlainObject(v)) {
    const out: Obj = {};
    for (const k of Object.keys(v)) if (v[k] !== undefined) setOwn(out, k, clone(v[k]));
    return out;
  }
  return v;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Would writing `v` only restate the schema default (so a key the file leaves out can stay out)? */
function isDefault(v: unknown, node: SchemaNode): boolean {
  const d = defaultOf(node);
  if (d !== undefined) return sameJson(v, d);
  if (isPlainObject(v) && isObjectNode(node)) {
    const props = propertiesOf(node);
    return Object.keys(v).every((k) => {
      const child = props.get(k);
      return child !== undefined && isDefault(v[k], child);
    });
  }
  return false;
}

function mergeObject(rawObj: unknown, edited: Obj, node: SchemaNode): Obj {
  const src = isPlainObject(rawObj) ? rawObj : {};
  const out: Obj = {};
  for (const k of Object.keys(src)) setOwn(out, k, clone(src[k]));
  for (const [key, child] of propertiesOf(node)) {
    if (!has(edited, key)) continue;
    const value = edited[key];
    if (value === undefined) {
      delete out[key];
      continue;
    }
    const items = itemsOf(child);
    let next: unknown;
    if (isPlainObject(value) && isObjectNode(child)) next = mergeObject(src[key], value, child);
    else if (Array.isArray(value) && items && isObjectNode(items)) next = mergeList(src[key], value, items);
    else next = clone(value);
    // Don't materialize defaults the file leaves out (mtu 1500, vxlan {...}, an empty ssh {}, ...).
    if (!has(src, key) && isDefault(next, child)) continue;
    setOwn(out, key, next);
  }
  return out;
}

/** Merge a list of objects (seconds), matching entries by name, then (for renamed entries) by index. */
function mergeList(rawList: unknown, edited: unknown[], itemNode: SchemaNode): unknown[] {
  const rawItems = Array.isArray(rawList) ? rawList : [];
  const match = edited.map(() => -1);
  const used = new Set<number>();
  const nameOf = (v: unknown): string | undefined => (isPlainObject(v) && typeof v.name === 'string' ? v.name : undefined);
  edited.forEach((e, i) => {
    const n = nameOf(e);
    if (n === undefined) return;
    const j = rawItems.findIndex((r, k) => !used.has(k) && nameOf(r) === n);
    if (j >= 0) {
      match[i] = j;
      used.add(j);
    }
  });
  const editedNames = new Set(edited.map(nameOf).filter((n): n is string => n !== undefined));
  edited.forEach((e, i) => {
    if (match[i] !== -1 || !isPlainObject(e) || i >= rawItems.length || used.has(i)) return;
    const r = rawItems[i];
    const rn = nameOf(r);
    if (isPlainObject(r) && (rn === undefined || !editedNames.has(rn))) {
      match[i] = i;
      used.add(i);
    }
  });
  return edited.map((e, i) => {
    const m = match[i] ?? -1;
    return isPlainObject(e) ? mergeObject(m >= 0 ? rawItems[m] : undefined, e, itemNode) : clone(e);
  });
}

/**
 * Apply an edit of the known fields to the document as read from disk, keeping everything else: unknown keys
 * at the top level and inside gateway, seconds[i] (matched by name, then by index) and desktop, and the key
 * order. Semantics per known key of `edited`: absent = unchanged; own property `undefined` = removed; an
 * object = merged recursively; `seconds` = the new list (entries not in it are removed). Values equal to the
 * schema default are not added when the file leaves the key out. Returns a new object; `raw` is not changed.
 */
export function applyTopologyEdit(raw: Record<string, unknown>, edited: TopologyEdit): Record<string, unknown> {
  return mergeObject(raw, (isPlainObject(edited) ? edited : {}) as Obj, ROSVPN_SCHEMA);
}

/** 2-space JSON with a trailing newline; key order as in the object. */
export function serializeTopology(raw: unknown): string {
  const text = JSON.stringify(raw, null, 2);
  if (text === undefined) throw new TypeError('serializeTopology: the value is not JSON');
  return `${text}\n`;
}

/**
 * Validate `raw` and write it atomically (temporary file in the same directory, then rename), keeping the
 * existing file's mode. Refuses, leaving the file untouched, when validation reports errors: the Error's
 * message lists the formatted diagnostics.
 */
export async function writeTopologyFile(file: string, raw: unknown): Promise<void> {
  const name = path.basename(file) || TOPOLOGY_FILE;
  const result = validateTopology(raw);
  if (hasErrors(result.diagnostics)) {
    const lines = result.diagnostics.map((d) => formatDiagnostic(d, name));
    throw new Error(`refusing to write ${file}: the topology has errors\n${lines.join('\n')}`);
  }
  await writeTopologyText(file, serializeTopology(raw));
}

/**
 * Write rosvpn.json's text as it is (an edit that kept the user's formatting), atomically and keeping the
 * file's mode, like writeTopologyFile; refuses text that does not parse and validate.
 */
export async function writeTopologyText(file: string, text: string): Promise<void> {
  const name = path.basename(file) || TOPOLOGY_FILE;
  const parsed = parseTopologyText(text, name);
  const diagnostics = [...parsed.diagnostics, ...(parsed.raw !== undefined ? validateTopology(parsed.raw).diagnostics : [])];
  if (parsed.raw === undefined || hasErrors(diagnostics)) {
    const lines = diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d, name));
    throw new Error(`refusing to write ${file}: the topology has errors\n${lines.join('\n')}`);
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_TOPOLOGY_BYTES) {
    throw new Error(`refusing to write ${file}: the topology would be larger than 1 MiB`);
  }
  // Write next to the real file when `file` is a symlink, so the link survives.
  let target = file;
  try {
    target = await fsp.realpath(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  let mode: number | undefined;
  try {
    mode = (await fsp.stat(target)).mode & 0o7777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await fsp.open(tmp, 'wx', mode ?? 0o666);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (mode !== undefined) await fsp.chmod(tmp, mode);
    await fsp.rename(tmp, target);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  // Make the rename durable where the platform allows it.
  try {
    const dh = await fsp.open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    // Not supported (Windows) or not permitted: the rename itself is still atomic.
  }
}
