/** The table for people. */
import { type Figure, round } from './figure.js';

/** Four significant digits (0.9997 stays 0.9997), one decimal from 100 up. */
const fmt = (v: number | null): string => {
  if (v === null) return '-';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : String(round(v, 4));
};

export function table(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.metric,
    fmt(f.value),
    f.unit,
    f.target ?? '-',
    f.met === null ? (f.error ? 'n/a' : '-') : f.met ? 'yes' : 'MISSED',
    typeof f.load_1m === 'number' ? f.load_1m.toFixed(2) : '-',
    f.error ? `error: ${f.error}` : '',
  ]);
  const head = ['figure', 'value', 'unit', 'target', 'met', 'load', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 1 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
