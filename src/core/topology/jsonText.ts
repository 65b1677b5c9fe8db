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

type Frame = { kind: 'object'; path: PathSegment[]; keys: Set<string> } | { kind: 'array'; path: PathSegment[]; index: number };

/** The scanner's state: the position, the open objects and lists, and whether a value comes next. Each step
 * returns the scan's result when it ends there (an error, or the end of the document), else undefined. */
class JsonScanner {
  readonly duplicates: DuplicateKey[] = [];
  private readonly n: number;
  private i = 0;
  private readonly stack: Frame[] = [];
  private pendingKey: string | undefined;
  /** true: a value is expected next; false: a value just ended. */
  private expectValue = true;

  constructor(private readonly text: string) {
    this.n = text.length;
  }

  run(): JsonScan {
    for (;;) {
      this.ws();
      const done = this.expectValue ? this.value() : this.afterValue();
      if (done) return done;
    }
  }

  private fail(offset: number, message: string, fix: string): JsonScan {
    return { error: { offset, message, fix }, duplicates: this.duplicates };
  }

  private ws(): void {
    while (this.i < this.n) {
      const c = this.text.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else break;
    }
  }

  private unexpected(what: string, fix: string): JsonScan {
    const { text, i, n } = this;
    if (text.startsWith('//', i) || text.startsWith('/*', i)) {
      return this.fail(i, 'comments are not allowed in JSON', 'remove the comment (or keep a note in an "x-note" key)');
    }
    if (text[i] === "'")
      return this.fail(i, 'strings must use double quotes, not single quotes', 'replace the single quotes with double quotes');
    if (i >= n) return this.fail(i, `unexpected end of the file: ${what}`, fix);
    return this.fail(i, `unexpected ${describeAt(text, i)}: ${what}`, fix);
  }

  /** Scan a string starting at i (which holds '"'); returns its end offset (after the quote) or an error. */
  private scanString(): number | JsonScan {
    const { text, n } = this;
    const start = this.i;
    this.i++;
    while (this.i < n) {
      const i = this.i;
      const c = text.charCodeAt(i);
      if (c === 0x22) return ++this.i;
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6)))
            return this.fail(i, 'invalid \\u escape: it needs four hex digits', 'write \\u followed by four hex digits, e.g. \\u0041');
          this.i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          this.i += 2;
        } else {
          return this.fail(
            i,
            `invalid escape \\${e === undefined ? '' : describeAt(text, i + 1)} in a string`,
            'write a backslash as \\\\',
          );
        }
        continue;
      }
      if (c < 0x20) {
        return c === 0x0a || c === 0x0d
          ? this.fail(
              i,
              `the control character ${describeCodePoint(c)} is inside a string (a string cannot span lines)`,
              'close the string with " before the line ends',
            )
          : this.fail(
              i,
              `the control character ${describeCodePoint(c)} is inside a string`,
              'remove it (JSON strings cannot hold raw control characters)',
            );
      }
      this.i++;
    }
    return this.fail(start, 'unterminated string: the closing " is missing', 'add the closing double quote');
  }

  private readKey(frame: Frame & { kind: 'object' }): JsonScan | undefined {
    const { text, n } = this;
    if (text[this.i] !== '"') {
      if (this.i < n && /[A-Za-z_$]/.test(text[this.i] as string)) {
        return this.fail(this.i, 'property names must be in double quotes', 'put the name in double quotes, e.g. "name": ...');
      }
      return this.unexpected('expected a property name in double quotes', 'write "key": value');
    }
    const start = this.i;
    const end = this.scanString();
    if (typeof end !== 'number') return end;
    const key = JSON.parse(text.slice(start, end)) as string;
    if (frame.keys.has(key)) this.duplicates.push({ path: formatPath([...frame.path, key]), offset: start });
    frame.keys.add(key);
    this.pendingKey = key;
    this.ws();
    if (text[this.i] !== ':')
      return this.unexpected(
        `expected ':' after the property name "${key.length > 40 ? key.slice(0, 40) + '…' : key}"`,
        'write "key": value',
      );
    this.i++;
    return undefined;
  }

  private childPath(): PathSegment[] {
    const top = this.stack[this.stack.length - 1];
    if (!top) return [];
    return top.kind === 'object' ? [...top.path, this.pendingKey ?? ''] : [...top.path, top.index];
  }

  /** A value is expected: an object or list opens, or a string, number or word is scanned. */
  private value(): JsonScan | undefined {
    const { text, n, stack } = this;
    if (this.i >= n)
      return this.unexpected(
        stack.length === 0 ? 'the file holds no JSON value' : 'expected a value',
        stack.length === 0 ? 'start from the starter topology (rosvpn init)' : 'complete the value and close every { and [',
      );
    const c = text[this.i] as string;
    if (c === '{' || c === '[') return this.open(c);
    if (c === '"') {
      const end = this.scanString();
      if (typeof end !== 'number') return end;
      this.expectValue = false;
      return undefined;
    }
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    return this.word();
  }

  private open(c: '{' | '['): JsonScan | undefined {
    const { text, stack } = this;
    if (stack.length >= MAX_SCAN_DEPTH) return this.fail(this.i, `nesting is deeper than ${MAX_SCAN_DEPTH} levels`, 'flatten the document');
    const path = this.childPath();
    this.i++;
    this.ws();
    if (text[this.i] === (c === '{' ? '}' : ']')) {
      this.i++;
      this.expectValue = false;
      return undefined;
    }
    if (c === '[') {
      stack.push({ kind: 'array', path, index: 0 });
      return undefined;
    }
    const frame: Frame = { kind: 'object', path, keys: new Set() };
    stack.push(frame);
    return this.readKey(frame);
  }

  private number(): JsonScan | undefined {
    const { text, n } = this;
    const m = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
    m.lastIndex = this.i;
    const r = m.exec(text);
    if (!r) return this.fail(this.i, 'invalid number', 'write a number like 1194 or 1500');
    this.i += r[0].length;
    if (this.i < n && /[0-9]/.test(text[this.i] as string) && r[1] === '0') {
      return this.fail(this.i - 1, 'numbers cannot have leading zeros', 'remove the leading zero, or quote the value if it is an address');
    }
    if (this.i < n && /[0-9.eE]/.test(text[this.i] as string))
      return this.fail(this.i, 'invalid number', 'write a number like 1194 or 1500');
    this.expectValue = false;
    return undefined;
  }

  private word(): JsonScan | undefined {
    const word = /[A-Za-z_][A-Za-z0-9_]*/y;
    word.lastIndex = this.i;
    const w = word.exec(this.text);
    if (w) {
      if (w[0] === 'true' || w[0] === 'false' || w[0] === 'null') {
        this.i += w[0].length;
        this.expectValue = false;
        return undefined;
      }
      const shown = w[0].length > 20 ? w[0].slice(0, 20) + '…' : w[0];
      return this.fail(
        this.i,
        `unexpected word ${shown}: JSON values are "strings", numbers, true, false, null, objects or lists`,
        'put text in double quotes',
      );
    }
    return this.unexpected('expected a value', 'write a value: "text", a number, true, false, null, { ... } or [ ... ]');
  }

  /** A value just ended: a ',' or the close of its object or list, or the end of the document. */
  private afterValue(): JsonScan | undefined {
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      if (this.i < this.n)
        return this.unexpected('the JSON document already ended', 'remove the extra text, or wrap several values in one object');
      return { duplicates: this.duplicates };
    }
    return top.kind === 'object' ? this.afterProperty(top) : this.afterEntry(top);
  }

  private afterProperty(top: Frame & { kind: 'object' }): JsonScan | undefined {
    const { text } = this;
    if (text[this.i] === ',') {
      this.i++;
      this.ws();
      if (text[this.i] === '}')
        return this.fail(this.i, "unexpected '}' after ','", "remove the ',' before it: JSON does not allow trailing commas");
      const err = this.readKey(top);
      if (err) return err;
      this.expectValue = true;
      return undefined;
    }
    if (text[this.i] === '}') {
      this.i++;
      this.stack.pop();
      return undefined;
    }
    if (text[this.i] === '"') return this.fail(this.i, "missing ',' between properties", "add a ',' after the previous value");
    return this.unexpected("expected ',' or '}' after a property value", "add a ',' between properties or close the object with '}'");
  }

  private afterEntry(top: Frame & { kind: 'array' }): JsonScan | undefined {
    const { text } = this;
    if (text[this.i] === ',') {
      this.i++;
      this.ws();
      if (text[this.i] === ']')
        return this.fail(this.i, "unexpected ']' after ','", "remove the ',' before it: JSON does not allow trailing commas");
      top.index++;
      this.expectValue = true;
      return undefined;
    }
    if (text[this.i] === ']') {
      this.i++;
      this.stack.pop();
      return undefined;
    }
    if (this.i < this.n && '"{[-0123456789tfn'.includes(text[this.i] as string))
      return this.fail(this.i, "missing ',' between list entries", "add a ',' after the previous entry");
    return this.unexpected("expected ',' or ']' after a list entry", "add a ',' between entries or close the list with ']'");
  }
}

export function scanJson(text: string): JsonScan {
  return new JsonScanner(text).run();
}
