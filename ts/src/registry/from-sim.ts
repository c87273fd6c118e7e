/** RunInputs for the simulator's results, so every caller records backtests and sweeps alike. */
import { windowLabel, type BacktestResult, type EvalWindow, type SweepResult, type SweepRow } from "../sim.js";
import type * as G from "../generated/engine.js";
import type { RunInput } from "./index.js";

export interface RecordExtras {
  config?: Record<string, unknown>;
  artifacts?: Record<string, string>;
  notes?: string;
  parent?: string;
}

/** A backtest as a run: config = strategy + params (+ extras), metrics = the result's metrics. */
export function backtestRunInput(r: BacktestResult, x: RecordExtras = {}): RunInput {
  return {
    kind: "backtest",
    symbols: [r.symbol],
    interval: r.interval,
    split: r.window.split,
    window: r.window,
    assumptions: r.assumptions,
    config: { strategy: r.strategy, strategyLabel: r.strategyLabel, params: r.params, ...x.config },
    dataHash: r.dataHash,
    metrics: { ...r.metrics },
    artifacts: x.artifacts ?? {},
    ...(x.notes ? { notes: x.notes } : {}),
    ...(x.parent ? { parent: x.parent } : {}),
  };
}

/**
 * A sweep as a run: metrics = the best row's (chosen in Rust: highest Sortino among rows without
 * optimistic assumptions, on the bars it was tuned on) plus the row count; config = the sweep
 * config and the best row's strategy and params; assumptions = the best row's own label.
 */
export function sweepRunInput(r: SweepResult, sweepConfig: unknown, x: RecordExtras = {}): RunInput {
  const best: SweepRow | undefined = r.best ? r.rows.find((row) => row.index === r.best?.index) : undefined;
  return {
    kind: "sweep",
    symbols: [r.symbol],
    interval: r.interval,
    split: r.window.split,
    window: r.window,
    assumptions: r.best?.label ?? r.baseAssumptions,
    config: { sweep: sweepConfig, best: best ? { index: best.index, strategy: best.strategy, params: best.params } : null, ...x.config },
    dataHash: r.dataHash,
    metrics: { ...(best?.metrics ?? {}), parameterSets: r.rows.length, skipped: r.skipped.length, bestIndex: best?.index ?? null },
    artifacts: x.artifacts ?? {},
    notes: x.notes ?? r.best?.selection ?? `no non-optimistic row among ${r.rows.length}`,
    ...(x.parent ? { parent: x.parent } : {}),
  };
}

/** A shared-cash portfolio backtest as a run (kind "backtest", every symbol listed). */
export function portfolioRunInput(r: G.PortfolioReport, interval: string, w: EvalWindow, x: RecordExtras = {}): RunInput {
  return {
    kind: "backtest",
    symbols: r.symbols,
    interval,
    split: w.split,
    window: w,
    assumptions: r.label,
    config: { portfolio: true, strategy: r.strategy, strategyLabel: r.strategyLabel, params: r.params, maxPositions: r.maxPositions, ...x.config },
    dataHash: r.dataHash,
    metrics: { ...r.metrics, liquidationValue: r.liquidationValue },
    artifacts: x.artifacts ?? {},
    ...(x.notes ? { notes: x.notes } : {}),
    ...(x.parent ? { parent: x.parent } : {}),
  };
}

/** A funding-harvest backtest as a run; its assumptions are the report's own label line. */
export function harvestRunInput(r: G.HarvestReport, interval: string, w: EvalWindow, x: RecordExtras = {}): RunInput {
  return {
    kind: "backtest",
    symbols: [r.spot, r.perp],
    interval,
    split: w.split,
    window: w,
    config: { strategy: "funding-harvest", rule: r.rule, ruleLabel: r.ruleLabel, assumptions: r.label, ...x.config },
    dataHash: r.dataHash,
    metrics: { apr: r.apr, sharpe: r.sharpe, maxDrawdown: r.maxDrawdown, monthlyWinRate: r.monthlyWinRate, fundingNet: r.fundingNet, feesPaid: r.feesPaid, finalEquity: r.finalEquity, liquidationValue: r.liquidationValue },
    artifacts: x.artifacts ?? {},
    notes: x.notes ?? r.label,
    ...(x.parent ? { parent: x.parent } : {}),
  };
}

/** A portfolio sweep as a run: the best row's metrics (chosen in Rust, in-sample) and the row count. */
export function portfolioSweepRunInput(r: G.PortfolioSweepReport, interval: string, sweepConfig: { from?: unknown; to?: unknown }, x: RecordExtras = {}): RunInput {
  const best = r.best ? r.rows.find((row) => row.index === r.best?.index) : undefined;
  const w = { split: windowLabel(r.split, sweepConfig.from, sweepConfig.to), first: r.first, last: r.last };
  return {
    kind: "sweep",
    symbols: r.symbols,
    interval,
    split: w.split,
    window: w,
    assumptions: r.best?.label ?? r.baseLabel,
    config: { sweep: sweepConfig, best: best ? { index: best.index, strategy: best.strategy, params: best.params, maxPositions: best.maxPositions } : null, ...x.config },
    dataHash: r.dataHash,
    metrics: { ...(best?.metrics ?? {}), parameterSets: r.rows.length, skipped: r.skipped.length, bestIndex: best?.index ?? null },
    artifacts: x.artifacts ?? {},
    notes: x.notes ?? r.best?.selection ?? `no non-optimistic row among ${r.rows.length}`,
    ...(x.parent ? { parent: x.parent } : {}),
  };
}
