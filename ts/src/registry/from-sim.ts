/** RunInputs for the simulator's results, so every caller records backtests and sweeps alike. */
import type { BacktestResult, SweepResult, SweepRow } from "../sim.js";
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
