// The bash libraries in this folder are imported as text: esbuild's text loader in the bundles,
// scripts/register-text.cjs under tsx and mocha. The default export is the file's content.
declare module '*.sh' {
  const text: string;
  export default text;
}
