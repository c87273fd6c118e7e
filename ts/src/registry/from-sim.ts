/** RunInputs for the simulator's results, so every caller records backtests and sweeps alike. */
import type { BacktestResult, SimLabel, SweepResult, SweepRow } from "../sim.js";
import type { RunInput } from "./index.js";
import { storeDataHash } from "./provenance.js";

export interface RecordExtras {
  /** Store the bars came from (for the data hash); default store when omitted. */
  store?: string;
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
    dataHash: storeDataHash([{ symbol: r.symbol, interval: r.interval }], x.store),
    metrics: { ...r.metrics },
    artifacts: x.artifacts ?? {},
    ...(x.notes ? { notes: x.notes } : {}),
    ...(x.parent ? { parent: x.parent } : {}),
  };
}

const feeText = (x: number) => `${+(x * 100).toFixed(4)}%`;

/** The assumptions of one sweep row (its own lag / fill / fees, which the grid may vary). */
export function sweepRowLabel(row: SweepRow, base: SimLabel): SimLabel {
  const p = row.params;
  const fill = p.fillRule.kind === "cross" ? `cross ${+(p.fillRule.buffer * 10_000).toFixed(2)} bps` : "touch";
  const warnings = row.optimistic ? (base.optimistic ? base.warnings : ["this row's parameters are optimistic (see config.best.params)"]) : [];
  return {
    decisionLag: p.decisionLag,
    fillRule: fill,
    makerFee: p.makerFee,
    takerFee: p.takerFee,
    optimistic: row.optimistic,
    warnings,
    text: `lag ${p.decisionLag} · ${fill} · maker ${feeText(p.makerFee)} / taker ${feeText(p.takerFee)}${row.optimistic ? " · OPTIMISTIC" : ""}`,
  };
}

/**
 * A sweep as a run: metrics = the best row's (by Sortino, on the bars it was tuned on) plus the
 * row count; config = the sweep config and the best row's strategy and params.
 */
export function sweepRunInput(r: SweepResult, sweepConfig: unknown, x: RecordExtras = {}): RunInput {
  let best: SweepRow | undefined;
  for (const row of r.rows) if (!best || row.metrics.sortino > best.metrics.sortino) best = row;
  return {
    kind: "sweep",
    symbols: [r.symbol],
    interval: r.interval,
    split: r.window.split,
    window: r.window,
    assumptions: best ? sweepRowLabel(best, r.baseAssumptions) : r.baseAssumptions,
    config: { sweep: sweepConfig, best: best ? { index: best.index, strategy: best.strategy, params: best.params } : null, ...x.config },
    dataHash: storeDataHash([{ symbol: r.symbol, interval: r.interval }], x.store),
    metrics: { ...(best?.metrics ?? {}), parameterSets: r.rows.length, skipped: r.skipped.length, bestIndex: best?.index ?? null },
    artifacts: x.artifacts ?? {},
    notes: x.notes ?? `best of ${r.rows.length} by sortino, in-sample (tuned on this window)`,
    ...(x.parent ? { parent: x.parent } : {}),
  };
}
