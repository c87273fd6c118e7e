/**
 * A self-contained HTML report of one or more evaluated runs: metrics with their assumptions,
 * equity vs buy-and-hold, drawdown, monthly returns, round trips and their return histogram,
 * and the config. echarts is inlined, the data is embedded as JSON: the file opens offline.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { TradelabError } from "../errors.js";
import { annualisedNote, type BacktestResult, type Metrics, type RoundTrip, type SimLabel, type Trade } from "../sim.js";
import { buyAndHold, drawdown, histogram, monthlyReturns } from "./analysis.js";
import { CLIENT_SCRIPT } from "./client-script.js";
import { esc, feePct, inlineScript, isoDay, isoMinute, num, pct, scriptJson } from "./html.js";
import { REPORT_CSS } from "./style.js";

export { buyAndHold, drawdown, histogram, monthlyReturns } from "./analysis.js";
export type { Histogram, MonthReturn } from "./analysis.js";
export type { RoundTrip } from "../sim.js";

export interface ReportRun {
  /** e.g. `validation`, `test (locked)`, `backtest`. */
  name: string;
  symbol: string;
  interval: string;
  /** `full`, `custom`, `train`, `val`, `test`, ... */
  split: string;
  assumptions: SimLabel;
  window: { first: number; last: number; bars: number };
  metrics: Metrics;
  trades: Trade[];
  /** Flat to flat, computed in Rust by the engine's rule. */
  roundTrips: RoundTrip[];
  /** Bar open times (epoch ms), equity at each bar close, close price. */
  curve: { ts: ArrayLike<number>; equity: ArrayLike<number>; close: ArrayLike<number> };
  /** Multi-asset runs: each symbol's share of equity at every bar close (step-major: `share[bar * symbols + k]`), and its PnL. */
  allocation?: { symbols: string[]; share: ArrayLike<number>; pnl: number[] };
}

export interface ReportInput {
  title: string;
  /** Epoch ms; now when omitted. */
  generatedAt?: number;
  config: unknown;
  runs: ReportRun[];
  /** Shown under the title, e.g. the run id and code version. */
  subtitle?: string;
}

/** A backtest result as one report section. */
export function backtestReportRun(r: BacktestResult, name = "backtest"): ReportRun {
  return {
    name,
    symbol: r.symbol,
    interval: r.interval,
    split: r.window.split,
    assumptions: r.assumptions,
    window: r.window,
    metrics: r.metrics,
    trades: r.trades,
    roundTrips: r.roundTrips,
    curve: r.curve,
  };
}

/** Trade rows shown per run; the rest are counted in a note (the histogram uses all of them). */
export const MAX_TRADE_ROWS = 500;

let echartsBundle: string | undefined;
function echartsSource(): string {
  if (echartsBundle === undefined) {
    const require = createRequire(import.meta.url);
    echartsBundle = readFileSync(require.resolve("echarts/dist/echarts.min.js"), "utf8");
  }
  return echartsBundle;
}

/** The one line every number in a run section is read with. */
export function assumptionsText(r: Pick<ReportRun, "assumptions" | "split" | "window">): string {
  const a = r.assumptions;
  return (
    `lag ${a.decisionLag} · fill ${a.fillRule} · maker ${feePct(a.makerFee)} / taker ${feePct(a.takerFee)} · ` +
    `split ${r.split} · window ${isoDay(r.window.first)}..${isoDay(r.window.last)} (${r.window.bars} bars)`
  );
}

function metricsTable(m: Metrics): string {
  const rows: [string, string][] = [
    ["total return", pct(m.totalReturn)],
    ["annualised return", pct(m.annualisedReturn) + annualisedNote(m)],
    ["sortino", num(m.sortino)],
    ["sharpe", num(m.sharpe)],
    ["max drawdown", `${pct(m.maxDrawdown)} (${m.maxDrawdownBars} bars)`],
    ["calmar", num(m.calmar) + annualisedNote(m)],
    ["trades / round trips", `${m.tradeCount} / ${m.roundTrips}`],
    ["win rate", pct(m.winRate)],
    ["exposure", pct(m.exposure)],
    ["turnover", num(m.turnover)],
    ["fees paid", num(m.feesPaid)],
    ["start → end equity", `${num(m.startEquity, 0)} → ${num(m.endEquity, 0)}`],
  ];
  if (m.lastWindow) rows.push([`last ${m.lastWindow.bars} bars: return / sortino`, `${pct(m.lastWindow.totalReturn)} / ${num(m.lastWindow.sortino)}`]);
  const cells = rows.map(([k, v]) => `<div class="metric"><span class="k">${esc(k)}</span><span class="v">${esc(v)}</span></div>`);
  return `<div class="metrics">${cells.join("")}</div>`;
}

function tradeTable(trips: RoundTrip[]): string {
  if (trips.length === 0) return `<p class="note">No trades.</p>`;
  const shown = trips.slice(0, MAX_TRADE_ROWS);
  const rows = shown.map((t, i) => {
    const cls = t.ret === null ? "" : t.ret >= 0 ? "pos" : "neg";
    return (
      `<tr><td>${i + 1}</td><td>${esc(isoMinute(t.entryTs))}</td><td>${t.exitTs === null ? "open" : esc(isoMinute(t.exitTs))}</td>` +
      `<td>${t.exitBar === null ? "–" : t.exitBar - t.entryBar}</td><td>${esc(num(t.entryPrice, 4))}</td><td>${esc(num(t.exitPrice, 4))}</td>` +
      `<td>${esc(num(t.qty, 6))}</td><td>${esc(num(t.fees, 2))}</td><td>${t.fills}</td><td class="${cls}">${esc(pct(t.ret))}</td></tr>`
    );
  });
  const note =
    trips.length > shown.length ? `<p class="note">Showing the first ${shown.length} of ${trips.length} round trips; the histogram uses all of them.</p>` : "";
  return (
    `<div class="trades"><table><thead><tr><th>#</th><th>entry (UTC)</th><th>exit (UTC)</th><th>bars held</th><th>entry price</th>` +
    `<th>exit price</th><th>qty</th><th>fees</th><th>fills</th><th>return</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>${note}`
  );
}

function runSection(r: ReportRun, k: number): string {
  const trips = r.roundTrips;
  const warn = r.assumptions.optimistic
    ? `<div class="optimistic"><strong>OPTIMISTIC</strong> — these numbers overstate what live trading would get: ${esc(r.assumptions.warnings.join("; ") || "optimistic assumptions")}</div>`
    : "";
  const closed = trips.filter((t) => t.ret !== null).length;
  return `
<section class="run" id="run-${k}">
  <h2>${esc(r.name)} <span class="muted">· ${esc(r.symbol)} ${esc(r.interval)}</span></h2>
  <div class="assumptions">${esc(assumptionsText(r))}</div>
  <div class="label muted">simulator: ${esc(r.assumptions.text)}</div>
  ${warn}
  ${metricsTable(r.metrics)}
  <h3>Equity vs buy-and-hold</h3>
  <div class="chart tall" id="equity-${k}"></div>
  <h3>Drawdown</h3>
  <div class="chart short" id="drawdown-${k}"></div>
  <div class="pair">
    <div><h3>Monthly returns</h3><div class="chart mid" id="monthly-${k}"></div></div>
    <div><h3>Round-trip returns <span class="muted">(${closed} closed)</span></h3><div class="chart mid" id="histogram-${k}"></div></div>
  </div>
  ${
    r.allocation
      ? `<div class="pair">
    <div><h3>Allocation over time <span class="muted">(share of equity held in each symbol)</span></h3><div class="chart mid" id="allocation-${k}"></div></div>
    <div><h3>PnL by symbol</h3><div class="chart mid" id="pnl-${k}"></div></div>
  </div>`
      : ""
  }
  <h3>Round trips</h3>
  ${r.allocation && trips.length === 0 ? `<p class="note">Per-symbol trade counts and PnL are in the table above; round trips are listed for single-asset runs.</p>` : tradeTable(trips)}
</section>`;
}

function chartData(r: ReportRun) {
  const equity = Array.from(r.curve.equity);
  const start = r.metrics.startEquity;
  const trips = r.roundTrips;
  // Plotted values only (the metrics table uses the exact numbers): 7 significant digits keep a 70k-bar report small.
  const sig7 = (xs: number[]) => xs.map((x) => (Number.isFinite(x) ? Number(x.toPrecision(7)) : x));
  return {
    ts: Array.from(r.curve.ts),
    equity: sig7(equity),
    buyHold: sig7(buyAndHold(r.curve.close, start)),
    drawdown: drawdown(equity, start).map((x) => Math.round(x * 1e6) / 1e6),
    months: monthlyReturns(r.curve.ts, equity, start),
    histogram: histogram(trips.flatMap((t) => (t.ret === null ? [] : [t.ret]))),
    allocation: r.allocation ? allocationData(r.curve.ts, r.allocation) : null,
  };
}

/** At most ~1,500 plotted points per symbol: every k-th bar's share (the chart shows the shape, not each bar). */
function allocationData(ts: ArrayLike<number>, a: NonNullable<ReportRun["allocation"]>) {
  const n = ts.length;
  const step = Math.max(1, Math.ceil(n / 1500));
  const at: number[] = [];
  for (let i = 0; i < n; i += step) at.push(i);
  return {
    symbols: a.symbols,
    ts: at.map((i) => ts[i] ?? 0),
    share: a.symbols.map((_, k) => at.map((i) => Math.round((a.share[i * a.symbols.length + k] ?? 0) * 1e4) / 1e4)),
    pnl: a.pnl,
  };
}

function validate(input: ReportInput): void {
  if (input.runs.length === 0) throw new TradelabError("report: no runs to show");
  for (const r of input.runs) {
    const n = r.curve.ts.length;
    if (r.curve.equity.length !== n || r.curve.close.length !== n) {
      throw new TradelabError(`report: run '${r.name}': curve columns differ in length (ts ${n}, equity ${r.curve.equity.length}, close ${r.curve.close.length})`);
    }
    if (n === 0) throw new TradelabError(`report: run '${r.name}': empty curve`);
  }
}

/** The whole report as one HTML string (pure: same input, same output). */
export function renderReport(input: ReportInput): string {
  validate(input);
  const generated = input.generatedAt ?? Date.now();
  const data = { runs: input.runs.map(chartData) };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(input.title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header>
  <h1>${esc(input.title)}</h1>
  <div class="muted">generated ${esc(isoMinute(generated))} UTC${input.subtitle ? ` · ${esc(input.subtitle)}` : ""} · decisions made after bar T closes fill on bar T+lag</div>
</header>
<main>
${input.runs.map(runSection).join("\n")}
<section class="config">
  <h2>Config</h2>
  <pre>${esc(JSON.stringify(input.config ?? null, null, 2))}</pre>
</section>
</main>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${inlineScript(echartsSource())}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}

/** Writes the report atomically (temp file + rename) and returns the path. */
export function writeReport(file: string, input: ReportInput): string {
  const html = renderReport(input);
  const target = path.resolve(file);
  mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
  try {
    writeFileSync(tmp, html);
    renameSync(tmp, target);
  } catch (e) {
    throw new TradelabError(`report: cannot write ${target}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return target;
}
