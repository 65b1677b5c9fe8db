// Activation must stay light: ssh2 and the AWS SDK load on first use, never on activation (src/extension/lazy.ts).
import { bundleModuleStates } from './bundleModules';

// cpu-features is ssh2's optional native add-on, left outside the bundle: a required ssh2 loads it from
// node_modules when it is installed (and built for this Node). @smithy/* is the AWS SDK's core.
// dist/lazy/*.js are the extension's own bundles of ssh2 and the AWS SDK (see src/extension/lazy.ts).
const HEAVY = /(?:^|[\\/])node_modules[\\/](ssh2|cpu-features|@aws-sdk[\\/][^\\/]+|@smithy[\\/][^\\/]+)[\\/]|[\\/]lazy[\\/](ssh|ec2)\.js$/;

export interface HeavyModules {
  loaded: string[]; // ran: inside the bundle, or anywhere in require.cache
  waiting: string[]; // bundled, not run yet: what a lazy import looks like
}

/** The heavy modules of the bundle that defines `probe` (any function at its top level). */
export function heavyModules(probe: (...args: never[]) => unknown): HeavyModules {
  const result: HeavyModules = { loaded: [], waiting: [] };
  for (const [file, state] of bundleModuleStates(probe).states) {
    if (!HEAVY.test(file)) continue;
    if (state === 'not-run') result.waiting.push(file);
    else result.loaded.push(`${file} (bundled, ${state})`);
  }
  for (const file of Object.keys(require.cache)) {
    if (HEAVY.test(file)) result.loaded.push(`${file} (require.cache)`);
  }
  return result;
}
