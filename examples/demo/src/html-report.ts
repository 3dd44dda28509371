import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SlaReport } from '@omnidealer/core';
import { type DemoSummary, formatRub, percent } from './demo-summary.js';

/** What the HTML report shows besides the summary. */
export interface ReportContext {
  seed: number;
  mode: 'sandbox' | 'real';
  priceWhatsAppMinor: number;
  priceSmsSegmentMinor: number;
  sla: SlaReport;
  dialogs: readonly string[];
  wallMs: number;
}

/** E-mail and MAX report no delivery or read in the demo. */
const noReceipts = (channel: string) => channel === 'email' || channel === 'max';
const colors: Record<string, string> = {
  email: '#6c8ebf',
  whatsapp: '#25a244',
  sms: '#d9822b',
  avito: '#7a5bd6',
  max: '#0077ff',
};

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Two grouped horizontal bars per channel: spend (₽) and reach (contacts), each scaled to its own maximum. */
export function renderChart(summary: DemoSummary): string {
  const rowHeight = 56;
  const left = 110;
  const barWidth = 420;
  const height = summary.channels.length * rowHeight + 40 + 34;
  const maxSpend = Math.max(1, summary.smsOnlyMinor, ...summary.channels.map((row) => row.spendMinor));
  const maxReach = Math.max(1, ...summary.channels.map((row) => row.reached));
  const bars = summary.channels
    .map((row, index) => {
      const y = 30 + index * rowHeight;
      const color = colors[row.channel] ?? '#888';
      const spendWidth = Math.round((row.spendMinor / maxSpend) * barWidth);
      const reachWidth = Math.round((row.reached / maxReach) * barWidth);
      return [
        `<text x="${left - 10}" y="${y + 20}" text-anchor="end" font-weight="bold">${escapeHtml(row.channel)}</text>`,
        `<rect x="${left}" y="${y}" width="${spendWidth}" height="18" fill="${color}"><title>spend ${escapeHtml(formatRub(row.spendMinor))}</title></rect>`,
        `<text x="${left + spendWidth + 6}" y="${y + 14}">${escapeHtml(formatRub(row.spendMinor))}</text>`,
        `<rect x="${left}" y="${y + 22}" width="${reachWidth}" height="18" fill="${color}" fill-opacity="0.45"><title>reached ${row.reached}</title></rect>`,
        `<text x="${left + reachWidth + 6}" y="${y + 36}">${row.reached} reached</text>`,
      ].join('');
    })
    .join('\n');
  // The baseline: every contact sent the campaign's SMS text alone.
  const baselineY = 30 + summary.channels.length * rowHeight;
  const baselineWidth = Math.round((summary.smsOnlyMinor / maxSpend) * barWidth);
  const baseline = [
    `<text x="${left - 10}" y="${baselineY + 14}" text-anchor="end" font-weight="bold">SMS only</text>`,
    `<rect x="${left}" y="${baselineY}" width="${baselineWidth}" height="18" fill="none" stroke="#777" stroke-dasharray="4 3"><title>SMS only ${escapeHtml(formatRub(summary.smsOnlyMinor))}</title></rect>`,
    `<text x="${left + baselineWidth + 6}" y="${baselineY + 14}">${escapeHtml(formatRub(summary.smsOnlyMinor))}</text>`,
  ].join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Spend and reach per channel" width="${left + barWidth + 160}" height="${height}" font-family="system-ui, sans-serif" font-size="13">
<text x="${left}" y="16" fill="#555">solid: spend · light: contacts reached · dashed: the same campaign as SMS only</text>
${bars}
${baseline}
</svg>`;
}

/** The whole report page: summary table, chart, savings, SLA and dialogs. No external assets. */
export function renderReport(summary: DemoSummary, context: ReportContext): string {
  const rows = summary.channels
    .map(
      (row) =>
        `<tr><th>${escapeHtml(row.channel)}</th><td>${row.sent}</td><td>${noReceipts(row.channel) ? 'n/a' : row.delivered}</td><td>${noReceipts(row.channel) ? 'n/a' : row.read}</td><td>${row.failed}</td><td>${row.reached}</td><td>${escapeHtml(formatRub(row.spendMinor))}</td></tr>`,
    )
    .join('\n');
  const ratio = summary.smsOnlyMinor === 0 ? 0 : (summary.savingsMinor / summary.smsOnlyMinor) * 100;
  const sla = context.sla;
  const seconds = (ms: number | undefined) => (ms === undefined ? '—' : `${Math.round(ms / 1000)} s`);
  const responders = Object.entries(sla.byResponder)
    .map(
      ([responder, figures]) =>
        `<tr><th>${escapeHtml(responder)}</th><td>${figures.answered}</td><td>${figures.answeredLate}</td><td>${seconds(figures.medianMs)}</td><td>${figures.waitingOverTarget}</td><td>${figures.missed}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>omnidealer demo — spring sale</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { padding: .3rem .8rem; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child { text-align: left; }
.big { font-size: 1.4rem; }
small { color: #666; }
</style>
</head>
<body>
<h1>Spring sale: ${summary.contacts} contacts</h1>
<p><small>mode ${context.mode} · seed ${context.seed} · WhatsApp ${escapeHtml(formatRub(context.priceWhatsAppMinor))} per marketing template · SMS ${escapeHtml(formatRub(context.priceSmsSegmentMinor))} per segment · ran in ${(context.wallMs / 1000).toFixed(1)} s</small></p>
<p class="big">Reached <b>${summary.reached}</b> of ${summary.contacts} (${percent(summary.reached, summary.contacts)}) for <b>${escapeHtml(formatRub(summary.totalSpendMinor))}</b>.
SMS only would have cost <b>${escapeHtml(formatRub(summary.smsOnlyMinor))}</b>: savings <b id="savings">${escapeHtml(formatRub(summary.savingsMinor))}</b> (${ratio.toFixed(1)} %).</p>
<h2>Per channel</h2>
<table id="channels">
<thead><tr><th>channel</th><th>sent</th><th>delivered</th><th>read</th><th>failed</th><th>reached</th><th>spend</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<h2>Spend and reach per channel</h2>
${renderChart(summary)}
<h2>Response-time SLA (target ${Math.round(sla.targetMs / 1000)} s)</h2>
<table>
<thead><tr><th>responder</th><th>answered</th><th>late</th><th>median wait</th><th>waiting over target</th><th>missed</th></tr></thead>
<tbody>
${responders}
</tbody>
</table>
<h2>Dialogs</h2>
<ul>
${context.dialogs.map((line) => `<li>${escapeHtml(line)}</li>`).join('\n')}
</ul>
</body>
</html>
`;
}

/** Writes `<outDir>/index.html` and returns its path. */
export async function writeReport(outDir: string, summary: DemoSummary, context: ReportContext): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const path = join(outDir, 'index.html');
  await writeFile(path, renderReport(summary, context), 'utf8');
  return path;
}
