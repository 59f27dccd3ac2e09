/** Styles of the HTML report, inlined into the page (no external sheet, no web fonts). */
export const CSS = `
:root { --fg: #111827; --dim: #6b7280; --line: #e5e7eb; --bg: #ffffff; --err: #dc2626; --warn: #d97706; --info: #2563eb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header, main, nav.toc { padding: 0 20px; }
header h1 { font-size: 20px; margin: 16px 0 4px; word-break: break-all; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
code, .path { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.path { word-break: break-all; }
.dim { color: var(--dim); }
.note { background: #fffbeb; border-left: 3px solid var(--warn); padding: 4px 8px; margin: 6px 0; }
nav.toc { position: sticky; top: 0; background: var(--bg); z-index: 3; padding-top: 4px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
table { border-collapse: collapse; margin: 4px 0 8px; display: block; overflow-x: auto; max-width: 100%; }
th, td { padding: 2px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-weight: 600; background: #f9fafb; }
table.num td:nth-child(n+3) { text-align: right; font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: baseline; }
dl.counts { display: flex; flex-wrap: wrap; gap: 6px 24px; margin: 6px 0; }
dl.counts div { display: flex; gap: 6px; }
dl.counts dt { color: var(--dim); }
dl.counts dd { margin: 0; font-weight: 600; }
.sev-error .badge { background: var(--err); }
.sev-warning .badge { background: var(--warn); }
.sev-info .badge { background: var(--info); }
span.sev-error { color: var(--err); } span.sev-warning { color: var(--warn); } span.sev-info { color: var(--info); }
.badge { color: #fff; border-radius: 3px; padding: 0 5px; font-size: 12px; text-transform: uppercase; }
ol.findings { padding-left: 24px; }
li.finding { margin: 6px 0; }
a.goto { font-size: 12.5px; }
.toolbar { position: sticky; top: 30px; z-index: 2; background: var(--bg); padding: 6px 0; display: flex; gap: 6px; align-items: center; flex-wrap: wrap; border-bottom: 1px solid var(--line); }
.toolbar button { font: inherit; min-width: 32px; padding: 2px 8px; border: 1px solid #9ca3af; background: #f3f4f6; border-radius: 4px; cursor: pointer; }
.toolbar button:hover { background: #e5e7eb; }
.range { font-family: ui-monospace, monospace; font-size: 12.5px; margin-left: 8px; }
.hint { font-size: 12px; margin-left: auto; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 6px 0; font-size: 12.5px; }
.legend span.k { display: inline-flex; align-items: center; gap: 4px; }
.group { margin: 10px 0 22px; scroll-margin-top: 90px; }
section, li.finding { scroll-margin-top: 40px; }
.group h3 { margin-bottom: 2px; }
.ginfo { font-size: 12.5px; color: var(--dim); }
.plot svg, #inflight-plots svg { display: block; width: 100%; user-select: none; cursor: grab; }
.plot svg.dragging { cursor: grabbing; }
svg text { font: 11px system-ui, sans-serif; fill: #374151; }
svg .axis line { stroke: #d1d5db; }
svg .bar.err { stroke: #7f1d1d; stroke-width: 1px; stroke-dasharray: 2 1; }
svg .bar.hl { stroke: #dc2626; stroke-width: 2px; stroke-dasharray: none; }
svg .bar.open { opacity: .55; }
svg .bar.focus { stroke: #000; stroke-width: 3px; }
svg .bar:hover { stroke: #111; stroke-width: 1.5px; }
.tip { position: fixed; z-index: 10; pointer-events: none; background: #111827; color: #f9fafb; font: 12px/1.4 ui-monospace, monospace; padding: 6px 8px; border-radius: 4px; max-width: 460px; white-space: pre-wrap; }
.hists { display: flex; flex-wrap: wrap; gap: 12px 28px; }
figure.hist { margin: 0; }
figure.hist figcaption { font-size: 13px; }
figure.hist table td { border: none; padding: 0 6px; font-size: 12px; }
figure.hist td.rng { font-family: ui-monospace, monospace; color: var(--dim); }
figure.hist td.cnt { text-align: right; font-variant-numeric: tabular-nums; }
figure.hist td.hbar { width: 160px; }
figure.hist td.hbar span { display: block; height: 10px; background: #2563eb; }
ul.limits li { margin: 3px 0; }
`;
