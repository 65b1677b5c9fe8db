// Bundles the extension and the CLI into dist/. `vscode` is provided by the editor. ssh2's optional
// native add-ons (cpu-features, sshcrypto.node) are left out of the bundle: ssh2 falls back to pure JS.
const esbuild = require('esbuild');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  external: ['vscode', 'cpu-features', '*.node'],
  // The bash helper libraries (src/core/render/lib/*.sh) are inlined as strings.
  loader: { '.sh': 'text' },
};

const builds = [
  { ...common, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' },
  // The heavy halves of the extension, required on first use (src/extension/lazy.ts).
  { ...common, entryPoints: { 'lazy/ssh': 'src/core/ssh/index.ts', 'lazy/ec2': 'src/core/ec2/index.ts' }, outdir: 'dist' },
  {
    ...common,
    entryPoints: { cli: 'src/cli/index.ts' },
    outdir: 'dist',
    banner: { js: '#!/usr/bin/env node' },
  },
  // The setup form's script runs inside the webview (a browser), with the core's own validator bundled in.
  {
    ...common,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    external: [],
    entryPoints: { 'webview/setupForm': 'src/extension/setupForm/webview/main.ts' },
    outdir: 'dist',
  },
];

async function main() {
  if (watch) {
    for (const b of builds) await (await esbuild.context(b)).watch();
    return;
  }
  await Promise.all(builds.map((b) => esbuild.build(b)));
  require('fs').chmodSync('dist/cli.js', 0o755);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
