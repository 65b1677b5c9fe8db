// A throwaway workspace folder for one test.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface TempWorkspace {
  dir: string;
  /** Absolute path of a file in the workspace. */
  file(name: string): string;
  remove(): void;
}

/** Creates a temp folder holding `files` (relative path -> content). */
export function tempWorkspace(files: Record<string, string> = {}): TempWorkspace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-ui-ws-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return {
    dir,
    file: (name) => path.join(dir, name),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
