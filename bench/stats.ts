// Order statistics shared by the bench parts (nearest rank, as the figures in BENCHMARKS.md are read).
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
export const median = (xs: number[]) => quantile(xs, 0.5);
export const p90 = (xs: number[]) => quantile(xs, 0.9);
export const round = (x: number, digits = 1) => Number(x.toFixed(digits));
