/** `tradelab select`: the multi-asset selector with shared cash, one trade at a time (seed §7). */
import { Command, Option } from "commander";
import path from "node:path";
import { TradelabError } from "../errors.js";
import { openRegistry } from "../registry/index.js";
import { writeReport, type ReportRun } from "../report/index.js";
import { selectBacktest, selectSweep, type SelectConfig, type SelectGrid, type SelectResult, type SelectSweepResult } from "../select/index.js";
import { assumptionsLine, metricRows } from "./sim.js";
import { isoMs, kvTable, printJson, progressBar, readConfigFile, table } from "./ui.js";

const KEYS = ["grid", "symbols", "interval", "store", "from", "to", "params", "actions", "forecast", "edge", "maxPositions", "cooldownBars", "selectFillableOnly", "endOfDayClose", "allowInSample", "dipThresholdPct", "workStealing", "allowReentrySameBar", "fees", "shorts", "selector"];
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;


function readConfig(file: string): SelectConfig {
  const c = readConfigFile(file, KEYS, ["symbols", "actions", "forecast", "edge"]);
  if (!Array.isArray(c.symbols) || c.symbols.length === 0) throw new TradelabError(`${file}: "symbols" must be a non-empty list`);
  return c as unknown as SelectConfig;
}

export function selectText(r: SelectResult, window: string): string {
  const held = r.instruments.map((x) => [x.symbol, x.trades, x.roundTrips, pct(x.winRate), x.pnl.toFixed(2), pct(x.exposure), x.fees.toFixed(2)]);
  return (
    `${r.symbols.join(", ")} ${r.interval} · selector: ${r.selector} · ${r.source} · ${window} ${isoMs(r.first)} .. ${isoMs(r.last)} (${r.steps} steps)\n` +
    assumptionsLine(r.label) +
    "\n" +
    kvTable([...metricRows(r.metrics), ...(r.financing !== 0 ? [["borrow + margin interest paid", r.financing.toFixed(2)] as [string, string]] : []), ["liquidation value (after exit fees)", r.liquidationValue.toFixed(2)]]) +
    "\n" +
    table(["symbol", "trades", "round trips", "win rate", "pnl", "time held", "fees"], held) +
    `\n${r.steps} timestamps × ${r.symbols.length} symbols in ${r.seconds.toFixed(2)} s\n`
  );
}

/** A selector run as a report section: the benchmark is the symbols' equal-weight buy and hold. */
export function selectReportRun(r: SelectResult): ReportRun {
  return {
    name: `selector (${r.selector})`,
    symbol: r.symbols.join(", "),
    interval: r.interval,
    split: r.window,
    assumptions: r.label,
    window: { first: r.first, last: r.last, bars: r.steps },
    metrics: r.metrics,
    trades: [],
    roundTrips: [],
    curve: { ts: r.curveTs, equity: r.curveEquity, close: r.benchmark },
    allocation: { symbols: r.symbols, share: r.allocation, pnl: r.instruments.map((x) => x.pnl) },
  };
}

export function selectSweepText(r: SelectSweepResult, top: number): string {
  const axes = [...new Set(r.rows.flatMap((x) => Object.keys(x.values)))];
  const rows = [...r.rows].sort((a, b) => b.metrics.sortino - a.metrics.sortino).slice(0, top);
  return (
    `${r.symbols.join(", ")} ${r.interval} · ${r.source} · ${r.window} ${isoMs(r.first)} .. ${isoMs(r.last)} (${r.steps} steps)\n` +
    table(
      ["#", ...axes, "return", "sortino", "max dd", "trades", "flags"],
      rows.map((x) => [x.index, ...axes.map((a) => String(x.values[a as keyof typeof x.values] ?? "")), pct(x.metrics.totalReturn), x.metrics.sortino.toFixed(2), pct(x.metrics.maxDrawdown), x.metrics.tradeCount, x.optimistic ? "OPTIMISTIC" : ""]),
    ) +
    `\n${r.rows.length} selector runs in ${r.seconds.toFixed(2)} s on ${r.threads} worker threads (${r.rowsPerSecond.toFixed(1)} rows/s)` +
    (r.best ? `\nbest: #${r.best.index}, ${r.best.selection} (${r.best.label.text})` : "\nno non-optimistic row") +
    (r.overfit ? `\n${r.overfit.text}` : "") +
    "\n"
  );
}

export function selectCommand(): Command {
  return new Command("select")
    .description("multi-asset selector: one shared cash balance goes into the best-edge trade across symbols each bar (seed 001's selector on the engine)")
    .requiredOption("--config <file>", "selector config JSON (see examples/select-*.json)")
    .option("--store <dir>", "bar store directory (overrides the config)")
    .addOption(new Option("--split <name>", "run on a named split of the stored data (test: locked, one look, globally)").choices(["train", "val", "test"]))
    .option("--i-know-test-is-burned", "permit a second look at a test window; the result is labelled burned")
    .option("--registry <file>", "run registry to record into and holding the test lock (default: $TRADELAB_REGISTRY or ./tradelab-runs.sqlite)")
    .option("--no-record", "do not record this run in the registry")
    .option("--top <n>", "sweeps: rows to print, best Sortino first", "15")
    .option("--report <file>", "write a self-contained HTML report (equity vs equal-weight buy & hold, drawdown, allocation over time, PnL by symbol)")
    .option("--json", "print machine-readable JSON (with the equity curve)")
    .addHelpText(
      "after",
      `
Example (examples/select-crypto.json):
  { "symbols": ["BTC/USDT", "ETH/USDT", "LINK/USDT", "SOL/USDT"], "interval": "1h",
    "params": { "decisionLag": 1, "makerFee": 0.001, "takerFee": 0.001, "maxHoldBars": 24 },
    "actions": { "kind": "band", "buyOffset": 0.004, "sellOffset": 0.006, "buyFrac": 1, "sellFrac": 1 },
    "forecast": { "model": "ewma-vol", "horizon": 1 },
    "edge": { "mode": "high_low", "riskWeight": 0.5, "minEdge": 0.0005 },
    "maxPositions": 1, "cooldownBars": 0 }
Each bar: exits rest at each held symbol's sell limit; while a slot is free, the candidate with the
highest edge >= minEdge (ties by symbol name) gets a buy limit. Candidates and forecasts are
decisionLag bars old. actions: a rule strategy, {"kind": "actions", "files": {SYM: FILE}}, or
{"kind": "policy", "checkpoints": {SYM: DIR} | {"*": DIR}}. edge.mode: high_low, high or close.
"selectFillableOnly": true is the seed's OPTIMISTIC default (entries filtered by the bar they
fill on), labelled as such; so is "dipThresholdPct": x (the seed's dip filter: entries only where the
traded bar's low dips below its close × (1 − x)); and "allowReentrySameBar": true (the seed's
allow_reentry_same_bar: an exit's proceeds buy the next-best candidate on the exit's own bar).
"fees": { "SOL/FDUSD": {"maker": 0, "taker": 0.001}, "*/FDUSD": {...} } sets a symbol's or a whole
quote's fees (a venue's zero-fee pairs; stated in the label, zero maker fees as a caution).
"selector": { "module": "./my-selector.js", "options": {...} } runs your own Selector (an ES module
exporting createSelector(config, options)), also in sweep workers.
"shorts": { "borrowRate": 0.05, "symbols": [...] } allows spot shorts (all symbols when no list):
a flat symbol's short candidate enters at its sell limit by the mirrored edge, a short covers at
its buy limit, and borrow cost accrues on the short's notional at each close (the label says so).
With "grid": { "minEdge": [...], "riskWeight": [...], "edgeMode": [...], "maxPositions": [...],
"cooldownBars", "intensity", "priceOffsetPct", "maxVolumeFraction", "maxHoldBars", "decisionLag",
"fillBuffer" } it is a selector sweep: one backtest per combination across worker threads, the best
honest row, its deflated Sharpe and PBO.`,
    )
    .action(async (o: { config: string; store?: string; split?: "train" | "val" | "test"; iKnowTestIsBurned?: boolean; registry?: string; record: boolean; json?: boolean; top: string; report?: string }) => {
      const { grid, ...config } = readConfig(o.config) as SelectConfig & { grid?: SelectGrid };
      const registry = openRegistry(o.registry).path;
      if (grid) {
        if (o.report) throw new TradelabError("--report applies to one selector run, not a sweep");
        const bar = progressBar("selector sweep", !o.json);
        const r = await selectSweep(config, grid, {
          baseDir: path.dirname(path.resolve(o.config)),
          ...(o.store ? { store: o.store } : {}),
          ...(o.split ? { split: o.split, registry } : {}),
          lockRegistry: registry,
          ...(o.iKnowTestIsBurned ? { acknowledgeBurned: true } : {}),
          onProgress: (d, t) => bar.update(d, t),
        });
        bar.stop();
        const best = r.best ? r.rows[r.best.index] : undefined;
        const run = o.record
          ? await openRegistry(o.registry).record({
              kind: "sweep",
              symbols: r.symbols,
              interval: r.interval,
              split: r.window,
              window: { first: r.first, last: r.last },
              assumptions: best?.label ?? null,
              config: { select: config, grid, configFile: path.resolve(o.config), best: best ? { index: best.index, values: best.values } : null, overfit: r.overfit },
              dataHash: r.dataHash,
              metrics: { ...(best?.metrics ?? {}), parameterSets: r.rows.length, bestIndex: best?.index ?? null, deflatedSharpe: r.overfit?.deflated.dsr ?? null, pbo: r.overfit?.pbo?.pbo ?? null, rowsPerSecond: r.rowsPerSecond },
              artifacts: {},
              notes: r.best?.selection ?? `no non-optimistic row among ${r.rows.length}`,
            })
          : undefined;
        if (o.json) return printJson({ ...r, ...(run ? { runId: run.id } : {}) });
        process.stdout.write(selectSweepText(r, Number(o.top)) + (run ? `recorded run ${run.id} in ${registry} (tradelab runs show ${run.id})\n` : ""));
        return;
      }
      const r = await selectBacktest(config, {
        baseDir: path.dirname(path.resolve(o.config)),
        ...(o.store ? { store: o.store } : {}),
        ...(o.split ? { split: o.split, registry } : {}),
        lockRegistry: registry,
        ...(o.iKnowTestIsBurned ? { acknowledgeBurned: true } : {}),
      });
      const window = r.window;
      const run = o.record
        ? await openRegistry(o.registry).record({
            kind: "backtest",
            symbols: r.symbols,
            interval: r.interval,
            split: window,
            window: { first: r.first, last: r.last },
            assumptions: r.label,
            config: { select: config, configFile: path.resolve(o.config), selector: r.selector, source: r.source },
            dataHash: r.dataHash,
            metrics: { ...r.metrics, perSymbol: r.instruments },
            artifacts: {},
            notes: `selector: ${r.selector}`,
          })
        : undefined;
      if (o.report) writeReport(o.report, { title: `${r.symbols.join(", ")} ${r.interval} · selector — backtest`, config, runs: [selectReportRun(r)] });
      if (o.json) {
        // Typed arrays as JSON lists; the allocation matrix (steps × symbols) is in --report only.
        const { allocation: _a, ...rest } = r;
        return printJson({ ...rest, curveTs: Array.from(r.curveTs), curveEquity: Array.from(r.curveEquity), benchmark: Array.from(r.benchmark), ...(run ? { runId: run.id } : {}), ...(o.report ? { report: path.resolve(o.report) } : {}) });
      }
      process.stdout.write(selectText(r, window) + (o.report ? `wrote report ${o.report}\n` : "") + (run ? `recorded run ${run.id} in ${registry} (tradelab runs show ${run.id})\n` : ""));
    });
}
