// Typing a command's full title into the palette and pressing Enter must run that command. The palette
// runs its first row, and it lists every command whose label matches what was typed, recently used ones
// first, then alphabetically: so no full title of ours may match another's. The matcher below follows VS
// Code's command palette filter (src/vs/workbench/contrib/quickaccess/browser/commandsQuickAccess.ts:
// or(matchesPrefix, matchesWords, matchesContiguousSubString) from src/vs/base/common/filters.ts), which
// already covers "each typed word a prefix of later words of the label" and "a substring of the label".
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

// filters.ts: whitespace and these characters separate words.
const SEPARATORS = new Set('()[]{}<>`\'"-/;:,.?!'.split(''));
const isSeparator = (ch: string | undefined) => ch !== undefined && (/\s/.test(ch) || SEPARATORS.has(ch));
const charsMatch = (a: string, b: string | undefined) => a === b || (isSeparator(a) && isSeparator(b));

/** The next index at or after `start` that is a separator or follows one (filters.ts nextWord). */
function nextWord(target: string, start: number): number {
  for (let i = start; i < target.length; i++) if (isSeparator(target[i]) || (i > 0 && isSeparator(target[i - 1]))) return i;
  return target.length;
}

/** filters.ts matchesWords(word, target, contiguous = false), as a yes/no: every typed character matches
 *  either the next character of the label or the start of a later word. */
export function matchesWords(word: string, target: string): boolean {
  const w = word.toLowerCase();
  const t = target.toLowerCase();
  const memo = new Map<string, boolean>();
  const rec = (wi: number, ti: number): boolean => {
    if (wi === w.length) return true;
    if (ti >= t.length || !charsMatch(w[wi], t[ti])) return false;
    const key = `${wi}:${ti}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let next = ti + 1;
    let ok = rec(wi + 1, next);
    while (!ok && (next = nextWord(t, next)) < t.length) {
      ok = rec(wi + 1, next);
      next++;
    }
    memo.set(key, ok);
    return ok;
  };
  for (let ti = 0; ti < t.length; ti = nextWord(t, ti + 1)) if (rec(0, ti)) return true;
  return false;
}

/** Would the palette list the command labelled `label` when `typed` is typed (after the '>')? */
export function paletteMatches(typed: string, label: string): boolean {
  const a = typed.toLowerCase();
  const b = label.toLowerCase();
  return b.startsWith(a) || b.includes(a) || matchesWords(typed, label);
}

interface Contributed {
  command: string;
  title: string;
  category?: string;
}
const fullTitle = (c: Contributed) => (c.category ? `${c.category}: ${c.title}` : c.title);

describe('command titles in the palette', () => {
  it('the model reproduces the collisions the old titles had, and tells apart titles that do not collide', () => {
    // What happened in code-server: typing the first ran the second.
    assert.ok(paletteMatches('ROS VPN: Provision Gateway', 'ROS VPN: Provision Desktop Gateway'));
    assert.ok(paletteMatches('ROS VPN: Refresh', 'ROS VPN: Refresh Cloud Status'));
    assert.ok(paletteMatches('ros vpn: prov gate', 'ROS VPN: Provision Desktop Gateway'), 'word prefixes, skipping a word, any case');
    assert.ok(paletteMatches('Cloud Stat', 'ROS VPN: Refresh Cloud Status'), 'a substring');
    assert.ok(paletteMatches('ROS VPN: Open rosvpn.json', 'ROS VPN: Open rosvpn.json'));
    assert.ok(!paletteMatches('ROS VPN: Start Instance', 'ROS VPN: Stop Instance'));
    assert.ok(
      !paletteMatches('ROS VPN: Provision Desktop Gateway', 'ROS VPN: Provision Desktop'),
      'a longer title never matches a shorter one',
    );
    assert.ok(!paletteMatches('ROS VPN: Add Second Instance', 'ROS VPN: Provision Second Instance'));
  });

  it("no contributed command's full title matches another's, so typing it and pressing Enter runs it", () => {
    const commands: Contributed[] = pkg.contributes.commands;
    assert.ok(commands.length >= 20, 'read the commands from package.json');
    const collisions: string[] = [];
    for (const a of commands) {
      for (const b of commands) {
        if (a.command !== b.command && paletteMatches(fullTitle(a), fullTitle(b))) {
          collisions.push(`typing "${fullTitle(a)}" also lists "${fullTitle(b)}" (${b.command})`);
        }
      }
    }
    assert.deepEqual(collisions, []);
    assert.equal(new Set(commands.map(fullTitle)).size, commands.length, 'titles are unique');
  });

  it('"ROS VPN: Provision Gateway" keeps its exact title', () => {
    const c = (pkg.contributes.commands as Contributed[]).find((x) => x.command === 'rosvpn.provisionGateway');
    assert.equal(c && fullTitle(c), 'ROS VPN: Provision Gateway');
  });
});
