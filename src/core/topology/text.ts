// Text helpers for diagnostics: safe display of untrusted values, code-point naming, field paths,
// and the hostile-string checks that run before anything in a topology is interpreted.
// Never import `vscode` here.

/** A segment of a field path: an object key or an array index. */
export type PathSegment = string | number;

/** `['seconds', 1, 'vpnIp']` -> `seconds[1].vpnIp`; odd keys are quoted: `gateway["a.b"]`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${quote(seg, 60)}]`;
  }
  return out;
}

/** `U+00E9` style code point label. */
export function codePointLabel(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

const C0_NAMES = [
  'NULL',
  'START OF HEADING',
  'START OF TEXT',
  'END OF TEXT',
  'END OF TRANSMISSION',
  'ENQUIRY',
  'ACKNOWLEDGE',
  'BELL',
  'BACKSPACE',
  'CHARACTER TABULATION',
  'LINE FEED',
  'LINE TABULATION',
  'FORM FEED',
  'CARRIAGE RETURN',
  'SHIFT OUT',
  'SHIFT IN',
  'DATA LINK ESCAPE',
  'DEVICE CONTROL ONE',
  'DEVICE CONTROL TWO',
  'DEVICE CONTROL THREE',
  'DEVICE CONTROL FOUR',
  'NEGATIVE ACKNOWLEDGE',
  'SYNCHRONOUS IDLE',
  'END OF TRANSMISSION BLOCK',
  'CANCEL',
  'END OF MEDIUM',
  'SUBSTITUTE',
  'ESCAPE',
  'INFORMATION SEPARATOR FOUR',
  'INFORMATION SEPARATOR THREE',
  'INFORMATION SEPARATOR TWO',
  'INFORMATION SEPARATOR ONE',
];
const DIGIT_NAMES = ['ZERO', 'ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', 'SIX', 'SEVEN', 'EIGHT', 'NINE'];
const CYRILLIC_NAMES = [
  'A',
  'BE',
  'VE',
  'GHE',
  'DE',
  'IE',
  'ZHE',
  'ZE',
  'I',
  'SHORT I',
  'KA',
  'EL',
  'EM',
  'EN',
  'O',
  'PE',
  'ER',
  'ES',
  'TE',
  'U',
  'EF',
  'HA',
  'TSE',
  'CHE',
  'SHA',
  'SHCHA',
  'HARD SIGN',
  'YERU',
  'SOFT SIGN',
  'E',
  'YU',
  'YA',
];
const NAMED: Record<number, string> = {
  0x7f: 'DELETE',
  0x85: 'NEXT LINE',
  0xa0: 'NO-BREAK SPACE',
  0xad: 'SOFT HYPHEN',
  0xb2: 'SUPERSCRIPT TWO',
  0xb3: 'SUPERSCRIPT THREE',
  0xb9: 'SUPERSCRIPT ONE',
  0x0391: 'GREEK CAPITAL LETTER ALPHA',
  0x0392: 'GREEK CAPITAL LETTER BETA',
  0x0395: 'GREEK CAPITAL LETTER EPSILON',
  0x039f: 'GREEK CAPITAL LETTER OMICRON',
  0x03b1: 'GREEK SMALL LETTER ALPHA',
  0x03bf: 'GREEK SMALL LETTER OMICRON',
  0x0455: 'CYRILLIC SMALL LETTER DZE',
  0x0456: 'CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I',
  0x0458: 'CYRILLIC SMALL LETTER JE',
  0x2002: 'EN SPACE',
  0x2003: 'EM SPACE',
  0x2009: 'THIN SPACE',
  0x200a: 'HAIR SPACE',
  0x200b: 'ZERO WIDTH SPACE',
  0x200c: 'ZERO WIDTH NON-JOINER',
  0x200d: 'ZERO WIDTH JOINER',
  0x200e: 'LEFT-TO-RIGHT MARK',
  0x200f: 'RIGHT-TO-LEFT MARK',
  0x2010: 'HYPHEN',
  0x2011: 'NON-BREAKING HYPHEN',
  0x2012: 'FIGURE DASH',
  0x2013: 'EN DASH',
  0x2014: 'EM DASH',
  0x2018: 'LEFT SINGLE QUOTATION MARK',
  0x2019: 'RIGHT SINGLE QUOTATION MARK',
  0x201c: 'LEFT DOUBLE QUOTATION MARK',
  0x201d: 'RIGHT DOUBLE QUOTATION MARK',
  0x2024: 'ONE DOT LEADER',
  0x2028: 'LINE SEPARATOR',
  0x2029: 'PARAGRAPH SEPARATOR',
  0x202a: 'LEFT-TO-RIGHT EMBEDDING',
  0x202b: 'RIGHT-TO-LEFT EMBEDDING',
  0x202c: 'POP DIRECTIONAL FORMATTING',
  0x202d: 'LEFT-TO-RIGHT OVERRIDE',
  0x202e: 'RIGHT-TO-LEFT OVERRIDE',
  0x202f: 'NARROW NO-BREAK SPACE',
  0x2044: 'FRACTION SLASH',
  0x2060: 'WORD JOINER',
  0x2066: 'LEFT-TO-RIGHT ISOLATE',
  0x2067: 'RIGHT-TO-LEFT ISOLATE',
  0x2068: 'FIRST STRONG ISOLATE',
  0x2069: 'POP DIRECTIONAL ISOLATE',
  0x2070: 'SUPERSCRIPT ZERO',
  0x2212: 'MINUS SIGN',
  0x2215: 'DIVISION SLASH',
  0x3000: 'IDEOGRAPHIC SPACE',
  0x3002: 'IDEOGRAPHIC FULL STOP',
  0xfeff: 'ZERO WIDTH NO-BREAK SPACE',
  0xff0e: 'FULLWIDTH FULL STOP',
  0xff0f: 'FULLWIDTH SOLIDUS',
  0xff1a: 'FULLWIDTH COLON',
  0xfffd: 'REPLACEMENT CHARACTER',
};

/** Unicode name of a code point, for the characters people paste by accident; undefined if not in our table. */
export function codePointName(cp: number): string | undefined {
  if (cp < 0x20) return C0_NAMES[cp];
  const named = NAMED[cp];
  if (named) return named;
  if (cp >= 0x80 && cp <= 0x9f) return undefined;
  const digitIn = (base: number): string | undefined => (cp >= base && cp <= base + 9 ? DIGIT_NAMES[cp - base] : undefined);
  let d: string | undefined;
  if ((d = digitIn(0xff10))) return `FULLWIDTH DIGIT ${d}`;
  if ((d = digitIn(0x0660))) return `ARABIC-INDIC DIGIT ${d}`;
  if ((d = digitIn(0x06f0))) return `EXTENDED ARABIC-INDIC DIGIT ${d}`;
  if ((d = digitIn(0x0966))) return `DEVANAGARI DIGIT ${d}`;
  if ((d = digitIn(0x09e6))) return `BENGALI DIGIT ${d}`;
  if ((d = digitIn(0x2080))) return `SUBSCRIPT ${d}`;
  if (cp >= 0x2074 && cp <= 0x2079) return `SUPERSCRIPT ${DIGIT_NAMES[cp - 0x2070]}`;
  if ((d = digitIn(0x1d7ce))) return `MATHEMATICAL BOLD DIGIT ${d}`;
  if ((d = digitIn(0x1d7d8))) return `MATHEMATICAL DOUBLE-STRUCK DIGIT ${d}`;
  if ((d = digitIn(0x1d7e2))) return `MATHEMATICAL SANS-SERIF DIGIT ${d}`;
  if ((d = digitIn(0x1d7ec))) return `MATHEMATICAL SANS-SERIF BOLD DIGIT ${d}`;
  if ((d = digitIn(0x1d7f6))) return `MATHEMATICAL MONOSPACE DIGIT ${d}`;
  if (cp >= 0xff21 && cp <= 0xff3a) return `FULLWIDTH LATIN CAPITAL LETTER ${String.fromCharCode(cp - 0xff21 + 65)}`;
  if (cp >= 0xff41 && cp <= 0xff5a) return `FULLWIDTH LATIN SMALL LETTER ${String.fromCharCode(cp - 0xff41 + 65)}`;
  if (cp >= 0x0410 && cp <= 0x042f) return `CYRILLIC CAPITAL LETTER ${CYRILLIC_NAMES[cp - 0x0410]}`;
  if (cp >= 0x0430 && cp <= 0x044f) return `CYRILLIC SMALL LETTER ${CYRILLIC_NAMES[cp - 0x0430]}`;
  if (cp >= 0xd800 && cp <= 0xdfff) return 'LONE SURROGATE';
  return undefined;
}

/** Latin letters that Cyrillic and Greek letters are mistaken for. */
const CONFUSABLE: Record<number, string> = {
  0x0430: 'a',
  0x0435: 'e',
  0x043e: 'o',
  0x0440: 'p',
  0x0441: 'c',
  0x0443: 'y',
  0x0445: 'x',
  0x0455: 's',
  0x0456: 'i',
  0x0458: 'j',
  0x0410: 'A',
  0x0412: 'B',
  0x0415: 'E',
  0x041a: 'K',
  0x041c: 'M',
  0x041d: 'H',
  0x041e: 'O',
  0x0420: 'P',
  0x0421: 'C',
  0x0422: 'T',
  0x0425: 'X',
  0x03bf: 'o',
  0x039f: 'O',
  0x03b1: 'a',
  0x0391: 'A',
  0x0392: 'B',
  0x0395: 'E',
  0x2010: '-',
  0x2011: '-',
  0x2012: '-',
  0x2013: '-',
  0x2014: '-',
  0x2212: '-',
  0x2024: '.',
  0x3002: '.',
  0x2044: '/',
  0x2215: '/',
};

/** The plain ASCII character a non-ASCII one looks like, if any (`１` -> `1`, Cyrillic `о` -> `o`). */
export function asciiLookalike(cp: number): string | undefined {
  const direct = CONFUSABLE[cp];
  if (direct) return direct;
  if (cp >= 0xd800 && cp <= 0xdfff) return undefined;
  const folded = String.fromCodePoint(cp).normalize('NFKC');
  if (folded.length === 1 && /^[!-~]$/.test(folded)) return folded;
  // Accented Latin letters: é -> e.
  const base = String.fromCodePoint(cp).normalize('NFD')[0];
  if (base !== undefined && /^[A-Za-z]$/.test(base)) return base;
  // Decimal digits (Nd) of every script come in contiguous runs of ten, ZERO to NINE.
  const isNd = (c: number): boolean => c >= 0 && /^\p{Nd}$/u.test(String.fromCodePoint(c));
  if (isNd(cp)) {
    let start = cp;
    while (start > cp - 100 && isNd(start - 1)) start--;
    return String((cp - start) % 10);
  }
  return undefined;
}

/** `U+FF11 FULLWIDTH DIGIT ONE`, or `U+XXXX (a letter from another alphabet)` when we don't know its name. */
export function describeCodePoint(cp: number): string {
  const label = codePointLabel(cp);
  const name = codePointName(cp);
  if (name) return `${label} ${name}`;
  const ch = cp >= 0xd800 && cp <= 0xdfff ? '' : String.fromCodePoint(cp);
  let kind = 'a non-ASCII character';
  if (/^\p{Cc}$/u.test(ch)) kind = 'a control character';
  else if (/^\p{Cf}$/u.test(ch)) kind = 'an invisible formatting character';
  else if (/^\p{Nd}$/u.test(ch)) kind = 'a digit from another script';
  else if (/^\p{L}$/u.test(ch)) kind = 'a letter from another alphabet';
  else if (/^\p{Z}$/u.test(ch)) kind = 'a non-ASCII space';
  return `${label} (${kind})`;
}

/** Iterate code points with their UTF-16 offsets; lone surrogates come out as themselves. */
function* codePoints(s: string): Generator<[number, number]> {
  for (let i = 0; i < s.length;) {
    const cp = s.codePointAt(i) as number;
    yield [cp, i];
    i += cp > 0xffff ? 2 : 1;
  }
}

/**
 * A double-quoted, terminal-safe rendering of an untrusted string: printable ASCII as is, everything else
 * escaped (`\n`, `\u202E`, `\u{1D7CF}`), truncated to about `max` characters.
 */
export function quote(s: string, max = 60): string {
  let out = '';
  let shown = 0;
  for (const [cp] of codePoints(s)) {
    if (shown >= max) {
      out += `…(${s.length} characters)`;
      break;
    }
    shown++;
    if (cp === 0x22) out += '\\"';
    else if (cp === 0x5c) out += '\\\\';
    else if (cp >= 0x20 && cp <= 0x7e) out += String.fromCharCode(cp);
    else if (cp === 0x0a) out += '\\n';
    else if (cp === 0x0d) out += '\\r';
    else if (cp === 0x09) out += '\\t';
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += `\\u{${cp.toString(16).toUpperCase()}}`;
  }
  return `"${out}"`;
}

/**
 * Show a value in a message: plain tokens (addresses, names, paths) bare, anything else quoted and escaped so
 * that no control or bidi character from the file reaches the user's terminal.
 */
export function show(value: unknown): string {
  if (typeof value === 'string') {
    return /^[A-Za-z0-9._/:~+@-]{1,80}$/.test(value) ? value : quote(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (value === undefined) return 'undefined';
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  if (json === undefined) return `(${typeof value})`;
  const inner = quote(json, 60);
  return inner.slice(1, -1).replace(/\\"/g, '"');
}

/** `a string`, `an integer`, `an array`, ... for type mismatch messages. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a number' : 'a number with a fraction';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
}

// ---- hostile strings --------------------------------------------------------------------------------------

/** What a string field may contain beyond plain printable ASCII without shell meaning. */
export interface StringPolicy {
  /** Schema maxLength (capped by GLOBAL_STRING_CAP). */
  maxLength: number;
  /** Characters from the shell-metacharacter set that this field allows (identityFile: backslash). */
  allow?: string;
  /** The value is passed to ssh as a host, user or jump spec: a leading '-' would be read as an option. */
  sshArgument?: boolean;
  /** Never reaches a shell or config file (`$schema`): only control/non-ASCII/length checks. */
  inert?: boolean;
  /** A leading '-' is harmless here (object keys). */
  allowLeadingDash?: boolean;
}

export const GLOBAL_STRING_CAP = 4096;

/** Shell metacharacters never allowed in values that end up in scripts and config files. */
export const SHELL_METACHARACTERS = '$`;|&<>(){}*?!\'"\\';

const METACHAR_NAMES: Record<string, string> = {
  $: "'$'",
  '`': 'a backtick',
  ';': "';'",
  '|': "'|'",
  '&': "'&'",
  '<': "'<'",
  '>': "'>'",
  '(': "'('",
  ')': "')'",
  '{': "'{'",
  '}': "'}'",
  '*': "'*'",
  '?': "'?'",
  '!': "'!'",
  "'": 'a single quote',
  '"': 'a double quote',
  '\\': 'a backslash',
};

export interface StringProblem {
  message: string;
  fix: string;
}

/**
 * The first hostile property of `value`, checked in order: the global length cap, control characters,
 * non-ASCII, command substitution, shell metacharacters, the field's length limit, a leading '-'. Spaces are
 * left to the schema patterns (only identityFile allows them). `what` names the thing in fixes ("value", "key").
 */
export function checkHostileString(value: string, policy: StringPolicy, what = 'value'): StringProblem | undefined {
  const shown = quote(value, 40);
  const max = Math.min(policy.maxLength, GLOBAL_STRING_CAP);
  const tooLong = (): StringProblem => ({
    message: `${shown} is ${value.length} characters long; the limit is ${max}`,
    fix: `shorten the ${what} to at most ${max} characters`,
  });
  // Bound the work first; the field's own (smaller) limit is reported after the more telling checks below.
  if (value.length > GLOBAL_STRING_CAP) return tooLong();
  for (const [cp, at] of codePoints(value)) {
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
      return {
        message: `${shown} contains the control character ${describeCodePoint(cp)} at position ${at + 1}`,
        fix: `remove it; a ${what} must be one line of plain ASCII text`,
      };
    }
    if (cp > 0x7e) {
      const looks = asciiLookalike(cp);
      return {
        message: `${shown} contains ${describeCodePoint(cp)} at position ${at + 1}`,
        fix:
          looks !== undefined
            ? `type plain ASCII: it looks like '${looks}' but is a different character; retype it as '${looks}'`
            : `type plain ASCII: remove or retype that character`,
      };
    }
  }
  if (policy.inert) return value.length > max ? tooLong() : undefined;
  const subst = /\$\(|\$\{|`/.exec(value);
  if (subst) {
    const kind =
      subst[0] === '${' ? 'a parameter expansion ${…}' : subst[0] === '`' ? 'a command substitution `…`' : 'a command substitution $(…)';
    return {
      message: `${shown} contains ${kind}`,
      fix: `remove it; rosvpn writes this ${what} into shell scripts and config files, so shell syntax is never allowed`,
    };
  }
  for (const ch of value) {
    if (SHELL_METACHARACTERS.includes(ch) && !(policy.allow ?? '').includes(ch)) {
      return {
        message: `${shown} contains the shell metacharacter ${METACHAR_NAMES[ch]}`,
        fix: `remove it; rosvpn writes this ${what} into shell scripts and config files`,
      };
    }
  }
  if (value.length > max) return tooLong();
  if (value.startsWith('-') && !policy.allowLeadingDash) {
    return policy.sshArgument
      ? {
          message: `${shown} starts with '-', which ssh would read as an option (option injection)`,
          fix: `remove the leading '-'`,
        }
      : { message: `${shown} starts with '-'`, fix: `remove the leading '-'` };
  }
  return undefined;
}
