/** A plain HTML view of the sandbox's state, so a person can see what prodops did. */
const escape = (value: unknown): string =>
  (typeof value === 'string' ? value : JSON.stringify(value ?? '')).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') {
    const json = JSON.stringify(value);
    return `<code>${escape(json.length > 240 ? `${json.slice(0, 240)}…` : json)}</code>`;
  }
  return escape(value);
}

function table(name: string, rows: unknown[]): string {
  if (rows.length === 0) return `<h3>${escape(name)} <small>(none)</small></h3>`;
  const columns = [
    ...new Set(rows.flatMap((r) => (r && typeof r === 'object' ? Object.keys(r) : ['value']))),
  ].slice(0, 10);
  const body = rows
    .map((r) => {
      const record = r && typeof r === 'object' ? (r as Record<string, unknown>) : { value: r };
      return `<tr>${columns.map((c) => `<td>${cell(record[c])}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<h3>${escape(name)} <small>(${rows.length})</small></h3>
<table><thead><tr>${columns.map((c) => `<th>${escape(c)}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table>`;
}

export function renderSandboxPage(state: Record<string, Record<string, unknown[]>>): string {
  const sections = Object.entries(state)
    .map(
      ([vendor, collections]) =>
        `<section><h2>${escape(vendor)}</h2>${Object.entries(collections)
          .map(([n, rows]) => table(n, rows))
          .join('\n')}</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>prodops sandbox</title>
<meta http-equiv="refresh" content="5">
<style>
body{font:14px system-ui,sans-serif;margin:2rem;color:#1d1d1f}
table{border-collapse:collapse;margin-bottom:1.5rem;width:100%}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f7}code{font-size:12px;word-break:break-all}small{color:#888;font-weight:normal}
</style></head><body>
<h1>prodops sandbox</h1>
<p>Local stand-ins for Jira, Notion, Google Calendar and Gmail. JSON: <a href="/_sandbox/state">/_sandbox/state</a>, requests: <a href="/_sandbox/requests">/_sandbox/requests</a>. Refreshes every 5 seconds.</p>
${sections}
</body></html>`;
}
