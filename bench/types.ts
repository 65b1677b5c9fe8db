// The shape every benchmark part returns; bench/run.ts writes them into BENCHMARKS.md and bench/results.json.

export interface BenchRow {
  /** What was measured, e.g. "activation (load + activate)". */
  metric: string;
  value: number;
  unit: string;
  /** The target in words, e.g. "≤ 50 ms", when the issue sets one. */
  target?: string;
  /** Whether the value meets the target (undefined: no target). */
  pass?: boolean;
  /** Conditions of this figure (sample count, sizes, …). */
  note?: string;
}

export interface BenchSection {
  id: string;
  title: string;
  rows: BenchRow[];
  /** Explanations: what bounds a figure, how it was measured. */
  notes: string[];
  /** When it was measured: the run's date, plus the machine for a section kept from an earlier run (bench/run.ts). */
  measured?: string;
}
