// Lets Node (mocha, tsx) require the bash helper libraries under src/core/render/lib/ as text, the way
// esbuild's text loader ('.sh': 'text' in esbuild.js) inlines them into the bundles: the module's export
// is the file's UTF-8 content, so `import STEP from './lib/step.sh'` yields the string under
// esModuleInterop (its default import of a CommonJS module is module.exports).
// Used by .mocharc*.json (`require`) and by the package.json scripts that run TypeScript through tsx
// (`tsx --require ./scripts/register-text.cjs ...`).
const fs = require('fs');

if (!require.extensions['.sh']) {
  require.extensions['.sh'] = (module, filename) => {
    module.exports = fs.readFileSync(filename, 'utf8');
  };
}
