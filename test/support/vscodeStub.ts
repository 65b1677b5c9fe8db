// Loading extension modules under a stub `vscode` in plain mocha (no VS Code): every require('vscode')
// made while the stub is installed gets it.
import Module from 'module';

const M = Module as unknown as {
  _resolveFilename: (req: string, ...rest: unknown[]) => string;
  _load: (req: string, ...rest: unknown[]) => unknown;
};

/**
 * Installs `vscode` as the module require('vscode') returns. The returned function restores the loader and
 * drops every module loaded meanwhile from the cache, so that no other test gets them (and the stub).
 */
export function installVscodeStub(vscode: unknown): () => void {
  const resolve0 = M._resolveFilename;
  const load0 = M._load;
  const cachedBefore = new Set(Object.keys(require.cache));
  M._resolveFilename = function (req: string, ...rest: unknown[]) {
    return req === 'vscode' ? 'vscode' : resolve0.call(this, req, ...rest);
  };
  M._load = function (req: string, ...rest: unknown[]) {
    return req === 'vscode' ? vscode : load0.call(this, req, ...rest);
  };
  return () => {
    M._resolveFilename = resolve0;
    M._load = load0;
    for (const k of Object.keys(require.cache)) if (!cachedBefore.has(k)) delete require.cache[k];
  };
}
