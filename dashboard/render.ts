/**
 * The dashboard as one HTML page: no script, no framework, nothing fetched from elsewhere, so it
 * works where there is no internet and behind any SSO proxy. Charts are small inline SVGs, each
 * with a real table of the same numbers beside it; flags are words, not only colours.
 */
import { createHash } from 'node:crypto';
import { longDate } from '../domain/rituals';
import {
  FIGURE_LABELS,
  FIGURE_TARGETS,
  formatRatio,
  type FigureValues,
  type Ratio,
} from '../domain/measurement';
import type { DashboardModel, LaunchRow, RenewalRow } from './model';

const escape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--panel:#f6f8fa;--late:#a40e26;--risk:#9a6700;--ok:#1a7f37;--accent:#0969da}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9da7b3;--line:#30363d;--bg:#0d1117;--panel:#161b22;--late:#ff8182;--risk:#d29922;--ok:#3fb950;--accent:#58a6ff}}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header,main,footer{max-width:72rem;margin:0 auto;padding:1rem 1.25rem}header h1{margin:0;font-size:1.35rem}header p,footer{color:var(--muted);margin:.25rem 0 0}
section{margin:1.5rem 0}h2{font-size:1.1rem;border-bottom:1px solid var(--line);padding-bottom:.35rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}caption{text-align:left;color:var(--muted);padding:.25rem 0}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}thead th{font-weight:600;color:var(--muted)}
tbody th[scope=rowgroup]{background:var(--panel);font-weight:600}td.none{color:var(--muted);font-style:italic}
.tier{display:inline-block;padding:0 .4rem;border-radius:.6rem;border:1px solid var(--line);font-size:.8rem;white-space:nowrap}
.tier-3{border-color:var(--accent);color:var(--accent)}.flag{display:inline-block;margin-right:.3rem;font-size:.8rem;text-transform:uppercase;letter-spacing:.03em}
.flag-late,.flag-overdue{color:var(--late)}.flag-at-risk,.flag-on-hold{color:var(--risk)}.enablement-published,.enablement-released{color:var(--ok)}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:1rem}
figure{margin:0;padding:.75rem;border:1px solid var(--line);border-radius:.5rem;background:var(--panel)}
figcaption{font-weight:600}.value{font-size:1.6rem;margin:.2rem 0}.target,.note{color:var(--muted);font-size:.85rem}
svg.trend{display:block;width:100%;max-width:14rem;height:3rem;margin:.4rem 0}svg.trend polyline{fill:none;stroke:var(--accent);stroke-width:2}
svg.trend circle{fill:var(--accent)}svg.trend line{stroke:var(--line);stroke-width:1}
details{margin-top:.4rem}summary{cursor:pointer;color:var(--accent);font-size:.85rem}.skipped{color:var(--risk)}
`;

/** The Content-Security-Policy of the page: its one style block, nothing else. */
export const DASHBOARD_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const TIERS: Record<number, string> = { 1: 'Tier 1 (Low)', 2: 'Tier 2 (Medium)', 3: 'Tier 3 (High)' };
const ENABLEMENT: Record<string, string> = {
  not_required: 'no bundle needed',
  pending: 'bundle pending',
  published: 'bundle published',
  late: 'late',
  at_risk: 'at risk',
  released: 'released',
  cancelled: 'cancelled',
};

function flags(r: LaunchRow): [string, string][] {
  const list: [string, string][] = [];
  if (r.flags.late) list.push(['late', 'Late']);
  if (r.flags.atRisk) list.push(['at-risk', 'At risk']);
  if (r.flags.onHold) list.push(['on-hold', 'On hold']);
  if (r.overdue || r.flags.launchOverdue) list.push(['overdue', 'Launch date passed']);
  return list;
}

function launchRow(r: LaunchRow): string {
  const f = flags(r);
  return `<tr data-issue="${escape(r.issueKey)}" data-flags="${f.map(([k]) => k).join(' ')}">
<td>${escape(longDate(r.launchDate))}${r.launchedOn ? ' (launched)' : ''}</td>
<td>${escape(r.title)} <span class="note">${escape(r.issueKey)}</span></td>
<td><span class="tier tier-${r.tier}">${escape(TIERS[r.tier] ?? `Tier ${r.tier}`)}</span></td>
<td>${escape(r.pmName)}${r.productArea ? `<br><span class="note">${escape(r.productArea)}</span>` : ''}</td>
<td class="enablement-${escape(r.enablement.replace('_', '-'))}">${escape(ENABLEMENT[r.enablement] ?? r.enablement)}</td>
<td>${f.map(([k, label]) => `<strong class="flag flag-${k}">${label}</strong>`).join('') || '<span class="note">—</span>'}</td>
</tr>`;
}

function launchSection(model: DashboardModel): string {
  const head =
    '<thead><tr><th scope="col">Launch</th><th scope="col">Release</th><th scope="col">Tier</th><th scope="col">PM</th><th scope="col">Enablement</th><th scope="col">Flags</th></tr></thead>';
  const groups: string[] = [];
  if (model.launches.overdue.length > 0)
    groups.push(
      `<tbody><tr><th scope="rowgroup" colspan="6">Launch date passed, not marked released</th></tr>${model.launches.overdue.map(launchRow).join('')}</tbody>`,
    );
  for (const week of model.launches.weeks) {
    const rows =
      week.releases.length > 0
        ? week.releases.map(launchRow).join('')
        : '<tr><td class="none" colspan="6">No launches</td></tr>';
    groups.push(
      `<tbody data-week="${week.week}"><tr><th scope="rowgroup" colspan="6">${week.week} · week of ${escape(longDate(week.monday))}</th></tr>${rows}</tbody>`,
    );
  }
  return `<section id="launches" aria-labelledby="launches-title"><h2 id="launches-title">Launch calendar</h2>
<table><caption>Releases launching from ${escape(longDate(model.launches.from))} to ${escape(longDate(model.launches.to))}, by week; late and at-risk releases are flagged.</caption>${head}${groups.join('')}</table></section>`;
}

function coverSection(model: DashboardModel): string {
  const span = (from: string, to: string) =>
    from === to ? longDate(from) : `${longDate(from)} to ${longDate(to)}`;
  const rows = model.cover.rows.map(
    (l) =>
      `<tr data-person="${escape(l.personId)}"><th scope="row">${escape(l.personName)}</th><td>${escape(span(l.from, l.to))}${l.firstDay !== 'full' || l.lastDay !== 'full' ? ' <span class="note">(half days)</span>' : ''}</td><td>${l.buddyName ? escape(l.buddyName) : '<span class="note">no buddy yet</span>'}</td><td>${l.status === 'confirmed' ? 'confirmed' : 'awaiting confirmation'}</td></tr>`,
  );
  return `<section id="cover" aria-labelledby="cover-title"><h2 id="cover-title">Cover</h2>
<table><caption>Who is off from ${escape(longDate(model.cover.from))} to ${escape(longDate(model.cover.to))}, and who covers them.</caption>
<thead><tr><th scope="col">Person</th><th scope="col">Away</th><th scope="col">Covered by</th><th scope="col">Status</th></tr></thead>
<tbody>${rows.join('') || '<tr><td class="none" colspan="4">Nobody is off</td></tr>'}</tbody></table></section>`;
}

export function renewalSection(renewals: RenewalRow[]): string {
  const rows = renewals.map(
    (r) =>
      `<tr><th scope="row">${escape(r.vendor)}</th><td>${escape(longDate(r.noticeDeadline))}</td><td>${escape(longDate(r.renewalDate))}</td><td>${escape(r.ownerName ?? '—')}</td><td>${escape(r.decision ?? 'undecided')}</td></tr>`,
  );
  return `<section id="renewals" aria-labelledby="renewals-title"><h2 id="renewals-title">Renewals</h2>
<table><caption>Notice deadlines ahead.</caption><thead><tr><th scope="col">Subscription</th><th scope="col">Notice deadline</th><th scope="col">Renews</th><th scope="col">Owner</th><th scope="col">Decision</th></tr></thead>
<tbody>${rows.join('') || '<tr><td class="none" colspan="5">No notice deadlines ahead</td></tr>'}</tbody></table></section>`;
}

const pct = (r: Ratio) => (r.share === null ? '—' : `${Math.round(r.share * 100)}%`);

/** A small line of the weekly shares; gaps where a week had nothing to count. */
export function sparkline(values: (number | null)[], label: string): string {
  const width = 160;
  const height = 40;
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const point = (v: number, i: number) =>
    `${(i * step).toFixed(1)},${(height - 2 - v * (height - 4)).toFixed(1)}`;
  const segments: string[][] = [[]];
  values.forEach((v, i) => {
    if (v === null) segments.push([]);
    else segments.at(-1)!.push(point(v, i));
  });
  const lines = segments.filter((s) => s.length > 1).map((s) => `<polyline points="${s.join(' ')}"/>`);
  const dots = values.map((v, i) =>
    v === null ? '' : `<circle cx="${point(v, i).split(',')[0]}" cy="${point(v, i).split(',')[1]}" r="2"/>`,
  );
  return `<svg class="trend" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escape(label)}" preserveAspectRatio="none"><line x1="0" y1="${height - 2}" x2="${width}" y2="${height - 2}"/>${lines.join('')}${dots.join('')}</svg>`;
}

function figureCard(model: DashboardModel, key: keyof FigureValues): string {
  const value = model.figures.values[key];
  const trend = model.figures.trend.map((w) => w.values[key]);
  const withData = trend.filter((r) => r.share !== null);
  const label = `${FIGURE_LABELS[key]}, week by week over the last ${trend.length} weeks: ${withData.length} weeks with something to count${withData.length ? `, latest ${pct(withData.at(-1)!)}` : ''}. The table below has every week.`;
  const rows = model.figures.trend.map(
    (w, i) =>
      `<tr><th scope="row">${w.week}</th><td>${pct(trend[i]!)}</td><td>${trend[i]!.denominator === 0 ? 'nothing to count' : `${trend[i]!.numerator} of ${trend[i]!.denominator}`}</td></tr>`,
  );
  return `<figure data-figure="${key}" data-numerator="${value.numerator}" data-denominator="${value.denominator}">
<figcaption>${escape(FIGURE_LABELS[key])}</figcaption>
<p class="value">${escape(formatRatio(value))}</p>${FIGURE_TARGETS[key] ? `<p class="target">${escape(FIGURE_TARGETS[key])}</p>` : ''}
${sparkline(
  trend.map((r) => r.share),
  label,
)}
<details><summary>Weekly values</summary><table><caption>${escape(FIGURE_LABELS[key])} by ISO week</caption><thead><tr><th scope="col">Week</th><th scope="col">Share</th><th scope="col">Counted</th></tr></thead><tbody>${rows.join('')}</tbody></table></details>
</figure>`;
}

function figuresSection(model: DashboardModel): string {
  const keys = Object.keys(FIGURE_LABELS) as (keyof FigureValues)[];
  const { from, to, report } = model.figures;
  return `<section id="figures" aria-labelledby="figures-title" data-from="${from}" data-to="${to}"><h2 id="figures-title">Figures</h2>
<p class="note">From ${escape(longDate(from))} to ${escape(longDate(to))}: the same as <code>prodops report --from ${from} --to ${to}</code>.</p>
<div class="figures">${keys.map((k) => figureCard(model, k)).join('')}</div>
<p class="note">Ad-hoc status requests: ${escape(report.statusRequests.how)}</p>
<p class="note">PM coordination overhead: ${escape(report.coordinationOverhead.how)}</p>
${model.skipped.length ? `<p class="skipped">${model.skipped.length} record${model.skipped.length === 1 ? ' was' : 's were'} not readable and not counted: ${model.skipped.map((s) => escape(s.workflowId)).join(', ')}.</p>` : ''}
</section>`;
}

export function renderDashboard(model: DashboardModel): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="300"><title>${escape(model.organisation)} — product ops dashboard</title><style>${STYLE}</style></head>
<body><header><h1>${escape(model.organisation)} — product ops</h1><p>As of ${escape(longDate(model.today))} (${escape(model.timezone)}), from prodops’ own records. Read-only; refreshes every five minutes.</p></header>
<main>${launchSection(model)}${coverSection(model)}${model.renewals ? renewalSection(model.renewals) : ''}${figuresSection(model)}</main>
<footer>Generated ${escape(model.generatedAt)} by prodops.</footer></body></html>`;
}
