// `npm run test:vscode`: the in-host suite (test/vscode, built into dist-test/vscode by
// scripts/build-vscode-tests.js) inside a VS Code desktop that @vscode/test-electron downloads.
// test/vscode/runInCodeServer.ts reads this same configuration (vscode-test --list-configuration) and runs
// the same files with the same runner inside code-server's extension host, where no download is possible.
import { defineConfig } from '@vscode/test-cli';

// ROSVPN_VSCODE_FAILING=1 runs a spec that must fail instead: proof that a failure reaches the exit code.
const failing = process.env.ROSVPN_VSCODE_FAILING === '1';

export default defineConfig({
  tests: [
    {
      label: 'in-host',
      files: failing ? 'dist-test/vscode/failing/**/*.test.js' : 'dist-test/vscode/suite/**/*.test.js',
      extensionDevelopmentPath: '.',
      workspaceFolder: 'dist-test/vscode/workspace',
      // Only the extension under development; tests trust their own workspace.
      launchArgs: ['--disable-extensions', '--disable-workspace-trust'],
      mocha: { ui: 'bdd', timeout: 20_000, color: false },
    },
  ],
});
