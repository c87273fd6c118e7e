/** The report's stylesheet: readable on screen and in a screenshot, no external fonts. */
export const REPORT_CSS = `
:root { --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #f9fafb; --card: #ffffff; --accent: #2563eb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 20px 32px 14px; background: var(--card); border-bottom: 1px solid var(--line); }
h1 { margin: 0 0 4px; font-size: 22px; }
h2 { margin: 0 0 8px; font-size: 18px; }
h3 { margin: 18px 0 6px; font-size: 14px; color: #374151; }
main { max-width: 1200px; margin: 0 auto; padding: 18px 24px 40px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 18px 20px; margin-bottom: 18px; }
.muted { color: var(--muted); font-weight: normal; }
.assumptions { display: inline-block; font-weight: 600; background: #eff6ff; color: #1e3a8a; border: 1px solid #bfdbfe; border-radius: 6px; padding: 6px 10px; margin: 2px 0 4px; }
.label { font-size: 12px; margin-bottom: 8px; }
.optimistic { color: #b91c1c; background: #fef2f2; border: 1px solid #fecaca; border-radius: 6px; padding: 8px 10px; margin: 8px 0; }
.metrics { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 6px 16px; margin: 10px 0 4px; }
.metric { display: flex; justify-content: space-between; border-bottom: 1px dotted var(--line); padding: 3px 0; }
.metric .k { color: var(--muted); }
.metric .v { font-variant-numeric: tabular-nums; font-weight: 600; }
.chart { width: 100%; }
.chart.tall { height: 340px; }
.chart.short { height: 200px; }
.chart.mid { height: 280px; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; }
.trades { max-height: 360px; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; text-align: right; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { position: sticky; top: 0; background: #f3f4f6; font-weight: 600; }
td.pos { color: #15803d; } td.neg { color: #b91c1c; }
.note { color: var(--muted); font-size: 12px; }
pre { background: #f3f4f6; border-radius: 6px; padding: 12px; overflow: auto; font-size: 12px; }
@media (max-width: 800px) { .pair { grid-template-columns: 1fr; } }
`;
