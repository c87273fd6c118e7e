/**
 * Backtests and sweeps on the one simulator contract (crates/sim): an action decided after bar t
 * closes may fill on bar t + decisionLag (default 1). Every result carries its assumptions.
 */
import { tableFromIPC, type Table } from "apache-arrow";
import { resolveRegistryPath, resolveStoreDir } from "./config.js";
import { native, TradelabError } from "./errors.js";
import { addon } from "./native.js";
import { lazy, tradeRows, tripRows } from "./fills.js";
import type { ActionArrays } from "./actions-file.js";
import type { ProgressEvent } from "./store.js";

import type * as G from "./generated/engine.js";

// The engine's types are generated from the Rust structs (ts/src/generated/engine.ts, ts-rs):
// never mirrored by hand here.
export type {
  CurveMetrics,
  FillRule,
  HarvestReport,
  HarvestRule,
  InstrumentResult,
  Metrics,
  PortfolioReport,
  PortfolioSweepReport,
  PortfolioSweepRow,
  RoundTrip,
  RobustScore,
  Overfit,
  DeflatedSharpe,
  Pbo,
  StressRow,
  SplitInfo,
  SimLabel,
  Strategy,
  SweepRow,
  Trade,
} from "./generated/engine.js";
type Strategy = G.Strategy;
type SimLabel = G.SimLabel;
type Metrics = G.Metrics;

/** Simulator parameters; omitted fields take the honest defaults (lag 1, cross 5 bps, 10 bps fees). */
export type SimParams = Partial<G.SimParams>;

/** Which bars a number was measured on. */
export interface EvalWindow {
  /** `full` (all stored bars), `custom` (--from/--to), or a named split: `train`, `val`, `test`, `test (burned)`. */
  split: string;
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
  params: G.SimParams;
  /** Where P comes from, e.g. `P=8760 (24/7, 365 days)`. */
  periods: string;
  window: EvalWindow;
  metrics: Metrics;
  trades: G.Trade[];
  /** Hex SHA-256 over the trade list (Rust `trade_sha256`); a paper run on the same bars reports the same. */
  tradeSha256: string;
  /** Flat to flat, by the engine's rule (computed in Rust: they always agree with the metrics). */
  roundTrips: G.RoundTrip[];
  finalCash: number;
  finalInventory: number;
  /** End equity after paying the taker fee to close the position at the last close. */
  liquidationValue: number;
  /** `sha256:…` of the stored bars read, computed in Rust (`Store::data_hash`). */
  dataHash: string;
  /** The named split run on (bounds, and `burned` when the test lock saw it before), else null. */
  split: G.SplitInfo | null;
  /** Precomputed actions only: the same actions under touch, lag+1, 15 bps, fees x2 and lag 0. */
  stress: G.StressRow[] | null;
  /** Bar open times (epoch ms), equity at each bar close, and the close price. */
  curve: { ts: Float64Array; equity: Float64Array; close: Float64Array };
}

export interface BacktestOptions extends SplitOptions {
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

/**
 * Run on a named split of the stored data (the one definition, `tradelab_core::splits`, resolved in
 * Rust) instead of from/to. A `test` split claims the global test lock in the run registry: a second
 * look at an overlapping test window, by any command, is refused with code `TEST_BURNED` unless
 * `acknowledgeBurned`, and is then labelled `test (burned)`.
 */
export interface SplitOptions {
  split?: "train" | "val" | "test";
  /** Default: val and test 20 days each, no purge. */
  splits?: { valDays?: number; testDays?: number; purgeBars?: number | null; maxTrainDays?: number | null };
  /** Registry holding the test lock (default: `$TRADELAB_REGISTRY` or ./tradelab-runs.sqlite). */
  registry?: string;
  /** `--i-know-test-is-burned`. */
  acknowledgeBurned?: boolean;
}

/** The Window fields of a split (none without one). */
export function splitFields(o: SplitOptions): Partial<G.Window> {
  if (!o.split) return {};
  return {
    split: o.split,
    ...(o.splits ? { splits: o.splits } : {}),
    registry: resolveRegistryPath(o.registry),
    acknowledgeBurned: o.acknowledgeBurned ?? false,
  };
}

/** The label of a result's window: its split's (from Rust), else full/custom. */
export function windowLabel(split: G.SplitInfo | null | undefined, from: unknown, to: unknown): string {
  if (split) return split.label;
  return from === undefined && to === undefined ? "full" : "custom";
}

function toMs(v: number | string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "number") return v;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) || !v.includes("T") ? v : `${v}Z`);
  if (Number.isNaN(ms)) throw new Error(`${what}: cannot parse date '${v}' (use YYYY-MM-DD or ISO-8601)`);
  return ms;
}

/** The Rust metrics' own verdict: below ~3 months of bars, annualised figures mean nothing. */
export function annualisedNote(m: Metrics): string {
  return m.annualisedMeaningful === false ? " (not meaningful: under 3 months of bars)" : "";
}

/** Runs one strategy through the reference simulator on stored bars. */
export async function backtest(o: BacktestOptions): Promise<BacktestResult> {
  if (!o.strategy && !o.actions) throw new Error("backtest needs a strategy or actions");
  const from = toMs(o.from, "from");
  const to = toMs(o.to, "to");
  const out = await native(() =>
    addon.backtest(
      JSON.stringify({ store: resolveStoreDir(o.store), interval: o.interval, from, to, ...splitFields(o), symbol: o.symbol, strategy: o.strategy, params: o.params ?? {} } satisfies G.SingleRequest),
      o.actions,
    ),
  );
  const s = out.summary as G.SingleReport;
  const result: BacktestResult = {
    symbol: o.symbol,
    interval: o.interval,
    strategy: s.strategy,
    strategyLabel: s.strategyLabel,
    assumptions: s.label,
    params: s.params,
    periods: s.periods,
    window: { split: windowLabel(s.split, from, to), first: s.first, last: s.last, bars: s.bars },
    metrics: s.metrics,
    trades: s.trades,
    tradeSha256: s.tradeSha256,
    roundTrips: s.roundTrips,
    finalCash: s.finalCash,
    finalInventory: s.finalInventory,
    liquidationValue: s.liquidationValue,
    dataHash: s.dataHash,
    split: s.split ?? null,
    stress: s.stress ?? null,
    curve: { ts: out.ts, equity: out.equity, close: out.close },
  };
  // The rows cross as columns; they become objects only when read.
  const { trades, roundTrips } = out;
  if (trades) lazy(result, "trades", () => tradeRows(trades));
  if (roundTrips) lazy(result, "roundTrips", () => tripRows(roundTrips));
  return result;
}

/** An actions sweep: the same actions (a policy's or a file's) under every simulator-axis combination. */
export interface ActionsSweepConfig {
  symbol: string;
  interval?: string;
  from?: number | string;
  to?: number | string;
  store?: string;
  base?: SimParams;
  /** Simulator axes (intensity, priceOffsetPct, maxRoundTripsPerBar, decisionLag, fillRule, fillBuffer, maxHoldBars, maxVolumeFraction, ...) and `lastDays`. */
  grid?: Record<string, unknown>;
}

export interface ActionsSweepResult {
  symbol: string;
  interval: string;
  window: EvalWindow;
  baseAssumptions: SimLabel;
  rows: G.ActionsSweepRow[];
  best: G.BestRow | null;
  overfit: G.Overfit | null;
  barEvaluations: number;
  seconds: number;
  dataHash: string;
  split: G.SplitInfo | null;
}

/** Sweeps simulator axes and trailing windows (`grid.lastDays`) over fixed actions, on the kernel in Rust. */
export async function sweepActions(config: ActionsSweepConfig, actions: ActionArrays, opts: SplitOptions & { store?: string } = {}): Promise<ActionsSweepResult> {
  const interval = config.interval ?? "1h";
  const from = toMs(config.from, "from");
  const to = toMs(config.to, "to");
  const { lastDays, ...grid } = (config.grid ?? {}) as Record<string, unknown> & { lastDays?: unknown };
  if (lastDays !== undefined && !(Array.isArray(lastDays) && lastDays.every((d) => typeof d === "number"))) throw new TradelabError("grid.lastDays must be a list of day counts, e.g. [20, 30, 45, 60, 90]");
  const req = {
    store: resolveStoreDir(opts.store ?? config.store),
    interval,
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...splitFields(opts),
    symbol: config.symbol,
    base: (config.base ?? {}) as G.SimParams,
    grid,
    ...(lastDays ? { lastDays: lastDays as number[] } : {}),
  } satisfies G.ActionsSweepRequest;
  const s = (await native(() => addon.sweepActions(JSON.stringify(req), actions))) as G.ActionsSweepReport;
  return {
    symbol: config.symbol,
    interval,
    window: { split: windowLabel(s.split, from, to), first: s.first, last: s.last, bars: s.bars },
    baseAssumptions: s.baseLabel,
    rows: s.rows,
    best: s.best,
    overfit: s.overfit ?? null,
    barEvaluations: s.barEvaluations,
    seconds: s.seconds,
    dataHash: s.dataHash,
    split: s.split ?? null,
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
  /** One symbol: a kernel sweep. */
  symbol?: string;
  /** Several symbols: a portfolio sweep (one shared-cash engine run per parameter set). */
  symbols?: string[];
  /** Portfolio sweeps: the `maxPositions` axis (default: a slot per symbol). */
  maxPositions?: number[];
  /** Portfolio sweeps: close stock positions at each session's last bar. */
  endOfDayClose?: boolean;
  interval?: string;
  store?: string;
  from?: number | string;
  to?: number | string;
  base?: SimParams;
  strategy: Strategy;
  /** Value lists per axis (see crates/sim/src/sweep.rs `SweepGrid`). */
  grid?: Partial<Record<string, unknown[]>>;
}

export interface SweepResult {
  symbol: string;
  interval: string;
  window: EvalWindow;
  /** Assumptions of the base parameters; each row's own params are in `rows[i].params`. */
  baseAssumptions: SimLabel;
  rows: G.SweepRow[];
  /** The best non-optimistic row by Sortino and its own assumptions, chosen in Rust (in-sample). */
  best: G.BestRow | null;
  /** Deflated Sharpe (and PBO by CSCV) of the best row over the N honest rows, from Rust. */
  overfit: G.Overfit | null;
  skipped: string[];
  barEvaluations: number;
  seconds: number;
  threads: number;
  /** `sha256:…` of the stored bars read, computed in Rust (`Store::data_hash`). */
  dataHash: string;
  /** The named split run on, else null. */
  split: G.SplitInfo | null;
  /** One row per parameter set, params and metrics flattened (`params.makerFee`, `metrics.sortino`). */
  table: Table;
  /** A distributed sweep (`redis`): the chunks its rows ran in (`seconds` is then their compute time summed). */
  chunks?: number;
}

/** Runs a grid sweep on the lockstep kernel (all cores, off the event loop). */
export async function sweep(
  config: SweepConfig,
  opts: SplitOptions & {
    store?: string;
    out?: string;
    onProgress?: (p: ProgressEvent) => void;
    /** Run the rows on `tradelab worker`s at this Redis (`redis://HOST:PORT`), in `chunks` jobs. */
    redis?: string;
    /** Jobs a distributed sweep is cut into (default 16); progress then counts chunks. */
    chunks?: number;
  } = {},
): Promise<SweepResult> {
  const symbol = config.symbol;
  if (!symbol) throw new TradelabError("a sweep needs `symbol` (or `symbols`, for a portfolio sweep: see sweepPortfolio)");
  const interval = config.interval ?? "1h";
  const from = toMs(config.from, "from");
  const to = toMs(config.to, "to");
  const progress = new addon.ProgressHandle();
  const timer = opts.onProgress ? setInterval(() => opts.onProgress?.({ done: progress.done, total: progress.total }), 100) : undefined;
  try {
    const spec = { base: config.base ?? {}, strategy: config.strategy, grid: config.grid ?? {} };
    const args = {
      windowJson: JSON.stringify({ store: resolveStoreDir(opts.store ?? config.store), interval, from, to, ...splitFields(opts) } satisfies G.Window),
      symbol,
      specJson: JSON.stringify(spec),
    };
    let chunks: number | undefined;
    let out: Awaited<ReturnType<typeof addon.sweep>>;
    if (opts.redis) {
      const url = opts.redis;
      // Validated and cut in Rust before anything is enqueued; merged in Rust after.
      const plan = (await native(() => addon.sweepPlan(args, opts.chunks ?? 16))) as G.SweepPlan;
      const { runSweepChunks } = await import("./study/distributed.js");
      const parts = await runSweepChunks(url, args, plan, (done, total) => opts.onProgress?.({ done, total }));
      chunks = parts.length;
      out = await native(() => addon.sweepMerge({ ...args, out: opts.out }, parts));
    } else {
      out = await native(() => addon.sweep({ ...args, out: opts.out }, progress));
    }
    const s = out.summary as G.SweepReport;
    return {
      symbol,
      interval,
      window: { split: windowLabel(s.split, from, to), first: s.first, last: s.last, bars: s.bars },
      baseAssumptions: s.baseLabel,
      rows: s.rows,
      best: s.best,
      overfit: s.overfit ?? null,
      skipped: s.skipped,
      barEvaluations: s.barEvaluations,
      seconds: s.seconds,
      threads: s.threads,
      dataHash: s.dataHash,
      split: s.split ?? null,
      table: tableFromIPC(out.tableIpc),
      ...(chunks !== undefined ? { chunks } : {}),
    };
  } finally {
    if (timer) clearInterval(timer);
  }
}

/**
 * A portfolio sweep: the grid (plus a `maxPositions` axis) of shared-cash portfolios over
 * `config.symbols`, each set one run of the engine's `step` fold, in parallel, off the event loop.
 * The best row (highest Sortino without optimistic assumptions) is chosen in Rust, in-sample.
 */
export async function sweepPortfolio(
  config: SweepConfig,
  opts: SplitOptions & { store?: string; onProgress?: (p: ProgressEvent) => void } = {},
): Promise<G.PortfolioSweepReport> {
  if (!config.symbols || config.symbols.length === 0) throw new TradelabError("a portfolio sweep needs `symbols`");
  const req: G.PortfolioSweepRequest = {
    store: resolveStoreDir(opts.store ?? config.store),
    interval: config.interval ?? "1h",
    from: toMs(config.from, "from") ?? null,
    to: toMs(config.to, "to") ?? null,
    ...splitFields(opts),
    symbols: config.symbols,
    base: config.base ?? {},
    strategy: config.strategy,
    grid: config.grid ?? {},
    ...(config.maxPositions ? { maxPositions: config.maxPositions } : {}),
    endOfDayClose: config.endOfDayClose ?? false,
  };
  const progress = new addon.ProgressHandle();
  const timer = opts.onProgress ? setInterval(() => opts.onProgress?.({ done: progress.done, total: progress.total }), 100) : undefined;
  try {
    return (await native(() => addon.sweepPortfolio(JSON.stringify(req), progress))) as G.PortfolioSweepReport;
  } finally {
    if (timer) clearInterval(timer);
  }
}

/** Which bars a portfolio or harvest ran on, and its equity curve. */
export interface CurveResult<R> {
  report: R;
  window: EvalWindow;
  /** Clock times (bar open, epoch ms) and equity marked at each close. */
  curve: { ts: Float64Array; equity: Float64Array };
}

export interface PortfolioOptions extends SplitOptions {
  store?: string;
  /** Instruments, processed in this order within a bar (after all sells). */
  symbols: string[];
  interval: string;
  strategy: Strategy;
  params?: SimParams;
  /** At most this many open positions (default: one per symbol); each entry takes cash / free slots. */
  maxPositions?: number;
  /** Close stock positions at each session's last bar. */
  endOfDayClose?: boolean;
  from?: number | string;
  to?: number | string;
}

/** One strategy on N symbols with one shared cash balance (the engine's `step`, folded in Rust). */
export async function backtestPortfolio(o: PortfolioOptions): Promise<CurveResult<G.PortfolioReport>> {
  const from = toMs(o.from, "from");
  const to = toMs(o.to, "to");
  const req: G.PortfolioRequest = {
    store: resolveStoreDir(o.store),
    interval: o.interval,
    from,
    to,
    ...splitFields(o),
    symbols: o.symbols,
    strategy: o.strategy,
    params: o.params ?? {},
    maxPositions: o.maxPositions ?? null,
    endOfDayClose: o.endOfDayClose ?? false,
  };
  const out = await native(() => addon.backtestPortfolio(JSON.stringify(req)));
  const r = out.summary as G.PortfolioReport;
  return { report: r, window: { split: windowLabel(r.split, from, to), first: r.first, last: r.last, bars: r.steps }, curve: { ts: out.ts, equity: out.equity } };
}

export interface HarvestOptions extends SplitOptions {
  store?: string;
  /** Spot market, e.g. `BTC/USDT`; the perpetual defaults to `BTC/USDT:USDT`. */
  symbol: string;
  perp?: string;
  interval?: string;
  rule?: G.HarvestRule;
  allocation?: number;
  rebalanceThreshold?: number;
  spotFee?: number;
  perpFee?: number;
  startingCash?: number;
  from?: number | string;
  to?: number | string;
}

/** Funding harvest: long spot + short perpetual, funding from the store (seed 004, without its oracle). */
export async function fundingHarvest(o: HarvestOptions): Promise<CurveResult<G.HarvestReport>> {
  const from = toMs(o.from, "from");
  const to = toMs(o.to, "to");
  const { store, interval, from: _f, to: _t, split: _s, splits: _ss, registry: _r, acknowledgeBurned: _a, ...rest } = o;
  const req: G.HarvestRequest = { store: resolveStoreDir(store), interval: interval ?? "1h", from, to, ...splitFields(o), ...rest };
  const out = await native(() => addon.fundingHarvest(JSON.stringify(req)));
  const r = out.summary as G.HarvestReport;
  return { report: r, window: { split: windowLabel(r.split, from, to), first: r.first, last: r.last, bars: r.steps }, curve: { ts: out.ts, equity: out.equity } };
}
