// Lists the functions under src/ longer than a limit (default 80 lines), for test/unit/longFunctions.test.ts
// and by hand:  npx tsx scripts/long-functions.ts [LIMIT]
// A function may be longer when a comment before it (or before the declaration or property that holds it)
// says why, with "long:" in it, e.g. `// long: one table of every rule, in the order the docs list them`.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

export interface LongFunction {
  /** Path relative to the repository, with forward slashes. */
  file: string;
  /** `Class.method`, `function`, `variable` or `property`; `outer>(anonymous)` for unnamed callbacks. */
  name: string;
  line: number;
  lines: number;
  /** The "long:" reason from a comment before it, if any. */
  reason?: string;
}

const ROOT = path.resolve(__dirname, '..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function nameOf(node: ts.Node): string | undefined {
  const named = node as ts.Node & { name?: ts.Node };
  if (named.name && (ts.isIdentifier(named.name) || ts.isStringLiteral(named.name) || ts.isPrivateIdentifier(named.name)))
    return named.name.text;
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const p = node.parent;
  if (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) return nameOf(p);
  return undefined;
}

/** The function, then its holders up to the statement or class member: where a "long:" comment may sit. */
function commentHolders(node: ts.Node): ts.Node[] {
  const out = [node];
  for (let n = node.parent; n && !ts.isSourceFile(n); n = n.parent) {
    out.push(n);
    if (ts.isStatement(n) || ts.isClassElement(n) || ts.isPropertyAssignment(n)) break;
  }
  return out;
}

function longReason(node: ts.Node, text: string): string | undefined {
  for (const h of commentHolders(node)) {
    for (const c of ts.getLeadingCommentRanges(text, h.getFullStart()) ?? []) {
      const m = /long:\s*(.+)/.exec(text.slice(c.pos, c.end));
      if (m) return m[1].replace(/\s*\*\/\s*$/, '').trim();
    }
  }
  return undefined;
}

const join = (scope: string, sep: string, name: string) => (scope ? `${scope}${sep}${name}` : name);

export function longFunctions(limit = 80, dir = path.join(ROOT, 'src')): LongFunction[] {
  const found: LongFunction[] = [];
  for (const file of sourceFiles(dir)) {
    const text = fs.readFileSync(file, 'utf8');
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    // scope: the enclosing class and function names, e.g. `Lab.up>(anonymous)`.
    const visit = (node: ts.Node, scope: string) => {
      let inner = scope;
      if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) inner = join(scope, '>', node.name?.text ?? '(class)');
      if (ts.isFunctionLike(node) && (node as ts.FunctionLikeDeclaration).body) {
        const name = join(scope, ts.isClassElement(node) ? '.' : '>', nameOf(node) ?? '(anonymous)');
        const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
        const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
        const lines = end - start + 1;
        if (lines > limit) {
          found.push({
            file: path.relative(ROOT, file).split(path.sep).join('/'),
            name,
            line: start,
            lines,
            reason: longReason(node, text),
          });
        }
        inner = name;
      }
      ts.forEachChild(node, (c) => visit(c, inner));
    };
    visit(sf, '');
  }
  return found;
}

if (require.main === module) {
  const limit = Number(process.argv[2] ?? 80);
  for (const f of longFunctions(limit)) {
    console.log(`${f.file}:${f.line}  ${f.name}  ${f.lines} lines${f.reason ? `  (long: ${f.reason})` : ''}`);
  }
}
