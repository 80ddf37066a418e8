import type { SummaryRow } from '@keraspect/importer';

/** What the report page shows (paths are relative to the report folder). */
export interface ReportPage {
  model: string;
  producer: string;
  format: string;
  backend: string;
  inputLabel: string;
  inputShape: number[];
  sample: number;
  summary: SummaryRow[];
  paramsTotal: number;
  /** What a user is likely to get wrong about this model (e.g. the keras-self-attention variant). */
  warnings: string[];
  predictions: { name: string; shape: number[]; rows: number[][] }[];
  inputImg: string | null;
  sections: { title: string; src: string; note: string }[];
  attentionImg: string | null;
  attentionNotes: string[];
  attentionHist: string | null;
  /** The seed answer's figures with the answer's code and the Keraspect call beside each. */
  seedFigures: { src: string; caption: string; answer: string; keraspect: string }[];
  /** Why a seed figure is missing (no sequence layer, no attention layer). */
  seedNotes: string[];
  activationHist: string | null;
  attributions: {
    method: string;
    src: string | null;
    delta: number[] | null;
    /** Deletion / insertion AUC of the method's ranking and of a random ranking (null for non-sequence inputs). */
    deletionAuc: number | null;
    randomDeletionAuc: number | null;
    insertionAuc: number | null;
    randomInsertionAuc: number | null;
    units: number[] | null;
  }[];
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const shape = (s: (number | null)[]) => `(${s.map((d) => (d === null ? 'None' : d)).join(', ')})`;
const fig = (src: string, alt: string) =>
  `<figure><img src="${esc(src)}" alt="${esc(alt)}" loading="lazy"><figcaption>${esc(alt)}</figcaption></figure>`;

/** The self-contained `index.html` (no scripts, no external resources: opens offline). */
export function page(p: ReportPage): string {
  const summary = `<table class="summary"><thead><tr><th>Layer (type)</th><th>Output shape</th><th>Param #</th><th>Connected to</th></tr></thead><tbody>${p.summary
    .map(
      (r) =>
        `<tr><td>${esc(r.name)} <span class="cls">(${esc(r.className)})</span></td><td>${r.outputShapes.map(shape).join(', ')}</td><td class="num">${r.params.toLocaleString('en-US')}</td><td>${esc(r.inbound.join(', '))}</td></tr>`,
    )
    .join(
      '',
    )}</tbody><tfoot><tr><td colspan="2">Total params</td><td class="num">${p.paramsTotal.toLocaleString('en-US')}</td><td></td></tr></tfoot></table>`;
  const preds = p.predictions
    .map(
      (o) =>
        `<h3>${esc(o.name)} ${shape(o.shape)}</h3><table class="pred"><thead><tr><th>sample</th><th>values${o.rows[0]?.length === 8 ? ' (first 8)' : ''}</th></tr></thead><tbody>${o.rows
          .map(
            (r, b) =>
              `<tr${b === p.sample ? ' class="sel"' : ''}><td>${b}</td><td>${r.map((v) => v.toPrecision(5)).join(', ')}</td></tr>`,
          )
          .join('')}</tbody></table>`,
    )
    .join('');
  const attrRows = p.attributions
    .map(
      (a) =>
        `<tr><td>${esc(a.method)}</td><td>${a.units ? esc(a.units.join(', ')) : '—'}</td><td>${a.delta ? a.delta.map((d) => d.toExponential(2)).join(', ') : '—'}</td>${[a.deletionAuc, a.randomDeletionAuc, a.insertionAuc, a.randomInsertionAuc].map((v) => `<td class="num">${v === null ? '—' : v.toFixed(3)}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Keraspect report — ${esc(p.model)}</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;margin:0;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px 28px 64px;background:#fff;min-height:100vh}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:36px 0 10px;border-bottom:1px solid #e3e6eb;padding-bottom:4px}h3{font-size:15px;margin:16px 0 6px}
.meta{color:#5a6374;margin:0 0 16px}table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{padding:4px 10px;border-bottom:1px solid #eceef2;text-align:left;vertical-align:top}
th{background:#f2f4f7}.num{text-align:right;font-variant-numeric:tabular-nums}.cls{color:#6b7385}tr.sel td{background:#fff7d6}
figure{margin:12px 0 20px}figure img{max-width:100%;height:auto;border:1px solid #eceef2}figcaption{color:#5a6374;font-size:13px}code{font-size:12px;background:#f2f4f7;padding:1px 4px}
.note{color:#5a6374;font-size:13px}.warn{background:#fff4e0;border-left:4px solid #e08a00;padding:6px 10px;font-size:14px}
</style></head>
<body><main>
<h1>${esc(p.model)}</h1>
<p class="meta">${esc(p.producer)} · ${esc(p.format)} · backend ${esc(p.backend)} · input ${esc(p.inputLabel)} ${shape(p.inputShape)} · figures show sample ${p.sample}</p>
${p.warnings.map((w) => `<p class="warn">Warning: ${esc(w)}</p>`).join('\n')}
<h2 id="summary">Model summary</h2>
${summary}
<h2 id="prediction">Prediction</h2>
${preds}
${p.inputImg ? `<h2 id="input">Input</h2>${fig(p.inputImg, `Input series, sample ${p.sample}`)}` : ''}
<h2 id="attributions">Attributions</h2>
<p class="note">Which time steps drove the prediction: each method's attributions over the input (red raises the explained output, blue lowers it). Deletion AUC: the explained output (relative to its value on the full input) as the most-attributed time steps are zeroed, averaged over samples — lower than the random ranking means the method found what mattered. Insertion AUC: the same output as the most-attributed steps are put back into an all-zero input — higher than the random ranking is better. IG's convergence delta Σattr − (f(x) − f(baseline)) should be near 0.</p>
<table><thead><tr><th>method</th><th>explained unit per sample</th><th>IG convergence delta per sample</th><th>deletion AUC ↓</th><th>random-order deletion AUC</th><th>insertion AUC ↑</th><th>random-order insertion AUC</th></tr></thead><tbody>${attrRows}</tbody></table>
${p.attributions
  .filter((a) => a.src)
  .map((a) => fig(a.src!, `${a.method} over the input, sample ${p.sample}`))
  .join('\n')}
${p.attentionImg || p.attentionNotes.length ? `<h2 id="attention">Attention</h2><ul class="note">${p.attentionNotes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>${p.attentionImg ? fig(p.attentionImg, 'Attention maps (rows: query time step, columns: key time step) and rollout') : ''}${p.attentionHist ? fig(p.attentionHist, 'Histogram of attention weights') : ''}` : ''}
${
  p.seedFigures.length || p.seedNotes.length
    ? `<h2 id="seed">The seed answer's figures</h2><p class="note">The figures of the Stack Overflow answer “How to visualize attention LSTM using keras-self-attention package?”, drawn with its arguments.</p>${p.seedFigures
        .map(
          (f) =>
            `<figure><img src="${esc(f.src)}" alt="${esc(f.caption)}" loading="lazy"><figcaption>${esc(f.caption)}<br><code>${esc(f.answer)}</code> → <code>${esc(f.keraspect)}</code></figcaption></figure>`,
        )
        .join('\n')}${p.seedNotes.map((n) => `<p class="note">${esc(n)}</p>`).join('')}`
    : ''
}
<h2 id="layers">Layer outputs</h2>
${p.sections.map((s) => fig(s.src, `${s.title} ${s.note}`)).join('\n')}
${p.activationHist ? fig(p.activationHist, 'Histograms of activations by layer') : ''}
<p class="note">Made by Keraspect.</p>
</main></body></html>
`;
}
