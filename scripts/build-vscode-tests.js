// Builds the in-host suite (test/vscode) into dist-test/vscode. The extension host runs JavaScript, so each
// spec is bundled on its own (`vscode` is the host's; mocha comes from @vscode/test-cli's runner).
//   dist-test/vscode/suite/*.test.js     the suite            (.vscode-test.mjs, label "in-host")
//   dist-test/vscode/failing/*.test.js   a spec that must fail (ROSVPN_VSCODE_FAILING=1)
//   dist-test/vscode/fixtures/*.js       controls for the lazy-load check, bundled like the extension
//   dist-test/vscode/workspace/          the folder the host opens: rosvpn.json from test/fixtures
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const src = path.join(root, 'test/vscode');
const out = path.join(root, 'dist-test/vscode');

const entries = (dir, suffix) =>
  fs
    .readdirSync(path.join(src, dir))
    .filter((f) => f.endsWith(suffix))
    .map((f) => path.join(src, dir, f));

const node = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning', absWorkingDir: root };

async function main() {
  fs.rmSync(out, { recursive: true, force: true });
  await Promise.all([
    esbuild.build({
      ...node,
      entryPoints: [...entries('suite', '.test.ts'), ...entries('failing', '.test.ts')],
      outbase: src,
      outdir: out,
      external: ['vscode'],
      sourcemap: 'inline',
    }),
    // Same options as esbuild.js's unminified (build:dev) extension bundle, which the lazy-load check reads.
    esbuild.build({
      ...node,
      entryPoints: entries('fixtures', '.ts'),
      outbase: src,
      outdir: out,
      external: ['vscode', 'cpu-features', '*.node'],
    }),
  ]);
  fs.mkdirSync(path.join(out, 'workspace'));
  fs.copyFileSync(path.join(root, 'test/fixtures/topologies/vxlan-1.json'), path.join(out, 'workspace/rosvpn.json'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
