// ESLint (flat config) for the TypeScript sources, tests, bench and scripts. Formatting is Prettier's job
// (.prettierrc.json); this file holds only rules about correctness and the module boundaries.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

// ssh2 and the AWS SDK are most of the extension's code, so they live in bundles of their own
// (dist/lazy/ssh.js, dist/lazy/ec2.js) required on first use (src/extension/lazy.ts). A value import of
// either anywhere else pulls it into dist/extension.js or dist/cli.js and undoes that; `import type` is free.
const heavyModules = {
  paths: [
    {
      name: 'ssh2',
      allowTypeImports: true,
      message: 'ssh2 loads lazily: import it only in src/core/ssh/ (reach it through src/extension/lazy.ts), or use `import type`.',
    },
  ],
  patterns: [
    {
      group: ['ssh2/*'],
      allowTypeImports: true,
      message: 'ssh2 loads lazily: import it only in src/core/ssh/ (reach it through src/extension/lazy.ts), or use `import type`.',
    },
    {
      group: ['@aws-sdk/*'],
      allowTypeImports: true,
      message: 'The AWS SDK loads lazily: import it only in src/core/ec2/ (reach it through src/extension/lazy.ts), or use `import type`.',
    },
  ],
};
// A chain of two conditionals reads as an if/else-if; a third level wants a function or a lookup table.
// (ESLint's no-nested-ternary forbids any nesting, which the codebase uses freely at two levels.)
const maxNestedTernary = {
  meta: {
    type: 'suggestion',
    schema: [{ type: 'integer', minimum: 1 }],
    messages: { deep: 'More than {{max}} nested conditional expressions; use a function or a lookup.' },
  },
  create(context) {
    const max = context.options[0] ?? 2;
    return {
      ConditionalExpression(node) {
        // Conditionals directly inside one another (either branch or the test); one inside a template
        // literal or a call argument starts afresh.
        let depth = 1;
        for (let p = node.parent; p?.type === 'ConditionalExpression'; p = p.parent) depth++;
        // Report once, at the conditional that first goes past the limit.
        if (depth === max + 1) context.report({ node, messageId: 'deep', data: { max } });
      },
    };
  },
};
// The core, the CLI and the lab run under plain Node; the webview script runs in a browser.
const noVscode = {
  name: 'vscode',
  message: 'Only src/extension/ (outside the webview) may import vscode: the core and the CLI run without VS Code.',
};

export default defineConfig(
  globalIgnores([
    'dist/**',
    'dist-test/**',
    'out/**',
    'node_modules/**',
    'test/golden/**',
    'test-artifacts/**',
    'test-results/**',
    '.vscode-test/**',
    '.lab/**',
    'media/**',
  ]),
  js.configs.recommended,
  {
    plugins: { local: { rules: { 'max-nested-ternary': maxNestedTernary } } },
    rules: { 'local/max-nested-ternary': ['error', 2] },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
        Buffer: 'readonly',
      },
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      // Type-aware rules (floating promises) need the program: each file gets the nearest tsconfig.json
      // (the root one, or the webview's own).
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Promise-returning callbacks where void is expected (event handlers, setInterval) lose their rejections.
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: true, attributes: false, properties: false, returns: false, variables: false } },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // A type-only import is `import type { … }` (no-import-type-side-effects: `import { type A }` would keep
      // the module's require), a mixed one marks its types inline (`import { type A, b }`).
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      // Control characters in a pattern are deliberate here (hostile strings, terminal escapes).
      'no-control-regex': 'off',
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', { paths: [...heavyModules.paths, noVscode], patterns: heavyModules.patterns }],
    },
  },
  // The roots of the lazy bundles may import their heavy module; tests and benchmarks may import anything.
  {
    files: ['src/core/ssh/**', 'src/core/ec2/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: [noVscode] }] },
  },
  {
    files: ['src/extension/**'],
    ignores: ['src/extension/setupForm/webview/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', heavyModules] },
  },
  {
    files: ['test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
);
