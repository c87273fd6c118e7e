/**
 * Backtests and sweeps on the one simulator contract (crates/sim): an action decided after bar t
 * closes may fill on bar t + decisionLag (default 1). Every result carries its assumptions.
 */
import { tableFromIPC, type Table } from "apache-arrow";
import { resolveStoreDir } from "./config.js";
import { native } from "./errors.js";
import { addon } from "./native.js";
import type { ActionArrays } from "./actions-file.js";
import type { ProgressEvent } from "./store.js";

/** Built-in causal strategies. Crossovers go long while fast > slow; band posts resting limits. */
export type Strategy =
  | { kind: "emaCross"; fast: number; slow: number; slack?: number }
  | { kind: "smaCross"; fast: number; slow: number; slack?: number }
  | { kind: "band"; buyOffset: number; sellOffset: number; buyFrac: number; sellFrac: number };

export type FillRule = { kind: "touch" } | { kind: "cross"; buffer: number };

/** Simulator parameters; omitted fields take the honest defaults (lag 1, cross 5 bps, 10 bps fees). */
export interface SimParams {
  decisionLag?: number;
  fillRule?: FillRule;
  makerFee?: number;
  takerFee?: number;
  maxVolumeFraction?: number | null;
  maxRoundTripsPerBar?: number;
  intensity?: number;
  priceOffsetPct?: number;
  minGapPct?: number | null;
  maxHoldBars?: number | null;
  startingCash?: number;
  oneSidePerBar?: boolean;
  lastWindowDays?: number | null;
}

/** The assumptions behind a number; printed with every result. */
export interface SimLabel {
  decisionLag: number;
  fillRule: string;
  makerFee: number;
  takerFee: number;
  optimistic: boolean;
  warnings: string[];
  text: string;
}

export interface CurveMetrics {
  bars: number;
  startEquity: number;
  endEquity: number;
  totalReturn: number;
  annualisedReturn: number;
  sharpe: number;
  /** mean / downside RMS over all periods × sqrt(periods per year). */
  sortino: number;
  downsideDeviation: number;
  maxDrawdown: number;
  maxDrawdownBars: number;
  calmar: number;
}

export interface Metrics extends CurveMetrics {
  tradeCount: number;
  roundTrips: number;
  winRate: number;
  exposure: number;
  turnover: number;
  feesPaid: number;
  lastWindow: CurveMetrics | null;
}

export interface Trade {
  ts: number;
  bar: number;
  side: "buy" | "sell";
  price: number;
  qty: number;
  fee: number;
  cashDelta: number;
  reason: "limit" | "maxHold" | "intrabarCycle";
}

/** Which bars a number was measured on. */
export interface EvalWindow {
  /** `full` (all stored bars) or `custom` (--from/--to); train/val/test splits come with training. */
  split: "full" | "custom";
  first: number;
  last: number;
  bars: number;
}

export interface BacktestResult {
  symbol: string;
  interval: string;
  /** The strategy, or `{ kind: "actions", rows }` for precomputed actions. */
  strategy: Strategy | { kind: "actions"; rows: number };
  strategyLabel: string;
  assumptions: SimLabel;
  params: Required<SimParams> & { intervalMs: number };
  window: EvalWindow;
  metrics: Metrics;
  trades: Trade[];
  finalCash: number;
  finalInventory: number;
  /** Bar open times (epoch ms), equity at each bar close, and the close price. */
  curve: { ts: Float64Array; equity: Float64Array; close: Float64Array };
}

export interface BacktestOptions {
  store?: string;
  symbol: string;
  interval: string;
  /** A built-in strategy, or precomputed `actions` (see `readActionsFile`). */
  strategy?: Strategy;
  actions?: ActionArrays;
  params?: SimParams;
  /** Epoch ms or ISO date: first bar included / first bar excluded. */
  from?: number | string;
  to?: number | string;
}

function toMs(v: number | string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "number") return v;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) || !v.includes("T") ? v : `${v}Z`);
  if (Number.isNaN(ms)) throw new Error(`${what}: cannot parse date '${v}' (use YYYY-MM-DD or ISO-8601)`);
  return ms;
}

interface RawSummary {
  label: SimLabel;
  params: BacktestResult["params"];
  strategy: BacktestResult["strategy"];
  strategyLabel: string;
  metrics: Metrics;
  trades: Trade[];
  finalCash: number;
  finalInventory: number;
  bars: number;
  first: number;
  last: number;
}

/** Runs one strategy through the reference simulator on stored bars. */
export async function backtest(o: BacktestOptions): Promise<BacktestResult> {
  if (!o.strategy && !o.actions) throw new Error("backtest needs a strategy or actions");
  const from = toMs(o.from, "from");
  const to = toMs(o.to, "to");
  const out = await native(() =>
    addon.backtest({
      store: resolveStoreDir(o.store),
      symbol: o.symbol,
      interval: o.interval,
      from,
      to,
      strategyJson: o.strategy ? JSON.stringify(o.strategy) : undefined,
      actions: o.actions,
      paramsJson: JSON.stringify(o.params ?? {}),
    }),
  );
  const s = out.summary as RawSummary;
  return {
    symbol: o.symbol,
    interval: o.interval,
    strategy: s.strategy,
    strategyLabel: s.strategyLabel,
    assumptions: s.label,
    params: s.params,
    window: { split: from === undefined && to === undefined ? "full" : "custom", first: s.first, last: s.last, bars: s.bars },
    metrics: s.metrics,
    trades: s.trades,
    finalCash: s.finalCash,
    finalInventory: s.finalInventory,
    curve: { ts: out.ts, equity: out.equity, close: out.close },
  };
}

/** Short name of a strategy for tables, e.g. `ema 12/26`, `band 1%/1%`. */
export function strategyLabel(s: Strategy): string {
  switch (s.kind) {
    case "emaCross":
      return `ema ${s.fast}/${s.slow}`;
    case "smaCross":
      return `sma ${s.fast}/${s.slow}`;
    case "band":
      return `band ${+(s.buyOffset * 100).toFixed(4)}%/${+(s.sellOffset * 100).toFixed(4)}%`;
  }
}

/** A sweep config file: the data to run on plus the grid. */
export interface SweepConfig {
  symbol: string;
  interval?: string;
  store?: string;
  from?: number | string;
  to?: number | string;
  base?: SimParams;
  strategy: Strategy;
  /** Value lists per axis (see crates/sim/src/sweep.rs `SweepGrid`). */
  grid?: Partial<Record<string, unknown[]>>;
}

export interface SweepRow {
  index: number;
  strategy: Strategy;
  params: Required<SimParams>;
  optimistic: boolean;
  metrics: Metrics;
}

export interface SweepResult {
  symbol: string;
  interval: string;
  window: EvalWindow;
  /** Assumptions of the base parameters; each row's own params are in `rows[i].params`. */
  baseAssumptions: SimLabel;
  rows: SweepRow[];
  skipped: string[];
  barEvaluations: number;
  seconds: number;
  threads: number;
  /** One row per parameter set, params and metrics flattened (`params.makerFee`, `metrics.sortino`). */
  table: Table;
}

interface RawSweep {
  rows: SweepRow[];
  skipped: string[];
  barEvaluations: number;
  seconds: number;
  threads: number;
  bars: number;
  first: number;
  last: number;
  baseLabel: SimLabel;
}

/** Runs a grid sweep on the lockstep kernel (all cores, off the event loop). */
export async function sweep(
  config: SweepConfig,
  opts: { store?: string; out?: string; onProgress?: (p: ProgressEvent) => void } = {},
): Promise<SweepResult> {
  const interval = config.interval ?? "1h";
  const from = toMs(config.from, "from");
  const to = toMs(config.to, "to");
  const progress = new addon.ProgressHandle();
  const timer = opts.onProgress ? setInterval(() => opts.onProgress?.({ done: progress.done, total: progress.total }), 100) : undefined;
  try {
    const spec = { base: config.base ?? {}, strategy: config.strategy, grid: config.grid ?? {} };
    const out = await native(() =>
      addon.sweep(
        {
          store: resolveStoreDir(opts.store ?? config.store),
          symbol: config.symbol,
          interval,
          from,
          to,
          specJson: JSON.stringify(spec),
          out: opts.out,
        },
        progress,
      ),
    );
    const s = out.summary as RawSweep;
    return {
      symbol: config.symbol,
      interval,
      window: { split: from === undefined && to === undefined ? "full" : "custom", first: s.first, last: s.last, bars: s.bars },
      baseAssumptions: s.baseLabel,
      rows: s.rows,
      skipped: s.skipped,
      barEvaluations: s.barEvaluations,
      seconds: s.seconds,
      threads: s.threads,
      table: tableFromIPC(out.tableIpc),
    };
  } finally {
    if (timer) clearInterval(timer);
  }
}
