// Part 3 of `npm run bench`: the extension's bundle sizes, what activation costs, and the tree and validation
// for a topology of 50 seconds. Every figure is measured in this run.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { loadTopology } from '../src/core/topology/file';
import { freePort } from '../test/support/sshd';
import { validateTopology } from '../src/core/topology/validate';
import { buildTopologyTree, type CloudHostState, type HostHealth } from '../src/extension/tree/model';
import { median, p90, round } from './stats';
import type { BenchRow, BenchSection } from './types';

export interface PartOptions {
  /** Fewer repetitions, for the self-check. */
  quick?: boolean;
}

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'topologies', 'vxlan-3.json');
const ACTIVATION_TARGET_MS = 50;
/** ssh2 (and its native add-on cpu-features) and the AWS SDK; paths may sit behind a symlinked node_modules. */
// Also the extension's own lazy bundles of them (dist/lazy/ssh.js, ec2.js; see src/extension/lazy.ts).
const HEAVY = /(?:^|[\\/])node_modules[\\/](ssh2|cpu-features|@aws-sdk[\\/][^\\/]+|@smithy[\\/][^\\/]+)[\\/]|[\\/]lazy[\\/](ssh|ec2)\.js$/;
const GROUP = /(?:^|[\\/])node_modules[\\/](ssh2|@aws-sdk|@smithy)[\\/]/;

// esbuild.js's extension build (it builds on require, so its options cannot be imported): kept equal, and
// checked below by comparing the metafile build's output with dist/extension.js byte for byte.
const EXTENSION_BUILD: esbuild.BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
  external: ['vscode', 'cpu-features', '*.node'],
  loader: { '.sh': 'text' },
  entryPoints: { extension: 'src/extension/extension.ts' },
  absWorkingDir: ROOT,
};

export async function run(options: PartOptions = {}): Promise<BenchSection> {
  const quick = !!options.quick;
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rosvpn-bench-ext-'));
  const started = Date.now();
  const loadBefore = os.loadavg()[0];
  try {
    notes.push(ensureProductionBuild());
    const meta = await bundleComposition();
    rows.push(...sizeRows(meta), ...compositionRows(meta));
    notes.push(meta.note);

    const act = await activation(tmp, quick, meta);
    rows.push(...act.rows);
    notes.push(...act.notes);

    const tree = await treeAndValidation(tmp, quick);
    rows.push(...tree.rows);
    notes.push(...tree.notes);
    // Timings depend on what else the machine runs: the 1-minute load average puts them in context.
    notes.push(
      `This part took ${((Date.now() - started) / 1000).toFixed(0)} s; 1-minute load average ${loadBefore.toFixed(2)} at its start and ${os.loadavg()[0].toFixed(2)} at its end, on ${os.cpus().length} CPUs.`,
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { id: 'extension', title: 'Extension: size and activation', rows, notes };
}

// ---- bundle ------------------------------------------------------------------------------------------------

function newestMtime(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = 0;
  for (const e of fs.readdirSync(p)) m = Math.max(m, newestMtime(path.join(p, e)));
  return m;
}

/** Builds with `npm run build` when dist/ is missing, older than its sources, or a development build. */
function ensureProductionBuild(): string {
  const outs = ['extension.js', 'cli.js', 'webview/setupForm.js', 'lazy/ssh.js', 'lazy/ec2.js'].map((f) => path.join(DIST, f));
  const sources = Math.max(
    newestMtime(path.join(ROOT, 'src')),
    ...['esbuild.js', 'package.json', 'package-lock.json'].map((f) => newestMtime(path.join(ROOT, f))),
  );
  let why = '';
  if (!outs.every((f) => fs.existsSync(f))) why = 'dist/ was incomplete';
  else if (Math.min(...outs.map((f) => fs.statSync(f).mtimeMs)) < sources) why = 'dist/ was older than src/';
  // `npm run build` has no source maps; `npm run build:dev` links one: that would be the wrong bundle to weigh.
  else if (/sourceMappingURL=/.test(fs.readFileSync(outs[0], 'utf8').slice(-300))) why = 'dist/ held a development build';
  if (!why) return 'dist/ was an up-to-date production build (npm run build), used as it was.';
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed (${why}): ${r.stderr || r.stdout}`);
  return `${why}: rebuilt with npm run build (production: minified, no source maps).`;
}

interface Composition {
  total: number;
  ssh2: number;
  aws: number; // @aws-sdk/* and @smithy/*
  inputs: Map<string, number>; // module path → bytes in the minified output
  note: string;
}

/** The extension build again with a metafile: how many output bytes each bundled module accounts for. */
async function bundleComposition(): Promise<Composition> {
  const r = await esbuild.build({ ...EXTENSION_BUILD, minify: true, sourcemap: false, outdir: 'dist', metafile: true, write: false });
  const [outName, out] = Object.entries(r.metafile.outputs).find(([k]) => k.endsWith('extension.js'))!;
  const onDisk = fs.readFileSync(path.join(DIST, 'extension.js'));
  const built = r.outputFiles.find((f) => f.path.endsWith('extension.js'))!.contents;
  if (!onDisk.equals(Buffer.from(built))) {
    throw new Error(
      `the metafile build of ${outName} differs from dist/extension.js: bench/extension.ts's EXTENSION_BUILD no longer matches esbuild.js`,
    );
  }
  const inputs = new Map<string, number>();
  let ssh2 = 0;
  let aws = 0;
  for (const [p, i] of Object.entries(out.inputs)) {
    inputs.set(p, i.bytesInOutput);
    const g = GROUP.exec(p)?.[1];
    if (g === 'ssh2') ssh2 += i.bytesInOutput;
    else if (g) aws += i.bytesInOutput;
  }
  return {
    total: out.bytes,
    ssh2,
    aws,
    inputs,
    note:
      `Bundle composition: esbuild.js's extension options rebuilt with metafile: true, write: false (the output is byte-identical to dist/extension.js, checked); ` +
      `bytes are each input's bytesInOutput, grouped by node_modules/ssh2, node_modules/@aws-sdk + @smithy; the rest (other modules, esbuild's runtime helpers, wrappers) is "everything else". ` +
      `${inputs.size} modules in the bundle.`,
  };
}

function sizeRows(meta: Composition): BenchRow[] {
  const rows: BenchRow[] = [];
  const size = (rel: string, metric: string, note: string) => {
    const f = path.join(DIST, rel);
    if (fs.existsSync(f)) rows.push({ metric, value: fs.statSync(f).size, unit: 'bytes', note });
  };
  size('extension.js', 'bundle dist/extension.js', `production build (minified); ${kib(meta.total)} KiB`);
  size('cli.js', 'bundle dist/cli.js', 'production build (minified)');
  size('webview/setupForm.js', 'bundle dist/webview/setupForm.js', 'the setup form script, run in the webview');
  size('lazy/ssh.js', 'bundle dist/lazy/ssh.js (ssh2 and the SSH layer, required on first use)', 'production build (minified)');
  size('lazy/ec2.js', 'bundle dist/lazy/ec2.js (the AWS SDK and the EC2 layer, required on first use)', 'production build (minified)');
  const vsix = path.join(DIST, 'rosvpn.vsix');
  if (fs.existsSync(vsix))
    size(
      'rosvpn.vsix',
      'package dist/rosvpn.vsix',
      `from npm run package, ${new Date(fs.statSync(vsix).mtimeMs).toISOString()}; not rebuilt by the benchmark`,
    );
  return rows;
}

function compositionRows(meta: Composition): BenchRow[] {
  const pct = (n: number) => `${((100 * n) / meta.total).toFixed(1)} % of dist/extension.js`;
  const rest = meta.total - meta.ssh2 - meta.aws;
  return [
    { metric: 'in dist/extension.js: ssh2', value: meta.ssh2, unit: 'bytes', note: `${pct(meta.ssh2)}; evaluated on first SSH use` },
    {
      metric: 'in dist/extension.js: AWS SDK (@aws-sdk, @smithy)',
      value: meta.aws,
      unit: 'bytes',
      note: `${pct(meta.aws)}; evaluated on the first cloud command`,
    },
    {
      metric: 'in dist/extension.js: everything else',
      value: rest,
      unit: 'bytes',
      note: `${pct(rest)}; the extension, its other dependencies and esbuild's runtime: the eager part by package (by evaluation, see "modules not run at activation")`,
    },
  ];
}

const kib = (n: number) => (n / 1024).toFixed(0);

// ---- activation ----------------------------------------------------------------------------------------------

interface TimeResult {
  requireMs: number;
  activateMs: number;
  readyMs: number;
  treeNodes: number;
  topologyState: string;
  heavyInCache: string[];
  unknown: string[];
  listenerErrors: string[];
}

interface InspectResult {
  atActivation: { loaded: string[]; waiting: string[] };
  notRun: string[];
  ssh2Control: { loaded: string[]; writes: string[] };
  awsControl: { loaded: string[]; errors: string[] };
  unknown: string[];
  listenerErrors: string[];
}

async function activation(tmp: string, quick: boolean, meta: Composition): Promise<{ rows: BenchRow[]; notes: string[] }> {
  const runs = quick ? 5 : 20;
  const child = path.join(tmp, 'activate.js');
  fs.writeFileSync(child, CHILD_SCRIPT);
  const ws = path.join(tmp, 'workspace');
  fs.mkdirSync(ws);
  fs.copyFileSync(FIXTURE, path.join(ws, 'rosvpn.json'));

  // Experiment, only while the AWS SDK is inside dist/extension.js: the same build with it left out, to show
  // how much of activation is V8 compiling SDK code that activation never runs. Its runs alternate with the
  // real ones, so both see the same machine load.
  const variantDir = path.join(tmp, 'no-aws-sdk');
  if (meta.aws > 0)
    await esbuild.build({
      ...EXTENSION_BUILD,
      external: [...EXTENSION_BUILD.external!, '@aws-sdk/*', '@smithy/*'],
      minify: true,
      sourcemap: false,
      outdir: variantDir,
    });
  const variantBytes = meta.aws > 0 ? fs.statSync(path.join(variantDir, 'extension.js')).size : 0;
  const variant: number[] = [];

  const bundle = path.join(DIST, 'extension.js');
  const results: TimeResult[] = [];
  const compile: number[] = [];
  for (let i = 0; i < runs; i++) {
    results.push(await runChild<TimeResult>(child, { mode: 'time', bundle, workspace: ws, root: ROOT }));
    compile.push((await runChild<{ compileMs: number }>(child, { mode: 'compile', bundle })).compileMs);
    if (!variantBytes) continue;
    const r = await runChild<TimeResult>(child, { mode: 'time', bundle: path.join(variantDir, 'extension.js'), workspace: ws, root: ROOT });
    if (r.unknown.length || r.topologyState !== 'valid')
      throw new Error(`the variant bundle did not activate: ${r.unknown.join(', ')} ${r.topologyState}`);
    variant.push(r.requireMs + r.activateMs);
  }
  for (const r of results) {
    if (r.unknown.length) throw new Error(`activation touched vscode APIs the stub lacks: ${[...new Set(r.unknown)].join(', ')}`);
    if (r.listenerErrors.length) throw new Error(`an event listener threw during activation: ${r.listenerErrors[0]}`);
    if (r.topologyState !== 'valid') throw new Error(`the extension did not load the workspace's rosvpn.json (state ${r.topologyState})`);
  }

  // The module check needs the module paths that only an unminified bundle keeps: the same build without
  // minify, inspected the way test/vscode/support/heavyModules.ts does it (that file, bundled as is).
  const twinDir = path.join(tmp, 'twin');
  await esbuild.build({ ...EXTENSION_BUILD, minify: false, sourcemap: false, outdir: twinDir });
  // The twin requires its lazy bundles next to it, as dist/extension.js does.
  fs.cpSync(path.join(DIST, 'lazy'), path.join(twinDir, 'lazy'), { recursive: true });
  const inspector = path.join(twinDir, 'heavyModules.js');
  await esbuild.build({
    stdin: {
      contents: "export * from './heavyModules'; export * from './bundleModules';",
      resolveDir: path.join(ROOT, 'test', 'vscode', 'support'),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: inspector,
    logLevel: 'warning',
  });
  // The positive controls reach only loopback: a gateway at 127.0.0.1 on a closed port, EC2 at a closed port.
  const closed = await freePort();
  const cws = path.join(tmp, 'control-workspace');
  fs.mkdirSync(cws);
  const raw = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
  raw.gateway = { ...raw.gateway, host: '127.0.0.1', port: closed };
  fs.writeFileSync(path.join(cws, 'rosvpn.json'), JSON.stringify(raw, null, 2));
  const ins = await runChild<InspectResult>(child, {
    mode: 'inspect',
    bundle: path.join(twinDir, 'extension.js'),
    workspace: cws,
    root: ROOT,
    inspector,
    closedPort: closed,
  });
  if (ins.unknown.length) throw new Error(`the controls touched vscode APIs the stub lacks: ${[...new Set(ins.unknown)].join(', ')}`);

  const heavyProd = [...new Set(results.flatMap((r) => r.heavyInCache))];
  const heavyAtActivation = [...ins.atActivation.loaded, ...heavyProd];
  const noHeavy = heavyAtActivation.length === 0;
  const total = results.map((r) => r.requireMs + r.activateMs);
  const ready = results.map((r) => r.readyMs);
  const req = results.map((r) => r.requireMs);
  const sshRan = ins.ssh2Control.loaded.filter((m) => /node_modules[\\/]ssh2[\\/]|[\\/]lazy[\\/]ssh\.js/.test(m));
  const awsRan = ins.awsControl.loaded.filter((m) => /node_modules[\\/]@aws-sdk[\\/]|[\\/]lazy[\\/]ec2\.js/.test(m));
  const lazyBytes = ins.notRun.reduce((s, p) => s + (meta.inputs.get(p) ?? 0), 0);
  const target = `≤ ${ACTIVATION_TARGET_MS} ms, no SSH or EC2 module loaded`;
  const conditions = `${runs} fresh node ${process.version} processes, workspace = vxlan-3 fixture, stub vscode API; no V8 code cache`;
  const rows: BenchRow[] = [
    {
      metric: 'activation: require(dist/extension.js) + activate(), median',
      value: round(median(total)),
      unit: 'ms',
      target,
      pass: median(total) <= ACTIVATION_TARGET_MS && noHeavy,
      note: `${conditions}; of which require ${round(median(req))} ms`,
    },
    {
      metric: 'activation: require + activate(), p90',
      value: round(p90(total)),
      unit: 'ms',
      target,
      pass: p90(total) <= ACTIVATION_TARGET_MS && noHeavy,
      note: `max ${round(Math.max(...total))} ms`,
    },
    {
      metric: 'V8 compile of dist/extension.js alone, median',
      value: round(median(compile)),
      unit: 'ms',
      note: `new vm.Script over the file's text wrapped like require() does, in a fresh process, nothing run; ${runs} runs, p90 ${round(p90(compile))} ms: the part of activation that depends on the bundle's size, not on what activation runs`,
    },
    {
      metric: 'activation until rosvpn.json is loaded and the tree rendered, median',
      value: round(median(ready)),
      unit: 'ms',
      note: `from require() to the first onDidChangeTreeData, after which the stub's tree view walked getChildren/getTreeItem (${results[0].treeNodes} nodes); p90 ${round(p90(ready))} ms`,
    },
    {
      metric: 'ssh2 / AWS SDK modules run by activation',
      value: heavyAtActivation.length,
      unit: 'modules',
      target: '0',
      pass: noHeavy,
      note: `${ins.atActivation.waiting.length} ssh2/AWS SDK modules bundled and waiting; read from esbuild's module wrappers via node:inspector in the unminified twin build, plus require.cache (dist/lazy/ssh.js, ec2.js, node_modules' ssh2, AWS SDK, cpu-features) in every timed run${heavyAtActivation.length ? `: ${heavyAtActivation.slice(0, 5).join(', ')}` : ''}`,
    },
    {
      metric: 'control: ssh2 modules run after the first log follow',
      value: sshRan.length,
      unit: 'modules',
      target: '> 0 (the check sees lazy loading)',
      pass: sshRan.length > 0,
      note: "the rosvpn task's Pseudoterminal opened on a gateway at 127.0.0.1:<closed port>, then closed; counts bundled ssh2 modules that ran and dist/lazy/ssh.js once required",
    },
    {
      metric: 'control: AWS SDK modules run after the first cloud command',
      value: awsRan.length,
      unit: 'modules',
      target: '> 0 (the check sees lazy loading)',
      pass: awsRan.length > 0,
      note: 'rosvpn.cloudStatus with AWS_ENDPOINT_URL_EC2 at 127.0.0.1:<closed port>, dummy credentials, one attempt; counts bundled @aws-sdk modules that ran and dist/lazy/ec2.js once required',
    },
    ...(variant.length
      ? [
          {
            metric: 'experiment: require + activate() with the AWS SDK outside the bundle, median',
            value: round(median(variant)),
            unit: 'ms',
            note: `not shipped: esbuild.js's build with @aws-sdk/* and @smithy/* external (${kib(variantBytes)} KiB instead of ${kib(meta.total)} KiB), ${runs} runs, each right after one of the shipped bundle; p90 ${round(p90(variant))} ms`,
          },
        ]
      : []),
    {
      metric: 'in dist/extension.js: modules not run at activation',
      value: lazyBytes,
      unit: 'bytes',
      note: `${ins.notRun.length} modules still waiting in their esbuild wrappers after activation (inspector on the twin), weighed with the production metafile: ${((100 * lazyBytes) / meta.total).toFixed(1)} % of the bundle is compiled but not run at activation; the other ${meta.total - lazyBytes} bytes (modules that ran, esbuild's runtime) are the eager part`,
    },
  ];
  const notes = [
    `Activation: each run is a fresh \`node\` process that installs a stub \`vscode\` module (Module._resolveFilename/_load) implementing what activate() uses; any other property of the API throws and fails the benchmark. It times require(dist/extension.js) and activate(context) with process.hrtime; workspace.fs.stat and reading rosvpn.json are real file I/O. ` +
      "The tree view is modelled as visible, so the status bar's periodic check is scheduled (never run: no connection was made yet). Node's start-up is not counted (the extension host is already running).",
  ];
  if (!noHeavy) notes.push(`Activation loaded heavy modules: ${heavyAtActivation.join(', ')}`);
  return { rows, notes };
}

function runChild<T>(script: string, cfg: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    // A clean environment for the child: no tsx hooks, no AWS settings of the caller.
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C' };
    const p = spawn(process.execPath, [script, JSON.stringify(cfg)], { cwd: os.tmpdir(), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) return reject(new Error(`activation child (${cfg.mode}) exited ${code}: ${err || out}`));
      resolve(JSON.parse(line.slice(7)) as T);
    });
  });
}

// ---- tree and validation -------------------------------------------------------------------------------------

async function treeAndValidation(tmp: string, quick: boolean): Promise<{ rows: BenchRow[]; notes: string[] }> {
  const raw = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
  raw.seconds = Array.from({ length: 50 }, (_, i) => ({
    name: `second-${String(i + 1).padStart(2, '0')}`,
    host: `172.31.1.${20 + i}`,
    jump: 'gateway',
    cloudIp: `172.31.1.${20 + i}`,
    vpnIp: `192.168.0.${150 + i}/24`,
  }));
  const v = validateTopology(raw);
  if (!v.topology) throw new Error(`the 50-second topology is invalid: ${JSON.stringify(v.diagnostics.slice(0, 3))}`);
  const t = v.topology;
  const hosts = ['gateway', 'desktop', ...t.seconds.map((s) => s.name)];
  // After a check and a cloud status: every host has a status and an EC2 state, so every label is built in full.
  const statuses = new Map<string, HostHealth>(hosts.map((h) => [h, 'healthy']));
  const cloud = new Map<string, CloudHostState>(
    hosts.filter((h) => h !== 'desktop').map((h, i) => [h, { id: `i-${(0x1000 + i).toString(16).padStart(17, '0')}`, state: 'running' }]),
  );
  const file = path.join(tmp, 'rosvpn.json');
  const text = `${JSON.stringify(raw, null, 2)}\n`;
  fs.writeFileSync(file, text);

  const treeRuns = quick ? 200 : 5000;
  const validateRuns = quick ? 50 : 1000;
  const loadRuns = quick ? 30 : 500;
  const nodes = buildTopologyTree(t, statuses, cloud);
  const count = nodes.reduce((n, x) => n + 1 + (x.children?.length ?? 0), 0);
  const tree = timeSync(treeRuns, () => buildTopologyTree(t, statuses, cloud));
  const val = timeSync(validateRuns, () => validateTopology(raw));
  const load = await timeAsync(loadRuns, () => loadTopology(file));
  const rows: BenchRow[] = [
    {
      metric: 'tree model for 50 seconds (buildTopologyTree), median',
      value: round(median(tree.ms), 4),
      unit: 'ms',
      note: `${count} nodes, every host with a status and an EC2 state; ${treeRuns} runs after ${tree.warm} warm-up, p90 ${round(p90(tree.ms), 4)} ms, first (cold) call ${round(tree.first, 3)} ms`,
    },
    {
      metric: 'validateTopology, 50 seconds, median',
      value: round(median(val.ms), 3),
      unit: 'ms',
      note: `the parsed file (${text.length} bytes); ${validateRuns} runs, p90 ${round(p90(val.ms), 3)} ms, first call ${round(val.first, 2)} ms`,
    },
    {
      metric: 'loadTopology (read + parse + validate), 50 seconds, median',
      value: round(median(load.ms), 3),
      unit: 'ms',
      note: `what the extension runs on every change of rosvpn.json; ${loadRuns} runs, p90 ${round(p90(load.ms), 3)} ms`,
    },
  ];
  const notes = [
    'Tree and validation: in this process (src/ through tsx), 50 seconds generated from test/fixtures/topologies/vxlan-3.json (second-01…50, cloud 172.31.1.20–69, VPN 192.168.0.150–199/24) and validated first. ' +
      "buildTopologyTree is the tree's data model; mapping nodes to vscode.TreeItems (provider.ts) needs the editor and is not included.",
  ];
  return { rows, notes };
}

function timeSync(runs: number, fn: () => unknown): { ms: number[]; first: number; warm: number } {
  const t0 = process.hrtime.bigint();
  fn();
  const first = Number(process.hrtime.bigint() - t0) / 1e6;
  const warm = Math.min(50, runs);
  for (let i = 0; i < warm; i++) fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = process.hrtime.bigint();
    fn();
    ms.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  return { ms, first, warm };
}

async function timeAsync(runs: number, fn: () => Promise<unknown>): Promise<{ ms: number[] }> {
  for (let i = 0; i < Math.min(10, runs); i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = process.hrtime.bigint();
    await fn();
    ms.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  return { ms };
}

// ---- the child process -----------------------------------------------------------------------------------------

// Plain JavaScript run by `node` (no tsx in the timed process). Modes: `time` (load + activate the bundle),
// `compile` (only V8's compile of the bundle) and `inspect` (activate the unminified twin, read which modules
// ran, then run the two lazy-path controls).
const CHILD_SCRIPT = String.raw`'use strict';
const Module = require('module');
const fs = require('fs');
const path = require('path');
const cfg = JSON.parse(process.argv[2]);
if (cfg.mode === 'compile') {
  const src = fs.readFileSync(cfg.bundle, 'utf8');
  const c0 = process.hrtime.bigint();
  new (require('vm').Script)(Module.wrap(src), { filename: cfg.bundle });
  const compileMs = Number(process.hrtime.bigint() - c0) / 1e6;
  process.stdout.write('RESULT ' + JSON.stringify({ compileMs }) + '\n', () => process.exit(0));
  return;
}
const HEAVY = ${HEAVY.toString()};
const unknown = [];
const listenerErrors = [];

// Objects of the API throw on any property they do not define, so the stub cannot pass by accident. The
// exceptions are probes of generic code: esbuild's __toESM (__esModule), await (then), the inspector's
// array-likeness test (splice, length).
const ALLOWED = new Set(['__esModule', 'then', 'toJSON', 'constructor', 'toString', 'valueOf', 'inspect', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', 'splice', 'length']);
function strict(name, own) {
  const proto = new Proxy({}, {
    get(t, k, r) {
      if (typeof k === 'symbol' || ALLOWED.has(k)) return Reflect.get(Object.prototype, k, r);
      unknown.push(name + '.' + k);
      throw new Error('vscode stub: ' + name + '.' + k + ' is not implemented by the benchmark');
    },
  });
  const o = Object.create(proto);
  for (const k of Object.keys(own)) Object.defineProperty(o, k, Object.getOwnPropertyDescriptor(own, k));
  return o;
}

class Disposable {
  constructor(fn) { this._fn = fn; }
  static from(...ds) { return new Disposable(() => ds.forEach((d) => d.dispose())); }
  dispose() { const f = this._fn; this._fn = undefined; if (f) f(); }
}
class EventEmitter {
  constructor() {
    this._l = new Set();
    this.event = (fn, thisArg, disposables) => {
      const l = thisArg ? fn.bind(thisArg) : fn;
      this._l.add(l);
      const d = new Disposable(() => this._l.delete(l));
      if (Array.isArray(disposables)) disposables.push(d);
      return d;
    };
  }
  // Like VS Code's emitter: a throwing listener does not stop the others; recorded, it fails the benchmark.
  fire(v) { for (const l of [...this._l]) { try { l(v); } catch (e) { listenerErrors.push(String(e && e.stack || e)); } } }
  dispose() { this._l.clear(); }
}
const noEvent = () => new Disposable(() => undefined);
class Uri {
  constructor(scheme, p, query) { this.scheme = scheme; this.path = p; this.query = query || ''; }
  static file(p) { return new Uri('file', path.resolve(p)); }
  static joinPath(u, ...segs) { return new Uri(u.scheme, path.posix.join(u.path, ...segs)); }
  static from(c) { return new Uri(c.scheme, c.path || '/', c.query); }
  get fsPath() { return this.path; }
  toString() { return this.scheme + '://' + this.path + (this.query ? '?' + this.query : ''); }
}
class ThemeIcon { constructor(id, color) { this.id = id; this.color = color; } }
class ThemeColor { constructor(id) { this.id = id; } }
class TreeItem { constructor(label, collapsibleState) { this.label = label; this.collapsibleState = collapsibleState; } }
class CustomExecution { constructor(callback) { this.callback = callback; } }
class Task {
  constructor(definition, scope, name, source, execution, problemMatchers) {
    Object.assign(this, { definition, scope, name, source, execution, problemMatchers, isBackground: false, presentationOptions: {} });
  }
}

const commands = new Map();
const taskProviders = new Map();
const contexts = [];
const messages = [];
const logLines = [];
let treeReady;
const treeWait = new Promise((r) => (treeReady = r));
let treeNodes = 0;
let t0 = 0n;
let readyAt = 0n;

function logChannel(name) {
  const line = (level) => (m) => logLines.push(level + ' ' + m);
  return strict('LogOutputChannel', {
    name, logLevel: 2, onDidChangeLogLevel: noEvent,
    trace: line('trace'), debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error'),
    append: line(''), appendLine: line(''), replace: line(''), clear() {}, show() {}, hide() {}, dispose() {},
  });
}

const folder = { uri: Uri.file(cfg.workspace), name: path.basename(cfg.workspace), index: 0 };
const vscode = strict('vscode', {
  Disposable, EventEmitter, Uri, ThemeIcon, ThemeColor, TreeItem, Task, CustomExecution,
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  StatusBarAlignment: { Left: 1, Right: 2 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  TaskScope: { Global: 1, Workspace: 2 },
  TaskRevealKind: { Always: 1, Silent: 2, Never: 3 },
  TaskPanelKind: { Shared: 1, Dedicated: 2, New: 3 },
  window: strict('vscode.window', {
    createOutputChannel(name, opts) {
      if (!opts || opts.log !== true) unknown.push('window.createOutputChannel without { log: true }');
      return logChannel(name);
    },
    createTreeView(id, opts) {
      const provider = opts.treeDataProvider;
      // What the workbench does with a visible view: ask for the roots, their children and their items.
      const render = () => {
        let n = 0;
        const walk = (el) => { for (const c of provider.getChildren(el) || []) { provider.getTreeItem(c); n++; walk(c); } };
        walk(undefined);
        return n;
      };
      render();
      provider.onDidChangeTreeData(() => {
        treeNodes = render();
        if (!readyAt) { readyAt = process.hrtime.bigint(); treeReady(); }
      });
      return strict('TreeView', { visible: true, selection: [], message: undefined, onDidChangeVisibility: noEvent, onDidChangeSelection: noEvent, onDidExpandElement: noEvent, onDidCollapseElement: noEvent, reveal: async () => undefined, dispose() {} });
    },
    createStatusBarItem(id, alignment, priority) {
      return strict('StatusBarItem', { id, alignment, priority, name: undefined, text: '', tooltip: undefined, command: undefined, backgroundColor: undefined, accessibilityInformation: undefined, show() {}, hide() {}, dispose() {} });
    },
    showErrorMessage: async (m) => void messages.push('error: ' + m),
    showWarningMessage: async (m) => void messages.push('warning: ' + m),
    showInformationMessage: async (m) => void messages.push('info: ' + m),
    withProgress: async (o, task) => task({ report() {} }, { isCancellationRequested: false, onCancellationRequested: noEvent }),
    registerWebviewPanelSerializer: () => ({ dispose() {} }),
  }),
  workspace: strict('vscode.workspace', {
    get workspaceFolders() { return [folder]; },
    getConfiguration(section) {
      return strict('WorkspaceConfiguration(' + section + ')', { get: (k, d) => d, has: () => false, inspect: () => undefined, update: async () => undefined });
    },
    createFileSystemWatcher() {
      return strict('FileSystemWatcher', { onDidChange: noEvent, onDidCreate: noEvent, onDidDelete: noEvent, ignoreChangeEvents: false, ignoreCreateEvents: false, ignoreDeleteEvents: false, dispose() {} });
    },
    onDidChangeWorkspaceFolders: noEvent,
    onDidChangeConfiguration: noEvent,
    isTrusted: true,
    onDidGrantWorkspaceTrust: noEvent,
    registerTextDocumentContentProvider: () => new Disposable(() => undefined),
    fs: strict('vscode.workspace.fs', {
      stat: async (u) => { const s = await fs.promises.stat(u.fsPath); return { type: s.isDirectory() ? 2 : 1, ctime: s.ctimeMs, mtime: s.mtimeMs, size: s.size }; },
    }),
  }),
  commands: strict('vscode.commands', {
    registerCommand(id, fn) { commands.set(id, fn); return new Disposable(() => commands.delete(id)); },
    async executeCommand(id, ...args) {
      if (id === 'setContext') { contexts.push(args); return undefined; }
      const fn = commands.get(id);
      if (!fn) { unknown.push('commands.executeCommand(' + id + ')'); throw new Error('vscode stub: no command ' + id); }
      return fn(...args);
    },
  }),
  tasks: strict('vscode.tasks', {
    registerTaskProvider(type, provider) { taskProviders.set(type, provider); return new Disposable(() => taskProviders.delete(type)); },
  }),
});

const resolve0 = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) { return request === 'vscode' ? 'vscode' : resolve0.call(this, request, ...rest); };
const load0 = Module._load;
Module._load = function (request, ...rest) { return request === 'vscode' ? vscode : load0.call(this, request, ...rest); };

const memento = (name) => strict(name, { get: (k, d) => d, update: async () => undefined, keys: () => [], setKeysForSync() {} });
const context = strict('ExtensionContext', {
  subscriptions: [],
  // VS Code hands the extension its parsed manifest; read here, before the timed part.
  extension: strict('Extension', { packageJSON: JSON.parse(fs.readFileSync(path.join(cfg.root, 'package.json'), 'utf8')) }),
  extensionUri: Uri.file(cfg.root),
  extensionPath: cfg.root,
  secrets: strict('SecretStorage', { get: async () => undefined, store: async () => undefined, delete: async () => undefined, onDidChange: noEvent }),
  globalState: memento('globalState'),
  workspaceState: memento('workspaceState'),
});

const ms = (a, b) => Number(b - a) / 1e6;
const heavyInCache = () => Object.keys(require.cache).filter((f) => HEAVY.test(f));
const sleep = (n) => new Promise((r) => setTimeout(r, n));

async function main() {
  t0 = process.hrtime.bigint();
  const ext = require(cfg.bundle);
  const t1 = process.hrtime.bigint();
  ext.activate(context);
  const t2 = process.hrtime.bigint();
  await Promise.race([treeWait, sleep(20000)]);
  const state = contexts.filter((c) => c[0] === 'rosvpn.topologyState').map((c) => c[1]).pop() || 'none';
  if (cfg.mode === 'time') {
    return { requireMs: ms(t0, t1), activateMs: ms(t1, t2), readyMs: readyAt ? ms(t0, readyAt) : NaN, treeNodes, topologyState: state, heavyInCache: heavyInCache(), unknown, listenerErrors };
  }
  const { heavyModules, bundleModuleStates } = require(cfg.inspector);
  const atActivation = heavyModules(ext.activate);
  const notRun = [...bundleModuleStates(ext.activate).states].filter(([, s]) => s === 'not-run').map(([p]) => p);

  // Control 1: the log task's terminal follows the gateway's journal: ssh2 loads, the connection is refused.
  const provider = taskProviders.get('rosvpn');
  const tasks = await provider.provideTasks();
  const task = tasks.find((t) => t.definition.host === 'gateway');
  const term = await task.execution.callback(task.definition);
  const writes = [];
  term.onDidWrite((w) => writes.push(w));
  term.open();
  const has = (re) => heavyModules(ext.activate).loaded.some((m) => re.test(m));
  for (let i = 0; i < 200 && !has(/node_modules[\\/]ssh2[\\/]|[\\/]lazy[\\/]ssh\.js/); i++) await sleep(25);
  await sleep(200);
  term.close();
  const afterSsh = heavyModules(ext.activate).loaded;

  // Control 2: a cloud command loads the AWS SDK; its one request goes to a closed loopback port.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:' + cfg.closedPort, AWS_EC2_METADATA_DISABLED: 'true', AWS_MAX_ATTEMPTS: '1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCHONLY', AWS_SECRET_ACCESS_KEY: 'bench-only', AWS_REGION: 'us-west-2',
    AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  });
  await Promise.race([vscode.commands.executeCommand('rosvpn.cloudStatus'), sleep(20000)]);
  const afterAws = heavyModules(ext.activate).loaded;
  return {
    atActivation, notRun,
    ssh2Control: { loaded: afterSsh, writes: writes.slice(0, 5) },
    awsControl: { loaded: afterAws, errors: messages.slice(0, 3) },
    unknown, listenerErrors,
  };
}

main().then(
  (r) => { process.stdout.write('RESULT ' + JSON.stringify(r) + '\n', () => process.exit(0)); },
  (e) => { console.error(e && e.stack || e); process.exit(1); },
);
`;
