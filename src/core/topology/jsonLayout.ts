// Where each value of a JSON text sits (offsets), so that a small edit — one list entry added or removed —
// can be made in the text itself and everything else stays byte for byte as the user wrote it (indentation,
// key order, line ends, notes). Only for text that scanJson accepted: it assumes valid JSON.

import { scanJson } from './jsonText';

export interface JsonNode {
  kind: 'object' | 'array' | 'string' | 'number' | 'literal';
  /** Offset of the value's first character. */
  start: number;
  /** Offset after the value's last character. */
  end: number;
  /** Members of an object (with the offset of the key's opening quote) or entries of a list, in order. */
  children: { key?: string; keyStart?: number; node: JsonNode }[];
}

class Layout {
  private i = 0;
  constructor(private readonly text: string) {}

  private ws(): void {
    while (this.i < this.text.length && ' \t\r\n'.includes(this.text[this.i] as string)) this.i++;
  }

  private string(): void {
    this.i++;
    while (this.text[this.i] !== '"') this.i += this.text[this.i] === '\\' ? 2 : 1;
    this.i++;
  }

  value(): JsonNode {
    this.ws();
    const start = this.i;
    const c = this.text[this.i];
    if (c === '{' || c === '[') return this.container(c, start);
    if (c === '"') {
      this.string();
      return { kind: 'string', start, end: this.i, children: [] };
    }
    const m = /-?[0-9][0-9.eE+-]*|true|false|null/y;
    m.lastIndex = this.i;
    const token = m.exec(this.text)?.[0] ?? '';
    this.i += token.length;
    return { kind: /^[-0-9]/.test(token) ? 'number' : 'literal', start, end: this.i, children: [] };
  }

  private container(open: '{' | '[', start: number): JsonNode {
    const node: JsonNode = { kind: open === '{' ? 'object' : 'array', start, end: start, children: [] };
    const close = open === '{' ? '}' : ']';
    this.i++;
    this.ws();
    while (this.text[this.i] !== close) {
      if (open === '{') {
        const keyStart = this.i;
        this.string();
        const key = JSON.parse(this.text.slice(keyStart, this.i)) as string;
        this.ws();
        this.i++; // ':'
        node.children.push({ key, keyStart, node: this.value() });
      } else {
        node.children.push({ node: this.value() });
      }
      this.ws();
      if (this.text[this.i] === ',') this.i++;
      this.ws();
    }
    this.i++;
    node.end = this.i;
    return node;
  }
}

/** The layout of a JSON text; throws when the text is not valid JSON. */
export function jsonLayout(text: string): JsonNode {
  const scan = scanJson(text);
  if (scan.error) throw new Error(`not valid JSON: ${scan.error.message}`);
  return new Layout(text).value();
}

/** The whitespace that starts the line holding `offset`, or undefined when something else precedes it there. */
export function lineIndent(text: string, offset: number): string | undefined {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  return /^[ \t]*$/.test(before) ? before : undefined;
}

/** JSON.stringify(value) laid out like its neighbours: on lines indented by `unit` below `indent`, or on one line. */
export function layoutValue(value: unknown, layout: { indent: string; unit: string; newline: string } | undefined): string {
  if (!layout) return JSON.stringify(value);
  return JSON.stringify(value, null, layout.unit).split('\n').join(`${layout.newline}${layout.indent}`);
}
