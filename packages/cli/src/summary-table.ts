import type { SummaryRow } from '@keraspect/importer';

const fmtShape = (s: (number | null)[]) =>
  `(${s.map((d) => (d === null ? 'None' : String(d))).join(', ')}${s.length === 1 ? ',' : ''})`;

// Not toLocaleString: its first call loads ICU's number formatting, ~30 ms of `keraspect inspect`.
/** `1234567` → `'1,234,567'`. */
export const formatCount = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** Render summary rows as Keras' `model.summary()` table. */
export function formatSummary(rows: SummaryRow[]): string {
  const cells = rows.map((r) => [
    `${r.name} (${r.className})`,
    r.outputShapes.map(fmtShape).join(', '),
    formatCount(r.params),
    r.inbound.join(', '),
  ]);
  const head = ['Layer (type)', 'Output Shape', 'Param #', 'Connected to'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    `${c.map((x, i) => (i === 2 ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join('  ')}`.trimEnd();
  const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  return [rule, line(head), rule, ...cells.map(line), rule, ''].join('\n');
}
