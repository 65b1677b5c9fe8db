// A small JSON syntax checker that finds the position of the first syntax error and says what is wrong in
// words (Node's JSON.parse messages often have no position and echo the raw text, which may hold control
// characters), and that reports duplicate keys, which JSON.parse silently collapses.
// It only checks; values are still built by JSON.parse.

import { describeCodePoint, formatPath, type PathSegment } from './text';

export interface JsonSyntaxError {
  /** UTF-16 offset of the problem. */
  offset: number;
  message: string;
  fix: string;
}

export interface DuplicateKey {
  path: string;
  offset: number;
}

export interface JsonScan {
  error?: JsonSyntaxError;
  duplicates: DuplicateKey[];
}

/** Nesting beyond this is reported as a syntax-level resource error before JSON.parse sees it. */
const MAX_SCAN_DEPTH = 1000;

/** 1-based line and column (UTF-16 code units) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

function describeAt(text: string, i: number): string {
  if (i >= text.length) return 'the end of the file';
  const cp = text.codePointAt(i) as number;
  if (cp > 0x20 && cp < 0x7f) return `'${String.fromCharCode(cp)}'`;
  return describeCodePoint(cp);
}

type Frame =
  | { kind: 'object'; path: PathSegment[]; keys: Set<string> }
  | { kind: 'array'; path: PathSegment[]; index: number };

export function scanJson(text: string): JsonScan {
  const duplicates: DuplicateKey[] = [];
  const n = text.length;
  let i = 0;
  const stack: Frame[] = [];
  let pendingKey: string | undefined;

  const fail = (offset: number, message: string, fix: string): JsonScan => ({ error: { offset, message, fix }, duplicates });
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const unexpected = (what: string, fix: string): JsonScan => {
    if (text.startsWith('//', i) || text.startsWith('/*', i)) {
      return fail(i, 'comments are not allowed in JSON', 'remove the comment (or keep a note in an "x-note" key)');
    }
    if (text[i] === "'") return fail(i, 'strings must use double quotes, not single quotes', 'replace the single quotes with double quotes');
    if (i >= n) return fail(i, `unexpected end of the file: ${what}`, fix);
    return fail(i, `unexpected ${describeAt(text, i)}: ${what}`, fix);
  };
  /** Scan a string starting at i (which holds '"'); returns its end offset (after the quote) or an error. */
  const scanString = (): number | JsonScan => {
    const start = i;
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) return ++i;
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) return fail(i, 'invalid \\u escape: it needs four hex digits', 'write \\u followed by four hex digits, e.g. \\u0041');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
        } else {
          return fail(i, `invalid escape \\${e === undefined ? '' : describeAt(text, i + 1)} in a string`, 'write a backslash as \\\\');
        }
        continue;
      }
      if (c < 0x20) {
        return c === 0x0a || c === 0x0d
          ? fail(i, `the control character ${describeCodePoint(c)} is inside a string (a string cannot span lines)`, 'close the string with " before the line ends')
          : fail(i, `the control character ${describeCodePoint(c)} is inside a string`, 'remove it (JSON strings cannot hold raw control characters)');
      }
      i++;
    }
    return fail(start, 'unterminated string: the closing " is missing', 'add the closing double quote');
  };
  const readKey = (frame: Frame & { kind: 'object' }): JsonScan | undefined => {
    if (text[i] !== '"') {
      if (i < n && /[A-Za-z_$]/.test(text[i] as string)) {
        return fail(i, 'property names must be in double quotes', 'put the name in double quotes, e.g. "name": ...');
      }
      return unexpected('expected a property name in double quotes', 'write "key": value');
    }
    const start = i;
    const end = scanString();
    if (typeof end !== 'number') return end;
    const key = JSON.parse(text.slice(start, end)) as string;
    if (frame.keys.has(key)) duplicates.push({ path: formatPath([...frame.path, key]), offset: start });
    frame.keys.add(key);
    pendingKey = key;
    ws();
    if (text[i] !== ':') return unexpected(`expected ':' after the property name "${key.length > 40 ? key.slice(0, 40) + '…' : key}"`, 'write "key": value');
    i++;
    return undefined;
  };
  const childPath = (): PathSegment[] => {
    const top = stack[stack.length - 1];
    if (!top) return [];
    return top.kind === 'object' ? [...top.path, pendingKey ?? ''] : [...top.path, top.index];
  };

  // expect: true = a value is expected next; false = a value just ended.
  let expectValue = true;
  for (;;) {
    ws();
    if (expectValue) {
      if (i >= n) return unexpected(stack.length === 0 ? 'the file holds no JSON value' : 'expected a value', stack.length === 0 ? 'start from the starter topology (rosvpn init)' : 'complete the value and close every { and [');
      const c = text[i] as string;
      if (c === '{' || c === '[') {
        if (stack.length >= MAX_SCAN_DEPTH) return fail(i, `nesting is deeper than ${MAX_SCAN_DEPTH} levels`, 'flatten the document');
        const path = childPath();
        i++;
        ws();
        if (c === '{') {
          if (text[i] === '}') {
            i++;
            expectValue = false;
            continue;
          }
          const frame: Frame = { kind: 'object', path, keys: new Set() };
          stack.push(frame);
          const err = readKey(frame);
          if (err) return err;
        } else {
          if (text[i] === ']') {
            i++;
            expectValue = false;
            continue;
          }
          stack.push({ kind: 'array', path, index: 0 });
        }
        continue;
      }
      if (c === '"') {
        const end = scanString();
        if (typeof end !== 'number') return end;
        expectValue = false;
        continue;
      }
      if (c === '-' || (c >= '0' && c <= '9')) {
        const m = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
        m.lastIndex = i;
        const r = m.exec(text);
        if (!r) return fail(i, 'invalid number', 'write a number like 1194 or 1500');
        i += r[0].length;
        if (i < n && /[0-9]/.test(text[i] as string) && r[1] === '0') {
          return fail(i - 1, 'numbers cannot have leading zeros', 'remove the leading zero, or quote the value if it is an address');
        }
        if (i < n && /[0-9.eE]/.test(text[i] as string)) return fail(i, 'invalid number', 'write a number like 1194 or 1500');
        expectValue = false;
        continue;
      }
      const word = /[A-Za-z_][A-Za-z0-9_]*/y;
      word.lastIndex = i;
      const w = word.exec(text);
      if (w) {
        if (w[0] === 'true' || w[0] === 'false' || w[0] === 'null') {
          i += w[0].length;
          expectValue = false;
          continue;
        }
        const shown = w[0].length > 20 ? w[0].slice(0, 20) + '…' : w[0];
        return fail(i, `unexpected word ${shown}: JSON values are "strings", numbers, true, false, null, objects or lists`, 'put text in double quotes');
      }
      return unexpected('expected a value', 'write a value: "text", a number, true, false, null, { ... } or [ ... ]');
    }

    // A value just ended.
    const top = stack[stack.length - 1];
    if (!top) {
      if (i < n) return unexpected('the JSON document already ended', 'remove the extra text, or wrap several values in one object');
      return { duplicates };
    }
    if (top.kind === 'object') {
      if (text[i] === ',') {
        i++;
        ws();
        if (text[i] === '}') return fail(i, "unexpected '}' after ','", "remove the ',' before it: JSON does not allow trailing commas");
        const err = readKey(top);
        if (err) return err;
        expectValue = true;
        continue;
      }
      if (text[i] === '}') {
        i++;
        stack.pop();
        continue;
      }
      if (text[i] === '"') return fail(i, "missing ',' between properties", "add a ',' after the previous value");
      return unexpected("expected ',' or '}' after a property value", "add a ',' between properties or close the object with '}'");
    }
    if (text[i] === ',') {
      i++;
      ws();
      if (text[i] === ']') return fail(i, "unexpected ']' after ','", "remove the ',' before it: JSON does not allow trailing commas");
      top.index++;
      expectValue = true;
      continue;
    }
    if (text[i] === ']') {
      i++;
      stack.pop();
      continue;
    }
    if (i < n && '"{[-0123456789tfn'.includes(text[i] as string)) return fail(i, "missing ',' between list entries", "add a ',' after the previous entry");
    return unexpected("expected ',' or ']' after a list entry", "add a ',' between entries or close the list with ']'");
  }
}
