// `npm run bench [-- --quick] [--only lab|clients|extension|logs|wan|guard]`: measures provisioning and the data plane
// in the lab, a gateway with the desktop and 10 clients, the extension's size and activation, log
// streaming, and DDS over an emulated WAN behind NAT (bench/wanLab.ts), in one run on this machine; writes BENCHMARKS.md and bench/results.json with the machine and
// the date. With --only, the sections of the other parts are kept from bench/results.json, each marked with
// the date it was measured. Exit 1 when a part fails to run (a missed target is reported in the file, with
// what bounds it, not hidden by the exit code).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import type { BenchSection } from './types';

const ROOT = path.resolve(__dirname, '..');
/** The part that measures a section, where the section's id is not the part's name. */
const PART_OF_SECTION: Record<string, string> = {
  provisioning: 'lab',
  scaling: 'lab',
  dataplane: 'lab',
  'openvpn-options': 'lab',
  guard: 'lab',
};

function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    host: os.hostname(),
    kernel: `${os.type()} ${os.release()}`,
    cpu: `${cpus[0]?.model ?? 'unknown'} × ${cpus.length}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return Math.abs(v) >= 100 ? String(Math.round(v)) : String(Math.round(v * 100) / 100);
}

export function markdown(
  m: Record<string, string | number>,
  sections: BenchSection[],
  failures: string[],
  explanations: Record<string, string>,
): string {
  const out: string[] = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${m.date}: ${m.cpu}, ${m.memoryGiB} GiB, ${m.kernel}, Node ${m.node}.`,
    'Every figure below comes from that one run (raw data: `bench/results.json`), except a section marked with an earlier date:',
    'it was kept from the run that measured it (`--only` measures some parts). Targets are the project performance goals;',
    'a missed target is marked ✗ and explained under its table.',
    '',
  ];
  for (const s of sections) {
    out.push(`## ${s.title}`, '');
    if (s.measured && s.measured !== m.date) out.push(`Measured on ${s.measured} (an earlier run of \`npm run bench\`).`, '');
    out.push('| metric | value | target |', '| --- | ---: | --- |');
    for (const r of s.rows)
      out.push(
        `| ${r.metric}${r.note ? ` (${r.note})` : ''} | ${fmt(r.value)} ${r.unit} | ${r.target ? `${r.target} ${r.pass ? '✓' : '✗'}` : ''} |`,
      );
    out.push('');
    for (const n of s.notes) out.push(`- ${n}`);
    // An explanation of the section as a whole (what bounds its figures), written from a run's figures.
    if (explanations[`section: ${s.id}`]) out.push(`- **What bounds it** — ${explanations[`section: ${s.id}`]}`);
    const missed = s.rows.filter((r) => r.target && !r.pass);
    for (const r of missed)
      out.push(`- **Missed: ${r.metric}** — ${explanations[r.metric] ?? 'no explanation recorded for this run: see the notes above.'}`);
    out.push('');
  }
  if (failures.length) out.push('## Parts that did not run', '', ...failures.map((f) => `- ${f}`), '');
  return `${out.join('\n')}\n`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean' }, only: { type: 'string', multiple: true }, out: { type: 'string' }, render: { type: 'boolean' } },
  });
  // --render: BENCHMARKS.md again from bench/results.json (e.g. after adding explanations), nothing measured.
  if (values.render) {
    const r = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench', 'results.json'), 'utf8')) as {
      machine: Record<string, string | number>;
      sections: BenchSection[];
      failures: string[];
    };
    const explanations = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench', 'explanations.json'), 'utf8')) as Record<string, string>;
    fs.writeFileSync(path.join(ROOT, 'BENCHMARKS.md'), markdown(r.machine, r.sections, r.failures, explanations));
    return 0;
  }
  const only = (values.only as string[] | undefined) ?? ['lab', 'clients', 'extension', 'logs', 'wan', 'guard'];
  const quick = !!values.quick;
  const log = (l: string) => console.log(l);
  const sections: BenchSection[] = [];
  const failures: string[] = [];
  const parts: [string, () => Promise<BenchSection | BenchSection[]>][] = [
    // require, not import(): each part loads only when selected, and tsx resolves it either way.
    /* eslint-disable @typescript-eslint/no-require-imports */
    ['lab', async () => (require('./lab') as typeof import('./lab')).run({ quick, log })],
    ['clients', async () => (require('./clients') as typeof import('./clients')).run({ quick, log })],
    ['extension', async () => (require('./extension') as { run(o: { quick: boolean }): Promise<BenchSection> }).run({ quick })],
    ['logs', async () => (require('./logs') as { run(o: { quick: boolean }): Promise<BenchSection> }).run({ quick })],
    ['wan', async () => (require('./wanLab') as typeof import('./wanLab')).run({ quick, log })],
    ['guard', async () => (require('./lab') as typeof import('./lab')).runGuard({ quick, log })],
    /* eslint-enable @typescript-eslint/no-require-imports */
  ];
  for (const [name, part] of parts) {
    if (!only.includes(name)) continue;
    const t0 = Date.now();
    console.log(`bench: ${name}…`);
    try {
      const r = await part();
      sections.push(...(Array.isArray(r) ? r : [r]));
      console.log(`bench: ${name} done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
      console.error(`bench: ${name} FAILED: ${(e as Error).stack}`);
    }
  }
  const m = machine();
  for (const s of sections) s.measured = String(m.date);
  const outDir = values.out ? path.resolve(values.out) : ROOT;
  // --only: the sections of the parts not run now stay as bench/results.json had them, in the parts' order.
  const previous = path.join(outDir, 'bench', 'results.json');
  if (values.only && fs.existsSync(previous)) {
    const old = JSON.parse(fs.readFileSync(previous, 'utf8')) as { machine: Record<string, string | number>; sections: BenchSection[] };
    const partOf = (id: string) => PART_OF_SECTION[id] ?? id;
    for (const s of old.sections) {
      if (only.includes(partOf(s.id)) || sections.some((x) => x.id === s.id)) continue;
      // The date and the machine: that run's may differ from this one's in the header.
      sections.push({ ...s, measured: s.measured ?? `${old.machine.date} on ${old.machine.cpu}, ${old.machine.kernel}` });
    }
    const order = parts.map(([name]) => name);
    sections.sort((a, b) => order.indexOf(partOf(a.id)) - order.indexOf(partOf(b.id)));
  }
  const explanations = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench', 'explanations.json'), 'utf8')) as Record<string, string>;
  fs.mkdirSync(path.join(outDir, 'bench'), { recursive: true });
  fs.writeFileSync(path.join(outDir, 'BENCHMARKS.md'), markdown(m, sections, failures, explanations));
  fs.writeFileSync(path.join(outDir, 'bench', 'results.json'), `${JSON.stringify({ machine: m, quick, sections, failures }, null, 2)}\n`);
  for (const s of sections.filter((x) => x.measured === m.date))
    for (const r of s.rows)
      console.log(
        `${r.target ? (r.pass ? 'PASS ' : 'MISS ') : '     '}${r.metric}: ${fmt(r.value)} ${r.unit}${r.target ? ` (target ${r.target})` : ''}`,
      );
  console.log(`bench: wrote ${path.join(outDir, 'BENCHMARKS.md')} and bench/results.json`);
  return failures.length ? 1 : 0;
}

if (require.main === module) void main().then((c) => (process.exitCode = c));
