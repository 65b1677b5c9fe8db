// Which modules inside an esbuild bundle have been evaluated.
//
// A bundle hides its modules from require.cache: ssh2 bundled into dist/extension.js never appears there.
// esbuild wraps every CommonJS module (ssh2, the AWS SDK's dist-cjs) and every lazily imported ES module
// in a closure keyed by the module's path, whose state says whether the module has run. Those closures
// live in the bundle's top-level scope, which only the V8 inspector can read, so that is where we look.
// The module paths exist only in unminified output (esbuild's minifyIdentifiers drops them).
import * as inspector from 'node:inspector';

export type ModuleState =
  | 'not-run' // wrapped, never required: loaded lazily, and not yet
  | 'ran' // wrapped and required
  // No live wrapper: an ES module hoisted into the bundle, a wrapper only the bundle's top level calls (both
  // run at load: V8 keeps no closure for them), or a lazy ES module that ran.
  | 'evaluated';

export interface BundleReport {
  script: string; // the bundle's URL as V8 loaded it
  states: Map<string, ModuleState>; // module path (as esbuild names it) → state
}

interface RemoteObject {
  type: string;
  objectId?: string;
  value?: unknown;
  description?: string;
}
interface PropertyDescriptor {
  name: string;
  value?: RemoteObject;
}

/** The modules of the bundle that defines `probe` (any function at the bundle's top level). */
export function bundleModuleStates(probe: (...args: never[]) => unknown): BundleReport {
  const session = new inspector.Session();
  session.connect();
  const key = `__rosvpnProbe${process.pid}`;
  const g = globalThis as Record<string, unknown>;
  g[key] = probe;
  try {
    // In-process sessions answer, and emit their events, synchronously.
    const post = <T>(method: string, params: object = {}): T => {
      let result: T | undefined;
      let error: Error | null = null;
      session.post(method, params, (e: Error | null, r?: object) => {
        error = e;
        result = r as T;
      });
      if (error) throw error;
      if (result === undefined) throw new Error(`inspector ${method} did not answer synchronously`);
      return result;
    };
    const own = (objectId: string) => {
      const props = post<{ result: PropertyDescriptor[]; internalProperties?: PropertyDescriptor[] }>('Runtime.getProperties', {
        objectId,
        ownProperties: true,
      });
      // The inspector lists an object's prototype as an own `__proto__` entry.
      return { ...props, result: props.result.filter((p) => p.name !== '__proto__') };
    };
    // The variables of a function's innermost closure; `nested` skips functions defined directly in the
    // bundle's top-level scope (scope chain: that scope, global), whose closure is that whole scope.
    const closureOf = (fnId: string, nested: boolean): PropertyDescriptor[] | undefined => {
      const scopes = own(fnId).internalProperties?.find((p) => p.name === '[[Scopes]]')?.value?.objectId;
      if (!scopes) return undefined;
      const chain = own(scopes).result.filter((p) => /^\d+$/.test(p.name));
      if (nested && chain.length < 3) return undefined;
      const first = chain.find((p) => p.name === '0')?.value;
      return first?.description?.startsWith('Closure') && first.objectId ? own(first.objectId).result : undefined;
    };

    const { result: fn } = post<{ result: RemoteObject }>('Runtime.evaluate', { expression: `globalThis.${key}` });
    const top = fn.objectId ? closureOf(fn.objectId, false) : undefined;
    if (!fn.objectId || !top) throw new Error('the probe function has no module scope to inspect');

    // The source V8 compiled, not the file on disk, which a rebuild may have replaced since.
    const location = own(fn.objectId).internalProperties?.find((p) => p.name === '[[FunctionLocation]]')?.value?.value as {
      scriptId: string;
    };
    let script = `script ${location.scriptId}`;
    session.on('Debugger.scriptParsed', (m: { params: { scriptId: string; url: string } }) => {
      if (m.params.scriptId === location.scriptId) script = m.params.url;
    });
    post('Debugger.enable');
    const { scriptSource } = post<{ scriptSource: string }>('Debugger.getScriptSource', { scriptId: location.scriptId });
    post('Debugger.disable');
    const paths = modulePathsIn(scriptSource);
    if (paths.length === 0) {
      throw new Error(
        `${script} names no modules: it is minified, and minified bundles drop the module paths this check ` +
          'reads. Build it unminified first (npm run build:dev).',
      );
    }

    const wrapped = new Map<string, boolean>();
    for (const v of top) {
      if (v.value?.type !== 'function' || !v.value.objectId) continue;
      const inner = closureOf(v.value.objectId, true);
      // A wrapper's closure holds just its parameters, __commonJS(cb, mod) or __esm(fn, res, err); cb/fn is
      // { "path"(…) {…} }. mod is set once the module ran; fn is zeroed when it runs, losing the path, so a
      // lazy ES module that ran reports as 'evaluated'.
      if (!inner || inner.length < 2 || inner.length > 3) continue;
      for (const holder of inner) {
        if (holder.value?.type !== 'object' || !holder.value.objectId) continue;
        const names = own(holder.value.objectId).result.map((p) => p.name);
        if (names.length !== 1 || !MODULE_PATH.test(names[0])) continue;
        wrapped.set(
          names[0],
          inner.some((p) => p !== holder && p.value !== undefined && p.value.type !== 'undefined'),
        );
      }
    }

    const states = new Map<string, ModuleState>();
    for (const p of paths) {
      const ran = wrapped.get(p);
      states.set(p, ran === undefined ? 'evaluated' : ran ? 'ran' : 'not-run');
    }
    for (const p of wrapped.keys()) {
      if (!states.has(p)) throw new Error(`${script}: wrapper for ${p} has no module marker; is this an esbuild bundle?`);
    }
    return { script, states };
  } finally {
    delete g[key];
    session.disconnect();
  }
}

const MODULE_PATH = /\.(?:[cm]?[jt]sx?|json)$/;

// Unminified esbuild output keeps no source comments except one `// path` line before each module.
function modulePathsIn(text: string): string[] {
  return [...text.matchAll(/^\/\/ (\S+\.(?:[cm]?[jt]sx?|json))$/gm)].map((m) => m[1]);
}
